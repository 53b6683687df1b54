"""``DealRoom``: the deal jobs over one knowledge store. Log a meeting (notes → quoted record,
by rules, or by an LLM checked by the same verifier), show a deal (record, changes,
stakeholders, forecast call, close plan, risks), import a CRM export, the pipeline, and the
context a pitch or an objection takes from a deal."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from assistant.core.errors import DealError, LLMError
from assistant.core.records import Chunk, DocMeta
from assistant.deals import closeplan, crm, people
from assistant.deals.extract import (
    NoteExtractor,
    NoteRules,
    load_note_rules,
    summarize,
    verified,
    verified_steps,
)
from assistant.deals.forecast import (
    ForecastRules,
    judge,
    load_forecast_rules,
    qualification,
    risks,
)
from assistant.deals.notes import ParsedNotes, looks_english, parse_date, parse_notes, read_notes
from assistant.deals.pipeline import Judged, deal_flags, pipeline
from assistant.deals.records import FIELDS, Deal, Extraction, Meeting, NextStep, Signal
from assistant.deals.store import DealStore
from assistant.index.kb import KnowledgeBase
from assistant.writers.sources import Source


@dataclass
class Logged:
    deal: Deal
    meeting: Meeting
    created: bool
    warnings: list[str] = field(default_factory=list)
    read: bool = True  # False: stored, but in a language the rules cannot read

    def to_json(self) -> dict[str, Any]:
        m = self.meeting
        return {
            "deal": self.deal.name,
            "created": self.created,
            "meeting": {
                "date": m.date.isoformat(),
                "summary": m.extraction.summary,
                "attendees": [a.to_json() for a in m.extraction.attendees],
                "next_steps": [s.to_json() for s in m.extraction.next_steps],
            },
            "signals": [s.to_json() for s in m.extraction.signals],
            "extracted_by": m.extraction.extracted_by,
            "warnings": self.warnings,
        }


@dataclass
class DealContext:
    """What a pitch or an objection takes from a deal, and where each part came from."""

    deal: str
    persona: str
    account: str
    competitor: str | None
    used: dict[str, str]


class DealRoom:
    def __init__(self, kb: KnowledgeBase, llm: Any = None, store: DealStore | None = None) -> None:
        self.kb = kb
        self.settings = kb.settings
        self.llm = llm  # an LLMWriter when one is configured
        self.store = store or DealStore(kb.root / "deals.sqlite", self.settings.lock_timeout)

    @cached_property
    def note_rules(self) -> NoteRules:
        return load_note_rules(self.settings.prompts_dir)

    @cached_property
    def rules(self) -> ForecastRules:
        return load_forecast_rules(self.settings.prompts_dir)

    @cached_property
    def extractor(self) -> NoteExtractor:
        return NoteExtractor(self.note_rules, self.kb.embedder.embed)

    @property
    def vendor(self) -> str:
        return "" if self.kb.is_empty() else self.kb.vendor

    # -- log ------------------------------------------------------------------------------------
    def log(
        self,
        name: str,
        data: bytes,
        source: str = "notes",
        date: dt.date | None = None,
        account: str | None = None,
        owner: str = "",
        visible: Callable[[Deal], bool] | None = None,
    ) -> Logged:
        """Store one meeting's notes with what they say, for the deal ``name`` finds among the
        ``visible`` ones; a new deal needs its account and gets ``owner``. The notes are read
        before anything is stored: a deal never exists without its first meeting."""
        notes = read_notes(data, source, int(self.settings.deal_notes_max_kb * 1024))
        parsed = parse_notes(notes, self.vendor)
        deal = self.store.find(name, visible)
        if deal is None and not (account or "").strip():
            raise DealError(f"deal {name.strip()!r} is new: give its account (--account)")
        if deal and account and account.strip().lower() != deal.account.lower():
            raise DealError(f"deal {deal.name!r} is for account {deal.account}, not {account}")
        warnings: list[str] = []
        when = date or parsed.date
        if when is None:
            when = dt.date.today()
            warnings.append(f"the notes give no date: logged as today ({when}); use --date")
        english = looks_english(notes)
        if english:
            extraction = self._extract(notes, parsed, when, warnings)
        else:
            extraction = Extraction(
                "Notes stored; nothing extracted (the rules read English notes).",
                attendees=parsed.attendees,
            )
            warnings.append("the notes do not look English: stored as they are, nothing extracted")
        stored, meeting, created = self.store.log(
            deal, (name, account or "", owner), when, notes, extraction
        )
        if not created:
            warnings.append(f"these notes were already logged for {stored.name} on {meeting.date}")
        return Logged(stored, meeting, created, warnings, english)

    def _extract(
        self, notes: str, parsed: ParsedNotes, when: dt.date, warnings: list[str]
    ) -> Extraction:
        """By the LLM when one is configured (checked by the verifier), else by the rules; the
        rules too when the LLM fails or answers in the wrong shape."""
        if self.llm is not None:
            try:
                return self._llm_extract(notes, parsed, when, warnings)
            except (LLMError, AttributeError, KeyError, TypeError, ValueError) as exc:
                reason = (
                    exc if isinstance(exc, LLMError) else "its reply was not in the shape asked"
                )
                warnings.append(
                    f"the LLM's extraction was not used ({reason}); the rules read the notes"
                )
        if self.kb.is_empty():
            return self.extractor.extract(parsed, when)
        return self.extractor.extract(parsed, when, self.kb.market.mentioned)

    def _llm_extract(
        self, notes: str, parsed: ParsedNotes, when: dt.date, warnings: list[str]
    ) -> Extraction:
        chunk = Chunk("notes", "meeting notes", notes, "", 0, DocMeta(doc_type="internal"))
        fields = {f: self.note_rules.fields[f].description for f in FIELDS}
        messages = self.llm.messages(
            "deal_notes", [Source(1, chunk, notes)], self.vendor, fields=fields
        )
        data = self.llm.complete_json(messages)
        raw = [
            Signal(
                str(s["field"]), str(s.get("value", "")), str(s["quote"]), str(s.get("speaker", ""))
            )
            for s in data.get("signals", [])
        ]
        signals, dropped = verified(notes, raw)
        warnings += [f"dropped an LLM signal: {d}" for d in dropped]
        asked = [
            NextStep(
                str(s.get("text", "")), str(s.get("owner", "")), _iso_or_blank(s.get("due"), when)
            )
            for s in data.get("next_steps", [])
            if str(s.get("text", "")).strip()
        ]
        steps, dropped = verified_steps(notes, asked)
        warnings += [f"dropped an LLM {d}" for d in dropped]
        summary = str(data.get("summary", "")).strip() or summarize(parsed, signals, steps)
        return Extraction(summary, steps, signals, list(parsed.attendees), self.llm.name)

    # -- show -----------------------------------------------------------------------------------
    def judged(self, deal: Deal) -> Judged:
        meetings = self.store.meetings(deal)
        return Judged(deal, meetings, judge(self.rules, deal, meetings))

    def show(self, name: str, today: dt.date | None = None) -> dict[str, Any]:
        today = today or dt.date.today()
        j = self.judged(self.store.get(name))
        deal, meetings, call = j.deal, j.meetings, j.call
        qual = qualification(meetings)
        open_risks = [{**s.to_json(), "level": lvl} for lvl, s in risks(self.rules, meetings)] + [
            {"text": f["flag"], "quote": f["why"], "date": None, "level": "flag"}
            for f in deal_flags(j, self.rules, today)
        ]
        closed = call.category in ("closed_won", "closed_lost")
        plan = [] if closed else closeplan.close_plan(self.kb, self.rules, deal, meetings, today)
        last = meetings[-1] if meetings else None
        return {
            "deal": deal.to_json(),
            "meetings": [m.to_json() for m in meetings],
            "qualification": {
                f: (
                    {**qual[f][0].signal.to_json(), "date": qual[f][0].date.isoformat()}
                    if qual[f]
                    else None
                )
                for f in FIELDS
            },
            "stakeholders": [s.to_json() for s in people.stakeholders(meetings)],
            "changes": people.changes(meetings),
            "forecast": call.to_json(),
            "close_plan": [p.to_json(today) for p in plan],
            "risks": open_risks,
            "next_steps": [s.to_json() for s in last.extraction.next_steps] if last else [],
            "as_of": today.isoformat(),
        }

    # -- pipeline and CRM -------------------------------------------------------------------------
    def pipeline(
        self,
        today: dt.date | None = None,
        quota: float | None = None,
        quarter: str | None = None,
        currency: str | None = None,
        names: set[str] | None = None,
    ) -> dict[str, Any]:
        """The pipeline over every deal, or over the deals named in ``names``."""
        deals = [d for d in self.store.deals() if names is None or d.name in names]
        judged = [self.judged(d) for d in deals]
        out = pipeline(judged, self.rules, today or dt.date.today(), quota, quarter, currency)
        out["deals"] = [
            {**j.deal.to_json(), "category": j.call.category, "meetings": len(j.meetings)}
            for j in judged
        ]
        return out

    def import_crm(self, data: bytes, source: str) -> crm.ImportReport:
        return crm.import_deals(self.store, data, source)

    # -- context for a pitch or an objection ---------------------------------------------------
    def context(self, name: str) -> DealContext:
        """The persona (the economic buyer, else the champion, else the most senior buyer
        met), the account context (the account, its pains and metrics as the notes quote
        them) and the competitor (the deal's, else the one the notes name)."""
        deal = self.store.get(name)
        meetings = self.store.meetings(deal)
        people_ = people.stakeholders(meetings)
        used: dict[str, str] = {}
        persona = ""
        for role in ("economic buyer", "champion", "executive", "manager"):
            who = next((p for p in people_ if p.role == role and p.title), None)
            if who:
                persona = who.title
                used["persona"] = f"{who.name}, {who.title} ({role})"
                break
        qual = qualification(meetings)
        said = [d.signal.quote for f in ("pain", "metrics") for d in qual[f][:2]]
        account = deal.account + (": " + " ".join(dict.fromkeys(said)) if said else "")
        used["account"] = deal.account + (
            f" and {len(said)} pain/metric sentence(s) from the notes" if said else ""
        )
        named = [d.signal.value for d in qual["competition"]]
        known = [c for v in named if (c := self.kb.resolve_competitor(v))]
        competitor = deal.competitor or (known[0] if known else None)
        if competitor:
            where = "the deal record" if deal.competitor else "the notes"
            used["competitor"] = f"{competitor} ({where})"
        return DealContext(deal.name, persona, account, competitor, used)


def _iso_or_blank(value: Any, when: dt.date) -> str:
    found = parse_date(str(value or ""), when)
    return found.isoformat() if found else ""
