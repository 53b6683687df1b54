"""The offline expansion narrative: the customer's own results, one goal-led opportunity per
section with cited facts, a proof point, and the rep-facing timing guidance."""

from __future__ import annotations

from assistant.core.results import Citations, Draft, Section
from assistant.jobs.upsell import UpsellPlan
from assistant.retrieval.evidence import section_of
from assistant.writers.offline.common import cited


def compose_upsell(plan: UpsellPlan, writer: str = "offline") -> Draft:
    c = Citations()
    p = plan.phrasing
    a = plan.account
    sections: list[Section] = []
    if a.results_so_far:
        lines = "\n".join(f"- {r}" for r in a.results_so_far)
        sections.append(
            Section("Where you are today", f"{p.today_lead.format(account=a.account)}\n{lines}", [])
        )
    stabilise = plan.timing.status == "stabilise"
    if stabilise:
        issue = next((i.summary for i in a.open_issues if i.status == "open"), "the open issue")
        sections.append(Section("First things first", p.stabilise.format(issue=issue), []))
    else:
        for i, o in enumerate(plan.opportunities):
            lead = p.opportunity_lead[i % len(p.opportunity_lead)].format(
                goal=o.goal,
                feature=o.feature.name,
                module=o.feature.module,
                vendor=plan.vendor,
                account=a.account,
            )
            body, refs = cited(o.facts, c)
            sections.append(
                Section(f"{o.feature.name} ({o.feature.module})", f"{lead} {body}", refs)
            )
        if plan.proof:
            body, refs = cited(plan.proof, c)
            sections.append(Section("Proof", f"{p.proof_lead} {body}", refs))
        if plan.opportunities:
            sections.append(Section("Suggested next step", p.next_step, []))
    # Rep-facing.
    body, refs = cited(plan.timing.evidence, c)
    if plan.timing.evidence:  # the playbook's rule is often a list item: name where it is from
        body = f"The playbook ({section_of(plan.timing.evidence[0].chunk)}): {body}"
    sections.append(
        Section(
            f"Timing: {plan.timing.status}",
            f"{plan.timing.guidance} {body}".strip(),
            refs,
            customer_facing=False,
        )
    )
    if plan.opportunities:
        lines, refs = [], []
        for o in plan.opportunities:
            signal, r = cited(o.signal, c)
            refs += r
            lines.append(f"- {o.why}" + (f" Playbook signal: {signal}" if signal else ""))
        title = "Opportunities for later" if stabilise else "Why these opportunities"
        sections.append(Section(title, "\n".join(lines), refs, customer_facing=False))
    return Draft(sections, c, writer)
