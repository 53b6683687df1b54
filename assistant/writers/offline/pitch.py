"""The offline pitch: persona phrasing from ``prompts/personas`` around verbatim, cited
sentences of the plan, in a fixed order (opening, features, proof, competitor, next step, then
rep-facing notes)."""

from __future__ import annotations

from assistant.core.results import Citations, Draft, Section
from assistant.core.text import label_free, with_citation
from assistant.jobs.pitch import PitchPlan
from assistant.personas.schema import Persona
from assistant.retrieval.evidence import Evidence, speaker
from assistant.writers.offline.common import bullets, cited, involve_lines, joined, lead_in


def compose_pitch(plan: PitchPlan, writer: str = "offline") -> Draft:
    """The pitch from its plan: persona phrasing around verbatim, cited sentences."""
    persona = plan.persona
    req = plan.request
    c = Citations()
    sections: list[Section] = []
    vendor = plan.vendor
    values = {
        "vendor": vendor,
        "company": req.company or "your company",
        "context": _short_context(req.account) or "your priorities",
        "competitor": plan.competitor or "your current options",
        "persona_title": persona.title,
    }
    opener = persona.render("opener", **values)
    hook = plan.hook[:1]
    hook_text, hook_refs = _stories(hook, c, persona, vendor)
    sections.append(Section("Opening", f"{opener} {hook_text}".strip(), hook_refs))

    themes: set[str] = set()
    for i, pick in enumerate(plan.features):
        # A lead names the persona's priority the feature serves, once per priority; without
        # one the section's title and facts speak for themselves (no filler).
        lead = ""
        if pick.theme and pick.theme not in themes:
            themes.add(pick.theme)
            lead = lead_in(
                persona.render(
                    "feature_lead",
                    index=i,
                    feature=pick.feature.name,
                    module=pick.feature.display_module(vendor),
                    priority=pick.theme,
                    vendor=vendor,
                )
            )
        body, refs = cited(pick.facts, c)
        sections.append(Section(pick.feature.name, f"{lead} {body}".strip(), refs))

    if plan.proof:
        body, refs = _stories(plan.proof, c, persona, vendor)
        sections.append(Section("Proof", body, refs))

    if plan.competitive and plan.competitor:
        lead = lead_in(
            persona.render("competitive_lead", competitor=plan.competitor, vendor=vendor)
        )
        body, refs = cited(plan.competitive, c)
        sections.append(Section(f"Versus {plan.competitor}", f"{lead} {body}", refs))

    cta = persona.render("cta", vendor=vendor)
    close = persona.render("close", cta=cta, company=values["company"], vendor=vendor)
    if plan.next_step:
        text, n = joined(close, plan.next_step[0], c)
        sections.append(Section("Next step", text, [n]))
    else:
        sections.append(Section("Next step", close, []))

    # Rep-facing: never read to the customer, may cite internal documents.
    if plan.features:
        why = "\n".join(f"- {p.why}" for p in plan.features)
        sections.append(Section("Why these features", why, [], customer_facing=False))
    if plan.discovery:
        body, refs = bullets(plan.discovery, c)
        sections.append(Section("Discovery questions", body, refs, customer_facing=False))
    if plan.objections:
        lines, refs = [], []
        for note in plan.objections:
            body, r = cited(note.response, c)
            refs += r
            lines.append(f'- "{note.objection}" → {body}')
        sections.append(
            Section("Objections to pre-empt", "\n".join(lines), refs, customer_facing=False)
        )
    notes, refs = [], []
    if plan.landmines:
        body, r = bullets(plan.landmines, c)
        notes.append("Landmines to plant:\n" + body)
        refs += r
    if plan.positioning:
        body, r = bullets(plan.positioning, c)
        notes.append(f"Positioning against {plan.competitor} (internal pages):\n" + body)
        refs += r
    if plan.involve:
        body, r = involve_lines(plan.involve, c)
        notes.append("Who to involve:\n" + body)
        refs += r
    if notes:
        sections.append(
            Section("Rep notes (internal)", "\n\n".join(notes), refs, customer_facing=False)
        )
    return Draft(sections, c, writer)


def _stories(
    evidence: list[Evidence], c: Citations, persona: Persona, vendor: str
) -> tuple[str, list[int]]:
    """Cited facts; a customer's results are introduced by the persona's proof lead, which
    names that customer."""
    parts, refs, named = [], [], ""
    for e in evidence:
        customer = e.chunk.meta.customer
        who = speaker(e).removesuffix(f", {customer}")
        n = c.cite(e.chunk, e.text)
        text = with_citation(f"{e.text} — {who}" if who else label_free(e.text), n)
        if customer and customer != named:
            lead = persona.render("proof_lead", customer=customer, vendor=vendor)
            text = f"{lead_in(lead)} {text}"
        named = customer
        parts.append(text)
        refs.append(n)
    return " ".join(parts), refs


def _short_context(account: str, words: int = 16) -> str:
    first = account.strip().split("\n")[0]
    for stop in (". ", "; ", "! ", "? "):
        first = first.split(stop)[0]
    parts = first.rstrip(".;!? ").split()
    return " ".join(parts[:words]) + ("…" if len(parts) > words else "")
