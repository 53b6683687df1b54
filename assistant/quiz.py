"""Quizzes built from the knowledge base, and their grading. Nothing is invented.

Every question comes from one verbatim sentence of one chunk (its citation): the answer key is a
piece of that sentence (a number, a feature, product or competitor name, a key term), so the
answer always occurs in the cited quote. Offline kinds need no language model:

- ``multiple_choice``: the sentence with a gap; distractors are sibling facts from the corpus
  (other numbers of the same kind, other features, products or competitors) and are checked so
  that none of them is also correct;
- ``true_false``: the sentence as written, or with a number or a name swapped for a sibling that
  does not occur in the cited chunk;
- ``fill_blank``: a gap on a number or a key term (names, rare product terms), never on a stop
  word or on a word the question gives away elsewhere.

``open`` questions come from a ``QuestionGenerator`` passed in (the LLM one, or the offline
``FeatureRecallGenerator``); they carry key points, each a cited quote, and are graded by a
``TextGrader``: offline by key terms and meaning (``SimilarityGrader``).
"""

from __future__ import annotations

import hashlib
import math
import random
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from .errors import ConfigError
from .evidence import Evidence, chunk_sentences
from .lexical import tokenize
from .records import Chunk
from .text import normalize, number_key, number_spans, numbers, sentences

if TYPE_CHECKING:
    from .embeddings import Embedder
    from .kb import KnowledgeBase

KINDS = ("multiple_choice", "true_false", "fill_blank", "open")
EXACT_KINDS = ("multiple_choice", "true_false", "fill_blank")
DEFAULT_MIX = {"multiple_choice": 0.4, "true_false": 0.3, "fill_blank": 0.3}
OPEN_SHARE = 0.25  # of the mix when an open-question generator is passed
MAX_MISSES = 8  # facts tried for the wanted kind before any kind will do
CHOICES = 4
BLANK = "_____"
LETTERS = "ABCDEFGH"

# How much each kind of document is worth a question (training leans on product and competition).
DOC_WEIGHT = {
    "product": 1.0,
    "battlecard": 1.0,
    "comparison": 0.9,
    "pricing": 0.9,
    "case_study": 0.8,
    "security": 0.8,
    "internal": 0.6,
    "general": 0.2,
}
MIN_WORDS, MAX_WORDS = 8, 45
SIBLING_OVERLAP = 0.5  # a sibling whose own facts say this much of the sentence could be right
RARE_SHARE = 0.03  # a key term is rare: in at most this share of chunks (or two chunks)
PASS_SCORE = 0.6  # a free-text answer at or above this counts as correct for progress

_YEAR_RE = re.compile(r"^(?:19|20)\d\d$")
_MAGNITUDE = {"thousand", "million", "billion", "trillion", "hundred"}
_SUFFIX_RE = re.compile(r"(%|k|m|bn|x|ms|gb|tb|pb)$")
_JUNK_RE = re.compile(r"https?:|\]\(|[<>{}`=|✔✖]|\w_\w|\(\)|^\W|\.\w+\(")
_ROW_RE = re.compile(r" — [^:]{1,40}: ")
# About the page itself, not the product: "Read our X vs Y guide", "In this comparison, ...".
_META_RE = re.compile(
    r"\b(?:read (?:our|the|more)|see our|check out|learn more|click|sign up|"
    r"(?:in )?this (?:guide|post|article|comparison|page|section))\b",
    re.I,
)
# Absences are widely shared ("Neither X nor we offer ads integrations"): no name swaps there.
_NEGATIVE_RE = re.compile(
    r"\b(?:not|no|neither|nor|never|without|lacks?|none|cannot)\b|n't\b", re.I
)
UMBRELLA = ("platform", "suite")  # "Keelstone Platform" contains the other products
_TERM_RE = re.compile(
    r"(?<![\w-])(?:[A-Z][\w]*(?:[-/][\w]+)*(?:\s+[A-Z][\w]*(?:[-/][\w]+)*){0,3}"
    r"|[a-z]+(?:-[a-z0-9]+)+)(?![\w-])"
)
_MONTHS = frozenset(
    """january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday""".split()
)
_TRUE = {"true", "t", "yes", "y", "correct", "right", "1"}
_FALSE = {"false", "f", "no", "n", "incorrect", "wrong", "0"}


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class Span:
    """A piece of a sentence a question can hinge on."""

    start: int
    end: int
    text: str
    type: str  # "number" | "feature" | "product" | "competitor" | "term"
    cls: str = ""  # sibling class: a number's unit, a name's module

    @property
    def is_name(self) -> bool:
        return self.type in ("feature", "product", "competitor")


@dataclass
class QuizFact:
    """A quizzable sentence: verbatim text of ``chunk``, its topic and the spans to ask about."""

    evidence: Evidence
    topic: str
    spans: list[Span]
    feature: str = ""  # the catalog feature this sentence is a fact of, if any

    @property
    def text(self) -> str:
        return self.evidence.text

    @property
    def chunk(self) -> Chunk:
        return self.evidence.chunk

    @property
    def key(self) -> str:
        return normalize(self.text)

    @cached_property
    def number_keys(self) -> set[str]:
        return {number_key(n) for n in numbers(self.text)}


def citation_of(chunk: Chunk, quote: str) -> dict[str, Any]:
    """``{source, section, quote, chunk_id, ...}``: ``quote`` is verbatim text of the chunk."""
    out: dict[str, Any] = {
        "source": chunk.source,
        "section": chunk.heading,
        "quote": quote,
        "chunk_id": chunk.id,
        "doc_type": chunk.meta.doc_type,
        "audience": chunk.audience,
    }
    if chunk.page:
        out["page"] = chunk.page
    return out


@dataclass(frozen=True)
class KeyPoint:
    """One thing a good free-text answer says: a verbatim, cited sentence and its key terms."""

    text: str
    terms: tuple[str, ...]
    citation: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"point": self.text, "terms": list(self.terms), "citation": self.citation}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> KeyPoint:
        return cls(data["point"], tuple(data.get("terms", ())), dict(data["citation"]))


