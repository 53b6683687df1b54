"""Source files of websites and docs generators read as the pages they produce: template tags
(Jinja, Django, Liquid) removed with their translated strings kept, include macros of docs
sites replaced by the included file, and generator markers (``{start_tabs}``) dropped."""

from __future__ import annotations

import re
from pathlib import Path

_COMMENT_BLOCK_RE = re.compile(
    r"\{%-?\s*comment\s*-?%\}.*?\{%-?\s*endcomment\s*-?%\}|\{#.*?#\}", re.S
)
_TITLE_RE = re.compile(
    r"\{%-?\s*set\s+(?:PAGE_TITLE|page_title|title)\s*=\s*(['\"])(.+?)\1\s*-?%\}", re.S
)
_TRANSLATED_RE = re.compile(r"\{\{-?\s*_\(\s*(['\"])(.*?)\1\s*\)\s*-?\}\}", re.S)
_TAG_RE = re.compile(r"\{%.*?%\}|\{\{.*?\}\}", re.S)
# ``{!include.md!}`` (Python-Markdown include macros, used by several docs sites)
_INCLUDE_RE = re.compile(r"\{!\s*([\w./-]+?)\s*!\}")
# A line that is only a generator marker: ``{start_tabs}``, ``{tab|desktop}``, ``{end_tabs}``.
_MARKER_LINE_RE = re.compile(r"^[ \t]*\{[a-z_]+(?:\|[^{}\n]*)?\}[ \t]*$", re.M)
INCLUDE_FOLDERS = ("", "include", "includes", "_includes", "partials", "snippets")
MAX_DEPTH = 3
MAX_INCLUDE_BYTES = 1024 * 1024  # a fragment, not a document


def strip_template_tags(text: str) -> tuple[str, str]:
    """(text without template tags, the page title a ``{% set PAGE_TITLE = ... %}`` gives)."""
    if "{%" not in text and "{{" not in text and "{#" not in text:
        return text, ""
    title = m.group(2).strip() if (m := _TITLE_RE.search(text)) else ""
    text = _COMMENT_BLOCK_RE.sub("", text)
    text = _TITLE_RE.sub("", text)
    text = _TRANSLATED_RE.sub(lambda m: m.group(2), text)
    return _TAG_RE.sub("", text), " ".join(title.split())


def drop_markers(text: str) -> str:
    return _MARKER_LINE_RE.sub("", text)


def _find(name: str, folder: Path, root: Path) -> Path | None:
    """The included file: only a regular file of fragment size inside the ingested folder
    (no ``..``, no symlink out, no device), so a page cannot pull in what ingest may not read."""
    inside = root.resolve()

    def usable(candidate: Path) -> bool:
        return (
            candidate.is_file()
            and candidate.resolve().is_relative_to(inside)
            and candidate.stat().st_size <= MAX_INCLUDE_BYTES
        )

    for sub in INCLUDE_FOLDERS:
        if usable(candidate := folder / sub / name):
            return candidate
    matches = sorted(root.rglob(Path(name).name)) if root.is_dir() else []
    return next((m for m in matches if usable(m)), None)


def inline_includes(text: str, path: Path, root: Path, depth: int = 0) -> tuple[str, list[Path]]:
    """``text`` with each include macro replaced by the included file (searched beside
    ``path``, in an include folder there, then anywhere under ``root``); unknown ones are
    dropped. Returns the text and the files it used."""
    used: list[Path] = []

    def replace(m: re.Match[str]) -> str:
        found = _find(m.group(1), path.parent, root) if depth < MAX_DEPTH else None
        if found is None or found.resolve() == path.resolve():
            return ""
        try:
            inner = found.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        inner, more = inline_includes(inner, found, root, depth + 1)
        used.extend([found, *more])
        return inner

    return _INCLUDE_RE.sub(replace, text), used
