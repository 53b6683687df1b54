"""Objection handling: acknowledge → reframe → evidence → question back.

Battlecard objection/response pairs are matched first (by meaning and words); other evidence
comes from customer-safe documents. Internal coaching (objection-handling principles) goes to
rep notes only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict

from .drafting import Draft, cited, involve_lines
from .evidence import Evidence, chunk_sentences, is_customer_sayable
from .grounding import Grounder
from .kb import KnowledgeBase
from .personas import Lexicon, Persona, Resolution
from .planner import InvolveNote, Planner
from .prompts import load_phrasing
from .records import Chunk
from .results import Citations, Section
from .store import Filters
from .text import number_key, numbers

ACK_RE = re.compile(
    r"\b(fair|understand|understood|agreed|agree|true|right|reasonable|makes sense|hear|"
    r"valid|concern|matters)\b",
    re.I,
)
MIN_MATCH = 0.55  # cosine similarity for a battlecard objection to count as the same one
EVIDENCE_TYPES = ("product", "case_study", "security", "pricing", "battlecard", "comparison")


class _Styles(BaseModel):
    model_config = ConfigDict(extra="forbid")
    technical: str
    balanced: str
    business: str


class ObjectionPhrasing(BaseModel):
    """``prompts/objection.yaml``: fallbacks when a matched response lacks a step."""

    model_config = ConfigDict(extra="forbid")
    acknowledge: _Styles
    question_back: _Styles


def load_objection_phrasing(prompts_dir: Path) -> ObjectionPhrasing:
    return load_phrasing(prompts_dir / "objection.yaml", ObjectionPhrasing)


@dataclass
class ObjectionRequest:
    text: str
    persona: str | None = None
    competitor: str | None = None


@dataclass
class ObjectionPlan:
    request: ObjectionRequest
    resolution: Resolution | None
    competitor: str | None
    matched: str | None
    matched_source: str | None
    similarity: float
    acknowledge: list[Evidence]
    reframe: list[Evidence]
    evidence: list[Evidence]
    question: list[Evidence]
    coaching: list[Evidence]
    involve: list[InvolveNote]
    phrasing: ObjectionPhrasing
    warnings: list[str] = field(default_factory=list)

    @property
    def style(self) -> str:
        return self.resolution.persona.sentence_style if self.resolution else "balanced"

    @property
    def abstained(self) -> bool:
        return not (self.reframe or self.evidence)


def _objection_of(chunk: Chunk) -> str | None:
    parts = chunk.heading.split(" > ")
    if len(parts) >= 2 and "objection" in parts[-2].lower():
        return parts[-1].strip().strip('"“”')
    return None


def objection_pairs(kb: KnowledgeBase) -> list[tuple[str, list[Chunk]]]:
    """Every (objection, response chunks) pair: ``## Objections`` / ``### "..."`` sections of
    battlecards, comparison pages and internal guides, in document order."""
    pairs: dict[tuple[str, str], list[Chunk]] = {}
    for c in kb.manifest.chunks_of_type(*EVIDENCE_TYPES, "internal"):
        objection = _objection_of(c)
        if objection:
            pairs.setdefault((c.source, objection), []).append(c)
    return [(obj, chunks) for (_, obj), chunks in pairs.items()]


class ObjectionHandler:
    def __init__(
        self,
        kb: KnowledgeBase,
        planner: Planner,
        grounder: Grounder,
        phrasing: ObjectionPhrasing,
        lexicon: Lexicon | None = None,
    ) -> None:
        self.kb = kb
        self.planner = planner
        self.grounder = grounder
        self.phrasing = phrasing
        self.lexicon = lexicon
        self._gen = -1
        self._pairs: list[tuple[str, list[Chunk]]] = []
        self._vectors: np.ndarray | None = None

    def _library(self) -> list[tuple[str, list[Chunk]]]:
        """Every (objection, response chunks) pair in the KB; embedded once per KB version."""
        if self._gen != self.kb.manifest.generation:
            self._pairs = objection_pairs(self.kb)
            texts = [obj for obj, _ in self._pairs]
            self._vectors = self.kb.embedder.embed(texts) if texts else None
            self._gen = self.kb.manifest.generation
        return self._pairs

    def match(
        self, text: str, competitor: str | None, internal: bool
    ) -> tuple[str, list[Chunk], float] | None:
        """The closest known objection (customer-safe, or internal coaching)."""
        pairs = self._library()
        if not pairs or self._vectors is None:
            return None
        sims = self._vectors @ self.kb.embedder.embed([text])[0]
        best: tuple[float, int] | None = None
        for i, (_, chunks) in enumerate(pairs):
            if chunks[0].internal != internal:
                continue
            score = float(sims[i])
            theirs = chunks[0].meta.competitor
            if competitor and theirs:
                score += 0.05 if theirs.lower() == competitor.lower() else -0.1
            if best is None or score > best[0]:
                best = (score, i)
        if best is None or best[0] < MIN_MATCH:
            return None
        objection, chunks = pairs[best[1]]
        return objection, chunks, best[0]

    def plan(self, request: ObjectionRequest, resolution: Resolution | None) -> ObjectionPlan:
        persona = resolution.persona if resolution else None
        warnings: list[str] = []
        competitor = self.planner.resolve_competitor(request.competitor)
        if request.competitor and not competitor:
            warnings.append(f"no battlecard or comparison page for {request.competitor!r}")
        found = self.match(request.text, competitor, internal=False)
        acknowledge: list[Evidence] = []
        reframe: list[Evidence] = []
        evidence: list[Evidence] = []
        question: list[Evidence] = []
        if found:
            _, chunks, _ = found
            response = chunk_sentences(chunks, min_words=4)
            if response and ACK_RE.search(response[0].text) and "?" not in response[0].text:
                acknowledge = [response.pop(0)]
            if response and response[-1].text.rstrip().endswith("?"):
                question = [response.pop()]
                if not self._fits(persona, question[0].text):
                    question = []  # the persona's own question-back phrasing instead
            for e in response:
                if not is_customer_sayable(e.text) or _avoid(persona, e.text):
                    continue
                (evidence if re.search(r"\d", e.text) else reframe).append(e)
        coaching_match = self.match(request.text, competitor, internal=True)
        coaching = chunk_sentences(coaching_match[1], min_words=4)[:3] if coaching_match else []
        if not evidence:
            hint = " ".join(c.text for c in coaching_match[1]) if coaching_match else ""
            evidence = self._more_evidence(request.text, persona, evidence + reframe, hint)
        involve = self.planner.involve(persona, competitor, k=2) if persona else []
        plan = ObjectionPlan(
            request,
            resolution,
            competitor,
            matched=found[0] if found else None,
            matched_source=found[1][0].source if found else None,
            similarity=round(found[2], 3) if found else 0.0,
            acknowledge=acknowledge,
            reframe=reframe[:2],
            evidence=evidence[:3],
            question=question,
            coaching=coaching,
            involve=involve,
            phrasing=self.phrasing,
            warnings=warnings,
        )
        if not found:
            plan.warnings.append(
                "no battlecard objection matches; the response is built from other evidence"
                if not plan.abstained
                else "the knowledge base has no answer to this objection"
            )
        return plan

    def _more_evidence(
        self, text: str, persona: Persona | None, exclude: list[Evidence], hint: str = ""
    ) -> list[Evidence]:
        """Customer-safe sentences, preferably with figures, that bear on the objection.

        ``hint`` is internal coaching for the same objection: it steers the search towards the
        facts a good answer uses, but only customer-safe sentences are returned.
        """
        query = f"{text} {hint}".strip()
        result = self.grounder.retriever.search(
            query, k=8, filters=Filters(audience="customer-safe", doc_types=EVIDENCE_TYPES)
        )
        if not hint and self.grounder.judge(text, result.hits[:5]).abstained:
            return []
        used = {e.text for e in exclude}
        ranked = []
        for s in self.grounder.supports(query, result.hits):
            sayable = is_customer_sayable(s.sentence) and not _avoid(persona, s.sentence)
            if s.sentence in used or not sayable or len(s.sentence.split()) < 6:
                continue
            ranked.append((s.score + 0.1 * bool(re.search(r"\d", s.sentence)), s))
        ranked.sort(key=lambda x: (-x[0], x[1].chunk.id, x[1].sentence))
        out: list[Evidence] = []
        for _, s in ranked:
            figures = {number_key(n) for n in numbers(s.sentence)}
            repeats = any(
                figures and figures <= {number_key(n) for n in numbers(e.text)} for e in out
            )  # the same facts, told by another document
            if not repeats and s.sentence not in {e.text for e in out}:
                out.append(Evidence(s.sentence, s.chunk))
        return out[:2]

    def _fits(self, persona: Persona | None, text: str) -> bool:
        """Whether a sentence suits the persona: none of its avoided words, and not far more
        technical than it wants (a CMO is not asked about engineering hours)."""
        if persona is None:
            return True
        if _avoid(persona, text):
            return False
        if self.lexicon is None:
            return True
        tech, biz = self.lexicon.counts(text)
        return not (tech > biz and persona.technical_share < 0.3)


def _avoid(persona: Persona | None, text: str) -> bool:
    return bool(persona and persona.avoided_terms(text))


def compose_objection(plan: ObjectionPlan, writer: str = "offline") -> Draft:
    c = Citations()
    sections: list[Section] = []
    style = plan.style
    if plan.abstained:
        text = (
            "The knowledge base has no answer to this objection. Do not improvise: "
            "bring in a specialist (see rep notes) and follow up in writing."
        )
        sections.append(Section("No grounded answer", text, [], customer_facing=False))
    else:
        if plan.acknowledge:
            text, refs = cited(plan.acknowledge, c)
        else:
            text, refs = getattr(plan.phrasing.acknowledge, style), []
        sections.append(Section("Acknowledge", text, refs))
        if plan.reframe:
            text, refs = cited(plan.reframe, c)
            sections.append(Section("Reframe", text, refs))
        if plan.evidence:
            text, refs = cited(plan.evidence, c)
            sections.append(Section("Evidence", text, refs))
        if plan.question:
            text, refs = cited(plan.question, c)
        else:
            text, refs = getattr(plan.phrasing.question_back, style), []
        sections.append(Section("Question back", text, refs))
    if plan.coaching:
        text, refs = cited(plan.coaching, c)
        sections.append(Section("Coaching (internal)", text, refs, customer_facing=False))
    if plan.involve:
        body, refs = involve_lines(plan.involve, c)
        sections.append(Section("Who to involve", body, refs, customer_facing=False))
    return Draft(sections, c, writer)