@dataclass
class Question:
    id: str
    kind: str
    question: str
    answer: str
    explanation: str
    citations: list[dict[str, Any]]
    topic: str
    answer_type: str = ""
    key: str = ""  # the piece of the quote the question hinges on
    choices: list[str] | None = None
    swapped: str = ""  # true/false: what replaced ``key`` in a false statement
    accept: list[str] = field(default_factory=list)  # blanks: shorter answers that also count
    key_points: list[KeyPoint] = field(default_factory=list)

    @property
    def quote(self) -> str:
        return self.citations[0]["quote"] if self.citations else ""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "question": self.question,
        }
        if self.choices is not None:
            out["choices"] = list(self.choices)
        out.update(
            {
                "answer": self.answer,
                "explanation": self.explanation,
                "citations": self.citations,
                "topic": self.topic,
                "answer_type": self.answer_type,
                "key": self.key,
            }
        )
        if self.swapped:
            out["swapped"] = self.swapped
        if self.accept:
            out["accept"] = list(self.accept)
        if self.key_points:
            out["key_points"] = [k.to_json() for k in self.key_points]
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Question:
        return cls(
            id=str(data["id"]),
            kind=str(data["kind"]),
            question=str(data["question"]),
            answer=str(data["answer"]),
            explanation=str(data.get("explanation", "")),
            citations=[dict(c) for c in data.get("citations", [])],
            topic=str(data.get("topic", "")),
            answer_type=str(data.get("answer_type", "")),
            key=str(data.get("key", "")),
            choices=list(data["choices"]) if data.get("choices") is not None else None,
            swapped=str(data.get("swapped", "")),
            accept=[str(a) for a in data.get("accept", [])],
            key_points=[KeyPoint.from_json(k) for k in data.get("key_points", [])],
        )


def question_id(kind: str, source: str, sentence: str, detail: str = "") -> str:
    """Stable across re-ingests: the same sentence and gap give the same id."""
    raw = f"{kind}|{source}|{normalize(sentence)}|{detail}"
    return hashlib.sha1(raw.encode()).hexdigest()[:12]


# --------------------------------------------------------------------------- the fact pool


@dataclass
class _Name:
    name: str
    type: str  # feature | product | competitor
    group: str  # module for features; "" otherwise
    pattern: re.Pattern[str]
    token_sets: list[set[str]] = field(default_factory=list)  # its own facts and mentions


def _name_pattern(name: str) -> re.Pattern[str]:
    body = r"\s+".join(re.escape(p) for p in name.split())
    return re.compile(rf"(?<![\w-]){body}(?![\w-])")


def _quizzable(sentence: str) -> bool:
    words = sentence.split()
    if not MIN_WORDS <= len(words) <= MAX_WORDS:
        return False
    if sentence.rstrip().endswith(("?", ":", ";", ",")) or _JUNK_RE.search(sentence):
        return False
    if sentence.count(":") >= 2 or _ROW_RE.search(sentence):  # a flattened table row
        return False
    if _META_RE.search(sentence):
        return False
    letters = sum(ch.isalpha() for ch in sentence)
    return letters >= 0.6 * len(sentence.replace(" ", ""))


def _display(text: str) -> str:
    return " ".join(text.split())


def _is_number(text: str) -> bool:
    return bool(re.fullmatch(r"[$€£]?\d[\d.,]*\s?\S*", text.strip()) and numbers(text))


