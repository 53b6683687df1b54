"""Objection drills: the assistant plays a buyer, raises an objection from the knowledge base,
and scores the rep's answer against a visible rubric.

Objections come from battlecards (``## Objections`` / ``### "objection"``), the internal
objection-handling guide and customer-question pages (FAQ headings that end in "?"). The
rubric is the four-step method the knowledge base teaches (acknowledge, reframe, evidence,
question back) plus the key points of the documented response; every item shows what the rep
said that met it, or what the source says that was missed.
"""

from __future__ import annotations

import random
import re
from typing import Any

from assistant.core.errors import ConfigError
from assistant.core.results import citation_of
from assistant.core.terms import find_terms
from assistant.core.text import normalize, number_key, numbers, sentences
from assistant.index.kb import KnowledgeBase
from assistant.jobs.objection import ACK_RE, objection_pairs
from assistant.personas.resolver import PersonaResolver
from assistant.personas.schema import Persona
from assistant.retrieval.evidence import Evidence, chunk_sentences
from assistant.retrieval.retriever import Retriever
from assistant.training.quiz.grading import SimilarityGrader, TextGrader
from assistant.training.rubric import (
    REFRAME_RE,
    DrillItem,
    DrillPrompt,
    DrillResult,
    ModelAnswer,
    RubricItem,
    drill_items,
    model_answer,
)

NEGATION_RE = re.compile(r"\b(?:not|no|never|don'?t|doesn'?t|isn'?t|n't)\W+(?:\w+\W+)?$", re.I)
REFRAME_SIMILARITY = 0.6
EVIDENCE_SIMILARITY = 0.55  # a figure must come with what the source says about it


# --------------------------------------------------------------------------- the drill


