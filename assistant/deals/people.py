"""Who is in a deal: the buyer-side people across its meetings, their role in the decision
(read from the signals that name them, else their title) and their stance (from what they
said, or what the notes say of them); and what changed since the last meeting."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass
from typing import Any

from assistant.deals.forecast import utterances
from assistant.deals.records import FIELDS, Attendee, Meeting

ROLE_TITLES = (  # first match wins
    ("procurement", r"procurement|purchasing|vendor management|sourcing|supplier"),
    ("legal", r"legal|counsel|contracts?\b|attorney|lawyer"),
    ("security", r"security|ciso|infosec|risk|compliance"),
    ("executive", r"\b(?:c[efiort]o|chief|president|founder|owner|general manager|svp|evp)\b"),
    ("technical evaluator", r"engineer|architect|\bit\b|integration|developer|data|technology"),
    ("manager", r"\b(?:vp|head|director|lead|manager)\b"),
)
# Fields whose value is a name or a date, so a different value is a change worth telling.
NAMED_FIELDS = ("economic_buyer", "champion", "decision_process", "competition")
POSITIVE = re.compile(
    r"\b(?:love[sd]?|excited|great|impressed|preferred|supportive|on board|comfortable|"
    r"champion|agreed|keen|happy|thrilled|convinced|confirmed)\b",
    re.I,
)
NEGATIVE = re.compile(
    r"\b(?:concern\w*|worr\w*|skeptic\w*|not convinced|push ?back|hesitant|objected|unhappy|"
    r"against|blocker|doubt\w*|resist\w*)\b",
    re.I,
)


@dataclass(frozen=True)
class Stakeholder:
    name: str
    title: str
    role: str  # economic buyer, champion, procurement, legal, security, executive, ...
    stance: str  # supportive, skeptical, neutral, or unknown (nothing said)
    last_met: dt.date | None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["last_met"] = self.last_met.isoformat() if self.last_met else None
        return data


def stakeholders(meetings: list[Meeting]) -> list[Stakeholder]:
    """The buyer-side people of every meeting, most recently met first."""
    people: dict[str, tuple[Attendee, dt.date]] = {}
    for m in sorted(meetings, key=lambda m: (m.date, m.id)):
        for a in m.extraction.attendees:
            if a.side != "seller":
                people[a.name.lower()] = (a, m.date)
    named = {f: _named(meetings, f) for f in ("economic_buyer", "champion")}
    out = []
    for attendee, met in people.values():
        first = attendee.name.split()[0].lower()
        if attendee.name.lower() in named["economic_buyer"] or first in named["economic_buyer"]:
            role = "economic buyer"
        elif attendee.name.lower() in named["champion"] or first in named["champion"]:
            role = "champion"
        else:
            role = _title_role(attendee.title)
        out.append(
            Stakeholder(attendee.name, attendee.title, role, _stance(meetings, attendee), met)
        )
    out.sort(key=lambda s: (s.last_met or dt.date.min, s.role == "economic buyer"), reverse=True)
    return out


def _named(meetings: list[Meeting], field: str) -> set[str]:
    """Lower-cased names (full and first) in the values of a field's signals."""
    names: set[str] = set()
    for m in meetings:
        for s in m.extraction.signals:
            if s.field == field:
                name = s.value.split(" (")[0].strip().lower()
                names |= {name, name.split()[0]} if name else set()
    return names


def _title_role(title: str) -> str:
    for role, pattern in ROLE_TITLES:
        if re.search(pattern, title, re.I):
            return role
    return "user" if title else "unknown"


def _stance(meetings: list[Meeting], person: Attendee) -> str:
    """From what they said (transcripts) and what the notes say of them by name."""
    first = person.name.split()[0]
    plus = minus = 0
    for m in meetings:
        for u in utterances(m.notes):
            spoken = u.speaker and u.speaker.split()[0] == first
            about = re.search(rf"\b{re.escape(first)}\b", u.text)
            if spoken or about:
                plus += bool(POSITIVE.search(u.text))
                minus += bool(NEGATIVE.search(u.text))
    if not plus and not minus:
        return "unknown"
    return "supportive" if plus > minus else "skeptical" if minus > plus else "neutral"


def changes(meetings: list[Meeting]) -> list[str]:
    """What the latest meeting added to what the earlier ones said: fields it newly
    qualifies, values it changed, people met for the first time."""
    ordered = sorted(meetings, key=lambda m: (m.date, m.id))
    if len(ordered) < 2:
        return ["first meeting logged"] if ordered else []
    *earlier, last = ordered
    before: dict[str, list[str]] = {f: [] for f in FIELDS}  # latest meeting's value last
    for m in earlier:
        for s in m.extraction.signals:
            before[s.field].append(s.value)
    out = []
    for f in FIELDS:
        now = [s.value for s in last.extraction.signals if s.field == f]
        label = f.replace("_", " ")
        if now and not before[f]:
            out.append(f"{label}: new — {now[0]}")
        elif now and f in NAMED_FIELDS and not set(now) & set(before[f]):
            out.append(f"{label}: now {now[0]} (was {before[f][-1]})")
    seen = {a.name for m in earlier for a in m.extraction.attendees}
    out += [
        f"first meeting with {a.name}" + (f" ({a.title})" if a.title else "")
        for a in last.extraction.attendees
        if a.name not in seen and a.side != "seller"
    ]
    return out or [f"nothing new on qualification since {earlier[-1].date.isoformat()}"]
