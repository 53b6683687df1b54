"""Drill records and the library: objections (and customer questions) with the documented
response, split into the four steps of the rubric (acknowledge, reframe, evidence, question
back) plus its key points."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from assistant.core.records import Chunk
from assistant.core.results import citation_of
from assistant.core.text import normalize, numbers
from assistant.jobs.objection import ACK_RE
from assistant.personas.resolver import Resolution
from assistant.retrieval.evidence import Evidence, chunk_sentences, is_customer_sayable
from assistant.training.quiz.generators import key_terms
from assistant.training.quiz.records import KeyPoint
from assistant.understand.qa import QAPair

REFRAME_RE = re.compile(
    r"\b(but|however|the (?:real|bigger|better|right) (?:question|issue|point|driver)s?|"
    r"what (?:really )?matters|rather than|instead of|the question is|think about|"
    r"(?:total|true) cost|the difference|it'?s (?:really|actually) about|the point is|"
    r"what (?:it|this) means|underlying|the risk|the cost of|though)\b",
    re.I,
)
WEIGHTS = {
    "acknowledge": 0.15,
    "reframe": 0.15,
    "evidence": 0.2,
    "question_back": 0.15,
    "key_points": 0.35,
}
LABELS = {
    "acknowledge": "Acknowledge the concern before answering it",
    "reframe": "Reframe it to the underlying business question",
    "evidence": "Back the answer with a specific fact from the knowledge base",
    "question_back": "End with a question that hands the conversation back",
    "key_points": "Cover the key points of the documented response",
}
MAX_POINTS = 4


@dataclass
class DrillItem:
    """An objection (or customer question) and the chunks that hold the documented response."""

    objection: str
    chunks: list[Chunk]
    origin: str  # "battlecard" | "guide" | "faq"
    answer: tuple[str, ...] = ()  # the answer's own lines when it shares a passage

    @property
    def chunk(self) -> Chunk:
        return self.chunks[0]

    @property
    def source(self) -> str:
        return self.chunk.source

    @property
    def competitor(self) -> str:
        return self.chunk.meta.competitor

    @property
    def id(self) -> str:
        raw = f"drill|{self.source}|{normalize(self.objection)}"
        return "drill:" + hashlib.sha1(raw.encode()).hexdigest()[:12]

    @property
    def topic(self) -> str:
        if self.competitor:
            return f"Competitor: {self.competitor}"
        return self.chunk.meta.title or self.source


@dataclass
class ModelAnswer:
    """What the documented response does, step by step (each a verbatim, cited sentence)."""

    acknowledge: list[Evidence]
    reframe: list[Evidence]
    evidence: list[Evidence]
    question: list[Evidence]
    key_points: list[KeyPoint]


@dataclass
class DrillPrompt:
    item: DrillItem
    persona: Resolution | None
    model: ModelAnswer

    @property
    def buyer(self) -> str:
        return self.persona.persona.title if self.persona else "Buyer"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.item.id,
            "persona": self.persona.to_json() if self.persona else None,
            "objection": self.item.objection,
            "prompt": f'{self.buyer}: "{self.item.objection}"',
            "source": self.item.source,
            "competitor": self.item.competitor or None,
            "topic": self.item.topic,
            "rubric": [
                {"item": k, "label": LABELS[k], "weight": WEIGHTS[k], "met": None} for k in WEIGHTS
            ],
            "key_points": [p.to_json() for p in self.model.key_points],
        }


@dataclass
class RubricItem:
    item: str
    met: bool
    quote: str = ""  # what the rep said that meets it
    evidence: dict[str, Any] | None = None  # the source it rests on, or that was missed
    note: str = ""
    share: float | None = None  # key points: the share covered

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "item": self.item,
            "label": LABELS[self.item],
            "met": self.met,
            "weight": WEIGHTS[self.item],
            "quote": self.quote,
            "evidence": self.evidence,
            "note": self.note,
        }
        if self.share is not None:
            out["share"] = round(self.share, 3)
        return out


@dataclass
class DrillResult:
    prompt: DrillPrompt
    answer: str
    rubric: list[RubricItem]
    covered: list[dict[str, Any]] = field(default_factory=list)
    missed: list[dict[str, Any]] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)

    @property
    def score(self) -> float:
        total = 0.0
        for r in self.rubric:
            part = r.share if r.share is not None else float(r.met)
            total += WEIGHTS[r.item] * part
        return round(total, 3)

    def to_json(self) -> dict[str, Any]:
        head = self.prompt.to_json()
        return {
            **{k: head[k] for k in ("id", "persona", "objection", "prompt", "source", "topic")},
            "competitor": head["competitor"],
            "answer": self.answer,
            "rubric": [r.to_json() for r in self.rubric],
            "score": self.score,
            "covered": self.covered,
            "missed": self.missed,
            "unsupported_figures": self.unsupported,
        }


# --------------------------------------------------------------------------- the library


def drill_items(pairs: list[QAPair]) -> list[DrillItem]:
    """Every objection and answered question, as something to drill."""
    out = []
    for p in pairs:
        origin = ("guide" if p.internal else "battlecard") if p.kind == "objection" else "faq"
        out.append(DrillItem(p.question, list(p.chunks), origin, p.answer))
    return out


def model_answer(item: DrillItem, idf: Any = None) -> ModelAnswer:
    """Split a documented response into the four steps and its key points."""
    response = chunk_sentences(item.chunks, min_words=4)
    if item.answer:
        response = [e for e in response if e.text in " ".join(item.answer)]
    ack: list[Evidence] = []
    question: list[Evidence] = []
    first = response[0].text if response else ""
    if item.origin != "faq" and ACK_RE.search(first) and "?" not in first:
        ack = [response.pop(0)]
    for e in list(response):
        if e.text.rstrip().rstrip('"”').endswith("?"):
            question = [e]
            response.remove(e)
    points = [
        e
        for e in response
        if is_customer_sayable(e.text) or (numbers(e.text) and not e.text.startswith("Question"))
    ]
    if len(points) > MAX_POINTS:  # keep the ones with figures and names first, in order
        ranked = sorted(points, key=lambda e: (not numbers(e.text), points.index(e)))
        keep = {id(e) for e in ranked[:MAX_POINTS]}
        points = [e for e in points if id(e) in keep]
    plain = [e for e in points if not numbers(e.text)]
    reframe = [e for e in plain if REFRAME_RE.search(e.text)][:1] or plain[1:2]
    evidence = [e for e in points if numbers(e.text)][:2]
    key_points = [
        KeyPoint(e.text, key_terms(e.text, idf), citation_of(e.chunk, e.text)) for e in points
    ]
    return ModelAnswer(ack, reframe, evidence, question, key_points)
