"""Meeting notes as a rep pastes them: checked (empty, too large, binary, not text), then read
into a date, attendees (name, title, company, side) and utterances (who said each sentence,
and whether it sits under a "Next steps" heading).

Three shapes are read alike: a rep's bullets, a pasted call summary, and a transcript with
speaker names ("Maria: we need..."). An optional header gives the date and attendees:

    Date: 2026-11-03
    Attendees: Maria Chen (CFO, Lakemont Bank); Sam Ortiz (Account Executive, Keelstone)
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from assistant.core.errors import DealError
from assistant.core.text import sentences
from assistant.deals.records import Attendee, Side
from assistant.index.lexical import STOPWORDS

MIN_ENGLISH_SHARE = 0.12  # share of common English words below which notes are not English
MIN_WORDS_TO_JUDGE = 25  # ... judged only on notes this long
MAX_HEADING_WORDS = 6  # a line this short without a sentence end is a heading or a label
HEADER_LINES = 8  # the Date: and Attendees: lines are read among the notes' first lines
SELLER_TITLE_RE = re.compile(
    r"\b(?:account (?:executive|manager|director)|AE|SE|solution(?:s)? (?:engineer|architect|"
    r"consultant)|sales (?:engineer|rep|representative|director|manager)|customer success|CSM|"
    r"business development|BDR|SDR)\b",
    re.I,
)
_HEADER_RE = re.compile(
    r"^\s*(?P<key>date|attendees|participants|present|attendance|with|who)\s*:\s*(?P<value>.*)$",
    re.I,
)
_ENTRY_RE = re.compile(r"^(?P<name>[^(]+?)\s*\((?P<inner>[^)]*)\)\s*$")
_BULLET_RE = re.compile(r"^\s*(?:[-*•▪‣◦]|\d+[.)]|\[[ xX]?\])\s+")
_SPEAKER_RE = re.compile(
    r"^(?P<name>[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,2})\s*(?:\([^)]*\))?\s*:\s+(?P<text>\S.*)$"
)
_NEXT_STEPS_RE = re.compile(r"(?i)^(?:next steps?|action items?|actions|follow[- ]ups?|to ?dos?)$")


@dataclass(frozen=True)
class Utterance:
    """One sentence of the notes, who said it (an attendee's name, or "" in the rep's own
    notes), its side, the heading it sits under, and whether that is a next-steps list."""

    text: str
    speaker: str = ""
    side: Side = ""
    next_step: bool = False
    section: str = ""


@dataclass
class ParsedNotes:
    date: dt.date | None = None
    attendees: list[Attendee] = field(default_factory=list)
    utterances: list[Utterance] = field(default_factory=list)

    def side_of(self, name: str) -> Side:
        person = self.person(name)
        return person.side if person else ""

    def person(self, name: str) -> Attendee | None:
        """The attendee a name refers to: the full name or the first name."""
        key = name.strip().lower()
        for a in self.attendees:
            full = a.name.lower()
            if key in (full, full.split()[0]):
                return a
        return None


def read_notes(data: bytes, source: str, max_bytes: int) -> str:
    """The notes as text, or a one-line reason they cannot be read."""
    if not data.strip():
        raise DealError(f"{source}: the notes are empty")
    if len(data) > max_bytes:
        raise DealError(
            f"{source}: {len(data) / 1024:,.0f} KB of notes, over the {max_bytes // 1024:,} KB "
            "limit (PITCHCRAFT_DEAL_NOTES_MAX_KB); log one meeting at a time"
        )
    if b"\x00" in data[:65536]:
        raise DealError(f"{source}: not text (a binary file?)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DealError(f"{source}: not UTF-8 text; save the notes as UTF-8") from None
    controls = sum(1 for ch in text[:65536] if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > len(text[:65536]) * 0.01:
        raise DealError(f"{source}: not text (control characters throughout)")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def looks_english(text: str) -> bool:
    """Whether enough of the words are common English ones for the rules to read them."""
    words = re.findall(r"[^\W\d_]+", text.lower())
    if len(words) < MIN_WORDS_TO_JUDGE:
        return True
    return sum(w in STOPWORDS for w in words) / len(words) >= MIN_ENGLISH_SHARE


def parse_notes(text: str, vendor: str = "", today: dt.date | None = None) -> ParsedNotes:
    """Header, attendees and utterances of one meeting's notes. The header (``Date:``,
    ``Attendees:``) is read in the notes' first lines, a title line or blank lines before it
    allowed; a header date without a year is the latest such date not after ``today``."""
    parsed = ParsedNotes()
    lines = text.split("\n")
    body: list[str] = []
    for n, line in enumerate(lines):
        m = _HEADER_RE.match(line)
        if m and n < HEADER_LINES and not any(_is_content(b) for b in body):
            key, value = m["key"].lower(), m["value"].strip()
            if key == "date":
                parsed.date = parse_date(value, today, past=True)
            else:
                parsed.attendees += parse_attendees(value, vendor)
            body = []  # a title above the header names the meeting, not a section
            continue
        body.append(line)
    section, in_steps = "", False
    for n, line in enumerate(body):
        stripped = line.strip()
        if not stripped:
            continue
        following = next((b for b in body[n + 1 :] if b.strip()), "")
        if not _BULLET_RE.match(line) and _is_heading(stripped, following):
            section = stripped.strip("#:* ").strip()
            in_steps = bool(_NEXT_STEPS_RE.match(section))
            continue
        content = _BULLET_RE.sub("", stripped)
        speaker, side = "", ""
        said = _SPEAKER_RE.match(content)
        # A speaker is an attendee ("Maria: we need…"); without an attendee list "Budget:" is a
        # label, not a person, so the line stays whole.
        if said and parsed.person(said["name"]) and not _NEXT_STEPS_RE.match(said["name"]):
            speaker, content = said["name"], said["text"]
            side = parsed.side_of(speaker)
        for sentence in sentences(content) or [content]:
            parsed.utterances.append(Utterance(sentence.strip(), speaker, side, in_steps, section))
    return parsed


def _is_content(line: str) -> bool:
    """A line of the notes proper (not blank, not a title line before the header)."""
    return bool(line.strip()) and not line.lstrip().startswith("#")


def _is_heading(line: str, following: str) -> bool:
    """A Markdown heading, a label ending in a colon, or a short line with no sentence end that
    a list follows ("Paper process" over bullets); "Budget approved by CFO" alone is a fact."""
    words = len(line.split())
    if line.startswith("#") or (line.endswith(":") and words <= MAX_HEADING_WORDS):
        return True
    ends = re.search(r"[.!?;:,)\"”]$", line)
    return words <= MAX_HEADING_WORDS and not ends and bool(_BULLET_RE.match(following))


def parse_attendees(value: str, vendor: str = "") -> list[Attendee]:
    """``Name (Title, Company); Name (Title, Company)`` (or a comma-separated list of names)."""
    parts = [p.strip() for p in re.split(r";|\s+\|\s+", value) if p.strip()]
    if len(parts) == 1:  # "Maria Chen (CFO), Sam Ortiz (AE)": commas outside parentheses
        parts = [p.strip() for p in re.split(r",(?![^(]*\))", value) if p.strip()]
    out = []
    for part in parts:
        m = _ENTRY_RE.match(part)
        name, title, company = (
            (m["name"].strip(), *_title_company(m["inner"])) if m else (part, "", "")
        )
        out.append(Attendee(name, title, company, _side(title, company, vendor)))
    return out


def _title_company(inner: str) -> tuple[str, str]:
    bits = [b.strip() for b in inner.rsplit(",", 1)]
    return (bits[0], bits[1]) if len(bits) == 2 else (bits[0], "")


def _side(title: str, company: str, vendor: str) -> Side:
    """The seller's side: the vendor's people ("Keelstone", "Keelstone Inc."), or a seller's
    title where the vendor is unknown or the company not given; else the buyer's."""
    ours = bool(vendor) and company.lower().startswith(vendor.lower())
    if ours or (SELLER_TITLE_RE.search(title) and (not company or not vendor)):
        return "seller"
    return "buyer" if company else ""


