"""The forecast call of a deal, from its meetings' quoted signals and the editable rules of
``prompts/forecast.yaml``: commit / best case / pipeline / omitted, or closed won / lost, with
the signs for and against and what is missing, each cited to a meeting; plus the deal's
stakeholders, what changed since the last meeting, and its open risks.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from assistant.core.yamlfile import Pattern, load_model
from assistant.deals.notes import Utterance, parse_notes
from assistant.deals.records import FIELDS, Deal, Meeting, Signal

NEGATION_WINDOW = 40  # characters either side of a rule's match where a negation cancels it


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Requirement(_Strict):
    """A field some meeting must have; ``says``: what its quote must affirm."""

    field: str
    means: str = Field(min_length=1)
    says: Pattern = ""

    @field_validator("field")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in FIELDS:
            raise ValueError(f"unknown field {value!r} (expected one of {', '.join(FIELDS)})")
        return value


class Quoted(_Strict):
    """A category decided by what any sentence of the notes says (a signed order form)."""

    why: str
    any_quote: Pattern


class Rule(_Strict):
    why: str
    requires: list[Requirement] = Field(default_factory=list)
    at_least_one_of: list[str] = Field(default_factory=list)
    blocked_by: str = ""


class Step(_Strict):
    """A purchase step for the close plan."""

    step: str
    done: Pattern
    find: str
    lead_days: int = Field(ge=0)


class PipelineFlags(_Strict):
    stale_days: int = Field(gt=0)
    thin_coverage: float = Field(gt=0)


class ForecastRules(_Strict):
    """``prompts/forecast.yaml``."""

    closed_lost: Quoted
    closed_won: Quoted
    commit: Rule
    best_case: Rule
    pipeline: Rule
    omitted: Rule
    negation: Pattern
    intent: Pattern
    risks: dict[str, list[Pattern]]
    close_plan: list[Step] = Field(min_length=1)
    pipeline_flags: PipelineFlags

    def rule(self, category: str) -> Rule:
        return getattr(self, category)

    @cached_property
    def risk_patterns(self) -> list[tuple[str, re.Pattern[str]]]:
        return [(lvl, re.compile(p, re.I)) for lvl, ps in self.risks.items() for p in ps]

    def affirms(self, pattern: str, text: str, done: bool = False) -> bool:
        """``pattern`` matches ``text`` with no negation near the match (and, for something
        ``done``, no word of intent: "will sign" is not signed)."""
        against = [re.compile(self.negation, re.I)]
        if done:
            against.append(re.compile(self.intent, re.I))
        for m in re.finditer(pattern, text, re.I):
            window = text[max(0, m.start() - NEGATION_WINDOW) : m.end() + NEGATION_WINDOW]
            if not any(p.search(window) for p in against):
                return True
        return False


def load_forecast_rules(prompts_dir: Path) -> ForecastRules:
    return load_model(prompts_dir / "forecast.yaml", ForecastRules)


@dataclass(frozen=True)
class Sign:
    """A reason for or against the call, cited to the meeting whose notes say it."""

    text: str
    quote: str
    date: dt.date | None

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "quote": self.quote, "date": _iso(self.date)}


@dataclass
class Call:
    category: str
    why: str
    signs_for: list[Sign] = field(default_factory=list)
    signs_against: list[Sign] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "why": self.why,
            "signs_for": [s.to_json() for s in self.signs_for],
            "signs_against": [s.to_json() for s in self.signs_against],
            "missing": self.missing,
        }


RECENT_RISK_MEETINGS = 2  # open risks: the last meetings' risk sentences


@dataclass(frozen=True)
class Dated:
    """A signal and the date of the meeting that gave it."""

    signal: Signal
    date: dt.date


def qualification(meetings: list[Meeting]) -> dict[str, list[Dated]]:
    """Every signal per field, those that name something (a champion by name, a rival, a
    figure) first, then newest meeting first: "great champion" later does not hide who."""
    out: dict[str, list[Dated]] = {f: [] for f in FIELDS}
    for m in sorted(meetings, key=lambda m: (m.date, m.id), reverse=True):
        for s in m.extraction.signals:
            out[s.field].append(Dated(s, m.date))
    return {f: sorted(signals, key=lambda d: not d.signal.specific) for f, signals in out.items()}


@lru_cache(maxsize=512)
def utterances(notes: str) -> tuple[Utterance, ...]:
    """A meeting's notes, read once however often a deal is judged."""
    return tuple(parse_notes(notes).utterances)


