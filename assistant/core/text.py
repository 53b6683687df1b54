"""Small text utilities shared by answering, composing and verification."""

from __future__ import annotations

import re

_ABBREV = (
    "e.g.",
    "i.e.",
    "etc.",
    "vs.",
    "approx.",
    "incl.",
    "Dr.",
    "Mr.",
    "Ms.",
    "St.",
    "No.",
    "U.S.",
    "Inc.",
    "Ltd.",
    "min.",
    "max.",
)
# A sentence ends at . ! or ? (and the closing quote or bracket after it, which it keeps).
# Not after an initial ("us-east-1 (N. Virginia)", "J. Smith").
_SPLIT_RE = re.compile(
    r"(?:(?<=[.!?])|(?<=[.!?][\"'”’)\]]))(?<![\s(\[][A-Z]\.)\s+(?=[\"'“‘(\[]?[A-Z0-9$€£])"
)
_LIST_RE = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)])\s+")
_NUMBER_RE = re.compile(
    r"(?<![\w.])[$€£]?\d+(?:[.,]\d+)*(?:\s?(?:%|k|m|bn|x|ms|gb|tb|pb))?(?![\w])", re.I
)
_WS_RE = re.compile(r"\s+")
_FOOTNOTE_RE = re.compile(r"^[*†‡]+(?=[\"“A-Z])")  # ``*Flags are a paid add-on.``: a footnote


def normalize(text: str) -> str:
    """Collapse whitespace and lower-case, for containment checks."""
    return _WS_RE.sub(" ", text).strip().lower()


_QUESTION_END = re.compile(r"\?[\"'”’)]*$")


def is_question(sentence: str) -> bool:
    return bool(_QUESTION_END.search(sentence.strip()))


_PENDING_RE = re.compile(r"^(?P<q>.+\?)[\"'”’)]*\s+[—–-]\s+(?P<note>.+)$")


def is_pending(sentence: str) -> bool:
    """A question with a short status note instead of an answer ("Do we support SSO? — asked
    by 2 prospects, waiting on product"): an open question, never an answer."""
    m = _PENDING_RE.match(sentence.strip())
    return (
        bool(m)
        and len(m["note"].split()) <= 8
        and not re.match(r"(?i)(?:yes|no)\b[.,;:!]|(?:answer|response)\s*:", m["note"])
    )


def sentences(text: str) -> list[str]:
    """Split text into sentences; list items (however wrapped) and table rows count as sentences
    of their own."""
    out: list[str] = []
    for para in re.split(r"\n\s*\n", text):
        lines = [ln.strip() for ln in para.splitlines() if ln.strip()]
        blocks: list[list[str]] = []  # runs of lines that read as one text
        closed = True  # a table row takes no wrapped line
        for line in lines:
            item = bool(_LIST_RE.match(line))
            quoting = bool(blocks) and not closed and _open_quote(" ".join(blocks[-1]))
            if item or (" — " in line and not quoting) or line.startswith("|"):
                blocks.append([_LIST_RE.sub("", line)])
                closed = not item
            elif blocks and not closed:
                blocks[-1].append(line)  # a hard-wrapped line of a list item or paragraph
            else:
                blocks.append([line])
                closed = False
        for block in blocks:
            out.extend(_split(" ".join(block)))
    return [_FOOTNOTE_RE.sub("", s) for s in out if re.search(r"\w", s)]


def _split(text: str) -> list[str]:
    """Split on sentence ends, never inside an unfinished quotation."""
    protected = text
    for i, abbr in enumerate(_ABBREV):
        protected = protected.replace(abbr, f"\x00{i}\x00")
    restored: list[str] = []
    carry = ""
    for part in _SPLIT_RE.split(protected):
        for i, abbr in enumerate(_ABBREV):
            part = part.replace(f"\x00{i}\x00", abbr)
        part = f"{carry} {part.strip()}".strip() if carry else part.strip()
        carry = ""
        if _open_quote(part):
            carry = part
        elif part:
            restored.append(part)
    if carry:
        restored.append(carry)
    return restored


_LABEL_RE = re.compile(r"^[^:.!?]{1,40}:\s+(?=\S)")


def strip_label(sentence: str) -> str:
    """``Retention: 90 days on Team …`` → ``90 days on Team …`` (a list item's short label,
    written as ``**Retention.**`` in the source)."""
    m = _LABEL_RE.match(sentence)
    if m and len(m.group(0).split()) <= 5:
        return sentence[m.end() :]
    return sentence


