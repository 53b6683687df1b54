"""The feature catalog: what the product does, feature by feature, with the evidence behind it.

Built at ingest. The preferred shape is the conventions' one (``## Feature`` with
``### Technical detail`` and ``### Business outcomes``); a product page without it (e.g. plain
docs) becomes one feature per page, its facts classified as technical or business by
vocabulary. Without spec-shaped pages, features are read from whatever describes the product
(passages with the capability, outcome, security or pricing role; few legal or company ones),
never from pages that compare the vendor with a competitor: a page about one thing is one
feature named by its title; a page that lists capabilities (a features page, a landing page,
a positioning or value-driver page: several short sections with their own names) gives one
feature per section, named by its heading. Features with the same name on several pages are
one feature with the facts of all of them.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath

from assistant.core.conventions import Conventions
from assistant.core.records import COMPETITIVE_TYPES, Chunk
from assistant.core.text import normalize, plain_name
from assistant.index.lexical import STOPWORDS, tokenize
from assistant.understand.market import flat, strip_name, versus_pairs
from assistant.understand.qa import responds

MIN_WORDS = 6
Classifier = Callable[[str], str]  # shorter "sentences" are labels or fragments, not facts
CAPABILITY_ROLES = ("capability", "outcome", "security", "pricing")  # what it does
NOT_FEATURE_ROLES = ("legal", "company")  # terms, policies, jobs, the team: never a feature
# A page without front-matter is a feature when this share of its passages describe what the
# product does and less than the other share are legal or about the company. Set by hand on
# the two development corpora and the sample together (the features `pitchcraft map` lists).
MIN_CAPABILITY_SHARE, MAX_ASIDE_SHARE = 0.4, 0.25
# A page lists capabilities when this many of its sections have names of their own and hold
# this share of its facts; a name is at most this many words (longer headings are sentences).
MIN_LISTED, LISTED_SHARE, MAX_NAME_WORDS = 3, 0.5, 8
MAX_PAGE_NAME_WORDS = 5  # a listing page's title that is a feature too ("Session Replay")


@dataclass(frozen=True)
class Fact:
    """One sentence about a feature; ``kind`` is technical, business or summary."""

    text: str
    kind: str
    chunk_id: str


@dataclass
class Feature:
    name: str
    module: str
    source: str
    summary: str
    facts: list[Fact] = field(default_factory=list)
    personas: tuple[str, ...] = ()

    @property
    def chunk_ids(self) -> list[str]:
        return sorted({f.chunk_id for f in self.facts})

    def display_module(self, vendor: str) -> str:
        """The module name, or the vendor's when the feature is named after its module."""
        return vendor if normalize(self.module) == normalize(self.name) else self.module

    @property
    def key(self) -> str:
        return f"{self.module} / {self.name}"

    def text(self) -> str:
        return " ".join([self.name, self.summary, *(f.text for f in self.facts)])

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "module": self.module,
            "source": self.source,
            "summary": self.summary,
            "technical": [f.text for f in self.facts if f.kind == "technical"],
            "outcomes": [f.text for f in self.facts if f.kind == "business"],
            "evidence": self.chunk_ids,
        }


def is_fact(sentence: str) -> bool:
    return len(sentence.split()) >= MIN_WORDS and not sentence.rstrip().endswith((":", "?"))


def _kind_of(heading_tail: str, conventions: Conventions) -> str | None:
    tail = heading_tail.strip().lower()
    if tail in conventions.sections["technical_detail"]:
        return "technical"
    if tail in conventions.sections["business_outcomes"]:
        return "business"
    return None


def _add(
    feature: Feature, chunk: Chunk, kind: str, seen: set[str], classify: Classifier | None = None
) -> None:
    """The chunk's facts, once each; ``classify`` labels those of kind "summary"."""
    for sent in chunk.sentences():
        key = normalize(sent)
        if key in seen or not is_fact(sent):
            continue
        seen.add(key)
        label = classify(sent) if classify and kind == "summary" else kind
        feature.facts.append(Fact(sent, label, chunk.id))


