"""PDF to text blocks, one per page and section (the only ``pypdf`` import): page numbers
kept, running headers and footers dropped, hard-wrapped lines joined. Sections come from the
bookmarks, or, in a PDF without any, from the lines set larger or bolder than the body text."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from assistant.core.records import Block, DocMeta
from assistant.ingest.meta import INTERNAL_LABEL_RE, build_meta, humanize, modified_date


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


@dataclass(frozen=True)
class _Line:
    """A line of a page as set: its text, its largest type size, whether it is all bold."""

    text: str
    size: float = 0.0
    bold: bool = False


_BOLD_FONT_RE = re.compile(r"bold|black|heavy|semibold|demi", re.I)


def _page_lines(page: Any) -> list[_Line]:
    """The page's text lines with their type: size times the text and page scale (a PDF may
    set "1 Tf" and scale the matrix instead), and whether every glyph is in a bold face."""
    runs: list[tuple[str, float, bool]] = []

    def visit(text: str, cm: list[float], tm: list[float], font: Any, size: float) -> None:
        if text:
            scale = math.hypot(tm[0], tm[1]) * math.hypot(cm[0], cm[1]) or 1.0
            name = str((font or {}).get("/BaseFont", ""))
            runs.append((text, round(size * scale, 1), bool(_BOLD_FONT_RE.search(name))))

    text = page.extract_text(visitor_text=visit) or ""
    # pypdf joins the runs with its own line breaks and spaces: find each run in the text.
    size = [0.0] * len(text)
    bold = [False] * len(text)
    at = 0
    for run, run_size, run_bold in runs:
        found = text.find(run, at) if run.strip() else -1
        if found < 0:
            continue
        size[found : found + len(run)] = [run_size] * len(run)
        bold[found : found + len(run)] = [run_bold] * len(run)
        at = found + len(run)
    lines, start = [], 0
    for line in text.split("\n"):
        inked = [i for i in range(start, start + len(line)) if not text[i].isspace() and size[i]]
        shown = re.sub(r"[ \t]{2,}", " ", line)  # justified text's wide gaps
        if inked:
            lines.append(_Line(shown, max(size[i] for i in inked), all(bold[i] for i in inked)))
        else:
            lines.append(_Line(shown))
        start += len(line) + 1
    return lines


# A page's number as its header or footer says it ("Page 3 of 9", "Confidential · Page 1",
# "- 3 -", "3 / 9"), on a one-page file too.
_PAGE_MARK_RE = re.compile(
    r"(?i)^(?:.{0,60}\s[·|•–—-]\s)?page\s+\d+(?:\s+of\s+\d+)?$|^[-–—]?\s*\d+\s*(?:/\s*\d+)?\s*[-–—]?$"
)


def _edges(lines: list[_Line]) -> set[int]:
    return set(range(min(2, len(lines)))) | set(range(max(0, len(lines) - 2), len(lines)))


def _strip_running_lines(pages: list[list[_Line]]) -> list[list[_Line]]:
    """Drop page headers and footers: lines that open or close most pages (digits ignored),
    and page numbers."""

    def norm(line: _Line) -> str:
        return re.sub(r"\d+", "#", line.text.strip())

    split = [[ln for ln in p if ln.text.strip()] for p in pages]
    counts = Counter(k for lines in split for k in {norm(lines[i]) for i in _edges(lines)})
    running = {k for k, n in counts.items() if len(pages) > 1 and n >= max(2, len(pages) // 2 + 1)}
    out = []
    for lines in split:
        edge = _edges(lines)
        out.append(
            [
                ln
                for i, ln in enumerate(lines)
                if not (i in edge and (norm(ln) in running or _PAGE_MARK_RE.match(ln.text.strip())))
            ]
        )
    return out


def _labelled_internal(pages: list[list[_Line]]) -> bool:
    """Whether a page's header or footer marks the document internal ("INTERNAL ONLY"); a
    section's "(internal)" mark at a page's top marks only that section."""
    for page in pages:
        lines = [ln.text.strip() for ln in page if ln.text.strip()]
        for text in (lines[i] for i in _edges(lines)):
            if INTERNAL_LABEL_RE.search(text) and "(internal)" not in text.lower():
                return True
    return False


_DEFAULT_TITLE_RE = re.compile(
    r"(?i)^(?:(?:powerpoint )?presentation\d*|untitled.*|document\d*|slide \d+|"
    r"microsoft (?:word|powerpoint|excel) - .*|.*\.(?:docx?|pptx?|key|pages|indd|odt|odp))$"
)
FRONT_LINES = 8  # the top lines of a PDF's first page where it may give its date
HEADING_SIZE = 1.12  # a line set this much larger than the body text is a heading
MAX_HEADING_WORDS, MAX_QUESTION_WORDS = 12, 25


class _Headings:
    """Which lines of a PDF without bookmarks are headings, and at which level: larger type
    than the body (the body is the size most characters are set in), or a whole line in bold
    where the body is not; short, with letters, not ending like a sentence."""

    def __init__(self, pages: list[list[_Line]]) -> None:
        weight: Counter[tuple[float, bool]] = Counter()
        for line in (ln for p in pages for ln in p):
            weight[(line.size, line.bold)] += len(line.text.strip())
        (self.body, body_bold), _ = weight.most_common(1)[0] if weight else ((0.0, False), 0)
        self.bold_marks = not body_bold
        sizes = sorted(
            {ln.size for p in pages for ln in p if self.large(ln) and self._shaped(ln.text)},
            reverse=True,
        )
        self.levels = {size: n for n, size in enumerate(sizes)}  # larger type, higher level

    def large(self, line: _Line) -> bool:
        return self.body > 0 and line.size >= self.body * HEADING_SIZE

    @staticmethod
    def _shaped(text: str) -> bool:
        text = text.strip()
        words = len(text.split())
        limit = MAX_QUESTION_WORDS if text.endswith("?") else MAX_HEADING_WORDS
        return (
            0 < words <= limit
            and len(re.findall(r"[^\W\d_]", text)) >= 2
            and not text.endswith((".", ",", ";", ":"))
            and not re.match(r"[-*\u2022]\s", text)  # a bullet; "2. Encryption" may head
            and not (_FIGURE_RE.match(text) and not _NUMBERED_RE.match(text))  # "31% less"
            and not _STAMP_RE.search(text)  # "Updated June 2025 · Owner: Marketing"
        )

    def level(self, line: _Line, after: _Line | None) -> int | None:
        """The heading level (0 the largest), or None for body text. A bold line at body
        size is the smallest heading, unless the line ``after`` it is bold too (a bold
        paragraph)."""
        if not self._shaped(line.text):
            return None
        if self.large(line):
            return self.levels.get(line.size)
        bold_paragraph = after is not None and after.bold and after.size == line.size
        if line.bold and self.bold_marks and line.size >= self.body and not bold_paragraph:
            return len(self.levels)
        return None


_BULLET_RE = re.compile(r"^\s*(?:[-*\u2022]|\d{1,2}[.)])\s")
_FIGURE_RE = re.compile(r"[$€£]?\d")  # a big figure on a slide or a sheet: a callout
_NUMBERED_RE = re.compile(r"\d+(?:\.\d+)*[.)]\s|\d+\.\d+(?:\.\d+)*\s")  # "2. Encryption"
_STAMP_RE = re.compile(r"(?i)^(?:last )?(?:updated|revised|modified)\b|\bowner:")


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
        pages = [_page_lines(page) for page in reader.pages]
    except ValueError:
        raise
    except (PdfReadError, OSError, KeyError, TypeError, AttributeError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if "decrypt" in reason.lower() or "password" in reason.lower():
            raise ValueError("encrypted PDF (a password is required)") from None
        raise ValueError(f"corrupt or unreadable PDF ({reason[:120]})") from None
    except Exception as exc:
        raise ValueError(f"corrupt or unreadable PDF ({type(exc).__name__})") from None
    if not any(line.text.strip() for p in pages for line in p):
        raise ValueError("PDF has no text layer (scanned images?); run OCR first")
    outline = _pdf_outline(reader)
    info = reader.metadata or {}
    title = str(info.get("/Title") or "").strip()
    if _DEFAULT_TITLE_RE.match(title):
        title = ""  # "Presentation1", "Microsoft Word - draft.docx": the app's, not a title
    front: dict[str, Any] = {"audience": "internal"} if _labelled_internal(pages) else {}
    stamp = str(info.get("/ModDate") or info.get("/CreationDate") or "")
    if re.match(r"D:\d{8}", stamp):
        front["updated"] = f"{stamp[2:6]}-{stamp[6:8]}-{stamp[8:10]}"
    # The date the first page says ("Updated June 2025") beats the file's, often its export's.
    said = next((d for ln in pages[0][:FRONT_LINES] if (d := modified_date(ln.text))), "")
    if said:
        front["updated"] = said
    pages = _strip_running_lines(pages)
    blocks = _outlined(pages, outline) if outline else _by_type(pages)
    first = next((b for b in blocks if b.page == 1 and b.section), None)
    if not title and not outline and first:
        title = first.section.split(" > ")[0]  # the first heading names the document
    if title:
        blocks = [_without_title(b, title) for b in blocks]
    return build_meta(rel, front, title or humanize(rel.stem)), blocks


def _outlined(pages: list[list[_Line]], outline: list[tuple[int, str]]) -> list[Block]:
    """Blocks per page and bookmark: a line that is a bookmark's title starts its section."""
    headings = {h for _, h in outline}  # matched on any page: text may flow past a bookmark

    def heading(line: _Line, after: _Line | None, fresh: bool) -> str | None:
        title = line.text.strip()
        if title not in headings:
            return None
        headings.discard(title)
        return title

    return _sectioned(pages, heading)


