"""Question generators: one question of a kind from a fact, or None when the fact does not
suit it. Offline kinds need no language model; an LLM generator of ``open`` questions plugs in
through ``QuestionGenerator``."""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from assistant.core.results import citation_of
from assistant.core.text import normalize, number_key, numbers
from assistant.index.lexical import tokenize
from assistant.retrieval.evidence import Evidence
from assistant.training.quiz.facts import FactPool
from assistant.training.quiz.records import (
    BLANK,
    CHOICES,
    YEAR_RE,
    KeyPoint,
    Question,
    QuizFact,
    Span,
    display,
    question_id,
)


class QuestionGenerator(Protocol):
    """Makes one question of ``kind`` from a fact, or None when the fact does not suit it.

    ``pool`` gives siblings (distractors) and context; ``rng`` is the only source of chance, so
    a seed makes a quiz reproducible. An LLM generator of ``open`` questions implements this.
    """

    kind: str

    def generate(self, fact: QuizFact, pool: FactPool, rng: random.Random) -> Question | None: ...


def _masked(fact: QuizFact, span: Span) -> str:
    return display(fact.text[: span.start] + BLANK + fact.text[span.end :])


def _window(text: str, span: Span, width: int = 70) -> str:
    a = max(0, span.start - width)
    b = min(len(text), span.end + width)
    a = text.rfind(" ", 0, a) + 1 if a else 0
    b_space = text.find(" ", b)
    b = len(text) if b_space == -1 else b_space
    return ("…" if a else "") + display(text[a:b]) + ("…" if b < len(text) else "")


_WHAT = {
    "number": ("Which figure", "a number"),
    "feature": ("Which feature", "a feature name"),
    "product": ("Which product", "a product name"),
    "competitor": ("Which competitor", "a competitor"),
    "term": ("Which term", "a key term"),
}


def _base(
    kind: str,
    fact: QuizFact,
    span: Span,
    text: str,
    answer: str,
    explanation: str,
    detail: str,
    **fields: Any,
) -> Question:
    """A question about ``span`` of ``fact``; ``fields`` set the kind's own parts."""
    values: dict[str, Any] = {
        "citations": [citation_of(fact.chunk, fact.text)],
        "topic": fact.topic,
        "answer_type": span.type,
        "key": span.text,
        **fields,
    }
    qid = question_id(kind, fact.chunk.source, fact.text, detail)
    return Question(
        id=qid, kind=kind, question=text, answer=answer, explanation=explanation, **values
    )


def _shuffled_spans(fact: QuizFact, rng: random.Random, types: Sequence[str]) -> list[Span]:
    spans = [s for s in fact.spans if s.type in types]
    rng.shuffle(spans)
    # Numbers and names first: they make the sharpest questions.
    return sorted(spans, key=lambda s: s.type == "term")


class MultipleChoiceGenerator:
    kind = "multiple_choice"

    def __init__(self, choices: int = CHOICES) -> None:
        self.choices = choices

    def generate(self, fact: QuizFact, pool: FactPool, rng: random.Random) -> Question | None:
        for span in _shuffled_spans(fact, rng, ("number", "feature", "product", "competitor")):
            wrong = pool.siblings(fact, span, self.choices - 1, rng)
            if len(wrong) < self.choices - 1:
                continue
            what = _WHAT[span.type][0]
            text = (
                f"{what} completes this statement from {pool.context(fact, span.text)}? "
                f'"{_masked(fact, span)}"'
            )
            if pool.reveals(text, span):
                continue
            choices = [span.text, *wrong]
            rng.shuffle(choices)
            explanation = f'The source says: "{_window(fact.text, span)}"'
            return _base(
                self.kind, fact, span, text, span.text, explanation, span.text, choices=choices
            )
        return None