class FactPool:
    """Quizzable sentences of one knowledge base with their spans, and the siblings that make
    distractors. Built once per KB generation (see ``QuizMaker``)."""

    def __init__(
        self,
        chunks: Sequence[Chunk],
        features: Sequence[Any],
        competitors: Sequence[str],
        idf: Callable[[str], float],
        df_share: Callable[[str], float],
        vendor_words: Iterable[str] = (),
    ) -> None:
        self.idf = idf
        self.df_share = df_share
        self.chunks = {c.id: c for c in chunks}
        self.features = list(features)
        self._vendor = {w.lower() for w in vendor_words}
        self._rare_share = max(RARE_SHARE, 2.0 / max(1, len(chunks)))
        self.corpus = "\n\x00\n".join(normalize(c.text) for c in chunks)
        # Words the corpus also writes in lower case are not names ("Someone", "Growth").
        self._lower_words = {w for c in chunks for w in re.findall(r"\b[a-z][\w-]*", c.text)}
        self._name_tokens: dict[str, set[str]] = {}
        self.names = self._build_names(chunks, features, competitors)
        self._chunk_numbers: dict[str, set[str]] = {}
        feature_of: dict[tuple[str, str], str] = {}
        for f in features:
            for fact in f.facts:
                feature_of.setdefault((f.source, normalize(fact.text)), f.name)
        self.facts: list[QuizFact] = []
        self.numbers: dict[str, dict[str, str]] = {}  # unit class -> number key -> surface
        for e in chunk_sentences(chunks, min_words=MIN_WORDS):
            if e.text not in e.chunk.text:  # quotes must be verbatim
                continue
            for s in self._number_spans(e.text):
                self.numbers.setdefault(s.cls, {}).setdefault(number_key(s.text), s.text)
            if not _quizzable(e.text):
                continue
            feature = feature_of.get((e.chunk.source, normalize(e.text)), "")
            spans = self._spans(e.text)
            if spans:
                self.facts.append(QuizFact(e, self._topic(e.chunk, feature), spans, feature))

    # -- names ------------------------------------------------------------------------------------
    def _build_names(
        self, chunks: Sequence[Chunk], features: Sequence[Any], competitors: Sequence[str]
    ) -> dict[str, _Name]:
        names: dict[str, _Name] = {}
        for f in features:
            if ":" in f.name or f.name.lower() in self._vendor:
                continue
            kind = "product" if normalize(f.name) == normalize(f.module) else "feature"
            names.setdefault(f.name, _Name(f.name, kind, f.module, _name_pattern(f.name)))
        for f in features:
            if f.module not in names and f.module.lower() not in self._vendor:
                names[f.module] = _Name(f.module, "product", "", _name_pattern(f.module))
        for c in competitors:
            names.setdefault(c, _Name(c, "competitor", "", _name_pattern(c)))
        for f in features:  # a feature's own facts, and a module's
            for key in (f.name, f.module):
                if key in names:
                    names[key].token_sets.extend(set(tokenize(x.text)) for x in f.facts)
        for c in chunks:
            about = c.meta.competitor
            for sent in sentences(c.text):
                tokens: set[str] | None = None
                for n in names.values():
                    if (n.type == "competitor" and about == n.name) or n.pattern.search(sent):
                        tokens = tokens if tokens is not None else set(tokenize(sent))
                        n.token_sets.append(tokens)
        return names

    # -- spans ------------------------------------------------------------------------------------
    @staticmethod
    def _number_class(sentence: str, start: int, end: int, token: str) -> str:
        currency = token[0] if token[0] in "$€£" else ""
        flat = token.lower().replace(" ", "").replace(",", "")
        suffix = m.group(1) if (m := _SUFFIX_RE.search(flat)) else ""
        unit = ""
        words = re.match(r"\s*([A-Za-z][A-Za-z-]*)(?:\s+([A-Za-z][A-Za-z-]*))?", sentence[end:])
        if words and not suffix:
            first = words.group(1).lower()
            if first in _MAGNITUDE:
                rest = tokenize(words.group(2) or "")
                unit = f"{first} {rest[0] if rest else ''}".strip()
            else:
                stems = tokenize(first)
                unit = stems[0] if stems else ""
        return f"{currency}|{suffix}|{unit}"

    def _number_spans(self, sentence: str) -> list[Span]:
        found = number_spans(sentence)
        counts = Counter(number_key(t) for _, _, t in found)
        out = []
        for start, end, token in found:
            key = number_key(token)
            before, after = sentence[:start], sentence[end:]
            if counts[key] > 1 or _YEAR_RE.match(key):
                continue
            if before.endswith(("/", ":", "-", "#", "v", "V")) or after.startswith(("/", ":", "-")):
                continue
            plain = token[0] not in "$€£" and not _SUFFIX_RE.search(token.lower())
            prev = re.search(r"(\S+)\s*$", before)
            if plain and prev and re.match(r"[A-Z]", prev.group(1)):
                continue  # a version or a name: "TLS 1.3", "SOC 2", "Business 50"
            cls = self._number_class(sentence, start, end, token)
            if plain and key in ("0", "1") and cls.endswith("|"):
                continue
            out.append(Span(start, end, token, "number", cls))
        return out

    def _spans(self, sentence: str) -> list[Span]:
        spans = self._number_spans(sentence)
        taken: list[tuple[int, int]] = [(s.start, s.end) for s in spans]

        def free(a: int, b: int) -> bool:
            return all(b <= x or a >= y for x, y in taken)

        for n in sorted(self.names.values(), key=lambda n: (-len(n.name), n.name)):
            hits = list(n.pattern.finditer(sentence))
            if len(hits) == 1 and free(hits[0].start(), hits[0].end()):
                m = hits[0]
                spans.append(Span(m.start(), m.end(), m.group(0), n.type, n.group))
                taken.append((m.start(), m.end()))
        for m in _TERM_RE.finditer(sentence):
            term, start = m.group(0), m.start()
            while (lead := re.match(r"(\w+)\s+", term)) and not tokenize(lead.group(1)):
                term, start = term[lead.end() :], start + lead.end()  # "The Connector SDK"
            end = start + len(term)
            if not free(start, end) or not self._key_term(sentence, start, term):
                continue
            spans.append(Span(start, end, term, "term"))
            taken.append((start, end))
        return sorted(spans, key=lambda s: s.start)

    def _key_term(self, sentence: str, start: int, term: str) -> bool:
        """A rare product term, not a stop word, a month, the vendor or the first word."""
        words = term.split()
        tokens = tokenize(term)
        if not tokens or len(term) < 4 or len(tokens) != len(re.findall(r"[A-Za-z0-9]+", term)):
            return False  # a stop word inside ("Connect To") or nothing left
        if any(w.lower() in _MONTHS or w.lower() in self._vendor for w in words):
            return False
        if start == 0 and len(words) == 1 and not re.search(r"[A-Z].*[A-Z]|\d|-", term):
            return False  # capitalised only because it starts the sentence
        if term.lower() == term and "-" not in term:
            return False
        if len(words) == 1 and term.lower() in self._lower_words and term[1:].islower():
            return False  # an ordinary word with a capital letter, not a product term
        return min(self.df_share(t) for t in tokens) <= self._rare_share

    # -- topics -----------------------------------------------------------------------------------
    @staticmethod
    def _topic(chunk: Chunk, feature: str) -> str:
        m = chunk.meta
        if feature:
            return feature
        if m.competitor and m.doc_type in ("battlecard", "comparison"):
            return f"Competitor: {m.competitor}"
        if m.doc_type == "product" and m.product:
            return m.product
        if m.doc_type == "case_study" and m.title:
            # "Castell Freight moves from Pipewell to ..." -> "Case study: Castell Freight"
            who = re.match(r"^((?:[A-Z][\w&.'-]*\s+){0,4}?[A-Z][\w&.'-]*)(?=\s+[a-z]|$)", m.title)
            return f"Case study: {who.group(1) if who else m.title}"
        return m.title or chunk.source

    def select(self, topic: str | None = None, doc_types: Sequence[str] = ()) -> list[QuizFact]:
        out = []
        want = normalize(topic) if topic else ""
        for f in self.facts:
            if doc_types and f.chunk.meta.doc_type not in doc_types:
                continue
            if want and want not in self.about(f.chunk, f.topic):
                continue
            out.append(f)
        return out

    @staticmethod
    def about(chunk: Chunk, topic: str) -> str:
        m = chunk.meta
        return normalize(
            " ".join([topic, m.title, chunk.source, chunk.heading, m.product, m.competitor])
        )

    # -- siblings and their checks -------------------------------------------------------------
    def chunk_numbers(self, chunk: Chunk) -> set[str]:
        if chunk.id not in self._chunk_numbers:
            self._chunk_numbers[chunk.id] = {number_key(n) for n in numbers(chunk.text)}
        return self._chunk_numbers[chunk.id]

    def could_be_true(self, fact: QuizFact, span: Span, candidate: str) -> bool:
        """Would the sentence still be right with ``candidate`` in place of ``span``?"""
        filled = fact.text[: span.start] + candidate + fact.text[span.end :]
        if normalize(filled) in self.corpus:
            return True
        if span.type == "number":
            key = number_key(candidate)
            return (
                key == number_key(span.text)
                or key in fact.number_keys
                or key in self.chunk_numbers(fact.chunk)
            )
        if normalize(candidate) == normalize(span.text):
            return True
        name = self.names.get(candidate)
        pattern = name.pattern if name else _name_pattern(candidate)
        if pattern.search(fact.chunk.text) or pattern.search(fact.chunk.heading):
            return True
        if name is None:
            return False
        if _in_list(fact.text, span):
            return True  # "A, B and C": a sibling may belong in the list just as well
        if _NEGATIVE_RE.search(fact.text):
            return True
        if any(candidate.lower().endswith(u) or span.text.lower().endswith(u) for u in UMBRELLA):
            return True  # the umbrella product is right wherever one of its parts is
        # The sentence must carry an anchor (a figure or a product term) that the answer's own
        # facts use and the sibling's never do; without one the sibling could be just as right
        # ("Unlike us, X doesn't publish its pricing").
        mine, theirs = self.name_tokens(span.text), self.name_tokens(candidate)
        anchors = [
            t
            for s in fact.spans
            if s is not span and s.type in ("number", "term")
            for t in tokenize(s.text)
        ]
        if not any(t in mine and t not in theirs for t in anchors):
            return True
        rest = set(tokenize(fact.text[: span.start] + " " + fact.text[span.end :]))
        weights = {t: self.idf(t) for t in rest}
        total = sum(weights.values()) or 1.0
        return any(
            sum(w for t, w in weights.items() if t in toks) / total >= SIBLING_OVERLAP
            for toks in name.token_sets
        )

    def shorter_answers(self, span: Span) -> list[str]:
        """For a several-word name or term, its distinctive words alone ("GraphQL" for
        "GraphQL APIs", "Lens" for "Keelstone Lens"): the vendor's name and common words go."""
        if span.type == "number":
            return []
        words = span.text.split()
        if len(words) < 2:
            return []

        def common(word: str) -> bool:
            tokens = tokenize(word)
            rare = tokens and all(self.df_share(t) <= self._rare_share for t in tokens)
            return word.lower() in self._vendor or not rare

        keep = list(words)
        while keep and common(keep[0]):
            keep.pop(0)
        while keep and common(keep[-1]):
            keep.pop()
        if not keep or len(keep) == len(words) or 2 * len(keep) < len(words):
            return []
        return [" ".join(keep)]

    def name_tokens(self, name: str) -> set[str]:
        """Every word of the facts and sentences about a name."""
        if name not in self._name_tokens:
            found = self.names.get(name)
            self._name_tokens[name] = set().union(*found.token_sets) if found else set()
        return self._name_tokens[name]

    def reveals(self, question: str, span: Span, others: Sequence[str] = ()) -> bool:
        """The question text (blank aside) gives the answer away: the same number, or one of
        the answer's content words (the vendor's name aside), occurs elsewhere in it."""
        text = question.replace(BLANK, " ")
        for other in others:
            text = text.replace(other, " ")
        return self._mentions(text, span.text)

    def _mentions(self, text: str, answer: str) -> bool:
        if _is_number(answer):
            return number_key(numbers(answer)[0]) in {number_key(n) for n in numbers(text)}
        vendor = {t for w in self._vendor for t in tokenize(w)}
        mine = set(tokenize(answer)) - vendor
        if not mine:
            return normalize(answer) in normalize(text)
        return bool(mine & set(tokenize(text)))

    def _number_candidates(self, fact: QuizFact, span: Span) -> list[str]:
        key = number_key(span.text)
        value = _value(key)
        same = self.numbers.get(span.cls, {})
        pool = dict(same)
        if len(pool) < CHOICES + 2:  # widen: same currency and suffix, any unit
            head = span.cls.rsplit("|", 1)[0] + "|"
            for cls, values in sorted(self.numbers.items()):
                if cls.startswith(head):
                    for k, v in values.items():
                        pool.setdefault(k, v)
        out = []
        for k in sorted(pool):
            v = _value(k)
            if v is None or value is None or k == key or ("." in k and "." not in key):
                continue  # (an integer answer gets integer distractors: no "6.8 hours")
            if not (value / 10 <= v <= value * 10 if value > 0 else v < 10):
                continue
            out.append((abs(math.log10(v + 1) - math.log10(value + 1)), k))
        out.sort()
        return [_format_like(span.text, k) for _, k in out]

    def _name_candidates(self, span: Span) -> list[str]:
        siblings = [n for n in self.names.values() if n.type == span.type and n.name != span.text]
        siblings.sort(key=lambda n: (n.group != span.cls, n.name))
        return [n.name for n in siblings]

    def siblings(self, fact: QuizFact, span: Span, k: int, rng: random.Random) -> list[str]:
        """Up to ``k`` plausible wrong values for ``span``; none of them is also correct."""
        if span.type == "number":
            near = [c for c in self._number_candidates(fact, span)]
            valid = [c for c in near if not self.could_be_true(fact, span, c)]
            seen: set[str] = set()
            unique = []
            for c in valid:
                if number_key(c) not in seen:
                    seen.add(number_key(c))
                    unique.append(c)
            picked = rng.sample(unique[: 2 * k], min(k, len(unique[: 2 * k])))
            return picked
        if not span.is_name:
            return []
        valid = [c for c in self._name_candidates(span) if not self.could_be_true(fact, span, c)]
        first = [c for c in valid if self.names[c].group == span.cls and span.cls]
        rest = [c for c in valid if c not in first]
        rng.shuffle(first)
        rng.shuffle(rest)
        return (first + rest)[:k]

    def context(self, fact: QuizFact, answer: str = "") -> str:
        """Where the sentence comes from (document › section), without giving the answer away."""
        m = fact.chunk.meta
        parts = [m.title or m.product or fact.chunk.source]
        heading = [p.strip() for p in fact.chunk.heading.split(" > ") if p.strip()]
        parts += [p for p in heading[1:][-2:] if normalize(p) != normalize(parts[0])]
        parts = [re.sub(r"[\"“”?]", "", p).rstrip(":. ") for p in parts]
        if answer:
            parts = [p for p in parts if not self._mentions(p, answer)]
        return " › ".join(parts) or f"a {m.doc_type.replace('_', ' ')} document"

    def still_valid(self, q: Question, chunks_of: Callable[[str], list[Chunk]]) -> bool:
        """A stored question whose quote is still verbatim text of its source."""
        if not q.citations:
            return False
        cite = q.citations[0]
        return any(cite["quote"] in c.text for c in chunks_of(cite["source"]))


