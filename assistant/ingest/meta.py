"""Document metadata: front-matter first, folder and file-name conventions as the fallback
(see docs/knowledge-conventions.md), validated into a ``DocMeta``."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import PurePosixPath
from typing import Any

from assistant.core.records import AUDIENCES, COMPETITIVE_TYPES, DOC_TYPES, STORY_WORDS, DocMeta
from assistant.core.text import plain_name
from assistant.understand.market import NAME_PATTERN, versus_pairs

# Words that keep a document, a section or a passage from customers, in any of its text:
# "INTERNAL - do not share with customers", "Internal only", "[Internal] Pricing guide".
INTERNAL_LABEL_RE = re.compile(
    r"(?i)\binternal[ -](?:use[ -])?only\b|\bfor internal use\b|^\W*internal\W*$"
    r"|^\W*\[?internal\]?\s*[-–—:|\]]|\(internal\)|^\s*[🔒🔐]"  # a locked callout
    r"|\b(?:do not|don'?t|never) (?:share|repeat|forward|distribute|send|show|quote)\b[^.\n]{0,30}"
    r"\b(?:customers?|prospects?|clients?|buyers?|externally|outside)\b"
    r"|\bnot (?:approved )?for (?:external|customer|public)\b|\bkeep (?:this|it) between us\b"
    r"|\bdeal desk\b"  # who approves a discount is the sales team's business
    r"|^\s*(?:attendees|participants)\s*:",  # a meeting's notes
    re.M,
)

# Folder (or file-name) conventions, checked in order; the first match sets doc_type.
_FOLDER_TYPES: tuple[tuple[str, frozenset[str]], ...] = (
    ("battlecard", frozenset({"battlecards", "battlecard", "competitors", "competitive"})),
    ("comparison", frozenset({"comparisons", "comparison", "compare", "versus", "vs"})),
    ("case_study", frozenset({"case-studies", "casestudies", "customer-stories", "customers"})),
    ("pricing", frozenset({"pricing", "packaging"})),
    ("internal", frozenset({"internal", "handbook", "sales", "playbooks", "enablement"})),
    ("security", frozenset({"security", "privacy", "compliance", "trust", "legal"})),
    ("product", frozenset({"products", "product", "docs", "features", "modules"})),
)
# A page its team has retired ("OLD - 2022 pricing - do not use", "Pricing (superseded)"):
# never said to a buyer.
_RETIRED_RE = re.compile(
    r"(?im)\bdo not use\b|\b(?:superseded|obsolete|outdated)\b|^\W*old\s*[-–—:_]|\(archived\)"
)
_STEM_TYPES = ("pricing", "security")  # a file named so is that page
_VS_RE = re.compile(r"^(?P<us>[a-z0-9]+(?:-[a-z0-9]+)*?)-vs-(?P<them>[a-z0-9-]+)$")
# A title naming a battlecard and its rival: "Tallyhq battlecard", "Competitive analysis:
# Tallyhq" (the name capitalised, the rest in any case).
_CARD = (
    r"(?i:battle ?cards?|competitive (?:analysis|brief|overview|intel(?:ligence)?|profile)"
    r"|competitor (?:profile|overview|brief|analysis))"
)
_STORY_TITLE_RE = re.compile(rf"(?i)\b(?:{STORY_WORDS})\b")
_CARD_TITLE_RE = re.compile(
    rf"^\s*(?:(?P<a>{NAME_PATTERN})\s*[-–—:|]?\s*{_CARD}"
    rf"|(?:{_CARD}|(?i:competitive|competitor))\s*(?:[-–—:|]|(?i:for|on|against|vs\.?))"
    rf"\s*(?P<b>{NAME_PATTERN}))\s*$"
)


def humanize(slug: str) -> str:
    """``session-replay`` → ``Session Replay``."""
    words = re.split(r"[-_\s]+", slug.strip())
    return " ".join(w if w.isupper() else w.capitalize() for w in words if w)


# ---------------------------------------------------------------------------------------------
# Metadata


def infer_meta(rel: PurePosixPath) -> dict[str, Any]:
    """Metadata from folder and file names, the fallback when front-matter says nothing."""
    names_as_given = [plain_name(p) for p in rel.parts[:-1]]  # ``docs/SSO/`` stays "SSO"
    parts = [re.sub(r"[\s_]+", "-", p.lower()) for p in names_as_given]  # "Customer Stories"
    stem = plain_name(rel.stem)
    out: dict[str, Any] = {"doc_type": "general", "product": "", "competitor": ""}
    vs = _VS_RE.match(stem.lower())
    if vs:
        them = stem[len(stem) - len(vs["them"]) :]
        out.update(doc_type="comparison", competitor=humanize(them))
    else:
        named = re.sub(r"[\s_]+", "-", stem.lower())  # a site's "pricing.mdx", "security.md"
        for doc_type, names in _FOLDER_TYPES:
            hit = next((i for i, p in enumerate(parts) if p in names), None)
            if hit is None and named in names and doc_type in _STEM_TYPES:
                hit = len(parts)
            if hit is None:
                continue
            out["doc_type"] = doc_type
            if doc_type in COMPETITIVE_TYPES:
                out["competitor"] = _rival_named(stem)
            elif doc_type == "product":
                below = names_as_given[hit + 1 :]
                out["product"] = humanize(below[0] if below else stem)
            break
    out["audience"] = "internal" if out["doc_type"] == "internal" else "customer-safe"
    return out


_SELF_WORDS = {"us", "we", "our", "ours"}
_CARD_WORDS_RE = re.compile(  # what a file name says besides the rival's name
    rf"^(?:{_CARD}|(?i:comparison|competitive|competitor))\b[\s:–—-]*"
    rf"|[\s:–—-]*\b(?:{_CARD}|(?i:comparison|profile|overview|brief))$"
)


def _as_titled(title: str, name: str) -> str:
    """The rival a file name gives, as the title spells it, in full: "parsnet.md" titled
    "Us vs Parsnet Cloud" is Parsnet Cloud."""
    name = spelled_as_in(title, name)
    sides = [side for pair in versus_pairs(title) for side in pair]
    return next((s for s in sides if name and s.lower().startswith(name.lower())), name)


def _rival_named(stem: str) -> str:
    """The rival a competitive page's file name names: "Vexmoor vs Us" → Vexmoor, "Quintarra
    comparison" → Quintarra; a name with two rivals stays whole for the market to read."""
    sides = [x for x in re.split(r"(?i)\s+vs\.?\s+", stem) if x.strip()]
    theirs = [x for x in sides if x.strip().lower() not in _SELF_WORDS]
    name = theirs[0] if len(theirs) == 1 else stem
    return humanize(_CARD_WORDS_RE.sub("", name).strip() or name)


