"""Upsell and cross-sell narratives for account managers: build on what the customer owns and
wants, cite everything, and say when *not* to push (renewal close, open escalations)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .catalog import Feature
from .drafting import Draft, cited
from .errors import ConfigError
from .evidence import Evidence, chunk_sentences, is_customer_sayable, overlap, section_of
from .kb import KnowledgeBase
from .lexical import tokenize
from .personas import find_terms
from .planner import Planner
from .prompts import load_phrasing
from .records import Chunk
from .results import Citations, Section
from .text import normalize

Severity = Literal["critical", "high", "medium", "low", "sev1", "sev2", "sev3", "sev4"]
BLOCKING = {"critical", "high", "sev1", "sev2"}
MIN_GOAL_FIT = 0.3  # rescaled similarity between a goal and a feature
MIN_SIGNAL_FIT = 0.2  # share of a playbook signal's words found in the account's usage notes


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Issue(_Strict):
    summary: str
    severity: Severity = "medium"
    status: Literal["open", "resolved"] = "open"


class Stakeholder(_Strict):
    name: str
    title: str = ""
    role: str = ""


class Account(_Strict):
    """An account file (YAML); see ``examples/accounts/`` for documented examples."""

    account: str = Field(min_length=1, description="Customer name")
    industry: str = ""
    edition: str = ""
    owned: list[str] = Field(default_factory=list, description="Modules already bought")
    seats: int | None = Field(None, ge=0)
    usage: list[str] = Field(default_factory=list, description="Usage signals, in words")
    goals: list[str] = Field(default_factory=list, description="What the customer wants next")
    renewal_date: dt.date | None = None
    health: Literal["green", "amber", "red"] | None = None
    open_issues: list[Issue] = Field(default_factory=list)
    stakeholders: list[Stakeholder] = Field(default_factory=list)
    results_so_far: list[str] = Field(default_factory=list, description="Customer's results")

    def text(self) -> str:
        """Everything the account team wrote, for the verifier's given numbers."""
        parts = [
            self.account,
            *self.usage,
            *self.goals,
            *self.results_so_far,
            *(i.summary for i in self.open_issues),
        ]
        return "\n".join(parts)


class _TextDates(yaml.SafeLoader):
    """Safe YAML that leaves dates as text, so pydantic reports a bad one by field name."""


_TextDates.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_account(path: Path) -> Account:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read account file ({exc.strerror})") from None
    return parse_account(text, str(path))


def parse_account(text: str, name: str = "account file") -> Account:
    """An account from YAML text (an uploaded file); ``ConfigError`` naming ``name`` if bad."""
    try:
        data = yaml.load(text, Loader=_TextDates)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{name}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if data is not None and not isinstance(data, dict):
        raise ConfigError(f"{name}: an account file is a YAML mapping (account: ..., goals: ...)")
    try:
        return Account.model_validate(data or {})
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err["loc"]) or "(file)"
        raise ConfigError(f"{name}: {where}: {err['msg']}") from None


class UpsellPhrasing(_Strict):
    today_lead: str
    opportunity_lead: list[str] = Field(min_length=1)
    proof_lead: str
    next_step: str
    stabilise: str
    pushy: list[str]


def load_upsell_phrasing(prompts_dir: Path) -> UpsellPhrasing:
    return load_phrasing(prompts_dir / "upsell.yaml", UpsellPhrasing)


@dataclass
class Opportunity:
    feature: Feature
    score: float
    why: str
    goal: str
    facts: list[Evidence]
    signal: list[Evidence]  # the playbook signal that matches the account's usage (internal)


@dataclass
class Timing:
    status: Literal["go", "wait", "stabilise"]
    days_to_renewal: int | None
    guidance: str
    evidence: list[Evidence] = field(default_factory=list)


@dataclass
class UpsellPlan:
    account: Account
    opportunities: list[Opportunity]
    timing: Timing
    proof: list[Evidence]
    phrasing: UpsellPhrasing
    vendor: str
    warnings: list[str] = field(default_factory=list)


