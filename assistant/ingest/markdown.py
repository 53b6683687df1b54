"""Markdown and MDX to readable text: front-matter split off, JSX/HTML tags, links and
emphasis stripped, tables linearised ("Row — Col: value"), headings and code kept."""

from __future__ import annotations

import html
import re
from typing import Any

from assistant.core.yamlfile import YAMLProblem, parse_yaml
from assistant.ingest.html import linearize_table, replace_html_tables

_FRONT_RE = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)
_FENCE_RE = re.compile(r"^(\s*)(```|~~~)")
_MDX_IMPORT_RE = re.compile(r"^\s*(import|export)\s.*$")
_COMMENT_RE = re.compile(r"<!--.*?-->|\{/\*.*?\*/\}", re.S)
_JSX_TITLE_RE = re.compile(r"<[A-Z][\w.]*\b[^>]*?\btitle=\"([^\"]+)\"[^>]*?(/?)>\s*")
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
_LINK_DEF_RE = re.compile(r"^ {0,3}\[[^\]]+\]:\s+\S+")  # [id]: https://... (reference links)
_HEADING_RE = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_QUOTE_MARK_RE = re.compile(r"^ {0,3}(?:> ?)+")  # blockquote markers: the quote is the text
_ANCHOR_RE = re.compile(r"\s*\{#[\w.:-]+\}")  # a heading's custom id: "## Hosting {#hosting}"
# A docs site's admonition: ":::tip Title" … ":::", or MkDocs' '!!! warning "Title"' over an
# indented body; its title leads the body, its type ("tip", "danger") is markup.
_ADMONITION_RE = re.compile(r'^\s*(?::{3,}|[!?]{3}\+?)\s*(?:\w+)?\s*(?:"([^"]*)"|(.*?))\s*$')


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """Return (front-matter dict, body). Malformed YAML raises ``ValueError``."""
    m = _FRONT_RE.match(text)
    if not m:
        return {}, text
    try:
        data = parse_yaml(m.group(1)) or {}
    except YAMLProblem as exc:
        where = f" (line {exc.line + 2})" if exc.line is not None else ""
        raise ValueError(f"malformed front-matter{where}: {exc.problem}") from None
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
    return html.unescape(line).replace("\xa0", " ")  # "&ldquo;DMs&rdquo;", "&mdash;", "&nbsp;"


def _table_rows(rows: list[str]) -> list[str]:
    cells = [[_inline(c.strip()) for c in r.strip().strip("|").split("|")] for r in rows]
    if len(cells) >= 2 and _TABLE_SEP_RE.match(rows[1]):
        return linearize_table(cells[0], cells[2:])
    return linearize_table([], cells)


def _strip_markup(segment: str) -> str:
    """Drop MDX imports and JSX/HTML tags (even across lines); a titled component's title
    leads its text."""
    segment = "\n".join(ln for ln in segment.split("\n") if not _MDX_IMPORT_RE.match(ln))
    segment = replace_html_tables(segment)
    segment = _JSX_TITLE_RE.sub(_titled, segment)
    # A closed block (a card's title paragraph, a list item) ends a paragraph: "API" and the
    # description under it must not run together into one sentence.
    segment = _BLOCK_END_RE.sub("\n\n", segment)
    # Links whose text wraps onto the next line ("[self-hosting\nthe server][install]").
    segment = _REFLINK_RE.sub(r"\1", _LINK_RE.sub(r"\1", segment))
    return _TAG_RE.sub(" ", segment)


def _titled(m: re.Match[str]) -> str:
    """A titled component (a callout, a tab) as its title leading its first paragraph,
    ``**Important.** Body``: not a heading, or the text after the box would fall under it."""
    title = m.group(1).strip().rstrip(".:!?")
    return f"\n\n{title}\n\n" if m.group(2) else f"\n\n**{title}.** "


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
            raw = _ANCHOR_RE.sub("", _QUOTE_MARK_RE.sub("", raw))
            if admonition := _ADMONITION_RE.match(raw):
                title = (admonition.group(1) or admonition.group(2) or "").strip()
                out.append(f"{title.rstrip('.:')}:" if title else "")
                continue
            if raw.lstrip().startswith("|"):
                table.append(raw)
                continue
            if table:
                out.extend(_table_rows(table))
                table = []
            if (re.fullmatch(r"\s*[{}()/>]*\s*", raw) and raw.strip()) or _LINK_DEF_RE.match(raw):
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
