"""Who sells and whom it competes with, read from the documents themselves.

The vendor is, in order: the setting (or ``pitchcraft.yaml``); the name shared by the
"A vs B" titles and file names, whichever side it stands on; the proper name most documents
use. Competitors are the other sides of those pages, the other columns of comparison tables
that have a vendor column ("Feature — Us: yes; Them: no"), front-matter ``competitor`` values,
and sections headed "Us vs Them" or by a bare name under a heading about the competition
("Competitors > Them"). A competitor's pages are the ones that compare it; the documents with
such a section are its sections; the documents that discuss it by name (two mentions or more)
are kept apart as mentions.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

from assistant.core.records import COMPETITIVE_TYPES, Chunk

DEFAULT_VENDOR = "our platform"
NAME_PATTERN = r"[A-Z][\w.+&-]*(?:\s+[A-Z][\w.+&-]*){0,2}"  # a proper name, 1-3 words
_VERSUS_RE = re.compile(rf"(?<![\w.])({NAME_PATTERN})\s+(?:vs\.?|versus|v\.)\s+({NAME_PATTERN})")
# A heading about the competition: its sections headed by a bare name are rivals.
_COMPETITION_RE = re.compile(r"\b(?:competit\w*|alternatives|battle ?cards?|rivals?)\b", re.I)
# A linearised table row: "Label — Name: value; Name: value" (see ingest/html.py).
MAX_CELL_WORDS = 4  # a lone "label: value" this short is a cell, not a clause
_ROW_RE = re.compile(r"^[^—\n]{1,80} — (.+)$", re.M)
_CELL_RE = re.compile(r"(?:^|;\s*)([^:;]{1,40}):\s")
_PAIR_RE = re.compile(r"(?:^|;\s*)([^:;]{1,40}):\s*([^;]*)")
_LACKS = {"no", "none", "n/a", "-", "—", "–", "✖", "✗", "✘", "❌", "false", "not available"}
_PROPER_RE = re.compile(r"(?<![\w.])([A-Z][a-z]+[A-Z]?[\w]*|[A-Z][a-z]*[A-Z][\w]*)(?![\w])")
_COMPARES_RE = re.compile(
    r"\b(?:than|unlike|whereas|compared|versus|vs\.?|instead of|rather than|while)\b", re.I
)
MIN_MENTIONS = 2  # a document that names a competitor this often discusses it
VENDOR_DOC_SHARE = 0.3  # the proper name in this share of documents can be the vendor


def flat(name: str) -> str:
    """A name for comparison: lower-case letters and digits only ("Acme Co." = "acmeco")."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def strip_name(text: str, name: str) -> str:
    """``text`` without ``name``, however it is written ("Acme Co", "acme-co")."""
    key = flat(name)
    return _name_re(key).sub("", text) if key else text


@lru_cache(maxsize=512)
def _name_re(key: str) -> re.Pattern[str]:
    """A flat name as it may be written: any case, a space, dot or hyphen between letters."""
    return re.compile(
        r"(?<![0-9A-Za-z])" + r"[\s.-]?".join(map(re.escape, key)) + r"(?![0-9A-Za-z])", re.I
    )


@dataclass(frozen=True)
class DocInfo:
    """What the market reads of a document."""

    source: str
    title: str
    doc_type: str
    competitor: str  # front-matter, folder convention or a battlecard's title
    titled: bool = False  # the competitor was read from the title ("Them battlecard")


_CONCEDES_RE = re.compile(r"\bthan\s+(\S+(?:\s+\S+)?)|\bis the better (?:fit|choice|option)\b")


