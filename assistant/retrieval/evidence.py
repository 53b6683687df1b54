"""Picking sentences out of the knowledge base: the raw material of every plan.

Everything a writer may say comes through here as an ``Evidence`` record: a verbatim sentence
and the chunk it came from, so every claim keeps its source.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from assistant.core.records import Chunk
from assistant.core.text import has_placeholder, normalize, sentences, strip_label
from assistant.index.lexical import tokenize
from assistant.understand.market import is_table_row

# Sentences that tell a rep what to do are coaching, not something to say to a customer.
_IMPERATIVE = frozenset(
    """lead ask exploit position use avoid don't do never bring offer show push plant frame
    say mention tell check confirm involve escalate send share book qualify probe follow open
    close anchor steer remind start keep get make let focus pair loop find demonstrate walk
    map prepare emphasise emphasize highlight stress run treat respect expect please""".split()
)
_LEADS_RE = re.compile(
    rf"^\W*(?!use cases?\b)(?:{'|'.join(sorted(_IMPERATIVE, key=len, reverse=True))})\b", re.I
)
_REP_TALK_RE = re.compile(
    r"\b(reps?|the rep|prospects?|deal desk|battlecard|landmine|AE|AEs|positioning)\b"
)
# Sentences about the document itself ("Each weak spot below maps to …"), not about the product.
_META_RE = re.compile(
    r"^(?:below|above)\b|\b(?:below|above)\W*$|\b(?:the|these|this) (?:[\w-]+ ){0,2}(?:below|above)"
    r"\b|\b(?:below|above) (?:is|are|maps?|lists?|shows?|should|covers?)\b|"
    r"\bthis (?:section|page|document|table|list|comparison|guide|post|article)\b|"
    # ... or point at something the listener cannot see ("See our pricing page", "click").
    r"\b(?:see (?:our|the|this)|check (?:out )?(?:our|the)|click(?:ing)?|the following|"
    r"as (?:shown|described|mentioned|explained)|(?:this|the) table)\b",
    re.I,
)
# A sentence that continues another ("Second, ...", "However, ...") is a fragment alone.
_DANGLING_RE = re.compile(
    r"^\W*(?:second|third|fourth|fifth|finally|lastly|also|additionally|moreover|however|but|and"
    r"|or|so|then|thus|therefore|instead|otherwise|that said|as a result|for example|e\.g\.)\b",
    re.I,
)
# In a pitch, a sentence that leans on the previous one ("It also…", "This plan…") or admits a
# limit ("your bill may be high", "not included") is left out; objections may still use it.
_PRONOUN_START_RE = re.compile(r"^\W*(?:it|its|this|that|these|those|they|their|them)\b", re.I)
_LIMIT_RE = re.compile(
    r"\b(?:may be (?:high|expensive|slow)|expensive|costly|unfortunately|limited to|lacks?|"
    r"drawbacks?|downsides?|caveats?|limitations?|not "
    r"(?:\w+ )?(?:supported|available|included|compliant|possible|recommended)|(?:doesn't|does "
    r"not|don't|do not|can't|cannot|won't|isn't|aren't|is not|are not) (?:yet )?(?:support|"
    r"include|offer|provide|work|have|allow|keep|store|cover|available|compliant|possible))\b",
    re.I,
)
_ATTRIBUTION_RE = re.compile(r"^\s*(?:[—–]|--?)\s*[A-Z][^\n\"“”,]{1,60}, [^\n\"“”]{2,120}$")
# Code, commands and identifiers: for technical buyers only.
_CODE_RE = re.compile(
    r"`|\b\w+\.(?:py|sh|js|json|yaml|yml|toml|conf)\b|\b[a-z]+_[a-z_]+\b|(?:^|\s)--?[a-z]"
    r"|\b\w+\(\)|\b[A-Z]{3,}_[A-Z_]+\b|\d\s*[*×]\s*\d"
)
_CODE_FENCE_RE = re.compile(r"```|~~~")
# "fetches these every 30 seconds", "reduce this by…": a demonstrative with no noun after it
# points back.
_POINTS_BACK_RE = re.compile(
    r"\b(?:these|those)\s+(?:every|each|are|were|can|will|to|in|on|at|[.,;])"
    r"|\b(?:reduce|increase|avoid|fix|prevent|change|do|enable|disable|turn) (?:this|that|it) by\b",
    re.I,
)


@dataclass(frozen=True)
class Evidence:
    """A verbatim sentence and the chunk it came from; ``said`` is how a writer says it when
    not word for word (a table row read as "Search: Us has it, Them does not"); the quote stays
    ``text``."""

    text: str
    chunk: Chunk
    said: str = field(default="", compare=False)

    @property
    def source(self) -> str:
        return self.chunk.source


def is_customer_sayable(sentence: str) -> bool:
    """A factual statement that stands alone: not an instruction to the rep, not a question,
    not about the document or continuing another sentence."""
    body = strip_label(sentence)
    first = re.sub(r"^[^\w]+", "", body).split(" ", 1)[0].lower().strip(",.:;")
    if first in _IMPERATIVE or sentence.rstrip().endswith("?") or _DANGLING_RE.match(body):
        return False
    if body != sentence and _LEADS_RE.match(sentence):
        return False  # "Lead with time to value: 6 weeks": an instruction heading its point
    if _ATTRIBUTION_RE.match(sentence):
        return False  # "— Name, Title, Company": who said the quote above, not a fact
    if _CODE_FENCE_RE.search(sentence) or has_placeholder(sentence):
        return False  # a code block's lines, an email template's "Hi {{first_name}}"
    return not (_REP_TALK_RE.search(sentence) or _META_RE.search(sentence))


def is_pitchable(sentence: str, technical: bool = False) -> bool:
    """A sentence fit for a pitch: sayable, standing on its own subject, admitting no limit,
    and free of code unless the buyer is technical."""
    body = strip_label(sentence)
    if not is_customer_sayable(sentence) or _PRONOUN_START_RE.match(body):
        return False
    if _POINTS_BACK_RE.search(body):
        return False
    return not (_LIMIT_RE.search(body) or (not technical and _CODE_RE.search(body)))


def overlap(a: str, b_tokens: set[str], idf: Callable[[str], float]) -> float:
    """IDF-weighted share of ``a``'s tokens found in ``b_tokens``."""
    tokens = set(tokenize(a))
    if not tokens:
        return 0.0
    total = sum(idf(t) for t in tokens)
    return sum(idf(t) for t in tokens if t in b_tokens) / (total or 1.0)


