"""The close plan: the purchase steps the notes do not show as done (security review, legal
review, procurement, signature; ``prompts/forecast.yaml``), each with the internal team to
involve and by when, read from the knowledge base's own who-to-involve and process documents
(cited), and planned back from the deal's close date by each team's lead time."""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from typing import Any

from assistant.core.records import Chunk
from assistant.core.results import citation_of
from assistant.deals.forecast import ForecastRules, Step, sentences_of
from assistant.deals.records import Deal, Meeting
from assistant.index.filters import Filters
from assistant.index.kb import KnowledgeBase
from assistant.index.lexical import tokenize
from assistant.jobs.involve import in_directory, is_request, team_of
from assistant.retrieval.evidence import Evidence, chunk_sentences
from assistant.retrieval.retriever import Retriever

SEARCH_K = 12
LEAD_RE = re.compile(r"\b(\d{1,3})\s+(business|working|calendar)?\s*days?\b", re.I)
# A figure of days is a lead time only in a sentence about how long the team takes.
LEAD_WORDS_RE = re.compile(
    r"\b(?:lead times?|turnaround|within|returned|respond\w*|takes?|needs?|notice|sla|review)\b",
    re.I,
)
MIN_SHARED_WORDS = 2  # a process sentence bears on a step when it shares this many of its words


@dataclass
class PlanStep:
    step: str
    involve: str  # the team, as the knowledge base names it ("" when it names none)
    when: dt.date | None  # start by
    lead_days: int
    evidence: list[Evidence] = field(default_factory=list)
    note: str = ""

    def to_json(self, today: dt.date) -> dict[str, Any]:
        return {
            "step": self.step,
            "involve": self.involve,
            "when": self.when.isoformat() if self.when else None,
            "overdue": bool(self.when and self.when < today),
            "lead_days": self.lead_days,
            "note": self.note,
            "citations": [citation_of(e.chunk, e.text) for e in self.evidence],
        }


def close_plan(
    kb: KnowledgeBase, rules: ForecastRules, deal: Deal, meetings: list[Meeting], today: dt.date
) -> list[PlanStep]:
    """The steps left, earliest first, each with whom to involve and when to start."""
    said = [text for text, _ in sentences_of(meetings, facts=True)]
    left = [
        s for s in rules.close_plan if not any(rules.affirms(s.done, t, done=True) for t in said)
    ]
    retriever = Retriever(kb) if not kb.is_empty() else None
    planned = [_team(kb, retriever, s) for s in left]
    # Back from the close date: the last step ends on it, each earlier one ends where the
    # next begins. Without a close date the plan runs forward from today.
    if deal.close_date:
        end = deal.close_date
        for p in reversed(planned):
            p.when = end - dt.timedelta(days=_calendar(p.lead_days))
            end = p.when
    else:
        start = today
        for p in planned:
            p.when = start
            start += dt.timedelta(days=_calendar(p.lead_days))
    for p in planned:
        if p.when and p.when < today:
            p.note = (p.note + "; " if p.note else "") + "late: start now"
    return planned


def _team(kb: KnowledgeBase, retriever: Retriever | None, step: Step) -> PlanStep:
    """The team the knowledge base's who-to-involve directory says to bring in for a step,
    with its lead time; without a directory entry, the internal process passage that bears on
    the step most, cited, and no team invented."""
    if retriever is None:
        return PlanStep(step.step, "", None, step.lead_days, note="the knowledge base is empty")
    hits = retriever.search(step.find, k=SEARCH_K, filters=Filters(audience="internal")).hits
    internal = [h.chunk for h in hits]
    directory = [c for c in internal if in_directory(kb, c) and team_of(c)]
    wanted = set(tokenize(step.find))
    if not directory:
        related = [
            e
            for e in chunk_sentences(internal[:SEARCH_K], min_words=4)
            if len(wanted & set(tokenize(e.text))) >= MIN_SHARED_WORDS
        ]
        best = max(related, key=lambda e: len(wanted & set(tokenize(e.text))), default=None)
        note = "no who-to-involve entry names a team for this step"
        return PlanStep(step.step, "", None, step.lead_days, [best] if best else [], note)
    chunk = directory[0]
    team = team_of(chunk)
    lines = chunk_sentences(_section_chunks(kb, chunk), min_words=4)
    not_reasons = tuple(kb.conventions.involve_not_reasons)
    reasons = [e for e in lines if not e.text.lower().startswith(not_reasons)]
    why = max(reasons, key=lambda e: len(wanted & set(tokenize(e.text))), default=None)
    how = next((e for e in lines if is_request(kb, e.text)), None)
    lead, lead_line = _lead_days(lines, step)
    evidence = [e for e in (why, lead_line or how) if e is not None]
    evidence = [e for i, e in enumerate(evidence) if e.text not in {x.text for x in evidence[:i]}]
    note = "" if lead_line else f"lead time {step.lead_days} business days (the rules' default)"
    return PlanStep(step.step, team, None, lead, evidence, note)


def _section_chunks(kb: KnowledgeBase, chunk: Chunk) -> list[Chunk]:
    """The chunks of the same top-level section (a team's whole entry)."""
    parts = chunk.heading.split(" > ")
    prefix = " > ".join(parts[:2])
    return [c for c in kb.manifest.source_chunks(chunk.source) if c.heading.startswith(prefix)]


def _lead_days(lines: list[Evidence], step: Step) -> tuple[int, Evidence | None]:
    """The lead time the team's entry gives for this kind of step (the figure next to the
    step's own words, else the first one), in business days."""
    wanted = set(tokenize(step.find))
    best: tuple[int, int, Evidence] | None = None
    for e in lines:
        if not LEAD_WORDS_RE.search(e.text):
            continue
        for m in LEAD_RE.finditer(e.text):
            near = e.text[max(0, m.start() - 60) : m.end()]
            score = len(wanted & set(tokenize(near)))
            days = int(m.group(1))
            if (m.group(2) or "").lower() == "calendar":
                days = math.ceil(days * 5 / 7)
            if best is None or score > best[0]:
                best = (score, days, e)
    return (best[1], best[2]) if best else (step.lead_days, None)


def _calendar(business_days: int) -> int:
    return math.ceil(business_days * 7 / 5)
