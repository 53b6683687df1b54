"""Meeting notes → summary, next steps and MEDDPICC signals, each quoting the notes verbatim.

Offline, by rules (``prompts/meddpicc.yaml``: a field's signal patterns make a sentence a
candidate; closeness in meaning to the field's examples ranks candidates) and the notes' own
structure (attendees, speakers, a "Next steps" list). A field the notes do not say stays
empty. ``verified`` is the one check every extraction passes, offline or by an LLM: a signal
whose quote is not in the notes, or whose field or speaker is unknown, is dropped.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Annotated

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from assistant.core.yamlfile import Pattern, exactly, load_model
from assistant.deals.notes import DATE_RE, ParsedNotes, Utterance, parse_date
from assistant.deals.records import FIELDS, Attendee, Extraction, NextStep, Signal, clause

Embed = Callable[[Sequence[str]], np.ndarray]
MAX_PER_FIELD = 2  # signals per field per meeting: the best-supported first
MIN_QUOTE_WORDS = 3  # an LLM's quote shorter than this is not a sentence of the notes
SIMILARITY_FLOOR, SIMILARITY_SPAN = 0.1, 0.5  # cosines rescaled to [0, 1]
_REPORTED_RE = re.compile(
    r"^(?P<name>[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)?)\s+(?:\([^)]*\)\s+)?(?:said|says|confirmed|"
    r"mentioned|told us|explained|asked|stated|noted|agreed|shared|added|wants|needs|expects|"
    r"loves?|loved|will|is|was|has|owns|thinks|thought|raised|worries)\b"
)
_OWNER_RE = re.compile(
    r"^(?P<owner>[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)?)\s*(?::|\s+to\s+|\s+will\s+)"
    r"|\((?:owner|who)\s*:\s*(?P<owner2>[^)]+)\)|@(?P<owner3>[A-Z][\w'’-]+)"
)
_STEP_RE = re.compile(
    r"\b(?:next step|action item|follow[- ]up|will send|to send|to book|to schedule|to share|"
    r"to set up|to introduce|will book|will schedule|will share|will introduce)\b",
    re.I,
)
_TITLE_RE = re.compile(
    r"\b(?:C[EFIOTS]O|CISO|CRO|CMO|CPO|(?:S?VP|vice president|head|director|chief)\s+of\s+[\w&-]+"
    r"(?:\s+[\w&-]+)?|(?:S?VP|head|director)\s+[\w&-]+|(?:general )?counsel|controller|owner)\b"
)
_UNIT = (
    r"(?:%|percent\b|k\b|m\b|x\b|(?:hours?|hrs|days?|weeks?|months?|years?|minutes?|mins?|"
    r"people|persons|FTEs?|staff|seats|users|interfaces|systems|tickets|errors)\b)"
)
_AMOUNT = r"[$€£]\d[\d,.]*(?:\s?[kKmM]\b)?|\d[\d,.]*(?:\s?[-–]\s?\d[\d,.]*)?\s?" + _UNIT
_NUMBER_PHRASE_RE = re.compile(
    rf"(?:from\s+)?(?:{_AMOUNT})(?:\s+(?:a|per)\s+\w+)?"
    rf"(?:\s+(?:to|down to|up to)\s+(?:{_AMOUNT}|[$€£]?\d[\d,.]*))?",
    re.I,
)


class FieldRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    description: str = Field(min_length=1)
    signals: list[Pattern] = Field(min_length=1)
    examples: list[str] = Field(min_length=1)


class NoteRules(BaseModel):
    """``prompts/meddpicc.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    fields: Annotated[dict[str, FieldRule], exactly(FIELDS)]
    min_similarity: float = Field(ge=0, le=1)
    not_evidence: list[Pattern] = Field(default_factory=list)
    risk_headings: Pattern

    @cached_property
    def patterns(self) -> dict[str, list[re.Pattern[str]]]:
        return {f: [re.compile(p, re.I) for p in r.signals] for f, r in self.fields.items()}

    @cached_property
    def excluded(self) -> list[re.Pattern[str]]:
        return [re.compile(p, re.I) for p in self.not_evidence]


def load_note_rules(prompts_dir: Path) -> NoteRules:
    return load_model(prompts_dir / "meddpicc.yaml", NoteRules)


Rivals = Callable[[str], list[str]]


