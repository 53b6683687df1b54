"""Training with the LLM writer: open questions and rubric grading.

Both stay grounded: a generated key point must be text of the cited source (or it is dropped),
a question or answer holding a number the source lacks is dropped whole, and a grader's
"covered" must quote the learner. When the model fails, the offline parts take
over: no open question from that fact, or the similarity grader.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from assistant.core.errors import LLMError
from assistant.core.results import citation_of
from assistant.core.text import missing_numbers, normalize, sentences
from assistant.index.kb import KnowledgeBase
from assistant.training.quiz.facts import FactPool
from assistant.training.quiz.generators import FeatureRecallGenerator, QuestionGenerator, key_terms
from assistant.training.quiz.grading import PointResult, SimilarityGrader, TextGrader
from assistant.training.quiz.records import KeyPoint, Question, QuizFact, question_id
from assistant.writers.base import Writer
from assistant.writers.llm import LLMWriter
from assistant.writers.sources import Source


class LLMOpenQuestionGenerator:
    """``open`` questions written by the model from one fact's chunk."""

    kind = "open"

    def __init__(self, writer: LLMWriter, kb: KnowledgeBase) -> None:
        self.writer = writer
        self.kb = kb

    def generate(self, fact: QuizFact, pool: FactPool, rng: random.Random) -> Question | None:
        chunk = fact.chunk
        messages = self.writer.messages(
            "quiz_questions", [Source(1, chunk, chunk.text)], self.kb.vendor, n=1, topic=fact.topic
        )
        try:
            data = self.writer.complete_json(messages)
            item = data["questions"][0]
            question, answer = str(item["question"]), str(item["answer"])
            raw_points = [str(p) for p in item.get("key_points", [])]
        except (LLMError, KeyError, IndexError, TypeError):
            return None
        if missing_numbers(f"{question} {answer}", chunk.text):
            return None  # a number the source does not hold never reaches a learner
        text = normalize(chunk.text)
        points = []
        for point in raw_points:
            if normalize(point) not in text:
                continue  # a key point the source does not say is not a key point
            quote = next(
                (s for s in sentences(chunk.text) if normalize(point) in normalize(s)), point
            )
            points.append(KeyPoint(point, key_terms(point, pool.idf), citation_of(chunk, quote)))
        if not points:
            return None
        return Question(
            id=question_id(self.kind, chunk.source, fact.text, question),
            kind=self.kind,
            question=question,
            answer=answer,
            explanation=f"A full answer covers {len(points)} key points from {chunk.source}.",
            citations=[p.citation for p in points],
            topic=fact.topic,
            answer_type="open",
            key_points=points,
        )


class LLMRubricGrader:
    """Grades free text with the model against the key points, as a rubric."""

    def __init__(self, writer: LLMWriter, fallback: TextGrader, kb: KnowledgeBase) -> None:
        self.writer = writer
        self.fallback = fallback
        self.kb = kb
        self.name = writer.name

    def grade(self, points: Sequence[KeyPoint], answer: str) -> list[PointResult]:
        chunks = {
            c.id: c
            for c in self.kb.manifest.chunks(
                [p.citation["chunk_id"] for p in points if p.citation.get("chunk_id")]
            )
        }
        sources = [
            Source(n, chunks[p.citation["chunk_id"]], p.citation.get("quote", p.text))
            for n, p in enumerate(points, 1)
            if p.citation.get("chunk_id") in chunks
        ]
        messages = self.writer.messages(
            "grading",
            sources,
            self.kb.vendor,
            question="",
            answer_key=" ".join(p.text for p in points),
            key_points=[p.text for p in points],
            learner_answer=answer,
        )
        try:
            data = self.writer.complete_json(messages)
            covered = {
                normalize(str(c.get("point", ""))): str(c.get("quote", ""))
                for c in data.get("covered", [])
                if isinstance(c, dict)
            }
        except (LLMError, AttributeError, TypeError):
            return self.fallback.grade(points, answer)
        out = []
        for p in points:
            quote = covered.get(normalize(p.text), "")
            # Covered only with the learner's own words as evidence.
            ok = bool(quote) and normalize(quote) in normalize(answer)
            out.append(PointResult(p, 1.0 if ok else 0.0, ok, quote if ok else ""))
        return out


def llm_open_generator(kb: KnowledgeBase, writer: Writer) -> QuestionGenerator | None:
    """The model's open-question generator when the active writer is an LLM, else None."""
    return LLMOpenQuestionGenerator(writer, kb) if isinstance(writer, LLMWriter) else None


def text_grader(kb: KnowledgeBase, writer: Writer, by_meaning: bool = True) -> TextGrader:
    """The LLM rubric grader when the active writer is an LLM, else the similarity grader
    (``by_meaning=False``: key terms only, no embedding model)."""
    offline = SimilarityGrader(kb.embedder if by_meaning else None)
    return LLMRubricGrader(writer, offline, kb) if isinstance(writer, LLMWriter) else offline


def training_parts(kb: KnowledgeBase, writer: Writer) -> tuple[QuestionGenerator, TextGrader]:
    """The open-question generator and free-text grader for the active writer."""
    return llm_open_generator(kb, writer) or FeatureRecallGenerator(), text_grader(kb, writer)