def _in_list(text: str, span: Span) -> bool:
    before, after = text[: span.start], text[span.end :]
    return bool(
        re.search(r"(?:,|\band|\bor|/)\s*$", before) or re.match(r"\s*(?:,|and\b|or\b|/)", after)
    )


def _value(key: str) -> float | None:
    m = re.match(r"^(\d+(?:\.\d+)?)", key)
    return float(m.group(1)) if m else None


def _format_like(template: str, key: str) -> str:
    """Write number ``key`` the way ``template`` writes its number (currency, commas, unit)."""
    m = re.match(r"^([$€£]?)([\d.,]+)(.*)$", template)
    digits = re.match(r"^(\d+(?:\.\d+)?)", key)
    if not m or not digits:
        return key
    body = digits.group(1)
    if "," in m.group(2) and "." not in body and len(body) > 3:
        body = f"{int(body):,}"
    return f"{m.group(1)}{body}{m.group(3)}"


# --------------------------------------------------------------------------- generators


class QuestionGenerator(Protocol):
    """Makes one question of ``kind`` from a fact, or None when the fact does not suit it.

    ``pool`` gives siblings (distractors) and context; ``rng`` is the only source of chance, so
    a seed makes a quiz reproducible. An LLM generator of ``open`` questions implements this.
    """

    kind: str

    def generate(self, fact: QuizFact, pool: FactPool, rng: random.Random) -> Question | None: ...