def spelled_as_in(text: str, name: str) -> str:
    """How ``text`` spells ``name``, ignoring case, spaces and hyphens; else ``name``.

    A file name is lower-case (``acme-vs-globex``), so a competitor inferred from it
    takes its spelling from the document title ("Acme vs GlobeX").
    """
    letters = re.sub(r"[^0-9a-z]", "", name.lower())
    if not letters or not text:
        return name
    pattern = r"(?<![0-9A-Za-z])" + r"[\s-]?".join(map(re.escape, letters)) + r"(?![0-9A-Za-z])"
    m = re.search(pattern, text, re.I)
    return m.group(0) if m else name


_MODIFIED_RE = re.compile(
    r"\b(?:last )?(?:modified|updated|edited)(?: time)?\b.{0,80}?(?:\bon\s+|:\s*|\s+)"
    r"([A-Z][a-z]{2,8}\.? \d{1,2},? \d{4}|\d{1,2} [A-Z][a-z]{2,8}\.? \d{4}|\d{4}-\d{2}-\d{2}"
    r"|[A-Z][a-z]{2,8}\.? \d{4})",  # ... or "Updated June 2025"
    re.S | re.I,
)
_DATE_FORMATS = ("%b %d %Y", "%B %d %Y", "%d %b %Y", "%d %B %Y", "%Y-%m-%d", "%B %Y", "%b %Y")


def modified_date(text: str) -> str:
    """``2025-03-04`` from a page's own "last modified by Jo on Mar 04, 2025" or "Last edited
    time: March 4, 2025" line (a wiki's page metadata, a Notion property, a sheet's "Updated
    June 2025", taken as its first day), or ""."""
    m = _MODIFIED_RE.search(text)
    if not m:
        return ""
    stamp = m.group(1).replace(".", "").replace(",", "")
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(stamp, fmt).date().isoformat()
        except ValueError:
            continue
    return ""


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
    stem = plain_name(rel.stem)
    named = f"{front.get('title') or title}\n{stem}"
    labelled = INTERNAL_LABEL_RE.search(named) or _RETIRED_RE.search(named)
    if labelled and not front.get("audience"):
        audience = "internal"  # "INTERNAL - Pricing guide.pdf", "Sales playbook (Internal)"
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
    if not front.get("audience") and audience == "internal" and not labelled:
        extra["audience_from"] = "folder"  # a hint the passage's content may overrule
    title = str(front.get("title") or title or humanize(stem))
    competitor = str(front.get("competitor") or _as_titled(title, inferred["competitor"]))
    card = _CARD_TITLE_RE.match(title)
    if card and not front.get("doc_type") and doc_type not in COMPETITIVE_TYPES:
        doc_type = "battlecard"
        if not competitor:
            competitor, extra["competitor_from"] = card["a"] or card["b"], "title"
    elif doc_type == "general" and _STORY_TITLE_RE.search(f"{title}\n{stem}"):
        doc_type = "case_study"  # "Northwind customer story" in a flat folder of exports
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
