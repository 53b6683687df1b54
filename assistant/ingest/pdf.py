"""PDF to text blocks, one per page and bookmark section (the only ``pypdf`` import): page
numbers kept, running headers and footers dropped, hard-wrapped lines joined."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from pathlib import PurePosixPath
from typing import Any

from assistant.core.records import Block, DocMeta
from assistant.ingest.meta import build_meta, humanize


def _pdf_outline(reader: Any) -> list[tuple[int, str]]:
    """Flatten the PDF outline (bookmarks) to ``(page_index, title)`` pairs in page order."""
    found: list[tuple[int, str]] = []

    def walk(items: Iterable[Any]) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item)
                continue
            try:
                found.append((reader.get_destination_page_number(item), str(item.title)))
            except Exception:
                continue

    try:
        walk(reader.outline)
    except Exception:
        return []
    return sorted(found, key=lambda x: x[0])


def _strip_running_lines(pages: list[str]) -> list[str]:
    """Drop page headers and footers: lines that open or close most pages (digits ignored)."""
    if len(pages) < 2:
        return pages

    def norm(line: str) -> str:
        return re.sub(r"\d+", "#", line.strip())

    def edges(lines: list[str]) -> list[str]:
        return lines[:2] + lines[-2:]

    split = [[ln for ln in p.splitlines() if ln.strip()] for p in pages]
    counts = Counter(k for lines in split for k in {norm(ln) for ln in edges(lines)})
    running = {k for k, n in counts.items() if n >= max(2, len(pages) // 2 + 1)}
    out = []
    for lines in split:
        edge = set(range(2)) | set(range(len(lines) - 2, len(lines)))
        out.append(
            "\n".join(ln for i, ln in enumerate(lines) if not (i in edge and norm(ln) in running))
        )
    return out


_BULLET_RE = re.compile(r"^\s*(?:[-*\u2022]|\d{1,2}[.)])\s")


def _unwrap(text: str) -> str:
    """Join hard-wrapped PDF lines into paragraphs; bullets and numbered items start anew."""
    out: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            out.append("")
        elif out and out[-1] and not _BULLET_RE.match(line) and not out[-1].endswith(":"):
            out[-1] += line if out[-1].endswith("-") else f" {line}"
        else:
            out.append(line)
    return "\n".join(out)


def load_pdf(data: bytes, rel: PurePosixPath) -> tuple[DocMeta, list[Block]]:
    """Blocks per page (page numbers kept); bookmark titles become section names.

    Running headers and footers are dropped and hard-wrapped lines are joined.
    """
    import io
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ValueError("encrypted PDF (a password is required)")
        pages = [page.extract_text() or "" for page in reader.pages]
    except ValueError:
        raise
    except (PdfReadError, OSError, KeyError, TypeError, AttributeError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if "decrypt" in reason.lower() or "password" in reason.lower():
            raise ValueError("encrypted PDF (a password is required)") from None
        raise ValueError(f"corrupt or unreadable PDF ({reason[:120]})") from None
    except Exception as exc:
        raise ValueError(f"corrupt or unreadable PDF ({type(exc).__name__})") from None
    if not any(p.strip() for p in pages):
        raise ValueError("PDF has no text layer (scanned images?); run OCR first")
    outline = _pdf_outline(reader)
    info = reader.metadata or {}
    title = str(info.get("/Title") or "").strip()
    front: dict[str, Any] = {}
    stamp = str(info.get("/ModDate") or info.get("/CreationDate") or "")
    if re.match(r"D:\d{8}", stamp):
        front["updated"] = f"{stamp[2:6]}-{stamp[6:8]}-{stamp[8:10]}"
    blocks: list[Block] = []
    section = ""
    headings = {h for _, h in outline}  # matched on any page: text may flow past a bookmark
    for index, text in enumerate(_strip_running_lines(pages)):
        segment: list[str] = []
        for line in [*text.splitlines(), None]:
            if line is None or line.strip() in headings:
                body = _unwrap("\n".join(segment)).strip()
                if body:
                    blocks.append(Block(body, page=index + 1, section=section))
                segment = []
                if line is not None:
                    section = line.strip()
                    headings.discard(section)
            else:
                segment.append(line)
    return build_meta(rel, front, title or humanize(rel.stem)), blocks


def pdf_text(data: bytes) -> str:
    """A PDF's text layer as one string, page after page, nothing cleaned (the peer recipe)."""
    import io

    from pypdf import PdfReader

    return "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages)