def build_catalog(
    chunks: Iterable[Chunk],
    conventions: Conventions,
    classify: Classifier | None = None,
    comparisons: Collection[str] = (),
    vendor: str = "",
) -> list[Feature]:
    """Features from the product documents among ``chunks`` (in manifest order).

    ``classify(sentence) -> "technical" | "business"`` labels facts of pages without the
    conventions' subsections; without it they are labelled "summary". ``comparisons`` are
    the pages that compare the vendor with a competitor: their angle, never a feature.
    ``vendor`` names the selling company ("Acme for teams" is a page, not a feature).
    """
    chunks = [c for c in chunks if not c.internal and not _HOUSEKEEPING_RE.match(_stem(c.source))]
    by_source: dict[str, list[Chunk]] = defaultdict(list)
    for c in chunks:
        if c.meta.doc_type == "product":
            by_source[c.source].append(c)
    specs = [
        f
        for source, doc_chunks in by_source.items()
        if any(_kind_of(c.heading.split(" > ")[-1], conventions) for c in doc_chunks)
        for f in _structured(source, doc_chunks, conventions)
        if f.facts
    ]
    # Spec-shaped pages give their features; the other product pages theirs, page by page.
    for source in {f.source for f in specs}:
        del by_source[source]
    pages: dict[str, list[Chunk]] = defaultdict(list)
    if not specs:  # no spec-shaped page: whatever other pages describe a capability too
        for c in chunks:
            if (
                c.meta.doc_type not in ("product", "case_study", *COMPETITIVE_TYPES)
                and c.source not in comparisons
            ):
                pages[c.source].append(c)
    for source, page in pages.items():
        describing = [
            c
            for c in page
            if c.role in CAPABILITY_ROLES
            and not versus_pairs(c.heading.split(" > ")[-1])
            and not c.has_role("persona")
            and not responds(c)
        ]  # a deck's "Us vs Them" slide is the competitive angle, a buyer's description who
        # buys, an objection table's rows answers: not a feature's facts
        aside = sum(c.role in NOT_FEATURE_ROLES for c in page)
        if len(describing) >= MIN_CAPABILITY_SHARE * len(page) > 0 and (
            aside < MAX_ASIDE_SHARE * len(page)
        ):
            by_source[source].extend(describing)
    generic = frozenset(conventions.generic_heading_words)
    found = [
        f
        for source, doc_chunks in by_source.items()
        for f in _page_features(source, doc_chunks, classify, generic, vendor)
    ]
    return specs + _merged([f for f in found if f.facts])


def _page_features(
    source: str,
    chunks: list[Chunk],
    classify: Classifier | None,
    generic: frozenset[str],
    vendor: str,
) -> list[Feature]:
    """The page as one feature; when it lists capabilities (at least ``MIN_LISTED`` sections
    with names of their own holding most of its facts), one feature per section, and the page
    too when its title names a capability ("Session Replay", "Self-host Acme"), not an
    audience or the vendor alone ("Acme for business", "Why Acme")."""
    whole = _whole_page(source, chunks, classify, generic)
    sections: dict[str, list[Chunk]] = defaultdict(list)
    for c in chunks:
        sections[c.heading].append(c)
    named: list[Feature] = []
    for heading, group in sections.items():
        last = heading.split(" > ")[-1]
        name = feature_name(last, " ".join(c.text for c in group), generic)
        if not name or flat(name) in (flat(whole.name), flat(whole.module)):
            continue  # the page's own title repeated as a heading
        feature = Feature(name, whole.name, source, "", personas=group[0].meta.personas)
        seen: set[str] = set()
        for c in group:
            _add(feature, c, "summary", seen, classify)
        if feature.facts:
            feature.summary = feature.facts[0].text
            named.append(feature)
    listed = sum(len(f.facts) for f in named)
    if len(named) < MIN_LISTED or listed < LISTED_SHARE * len(whole.facts):
        return [whole]
    title = strip_name(whole.name, vendor)
    words = _WORD_RE.findall(title)
    if (
        len(words) <= MAX_PAGE_NAME_WORDS
        and feature_name(title, "", generic)
        and not AUDIENCE_RE.search(whole.name)
    ):
        return [whole, *named]
    return named


# A repository's own pages: what changed and how to contribute, never a feature.
_HOUSEKEEPING_RE = re.compile(
    r"(?i)(?:change-?log|changes|release[-_ ]?notes|releases|what'?s[-_ ]new|readme"
    r"|contributing|code[-_ ]of[-_ ]conduct|licen[cs]e|authors)(?:[-_ ]v?\d[\w.]*)?$"
)


def _stem(source: str) -> str:
    return plain_name(PurePosixPath(source).stem)


# "Acme for teams", "Guides for the finance team": a page for an audience (group 1)
AUDIENCE_RE = re.compile(r"\bfor\s+(?:your\s+|the\s+)?([\w-]+(?:\s+[\w-]+)?)", re.I)
_TITLE_SITE_RE = re.compile(r"\s+[|·]\s+.*$")
_NUMBERED_RE = re.compile(r"^\s*(?:\d+|[ivx]+|[a-z])[.)]\s+", re.I)
_STEP_RE = re.compile(r"^\s*(?:step|phase|part|stage|days?|weeks?|months?)\s*\d", re.I)
_ASKS_RE = re.compile(r"(?:why|how|what|when|where|who|which)\b", re.I)  # a question unmarked
_STATEMENT_WORDS = frozenset(
    "is are was were isn't aren't wasn't isn’t aren’t must should cannot can't can’t won't won’t"
    " don't don’t doesn't doesn’t".split()
)
_WORD_RE = re.compile(r"[A-Za-z][\w'’-]*|\d[\w.]*")


