"""Quizzes built from the knowledge base, and their grading. Nothing is invented.

Every question comes from one verbatim sentence of one chunk (its citation): the answer key is a
piece of that sentence (a number, a feature, product or competitor name, a key term), so the
answer always occurs in the cited quote. Offline kinds need no language model:

- ``multiple_choice``: the sentence with a gap; distractors are sibling facts from the corpus
  (other numbers of the same kind, other features, products or competitors) and are checked so
  that none of them is also correct;
- ``true_false``: the sentence as written, or with a number or a name swapped for a sibling that
  does not occur in the cited chunk;
- ``fill_blank``: a gap on a number or a key term (names, rare product terms), never on a stop
  word or on a word the question gives away elsewhere.

``open`` questions come from a ``QuestionGenerator`` passed in (the LLM one, or the offline
``FeatureRecallGenerator``); they carry key points, each a cited quote, and are graded by a
``TextGrader``: offline by key terms and meaning (``SimilarityGrader``).
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.core.errors import ConfigError
from assistant.core.text import normalize
from assistant.index.kb import KnowledgeBase
from assistant.training.quiz.facts import FactPool
from assistant.training.quiz.generators import (
    FillBlankGenerator,
    MultipleChoiceGenerator,
    QuestionGenerator,
    TrueFalseGenerator,
)
from assistant.training.quiz.records import Question, QuizFact

DEFAULT_MIX = {"multiple_choice": 0.4, "true_false": 0.3, "fill_blank": 0.3}
OPEN_SHARE = 0.25  # of the mix when an open-question generator is passed
MAX_MISSES = 8  # facts tried for the wanted kind before any kind will do

# How much each kind of document is worth a question (training leans on product and competition).
DOC_WEIGHT = {
    "product": 1.0,
    "battlecard": 1.0,
    "comparison": 0.9,
    "pricing": 0.9,
    "case_study": 0.8,
    "security": 0.8,
    "internal": 0.6,
    "general": 0.2,
}


@dataclass
class Focus:
    """What a learner's history asks of the next quiz (see ``progress.Progress.focus``)."""

    due: list[dict[str, Any]] = field(default_factory=list)  # questions to ask again
    topic_weight: dict[str, float] = field(default_factory=dict)  # weak topics weigh more
    mastered: set[str] = field(default_factory=set)  # normalised quotes answered right
    weak_topics: list[str] = field(default_factory=list)  # weakest first


@dataclass
class Quiz:
    questions: list[Question]
    seed: int
    reviewed: int = 0  # how many questions are repeats due for review
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "questions": [q.to_json() for q in self.questions],
            "seed": self.seed,
            "reviewed": self.reviewed,
            "warnings": self.warnings,
        }


