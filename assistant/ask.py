"""``pitchcraft ask``: a cited answer from the knowledge base, or a plain "not covered"."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .config import Settings
from .grounding import Grounder, Judgement, Support
from .records import Hit
from .results import Citations
from .retrieval import Retriever
from .status import is_stale
from .store import Filters
from .text import with_citation

NOT_COVERED = "The knowledge base does not cover this."


@dataclass
class AskResult:
    question: str
    answer: str
    abstained: bool
    reason: str
    citations: Citations
    hits: list[Hit]
    writer: str = "offline"
    warnings: list[str] = field(default_factory=list)
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
                    "text": h.chunk.text,
                }
                for h in self.hits
            ],
            "warnings": self.warnings,
        }


def extractive_answer(judgement: Judgement, citations: Citations, limit: int = 3) -> str:
    """The best supporting sentences, verbatim, each with its citation number."""
    best = judgement.support[0].score if judgement.support else 0.0
    chosen = [s for s in judgement.support if s.score >= 0.6 * best][:limit]
    parts = [with_citation(s.sentence, citations.cite(s.chunk, s.sentence)) for s in chosen]
    answer = " ".join(parts)
    if judgement.missing_terms:
        unknown = ", ".join(judgement.missing_terms)
        answer += f"\n\nNote: the knowledge base never mentions {unknown}."
    return answer


def stale_warnings(hits: list[Hit], settings: Settings) -> list[str]:
    seen: set[str] = set()
    out = []
    for h in hits:
        meta = h.chunk.meta
        if h.chunk.source in seen or not is_stale(meta, settings):
            continue
        seen.add(h.chunk.source)
        limit = settings.stale_days(meta.doc_type)
        out.append(
            f"{h.chunk.source} is stale: last updated {meta.updated}, "
            f"more than {limit} days ago; check it before quoting"
        )
    return out


def ask(
    retriever: Retriever,
    question: str,
    k: int = 5,
    filters: Filters | None = None,
    grounder: Grounder | None = None,
) -> AskResult:
    """Retrieve, judge, and answer extractively (the offline writer)."""
    result = retriever.search(question, k=k, filters=filters)
    judgement = (grounder or Grounder(retriever)).judge(question, result.hits[:5])
    citations = Citations()
    if judgement.abstained:
        answer = NOT_COVERED
        if judgement.reason:
            answer += f" ({judgement.reason}.)"
    else:
        answer = extractive_answer(judgement, citations)
    used = {c.source for c in citations.items}
    settings = retriever.kb.settings
    warnings = stale_warnings([h for h in result.hits if h.chunk.source in used], settings)
    return AskResult(
        question,
        answer,
        judgement.abstained,
        judgement.reason,
        citations,
        result.hits,
        "offline",
        warnings,
        judgement.support,
    )