class TrueFalseGenerator:
    kind = "true_false"

    def generate(self, fact: QuizFact, pool: FactPool, rng: random.Random) -> Question | None:
        spans = _shuffled_spans(fact, rng, ("number", "feature", "product", "competitor"))
        if not spans:
            return None
        if rng.random() < 0.5:  # a true statement, as written
            span = spans[0]
            text = f'True or false, according to {pool.context(fact)}? "{display(fact.text)}"'
            explanation = f"True: the source states it as written ({fact.chunk.source})."
            return _base(self.kind, fact, span, text, "True", explanation, "true")
        for span in spans:
            wrong = pool.siblings(fact, span, 1, rng)
            if not wrong:
                continue
            swapped = wrong[0]
            if span.is_name and normalize(swapped) in normalize(fact.chunk.text):
                continue
            statement = display(fact.text[: span.start] + swapped + fact.text[span.end :])
            text = f'True or false, according to {pool.context(fact, span.text)}? "{statement}"'
            explanation = (
                f'False: the source says "{display(span.text)}", not "{swapped}": '
                f'"{_window(fact.text, span)}"'
            )
            detail = f"false:{swapped}"
            return _base(self.kind, fact, span, text, "False", explanation, detail, swapped=swapped)
        return None


class FillBlankGenerator:
    kind = "fill_blank"

    def generate(self, fact: QuizFact, pool: FactPool, rng: random.Random) -> Question | None:
        for span in _shuffled_spans(fact, rng, tuple(_WHAT)):
            hint = _WHAT[span.type][1]
            text = (
                f"Fill in the blank ({hint}), from {pool.context(fact, span.text)}: "
                f'"{_masked(fact, span)}"'
            )
            if pool.reveals(text, span, others=(hint,)):
                continue
            explanation = f'The source says: "{_window(fact.text, span)}"'
            accept = pool.shorter_answers(span)
            detail = f"blank:{span.text}"
            return _base(self.kind, fact, span, text, span.text, explanation, detail, accept=accept)
        return None


class FeatureRecallGenerator:
    """An offline ``open`` question: explain a feature; the key points are its own cited facts
    (the fact asked about, a figure, an outcome). A stand-in for the LLM generator."""

    kind = "open"

    def __init__(self, points: int = 3) -> None:
        self.points = points

    def generate(self, fact: QuizFact, pool: FactPool, rng: random.Random) -> Question | None:
        feature = next((f for f in pool.features if f.name == fact.feature), None)
        if feature is None:
            return None
        chunks = pool.chunks
        facts = [x for x in feature.facts if x.chunk_id in chunks and x.text != fact.text]
        figures = [x for x in facts if numbers(x.text) and x.kind == "technical"]
        outcomes = [x for x in facts if x.kind == "business"]
        chosen = [Evidence(fact.text, fact.chunk)]
        for group in (figures, outcomes):
            if group and len(chosen) < self.points:
                x = group[rng.randrange(len(group))]
                chosen.append(Evidence(x.text, chunks[x.chunk_id]))
        if len(chosen) < 2:
            return None
        points = [
            KeyPoint(e.text, key_terms(e.text, pool.idf), citation_of(e.chunk, e.text))
            for e in chosen
        ]
        module = (
            f" ({feature.module})" if normalize(feature.module) != normalize(feature.name) else ""
        )
        text = (
            f"In your own words: what does {feature.name}{module} do, and what does it mean for "
            "a customer? Give the key facts."
        )
        span = Span(0, 0, feature.name, "open")
        return _base(
            self.kind,
            fact,
            span,
            text,
            " ".join(p.text for p in points),
            f"A full answer covers {len(points)} key points from {feature.source}.",
            "open",
            key="",
            citations=[p.citation for p in points],
            key_points=points,
        )


def key_terms(sentence: str, idf: Callable[[str], float] | None = None, k: int = 5) -> tuple:
    """The words a sentence hinges on: its figures, then its rarest content words."""
    terms: list[str] = [n for n in numbers(sentence) if not YEAR_RE.match(number_key(n))]
    seen: set[str] = set()
    scored = []
    for i, word in enumerate(re.findall(r"[A-Za-z][A-Za-z0-9'-]*[A-Za-z0-9]", sentence)):
        stems = tokenize(word)
        if len(word) < 3 or len(stems) != 1 or stems[0] in seen:
            continue
        seen.add(stems[0])
        weight = idf(stems[0]) if idf else float(len(word))
        scored.append((-weight, i, word))
    scored.sort()
    budget = max(2, min(k, len(scored) // 2))
    terms += [w for _, _, w in scored[:budget]]
    return tuple(dict.fromkeys(terms))
