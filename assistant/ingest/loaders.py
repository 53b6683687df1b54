"""Turn files into typed ``Document`` records: Markdown/MDX, text, PDF and HTML.

Every failure is an ``IngestError(path, reason)`` with a one-line reason; nothing here writes.
"""

from __future__ import annotations

import hashlib
import re
import stat
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath

from assistant.core.errors import IngestError
from assistant.core.records import Block, DocMeta, Document
from assistant.ingest.html import html_to_text
from assistant.ingest.markdown import first_heading, markdown_to_text, split_front_matter
from assistant.ingest.meta import build_meta, modified_date
from assistant.ingest.pdf import load_pdf, pdf_text
from assistant.ingest.templating import drop_markers, inline_includes, strip_template_tags

MARKDOWN_EXTS = {".md", ".markdown", ".mdx"}
TEXT_EXTS = {".txt"}
HTML_EXTS = {".html", ".htm"}
PDF_EXTS = {".pdf"}
SUPPORTED_EXTS = MARKDOWN_EXTS | TEXT_EXTS | HTML_EXTS | PDF_EXTS
PROPERTY_LINES = 12  # the top lines of a page where an export lists its properties
_PROPERTY_RE = re.compile(r"^\s*(?P<key>[A-Za-z][\w ]{0,30}):\s+(?P<value>\S.*)$")
# Properties a wiki or database export lists under a page's title: facts about the page, not
# its content ("Owner: Dana", "Status: Approved", "Last edited time: …").
_PAGE_PROPERTIES = {
    "owner", "status", "tags", "created", "created by", "created time", "last edited",
    "last edited time", "last edited by", "last updated", "updated", "assignee", "author",
    "reviewer", "verified", "verification", "date", "type", "category", "priority",
    "persona", "personas", "competitor", "audience", "visibility",
}  # fmt: skip


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


def load_markdown(raw: str, rel: PurePosixPath) -> tuple[DocMeta, list[Block]]:
    front, body = split_front_matter(raw)
    template_title = ""
    if "{%" in body:  # a site generator's template (Jinja, Liquid), not plain Markdown
        body, template_title = strip_template_tags(body)
    text = markdown_to_text(drop_markers(body))
    hints: dict[str, str] = {}
    # An export's properties under the title ("Last edited time: March 4, 2025").
    head = [ln for ln in text.splitlines() if ln.strip()][:PROPERTY_LINES]
    head = [ln for ln in head if _PROPERTY_RE.match(ln)]  # "Key: value", not prose
    if found := next((d for ln in head if (d := modified_date(ln))), ""):
        hints["updated"] = found
    text, properties = _without_properties(text)
    rival = properties.get("competitor", "")
    if rival and "," not in rival:  # one rival, not a list of them
        hints["competitor"] = rival
    if "internal" in f"{properties.get('audience')} {properties.get('visibility')}".lower():
        hints["audience"] = "internal"
    front = {**hints, **front}  # the page's own front-matter wins
    return build_meta(rel, front, first_heading(text) or template_title), [Block(text)]


def _without_properties(text: str) -> tuple[str, dict[str, str]]:
    """The page without the properties an export lists under its title ("Owner: Dana",
    "Last edited time: March 4, 2025", "Status: Approved"), and those properties by key. Only
    a run of two or more "Key: value" lines among the top lines, with at least one such key,
    counts; a property that reads as content ("Response: …", "Price: $11") stays in the text."""
    lines = text.splitlines()
    run: dict[int, tuple[str, str]] = {}
    for i in [i for i, ln in enumerate(lines) if ln.strip()][:PROPERTY_LINES]:
        if m := _PROPERTY_RE.match(lines[i]):
            run[i] = (m["key"].strip().lower(), m["value"].strip())
        elif run or not lines[i].lstrip().startswith("#"):
            break  # the properties come first, under the title only
    known = {i: kv for i, kv in run.items() if kv[0] in _PAGE_PROPERTIES}
    if len(run) < 2 or not known:
        return text, {}
    kept = "\n".join(ln for i, ln in enumerate(lines) if i not in known)
    return kept, dict(known.values())


def load_text(raw: str, rel: PurePosixPath) -> tuple[DocMeta, list[Block]]:
    text = raw.strip()
    title = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")[:120]
    return build_meta(rel, {}, title), [Block(text)]


