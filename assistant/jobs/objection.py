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

from assistant.core.records import Chunk, Hit
from assistant.core.terms import Lexicon
from assistant.core.text import number_key, numbers, sentences
from assistant.core.yamlfile import load_model
from assistant.index.catalog import CAPABILITY_ROLES
from assistant.index.filters import Filters
from assistant.index.kb import KnowledgeBase
from assistant.index.lexical import tokenize
from assistant.jobs.involve import InvolveNote, involve
from assistant.personas.resolver import Resolution
from assistant.personas.schema import Persona
from assistant.retrieval.evidence import (
    Evidence,
    chunk_sentences,
    is_customer_sayable,
    with_items,
)
from assistant.retrieval.grounding import Grounder
from assistant.understand.market import flat, is_table_row
from assistant.understand.qa import QAPair, qa_pairs

ACK_RE = re.compile(
    r"\b(fair|understand|understood|agreed|agree|true|right|reasonable|makes sense|hear|"
    r"valid|concern|matters)\b",
    re.I,
)
MIN_MATCH = 0.55  # cosine similarity for a known objection or question to count as this one
CLEAR_MATCH = 0.7  # ... and above which it needs no check of its answer (set on all dev corpora)
SEARCH_K = 12  # passages searched for supporting sentences
TOPIC_K = 6  # ... and passages of the objection's topic
TOPICS = ("pricing", "security", "proof", "comparison")  # topics an objection is often about
NOT_EVIDENCE = ("process", "open_question", "instruction", "persona", "company")  # never quoted
WORDS_SHARE = 0.5  # a sentence's rank: shared words (IDF-weighted), then meaning
THEY_RE = re.compile(r"(?:they|their|theirs)\b", re.I)  # on a comparison page: the rival
WE_YOU_RE = re.compile(r"\b(?:we|our|you can|lets? you|allows? you)\b", re.I)
NOT_PAIRS = ("legal", "company")  # their questions are nobody's objection
MIN_WORDS = 6
CUT_RE = re.compile(r"\b(?:and|or|but|the|a|an|of|to|with|for|in|on|that|which)\s*$", re.I)
MIN_MEANING = 0.2  # cosine to the objection below which a supporting sentence is off topic
MEANING_WITHOUT_WORDS = 0.4  # ... when it shares too few of the objection's words
MAX_POINTS, MAX_REFRAME, MAX_EVIDENCE, PER_SOURCE = 6, 2, 4, 3
COACHING_PASSAGES, MAX_COACHING = 2, 3  # internal guidance: the best passages, sentences
NOT_COACHING = ("open_question", "instruction", "persona")
PAGES, SECTIONS, PER_SECTION = 3, 2, 3  # support: the best pages, their closest sections
HIT_SECTIONS = 5  # ... and the best hits besides: context for an LLM writer
SAME_RIVAL, OTHER_RIVAL = 0.05, -0.1  # a pair about the deal's competitor, or about another one
SAME_WORDS = 0.7  # word overlap (Jaccard) at which two sentences say the same thing
FIGURE_BONUS = 0.1  # extra evidence with a figure beats the same support without one
MAX_TECHNICAL_SHARE = 0.3  # personas below this hear no sentence that leans technical
# Set by hand on the sample knowledge base's objections; not fitted to a labelled set.


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
    return [p for p in pairs if not p.chunks[0].has_role(*NOT_PAIRS)]


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
        self, text: str, competitor: str | None, internal: bool
    ) -> tuple[QAPair, float] | None:
        """The closest known objection or question (customer-safe, or internal coaching)."""
        pairs = self._library()
        if not pairs or self._vectors is None:
            return None
        sims = self._vectors @ self.kb.embedder.embed([text])[0]
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
        found = self.match(request.text, competitor, internal=False)
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
            answer = [e for e in response if self._sayable(persona, e.text)]
        coaching_match = self.match(request.text, competitor, internal=True)
        coaching = _answer_sentences(coaching_match[0])[:3] if coaching_match else []
        coaching = coaching or self._coaching(request.text)
        hint = " ".join(c.text for c in coaching_match[0].chunks) if coaching_match else ""
        support, read = self._support(request.text, competitor, persona, answer + acknowledge, hint)
        points = _diverse(answer + support, MAX_POINTS)
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

    def _support(
        self,
        text: str,
        competitor: str | None,
        persona: Persona | None,
        exclude: list[Evidence],
        hint: str = "",
    ) -> tuple[list[Evidence], list[Chunk]]:
        """Customer-safe sentences that bear on the objection, best first: the words they
        share with it (IDF-weighted) and their meaning, figures a little ahead; and the
        sections they were picked from (an LLM writer reads those whole).

        ``hint`` is internal coaching for the same objection: it steers the search towards the
        facts a good answer uses, but only customer-safe sentences are returned.
        """
        query = f"{text} {hint}".strip()
        search = self.grounder.retriever.search
        hits = search(query, k=SEARCH_K, filters=Filters(audience="customer-safe")).hits
        # The passages of what the objection is about (pricing, security, proof…) too: a
        # conversational objection's words can pull every search towards chit-chat.
        topic = self.kb.role_classifier.topics(text, TOPICS)[:1]
        if topic:
            on_topic = Filters(audience="customer-safe", roles=tuple(topic))
            seen = {h.chunk.id for h in hits}
            hits += [
                h for h in search(query, k=TOPIC_K, filters=on_topic).hits if h.chunk.id not in seen
            ]
        hits = [h for h in hits if not h.chunk.has_role(*NOT_EVIDENCE)]
        if competitor:  # the pages that compare them first: claims about them come from there
            about = set(self.kb.market.pages.get(competitor, []))
            hits.sort(key=lambda h: h.chunk.source not in about)
        # An objection mixes the buyer's situation with what they ask: it has an answer when
        # any one of its sentences does ("our users are in France… where is data stored?").
        # Its words may all be the buyer's own ("no spare sysadmin… we moved to SaaS"): then
        # only a sentence close in meaning answers it.
        verdicts = [self.grounder.judge(part, hits[:5]) for part in sentences(text) or [text]]
        floor = MIN_MEANING
        if not hint and all(v.abstained for v in verdicts):
            if not any(v.thin for v in verdicts):
                return [], []
            floor = MEANING_WITHOUT_WORDS
        # Read the best pages whole: a conversational objection retrieves one passage of the
        # security page and five of chit-chat; the page's other sections hold the answer.
        pages = list(dict.fromkeys(h.chunk.source for h in hits))[:PAGES]
        sections = [
            c
            for source in pages
            for c in self.kb.manifest.source_chunks(source)
            if not c.internal and not c.has_role(*NOT_EVIDENCE)
        ]
        query = self.kb.embedder.embed([text])[0]
        stored = self.kb.store.vectors([c.id for c in sections])
        closeness = {c.id: float(stored[c.id] @ query) if c.id in stored else 0.0 for c in sections}
        best: list[Chunk] = []
        order: dict[str, tuple[int, int]] = {}  # chunk id -> (section rank, page rank)
        for page, source in enumerate(pages):
            mine = [c for c in sections if c.source == source]
            for rank, c in enumerate(sorted(mine, key=lambda c: -closeness[c.id])[:SECTIONS]):
                best.append(c)
                order[c.id] = (rank, page)
        used = {e.text for e in exclude}
        candidates = [
            s
            for s in self.grounder.supports(text, [Hit(c, closeness[c.id]) for c in best])
            if s.sentence not in used
            and self._sayable(persona, s.sentence)
            and self._ours(s.sentence, s.chunk, competitor)
            and len(s.sentence.split()) >= MIN_WORDS
            and not s.sentence.rstrip().endswith("?")
            and (s.sentence[:1].isupper() or s.sentence[:1] in "\"“‘'0123456789")
            # ^ not the tail of a sentence split mid-way
            and not CUT_RE.search(s.sentence)  # ... or its head
        ]
        # A lead-in ("Retention depends on your plan:") comes with the rows it introduces.
        told = [with_items(Evidence(s.sentence, s.chunk)) for s in candidates]
        kept = [
            (s, e) for s, e in zip(candidates, told, strict=True) if e.said or e.text[-1] != ":"
        ]
        if not kept:
            return [], best
        vectors = self.kb.embedder.embed([e.said or e.text for _, e in kept])
        meaning = vectors @ query
        scored = sorted(
            (
                (
                    -(
                        WORDS_SHARE * s.score
                        + (1 - WORDS_SHARE) * float(m)
                        + FIGURE_BONUS * bool(re.search(r"\d", e.said or e.text))
                    ),
                    s.chunk.id,
                    s.sentence,
                ),
                e,
            )
            for (s, e), m in zip(kept, meaning, strict=True)
            if m >= floor
        )
        ranked = [e for _, e in scored]
        # Best sentence of each page's best section first, then the next ones.
        nth: dict[str, int] = {}
        keyed = []
        for e in ranked:
            nth[e.chunk.id] = nth.get(e.chunk.id, -1) + 1
            if nth[e.chunk.id] < PER_SECTION:
                keyed.append(((nth[e.chunk.id], *order[e.chunk.id]), e))
        read = best + [h.chunk for h in hits[:HIT_SECTIONS] if h.chunk not in best]
        return [e for _, e in sorted(keyed, key=lambda x: x[0])], read

    def _ours(self, sentence: str, chunk: Chunk, competitor: str | None) -> bool:
        """A sentence the rep can say: not a table row; a claim about the vendor or what it
        does (not a description of the buyer's problem, "channels become impossible to
        follow"), or comparing it in its own words ("Unlike Them, we…"), or about the
        competitor the buyer names, from a page that may speak for it. Never one about
        another competitor alone."""
        market = self.kb.market
        compared = chunk.source in market.compared_sources
        if is_table_row(sentence) or (compared and THEY_RE.match(sentence)):
            return False  # cells, or "They charge by seat" with no name to tell whose
        named = set(market.mentioned(sentence))
        if competitor and named == {competitor} and market.may_claim(sentence, [chunk.source]):
            return True
        # On a comparison page a section's heading says whose it is; elsewhere ("Import from
        # a rival") it does not.
        section = " ".join(chunk.heading.split(" > ")[-2:]) if compared else ""
        if market.about_rival(sentence, section):
            return False
        return market.names_vendor(sentence) or (
            market.may_claim(sentence, [chunk.source]) and self._claims(sentence)
        )

    def _claims(self, sentence: str) -> bool:
        """A sentence that says what the product does or brings (the signals of the roles
        that describe it, a "we" or "you can", or a customer's own words)."""
        if WE_YOU_RE.search(sentence) or sentence.lstrip().startswith(('"', "“")):
            return True
        patterns = self.kb.roles.signal_patterns
        return any(p.search(sentence) for role in CAPABILITY_ROLES for p in patterns[role])

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
        found = [e for e in found if e.text in wanted]
    return [e for e in found if e.text != pair.question]


def _diverse(evidence: list[Evidence], k: int) -> list[Evidence]:
    """Up to ``k`` sentences, at most ``PER_SOURCE`` from one document, and nothing told twice
    (the same figure, or nearly the same words) by two documents."""
    out: list[Evidence] = []
    for e in evidence:
        figures = {number_key(n) for n in numbers(e.text)}
        repeats = any(figures and figures <= {number_key(n) for n in numbers(o.text)} for o in out)
        crowded = sum(o.source == e.source for o in out) >= PER_SOURCE
        words = set(tokenize(e.text))
        echoes = any(  # two pages telling the same sentence in nearly the same words
            len(words & (theirs := set(tokenize(o.text)))) >= SAME_WORDS * len(words | theirs)
            for o in out
        )
        if not repeats and not crowded and not echoes:
            out.append(e)
        if len(out) == k:
            break
    return out


def _avoid(persona: Persona | None, text: str) -> bool:
    return bool(persona and persona.avoided_terms(text))