@dataclass
class Market:
    vendor: str = DEFAULT_VENDOR
    vendor_reason: str = "no vendor found"
    competitors: dict[str, str] = field(default_factory=dict)  # flat name -> spelling
    pages: dict[str, list[str]] = field(default_factory=dict)  # spelling -> comparing sources
    mentions: dict[str, list[str]] = field(default_factory=dict)  # spelling -> discussing sources
    # spelling -> sources with a section "Us vs Them" (a deck's slide, a handbook's section)
    sections: dict[str, list[str]] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)  # spelling -> why it is a competitor

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Market:
        return cls(**dict(data))

    @property
    def compared_sources(self) -> set[str]:
        """Every page that compares the vendor with some competitor."""
        return {s for pages in self.pages.values() for s in pages}

    def resolve(self, name: str | None) -> str | None:
        return self.competitors.get(flat(name)) if name else None

    def mentioned(self, text: str) -> list[str]:
        """The competitors ``text`` names, as whole words ("Arc" is not in "search"; "Blue
        Sky" and "blue-sky" are "BlueSky")."""
        return sorted(
            {n for key, n in self.competitors.items() if key and _name_re(key).search(text)}
        )

    def claim_sources(self, competitor: str) -> list[str]:
        """Where a claim about ``competitor`` may come from: its comparison pages, or the
        documents that compare it in a section or discuss it when it has none."""
        return self.pages.get(competitor) or self.sources_about(competitor)

    def may_claim(self, text: str, sources: Iterable[str]) -> bool:
        """Whether ``text``, quoted from ``sources``, names only competitors those sources
        may speak for."""
        given = set(sources)
        return all(given & set(self.claim_sources(c)) for c in self.mentioned(text))

    def names_vendor(self, text: str) -> bool:
        return bool(_name_re(flat(self.vendor)).search(text))

    def concedes(self, sentence: str) -> bool:
        """A rival measured above us: "Them has more connectors than we do", "Them is
        cheaper than Us for small teams", "Them is the better fit"."""
        for m in _CONCEDES_RE.finditer(sentence):
            us = m.group(1) is None or bool(
                re.match(r"(?i)(?:we|us|ours?)\b", m.group(1)) or self.names_vendor(m.group(1))
            )
            if us and self.mentioned(sentence[: m.start()]):
                return True
        return False

    def about_rival(self, sentence: str, heading: str = "") -> bool:
        """A sentence about a competitor rather than the vendor: it names a competitor, not the
        vendor, and compares nothing. When it names no one, its section heading decides, if
        that names a competitor and not the vendor ("Their pricing", not "Us and them")."""
        named = self.mentioned(sentence) or (
            not self.names_vendor(heading) and self.mentioned(heading)
        )
        return bool(named) and not self.names_vendor(sentence) and not _COMPARES_RE.search(sentence)

    def row_edge(self, row: str, competitor: str) -> bool:
        """Whether a linearised table row gives the vendor what ``competitor`` lacks
        ("Topic threads — Us: yes; Them: no")."""
        m = _ROW_RE.match(row.strip())
        if not m:
            return False
        cells = {flat(k): v.strip().lower() for k, v in _PAIR_RE.findall(m.group(1))}
        ours, theirs = cells.get(flat(self.vendor)), cells.get(flat(competitor))
        return bool(ours) and ours not in _LACKS and theirs in _LACKS

    def row_said(self, row: str, competitor: str) -> str:
        """A comparison-table row as the rep says it, with only the two sides in the deal
        ("Topic threads: Us has it, Them does not"; "SSO: Us yes, Them partial"), ticks and
        crosses read as yes and no; "" when the row lacks either side."""
        m = _ROW_RE.match(row.strip())
        if not m:
            return ""
        cells = {flat(k): (k.strip(), v.strip()) for k, v in _PAIR_RE.findall(m.group(1))}
        ours, theirs = cells.get(flat(self.vendor)), cells.get(flat(competitor))
        if not (ours and theirs):
            return ""
        label = row.strip()[: m.start(1)].rstrip(" —")
        mine, their = _spoken(ours[1]), _spoken(theirs[1])
        if mine.lower() == "yes" and their.lower() == "no":
            return f"{label}: {ours[0]} has it, {theirs[0]} does not"
        return f"{label}: {ours[0]} {mine}, {theirs[0]} {their}"

    def sources_about(self, competitor: str) -> list[str]:
        """Pages comparing ``competitor`` first, then those with a section comparing it, then
        documents that discuss it."""
        found = self.pages.get(competitor, []) + self.sections.get(competitor, [])
        return list(dict.fromkeys(found + self.mentions.get(competitor, [])))

    def section_rival(self, heading: str) -> str | None:
        """The competitor a section is about, by its heading ("Us vs Them", or its name)."""
        last = heading.split(" > ")[-1]
        return self.resolve(_versus_rival(last, flat(self.vendor)) or last.strip())


_TICK_WORDS = {**dict.fromkeys("✔✓✅☑", "yes"), **dict.fromkeys("✖✗✘❌", "no")}


def _spoken(cell: str) -> str:
    """A cell as a rep says it: a tick or a cross is "yes" or "no"."""
    return _TICK_WORDS.get(cell, cell)


def is_table_row(text: str) -> bool:
    """A linearised table row ("Plan — Price: $0; Seats: 5", of a two-column table "Plan —
    Storage: 5 GB", or of a table without a header "Plan | $0 | 5"): cells, not a sentence."""
    if text.count(" | ") >= 2:  # cells joined where the table had no header
        return True
    m = _ROW_RE.match(text.strip())
    if not m:
        return False
    cells = _PAIR_RE.findall(m.group(1))
    short = len(cells) == 1 and len(cells[0][1].split()) <= MAX_CELL_WORDS
    return len(cells) >= 2 or (short and not cells[0][1].rstrip().endswith("."))