def feature_name(heading: str, text: str, generic: frozenset[str]) -> str:
    """A section heading as a feature name ("COMPLETE HISTORY" → "Complete history"), or ""
    when it names nothing: a question, a step, a sentence, or only generic words
    ("Overview", "Where you can use it", "Further reading")."""
    name = _NUMBERED_RE.sub("", heading).strip(" .…:;-–—!*#")
    words = _WORD_RE.findall(name)
    if not words or len(words) > MAX_NAME_WORDS or name.endswith("?") or _STEP_RE.match(name):
        return ""
    if _ASKS_RE.match(name) or versus_pairs(name):
        return ""  # "Why teams lose track", "How it works", "Us vs Them": no feature's name
    content = [w for w in words if w.lower() not in generic and w.lower() not in STOPWORDS]
    if not content or any(w.lower() in _STATEMENT_WORDS for w in words):
        return ""  # "Data must be handled securely", "X is not Y": a statement, not a name
    if name.isupper():  # shouted headings: keep only the acronyms the text itself writes so
        upper = set(re.findall(r"\b[A-Z][A-Z0-9]{1,}\b", text))
        kept = [w if w in upper else w.lower() for w in name.split()]
        name = " ".join(kept)
        name = name[:1].upper() + name[1:]
    return re.sub(r"[^\w\s&/+,.:%'’()–—-]", "", name).strip(" :")  # "Weeks 1–2" keeps its dash


def _merged(features: list[Feature]) -> list[Feature]:
    """Features of the same name (on several pages) as one, with the facts of all."""
    by_name: dict[str, Feature] = {}
    for f in features:
        key = normalize(f.name)
        if key not in by_name:
            by_name[key] = f
            continue
        into = by_name[key]
        seen = {normalize(x.text) for x in into.facts}
        into.facts.extend(x for x in f.facts if normalize(x.text) not in seen)
        into.personas = tuple(dict.fromkeys(into.personas + f.personas))
    return list(by_name.values())


def _structured(source: str, chunks: list[Chunk], conventions: Conventions) -> list[Feature]:
    """``# Module`` / ``## Feature`` / ``### Technical detail`` | ``### Business outcomes``."""
    found: dict[str, Feature] = {}
    seen: dict[str, set[str]] = defaultdict(set)
    for c in chunks:
        path = c.heading.split(" > ")
        if len(path) == 2 and _kind_of(path[1], conventions):
            path = [c.meta.product or path[0], *path]  # "# Feature / ## Technical detail"
        if len(path) < 2:
            continue
        module = c.meta.product or path[0]
        name = path[1]
        kind = _kind_of(path[2], conventions) if len(path) > 2 else "summary"
        if kind is None:
            continue
        if name not in found:
            found[name] = Feature(name, module, source, "", personas=c.meta.personas)
        feature = found[name]
        if kind == "summary" and not feature.summary:
            first = next((s for s in c.sentences() if is_fact(s)), "")
            feature.summary = first
        _add(feature, c, kind, seen[name])
    has_both = [
        f for f in found.values() if {"technical", "business"} <= {fact.kind for fact in f.facts}
    ]
    return has_both


def _whole_page(
    source: str, chunks: list[Chunk], classify: Classifier | None, generic: frozenset[str]
) -> Feature:
    """The page as one feature, named by its title (and its product, unless the product is a
    generic folder name such as "Production" or "Overview")."""
    meta = chunks[0].meta
    title = _TITLE_SITE_RE.sub("", meta.title)  # "Features | Acme": the page, not the site
    title = re.sub(r"^(getting started with|introduction to)\s+", "", title, flags=re.I)
    title = title.strip(" .…:;")
    product = meta.product if feature_name(meta.product, "", generic) else ""
    name = product or title
    if product and normalize(title) not in (normalize(product), ""):
        # "Approvals" + "Approval workflows" is "Approval workflows", not both
        said = set(tokenize(product)) <= set(tokenize(title))
        name = title if said else f"{product}: {title}"
    feature = Feature(name, product or title, source, "", personas=meta.personas)
    seen: set[str] = set()
    for c in chunks:
        _add(feature, c, "summary", seen, classify)
    feature.summary = feature.facts[0].text if feature.facts else ""
    return feature


def save_catalog(features: list[Feature], path: Path) -> None:
    data = [
        {
            **{k: v for k, v in asdict(f).items() if k != "facts"},
            "facts": [asdict(x) for x in f.facts],
        }
        for f in features
    ]
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1))
    tmp.replace(path)


def load_catalog(path: Path) -> list[Feature]:
    if not path.exists():
        return []
    out = []
    for d in json.loads(path.read_text()):
        facts = [Fact(**x) for x in d.pop("facts")]
        d["personas"] = tuple(d.get("personas", ()))
        out.append(Feature(**d, facts=facts))
    return out