class QuizMaker:
    """Quizzes over one knowledge base. Keep one; the fact pool is rebuilt only when the KB
    changes. Pass ``open_generator`` (e.g. the LLM one) to mix in open questions."""

    def __init__(
        self,
        kb: KnowledgeBase,
        generators: Sequence[QuestionGenerator] | None = None,
        open_generator: QuestionGenerator | None = None,
        mix: Mapping[str, float] | None = None,
    ) -> None:
        self.kb = kb
        gens = list(generators or (MultipleChoiceGenerator(), TrueFalseGenerator()))
        if generators is None:
            gens.append(FillBlankGenerator())
        self.generators: dict[str, QuestionGenerator] = {g.kind: g for g in gens}
        self.mix = dict(mix or DEFAULT_MIX)
        if open_generator is not None:
            self.generators["open"] = open_generator
            self.mix.setdefault("open", OPEN_SHARE)
        self.mix = {k: v for k, v in self.mix.items() if k in self.generators and v > 0}
        self._pool: FactPool | None = None
        self._gen = -1

    @property
    def pool(self) -> FactPool:
        gen = self.kb.manifest.generation
        if self._pool is None or gen != self._gen:
            lexical = self.kb.lexical
            vendor = self.kb.vendor
            self._pool = FactPool(
                list(self.kb.manifest.all_chunks()),
                self.kb.catalog,
                self.kb.competitor_names(),
                lexical.idf,
                lexical.df_share,
                vendor_words=[vendor, *vendor.split()],
            )
            self._gen = gen
        return self._pool

    def _plan(self, n: int, rng: random.Random) -> list[str]:
        total = sum(self.mix.values())
        raw = {k: n * v / total for k, v in self.mix.items()}
        counts = {k: int(v) for k, v in raw.items()}
        for k in sorted(raw, key=lambda k: (-(raw[k] - counts[k]), k))[: n - sum(counts.values())]:
            counts[k] += 1
        plan = [k for k in sorted(counts) for _ in range(counts[k])]
        rng.shuffle(plan)
        return plan

    def make(
        self,
        n: int = 10,
        topic: str | None = None,
        doc_types: Sequence[str] = (),
        seed: int = 0,
        focus: Focus | None = None,
    ) -> Quiz:
        if n < 1:
            raise ConfigError("--n must be at least 1")
        pool = self.pool
        facts = pool.select(topic, doc_types)
        if not facts:
            what = " and ".join(
                x for x in (f"topic {topic!r}" if topic else "", "/".join(doc_types) or "") if x
            )
            raise ConfigError(f"nothing to quiz on for {what or 'this knowledge base'}")
        focus = focus or Focus()
        rng = random.Random(seed)
        questions: list[Question] = []
        used: set[str] = set()
        texts: set[str] = set()

        def add(q: Question) -> None:
            questions.append(q)
            used.add(normalize(q.quote))
            texts.add(q.question)

        # 1. Questions answered wrong and due again, while they still match the sources.
        allowed = {f.key for f in facts}
        for data in focus.due:
            if len(questions) >= math.ceil(n / 2):
                break
            q = Question.from_json(data)
            if q.kind not in self.generators or normalize(q.quote) in used:
                continue
            if normalize(q.quote) not in allowed:
                continue
            if pool.still_valid(q, self.kb.manifest.source_chunks):
                add(q)
        reviewed = len(questions)
        # 2. New questions, weak topics first, one per sentence, topics spread out.
        plan = self._plan(n - reviewed, rng)
        ids = {q.id for q in questions}
        remaining = [f for f in facts if f.key not in used]
        per_topic: Counter[str] = Counter(q.topic for q in questions)
        base = [
            DOC_WEIGHT.get(f.chunk.meta.doc_type, 0.5)
            * focus.topic_weight.get(f.topic, 1.0)
            * (0.2 if f.key in focus.mastered else 1.0)
            * (1.0 if any(s.type != "term" for s in f.spans) else 0.6)
            * (1.0 if f.text.rstrip().endswith((".", "!", ")", '"', "”")) else 0.4)
            for f in remaining
        ]
        # A share of the new questions goes to weak topics first (when they have facts left).
        weak = set(focus.weak_topics)
        quota = max(1, (n - reviewed) // 4) if weak else 0
        step = misses = 0
        deferred: list[tuple[QuizFact, float]] = []  # facts that did not fit the wanted kind
        while len(questions) < n and (remaining or deferred):
            if not remaining:  # only facts that fit no wanted kind are left: take any kind
                misses = MAX_MISSES
                for fact, w in deferred:
                    remaining.append(fact)
                    base.append(w)
                deferred = []
            pick = [j for j, f in enumerate(remaining) if f.topic in weak] if quota > 0 else []
            if quota > 0 and not pick:
                quota = 0
            pick = pick or list(range(len(remaining)))
            weights = [base[j] * 0.35 ** per_topic[remaining[j].topic] for j in pick]
            i = rng.choices(pick, weights)[0]
            fact, weight = remaining.pop(i), base.pop(i)
            wanted = plan[step % len(plan)] if plan else "multiple_choice"
            order = [wanted] + (
                [k for k in self.mix if k != wanted] if misses >= MAX_MISSES else []
            )
            for kind in order:
                q = self.generators[kind].generate(fact, pool, rng)
                if q is not None and q.id not in ids and q.question not in texts:
                    add(q)
                    ids.add(q.id)
                    per_topic[q.topic] += 1
                    step += 1
                    misses = 0
                    quota -= 1 if q.topic in weak else 0
                    for f, w in deferred:  # facts that did not fit may suit the next kind
                        remaining.append(f)
                        base.append(w)
                    deferred = []
                    break
            else:
                misses += 1
                deferred.append((fact, weight))
        warnings = []
        if len(questions) < n:
            warnings.append(
                f"only {len(questions)} distinct question(s) could be built from this selection"
            )
        return Quiz(questions, seed, reviewed, warnings)
