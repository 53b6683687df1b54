"""The offline objection response: acknowledge → reframe → evidence → question back, each a
verbatim, cited sentence (or the persona style's own phrasing where the source has none)."""

from __future__ import annotations

from typing import Any

from assistant.core.results import Citations, Draft, Section
from assistant.jobs.objection import ObjectionPlan
from assistant.retrieval.evidence import Evidence
from assistant.writers.offline.common import cited, involve_lines


def compose_objection(plan: ObjectionPlan, writer: str = "offline") -> Draft:
    c = Citations()
    sections: list[Section] = []
    style = plan.style
    if plan.abstained:
        text = (
            "The knowledge base has no answer to this objection. Do not improvise: "
            "bring in a specialist (see rep notes) and follow up in writing."
        )
        sections.append(Section("No grounded answer", text, [], customer_facing=False))
    else:
        sections.append(_step("Acknowledge", plan.acknowledge, plan.steps.acknowledge, style, c))
        if plan.reframe:
            text, refs = cited(plan.reframe, c)
            sections.append(Section("Reframe", text, refs))
        if plan.evidence:
            text, refs = cited(plan.evidence, c)
            sections.append(Section("Evidence", text, refs))
        sections.append(_step("Question back", plan.question, plan.steps.question_back, style, c))
    if plan.coaching:
        text, refs = cited(plan.coaching, c)
        sections.append(Section("Coaching (internal)", text, refs, customer_facing=False))
    if plan.involve:
        body, refs = involve_lines(plan.involve, c)
        sections.append(Section("Who to involve", body, refs, customer_facing=False))
    return Draft(sections, c, writer)


def _step(title: str, evidence: list[Evidence], phrasing: Any, style: str, c: Citations) -> Section:
    """A step in the source's own words, else the persona style's phrasing (no facts in it)."""
    if evidence:
        text, refs = cited(evidence, c)
        return Section(title, text, refs)
    return Section(title, getattr(phrasing, style), [])