def versus_pairs(text: str) -> list[tuple[str, str]]:
    """("A", "B") for "A vs B" (and each neighbour pair of "A vs B vs C")."""
    out = []
    for m in _VERSUS_RE.finditer(text):
        out.append((m.group(1).strip(), m.group(2).strip()))
        rest = text[m.end() :]
        prev = m.group(2).strip()
        while n := re.match(rf"\s+(?:vs\.?|versus)\s+({NAME_PATTERN})", rest):
            out.append((prev, n.group(1).strip()))
            prev, rest = n.group(1).strip(), rest[n.end() :]
    return out


def _versus_rival(text: str, vendor: str) -> str | None:
    """The other side of an "A vs B" in ``text`` whose one side is the ``vendor`` (flat)."""
    for a, b in versus_pairs(text):
        if vendor in (flat(a), flat(b)):
            return (b if flat(a) == vendor else a).strip(" .:-")
    return None


def _rival_sections(chunks: list[Chunk], vendor: str) -> set[str]:
    """The ids of chunks whose section is headed by a bare proper name under a heading or
    title about the competition ("Competitors > Them"): a name their own text repeats and
    the corpus does not write as an ordinary lower-case word ("Competitors > Summary")."""
    found: dict[str, list[Chunk]] = defaultdict(list)
    for c in chunks:
        *above, last = [p.strip() for p in c.heading.split(" > ")]
        if (
            above
            and _COMPETITION_RE.search(" ".join(above))
            and re.fullmatch(NAME_PATTERN, last)
            and flat(last) != vendor
            and len(flat(last)) >= 3
            and _name_re(flat(last)).search(c.text)
        ):
            found[last].append(c)
    return {c.id for name, group in found.items() if not _ordinary(name, chunks) for c in group}


def _ordinary(name: str, chunks: list[Chunk]) -> bool:
    """Whether the corpus writes ``name`` as an ordinary lower-case word ("Summary", "Sales"),
    not as a URL, a path or part of an identifier."""
    word = re.compile(rf"(?<![\w./@-]){re.escape(name.lower())}(?![\w/@-]|\.\w)")
    return any(word.search(c.text) for c in chunks)


def _stem_text(source: str) -> str:
    """A file name as words: ``blog/acme-vs-zenith.md`` → ``Acme vs Zenith``."""
    stem = source.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    words = [w for w in re.split(r"[-_\s]+", stem) if w]
    return " ".join(w.lower() if w.lower() in ("vs", "versus") else w.capitalize() for w in words)


def _spelled(name: str, texts: Iterable[str]) -> str:
    """``name`` as the documents spell it ("Launch" from a file name → as in a title)."""
    letters = flat(name)
    for text in texts:
        for m in _PROPER_RE.finditer(text):
            if flat(m.group(1)) == letters:
                return m.group(1)
        if letters and (m := re.search(r"[\s-]?".join(map(re.escape, letters)), text, re.I)):
            return m.group(0)
    return name


def table_columns(text: str) -> list[list[str]]:
    """The column names of each linearised table in ``text`` (rows that share names)."""
    rows = [[c.strip() for c in _CELL_RE.findall(m.group(1))] for m in _ROW_RE.finditer(text)]
    rows = [r for r in rows if len(r) >= 2]
    counts = Counter(tuple(r) for r in rows)
    return [list(cols) for cols, n in counts.items() if n >= 2]


def _proper_name_vendor(
    docs: list[DocInfo], chunks: list[Chunk], columns: Iterable[str] = ()
) -> tuple[str, str]:
    """The proper name most documents use (their titles count twice), that the corpus does not
    also write as an ordinary lower-case word; one of those that heads a column of a
    comparison table (the company set against its rivals) before a more frequent product
    name."""
    in_docs: dict[str, set[str]] = defaultdict(set)
    capital: Counter[str] = Counter()
    lower: Counter[str] = Counter()
    for c in chunks:
        for m in _PROPER_RE.finditer(c.text):
            in_docs[m.group(1)].add(c.source)
            capital[m.group(1)] += 1
        # a lower-case word on its own (not part of a URL, a path or an identifier)
        lower.update(re.findall(r"(?<![\w./@-])[a-z]{3,}(?![\w/@-]|\.\w)", c.text))
    for d in docs:
        for m in _PROPER_RE.finditer(d.title):
            in_docs[m.group(1)].add(d.source)
            in_docs[m.group(1)].add(f"title:{d.source}")

    def share(name: str) -> int:
        return len({s for s in in_docs.get(name, ()) if not s.startswith("title:")})

    enough = VENDOR_DOC_SHARE * max(1, len(docs))
    tabled = {c for c in columns if share(c) >= enough}
    best, best_n = "", 0
    for name, sources in in_docs.items():
        n = len(sources)
        if len(name) < 3 or lower[name.lower()] > capital[name] or n <= best_n:
            continue  # an ordinary word written with a capital letter
        if tabled and name not in tabled:
            continue
        best, best_n = name, n
    if best and share(best) >= enough:
        column = " and a comparison table's column" if best in tabled else ""
        return best, f"the name {share(best)} of {len(docs)} documents use{column}"
    return "", ""


