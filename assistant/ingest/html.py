"""HTML to text with Markdown-style headings (the only ``bs4`` import): site chrome dropped,
tables linearised, the page's date read from its meta tags or its "last modified" line."""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from assistant.ingest.meta import INTERNAL_LABEL_RE, modified_date

_HTML_TABLE_RE = re.compile(r"<table\b.*?</table\s*>", re.S | re.I)


def linearize_table(header: list[str], body: list[list[str]]) -> list[str]:
    """One line per row, ``Row label — Col A: x; Col B: y``, so no cell loses its column. A
    row longer than the header (a notes column with no heading) keeps its extra cells bare."""
    out = []
    for row in body:
        if header and len(header) < len(row):
            header = header + [""] * (len(row) - len(header))
        if header and len(header) == len(row) and len(row) > 1:
            pairs = [f"{h}: {c}" if h else c for h, c in zip(header[1:], row[1:], strict=True) if c]
            label = row[0] or header[0]
            out.append(f"{label} — " + "; ".join(pairs) if label else "; ".join(pairs))
        else:
            out.append(" | ".join(c for c in row if c))
    return [line for line in out if line.strip(" —|;")]


# Comparison tables often draw a tick or a cross with CSS or an icon instead of text.
_YES = frozenset({"yes", "check", "checked", "checkmark", "tick", "true", "included", "supported"})
_NO = frozenset(
    {"no", "cross", "false", "none", "unsupported", "unavailable", "not-included", "error", "x"}
)


def _cell_text(cell: Any) -> str:
    """A cell's text; an empty cell marked as a tick or a cross (class, label, icon) reads
    "yes" or "no"."""
    text = cell.get_text(" ", strip=True)
    if text:
        return text
    for el in [cell, *cell.find_all(True)]:
        label = (el.get("aria-label") or el.get("title") or el.get("alt") or "").strip()
        word = label.strip("()").lower()  # a wiki's emoticon: alt="(tick)", alt="(error)"
        if word in _YES | _NO:
            return "yes" if word in _YES else "no"
        if label:
            return label
        words = {w.lower() for w in el.get("class") or ()}
        if words & _YES:
            return "yes"
        if words & _NO:
            return "no"
    return ""


def _all_bold(row: Any, bold: frozenset[str]) -> bool:
    """Every word of a row set in bold: ``<b>``/``<strong>`` or a class its style makes bold
    (a word processor's export)."""
    words = [t for t in row.find_all(string=True) if t.strip()]

    def heavy(t: Any) -> bool:
        return any(
            p.name in ("b", "strong", "th") or bold & set(p.get("class") or ())
            for p in t.parents
            if p is not row
        )

    return bool(words) and all(heavy(t) for t in words)


def html_table_lines(table: Any, bold: frozenset[str] = frozenset()) -> list[str]:
    """A table's rows, linearised; its first row is the header when it sits in ``<thead>``,
    is all ``<th>``, or is all bold over a body that is not (``bold``: the classes the page's
    style sets in bold)."""
    trs = table.find_all("tr")
    rows = [[_cell_text(c) for c in tr.find_all(["td", "th"])] for tr in trs]
    if not rows:
        return []
    first = trs[0]
    has_header = (
        first.find_parent("thead") is not None
        or not first.find("td")
        or (len(trs) > 1 and _all_bold(first, bold) and not _all_bold(trs[1], bold))
        or _names_columns(rows)
    )
    return linearize_table(rows[0], rows[1:]) if has_header else linearize_table([], rows)


def _names_columns(rows: list[list[str]]) -> bool:
    """A first row of short labels ("Objection | Response", "Them | Us") over rows of far
    longer cells: a header set as an ordinary row."""
    head, body = rows[0], [c for r in rows[1:] for c in r if c]
    if len(head) < 2 or len(rows) < 3 or not body:
        return False
    if any(not c or len(c.split()) > 4 or re.search(r"\d|[.!?]$", c) for c in head):
        return False
    mean = sum(len(c.split()) for c in body) / len(body)
    return mean >= 3 * sum(len(c.split()) for c in head) / len(head)


_BOLD_CLASS_RE = re.compile(r"\.([\w-]+)\s*\{[^}]*font-weight:\s*(?:bold|[6-9]00)")


def _bold_classes(soup: Any) -> frozenset[str]:
    return frozenset(
        m.group(1) for style in soup.find_all("style") for m in _BOLD_CLASS_RE.finditer(style.text)
    )


def replace_html_tables(segment: str) -> str:
    from bs4 import BeautifulSoup

    def render(m: re.Match[str]) -> str:
        table = BeautifulSoup(m.group(0), "html.parser").find("table")
        return "\n\n" + "\n".join(html_table_lines(table)) + "\n\n" if table else ""

    return _HTML_TABLE_RE.sub(render, segment)


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


