"""Upsell and cross-sell narratives for account managers: build on what the customer owns and
wants, cite everything, and say when *not* to push (renewal close, open escalations)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from assistant.core.records import Chunk
from assistant.core.terms import find_terms
from assistant.core.text import normalize
from assistant.core.yamlfile import load_model
from assistant.index.catalog import Feature
from assistant.index.kb import KnowledgeBase
from assistant.index.lexical import tokenize
from assistant.jobs.accounts import BLOCKING, Account
from assistant.jobs.features import sayable_facts
from assistant.retrieval.evidence import Evidence, chunk_sentences, is_customer_sayable, overlap

MIN_GOAL_FIT = 0.3  # rescaled similarity between a goal and a feature
MIN_SIGNAL_FIT = 0.2  # share of a playbook signal's words found in the account's usage notes
GOAL_SHARE = 0.7  # an opportunity's score: goal fit, then the usage signal for the rest
GOAL_COS_FLOOR, GOAL_COS_SPAN = 0.1, 0.5  # cosine rescaled from [0.1, 0.6] to [0, 1]
TIMING_MIN_OVERLAP = 0.2  # a playbook sentence must share this much of the timing rule's words


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UpsellPhrasing(_Strict):
    today_lead: str
    opportunity_lead: list[str] = Field(min_length=1)
    proof_lead: str
    next_step: str
    stabilise: str
    pushy: list[str]


def load_upsell_phrasing(prompts_dir: Path) -> UpsellPhrasing:
    return load_model(prompts_dir / "upsell.yaml", UpsellPhrasing)


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
    task: ClassVar[str] = "upsell"
    cite_every_sentence: ClassVar[bool] = False

    account: Account
    opportunities: list[Opportunity]
    timing: Timing
    proof: list[Evidence]
    phrasing: UpsellPhrasing
    vendor: str
    warnings: list[str] = field(default_factory=list)

    def all_evidence(self) -> list[Evidence]:
        out = [e for o in self.opportunities for e in o.facts] + self.proof
        return out + self.timing.evidence + [e for o in self.opportunities for e in o.signal]

    def given(self) -> str:
        return f"{self.account.text()} {self.timing.days_to_renewal or ''}"

    def prompt_variables(self) -> dict[str, Any]:
        opportunities = [
            {"name": f"{o.feature.name} ({o.feature.module})", "why": o.why}
            for o in self.opportunities
        ]
        return {
            "account": self.account.model_dump(mode="json"),
            "timing": {"status": self.timing.status, "guidance": self.timing.guidance},
            "opportunities": opportunities,
        }


class UpsellPlanner:
    def __init__(self, kb: KnowledgeBase, phrasing: UpsellPhrasing) -> None:
        self.kb = kb
        self.phrasing = phrasing

    def _playbook(self) -> list[Chunk]:
        conv = self.kb.conventions
        return [
            c
            for c in self.kb.manifest.chunks_of_type("internal")
            if conv.matches("expansion_playbook", f"{c.meta.title} {c.source}")
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
            fit = max(0.0, min(1.0, (float(sims[i, g]) - GOAL_COS_FLOOR) / GOAL_COS_SPAN))
            module_chunks = [c for c in playbook if normalize(f.module) in normalize(c.heading)]
            signals = sorted(
                (
                    (overlap(e.text, usage, idf), e)
                    for e in chunk_sentences(module_chunks, min_words=4)
                ),
                key=lambda x: (-x[0], x[1].text),
            )
            signal_fit, signal = signals[0] if signals else (0.0, None)
            facts = sayable_facts(self.kb, f, kinds=("business", "summary"))[:2]
            if not facts or (fit < MIN_GOAL_FIT and signal_fit < MIN_SIGNAL_FIT):
                continue
            why = f'{f.name} ({f.module}) fits the goal "{wants[g]}"'
            matched = [signal] if signal is not None and signal_fit >= MIN_SIGNAL_FIT else []
            if matched:
                why += f"; the account's usage matches a playbook signal for {f.module}"
            scored.append(
                Opportunity(
                    f,
                    round(GOAL_SHARE * fit + (1 - GOAL_SHARE) * signal_fit, 4),
                    why + ".",
                    wants[g],
                    facts,
                    matched,
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
        evidence = [
            e for e in ranked[:2] if overlap(e.text, q, self.kb.lexical.idf) > TIMING_MIN_OVERLAP
        ]
        return Timing(status, days, guidance, evidence)

    def proof(self, account: Account, opportunities: list[Opportunity]) -> list[Evidence]:
        """A customer result per opportunity, same industry first; never a competitor claim."""
        pool = [c for c in self.kb.manifest.chunks_of_type("case_study") if not c.internal]
        rivals = self.kb.competitor_names()
        conv = self.kb.conventions
        industry = normalize(account.industry)
        results = [
            e
            for e in chunk_sentences(pool, is_customer_sayable)
            if conv.heading_has("results", e.chunk.heading)
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
            self.kb.vendor,
            warnings,
        )