def _none(text: str) -> list[str]:
    return []


@dataclass(frozen=True)
class _Candidate:
    field: str
    utterance: Utterance
    hits: int
    similarity: float


class NoteExtractor:
    """Reads one meeting's parsed notes into an ``Extraction`` (the rules' example sentences
    are embedded once)."""

    def __init__(self, rules: NoteRules, embed: Embed | None = None) -> None:
        self.rules = rules
        self.embed = embed
        self._examples: dict[str, np.ndarray] = {}
        if embed is not None:
            for name, rule in rules.fields.items():
                self._examples[name] = embed(rule.examples)

    def extract(self, parsed: ParsedNotes, date: dt.date, rivals: Rivals = _none) -> Extraction:
        """``rivals(text)``: the competitors of the knowledge base that ``text`` names."""
        risky = re.compile(self.rules.risk_headings)
        utterances = [
            u
            for u in parsed.utterances
            if not self._excluded(u.text) and not (u.section and risky.search(u.section))
        ]
        signals = self.signals(parsed, utterances, rivals)
        steps = next_steps(parsed, date)
        return Extraction(
            summary=summarize(parsed, signals, steps),
            next_steps=steps,
            signals=signals,
            attendees=list(parsed.attendees),
        )

    def _excluded(self, text: str) -> bool:
        return any(p.search(text) for p in self.rules.excluded)

    def signals(
        self, parsed: ParsedNotes, utterances: list[Utterance], rivals: Rivals = _none
    ) -> list[Signal]:
        spoken = [u for u in utterances if not u.next_step]
        if not spoken:
            return []
        sims = self._similarities([u.text for u in spoken])
        candidates: list[_Candidate] = []
        for i, u in enumerate(spoken):
            for name in FIELDS:
                hits = sum(bool(p.search(u.text)) for p in self.rules.patterns[name])
                if name == "competition" and rivals(u.text):
                    hits += 1
                if not hits:
                    continue
                similarity = float(sims[name][i]) if name in sims else 1.0
                if similarity >= self.rules.min_similarity or hits >= 2:
                    candidates.append(_Candidate(name, u, hits, similarity))
        out: list[Signal] = []
        for name in FIELDS:
            mine = sorted(
                (c for c in candidates if c.field == name),
                key=lambda c: (-(c.similarity + 0.25 * min(c.hits, 2)), spoken.index(c.utterance)),
            )
            for c in mine[:MAX_PER_FIELD]:
                speaker = _speaker(parsed, c.utterance)
                value = _value(name, c.utterance, parsed, rivals)
                out.append(Signal(name, value, c.utterance.text, speaker))
        return out

    def _similarities(self, texts: list[str]) -> dict[str, np.ndarray]:
        if self.embed is None or not self._examples:
            return {}
        vectors = self.embed(texts)
        return {
            name: np.clip(((vectors @ ex.T).max(axis=1) - SIMILARITY_FLOOR) / SIMILARITY_SPAN, 0, 1)
            for name, ex in self._examples.items()
        }


def _value(name: str, u: Utterance, parsed: ParsedNotes, rivals: Rivals) -> str:
    """The field's value in a few words: a person for the economic buyer and champion, a
    rival's name for competition, the figures for metrics, the date for the decision."""
    text = u.text
    if name in ("economic_buyer", "champion"):
        person = _named_person(parsed, u)
        if person:
            return f"{person.name} ({person.title})" if person.title else person.name
        title = _TITLE_RE.search(text)
        if title:
            return title.group(0)
    if name == "competition":
        named = rivals(text)
        if named:
            return ", ".join(named)
    if name == "metrics":
        figures = [
            m.group(0).strip()
            for m in _NUMBER_PHRASE_RE.finditer(text)
            if re.search(r"\d", m.group(0))
        ]
        if figures:
            return "; ".join(dict.fromkeys(figures))
    if name == "decision_process":
        m = DATE_RE.search(text)
        if m and re.search(r"\d", m.group(0)):
            return m.group(0)
    return clause(text)


