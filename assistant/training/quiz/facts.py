"""The fact pool: the quizzable sentences of one knowledge base, the spans each can be asked
about, and the sibling values that make wrong answers (checked so that none is also right)."""

from __future__ import annotations

import math
import random
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.core.records import COMPETITIVE_TYPES, Chunk
from assistant.core.text import normalize, number_key, number_spans, numbers, sentences
from assistant.index.lexical import tokenize
from assistant.retrieval.evidence import chunk_sentences
from assistant.training.quiz.records import (
    BLANK,
    CHOICES,
    YEAR_RE,
    Question,
    QuizFact,
    Span,
    format_like,
    is_number,
    number_value,
)

MIN_WORDS, MAX_WORDS = 8, 45
SIBLING_OVERLAP = 0.5  # a sibling whose own facts say this much of the sentence could be right
RARE_SHARE = 0.03  # a key term is rare: in at most this share of chunks (or two chunks)
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
            if counts[key] > 1 or YEAR_RE.match(key):
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
        if m.competitor and m.doc_type in COMPETITIVE_TYPES:
            return f"Competitor: {m.competitor}"
        if m.doc_type == "product" and m.product:
            return m.product
        if m.doc_type == "case_study" and m.title:
            return f"Case study: {m.customer}"
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
        if is_number(answer):
            return number_key(numbers(answer)[0]) in {number_key(n) for n in numbers(text)}
        vendor = {t for w in self._vendor for t in tokenize(w)}
        mine = set(tokenize(answer)) - vendor
        if not mine:
            return normalize(answer) in normalize(text)
        return bool(mine & set(tokenize(text)))

    def _number_candidates(self, fact: QuizFact, span: Span) -> list[str]:
        key = number_key(span.text)
        value = number_value(key)
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
            v = number_value(k)
            if v is None or value is None or k == key or ("." in k and "." not in key):
                continue  # (an integer answer gets integer distractors: no "6.8 hours")
            if not (value / 10 <= v <= value * 10 if value > 0 else v < 10):
                continue
            out.append((abs(math.log10(v + 1) - math.log10(value + 1)), k))
        out.sort()
        return [format_like(span.text, k) for _, k in out]

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