_MONTHS = {
    m.lower(): i
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        1,
    )
    for m in names
}
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
DATE_RE = re.compile(
    r"\b(?P<iso>\d{4}-\d{2}-\d{2})\b"
    r"|\b" + _MONTH + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(?P<year>\d{4}))?\b"
    r"|\b(?P<day2>\d{1,2})(?:st|nd|rd|th)?\s+"
    + _MONTH.replace("month", "month2")
    + r"(?:\s+(?P<year2>\d{4}))?\b"
    r"|\b(?P<weekday>(?:next\s+)?(?:" + "|".join(_WEEKDAYS) + r"))\b"
    r"|\b(?P<relative>tomorrow|next week|end of (?:the )?(?:week|month)|eow|eom)\b",
    re.I,
)


def parse_date(text: str, today: dt.date | None = None, past: bool = False) -> dt.date | None:
    """The first date ``text`` names: ISO, "Nov 20", "20 November 2026", a weekday ("Friday",
    the next one after ``today``), "tomorrow", "next week", "end of month"; else None. With
    ``past`` (a meeting's own date), a date without a year or a weekday is the latest one not
    after ``today``, and a relative date names none."""
    m = DATE_RE.search(text)
    if not m:
        return None
    base = today or dt.date.today()
    try:
        if m["iso"]:
            return dt.date.fromisoformat(m["iso"])
        if m["month"] or m["month2"]:
            month = _MONTHS[(m["month"] or m["month2"]).lower()]
            day = int(m["day"] or m["day2"])
            year = int(m["year"] or m["year2"] or base.year)
            found = dt.date(year, month, day)
            if not (m["year"] or m["year2"]):
                if past and found > base:
                    found = found.replace(year=year - 1)  # "Oct 1" in notes read in January
                elif not past and found < base - dt.timedelta(days=60):
                    found = found.replace(year=year + 1)  # "Jan 10" said in December
            return found
    except ValueError:
        return None
    if m["weekday"]:
        words = m["weekday"].lower().split()
        if past:
            return base - dt.timedelta(days=(base.weekday() - _WEEKDAYS.index(words[-1])) % 7)
        ahead = (_WEEKDAYS.index(words[-1]) - base.weekday()) % 7 or 7
        return base + dt.timedelta(days=ahead + (7 if words[0] == "next" else 0))
    if past:
        return None
    relative = m["relative"].lower()
    if relative == "tomorrow":
        return base + dt.timedelta(days=1)
    if relative == "next week":
        return base + dt.timedelta(days=7)
    if relative in ("eow", "end of week", "end of the week"):
        return base + dt.timedelta(days=(4 - base.weekday()) % 7)
    first_next = (base.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return first_next - dt.timedelta(days=1)
