"""``pitchcraft ask``: a cited answer from the knowledge base, or a plain "not covered"."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .config import Settings
from .drafting import Draft, TextSink, Writer
from .grounding import Grounder, Judgement, Support
from .records import Hit
from .results import Citations, Section
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


@dataclass
class AskPlan:
    """A question, what retrieval found, and whether it answers the question."""

    question: str
    judgement: Judgement
    hits: list[Hit]


def compose_answer(plan: AskPlan, writer: str = "offline", limit: int = 3) -> Draft:
    """The offline answer: the best supporting sentences, verbatim, each cited."""
    c = Citations()
    j = plan.judgement
    if j.abstained:
        text = NOT_COVERED + (f" ({j.reason}.)" if j.reason else "")
        return Draft([Section("Answer", text, [], customer_facing=False)], c, writer)
    best = j.support[0].score if j.support else 0.0
    chosen = [s for s in j.support if s.score >= 0.6 * best][:limit]
    parts = [with_citation(s.sentence, c.cite(s.chunk, s.sentence)) for s in chosen]
    text = " ".join(parts)
    if j.missing_terms:
        text += f"\n\nNote: the knowledge base never mentions {', '.join(j.missing_terms)}."
    refs = list(range(1, len(c.items) + 1))
    return Draft([Section("Answer", text, refs, customer_facing=False)], c, writer)


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


def plan_answer(
    retriever: Retriever,
    question: str,
    k: int = 5,
    filters: Filters | None = None,
    grounder: Grounder | None = None,
) -> AskPlan:
    result = retriever.search(question, k=k, filters=filters)
    judgement = (grounder or Grounder(retriever)).judge(question, result.hits[:5])
    return AskPlan(question, judgement, result.hits)


def answer(plan: AskPlan, draft: Draft, settings: Settings) -> AskResult:
    """The ``ask`` result for a written draft (a writer never un-abstains a question)."""
    text = "\n\n".join(s.text for s in draft.sections)
    used = {c.source for c in draft.citations.items}
    warnings = draft.warnings + stale_warnings(
        [h for h in plan.hits if h.chunk.source in used], settings
    )
    return AskResult(
        plan.question,
        text,
        plan.judgement.abstained,
        plan.judgement.reason,
        draft.citations,
        plan.hits,
        draft.writer,
        warnings,
        plan.judgement.support,
    )


def ask(
    retriever: Retriever,
    question: str,
    k: int = 5,
    filters: Filters | None = None,
    grounder: Grounder | None = None,
    writer: Writer | None = None,
    on_text: TextSink | None = None,
) -> AskResult:
    """Retrieve, judge, and answer with ``writer`` (the offline composer by default)."""
    plan = plan_answer(retriever, question, k, filters, grounder)
    if writer is None or plan.judgement.abstained:  # nothing for a model to write from
        draft = compose_answer(plan)
    else:
        draft = writer.write(plan, on_text)
    return answer(plan, draft, retriever.kb.settings)