# Chrome a wiki or docs site marks by id, class or role rather than by tag: breadcrumbs, a
# sidebar or table of contents, a footer, a page's "created by … last modified on" line.
_CHROME_RE = re.compile(
    r"^(?:site-|page-|main-|global-)?(?:breadcrumbs?|footer|sidebar|toc|metadata)(?:-macro)?$",
    re.I,
)
_CHROME_ROLES = ("navigation", "contentinfo", "banner", "complementary")


def _chrome(el: Any) -> bool:
    names = [str(el.get("id") or ""), *(el.get("class") or [])]
    return str(el.get("role") or "") in _CHROME_ROLES or any(_CHROME_RE.match(n) for n in names)


def _mostly_links(el: Any) -> bool:
    """A box whose words are mostly link or button labels."""
    words = len(el.get_text(" ", strip=True).split())
    linked = sum(len(a.get_text(" ", strip=True).split()) for a in el.find_all(["a", "button"]))
    return words > 0 and linked >= 0.5 * words


class HtmlPage(NamedTuple):
    title: str
    text: str  # Markdown-style headings
    updated: str  # the page's date, or ""
    internal: bool  # its breadcrumbs or a panel title mark it internal ("Internal - Sales")


# A wiki's space before each page title ("Sales Enablement : Pricing"): not the page's name.
_SPACE_PREFIX_RE = re.compile(r"^[^:\n]{1,60}?\s:\s+(?=\S)")


def _letters(text: str) -> str:
    return re.sub(r"\W+", "", text).lower()


def _drop_doc_comments(soup: Any) -> None:
    """A word processor's review comments ("[a] Marketing wants to say 97%") are nobody's
    content: their markers and bodies go. A footnote's marker goes, its text stays."""
    for a in soup.find_all("a", href=re.compile(r"^#(?:cmnt|ftnt|ftnt_ref)\d")):
        (a.parent if a.parent.name == "sup" else a).decompose()
    for a in soup.find_all("a", id=re.compile(r"^cmnt\d")):
        if a.decomposed:
            continue
        box = a.find_parent("div") or a.find_parent("p")
        (box or a).decompose()


def html_to_text(html: str) -> HtmlPage:
    """The title, text, date and internal mark of a page."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    raw_title, title = title, _SPACE_PREFIX_RE.sub("", title)
    updated = _html_updated(soup)
    bold = _bold_classes(soup)
    internal = False
    for tag in soup(_HTML_DROP):
        if tag.name == "header" and tag.find("h1") is not None:
            continue  # the page's own title block (h1 and intro), not site chrome
        tag.decompose()
    for tag in soup.find_all(_chrome):
        if tag.decomposed:
            continue  # inside chrome already dropped
        said = tag.get_text(" ", strip=True)
        updated = updated or modified_date(said)
        internal = internal or any(INTERNAL_LABEL_RE.search(a.get_text()) for a in tag("a"))
        tag.decompose()
    _drop_doc_comments(soup)
    named = soup.find("p", class_="title")
    if named is not None and named.parent is soup.body:  # a word processor's title (not a box's)
        said = named.get_text(" ", strip=True)
        if not title or _letters(said) == _letters(title):
            title = title or said
            named.decompose()
    for subtitle in soup.find_all("p", class_="subtitle"):  # "Updated May 2025"
        updated = updated or modified_date(subtitle.get_text(" ", strip=True))
    root = soup.body or soup
    for table in root.find_all("table"):
        rows = soup.new_tag("div")
        for line in html_table_lines(table, bold):
            p = soup.new_tag("p")
            p.string = line
            rows.append(p)
        table.replace_with(rows)
    lines: list[str] = []
    blocks = ["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "pre", "dt", "dd", "blockquote"]
    for el in root.find_all([*blocks, "div"]):
        if el.find_parent(["li", "p", "pre", "blockquote", "dd"]) is not None:
            continue
        if el.name == "div" and el.find([*blocks, "div", "ul", "ol", "dl"]) is not None:
            continue  # a layout box: its blocks speak for themselves; a leaf box is text
        if el.name == "div" and _mostly_links(el):
            continue  # a menu or a row of buttons
        text = el.get_text("\n" if el.name == "pre" else " ", strip=el.name != "pre")
        if el.name != "pre":  # "6<span>.67</span>" is 6.67; "<a>API</a>, and" is "API, and"
            text = re.sub(r"(\d) (?=[.,]\d)", r"\1", " ".join(text.split()))
            text = re.sub(r"(?<=\() | (?=[,;:!?)])| (?=\.(?:\s|$))", "", text)
        if not text.strip():
            continue
        if el.name[0] == "h" and el.name[1:].isdigit():
            text = title if _letters(text) == _letters(raw_title) else text
            lines.append(f"\n{'#' * int(el.name[1])} {text}\n")
        elif el.name == "li":
            lines.append(f"- {text}")
        else:
            lines.append(f"{text}\n")
    return HtmlPage(title, re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip(), updated, internal)
