"""Objection drills: the assistant plays a buyer, raises an objection from the knowledge base,
and scores the rep's answer against a visible rubric.

Objections come from battlecards (``## Objections`` / ``### "objection"``), the internal
objection-handling guide and customer-question pages (FAQ headings that end in "?"). The
rubric is the four-step method the knowledge base teaches (acknowledge, reframe, evidence,
question back) plus the key points of the documented response; every item shows what the rep
said that met it, or what the source says that was missed.
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import ConfigError
from .evidence import Evidence, chunk_sentences, is_customer_sayable
from .objection import ACK_RE, objection_pairs
from .personas import Persona, Resolution, find_terms
from .quiz import KeyPoint, SimilarityGrader, TextGrader, citation_of, key_terms
from .records import Chunk
from .text import normalize, number_key, numbers, sentences

if TYPE_CHECKING:
    from .service import Pitchcraft

FAQ_RE = re.compile(r"\bfaq\b|frequently asked|questions customers|customer questions", re.I)
REFRAME_RE = re.compile(
    r"\b(but|however|the (?:real|bigger|better|right) (?:question|issue|point|driver)s?|"
    r"what (?:really )?matters|rather than|instead of|the question is|think about|"
    r"(?:total|true) cost|the difference|it'?s (?:really|actually) about|the point is|"
    r"what (?:it|this) means|underlying|the risk|the cost of|though)\b",
    re.I,
)
NEGATION_RE = re.compile(r"\b(?:not|no|never|don'?t|doesn'?t|isn'?t|n't)\W+(?:\w+\W+)?$", re.I)
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
REFRAME_SIMILARITY = 0.6
EVIDENCE_SIMILARITY = 0.55  # a figure must come with what the source says about it


@dataclass
class DrillItem:
    """An objection (or customer question) and the chunks that hold the documented response."""

    objection: str
    chunks: list[Chunk]
    origin: str  # "battlecard" | "guide" | "faq"

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


def faq_items(chunks: list[Chunk]) -> list[DrillItem]:
    """Customer questions: FAQ headings ending in "?" and the answer under them."""
    pairs: dict[tuple[str, str], list[Chunk]] = {}
    for c in chunks:
        path = [p.strip() for p in c.heading.split(" > ")]
        where = f"{c.meta.title} {c.source} {c.heading}"
        if len(path) >= 2 and path[-1].endswith("?") and FAQ_RE.search(where):
            pairs.setdefault((c.source, path[-1]), []).append(c)
    return [DrillItem(q, chunks, "faq") for (_, q), chunks in pairs.items()]


def model_answer(item: DrillItem, idf: Any = None) -> ModelAnswer:
    """Split a documented response into the four steps and its key points."""
    response = chunk_sentences(item.chunks, min_words=4)
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


# --------------------------------------------------------------------------- the drill


class Drill:
    """Objection drills over one knowledge base; ``app`` supplies the shared parts."""

    def __init__(self, app: Pitchcraft, text_grader: TextGrader | None = None) -> None:
        self.app = app
        self.kb = app.kb
        self.text_grader = text_grader or SimilarityGrader(app.kb.embedder)
        self._gen = -1
        self._items: list[DrillItem] = []

    def items(self) -> list[DrillItem]:
        if self._gen != self.kb.manifest.generation:
            items = [
                DrillItem(obj, chunks, "guide" if chunks[0].internal else "battlecard")
                for obj, chunks in objection_pairs(self.kb)
            ]
            seen = {(i.source, normalize(i.objection)) for i in items}
            for faq in faq_items(list(self.kb.manifest.all_chunks())):
                if (faq.source, normalize(faq.objection)) not in seen:
                    items.append(faq)
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
            name = self.app.planner.resolve_competitor(competitor)
            if not name:
                raise ConfigError(f"no battlecard or comparison page for {competitor!r}")
            items = [i for i in items if i.competitor.lower() == name.lower()]
            if not items:
                raise ConfigError(f"no objections about {name} in the knowledge base")
        resolution = self.app.resolver.resolve(persona) if persona else None
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
            ids = [p for p in item.chunk.meta.personas if p in self.app.personas]
            fallback = ids[rng.randrange(len(ids))] if ids else "champion"
            if fallback in self.app.personas:
                resolution = self.app.resolver.resolve(fallback)
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
        names = _known_names(self.app)
        for s in said:
            figures = numbers(s)
            named = find_terms(names, s)
            if not figures and not named:
                continue
            keys = {number_key(f) for f in figures}
            hits = self.app.retriever.search(s, k=6).hits
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


def _known_names(app: Pitchcraft) -> list[str]:
    """Feature, product and customer names a rep may cite as evidence."""
    names = {f.name for f in app.kb.catalog} | {f.module for f in app.kb.catalog}
    for d in app.kb.manifest.documents():
        if d.meta.doc_type == "case_study" and d.meta.title:
            m = re.match(r"^([A-Z][\w&.-]*(?: [A-Z][\w&.-]*){0,3})", d.meta.title)
            if m:
                names.add(m.group(1))
    return sorted(n for n in names if n and ":" not in n)