def load_html(raw: str, rel: PurePosixPath) -> tuple[DocMeta, list[Block]]:
    raw, template_title = strip_template_tags(raw)
    title, text, updated, internal = html_to_text(raw)
    front: dict[str, str] = {"updated": updated} if updated else {}
    if internal:  # a page under "Internal - Sales team only"
        front["audience"] = "internal"
    title = title or template_title or first_heading(text)
    return build_meta(rel, front, title), [Block(text)]


def _root(path: Path, rel: PurePosixPath) -> Path:
    """The folder that was ingested: ``path`` minus its relative source name."""
    return path.parents[len(rel.parts) - 1] if len(rel.parts) > 1 else path.parent


def source_digest(path: Path, rel: PurePosixPath, data: bytes | None = None) -> str:
    """SHA-256 of the file and of every file its include macros pull in, so an edited
    fragment re-ingests the pages that include it."""
    data = path.read_bytes() if data is None else data
    digest = hashlib.sha256(data)
    if path.suffix.lower() in MARKDOWN_EXTS | HTML_EXTS and b"{!" in data:
        _, included = inline_includes(data.decode("utf-8", "replace"), path, _root(path, rel))
        for part in included:
            digest.update(part.read_bytes())
    return digest.hexdigest()


def check_file(
    path: Path, rel: PurePosixPath, max_bytes: int, roots: Sequence[Path] | None = None
) -> None:
    """Refuse, before reading a byte, what must not be read: anything but a regular file (a
    device such as /dev/zero, a pipe, a socket), a file over ``max_bytes``, and, when
    ``roots`` are given, a file (or the target of a symlink) outside them."""
    shown = str(rel)
    try:
        info = path.stat()
    except OSError as exc:
        raise IngestError(shown, f"cannot read file ({exc.strerror or exc})") from None
    if not stat.S_ISREG(info.st_mode):
        raise IngestError(shown, "not a regular file (a device, a pipe or a socket)")
    if roots is not None and not any(path.resolve().is_relative_to(r) for r in roots):
        raise IngestError(shown, "outside the folders this server may read (a symlink out?)")
    if info.st_size > max_bytes:
        raise IngestError(
            shown,
            f"{info.st_size / 1024 / 1024:,.0f} MB, over the {max_bytes / 1024 / 1024:g} MB "
            "limit per file (PITCHCRAFT_MAX_FILE_MB)",
        )


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
            text, _ = inline_includes(text, path, _root(path, rel))
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
    doc = Document(shown, meta, tuple(blocks), source_digest(path, rel, data))
    return doc, warning


def discover(paths: Iterable[Path]) -> list[tuple[Path, PurePosixPath]]:
    """Expand folders to supported files, each with its path relative to the folder given
    (see ``scan``)."""
    return scan(paths)[0]


def scan(paths: Iterable[Path]) -> tuple[list[tuple[Path, PurePosixPath]], list[str]]:
    """Expand folders to supported files, each with its path relative to the folder given,
    and list the files of types not read (a ``.docx``, a spreadsheet, an image) by that path.

    A file reached twice (overlapping arguments such as ``docs docs/a``, or a symlink to a
    file in the same tree) is listed once, preferring the entry that is not a symlink.
    """
    found: list[tuple[Path, PurePosixPath]] = []
    unread: list[str] = []
    for root in paths:
        if root.is_dir():
            for p, rel in _files(root):
                if p.suffix.lower() in SUPPORTED_EXTS:
                    found.append((p, rel))
                else:
                    unread.append(str(rel))
        elif root.exists() or root.is_symlink():
            found.append((root, PurePosixPath(root.name)))
        else:
            raise IngestError(str(root), "no such file or folder")
    chosen: dict[str, int] = {}
    for i, (path, _) in enumerate(found):
        key = str(path.resolve())
        if key not in chosen or (found[chosen[key]][0].is_symlink() and not path.is_symlink()):
            chosen[key] = i
    return [found[i] for i in sorted(chosen.values())], unread


def _files(root: Path) -> list[tuple[Path, PurePosixPath]]:
    """A folder's files (and symlinks), with their paths relative to it, hidden ones left out
    (a name starting with "." or "_" anywhere on the path)."""
    out = []
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root)
        hidden = any(part.startswith((".", "_")) for part in rel.parts)
        if not hidden and (p.is_file() or p.is_symlink()):
            out.append((p, PurePosixPath(rel.as_posix())))
    return out


def raw_text(path: Path) -> str:
    """A file's text as a plain RAG recipe reads it: PDF text layers, other files as UTF-8."""
    data = path.read_bytes()
    if path.suffix.lower() in PDF_EXTS:
        return pdf_text(data)
    return data.decode("utf-8", errors="replace")
