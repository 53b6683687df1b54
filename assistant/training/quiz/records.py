"""Quiz records: the spans a question hinges on, quizzable facts, key points and questions."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from assistant.core.records import Chunk
from assistant.core.text import normalize, number_key, numbers
from assistant.retrieval.evidence import Evidence

KINDS = ("multiple_choice", "true_false", "fill_blank", "open")
EXACT_KINDS = ("multiple_choice", "true_false", "fill_blank")
CHOICES = 4
BLANK = "_____"
LETTERS = "ABCDEFGH"
YEAR_RE = re.compile(r"^(?:19|20)\d\d$")


def display(text: str) -> str:
    return " ".join(text.split())


def is_number(text: str) -> bool:
    return bool(re.fullmatch(r"[$€£]?\d[\d.,]*\s?\S*", text.strip()) and numbers(text))


@dataclass(frozen=True)
class Span:
    """A piece of a sentence a question can hinge on."""

    start: int
    end: int
    text: str
    type: str  # "number" | "feature" | "product" | "competitor" | "term"
    cls: str = ""  # sibling class: a number's unit, a name's module

    @property
    def is_name(self) -> bool:
        return self.type in ("feature", "product", "competitor")


@dataclass
class QuizFact:
    """A quizzable sentence: verbatim text of ``chunk``, its topic and the spans to ask about."""

    evidence: Evidence
    topic: str
    spans: list[Span]
    feature: str = ""  # the catalog feature this sentence is a fact of, if any

    @property
    def text(self) -> str:
        return self.evidence.text

    @property
    def chunk(self) -> Chunk:
        return self.evidence.chunk

    @property
    def key(self) -> str:
        return normalize(self.text)

    @cached_property
    def number_keys(self) -> set[str]:
        return {number_key(n) for n in numbers(self.text)}


@dataclass(frozen=True)
class KeyPoint:
    """One thing a good free-text answer says: a verbatim, cited sentence and its key terms."""

    text: str
    terms: tuple[str, ...]
    citation: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"point": self.text, "terms": list(self.terms), "citation": self.citation}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> KeyPoint:
        return cls(data["point"], tuple(data.get("terms", ())), dict(data["citation"]))


@dataclass
class Question:
    id: str
    kind: str
    question: str
    answer: str
    explanation: str
    citations: list[dict[str, Any]]
    topic: str
    answer_type: str = ""
    key: str = ""  # the piece of the quote the question hinges on
    choices: list[str] | None = None
    swapped: str = ""  # true/false: what replaced ``key`` in a false statement
    accept: list[str] = field(default_factory=list)  # blanks: shorter answers that also count
    key_points: list[KeyPoint] = field(default_factory=list)

    @property
    def quote(self) -> str:
        return self.citations[0]["quote"] if self.citations else ""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "question": self.question,
        }
        if self.choices is not None:
            out["choices"] = list(self.choices)
        for name in ("answer", "explanation", "citations", "topic", "answer_type", "key"):
            out[name] = getattr(self, name)
        if self.swapped:
            out["swapped"] = self.swapped
        if self.accept:
            out["accept"] = list(self.accept)
        if self.key_points:
            out["key_points"] = [k.to_json() for k in self.key_points]
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Question:
        return cls(
            id=str(data["id"]),
            kind=str(data["kind"]),
            question=str(data["question"]),
            answer=str(data["answer"]),
            explanation=str(data.get("explanation", "")),
            citations=[dict(c) for c in data.get("citations", [])],
            topic=str(data.get("topic", "")),
            answer_type=str(data.get("answer_type", "")),
            key=str(data.get("key", "")),
            choices=list(data["choices"]) if data.get("choices") is not None else None,
            swapped=str(data.get("swapped", "")),
            accept=[str(a) for a in data.get("accept", [])],
            key_points=[KeyPoint.from_json(k) for k in data.get("key_points", [])],
        )


def question_id(kind: str, source: str, sentence: str, detail: str = "") -> str:
    """Stable across re-ingests: the same sentence and gap give the same id."""
    raw = f"{kind}|{source}|{normalize(sentence)}|{detail}"
    return hashlib.sha1(raw.encode()).hexdigest()[:12]


def number_value(key: str) -> float | None:
    m = re.match(r"^(\d+(?:\.\d+)?)", key)
    return float(m.group(1)) if m else None


def format_like(template: str, key: str) -> str:
    """Write number ``key`` the way ``template`` writes its number (currency, commas, unit)."""
    m = re.match(r"^([$€£]?)([\d.,]+)(.*)$", template)
    digits = re.match(r"^(\d+(?:\.\d+)?)", key)
    if not m or not digits:
        return key
    body = digits.group(1)
    if "," in m.group(2) and "." not in body and len(body) > 3:
        body = f"{int(body):,}"
    return f"{m.group(1)}{body}{m.group(3)}"
