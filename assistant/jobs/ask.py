"""``pitchcraft ask``: a cited answer from the knowledge base, or a plain "not covered"."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from assistant.core.records import Hit
from assistant.core.results import Draft, Result
from assistant.index.filters import Filters
from assistant.retrieval.evidence import Evidence
from assistant.retrieval.grounding import Grounder, Judgement, Support
from assistant.retrieval.retriever import Retriever

NOT_COVERED = "The knowledge base does not cover this."


@dataclass
class AskResult(Result):
    """An answer: ``Result`` plus the question, whether it abstained and what was retrieved."""

    question: str = ""
    answer: str = ""
    abstained: bool = False
    reason: str = ""
    hits: list[Hit] = field(default_factory=list)
    support: list[Support] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.answer,
            "abstained": self.abstained,
            "reason": self.reason,
            "writer": self.writer,
            "citations": self.citations.to_json(),
            "results": [
                {
                    "source": h.chunk.source,
                    "section": h.chunk.heading,
                    "score": round(h.score, 4),
                    "doc_type": h.chunk.meta.doc_type,
                    "audience": h.chunk.audience,
                    "text": h.chunk.shown_text,
                }
                for h in self.hits
            ],
            "warnings": self.warnings,
        }


@dataclass
class AskPlan:
    """A question, what retrieval found, and whether it answers the question."""

    task: ClassVar[str] = "ask"
    cite_every_sentence: ClassVar[bool] = True

    question: str
    judgement: Judgement
    hits: list[Hit]
    vendor: str = "our platform"
    warnings: list[str] = field(default_factory=list)

    def all_evidence(self) -> list[Evidence]:
        return [Evidence(s.sentence, s.chunk) for s in self.judgement.support]

    def given(self) -> str:
        return self.question

    def prompt_variables(self) -> dict[str, Any]:
        return {"question": self.question}


def plan_answer(
    retriever: Retriever,
    question: str,
    k: int = 5,
    filters: Filters | None = None,
    grounder: Grounder | None = None,
) -> AskPlan:
    result = retriever.search(question, k=k, filters=filters)
    judgement = (grounder or Grounder(retriever)).judge(question, result.hits[:5])
    return AskPlan(question, judgement, result.hits, retriever.kb.vendor)


def answer(plan: AskPlan, draft: Draft) -> AskResult:
    """The ``ask`` result for a written draft (a writer never un-abstains a question); the
    service's check adds the warnings about what it cites (stale sources among them)."""
    text = "\n\n".join(s.text for s in draft.sections)
    return AskResult(
        "ask",
        draft.sections,
        draft.citations,
        draft.writer,
        list(draft.warnings),
        question=plan.question,
        answer=text,
        abstained=plan.judgement.abstained,
        reason=plan.judgement.reason,
        hits=plan.hits,
        support=plan.judgement.support,
    )