def _by_type(pages: list[list[_Line]]) -> list[Block]:
    """Blocks per page and heading, for a PDF without bookmarks: the section is the path of
    headings above the text ("Security > Encryption"); a heading set over two lines is one."""
    found = _Headings(pages)
    path: list[tuple[int, str]] = []  # (level, heading) from the top

    def heading(line: _Line, after: _Line | None, fresh: bool) -> str | None:
        nonlocal path
        level = found.level(line, after)
        if level is None:
            return None
        if fresh and path and path[-1][0] == level:  # the heading's second line
            path[-1] = (level, f"{path[-1][1]} {line.text.strip()}")
        else:
            path = [*[(lv, h) for lv, h in path if lv < level], (level, line.text.strip())]
        return " > ".join(h for _, h in path)

    return _sectioned(pages, heading, apart=found.large)


def _sectioned(
    pages: list[list[_Line]],
    heading: Callable[[_Line, _Line | None, bool], str | None],
    apart: Callable[[_Line], bool] = lambda line: False,
) -> list[Block]:
    """Blocks per page and section. ``heading(line, next line, fresh)`` is the section a
    heading line starts, or None for text; ``fresh``: no text since the last heading. A line
    ``apart`` (a figure set large on a slide) is a paragraph of its own, never joined."""
    blocks: list[Block] = []
    section, fresh = "", False
    for index, lines in enumerate(pages):
        segment: list[str] = []
        for n, line in enumerate([*lines, None]):
            starts = None
            if line is not None:
                starts = heading(line, lines[n + 1] if n + 1 < len(lines) else None, fresh)
            if line is None or starts is not None:
                body = _unwrap("\n".join(segment)).strip()
                if body:
                    blocks.append(Block(body, page=index + 1, section=section))
                segment = []
            if starts is not None:
                section, fresh = starts, True
            elif line is not None:
                segment.append(f"\n{line.text}\n" if apart(line) else line.text)
                fresh = False
    return blocks


def _without_title(block: Block, title: str) -> Block:
    """The document's title is not a section of it (every heading path starts with it)."""
    parts = block.section.split(" > ") if block.section else []
    if parts and parts[0].strip().lower() == title.strip().lower():
        return Block(block.text, block.page, " > ".join(parts[1:]))
    return block


def pdf_text(data: bytes) -> str:
    """A PDF's text layer as one string, page after page, nothing cleaned (the peer recipe)."""
    import io

    from pypdf import PdfReader

    return "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages)