def _masked(fact: QuizFact, span: Span) -> str:
    return _display(fact.text[: span.start] + BLANK + fact.text[span.end :])


def _window(text: str, span: Span, width: int = 70) -> str:
    a = max(0, span.start - width)
    b = min(len(text), span.end + width)
    a = text.rfind(" ", 0, a) + 1 if a else 0
    b_space = text.find(" ", b)
    b = len(text) if b_space == -1 else b_space
    return ("…" if a else "") + _display(text[a:b]) + ("…" if b < len(text) else "")


_WHAT = {
    "number": ("Which figure", "a number"),
    "feature": ("Which feature", "a feature name"),
    "product": ("Which product", "a product name"),
    "competitor": ("Which competitor", "a competitor"),
    "term": ("Which term", "a key term"),
}


def _base(
    kind: str, fact: QuizFact, span: Span, text: str, answer: str, explanation: str, detail: str
) -> Question:
    return Question(
        id=question_id(kind, fact.chunk.source, fact.text, detail),
        kind=kind,
        question=text,
        answer=answer,
        explanation=explanation,
        citations=[citation_of(fact.chunk, fact.text)],
        topic=fact.topic,
        answer_type=span.type,
        key=span.text,
    )


def _shuffled_spans(fact: QuizFact, rng: random.Random, types: Sequence[str]) -> list[Span]:
    spans = [s for s in fact.spans if s.type in types]
    rng.shuffle(spans)
    # Numbers and names first: they make the sharpest questions.
    return sorted(spans, key=lambda s: s.type == "term")


class MultipleChoiceGenerator:
    kind = "multiple_choice"

    def __init__(self, choices: int = CHOICES) -> None:
        self.choices = choices

    def generate(self, fact: QuizFact, pool: FactPool, rng: random.Random) -> Question | None:
        for span in _shuffled_spans(fact, rng, ("number", "feature", "product", "competitor")):
            wrong = pool.siblings(fact, span, self.choices - 1, rng)
            if len(wrong) < self.choices - 1:
                continue
            what = _WHAT[span.type][0]
            text = (
                f"{what} completes this statement from {pool.context(fact, span.text)}? "
                f'"{_masked(fact, span)}"'
            )
            if pool.reveals(text, span):
                continue
            choices = [span.text, *wrong]
            rng.shuffle(choices)
            explanation = f'The source says: "{_window(fact.text, span)}"'
            q = _base(self.kind, fact, span, text, span.text, explanation, span.text)
            q.choices = choices
            return q
        return None


class TrueFalseGenerator:
    kind = "true_false"

    def generate(self, fact: QuizFact, pool: FactPool, rng: random.Random) -> Question | None:
        spans = _shuffled_spans(fact, rng, ("number", "feature", "product", "competitor"))
        if not spans:
            return None
        if rng.random() < 0.5:  # a true statement, as written
            span = spans[0]
            text = f'True or false, according to {pool.context(fact)}? "{_display(fact.text)}"'
            explanation = f"True: the source states it as written ({fact.chunk.source})."
            return _base(self.kind, fact, span, text, "True", explanation, "true")
        for span in spans:
            wrong = pool.siblings(fact, span, 1, rng)
            if not wrong:
                continue
            swapped = wrong[0]
            if span.is_name and normalize(swapped) in normalize(fact.chunk.text):
                continue
            statement = _display(fact.text[: span.start] + swapped + fact.text[span.end :])
            text = f'True or false, according to {pool.context(fact, span.text)}? "{statement}"'
            explanation = (
                f'False: the source says "{_display(span.text)}", not "{swapped}": '
                f'"{_window(fact.text, span)}"'
            )
            q = _base(self.kind, fact, span, text, "False", explanation, f"false:{swapped}")
            q.swapped = swapped
            return q
        return None


