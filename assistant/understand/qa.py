"""Question → answer pairs, wherever a knowledge base keeps them: a question heading with the
answer under it (FAQ pages, Notion and Confluence exports), "Q:" / "A:" lines, a question line
followed by its answer, and objection sections of battlecards. A question with no answer under
it is an *open* question and is never paired."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.core.conventions import Conventions
from assistant.core.records import Chunk
from assistant.core.text import has_placeholder, is_question

_QA_LINE_RE = re.compile(r"^\s*(?:q|question)\s*[:.]\s*(.+?)\s*$", re.I)
_A_LINE_RE = re.compile(r"^\s*(?:a|answer)\s*[:.]\s*", re.I)
MIN_ANSWER_WORDS = 4
_RESPONSE = r"(?:suggested |our )?(?:response|answer|rebuttal|reply|how to (?:respond|answer))"
# An objection table's row ("Too expensive. — Response: Compare …") or a database page's
# "Response: …" line under the objection it is titled with.
_ROW_PAIR_RE = re.compile(
    rf"^(?P<q>[^—\n]{{3,200}}?) — (?i:{_RESPONSE})(?: \([^)\n]{{0,30}}\))?: (?P<a>.+)$"
)
_RESPONSE_LINE_RE = re.compile(rf"^\s*(?i:{_RESPONSE})\s*:\s*(?P<a>.+)$")
# "Objection: We already have Them", "Concern – price": a heading naming the objection.
_OBJECTION_HEADING_RE = re.compile(
    r"^(?i:objection|concern|pushback)\s*(?:\d+\s*)?[:–—-]\s*(?P<q>.{3,})$"
)


@dataclass(frozen=True)
class QAPair:
    """A question (or objection) and the passages that answer it."""

    question: str
    chunks: tuple[Chunk, ...]
    kind: str  # "heading" | "inline" | "objection"
    answer: tuple[str, ...] = ()  # the answer's own sentences when it shares a passage

    @property
    def source(self) -> str:
        return self.chunks[0].source

    @property
    def internal(self) -> bool:
        return self.chunks[0].internal


def _response_pairs(chunk: Chunk) -> list[QAPair]:
    """Objections answered by a labelled response: a table's "Objection — Response: …" rows,
    and a "Response: …" line under a heading that states the objection."""
    out = []
    topic = chunk.heading.split(" > ")[-1].strip()
    for line in chunk.text.splitlines():
        if m := _ROW_PAIR_RE.match(line.strip()):
            question, answer = m["q"].strip(), m["a"].strip()
        elif (m := _RESPONSE_LINE_RE.match(line)) and topic and not is_question(topic):
            question, answer = topic, m["a"].strip()
        else:
            continue
        if len(answer.split()) >= MIN_ANSWER_WORDS:
            out.append(QAPair(question.strip('"“”'), (chunk,), "objection", (answer,)))
    return out


def responds(chunk: Chunk) -> bool:
    """The passage answers objections in labelled responses (an objection table's rows)."""
    return bool(_response_pairs(chunk))


def _inline_pairs(chunk: Chunk) -> list[QAPair]:
    lines = [ln.strip() for ln in chunk.text.splitlines() if ln.strip()]
    out: list[QAPair] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        q = _QA_LINE_RE.match(line)
        question = q.group(1) if q else line if is_question(line) and len(line.split()) >= 3 else ""
        if has_placeholder(question):
            question = ""  # an email template's subject line ("{{first_name}}, …?")
        answer: list[str] = []
        j = i + 1
        while (
            question
            and j < len(lines)
            and not (is_question(lines[j]) or _QA_LINE_RE.match(lines[j]))
        ):
            answer.append(_A_LINE_RE.sub("", lines[j]))
            j += 1
        if question and len(" ".join(answer).split()) >= MIN_ANSWER_WORDS:
            out.append(QAPair(question.lstrip("-*• "), (chunk,), "inline", tuple(answer)))
            i = j
        else:
            i += 1
    return out


def qa_pairs(chunks: list[Chunk], conventions: Conventions) -> list[QAPair]:
    """Every answered question of ``chunks`` (in document order); objection headings of
    battlecards count as questions."""
    grouped: dict[tuple[str, str, str], list[Chunk]] = {}
    inline: list[QAPair] = []
    for c in chunks:
        parts = [p.strip() for p in c.heading.split(" > ")]
        last = parts[-1] if parts else ""
        named = _OBJECTION_HEADING_RE.match(last)
        if responses := _response_pairs(c):
            inline.extend(responses)
        elif len(parts) >= 2 and conventions.heading_has("objections", parts[-2]):
            grouped.setdefault((c.source, last.strip('"“”'), "objection"), []).append(c)
        elif named:
            grouped.setdefault((c.source, named["q"].strip().strip('"“”'), "objection"), []).append(
                c
            )
        elif is_question(last) and any(not is_question(s) for s in c.sentences()):
            grouped.setdefault((c.source, last, "heading"), []).append(c)
        elif c.has_role("qa"):
            inline.extend(_inline_pairs(c))
    pairs = [QAPair(q, tuple(cs), kind) for (_, q, kind), cs in grouped.items()]
    return pairs + inline
