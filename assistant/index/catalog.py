"""The feature catalog: what the product does, feature by feature, with the evidence behind it.

Built at ingest from product-spec documents. The preferred shape is the conventions' one
(``## Feature`` with ``### Technical detail`` and ``### Business outcomes``); a product page
without it (e.g. plain docs) becomes one feature per page, its facts classified as technical
or business by vocabulary. Without spec-shaped pages, every other page whose passages mostly
describe the product (roles capability, outcome, security, pricing; few legal or company ones)
is a feature too; pages that compare the vendor with a competitor never are.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from assistant.core.conventions import Conventions
from assistant.core.records import COMPETITIVE_TYPES, Chunk
from assistant.core.text import normalize

MIN_WORDS = 6
Classifier = Callable[[str], str]  # shorter "sentences" are labels or fragments, not facts
CAPABILITY_ROLES = ("capability", "outcome", "security", "pricing")  # what it does
NOT_FEATURE_ROLES = ("legal", "company")  # terms, policies, jobs, the team: never a feature
# A page without front-matter is a feature when this share of its passages describe what the
# product does and less than the other share are legal or about the company. Set by hand on
# the two development corpora and the sample together (the features `pitchcraft map` lists).
MIN_CAPABILITY_SHARE, MAX_ASIDE_SHARE = 0.4, 0.25


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


def _add(feature: Feature, chunk: Chunk, kind: str, seen: set[str]) -> None:
    for sent in chunk.sentences():
        key = normalize(sent)
        if key in seen or not is_fact(sent):
            continue
        seen.add(key)
        feature.facts.append(Fact(sent, kind, chunk.id))


def build_catalog(
    chunks: Iterable[Chunk],
    conventions: Conventions,
    classify: Classifier | None = None,
    comparisons: Collection[str] = (),
) -> list[Feature]:
    """Features from the product documents among ``chunks`` (in manifest order).

    ``classify(sentence) -> "technical" | "business"`` labels facts of pages without the
    conventions' subsections; without it they are labelled "summary". ``comparisons`` are
    the pages that compare the vendor with a competitor: their angle, never a feature.
    """
    chunks = [c for c in chunks if not c.internal]
    by_source: dict[str, list[Chunk]] = defaultdict(list)
    for c in chunks:
        if c.meta.doc_type == "product":
            by_source[c.source].append(c)
    structured = {
        source
        for source, doc_chunks in by_source.items()
        if any(_kind_of(c.heading.split(" > ")[-1], conventions) for c in doc_chunks)
    }
    if not structured:  # no spec-shaped page: whatever pages describe a capability
        pages: dict[str, list[Chunk]] = defaultdict(list)
        for c in chunks:
            if (
                c.meta.doc_type not in ("product", *COMPETITIVE_TYPES)
                and c.source not in comparisons
            ):
                pages[c.source].append(c)
        for source, page in pages.items():
            describing = [c for c in page if c.role in CAPABILITY_ROLES]
            aside = sum(c.role in NOT_FEATURE_ROLES for c in page)
            if len(describing) >= MIN_CAPABILITY_SHARE * len(page) > 0 and (
                aside < MAX_ASIDE_SHARE * len(page)
            ):
                by_source[source].extend(describing)
    features: list[Feature] = []
    for source, doc_chunks in by_source.items():
        if source in structured:
            features.extend(_structured(source, doc_chunks, conventions))
        elif not structured:  # no spec-shaped pages at all: each product page is a feature
            features.append(_whole_page(source, doc_chunks, classify))
    return [f for f in features if f.facts]


def _structured(source: str, chunks: list[Chunk], conventions: Conventions) -> list[Feature]:
    """``# Module`` / ``## Feature`` / ``### Technical detail`` | ``### Business outcomes``."""
    found: dict[str, Feature] = {}
    seen: dict[str, set[str]] = defaultdict(set)
    for c in chunks:
        path = c.heading.split(" > ")
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


def _whole_page(source: str, chunks: list[Chunk], classify: Classifier | None) -> Feature:
    meta = chunks[0].meta
    title = re.sub(r"^(getting started with|introduction to)\s+", "", meta.title, flags=re.I)
    name = meta.product or title
    if meta.product and normalize(title) not in (normalize(meta.product), ""):
        if normalize(meta.product) not in normalize(title):
            name = f"{meta.product}: {title}"
        else:
            name = title
    feature = Feature(name, meta.product or title, source, "", personas=meta.personas)
    seen: set[str] = set()
    for c in chunks:
        for sent in c.sentences():
            key = normalize(sent)
            if key in seen or not is_fact(sent):
                continue
            seen.add(key)
            kind = classify(sent) if classify else "summary"
            feature.facts.append(Fact(sent, kind, c.id))
            if not feature.summary:
                feature.summary = sent
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