class FillBlankGenerator:
    kind = "fill_blank"

    def generate(self, fact: QuizFact, pool: FactPool, rng: random.Random) -> Question | None:
        for span in _shuffled_spans(fact, rng, tuple(_WHAT)):
            hint = _WHAT[span.type][1]
            text = (
                f"Fill in the blank ({hint}), from {pool.context(fact, span.text)}: "
                f'"{_masked(fact, span)}"'
            )
            if pool.reveals(text, span, others=(hint,)):
                continue
            explanation = f'The source says: "{_window(fact.text, span)}"'
            q = _base(self.kind, fact, span, text, span.text, explanation, f"blank:{span.text}")
            q.accept = pool.shorter_answers(span)
            return q
        return None


class FeatureRecallGenerator:
    """An offline ``open`` question: explain a feature; the key points are its own cited facts
    (the fact asked about, a figure, an outcome). A stand-in for the LLM generator."""

    kind = "open"

    def __init__(self, points: int = 3) -> None:
        self.points = points

    def generate(self, fact: QuizFact, pool: FactPool, rng: random.Random) -> Question | None:
        feature = next((f for f in pool.features if f.name == fact.feature), None)
        if feature is None:
            return None
        chunks = pool.chunks
        facts = [x for x in feature.facts if x.chunk_id in chunks and x.text != fact.text]
        figures = [x for x in facts if numbers(x.text) and x.kind == "technical"]
        outcomes = [x for x in facts if x.kind == "business"]
        chosen = [Evidence(fact.text, fact.chunk)]
        for group in (figures, outcomes):
            if group and len(chosen) < self.points:
                x = group[rng.randrange(len(group))]
                chosen.append(Evidence(x.text, chunks[x.chunk_id]))
        if len(chosen) < 2:
            return None
        points = [
            KeyPoint(e.text, key_terms(e.text, pool.idf), citation_of(e.chunk, e.text))
            for e in chosen
        ]
        module = (
            f" ({feature.module})" if normalize(feature.module) != normalize(feature.name) else ""
        )
        text = (
            f"In your own words: what does {feature.name}{module} do, and what does it mean for "
            "a customer? Give the key facts."
        )
        span = Span(0, 0, feature.name, "open")
        q = _base(self.kind, fact, span, text, " ".join(p.text for p in points), "", "open")
        q.key = ""
        q.explanation = f"A full answer covers {len(points)} key points from {feature.source}."
        q.citations = [p.citation for p in points]
        q.key_points = points
        return q