class UpsellPlanner:
    def __init__(self, kb: KnowledgeBase, planner: Planner, phrasing: UpsellPhrasing) -> None:
        self.kb = kb
        self.planner = planner
        self.phrasing = phrasing

    def _playbook(self) -> list[Chunk]:
        return [
            c
            for c in self.kb.manifest.chunks_of_type("internal")
            if re.search(
                r"expansion|upsell|cross.sell|retention|renewal", f"{c.meta.title} {c.source}", re.I
            )
        ]

    def opportunities(self, account: Account, k: int = 3) -> list[Opportunity]:
        """Features of modules the account does not own, matched to its goals and usage.

        Each goal gets its best match first; remaining room goes to the highest scores.
        """
        owned = [normalize(m) for m in account.owned]
        features = [
            f
            for f in self.kb.catalog
            if not any(o in normalize(f.module) for o in owned)
            and not normalize(f.module).endswith("platform")  # the base, not an add-on
        ]
        wants = account.goals or account.usage or [account.industry or account.account]
        if not features:
            return []
        idf = self.kb.lexical.idf
        sims = (
            self.kb.embedder.embed([f"{f.name}. {f.summary}" for f in features])
            @ self.kb.embedder.embed(wants).T
        )  # features × goals
        playbook = self._playbook()
        usage = set(tokenize(" ".join(account.usage)))
        scored: list[Opportunity] = []
        for i, f in enumerate(features):
            g = int(np.argmax(sims[i]))
            fit = max(0.0, min(1.0, (float(sims[i, g]) - 0.1) / 0.5))
            module_chunks = [c for c in playbook if normalize(f.module) in normalize(c.heading)]
            signals = sorted(
                (
                    (overlap(e.text, usage, idf), e)
                    for e in chunk_sentences(module_chunks, min_words=4)
                ),
                key=lambda x: (-x[0], x[1].text),
            )
            signal_fit, signal = signals[0] if signals else (0.0, None)
            facts = self.planner.sayable_facts(f, kinds=("business", "summary"))[:2]
            if not facts or (fit < MIN_GOAL_FIT and signal_fit < MIN_SIGNAL_FIT):
                continue
            why = f'{f.name} ({f.module}) fits the goal "{wants[g]}"'
            matched = [signal] if signal is not None and signal_fit >= MIN_SIGNAL_FIT else []
            if matched:
                why += f"; the account's usage matches a playbook signal for {f.module}"
            scored.append(
                Opportunity(
                    f, round(0.7 * fit + 0.3 * signal_fit, 4), why + ".", wants[g], facts, matched
                )
            )
        scored.sort(key=lambda o: (-o.score, o.feature.key))
        chosen: list[Opportunity] = []
        for goal in wants:  # one per goal first
            best = next((o for o in scored if o.goal == goal and o not in chosen), None)
            if best:
                chosen.append(best)
        for o in scored:
            same_module = sum(c.feature.module == o.feature.module for c in chosen)
            if o not in chosen and same_module < 2:
                chosen.append(o)
        return sorted(chosen[:k], key=lambda o: -o.score)

    def timing(self, account: Account, today: dt.date | None = None) -> Timing:
        """When to raise expansion, by the playbook's rules (escalations first, then renewal)."""
        today = today or dt.date.today()
        days = (account.renewal_date - today).days if account.renewal_date else None
        blocking = [i for i in account.open_issues if i.status == "open" and i.severity in BLOCKING]
        playbook = chunk_sentences(self._playbook(), min_words=4)
        if blocking or account.health == "red":
            why = blocking[0].summary if blocking else "the account health is red"
            guidance = (
                f"Stabilise first: {why}. Do not open or advance an expansion "
                "conversation; agree a recovery plan with the CSM."
            )
            query = "open severity escalation health red do not push recovery plan"
            status: Literal["go", "wait", "stabilise"] = "stabilise"
        elif days is not None and days <= 90:
            guidance = (
                f"Renewal in {days} days: focus on the renewal; raise new modules only "
                "if the customer asks."
            )
            query = "last 90 days before renewal focus on the renewal"
            status = "wait"
        elif days is not None and days <= 180:
            guidance = (
                f"Renewal in {days} days: close expansions already in motion and co-term "
                "them; introduce new modules only if the customer asks."
            )
            query = "6 to 3 months before renewal close expansions co-term"
            status = "wait"
        elif days is not None and days > 275:
            guidance = (
                f"Recently renewed ({days} days to the next renewal): focus on "
                "onboarding what was just bought."
            )
            query = "first 90 days after renewal onboarding no new module pitches"
            status = "wait"
        else:
            window = f"{days} days to renewal" if days is not None else "no renewal date given"
            guidance = f"Good time to discuss expansion ({window}), led by the customer's goals."
            query = "best window for expansion executive business review 9 to 6 months"
            status = "go"
        q = set(tokenize(query))
        ranked = sorted(playbook, key=lambda e: -overlap(e.text, q, self.kb.lexical.idf))
        evidence = [e for e in ranked[:2] if overlap(e.text, q, self.kb.lexical.idf) > 0.2]
        return Timing(status, days, guidance, evidence)

    def proof(self, account: Account, opportunities: list[Opportunity]) -> list[Evidence]:
        """A customer result per opportunity, same industry first; never a competitor claim."""
        pool = [c for c in self.kb.manifest.chunks_of_type("case_study") if not c.internal]
        rivals = self.planner.competitor_names()
        industry = normalize(account.industry)
        results = [
            e
            for e in chunk_sentences(pool, is_customer_sayable)
            if "result" in e.chunk.heading.lower()
            and re.search(r"\d", e.text)
            and not find_terms(rivals, e.text)
        ]
        results.sort(
            key=lambda e: (
                not (industry and industry in normalize(e.chunk.meta.extra.get("industry", "")))
            )
        )
        out: list[Evidence] = []
        for o in opportunities:
            out.extend(
                [
                    e
                    for e in results
                    if find_terms(
                        [o.feature.module, o.feature.name], e.chunk.meta.title + " " + e.chunk.text
                    )
                    and all(x.source != e.source for x in out)
                ][:1]
            )
        return out[:2]

    def plan(self, account: Account, today: dt.date | None = None) -> UpsellPlan:
        warnings: list[str] = []
        known = {normalize(f.module) for f in self.kb.catalog}
        for m in account.owned:
            if normalize(m) not in known:
                warnings.append(
                    f"owned module {m!r} is not a module in the knowledge base "
                    f"(known: {', '.join(sorted({f.module for f in self.kb.catalog}))})"
                )
        opportunities = self.opportunities(account)
        if not opportunities:
            warnings.append("no module the account does not own matches its goals")
        return UpsellPlan(
            account,
            opportunities,
            self.timing(account, today),
            self.proof(account, opportunities),
            self.phrasing,
            self.planner.vendor(),
            warnings,
        )


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
