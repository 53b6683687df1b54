"""Objection handling: acknowledge → reframe → evidence → question back.

Battlecard objection/response pairs are matched first (by meaning and words); other evidence
comes from customer-safe documents. Internal coaching (objection-handling principles) goes to
rep notes only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict

from assistant.core.conventions import Conventions
from assistant.core.records import COMPETITIVE_TYPES, Chunk
from assistant.core.terms import Lexicon
from assistant.core.text import number_key, numbers
from assistant.core.yamlfile import load_model
from assistant.index.filters import Filters
from assistant.index.kb import KnowledgeBase
from assistant.jobs.involve import InvolveNote, involve
from assistant.personas.resolver import Resolution
from assistant.personas.schema import Persona
from assistant.retrieval.evidence import Evidence, chunk_sentences, is_customer_sayable
from assistant.retrieval.grounding import Grounder

ACK_RE = re.compile(
    r"\b(fair|understand|understood|agreed|agree|true|right|reasonable|makes sense|hear|"
    r"valid|concern|matters)\b",
    re.I,
)
MIN_MATCH = 0.55  # cosine similarity for a battlecard objection to count as the same one
SAME_RIVAL, OTHER_RIVAL = 0.05, -0.1  # a pair about the deal's competitor, or about another one
FIGURE_BONUS = 0.1  # extra evidence with a figure beats the same support without one
MAX_TECHNICAL_SHARE = 0.3  # personas below this hear no sentence that leans technical
# Set by hand on the sample knowledge base's objections; not fitted to a labelled set.
EVIDENCE_TYPES = ("product", "case_study", "security", "pricing", *COMPETITIVE_TYPES)


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
    return load_model(prompts_dir / "objection.yaml", ObjectionPhrasing)


@dataclass
class ObjectionRequest:
    text: str
    persona: str | None = None
    competitor: str | None = None


@dataclass
class ObjectionPlan:
    task: ClassVar[str] = "objection"

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
    vendor: str = "our platform"

    @property
    def style(self) -> str:
        return self.resolution.persona.sentence_style if self.resolution else "balanced"

    @property
    def abstained(self) -> bool:
        return not (self.reframe or self.evidence)

    def all_evidence(self) -> list[Evidence]:
        out = self.acknowledge + self.reframe + self.evidence + self.question + self.coaching
        return out + [e for t in self.involve for e in t.evidence]

    def prompt_variables(self) -> dict[str, Any]:
        persona = self.resolution.persona if self.resolution else None
        return {
            "persona": persona.prompt_variables(self.vendor) if persona else None,
            "objection": self.request.text,
            "competitor": self.competitor,
            "matched": self.matched,
        }


def _objection_of(chunk: Chunk, conventions: Conventions) -> str | None:
    parts = chunk.heading.split(" > ")
    if len(parts) >= 2 and conventions.heading_has("objections", parts[-2]):
        return parts[-1].strip().strip('"“”')
    return None


def objection_pairs(kb: KnowledgeBase) -> list[tuple[str, list[Chunk]]]:
    """Every (objection, response chunks) pair: ``## Objections`` / ``### "..."`` sections of
    battlecards, comparison pages and internal guides, in document order."""
    pairs: dict[tuple[str, str], list[Chunk]] = {}
    for c in kb.manifest.chunks_of_type(*EVIDENCE_TYPES, "internal"):
        objection = _objection_of(c, kb.conventions)
        if objection:
            pairs.setdefault((c.source, objection), []).append(c)
    return [(obj, chunks) for (_, obj), chunks in pairs.items()]


class ObjectionHandler:
    def __init__(
        self,
        kb: KnowledgeBase,
        grounder: Grounder,
        phrasing: ObjectionPhrasing,
        lexicon: Lexicon | None = None,
    ) -> None:
        self.kb = kb
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
                score += SAME_RIVAL if theirs.lower() == competitor.lower() else OTHER_RIVAL
            if best is None or score > best[0]:
                best = (score, i)
        if best is None or best[0] < MIN_MATCH:
            return None
        objection, chunks = pairs[best[1]]
        return objection, chunks, best[0]

    def plan(self, request: ObjectionRequest, resolution: Resolution | None) -> ObjectionPlan:
        persona = resolution.persona if resolution else None
        warnings: list[str] = []
        competitor = self.kb.resolve_competitor(request.competitor)
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
        involved = involve(self.kb, persona, competitor, k=2) if persona else []
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
            involve=involved,
            phrasing=self.phrasing,
            warnings=warnings,
            vendor=self.kb.vendor,
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
            ranked.append((s.score + FIGURE_BONUS * bool(re.search(r"\d", s.sentence)), s))
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
        return not (tech > biz and persona.technical_share < MAX_TECHNICAL_SHARE)


def _avoid(persona: Persona | None, text: str) -> bool:
    return bool(persona and persona.avoided_terms(text))