def key_terms(sentence: str, idf: Callable[[str], float] | None = None, k: int = 5) -> tuple:
    """The words a sentence hinges on: its figures, then its rarest content words."""
    terms: list[str] = [n for n in numbers(sentence) if not _YEAR_RE.match(number_key(n))]
    seen: set[str] = set()
    scored = []
    for i, word in enumerate(re.findall(r"[A-Za-z][A-Za-z0-9'-]*[A-Za-z0-9]", sentence)):
        stems = tokenize(word)
        if len(word) < 3 or len(stems) != 1 or stems[0] in seen:
            continue
        seen.add(stems[0])
        weight = idf(stems[0]) if idf else float(len(word))
        scored.append((-weight, i, word))
    scored.sort()
    budget = max(2, min(k, len(scored) // 2))
    terms += [w for _, _, w in scored[:budget]]
    return tuple(dict.fromkeys(terms))


# --------------------------------------------------------------------------- making a quiz


@dataclass
class Focus:
    """What a learner's history asks of the next quiz (see ``progress.Progress.focus``)."""

    due: list[dict[str, Any]] = field(default_factory=list)  # questions to ask again
    topic_weight: dict[str, float] = field(default_factory=dict)  # weak topics weigh more
    mastered: set[str] = field(default_factory=set)  # normalised quotes answered right
    weak_topics: list[str] = field(default_factory=list)  # weakest first


@dataclass
class Quiz:
    questions: list[Question]
    seed: int
    reviewed: int = 0  # how many questions are repeats due for review
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "questions": [q.to_json() for q in self.questions],
            "seed": self.seed,
            "reviewed": self.reviewed,
            "warnings": self.warnings,
        }


class QuizMaker:
    """Quizzes over one knowledge base. Keep one; the fact pool is rebuilt only when the KB
    changes. Pass ``open_generator`` (e.g. the LLM one) to mix in open questions."""

    def __init__(
        self,
        kb: KnowledgeBase,
        generators: Sequence[QuestionGenerator] | None = None,
        open_generator: QuestionGenerator | None = None,
        mix: Mapping[str, float] | None = None,
    ) -> None:
        self.kb = kb
        gens = list(generators or (MultipleChoiceGenerator(), TrueFalseGenerator()))
        if generators is None:
            gens.append(FillBlankGenerator())
        self.generators: dict[str, QuestionGenerator] = {g.kind: g for g in gens}
        self.mix = dict(mix or DEFAULT_MIX)
        if open_generator is not None:
            self.generators["open"] = open_generator
            self.mix.setdefault("open", OPEN_SHARE)
        self.mix = {k: v for k, v in self.mix.items() if k in self.generators and v > 0}
        self._pool: FactPool | None = None
        self._gen = -1

    @property
    def pool(self) -> FactPool:
        gen = self.kb.manifest.generation
        if self._pool is None or gen != self._gen:
            from .planner import Planner

            lexical = self.kb.lexical
            competitors = sorted(
                {d.meta.competitor for d in self.kb.manifest.documents() if d.meta.competitor}
            )
            vendor = Planner(self.kb).vendor()
            self._pool = FactPool(
                list(self.kb.manifest.all_chunks()),
                self.kb.catalog,
                competitors,
                lexical.idf,
                lexical.df_share,
                vendor_words=[vendor, *vendor.split()],
            )
            self._gen = gen
        return self._pool

    def _plan(self, n: int, rng: random.Random) -> list[str]:
        total = sum(self.mix.values())
        raw = {k: n * v / total for k, v in self.mix.items()}
        counts = {k: int(v) for k, v in raw.items()}
        for k in sorted(raw, key=lambda k: (-(raw[k] - counts[k]), k))[: n - sum(counts.values())]:
            counts[k] += 1
        plan = [k for k in sorted(counts) for _ in range(counts[k])]
        rng.shuffle(plan)
        return plan

    def make(
        self,
        n: int = 10,
        topic: str | None = None,
        doc_types: Sequence[str] = (),
        seed: int = 0,
        focus: Focus | None = None,
    ) -> Quiz:
        if n < 1:
            raise ConfigError("--n must be at least 1")
        pool = self.pool
        facts = pool.select(topic, doc_types)
        if not facts:
            what = " and ".join(
                x for x in (f"topic {topic!r}" if topic else "", "/".join(doc_types) or "") if x
            )
            raise ConfigError(f"nothing to quiz on for {what or 'this knowledge base'}")
        focus = focus or Focus()
        rng = random.Random(seed)
        questions: list[Question] = []
        used: set[str] = set()
        texts: set[str] = set()

        def add(q: Question) -> None:
            questions.append(q)
            used.add(normalize(q.quote))
            texts.add(q.question)

        # 1. Questions answered wrong and due again, while they still match the sources.
        allowed = {f.key for f in facts}
        for data in focus.due:
            if len(questions) >= math.ceil(n / 2):
                break
            q = Question.from_json(data)
            if q.kind not in self.generators or normalize(q.quote) in used:
                continue
            if normalize(q.quote) not in allowed:
                continue
            if pool.still_valid(q, self.kb.manifest.source_chunks):
                add(q)
        reviewed = len(questions)
        # 2. New questions, weak topics first, one per sentence, topics spread out.
        plan = self._plan(n - reviewed, rng)
        ids = {q.id for q in questions}
        remaining = [f for f in facts if f.key not in used]
        per_topic: Counter[str] = Counter(q.topic for q in questions)
        base = [
            DOC_WEIGHT.get(f.chunk.meta.doc_type, 0.5)
            * focus.topic_weight.get(f.topic, 1.0)
            * (0.2 if f.key in focus.mastered else 1.0)
            * (1.0 if any(s.type != "term" for s in f.spans) else 0.6)
            * (1.0 if f.text.rstrip().endswith((".", "!", ")", '"', "”")) else 0.4)
            for f in remaining
        ]
        # A share of the new questions goes to weak topics first (when they have facts left).
        weak = set(focus.weak_topics)
        quota = max(1, (n - reviewed) // 4) if weak else 0
        step = misses = 0
        deferred: list[tuple[QuizFact, float]] = []  # facts that did not fit the wanted kind
        while len(questions) < n and (remaining or deferred):
            if not remaining:  # only facts that fit no wanted kind are left: take any kind
                misses = MAX_MISSES
                for fact, w in deferred:
                    remaining.append(fact)
                    base.append(w)
                deferred = []
            pick = [j for j, f in enumerate(remaining) if f.topic in weak] if quota > 0 else []
            if quota > 0 and not pick:
                quota = 0
            pick = pick or list(range(len(remaining)))
            weights = [base[j] * 0.35 ** per_topic[remaining[j].topic] for j in pick]
            i = rng.choices(pick, weights)[0]
            fact, weight = remaining.pop(i), base.pop(i)
            wanted = plan[step % len(plan)] if plan else "multiple_choice"
            order = [wanted] + (
                [k for k in self.mix if k != wanted] if misses >= MAX_MISSES else []
            )
            for kind in order:
                q = self.generators[kind].generate(fact, pool, rng)
                if q is not None and q.id not in ids and q.question not in texts:
                    add(q)
                    ids.add(q.id)
                    per_topic[q.topic] += 1
                    step += 1
                    misses = 0
                    quota -= 1 if q.topic in weak else 0
                    for f, w in deferred:  # facts that did not fit may suit the next kind
                        remaining.append(f)
                        base.append(w)
                    deferred = []
                    break
            else:
                misses += 1
                deferred.append((fact, weight))
        warnings = []
        if len(questions) < n:
            warnings.append(
                f"only {len(questions)} distinct question(s) could be built from this selection"
            )
        return Quiz(questions, seed, reviewed, warnings)


# --------------------------------------------------------------------------- grading


@dataclass
class PointResult:
    point: KeyPoint
    score: float
    covered: bool
    answer_quote: str = ""
    terms_hit: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "point": self.point.text,
            "source_quote": self.point.citation.get("quote", self.point.text),
            "source": self.point.citation.get("source", ""),
            "score": round(self.score, 3),
            "terms": list(self.point.terms),
            "terms_hit": self.terms_hit,
        }
        if self.answer_quote:
            out["answer_quote"] = self.answer_quote
        return out


class TextGrader(Protocol):
    """Grades a free-text answer against key points. The offline one compares words and
    meaning; an LLM grader applies the same points as a rubric."""

    name: str

    def grade(self, points: Sequence[KeyPoint], answer: str) -> list[PointResult]: ...


class SimilarityGrader:
    """Offline: a point is covered when the answer uses its key terms (figures by value,
    words by stem) and says something close to it in meaning (embeddings)."""

    name = "offline"

    def __init__(
        self,
        embedder: Embedder | None = None,
        term_weight: float = 0.55,
        threshold: float = 0.5,
        low: float = 0.3,
        high: float = 0.75,
    ) -> None:
        self.embedder = embedder
        self.term_weight = term_weight if embedder is not None else 1.0
        self.threshold = threshold
        self.low, self.high = low, high

    def grade(self, points: Sequence[KeyPoint], answer: str) -> list[PointResult]:
        said = [s for s in sentences(answer) if s.strip()] or ([answer] if answer.strip() else [])
        if not points:
            return []
        if not said:
            return [PointResult(p, 0.0, False) for p in points]
        stems = set(tokenize(answer))
        figures = {number_key(n) for n in numbers(answer)}
        sims = None
        if self.embedder is not None:
            vectors = self.embedder.embed([p.text for p in points] + said)
            sims = vectors[: len(points)] @ vectors[len(points) :].T
        out = []
        for i, p in enumerate(points):
            hit = [t for t in p.terms if _term_in(t, stems, figures)]
            term_share = len(hit) / len(p.terms) if p.terms else 0.0
            best = 0
            meaning = 0.0
            if sims is not None:
                best = int(np.argmax(sims[i]))
                cos = float(sims[i][best])
                meaning = min(1.0, max(0.0, (cos - self.low) / (self.high - self.low)))
            else:
                best = max(
                    range(len(said)),
                    key=lambda j: len(set(tokenize(said[j])) & set(tokenize(p.text))),
                )
            score = self.term_weight * term_share + (1 - self.term_weight) * meaning
            covered = score >= self.threshold
            out.append(PointResult(p, score, covered, said[best] if covered else "", hit))
        return out


def _term_in(term: str, stems: set[str], figures: set[str]) -> bool:
    if _is_number(term):
        return number_key(numbers(term)[0]) in figures
    mine = tokenize(term)
    return bool(mine) and all(t in stems for t in mine)


@dataclass
class QuestionResult:
    question: Question
    response: str
    score: float
    correct: bool
    covered: list[dict[str, Any]]
    missed: list[dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        q = self.question
        out: dict[str, Any] = {"id": q.id, "kind": q.kind, "topic": q.topic}
        if q.kind in EXACT_KINDS:
            out["correct"] = self.correct
        out.update(
            {
                "score": round(self.score, 3),
                "response": self.response,
                "answer": q.answer,
                "covered": self.covered,
                "missed": self.missed,
                "source_quote": q.quote,
                "source": q.citations[0]["source"] if q.citations else "",
                "explanation": q.explanation,
            }
        )
        return out


@dataclass
class QuizGrade:
    results: list[QuestionResult]
    grader: str = "offline"

    @property
    def score(self) -> float:
        return round(sum(r.score for r in self.results) / len(self.results), 3) if self else 0.0

    def __bool__(self) -> bool:
        return bool(self.results)

    def to_json(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "correct": sum(1 for r in self.results if r.correct),
            "total": len(self.results),
            "grader": self.grader,
            "results": [r.to_json() for r in self.results],
        }


def choice_index(question: Question, response: str) -> int | None:
    """A multiple-choice response as the choice text, a letter (``B``) or a position (``2``)."""
    choices = question.choices or []
    for i, c in enumerate(choices):  # the text first: with figures as choices "2" is a choice
        if normalize(c) == normalize(response):
            return i
    r = response.strip().rstrip(").:").strip()
    if len(r) == 1 and r.upper() in LETTERS[: len(choices)]:
        return LETTERS.index(r.upper())
    if r.isdigit() and 1 <= int(r) <= len(choices):
        return int(r) - 1
    return None


def _exact(question: Question, response: str) -> bool:
    if question.kind == "multiple_choice":
        i = choice_index(question, response)
        return i is not None and normalize(question.choices[i]) == normalize(question.answer)
    if question.kind == "true_false":
        r = normalize(response).strip(".!")
        said = True if r in _TRUE else False if r in _FALSE else None
        return said is not None and said == (question.answer == "True")
    # fill_blank: a number by value; words by stem, without padding the answer out
    if question.answer_type == "number":
        return number_key(question.answer) in {number_key(n) for n in numbers(response)}
    got = tokenize(response)
    for answer in (question.answer, *question.accept):
        want = tokenize(answer)
        if normalize(response) == normalize(answer):
            return True
        if want and set(want) <= set(got) and len(got) <= len(want) + 2:
            return True
    return False


def grade(
    questions: Sequence[Question],
    responses: Mapping[str, str],
    text_grader: TextGrader | None = None,
) -> QuizGrade:
    """Grade ``responses`` (question id → answer). Choices and true/false exactly, blanks by
    value or stem, open answers by ``text_grader`` against the key points."""
    text_grader = text_grader or SimilarityGrader()
    results = []
    for q in questions:
        response = str(responses.get(q.id, "") or "")
        if q.kind == "open":
            points = text_grader.grade(q.key_points, response)
            share = sum(p.covered for p in points) / len(points) if points else 0.0
            mean = sum(p.score for p in points) / len(points) if points else 0.0
            score = 0.5 * share + 0.5 * mean
            results.append(
                QuestionResult(
                    q,
                    response,
                    score,
                    score >= PASS_SCORE,
                    [p.to_json() for p in points if p.covered],
                    [p.to_json() for p in points if not p.covered],
                )
            )
            continue
        ok = bool(response.strip()) and _exact(q, response)
        point = {"point": q.key or q.answer, "source_quote": q.quote}
        if q.kind == "true_false" and q.swapped:
            point["point"] = f"{q.key} (not {q.swapped})"
        if ok:
            point["answer_quote"] = response
        results.append(
            QuestionResult(
                q, response, 1.0 if ok else 0.0, ok, [point] if ok else [], [] if ok else [point]
            )
        )
    return QuizGrade(results, text_grader.name)


def read_answers(data: Any) -> tuple[dict[str, str], dict[str, Question], str]:
    """Answers from a JSON document: ``{"answers": {id: answer}}``, ``{"answers": [{"id",
    "answer"}]}``, a bare list of those, or a quiz (``{"questions": [...]}``) whose questions
    carry a ``response``. Returns (id → answer, id → inline question, learner or "")."""
    responses: dict[str, str] = {}
    inline: dict[str, Question] = {}
    learner = ""
    if isinstance(data, dict):
        learner = str(data.get("learner") or "")
        answers = data.get("answers", data.get("responses"))
        if isinstance(answers, dict):
            responses.update({str(k): str(v) for k, v in answers.items()})
        elif isinstance(answers, list):
            data = answers
        for q in data.get("questions", []) if isinstance(data, dict) else []:
            if isinstance(q, dict) and "id" in q:
                if "response" in q:
                    responses[str(q["id"])] = str(q["response"])
                if {"kind", "question", "answer"} <= q.keys():
                    inline[str(q["id"])] = Question.from_json(q)
    if isinstance(data, list):
        for item in data:
            if isinstance(item, dict) and "id" in item:
                value = item.get("answer", item.get("response", ""))
                responses[str(item["id"])] = str(value)
    if not responses:
        raise ConfigError(
            'no answers found; expected {"answers": {"<question id>": "<answer>", ...}}'
        )
    return responses, inline, learner
