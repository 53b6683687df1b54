"""The offline answer: the best supporting sentences, verbatim, each cited; or "not covered"."""

from __future__ import annotations

from assistant.core.results import Citations, Draft, Section
from assistant.core.text import with_citation
from assistant.jobs.ask import NOT_COVERED, AskPlan


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
