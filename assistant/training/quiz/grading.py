"""Grading: choices and true/false exactly, blanks by value or stem, free text against key
points (offline by key terms and meaning; an LLM grader plugs in through ``TextGrader``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from assistant.core.errors import ConfigError
from assistant.core.text import normalize, number_key, numbers, sentences
from assistant.index.embeddings import Embedder
from assistant.index.lexical import tokenize
from assistant.training.quiz.records import (
    EXACT_KINDS,
    LETTERS,
    KeyPoint,
    Question,
    is_number,
)

PASS_SCORE = 0.6  # a free-text answer at or above this counts as correct for progress
_TRUE = {"true", "t", "yes", "y", "correct", "right", "1"}
_FALSE = {"false", "f", "no", "n", "incorrect", "wrong", "0"}


@dataclass
class PointResult:
    point: KeyPoint
    score: float
    covered: bool
    answer_quote: str = ""
    terms_hit: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "point": self.point.text,
            "source_quote": self.point.citation.get("quote", self.point.text),
            "source": self.point.citation.get("source", ""),
            "score": round(self.score, 3),
            "terms": list(self.point.terms),
            "terms_hit": self.terms_hit,
        }
        if self.answer_quote:
            out["answer_quote"] = self.answer_quote
        return out


class TextGrader(Protocol):
    """Grades a free-text answer against key points. The offline one compares words and
    meaning; an LLM grader applies the same points as a rubric."""

    name: str

    def grade(self, points: Sequence[KeyPoint], answer: str) -> list[PointResult]: ...


class SimilarityGrader:
    """Offline: a point is covered when the answer uses its key terms (figures by value,
    words by stem) and says something close to it in meaning (embeddings)."""

    name = "offline"

    def __init__(
        self,
        embedder: Embedder | None = None,
        term_weight: float = 0.55,
        threshold: float = 0.5,
        low: float = 0.3,
        high: float = 0.75,
    ) -> None:
        self.embedder = embedder
        self.term_weight = term_weight if embedder is not None else 1.0
        self.threshold = threshold
        self.low, self.high = low, high

    def grade(self, points: Sequence[KeyPoint], answer: str) -> list[PointResult]:
        said = [s for s in sentences(answer) if s.strip()] or ([answer] if answer.strip() else [])
        if not points:
            return []
        if not said:
            return [PointResult(p, 0.0, False) for p in points]
        stems = set(tokenize(answer))
        figures = {number_key(n) for n in numbers(answer)}
        sims = None
        if self.embedder is not None:
            vectors = self.embedder.embed([p.text for p in points] + said)
            sims = vectors[: len(points)] @ vectors[len(points) :].T
        out = []
        for i, p in enumerate(points):
            hit = [t for t in p.terms if _term_in(t, stems, figures)]
            term_share = len(hit) / len(p.terms) if p.terms else 0.0
            best = 0
            meaning = 0.0
            if sims is not None:
                best = int(np.argmax(sims[i]))
                cos = float(sims[i][best])
                meaning = min(1.0, max(0.0, (cos - self.low) / (self.high - self.low)))
            else:
                best = max(
                    range(len(said)),
                    key=lambda j: len(set(tokenize(said[j])) & set(tokenize(p.text))),
                )
            score = self.term_weight * term_share + (1 - self.term_weight) * meaning
            covered = score >= self.threshold
            out.append(PointResult(p, score, covered, said[best] if covered else "", hit))
        return out


def _term_in(term: str, stems: set[str], figures: set[str]) -> bool:
    if is_number(term):
        return number_key(numbers(term)[0]) in figures
    mine = tokenize(term)
    return bool(mine) and all(t in stems for t in mine)


@dataclass
class QuestionResult:
    question: Question
    response: str
    score: float
    correct: bool
    covered: list[dict[str, Any]]
    missed: list[dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        q = self.question
        out: dict[str, Any] = {"id": q.id, "kind": q.kind, "topic": q.topic}
        if q.kind in EXACT_KINDS:
            out["correct"] = self.correct
        out.update(
            {
                "score": round(self.score, 3),
                "response": self.response,
                "answer": q.answer,
                "covered": self.covered,
                "missed": self.missed,
                "source_quote": q.quote,
                "source": q.citations[0]["source"] if q.citations else "",
                "explanation": q.explanation,
            }
        )
        return out


@dataclass
class QuizGrade:
    results: list[QuestionResult]
    grader: str = "offline"

    @property
    def score(self) -> float:
        return round(sum(r.score for r in self.results) / len(self.results), 3) if self else 0.0

    def __bool__(self) -> bool:
        return bool(self.results)

    def to_json(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "correct": sum(1 for r in self.results if r.correct),
            "total": len(self.results),
            "grader": self.grader,
            "results": [r.to_json() for r in self.results],
        }


def choice_index(question: Question, response: str) -> int | None:
    """A multiple-choice response as the choice text, a letter (``B``) or a position (``2``)."""
    choices = question.choices or []
    for i, c in enumerate(choices):  # the text first: with figures as choices "2" is a choice
        if normalize(c) == normalize(response):
            return i
    r = response.strip().rstrip(").:").strip()
    if len(r) == 1 and r.upper() in LETTERS[: len(choices)]:
        return LETTERS.index(r.upper())
    if r.isdigit() and 1 <= int(r) <= len(choices):
        return int(r) - 1
    return None


def _exact(question: Question, response: str) -> bool:
    if question.kind == "multiple_choice":
        i = choice_index(question, response)
        return i is not None and normalize(question.choices[i]) == normalize(question.answer)
    if question.kind == "true_false":
        r = normalize(response).strip(".!")
        said = True if r in _TRUE else False if r in _FALSE else None
        return said is not None and said == (question.answer == "True")
    # fill_blank: a number by value; words by stem, without padding the answer out
    if question.answer_type == "number":
        return number_key(question.answer) in {number_key(n) for n in numbers(response)}
    got = tokenize(response)
    for answer in (question.answer, *question.accept):
        want = tokenize(answer)
        if normalize(response) == normalize(answer):
            return True
        if want and set(want) <= set(got) and len(got) <= len(want) + 2:
            return True
    return False


def grade(
    questions: Sequence[Question],
    responses: Mapping[str, str],
    text_grader: TextGrader | None = None,
) -> QuizGrade:
    """Grade ``responses`` (question id → answer). Choices and true/false exactly, blanks by
    value or stem, open answers by ``text_grader`` against the key points."""
    text_grader = text_grader or SimilarityGrader()
    results = []
    for q in questions:
        response = str(responses.get(q.id, "") or "")
        if q.kind == "open":
            points = text_grader.grade(q.key_points, response)
            share = sum(p.covered for p in points) / len(points) if points else 0.0
            mean = sum(p.score for p in points) / len(points) if points else 0.0
            score = 0.5 * share + 0.5 * mean
            results.append(
                QuestionResult(
                    q,
                    response,
                    score,
                    score >= PASS_SCORE,
                    [p.to_json() for p in points if p.covered],
                    [p.to_json() for p in points if not p.covered],
                )
            )
            continue
        ok = bool(response.strip()) and _exact(q, response)
        point = {"point": q.key or q.answer, "source_quote": q.quote}
        if q.kind == "true_false" and q.swapped:
            point["point"] = f"{q.key} (not {q.swapped})"
        if ok:
            point["answer_quote"] = response
        results.append(
            QuestionResult(
                q, response, 1.0 if ok else 0.0, ok, [point] if ok else [], [] if ok else [point]
            )
        )
    return QuizGrade(results, text_grader.name)


def read_answers(data: Any) -> tuple[dict[str, str], dict[str, Question], str]:
    """Answers from a JSON document: ``{"answers": {id: answer}}``, ``{"answers": [{"id",
    "answer"}]}``, a bare list of those, or a quiz (``{"questions": [...]}``) whose questions
    carry a ``response``. Returns (id → answer, id → inline question, learner or "")."""
    responses: dict[str, str] = {}
    inline: dict[str, Question] = {}
    learner = ""
    if isinstance(data, dict):
        learner = str(data.get("learner") or "")
        answers = data.get("answers", data.get("responses"))
        if isinstance(answers, dict):
            responses.update({str(k): str(v) for k, v in answers.items()})
        elif isinstance(answers, list):
            data = answers
        for q in data.get("questions", []) if isinstance(data, dict) else []:
            if isinstance(q, dict) and "id" in q:
                if "response" in q:
                    responses[str(q["id"])] = str(q["response"])
                if {"kind", "question", "answer"} <= q.keys():
                    inline[str(q["id"])] = Question.from_json(q)
    if isinstance(data, list):
        for item in data:
            if isinstance(item, dict) and "id" in item:
                value = item.get("answer", item.get("response", ""))
                responses[str(item["id"])] = str(value)
    if not responses:
        raise ConfigError(
            'no answers found; expected {"answers": {"<question id>": "<answer>", ...}}'
        )
    return responses, inline, learner