def verified(notes: str, signals: Sequence[Signal]) -> tuple[list[Signal], list[str]]:
    """The signals whose quote is a sentence of the notes (spacing aside, at least
    ``MIN_QUOTE_WORDS`` words), field known and speaker "buyer" or "rep"; and a plain reason
    for each one dropped. A value that shares no word with its quote is replaced by the quote's
    own words: nothing beyond the notes."""
    flat = " ".join(notes.split())
    kept, dropped = [], []
    for s in signals:
        quote = " ".join(s.quote.split())
        if s.field not in FIELDS:
            dropped.append(f"unknown field {s.field!r}")
        elif len(quote.split()) < MIN_QUOTE_WORDS or quote not in flat:
            dropped.append(f"{s.field}: the quote is not a sentence of the notes ({quote[:60]!r})")
        elif s.speaker not in ("buyer", "rep"):
            dropped.append(f"{s.field}: speaker must be buyer or rep, not {s.speaker!r}")
        else:
            said = set(re.findall(r"\w+", quote.lower()))
            value = s.value.strip()
            if not set(re.findall(r"\w+", value.lower())) & said:
                value = clause(quote)
            kept.append(Signal(s.field, value, quote, s.speaker))
    return kept, dropped


def verified_steps(notes: str, steps: Sequence[NextStep]) -> tuple[list[NextStep], list[str]]:
    """The next steps that are a line of the notes (spacing aside), as signals' quotes are;
    and a plain reason for each one dropped."""
    flat = " ".join(notes.split())
    kept, dropped = [], []
    for step in steps:
        text = " ".join(step.text.split())
        if text in flat:
            kept.append(NextStep(text, step.owner, step.due))
        else:
            dropped.append(f"next step not in the notes: {text[:60]!r}")
    return kept, dropped


def next_steps(parsed: ParsedNotes, date: dt.date) -> list[NextStep]:
    """The notes' next steps: lines under a next-steps heading, or sentences that say one
    ("Sam to send the answers by Nov 20"), with an owner and a due date when they give one."""
    out: list[NextStep] = []
    for u in parsed.utterances:
        if not (u.next_step or _STEP_RE.search(u.text)):
            continue
        owner = u.speaker
        m = _OWNER_RE.search(u.text)
        if not owner and m:
            owner = (m["owner"] or m["owner2"] or m["owner3"] or "").strip()
            if not (parsed.person(owner) or (m["owner2"] or m["owner3"])):
                owner = owner if owner.split()[0] not in ("We", "They", "I", "Next") else ""
        person = parsed.person(owner) if owner else None
        due = parse_date(u.text, date)
        out.append(
            NextStep(u.text, person.name if person else owner, due.isoformat() if due else "")
        )
    return out


def summarize(parsed: ParsedNotes, signals: Sequence[Signal], steps: Sequence[NextStep]) -> str:
    """A short, factual summary: who met, what the notes covered, how many next steps."""
    buyers = [a for a in parsed.attendees if a.side != "seller"]
    who = "; ".join(f"{a.name} ({a.title})" if a.title else a.name for a in buyers)
    covered = [f.replace("_", " ") for f in FIELDS if any(s.field == f for s in signals)]
    parts = [f"Met {who}." if who else "Meeting notes logged."]
    parts.append(
        f"Covered: {', '.join(covered)}." if covered else "No qualification signal in the notes."
    )
    if steps:
        parts.append(f"{len(steps)} next step{'s' if len(steps) > 1 else ''}.")
    return " ".join(parts)


def _speaker(parsed: ParsedNotes, u: Utterance) -> str:
    """ "buyer" when a buyer-side attendee said it (as a transcript speaker, or reported: "Maria
    confirmed…"); otherwise "rep": the seller said it, or it is the rep's own note."""
    if u.speaker:
        return "buyer" if parsed.side_of(u.speaker) == "buyer" else "rep"
    m = _REPORTED_RE.match(u.text)
    if m:
        person = parsed.person(m["name"])
        if person and person.side == "buyer":
            return "buyer"
    return "rep"


def _named_person(parsed: ParsedNotes, u: Utterance) -> Attendee | None:
    """The buyer-side attendee a sentence is about (named in it), else its buyer speaker."""
    for a in parsed.attendees:
        if a.side == "seller":
            continue
        first = a.name.split()[0]
        if re.search(rf"\b(?:{re.escape(a.name)}|{re.escape(first)})\b", u.text):
            return a
    if u.speaker and parsed.side_of(u.speaker) == "buyer":
        return parsed.person(u.speaker)
    return None
