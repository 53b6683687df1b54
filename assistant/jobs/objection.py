"""Objection handling: acknowledge → reframe → evidence → question back.

Battlecard objection/response pairs are matched first (by meaning and words); other evidence
comes from customer-safe documents. Internal coaching (objection-handling principles) goes to
rep notes only.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict

from assistant.core.records import Hit
from assistant.core.terms import Lexicon
from assistant.core.text import number_key, numbers, sentences
from assistant.core.yamlfile import load_model
from assistant.index.filters import Filters
from assistant.index.kb import KnowledgeBase
from assistant.index.lexical import tokenize
from assistant.jobs.involve import InvolveNote, involve
from assistant.jobs.support import MIN_WORDS, SEARCH_K, SupportFinder
from assistant.personas.resolver import Resolution
from assistant.personas.schema import Persona
from assistant.retrieval.evidence import Evidence, chunk_sentences, is_customer_sayable
from assistant.retrieval.grounding import Grounder
from assistant.understand.market import flat
from assistant.understand.qa import QAPair, qa_pairs

ACK_RE = re.compile(
    r"\b(fair|understand|understood|agreed|agree|true|right|reasonable|makes sense|hear|"
    r"valid|concern|matters)\b",
    re.I,
)
MIN_MATCH = 0.55  # cosine similarity for a known objection or question to count as this one
CLEAR_MATCH = 0.7  # ... and above which it needs no check of its answer (set on all dev corpora)
NOT_PAIRS = ("legal", "company")  # their questions are nobody's objection
MAX_POINTS, MAX_REFRAME, MAX_EVIDENCE, PER_SOURCE = 6, 2, 4, 3
COACHING_PASSAGES, MAX_COACHING = 2, 3  # internal guidance: the best passages, sentences
NOT_COACHING = ("open_question", "instruction", "persona")
SAME_RIVAL, OTHER_RIVAL = 0.05, -0.1  # a pair about the deal's competitor, or about another one
SAME_WORDS = 0.7  # word overlap (Jaccard) at which two sentences say the same thing
SAME_MEANING = 0.88  # ... or cosine ("allows you to download recordings" / "enables … replays");
# set on the candidate pairs of every development corpus's objections together (0.86 pairs
# were two points: "the apps receive push notifications" / "the service forwards them")
MAX_TECHNICAL_SHARE = 0.3  # personas below this hear no sentence that leans technical
# Set by hand on the sample knowledge base's objections; not fitted to a labelled set.


class _Styles(BaseModel):
    model_config = ConfigDict(extra="forbid")
    technical: str
    balanced: str
    business: str


class _Steps(BaseModel):
    model_config = ConfigDict(extra="forbid")
    acknowledge: _Styles
    question_back: _Styles


class ObjectionPhrasing(_Steps):
    """``prompts/objection.yaml``: fallbacks when a matched response lacks a step; ``asked``
    when the buyer asks a question ("Where is our data stored?") rather than pushes back."""

    asked: _Steps


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
    cite_every_sentence: ClassVar[bool] = False

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
    # The other sections the support came from: an LLM writer reads them whole and may quote
    # any sentence of them; the offline composer says only the picked sentences.
    background: list[Evidence] = field(default_factory=list)

    @property
    def style(self) -> str:
        return self.resolution.persona.sentence_style if self.resolution else "balanced"

    @property
    def steps(self) -> _Steps:
        """The fallback phrasing that fits the objection: a question gets a straight answer."""
        asked = any(part.rstrip().endswith("?") for part in sentences(self.request.text))
        return self.phrasing.asked if asked else self.phrasing

    @property
    def abstained(self) -> bool:
        return not (self.reframe or self.evidence)

    def all_evidence(self) -> list[Evidence]:
        out = self.acknowledge + self.reframe + self.evidence + self.question + self.coaching
        return out + [e for t in self.involve for e in t.evidence] + self.background

    def given(self) -> str:
        return self.request.text

    def prompt_variables(self) -> dict[str, Any]:
        persona = self.resolution.persona if self.resolution else None
        return {
            "persona": persona.prompt_variables(self.vendor) if persona else None,
            "objection": self.request.text,
            "competitor": self.competitor,
            "matched": self.matched,
        }


def objection_pairs(kb: KnowledgeBase) -> list[QAPair]:
    """Every answered question and battlecard objection of the knowledge base, in document
    order (see ``understand.qa``); not the questions of terms, policies or job pages."""
    pairs = qa_pairs(list(kb.manifest.all_chunks()), kb.conventions)
    # (an objection named as such is one wherever it is written)
    return [p for p in pairs if p.kind == "objection" or not p.chunks[0].has_role(*NOT_PAIRS)]


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
        self.support = SupportFinder(kb, grounder)
        self._gen = -1
        self._pairs: list[QAPair] = []
        self._vectors: np.ndarray | None = None

    def _library(self) -> list[QAPair]:
        """Every question → answer pair in the KB; embedded once per KB version."""
        if self._gen != self.kb.manifest.generation:
            self._pairs = objection_pairs(self.kb)
            texts = [p.question for p in self._pairs]
            self._vectors = self.kb.embedder.embed(texts) if texts else None
            self._gen = self.kb.manifest.generation
        return self._pairs

    def match(
        self, text: str, competitor: str | None, internal: bool, vector: np.ndarray | None = None
    ) -> tuple[QAPair, float] | None:
        """The closest known objection or question (customer-safe, or internal coaching);
        ``vector`` is ``text`` embedded, when the caller has it."""
        pairs = self._library()
        if not pairs or self._vectors is None:
            return None
        if vector is None:
            vector = self.kb.embedder.embed([text])[0]
        sims = self._vectors @ vector
        best: tuple[float, int] | None = None
        for i, pair in enumerate(pairs):
            if pair.internal != internal:
                continue
            score = float(sims[i])
            theirs = self.kb.market.competitors.get(flat(pair.chunks[0].meta.competitor))
            if competitor and theirs:
                score += SAME_RIVAL if theirs == competitor else OTHER_RIVAL
            if best is None or score > best[0]:
                best = (score, i)
        if best is None or best[0] < MIN_MATCH:
            return None
        pair, score = pairs[best[1]], best[0]
        # A looser match ("how long does replay keep data" → "how long does setup take") counts
        # only when its answer bears on the objection, as the grounder judges any answer.
        if (
            score < CLEAR_MATCH
            and self.grounder.judge(text, [Hit(c, score) for c in pair.chunks]).abstained
        ):
            return None
        return pair, score

    def plan(self, request: ObjectionRequest, resolution: Resolution | None) -> ObjectionPlan:
        persona = resolution.persona if resolution else None
        warnings: list[str] = []
        competitor = self.kb.resolve_competitor(request.competitor)
        if request.competitor and not competitor:
            warnings.append(f"no battlecard or comparison page for {request.competitor!r}")
        competitor = competitor or next(iter(self.kb.mentioned_competitors(request.text)), None)
        vector = self.kb.embedder.embed([request.text])[0]  # once for both matches
        found = self.match(request.text, competitor, internal=False, vector=vector)
        acknowledge: list[Evidence] = []
        question: list[Evidence] = []
        answer: list[Evidence] = []
        if found:
            response = _answer_sentences(found[0])
            if response and ACK_RE.search(response[0].text) and "?" not in response[0].text:
                acknowledge = [response.pop(0)]
            if response and response[-1].text.rstrip().endswith("?"):
                question = [response.pop()]
                if not self._fits(persona, question[0].text):
                    question = []  # the persona's own question-back phrasing instead
            answer = [
                e
                for e in response
                if self._sayable(persona, e.text)
                and not self.support.goes_on_about_rival(e.text, e.chunk)
            ]
        coaching_match = self.match(request.text, competitor, internal=True, vector=vector)
        coaching = _answer_sentences(coaching_match[0])[:3] if coaching_match else []
        coaching = coaching or self._coaching(request.text)
        hint = " ".join(c.text for c in coaching_match[0].chunks) if coaching_match else ""
        support, read = self.support.find(
            request.text,
            competitor,
            lambda t: self._sayable(persona, t),
            answer + acknowledge,
            hint,
        )
        points = _diverse(answer + support, MAX_POINTS, self.kb.embedder.embed)
        reframe = [e for e in points if not re.search(r"\d", e.text)][:MAX_REFRAME]
        evidence = [e for e in points if e not in reframe][:MAX_EVIDENCE]
        involved = involve(self.kb, persona, competitor, k=2) if persona else []
        plan = ObjectionPlan(
            request,
            resolution,
            competitor,
            matched=found[0].question if found else None,
            matched_source=found[0].source if found else None,
            similarity=round(found[1], 3) if found else 0.0,
            acknowledge=acknowledge,
            reframe=reframe,
            evidence=evidence,
            question=question,
            coaching=coaching,
            involve=involved,
            phrasing=self.phrasing,
            warnings=warnings,
            vendor=self.kb.vendor,
        )
        if not plan.abstained:
            said = {e.chunk.id for e in plan.all_evidence()}
            plan.background = [
                Evidence(c.sentences()[0], c) for c in read if c.id not in said and c.sentences()
            ]
        if not found:
            plan.warnings.append(
                "no objection or question in the knowledge base matches; the response is built "
                "from other evidence"
                if not plan.abstained
                else "the knowledge base has no answer to this objection"
            )
        return plan

    def _coaching(self, text: str) -> list[Evidence]:
        """Internal guidance on the objection when no internal pair answers it: the rep-only
        passages the objection retrieves (a playbook, the contract rules), their sentences
        that bear on it most, for the rep's eyes only."""
        hits = self.grounder.retriever.search(
            text, k=SEARCH_K, filters=Filters(audience="internal")
        ).hits
        hits = [h for h in hits if not h.chunk.has_role(*NOT_COACHING)]
        if not hits or self.grounder.judge(text, hits[:COACHING_PASSAGES]).abstained:
            return []
        supports = self.grounder.supports(text, hits[:COACHING_PASSAGES])
        return [
            Evidence(s.sentence, s.chunk)
            for s in supports
            if len(s.sentence.split()) >= MIN_WORDS and not s.sentence.rstrip().endswith("?")
        ][:MAX_COACHING]

    def _sayable(self, persona: Persona | None, text: str) -> bool:
        return is_customer_sayable(text) and not _avoid(persona, text)

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