def build_market(
    docs: list[DocInfo],
    chunks: list[Chunk],
    vendor_setting: str = "",
    competitor_aliases: Mapping[str, list[str]] | None = None,
) -> Market:
    """The market as the documents describe it (see the module docstring)."""
    titles = [d.title for d in docs]
    pairs: dict[str, list[tuple[str, str]]] = {}
    for d in docs:
        from_stem = versus_pairs(_stem_text(d.source))
        found = versus_pairs(d.title) or [
            (_spelled(a, titles), _spelled(b, titles)) for a, b in from_stem
        ]
        if found:
            pairs[d.source] = found
    votes: Counter[str] = Counter(n for found in pairs.values() for pair in found for n in pair)
    tabled = {c.id: table_columns(c.text) for c in chunks}  # each chunk's comparison tables
    market = Market()
    if vendor_setting:
        market.vendor, market.vendor_reason = vendor_setting, "set in the settings"
    elif votes and votes.most_common(1)[0][1] >= 2:
        name, n = votes.most_common(1)[0]
        market.vendor, market.vendor_reason = name, f'the side of {n} "A vs B" pages'
    else:
        columns = {n for tables in tabled.values() for cols in tables for n in cols}
        name, why = _proper_name_vendor(docs, chunks, columns)
        if not name and votes:
            name, why = votes.most_common(1)[0][0], 'the first side of the one "A vs B" page'
        if name:
            market.vendor, market.vendor_reason = name, why
    vendor = flat(market.vendor)

    def add(name: str, source: str | None, reason: str) -> None:
        name = name.strip(" .:-")
        if not name or flat(name) == vendor or len(flat(name)) < 2:
            return
        spelling = market.competitors.setdefault(flat(name), name)
        market.reasons.setdefault(spelling, reason)
        if source and source not in market.pages.setdefault(spelling, []):
            market.pages[spelling].append(source)

    for d in docs:
        if d.competitor and not (d.titled and _ordinary(d.competitor, chunks)):
            page = d.source if d.doc_type in COMPETITIVE_TYPES else None
            add(d.competitor, page, f"named by {d.source}")
        for a, b in pairs.get(d.source, []):
            if vendor in (flat(a), flat(b)):
                add(b if flat(a) == vendor else a, d.source, f'"{a} vs {b}" ({d.source})')
    named = _rival_sections(chunks, vendor)
    for c in chunks:
        last = c.heading.split(" > ")[-1]
        rival = _versus_rival(last, vendor) or (last.strip() if c.id in named else None)
        if rival:  # "Us vs Them" in a deck or a handbook, or "Competitors > Them"
            add(rival, None, f'a section "{last}" ({c.source})')
            spelling = market.resolve(rival)
            if spelling and c.source not in market.pages.get(spelling, []):
                found = market.sections.setdefault(spelling, [])
                found += [c.source] if c.source not in found else []
        for columns in tabled[c.id]:
            if vendor in {flat(x) for x in columns}:
                for name in columns:
                    add(name, c.source, f"a column of the comparison table in {c.source}")
    for name, aliases in (competitor_aliases or {}).items():
        add(name, None, "pitchcraft.yaml")
        for alias in aliases:
            market.competitors.setdefault(flat(alias), market.competitors[flat(name)])
    names = sorted(set(market.competitors.values()))
    counts: dict[str, Counter[str]] = {n: Counter() for n in names}
    for c in chunks:
        for n in names:
            hits = len(re.findall(rf"(?<![\w]){re.escape(n)}(?![\w])", c.text))
            if hits:
                counts[n][c.source] += hits
    for n in names:
        market.mentions[n] = [s for s, k in counts[n].most_common() if k >= MIN_MENTIONS]
    return market
