"""Differentiators against a competitor: the winning points of its battlecard or comparison
page (the conventions' ``differentiator_section`` headings), and whether a pitch uses them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from assistant.core.records import Chunk
from assistant.core.results import citation_of
from assistant.core.terms import find_terms
from assistant.core.text import normalize, sentences, strip_label
from assistant.index.kb import KnowledgeBase
from assistant.personas.schema import Persona
from assistant.retrieval.evidence import Evidence, chunk_sentences, is_customer_sayable
from assistant.training.quiz.generators import key_terms
from assistant.training.quiz.grading import TextGrader
from assistant.training.quiz.records import KeyPoint

MAX_DIFFERENTIATORS = 5


@dataclass
class Differentiator:
    point: str
    evidence: Evidence
    features: list[str]
    covered: bool = False
    answer_quote: str = ""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "point": self.point,
            "features": self.features,
            "citation": citation_of(self.evidence.chunk, self.evidence.text),
        }
        if self.answer_quote:
            out["pitch_quote"] = self.answer_quote
        return out


def find_differentiators(
    kb: KnowledgeBase,
    competitor: str,
    persona: Persona,
    text: str,
    names: list[str],
    grader: TextGrader,
) -> list[Differentiator]:
    """The competitor page's winning points, covered by the pitch or not, persona's first.

    ``names`` are the feature, product and company names a point may be about."""
    chunks = [c for c in kb.competitor_chunks(competitor) if not c.internal]
    sections = kb.conventions.regex["differentiator_section"]
    vendor = kb.vendor.lower()
    names = [n for n in names if n.lower() not in (competitor.lower(), vendor)]
    groups: dict[tuple[str, str], list[Chunk]] = {}
    for c in chunks:
        path = [p.strip() for p in c.heading.split(" > ")]
        hit = next(
            (i for i, part in enumerate(path[1:], 1) if sections.search(part)),
            None,
        )
        if hit is None:
            continue
        m = sections.search(path[hit])
        if m and m.group("vendor") and m.group("vendor").strip().lower() != vendor:
            continue  # "Strengths of the competitor" is not our differentiator
        groups.setdefault((c.source, " > ".join(path[: hit + 2])), []).append(c)
    points: list[Differentiator] = []
    for group in groups.values():
        for item in _items(group):
            sayable = [e for e in item if is_customer_sayable(e.text) and len(e.text.split()) > 5]
            if not sayable:
                continue
            features = find_terms(names, " ".join(e.text for e in item))
            quote = next((e for e in sayable if len(e.text.split()) >= 8), sayable[0])
            point = strip_label(quote.text)
            if quote is not sayable[0]:  # a short label first: "Offers that ignore ..."
                point = f"{sayable[0].text} {point}"
            points.append(Differentiator(point, quote, features))
    keywords = [k for pr in persona.priorities for k in pr.keywords]
    _cover(kb, points, text, grader)
    points.sort(
        key=lambda d: (
            -len(find_terms(keywords, d.evidence.text)),
            bool(persona.avoided_terms(d.evidence.text)),
            d.evidence.chunk.ordinal,
        )
    )
    return points[:MAX_DIFFERENTIATORS]


def _cover(kb: KnowledgeBase, points: list[Differentiator], text: str, grader: TextGrader) -> None:
    """A point is covered when the pitch names one of its features or says it (one
    embedding pass for all points)."""
    said = [x.strip() for x in sentences(text)]
    rest = []
    for d in points:
        naming = next((x for x in said for f in d.features if find_terms([f], x)), "")
        if naming:
            d.covered, d.answer_quote = True, naming
        else:
            rest.append(d)
    if not rest:
        return
    idf = kb.lexical.idf
    results = grader.grade([KeyPoint(d.point, key_terms(d.point, idf), {}) for d in rest], text)
    for d, r in zip(rest, results, strict=True):
        d.covered, d.answer_quote = r.covered, r.answer_quote


def _items(chunks: list[Chunk]) -> list[list[Evidence]]:
    """A section's points: one per bullet or numbered item, else one per chunk."""
    out: list[list[Evidence]] = []
    for c in chunks:
        lines = [ln.strip() for ln in c.text.splitlines() if ln.strip()]
        bullets = [ln for ln in lines if re.match(r"^(?:[-*•]|\d{1,2}[.)])\s+", ln)]
        if bullets:
            for b in bullets:
                body = re.sub(r"^(?:[-*•]|\d{1,2}[.)])\s+", "", b)
                found = [
                    e
                    for e in chunk_sentences([c], min_words=4)
                    if e.text in body and e.text in c.text
                ]
                if found:
                    out.append(found)
        else:
            found = [e for e in chunk_sentences([c], min_words=4) if e.text in c.text]
            if found:
                out.append(found[:3])
    seen: set[str] = set()
    unique = []
    for item in out:
        key = normalize(item[0].text)
        if key not in seen:
            seen.add(key)
            unique.append(item)
    return unique