def sentences_of(meetings: list[Meeting], facts: bool = False) -> list[tuple[str, dt.date]]:
    """Every sentence the notes say, with its meeting's date, newest first; with ``facts``,
    not the next steps (a plan is not a fact: "get the order form signed by Friday")."""
    out = []
    for m in sorted(meetings, key=lambda m: (m.date, m.id), reverse=True):
        out += [(u.text, m.date) for u in utterances(m.notes) if not (facts and u.next_step)]
    return out


def risks(rules: ForecastRules, meetings: list[Meeting]) -> list[tuple[str, Sign]]:
    """(level, sign) for each sentence of the last meetings' notes that counts against the
    deal (a risk of the first call that later meetings moved past is not open)."""
    recent = sorted(meetings, key=lambda m: (m.date, m.id))[-RECENT_RISK_MEETINGS:]
    found: list[tuple[str, Sign]] = []
    seen: set[str] = set()
    for text, date in sentences_of(recent):
        for level, pattern in rules.risk_patterns:
            if pattern.search(text) and text not in seen:
                seen.add(text)
                found.append((level, Sign(f"risk ({level})", text, date)))
    return found


def judge(rules: ForecastRules, deal: Deal, meetings: list[Meeting]) -> Call:
    """The forecast call: the first category (in the rules' order) whose rule holds."""
    # Closed, won or lost: what the newest sentence saying either says (a signed order form
    # after an earlier "they went with another vendor" is won).
    for text, date in sentences_of(meetings, facts=True):
        for category in ("closed_won", "closed_lost"):
            quoted: Quoted = getattr(rules, category)
            if rules.affirms(quoted.any_quote, text, done=True):
                return Call(category, quoted.why, [Sign(quoted.why, text, date)])
    qual = qualification(meetings)
    found_risks = risks(rules, meetings)
    against = [s for _, s in found_risks]
    latest = max((m.date for m in meetings), default=None)
    for category in ("commit", "best_case", "pipeline"):
        rule = rules.rule(category)
        met, unmet = _check(rules, rule, qual)
        blocked = [
            s
            for lvl, s in found_risks
            if rule.blocked_by and lvl == rule.blocked_by and s.date == latest
        ]
        if not unmet and not blocked:
            missing = _check(rules, rules.commit, qual)[1] if category != "commit" else []
            return Call(category, rule.why, met, against, missing)
    return Call("omitted", rules.omitted.why, [], against, _check(rules, rules.commit, qual)[1])


def _check(
    rules: ForecastRules, rule: Rule, qual: dict[str, list[Dated]]
) -> tuple[list[Sign], list[str]]:
    """The signs that meet the rule's requirements, and the requirements still unmet."""
    met: list[Sign] = []
    unmet: list[str] = []
    for req in rule.requires:
        ok = next(
            (d for d in qual[req.field] if not req.says or rules.affirms(req.says, d.signal.quote)),
            None,
        )
        if ok:
            met.append(Sign(req.means, ok.signal.quote, ok.date))
        else:
            unmet.append(req.field if not req.says else f"{req.field} ({req.means})")
    if rule.at_least_one_of:
        extra = next((qual[f][0] for f in rule.at_least_one_of if qual[f]), None)
        if extra:
            met.append(Sign(extra.signal.field.replace("_", " "), extra.signal.quote, extra.date))
        else:
            unmet.append(" or ".join(rule.at_least_one_of))
    return met, unmet


def _iso(date: dt.date | None) -> str | None:
    return date.isoformat() if date else None