def _answer_sentences(pair: QAPair) -> list[Evidence]:
    """The answer of a pair, sentence by sentence (its own lines when it shares a passage)."""
    found = chunk_sentences(pair.chunks, min_words=4)
    if pair.answer:
        wanted = " ".join(pair.answer)
        # A response in a row or after a label ("Too expensive. — Response: Compare …"): its
        # own sentences, each verbatim in the passage.
        own = [s for s in sentences(wanted) if len(s.split()) >= 4]
        inside = [e for e in found if e.text in wanted]
        found = inside if len(inside) >= len(own) else [Evidence(s, pair.chunks[0]) for s in own]
    return [e for e in found if e.text != pair.question]


def _diverse(
    evidence: list[Evidence], k: int, embed: Callable[[list[str]], np.ndarray]
) -> list[Evidence]:
    """Up to ``k`` sentences, at most ``PER_SOURCE`` from one document, and nothing told twice
    (the same figure, nearly the same words, or the same meaning) by two passages."""
    if not evidence:
        return []
    vectors = embed([e.text for e in evidence])
    out: list[int] = []
    for i, e in enumerate(evidence):
        figures = {number_key(n) for n in numbers(e.text)}
        said = [evidence[j] for j in out]
        repeats = any(figures and figures <= {number_key(n) for n in numbers(o.text)} for o in said)
        crowded = sum(o.source == e.source for o in said) >= PER_SOURCE
        words = set(tokenize(e.text))
        echoes = any(  # two pages telling the same sentence in nearly the same words
            len(words & (theirs := set(tokenize(o.text)))) >= SAME_WORDS * len(words | theirs)
            for o in said
        ) or any(float(vectors[i] @ vectors[j]) >= SAME_MEANING for j in out)
        if not repeats and not crowded and not echoes:
            out.append(i)
        if len(out) == k:
            break
    return [evidence[j] for j in out]


def _avoid(persona: Persona | None, text: str) -> bool:
    return bool(persona and persona.avoided_terms(text))
