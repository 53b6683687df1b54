"""The deal room's records: deals, meetings, attendees, next steps and quoted signals."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

# MEDDPICC, in the order a manager reads them.
FIELDS = (
    "metrics",
    "economic_buyer",
    "decision_criteria",
    "decision_process",
    "paper_process",
    "pain",
    "champion",
    "competition",
)
Side = Literal["buyer", "seller", ""]
Speaker = Literal["buyer", "rep"]
MAX_VALUE_WORDS = 14  # a value longer than this is cut to its clause


@dataclass(frozen=True)
class Attendee:
    name: str
    title: str = ""
    company: str = ""
    side: Side = ""

    def to_json(self) -> dict[str, str]:
        return asdict(self)


def clause(text: str) -> str:
    """A sentence's opening words: the value of a field when the sentence names no person,
    rival, figure or date for it."""
    words = text.strip().rstrip(".").split()
    return " ".join(words[:MAX_VALUE_WORDS]) + ("…" if len(words) > MAX_VALUE_WORDS else "")


@dataclass(frozen=True)
class Signal:
    """One qualification field read from the notes: a short value, the verbatim sentence it
    came from, and who said it."""

    field: str
    value: str
    quote: str
    speaker: Speaker

    @property
    def specific(self) -> bool:
        """The value names something (a person, a rival, a figure, a date), not the quote's
        opening words."""
        return self.value != clause(self.quote)

    def to_json(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class NextStep:
    text: str
    owner: str = ""
    due: str = ""  # ISO date, or "" when the notes give none

    def to_json(self) -> dict[str, str]:
        return asdict(self)


@dataclass
class Extraction:
    """What one meeting's notes say: a summary, next steps and signals."""

    summary: str
    next_steps: list[NextStep] = field(default_factory=list)
    signals: list[Signal] = field(default_factory=list)
    attendees: list[Attendee] = field(default_factory=list)
    extracted_by: str = "offline"


@dataclass
class Meeting:
    id: int
    deal_id: int
    date: dt.date
    notes: str
    extraction: Extraction

    def to_json(self) -> dict[str, Any]:
        e = self.extraction
        return {
            "id": self.id,
            "date": self.date.isoformat(),
            "summary": e.summary,
            "attendees": [a.to_json() for a in e.attendees],
            "next_steps": [s.to_json() for s in e.next_steps],
            "signals": [s.to_json() for s in e.signals],
            "extracted_by": e.extracted_by,
        }


@dataclass
class Deal:
    id: int
    name: str
    account: str
    amount: float | None = None
    currency: str = ""
    stage: str = ""
    close_date: dt.date | None = None
    owner: str = ""
    competitor: str = ""
    products: list[str] = field(default_factory=list)
    source: str = "manual"  # "manual", or the CRM export it came from

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "account": self.account,
            "stage": self.stage,
            "amount": self.amount,
            "currency": self.currency,
            "close_date": self.close_date.isoformat() if self.close_date else None,
            "owner": self.owner,
            "competitor": self.competitor,
            "products": self.products,
        }
