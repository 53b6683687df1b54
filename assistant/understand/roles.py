"""Passage roles from what a passage says: capability, outcome, proof, comparison, question →
answer, pricing, security, process, buyer persona, open question, instruction to an AI.

Each decision blends three kinds of evidence and keeps them as its reason: the text's own
signals (``prompts/roles.yaml`` patterns, and structure such as a question heading with an
answer under it), the passage's similarity to the role's example sentences (the embedding
model), and the document's type as a hint (front-matter or folder), which raises confidence but
is never required. Sentences addressed to an AI are found one by one and never used as
evidence, whatever the passage's role.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Annotated

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from assistant.core.records import Chunk
from assistant.core.text import is_pending, is_question, sentences
from assistant.core.yamlfile import Pattern, exactly, load_model

Embed = Callable[[Sequence[str]], np.ndarray]

ROLES = (
    "capability",
    "outcome",
    "proof",
    "comparison",
    "qa",
    "pricing",
    "security",
    "process",
    "persona",
    "legal",
    "company",
    "open_question",
    "instruction",
)
# How the three kinds of evidence add up. Set by hand on the development corpora (the two in
# ../shared/corpora and the sample) by reading the roles `pitchcraft map` lists; not fitted
# to labels.
SIGNAL_WEIGHT = 0.55  # distinct signal patterns found, two or more count fully
SIMILARITY_WEIGHT = 0.45  # cosine with the role's examples, rescaled from [0.1, 0.6]
HINT_BONUS = 0.25  # the document's type names this role
COS_FLOOR, COS_SPAN = 0.1, 0.5
SECONDARY_SHARE = 0.7  # other roles scoring this share of the best are kept as secondary
QUESTION_SHARE = 0.6  # a passage this much made of questions, with no answer, is open
# A sentence this close to an instruction example is one even in wording the patterns miss.
# Measured with the bundled model: injected sentences 0.68-0.77, rep coaching and pricing
# sentences up to 0.60; so only near-copies count, and the patterns do most of the work.
INSTRUCTION_SIMILARITY = 0.72
INSTRUCTION_PASSAGE = 0.6  # a passage this close is read sentence by sentence


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RoleSpec(_Strict):
    examples: list[str] = Field(min_length=1)
    signals: list[Pattern] = Field(default_factory=list)


class RoleBook(_Strict):
    """``prompts/roles.yaml``."""

    roles: Annotated[dict[str, RoleSpec], exactly(ROLES)]
    hints: dict[str, list[str]] = Field(default_factory=dict)
    injection: list[Pattern] = Field(min_length=1)

    @cached_property
    def signal_patterns(self) -> dict[str, list[re.Pattern[str]]]:
        return {r: [re.compile(p, re.I) for p in s.signals] for r, s in self.roles.items()}

    @cached_property
    def injection_patterns(self) -> list[re.Pattern[str]]:
        return [re.compile(p, re.I) for p in self.injection]

    def injected(self, sentence: str) -> bool:
        """A sentence that addresses an AI instead of a reader (by its wording)."""
        return any(p.search(sentence) for p in self.injection_patterns)


def load_roles(prompts_dir: Path) -> RoleBook:
    return load_model(Path(prompts_dir) / "roles.yaml", RoleBook)


@dataclass(frozen=True)
class RoleDecision:
    role: str
    confidence: float
    reason: str
    secondary: tuple[str, ...] = ()
    blocked: tuple[str, ...] = ()  # sentences addressed to an AI, never evidence


def qa_shape(chunk: Chunk) -> str:
    """``qa`` when a question here has an answer under it (a question heading over prose,
    a "Q:"/"A:" pair, a question line followed by an answer), ``open_question`` when the
    passage is questions without answers, else ""."""
    heading = chunk.heading.split(" > ")[-1].strip()
    said = sentences(chunk.text)
    questions = [s for s in said if is_question(s) or is_pending(s)]
    answers = [s for s in said if s not in questions]
    if re.search(r"(?mi)^\s*(?:q|question)\s*[:.].+\n+\s*(?:a|answer)\s*[:.]", chunk.text):
        return "qa"
    if is_question(heading):
        return "qa" if answers else "open_question"
    lines = [ln.strip() for ln in chunk.text.splitlines() if ln.strip()]
    for a, b in itertools.pairwise(lines):
        if is_question(a) and not is_question(b) and len(b.split()) >= 4:
            return "qa"
    if said and len(questions) >= QUESTION_SHARE * len(said) and len(questions) >= 2:
        return "open_question"
    return ""


class RoleClassifier:
    """Decides the role of passages; the role examples are embedded once."""

    def __init__(self, book: RoleBook, embed: Embed) -> None:
        self.book = book
        self.embed = embed
        names = list(book.roles)
        texts = [t for r in names for t in book.roles[r].examples]
        owner = np.array([i for i, r in enumerate(names) for _ in book.roles[r].examples])
        vectors = embed(texts)
        self._names = names
        self._examples = vectors
        self._owner = owner
        instruction = np.flatnonzero(owner == names.index("instruction"))
        self._instruction = vectors[instruction]

    def blocked(self, chunk: Chunk, vector: np.ndarray | None) -> tuple[str, ...]:
        """Sentences of the chunk addressed to an AI: by wording, or (when the passage as a
        whole is close to an instruction) by meaning, sentence by sentence."""
        said = sentences(chunk.text)
        found = [s for s in said if self.book.injected(s)]
        if vector is not None and len(self._instruction):
            near = float(np.max(self._instruction @ vector))
            if near >= INSTRUCTION_PASSAGE and said:
                sims = self.embed(said) @ self._instruction.T
                found += [
                    s
                    for s, row in zip(said, sims, strict=True)
                    if row.max() >= INSTRUCTION_SIMILARITY
                ]
        return tuple(dict.fromkeys(found))

    def _scores(
        self, text: str, vector: np.ndarray | None, doc_type: str = ""
    ) -> tuple[dict[str, float], dict[str, list[str]]]:
        """Each role's score for ``text`` (signals, similarity, the document-type hint) and
        the reasons behind it; the instruction role is decided sentence by sentence instead."""
        scores: dict[str, float] = {}
        reasons: dict[str, list[str]] = {}
        sims = self._examples @ vector if vector is not None else None
        hinted = set(self.book.hints.get(doc_type, ()))
        for i, role in enumerate(self._names):
            if role == "instruction":
                continue
            hits = [p.pattern for p in self.book.signal_patterns[role] if p.search(text)]
            signal = min(1.0, len(hits) / 2)
            similarity = 0.0
            if sims is not None:
                best = float(sims[self._owner == i].max())
                similarity = max(0.0, min(1.0, (best - COS_FLOOR) / COS_SPAN))
            score = SIGNAL_WEIGHT * signal + SIMILARITY_WEIGHT * similarity
            why = []
            if hits:
                why.append(f"{len(hits)} signal(s)")
            if similarity > 0.5:
                why.append(f"close to its examples ({similarity:.2f})")
            if role in hinted:
                score += HINT_BONUS
                why.append(f"document type {doc_type}")
            scores[role], reasons[role] = score, why
        return scores, reasons

    def topics(self, text: str, roles: Sequence[str]) -> list[str]:
        """Which of ``roles`` a query is about, best first (those scoring at all)."""
        scores, _ = self._scores(text, self.embed([text])[0])
        return sorted((r for r in roles if scores.get(r, 0) > 0), key=lambda r: -scores[r])

    def classify(self, chunk: Chunk, vector: np.ndarray | None) -> RoleDecision:
        blocked = self.blocked(chunk, vector)
        said = sentences(chunk.text)
        if said and len(blocked) * 2 >= len(said):
            return RoleDecision(
                "instruction", 1.0, "addressed to an AI: " + blocked[0][:80], (), blocked
            )
        scores, reasons = self._scores(
            f"{chunk.heading}\n{chunk.text}", vector, chunk.meta.doc_type
        )
        shape = qa_shape(chunk)
        if shape:
            scores[shape] = max(scores.values()) + 0.2
            reasons[shape] = [
                "a question " + ("with its answer" if shape == "qa" else "without an answer")
            ]
        ranked = sorted(scores, key=lambda r: (-scores[r], ROLES.index(r)))
        best = ranked[0]
        second = scores[ranked[1]] if len(ranked) > 1 else 0.0
        confidence = round(max(0.0, min(1.0, 0.5 + scores[best] - second)), 3)
        secondary = tuple(
            r
            for r in ranked[1:4]
            if scores[r] >= SECONDARY_SHARE * scores[best] and scores[r] > 0.3
        )
        reason = "; ".join(reasons[best]) or "no strong signal"
        return RoleDecision(best, confidence, reason, secondary, blocked)