# A capitalised word and two more before any comma: a sentence, not a list of names or figures.
_SENTENCE_START_RE = re.compile(r"[\"“]?[A-Z][a-z'’-]*(?: [^\s,;:]+){2} ")


def label_free(sentence: str) -> str:
    """A labelled list item as prose: ``Tenant isolation: Each tenant has …`` → ``Each tenant
    has …``. The label stays before a fragment (``Retention: 90 days …``, ``Systems: JDBC, …``)."""
    body = strip_label(sentence)
    return body if body != sentence and _SENTENCE_START_RE.match(body) else sentence


def _open_quote(text: str) -> bool:
    """Inside an unfinished quotation: do not end the sentence here."""
    return (text.count('"') % 2 == 1) or (text.count("“") > text.count("”"))


def with_citation(sentence: str, n: int) -> str:
    """``Sentence [n].``: the marker goes before the closing punctuation."""
    s = sentence.rstrip()
    if s.endswith(('"', "”", "'", ")")):
        return f"{s} [{n}]"
    end = s[-1] if s and s[-1] in ".!?" else "."
    body = s[:-1].rstrip() if s and s[-1] in ".!?" else s
    return f"{body} [{n}]{end}"


def numbers(text: str) -> list[str]:
    """Numbers as written (``$48,000``, ``99.95%``, ``15k``), for grounding checks."""
    return [m.group(0).strip() for m in _NUMBER_RE.finditer(text)]


def number_spans(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, token)`` of every number in ``text``, as ``numbers`` finds them."""
    return [(m.start(), m.end(), m.group(0)) for m in _NUMBER_RE.finditer(text)]


def number_key(token: str) -> str:
    """Canonical form of a number token: ``$48,000`` → ``48000``, ``99.9 %`` → ``99.9%``."""
    t = token.lower().replace(",", "").replace(" ", "")
    return t.lstrip("$€£")


def missing_numbers(claim: str, sources: str, given: str = "") -> list[str]:
    """The numbers of ``claim`` that neither ``sources`` nor ``given`` (the user's own input)
    hold, as written in the claim."""
    held = {number_key(x) for x in numbers(f"{sources} {given}")}
    return [x for x in numbers(claim) if number_key(x) not in held]


def shorten(text: str, limit: int = 160) -> str:
    """One line of at most ``limit`` characters, with an ellipsis when cut."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# What exports and people add to file and folder names: a page id ("Pricing 8f3c…" from a
# wiki export, "Page_412876880"), a copy's number ("(1)"), "Copy of", version words ("FINAL",
# "v3", "draft").
_VERSION = r"(?:(?i:final|draft)|v\d+(?:\.\d+)*)"
_NAME_NOISE_RE = re.compile(
    r"^(?i:copy of)\s+|\s*\((?:\d+|(?i:draft|final))\)$|[\s_-]+(?:[0-9a-f]{32}|\d{6,})$"
    rf"|^(?:FINAL|DRAFT|v\d+(?:\.\d+)*)\b[\s_-]*|[\s_-]+{_VERSION}$"
)


def plain_name(name: str) -> str:
    """A file or folder name without what an export or a copy added to it."""
    for _ in range(3):  # "Copy of Pricing FINAL v3 (1)": the noise comes in layers
        cleaned = _NAME_NOISE_RE.sub("", name).strip(" _-")
        if cleaned == name or not cleaned:
            break
        name = cleaned
    return name


_PLACEHOLDER_RE = re.compile(r"\{\{\s*\w+\s*\}\}|\[(?:first[ _])?name\]", re.I)


def has_placeholder(text: str) -> bool:
    """A template's blank ("Hi {{first_name}}", "[Name]"): an email or call script, not a fact
    or a question anyone asked."""
    return bool(_PLACEHOLDER_RE.search(text))


_PAGE_ID_RE = re.compile(r" [0-9a-f]{32}(?=[/.])")


def without_page_ids(text: str) -> str:
    """Text for a reader without the page ids a wiki export puts in every file and folder
    name ("Sales Wiki 8f3c…/Pricing 1a2b….md" reads "Sales Wiki/Pricing.md")."""
    return _PAGE_ID_RE.sub("", text)