def chunk_sentences(
    chunks: Iterable[Chunk],
    keep: Callable[[str], bool] = lambda s: True,
    min_words: int = 6,
) -> list[Evidence]:
    """Distinct sentences of the chunks (overlapping chunks repeat text), in order."""
    out: list[Evidence] = []
    seen: set[str] = set()
    for chunk in chunks:
        for sent in chunk.sentences():
            key = normalize(sent)
            short = len(sent.split()) < min_words or sent.rstrip().endswith(":")
            if key in seen or short or not keep(sent):
                continue
            seen.add(key)
            out.append(Evidence(sent, chunk))
    return out


_ITEM_RE = re.compile(r"^\s*(?:[-*+•]|\d{1,2}[.)])\s+")
MAX_ITEMS, MAX_ITEMS_WORDS = 6, 90  # a lead-in's list: at most this many items and words


def with_items(e: Evidence) -> Evidence:
    """A sentence that ends with a colon, joined with the list or table rows it introduces:
    the quote runs verbatim from the lead-in to the last item, said as ``Lead: item; item.``
    (each item's first sentence). Any other sentence, or a lead-in with no items, is ``e``."""
    lead = " ".join(e.text.split())
    lines = e.chunk.text.split("\n")
    end = next(
        (
            i
            for i, line in enumerate(lines)
            if lead.endswith(":")
            and line.rstrip().endswith(":")
            and " ".join(" ".join(lines[: i + 1]).split()).endswith(lead)
        ),
        None,
    )
    if end is None:
        return e
    items: list[tuple[int, list[str]]] = []  # (last line, the item's lines)
    bulleted = False
    for i in range(end + 1, len(lines)):
        line = lines[i].strip()
        if not line:
            if items and not bulleted:
                break  # a blank line ends a table; a list may space its items
        elif m := _ITEM_RE.match(line):
            bulleted = True
            items.append((i, [line[m.end() :]]))
        elif is_table_row(line) and not bulleted:
            items.append((i, [line]))
        elif items and bulleted and lines[i - 1].strip() and not line.startswith(">"):
            items[-1] = (i, [*items[-1][1], line])  # a hard-wrapped item goes on
        else:
            break
        if len(items) > MAX_ITEMS:
            break
    quote, firsts = "", []
    for last, item in items[:MAX_ITEMS]:
        span = " ".join(f"{lead} {' '.join(lines[end + 1 : last + 1])}".split())
        if len(span.split()) > MAX_ITEMS_WORDS:
            break
        quote = span
        firsts.append((sentences(" ".join(item)) or [" ".join(item)])[0].rstrip(" .;"))
    if not quote or any(" ".join(b.split()) in quote for b in e.chunk.blocked):
        return e  # nothing it introduces fits, or a sentence addressed to an AI would come along
    return Evidence(quote, e.chunk, f"{lead} {'; '.join(firsts)}.")


_SPEAKER_RE = re.compile(r"[A-Z][^\n\"“”]{1,60}, [^\n\"“”]{2,120}")


def speaker(e: Evidence) -> str:
    """Who said a quotation: the ``Name, Title, Company`` line right after it in its chunk."""
    if not e.text.startswith(('"', "“")) or (at := e.chunk.text.find(e.text)) < 0:
        return ""
    line = e.chunk.text[at + len(e.text) :].lstrip().split("\n", 1)[0].strip()
    if _SPEAKER_RE.fullmatch(line) and len(line.split()) <= 16 and line[-1] not in ".!?:":
        return line
    return ""


def section_of(chunk: Chunk) -> str:
    """The last part of a chunk's section path, e.g. ``How we win``."""
    return chunk.heading.split(" > ")[-1].strip()