class Drill:
    """Objection drills over one knowledge base."""

    def __init__(
        self,
        retriever: Retriever,
        resolver: PersonaResolver,
        text_grader: TextGrader | None = None,
    ) -> None:
        self.kb = retriever.kb
        self.retriever = retriever
        self.resolver = resolver
        self.text_grader = text_grader or SimilarityGrader(self.kb.embedder)
        self._gen = -1
        self._items: list[DrillItem] = []

    def items(self) -> list[DrillItem]:
        if self._gen != self.kb.manifest.generation:
            idf = self.kb.lexical.idf
            # an item with no documented key point cannot be drilled against (a question the
            # rep is to ask, with no answer under it)
            items = [
                i for i in drill_items(objection_pairs(self.kb)) if model_answer(i, idf).key_points
            ]
            self._items = sorted(items, key=lambda i: (i.source, i.chunk.ordinal, i.objection))
            self._gen = self.kb.manifest.generation
        return self._items

    def pick(
        self,
        persona: str | None = None,
        competitor: str | None = None,
        objection: str | None = None,
        seed: int = 0,
        history: dict[str, float] | None = None,
    ) -> DrillPrompt:
        """An objection for this buyer: the named competitor's, the persona's concerns first,
        objections not drilled yet (or drilled badly) before ones already mastered."""
        items = self.items()
        if not items:
            raise ConfigError("the knowledge base has no objections or customer questions to drill")
        if competitor:
            name = self.kb.resolve_competitor(competitor)
            if not name:
                raise ConfigError(f"no battlecard or comparison page for {competitor!r}")
            items = [i for i in items if i.competitor.lower() == name.lower()]
            if not items:
                raise ConfigError(f"no objections about {name} in the knowledge base")
        resolution = self.resolver.resolve(persona) if persona else None
        rng = random.Random(seed)
        if objection:
            item = self._closest(items, objection)
        else:
            history = history or {}
            weights = []
            for i in items:
                w = {"battlecard": 1.0, "guide": 0.8, "faq": 0.5}[i.origin]
                if resolution:
                    w *= _persona_weight(resolution.persona, i)
                if i.id in history:  # drilled before: the worse it went, the sooner again
                    w *= 0.15 + 0.85 * (1.0 - history[i.id])
                weights.append(w)
            item = rng.choices(items, weights)[0]
        if resolution is None:
            ids = [p for p in item.chunk.meta.personas if p in self.resolver.personas]
            fallback = ids[rng.randrange(len(ids))] if ids else "champion"
            if fallback in self.resolver.personas:
                resolution = self.resolver.resolve(fallback)
        return DrillPrompt(item, resolution, model_answer(item, self.kb.lexical.idf))

    def _closest(self, items: list[DrillItem], text: str) -> DrillItem:
        want = normalize(text).strip("\"'“” ")
        for i in items:
            if normalize(i.objection).strip("\"'“” .?") == want.strip(".?"):
                return i
        vectors = self.kb.embedder.embed([text] + [i.objection for i in items])
        sims = vectors[1:] @ vectors[0]
        return items[int(sims.argmax())]

    # -- grading ----------------------------------------------------------------------------------
    def grade(self, prompt: DrillPrompt, answer: str) -> DrillResult:
        said = [s for s in sentences(answer) if s.strip()]
        model = prompt.model
        rubric: list[RubricItem] = []
        # 1. acknowledge: early, and not "that's not true"
        ack = next((s for s in said[:2] if _acknowledges(s)), "")
        rubric.append(
            RubricItem(
                "acknowledge",
                bool(ack),
                ack,
                _cite(model.acknowledge),
                "" if ack else "open by showing the concern was heard and is reasonable",
            )
        )
        # 4. question back (found first so the reframe does not take it)
        questions = [s for s in said if s.rstrip().rstrip('"”').endswith("?")]
        ask = questions[-1] if questions else ""
        note = ""
        if ask and said and ask != said[-1]:
            note = "ask the question last, so the buyer answers it"
        elif not ask:
            note = "end with a question that moves the deal forward"
        question_item = RubricItem("question_back", bool(ask), ask, _cite(model.question), note)
        # 2. reframe: a turn to the underlying question, in words or in meaning
        rest = [s for s in said if s not in (ack, ask)]
        reframe = self._reframe(rest, model)
        rubric.append(
            RubricItem(
                "reframe",
                bool(reframe),
                reframe,
                _cite(model.reframe),
                "" if reframe else "move from the objection to total cost, risk, timing or outcome",
            )
        )
        # 3. evidence: a figure or a name the knowledge base backs; invented figures fail it
        backed, unsupported = self._evidence(rest, prompt)
        evidence_note = ""
        if unsupported:
            evidence_note = "figures the knowledge base does not back: " + ", ".join(unsupported)
        elif not backed:
            evidence_note = "cite one or two published facts (a figure, a customer result)"
        rubric.append(
            RubricItem(
                "evidence",
                bool(backed) and not unsupported,
                backed[0][0] if backed else "",
                backed[0][1] if backed else _cite(model.evidence),
                evidence_note,
            )
        )
        rubric.append(question_item)
        # 5. the documented response's key points
        results = self.text_grader.grade(model.key_points, answer)
        covered = [r.to_json() for r in results if r.covered]
        missed = [r.to_json() for r in results if not r.covered]
        share = len(covered) / len(results) if results else 0.0
        rubric.append(
            RubricItem(
                "key_points",
                share >= 0.5,
                "; ".join(r.answer_quote for r in results if r.covered),
                None,
                f"{len(covered)} of {len(results)} key points covered",
                share,
            )
        )
        return DrillResult(prompt, answer, rubric, covered, missed, unsupported)

    def _reframe(self, said: list[str], model: ModelAnswer) -> str:
        """A sentence that turns to the underlying question: in so many words, or close in
        meaning to the documented reframe."""
        marked = [s for s in said if REFRAME_RE.search(s)]
        if marked:
            return marked[0]
        if not said or not model.reframe:
            return ""
        vectors = self.kb.embedder.embed([model.reframe[0].text, *said])
        sims = vectors[1:] @ vectors[0]
        best = int(sims.argmax())
        return said[best] if float(sims[best]) >= REFRAME_SIMILARITY else ""

    def _evidence(
        self, said: list[str], prompt: DrillPrompt
    ) -> tuple[list[tuple[str, dict[str, Any]]], list[str]]:
        """(sentence, citation) pairs the KB backs, and figures it does not.

        A figure is backed only by a source sentence that states it *and* says much the same
        thing: "80% higher open rates" is not backed by "alerts at 80% of each allowance".
        """
        backed: list[tuple[str, dict[str, Any]]] = []
        unsupported: list[str] = []
        names = _known_names(self.kb)
        for s in said:
            figures = numbers(s)
            named = find_terms(names, s)
            if not figures and not named:
                continue
            keys = {number_key(f) for f in figures}
            hits = self.retriever.search(s, k=6).hits
            pool = list({c.id: c for c in prompt.item.chunks + [h.chunk for h in hits]}.values())
            candidates = [
                e
                for e in chunk_sentences(pool, min_words=4)
                if e.text in e.chunk.text
                and keys <= {number_key(n) for n in numbers(e.text)}
                and (figures or find_terms(named, e.text))
            ]
            best, similarity = None, 0.0
            if candidates:
                vectors = self.kb.embedder.embed([s] + [e.text for e in candidates])
                sims = vectors[1:] @ vectors[0]
                i = int(sims.argmax())
                best, similarity = candidates[i], float(sims[i])
            if best is not None and similarity >= EVIDENCE_SIMILARITY:
                backed.append((s, citation_of(best.chunk, best.text)))
            else:
                unsupported += figures
        return backed, list(dict.fromkeys(unsupported))


def _acknowledges(sentence: str) -> bool:
    return any(not NEGATION_RE.search(sentence[: m.start()]) for m in ACK_RE.finditer(sentence))


def _cite(evidence: list[Evidence]) -> dict[str, Any] | None:
    return citation_of(evidence[0].chunk, evidence[0].text) if evidence else None


def _persona_weight(persona: Persona, item: DrillItem) -> float:
    w = 1.0 + (1.5 if persona.id in item.chunk.meta.personas else 0.0)
    text = item.objection + " " + " ".join(c.text for c in item.chunks)
    keywords = [k for p in persona.priorities for k in p.keywords]
    return w + 0.25 * min(4, len(find_terms(keywords, text)))


def _known_names(kb: KnowledgeBase) -> list[str]:
    """Feature, product and customer names a rep may cite as evidence."""
    names = {f.name for f in kb.catalog} | {f.module for f in kb.catalog}
    names |= {d.meta.customer for d in kb.manifest.documents()}
    return sorted(n for n in names if n and ":" not in n)
