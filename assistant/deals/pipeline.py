"""``pitchcraft pipeline``: commit / best case / pipeline totals per quarter, coverage
against quota, and the flags a manager asks about deal by deal."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from assistant.core.errors import DealError
from assistant.deals.forecast import Call, ForecastRules, qualification
from assistant.deals.records import Deal, Meeting

OPEN = ("commit", "best_case", "pipeline")
QUARTER_RE = re.compile(r"\d{4}-Q[1-4]")
COMMIT_STAGE_RE = re.compile(r"\bcommit", re.I)


@dataclass
class Judged:
    """A deal, its meetings and its forecast call."""

    deal: Deal
    meetings: list[Meeting]
    call: Call


def quarter_of(date: dt.date) -> str:
    return f"{date.year}-Q{(date.month - 1) // 3 + 1}"


def next_quarter(date: dt.date) -> str:
    month = (date.month - 1) // 3 * 3 + 4
    return quarter_of(dt.date(date.year + (month > 12), (month - 1) % 12 + 1, 1))


def pipeline(
    judged: list[Judged],
    rules: ForecastRules,
    today: dt.date,
    quota: float | None = None,
    quarter: str | None = None,
    currency: str | None = None,
) -> dict[str, Any]:
    """Totals per quarter in one currency (``currency``, else the deals' most common one):
    amounts in another currency are never added in, and are flagged instead, as are deals
    without a close date or an amount (``quarter``: e.g. "2026-Q4")."""
    if quarter and not QUARTER_RE.fullmatch(quarter):
        raise DealError(f"{quarter!r} is not a quarter (e.g. 2026-Q4)")
    found = Counter(j.deal.currency.upper() for j in judged if j.deal.amount is not None)
    main = (currency or (min(found, key=lambda c: (-found[c], c)) if found else "")).upper()
    totals: dict[str, dict[str, float]] = {}
    flags: list[dict[str, str]] = []
    for j in judged:
        if j.deal.close_date is None or j.call.category == "closed_lost":
            continue
        if j.deal.amount is not None and j.deal.currency.upper() != main:
            flags.append(
                {
                    "deal": j.deal.name,
                    "flag": "other currency",
                    "why": f"{j.deal.amount:,.0f} {j.deal.currency or '(none)'} is not added to "
                    f"the {main or 'unnamed currency'} totals",
                }
            )
            continue
        q = quarter_of(j.deal.close_date)
        row = totals.setdefault(q, {c: 0.0 for c in (*OPEN, "closed_won", "omitted")})
        row[j.call.category] += j.deal.amount or 0.0
    quarters = []
    for q in sorted(totals):
        if quarter and q != quarter:
            continue
        row = totals[q]
        open_total = sum(row[c] for c in OPEN)
        quarters.append(
            {
                "quarter": q,
                **{c: round(row[c], 2) for c in (*OPEN, "closed_won", "omitted")},
                "coverage": round((open_total + row["closed_won"]) / quota, 2) if quota else None,
            }
        )
    flags += [f for j in judged for f in deal_flags(j, rules, today)]
    if quarter:
        flags = [f for f in flags if _in_quarter(judged, f["deal"], quarter)]
    coming = next_quarter(today)
    if quota and (not quarter or quarter == coming):
        open_next = sum(totals.get(coming, {}).get(c, 0.0) for c in OPEN)
        needed = rules.pipeline_flags.thin_coverage * quota
        if open_next < needed:
            flags.append(
                {
                    "deal": "",
                    "flag": "next quarter thin",
                    "why": f"{coming}: {open_next:,.0f} open, under "
                    f"{rules.pipeline_flags.thin_coverage:g}× the quota of {quota:,.0f}",
                }
            )
    return {
        "as_of": today.isoformat(),
        "currency": main,
        "quota": quota,
        "quarters": quarters,
        "flags": flags,
    }


def deal_flags(j: Judged, rules: ForecastRules, today: dt.date) -> list[dict[str, str]]:
    deal, meetings, call = j.deal, j.meetings, j.call
    if call.category in ("closed_won", "closed_lost"):
        return []
    out = []

    def flag(name: str, why: str) -> None:
        out.append({"deal": deal.name, "flag": name, "why": why})

    if deal.close_date is None:
        flag("no close date", "not in any quarter's totals")
    if deal.amount is None:
        flag("no amount", "counts as 0 in the totals")
    last = max(meetings, key=lambda m: (m.date, m.id)) if meetings else None
    if last is None:
        flag("no meeting logged", "no meeting notes for this deal yet")
    else:
        steps = last.extraction.next_steps
        if not steps:
            flag("no next step", f"the last meeting ({last.date.isoformat()}) set none")
        elif all(s.due and s.due < today.isoformat() for s in steps):
            flag("no next step", f"every next step of {last.date.isoformat()} is past due")
        quiet = (today - last.date).days
        if quiet > rules.pipeline_flags.stale_days:
            flag(
                f"no meeting in {rules.pipeline_flags.stale_days} days",
                f"last met {last.date.isoformat()} ({quiet} days ago)",
            )
    if deal.close_date and deal.close_date < today:
        flag(
            "close date passed", f"close date {deal.close_date.isoformat()}, still {call.category}"
        )
    buyers = {a.name for m in meetings for a in m.extraction.attendees if a.side != "seller"}
    if meetings and len(buyers) <= 1:
        flag("single-threaded", f"one buyer-side contact: {', '.join(buyers) or 'none named'}")
    has_eb = bool(qualification(meetings)["economic_buyer"])
    if (call.category == "commit" or COMMIT_STAGE_RE.search(deal.stage)) and not has_eb:
        flag(
            "commit without an economic buyer",
            f"forecast {deal.stage or call.category}, no economic buyer in the notes",
        )
    return out


def _in_quarter(judged: list[Judged], name: str, quarter: str) -> bool:
    deal = next((j.deal for j in judged if j.deal.name == name), None)
    return bool(deal and deal.close_date and quarter_of(deal.close_date) == quarter)
