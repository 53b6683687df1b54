"""Turn files into typed ``Document`` records: Markdown/MDX, text, PDF and HTML.

Every failure is an ``IngestError(path, reason)`` with a one-line reason; nothing here writes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from .errors import IngestError
from .records import AUDIENCES, DOC_TYPES, Block, DocMeta, Document

MARKDOWN_EXTS = {".md", ".markdown", ".mdx"}
TEXT_EXTS = {".txt"}
HTML_EXTS = {".html", ".htm"}
PDF_EXTS = {".pdf"}
SUPPORTED_EXTS = MARKDOWN_EXTS | TEXT_EXTS | HTML_EXTS | PDF_EXTS

# Folder (or file-name) conventions, checked in order; the first match sets doc_type.
_FOLDER_TYPES: tuple[tuple[str, frozenset[str]], ...] = (
    ("battlecard", frozenset({"battlecards", "battlecard", "competitors", "competitive"})),
    ("comparison", frozenset({"comparisons", "comparison", "versus"})),
    ("case_study", frozenset({"case-studies", "case_studies", "casestudies", "customers"})),
    ("pricing", frozenset({"pricing", "packaging"})),
    ("internal", frozenset({"internal", "handbook", "sales", "playbooks", "enablement"})),
    ("security", frozenset({"security", "privacy", "compliance", "trust", "legal"})),
    ("product", frozenset({"products", "product", "docs", "features", "modules"})),
)
_VS_RE = re.compile(r"^(?P<us>[a-z0-9]+(?:-[a-z0-9]+)*?)-vs-(?P<them>[a-z0-9-]+)$")


def humanize(slug: str) -> str:
    """``session-replay`` → ``Session Replay``."""
    words = re.split(r"[-_\s]+", slug.strip())
    return " ".join(w if w.isupper() else w.capitalize() for w in words if w)


# ---------------------------------------------------------------------------------------------
# Metadata


def infer_meta(rel: PurePosixPath) -> dict[str, Any]:
    """Metadata from folder and file names, the fallback when front-matter says nothing."""
    names_as_given = rel.parts[:-1]  # original case, so ``docs/SSO/`` stays "SSO"
    parts = [p.lower() for p in names_as_given]
    out: dict[str, Any] = {"doc_type": "general", "product": "", "competitor": ""}
    vs = _VS_RE.match(rel.stem.lower())
    if vs:
        them = rel.stem[len(rel.stem) - len(vs["them"]) :]
        out.update(doc_type="comparison", competitor=humanize(them))
    else:
        for doc_type, names in _FOLDER_TYPES:
            hit = next((i for i, p in enumerate(parts) if p in names), None)
            if hit is None:
                continue
            out["doc_type"] = doc_type
            if doc_type in ("battlecard", "comparison"):
                out["competitor"] = humanize(rel.stem)
            elif doc_type == "product":
                below = names_as_given[hit + 1 :]
                out["product"] = humanize(below[0] if below else rel.stem)
            break
    out["audience"] = "internal" if out["doc_type"] == "internal" else "customer-safe"
    return out


def spelled_as_in(text: str, name: str) -> str:
    """How ``text`` spells ``name``, ignoring case, spaces and hyphens; else ``name``.

    A file name is lower-case (``posthog-vs-launchdarkly``), so a competitor inferred from it
    takes its spelling from the document title ("PostHog vs LaunchDarkly").
    """
    letters = re.sub(r"[^0-9a-z]", "", name.lower())
    if not letters or not text:
        return name
    pattern = r"(?<![0-9A-Za-z])" + r"[\s-]?".join(map(re.escape, letters)) + r"(?![0-9A-Za-z])"
    m = re.search(pattern, text, re.I)
    return m.group(0) if m else name


def _as_date(value: Any, field: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise ValueError(f"front-matter '{field}' is not a date: {value!r}") from None


def build_meta(rel: PurePosixPath, front: dict[str, Any], title: str) -> DocMeta:
    """Merge front-matter over folder conventions and validate the result."""
    inferred = infer_meta(rel)
    doc_type = str(front.get("doc_type") or inferred["doc_type"]).strip().lower()
    if doc_type not in DOC_TYPES:
        raise ValueError(f"unknown doc_type {doc_type!r} (expected one of {', '.join(DOC_TYPES)})")
    audience = str(front.get("audience") or inferred["audience"]).strip().lower()
    if audience not in AUDIENCES:
        raise ValueError(f"unknown audience {audience!r} (expected customer-safe or internal)")
    personas = front.get("personas") or ()
    if isinstance(personas, str):
        personas = [p for p in re.split(r"[,\s]+", personas) if p]
    if not isinstance(personas, list | tuple):
        raise ValueError("front-matter 'personas' must be a list")
    updated = _as_date(front.get("updated"), "updated") or _as_date(front.get("date"), "date")
    known = {
        "doc_type",
        "audience",
        "personas",
        "updated",
        "date",
        "product",
        "competitor",
        "title",
    }
    extra = {k: str(v) for k, v in front.items() if k not in known and isinstance(v, str | int)}
    title = str(front.get("title") or title or humanize(rel.stem))
    competitor = str(front.get("competitor") or spelled_as_in(title, inferred["competitor"]))
    return DocMeta(
        doc_type=doc_type,
        product=str(front.get("product") or inferred["product"]),
        competitor=competitor,
        audience=audience,
        updated=updated,
        personas=tuple(str(p).strip().lower() for p in personas),
        title=title,
        extra=extra,
    )


# ---------------------------------------------------------------------------------------------
# Text decoding


def _decode(raw: bytes) -> tuple[str, str | None]:
    """Decode bytes as UTF-8, falling back to Windows-1252 with a warning; reject binary."""
    if b"\x00" in raw[:8192]:
        raise ValueError("binary content (NUL bytes), not a text document")
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        try:
            text = raw.decode("cp1252")
        except UnicodeDecodeError:
            raise ValueError(f"not valid UTF-8 text ({exc.reason} at byte {exc.start})") from None
        return text, f"not UTF-8 (byte {exc.start}); decoded as Windows-1252"


# ---------------------------------------------------------------------------------------------
# Markdown / MDX

_FRONT_RE = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)
_FENCE_RE = re.compile(r"^(\s*)(```|~~~)")
_MDX_IMPORT_RE = re.compile(r"^\s*(import|export)\s.*$")
_COMMENT_RE = re.compile(r"<!--.*?-->|\{/\*.*?\*/\}", re.S)
_JSX_TITLE_RE = re.compile(r"<[A-Z][\w.]*\b[^>]*?\btitle=\"([^\"]+)\"[^>]*>")
# JSX attribute values may nest braces (``state={{ a: 1 }}``, ``items={[{ label: 'x' }]}``).
_JSX_EXPR = r"\{(?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*\}"
_TAG_RE = re.compile(
    r"</?[A-Za-z][\w.:-]*(?:\s+(?:[^<>\"'{}]|\"[^\"]*\"|'[^']*'|" + _JSX_EXPR + r")*)?\s*/?>"
)
_IMAGE_RE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK_RE = re.compile(r"\[([^\]]+)\]\((?:[^()]|\([^)]*\))*\)")
_REFLINK_RE = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")
_LEAD_LABEL_RE = re.compile(
    r"^(\s*(?:[-*+]\s+|\d{1,2}[.)]\s+)?)(?:\*\*|__)([^*_]{1,80}?)[.:](?:\*\*|__)\s*"
)
_BOLD_RE = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_EM_RE = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_EM_US_RE = re.compile(r"(?<![\w_])_(?=[^\s_])([^_\n]+?)(?<=\S)_(?![\w_])")
_CODE_RE = re.compile(r"`([^`\n]+)`")
_TABLE_SEP_RE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_BLOCK_END_RE = re.compile(r"</(?:p|div|li|h[1-6]|blockquote|section)\s*>|<br\s*/?>", re.I)
_HTML_TABLE_RE = re.compile(r"<table\b.*?</table\s*>", re.S | re.I)
_HEADING_RE = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_ENTITY = {"&nbsp;": " ", "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'"}


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """Return (front-matter dict, body). Malformed YAML raises ``ValueError``."""
    m = _FRONT_RE.match(text)
    if not m:
        return {}, text
    try:
        data = yaml.safe_load(m.group(1)) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 2})" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ValueError(f"malformed front-matter{where}: {problem}") from None
    if not isinstance(data, dict):
        raise ValueError("malformed front-matter: expected key: value pairs")
    return data, text[m.end() :]


def _inline(line: str) -> str:
    line = _LEAD_LABEL_RE.sub(
        r"\1\2: ", line
    )  # "- **Retention.** 90 days" → "- Retention: 90 days"
    line = _IMAGE_RE.sub("", line)
    line = _LINK_RE.sub(r"\1", line)
    line = _REFLINK_RE.sub(r"\1", line)
    line = _BOLD_RE.sub(r"\2", line)
    line = _EM_RE.sub(r"\1", line)
    line = _EM_US_RE.sub(r"\1", line)
    line = _CODE_RE.sub(r"\1", line)
    for k, v in _ENTITY.items():
        line = line.replace(k, v)
    return line


def linearize_table(header: list[str], body: list[list[str]]) -> list[str]:
    """One line per row, ``Row label — Col A: x; Col B: y``, so no cell loses its column."""
    out = []
    for row in body:
        if header and len(header) == len(row) and len(row) > 1:
            pairs = [f"{h}: {c}" if h else c for h, c in zip(header[1:], row[1:], strict=True) if c]
            label = row[0] or header[0]
            out.append(f"{label} — " + "; ".join(pairs) if label else "; ".join(pairs))
        else:
            out.append(" | ".join(c for c in row if c))
    return [line for line in out if line.strip(" —|;")]


def _table_rows(rows: list[str]) -> list[str]:
    cells = [[_inline(c.strip()) for c in r.strip().strip("|").split("|")] for r in rows]
    if len(cells) >= 2 and _TABLE_SEP_RE.match(rows[1]):
        return linearize_table(cells[0], cells[2:])
    return linearize_table([], cells)


def _html_table_lines(table: Any) -> list[str]:
    rows = [
        [c.get_text(" ", strip=True) for c in tr.find_all(["td", "th"])]
        for tr in table.find_all("tr")
    ]
    if not rows:
        return []
    first = table.find("tr")
    has_header = first.find_parent("thead") is not None or not first.find("td")
    return linearize_table(rows[0], rows[1:]) if has_header else linearize_table([], rows)


def _replace_html_tables(segment: str) -> str:
    from bs4 import BeautifulSoup

    def render(m: re.Match[str]) -> str:
        table = BeautifulSoup(m.group(0), "html.parser").find("table")
        return "\n\n" + "\n".join(_html_table_lines(table)) + "\n\n" if table else ""

    return _HTML_TABLE_RE.sub(render, segment)


def _strip_markup(segment: str) -> str:
    """Drop MDX imports and JSX/HTML tags (even across lines); titled components become headings."""
    segment = "\n".join(ln for ln in segment.split("\n") if not _MDX_IMPORT_RE.match(ln))
    segment = _replace_html_tables(segment)
    segment = _JSX_TITLE_RE.sub(lambda m: f"\n### {m.group(1)}\n", segment)
    # A closed block (a card's title paragraph, a list item) ends a paragraph: "API" and the
    # description under it must not run together into one sentence.
    segment = _BLOCK_END_RE.sub("\n\n", segment)
    return _TAG_RE.sub(" ", segment)


def _split_fences(body: str) -> list[tuple[bool, str]]:
    """Split text into (is_code, segment) runs on fenced code blocks."""
    runs: list[tuple[bool, list[str]]] = [(False, [])]
    fence: str | None = None
    for line in body.split("\n"):
        fm = _FENCE_RE.match(line)
        if fence is None and fm:
            fence = fm.group(2)
            runs.append((True, [line]))
        elif fence is not None:
            runs[-1][1].append(line)
            if fm and fm.group(2) == fence:
                fence = None
                runs.append((False, []))
        else:
            runs[-1][1].append(line)
    return [(code, "\n".join(lines)) for code, lines in runs if lines]


def markdown_to_text(body: str) -> str:
    """Clean Markdown/MDX to readable text, keeping headings (``#``), lists, tables and code."""
    out: list[str] = []
    for is_code, segment in _split_fences(_COMMENT_RE.sub("", body)):
        if is_code:
            out.append(segment)
            continue
        table: list[str] = []
        for raw in _strip_markup(segment).split("\n"):
            if raw.lstrip().startswith("|"):
                table.append(raw)
                continue
            if table:
                out.extend(_table_rows(table))
                table = []
            if re.fullmatch(r"\s*[{}()/>]*\s*", raw) and raw.strip():
                continue
            out.append(re.sub(r"[ \t]{2,}", " ", _inline(raw)).strip())
        if table:
            out.extend(_table_rows(table))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip()


def first_heading(text: str, level: int = 1) -> str:
    for line in text.splitlines():
        m = _HEADING_RE.match(line)
        if m and len(m.group(1)) == level:
            return m.group(2).strip()
    return ""


def load_markdown(raw: str, rel: PurePosixPath) -> tuple[DocMeta, list[Block]]:
    front, body = split_front_matter(raw)
    text = markdown_to_text(body)
    return build_meta(rel, front, first_heading(text)), [Block(text)]


def load_text(raw: str, rel: PurePosixPath) -> tuple[DocMeta, list[Block]]:
    text = raw.strip()
    title = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")[:120]
    return build_meta(rel, {}, title), [Block(text)]


# ---------------------------------------------------------------------------------------------
# HTML

_HTML_DROP = ("script", "style", "noscript", "nav", "footer", "header", "svg", "form", "template")


_HTML_DATE_META = ("updated", "last-modified", "date", "article:modified_time", "dcterms.modified")


def _html_updated(soup: Any) -> str:
    """The page's date from ``<meta name="updated" content="2026-11-20">`` and kin, or ""."""
    for meta in soup.find_all("meta"):
        key = str(meta.get("name") or meta.get("property") or "").strip().lower()
        value = str(meta.get("content") or "").strip()
        if key in _HTML_DATE_META and re.match(r"\d{4}-\d{2}-\d{2}", value):
            return value[:10]
    return ""


def html_to_text(html: str) -> tuple[str, str, str]:
    """Return (title, text with Markdown-style headings, updated date or "") of a page."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    updated = _html_updated(soup)
    for tag in soup(_HTML_DROP):
        if tag.name == "header" and tag.find("h1") is not None:
            continue  # the page's own title block (h1 and intro), not site chrome
        tag.decompose()
    root = soup.body or soup
    for table in root.find_all("table"):
        rows = soup.new_tag("div")
        for line in _html_table_lines(table):
            p = soup.new_tag("p")
            p.string = line
            rows.append(p)
        table.replace_with(rows)
    lines: list[str] = []
    blocks = ["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "pre", "dt", "dd", "blockquote"]
    for el in root.find_all(blocks):
        if el.find_parent(["li", "p", "pre", "blockquote", "dd"]) is not None:
            continue
        text = el.get_text("\n" if el.name == "pre" else " ", strip=el.name != "pre")
        text = re.sub(r"[ \t]+", " ", text) if el.name != "pre" else text
        if not text.strip():
            continue
        if el.name[0] == "h" and el.name[1:].isdigit():
            lines.append(f"\n{'#' * int(el.name[1])} {text}\n")
        elif el.name == "li":
            lines.append(f"- {text}")
        else:
            lines.append(f"{text}\n")
    return title, re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip(), updated


def load_html(raw: str, rel: PurePosixPath) -> tuple[DocMeta, list[Block]]:
    title, text, updated = html_to_text(raw)
    front = {"updated": updated} if updated else {}
    return build_meta(rel, front, title or first_heading(text)), [Block(text)]


# ---------------------------------------------------------------------------------------------
# PDF


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


# ---------------------------------------------------------------------------------------------


def load_file(path: Path, rel: PurePosixPath) -> tuple[Document, str | None]:
    """Load one file. Returns the document and an optional warning; raises ``IngestError``."""
    shown = str(rel)
    ext = path.suffix.lower()
    if ext not in SUPPORTED_EXTS:
        raise IngestError(shown, f"unsupported file type {ext or '(none)'}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(shown, f"cannot read file ({exc.strerror or exc})") from None
    if not data.strip():
        raise IngestError(shown, "empty file")
    warning = None
    try:
        if ext in PDF_EXTS:
            if not data.startswith(b"%PDF"):
                raise ValueError("not a PDF (missing %PDF header)")
            meta, blocks = load_pdf(data, rel)
        else:
            text, warning = _decode(data)
            if ext in MARKDOWN_EXTS:
                meta, blocks = load_markdown(text, rel)
            elif ext in HTML_EXTS:
                meta, blocks = load_html(text, rel)
            else:
                meta, blocks = load_text(text, rel)
    except ValueError as exc:
        raise IngestError(shown, str(exc)) from None
    if not any(b.text.strip() for b in blocks):
        raise IngestError(shown, "no text to index after removing markup")
    doc = Document(shown, meta, tuple(blocks), hashlib.sha256(data).hexdigest())
    return doc, warning


def discover(paths: Iterable[Path]) -> list[tuple[Path, PurePosixPath]]:
    """Expand folders to supported files, each with its path relative to the folder given.

    A file reached twice (overlapping arguments such as ``docs docs/a``, or a symlink to a
    file in the same tree) is listed once, preferring the entry that is not a symlink.
    """
    found: list[tuple[Path, PurePosixPath]] = []
    for root in paths:
        if root.is_dir():
            for p in sorted(root.rglob("*")):
                rel = p.relative_to(root)
                hidden = any(part.startswith((".", "_")) for part in rel.parts)
                if hidden or p.suffix.lower() not in SUPPORTED_EXTS:
                    continue
                if p.is_file() or p.is_symlink():
                    found.append((p, PurePosixPath(rel.as_posix())))
        elif root.exists() or root.is_symlink():
            found.append((root, PurePosixPath(root.name)))
        else:
            raise IngestError(str(root), "no such file or folder")
    chosen: dict[str, int] = {}
    for i, (path, _) in enumerate(found):
        key = str(path.resolve())
        if key not in chosen or (found[chosen[key]][0].is_symlink() and not path.is_symlink()):
            chosen[key] = i
    return [found[i] for i in sorted(chosen.values())]
