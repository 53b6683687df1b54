"""Does the evidence answer the question? Sentence-level support, and the decision to abstain.

A retriever always returns *something*; this module decides whether that something answers
the question. It scores each sentence of the top hits by how much of the question's
(IDF-weighted) vocabulary it and its section heading cover, checks that questions asking for
a percentage, a price or a duration find one, and that names the question hinges on occur in
the knowledge base at all. When the support is too thin it says so instead of guessing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.core.records import Chunk, Hit
from assistant.core.text import is_pending, is_question, normalize
from assistant.index.lexical import tokenize
from assistant.retrieval.retriever import Retriever

# Question forms that demand a typed answer, and what such an answer looks like.
ANSWER_TYPES: dict[str, tuple[re.Pattern[str], re.Pattern[str]]] = {
    "percent": (
        re.compile(
            r"\b(?:what|which) (?:\w+ ){0,2}(?:percentage|percent)\b|\bhow many percent"
            r"|\b(?:retention|churn|conversion|renewal|win|error|adoption|attrition|open|click"
            r"|bounce|response) rates?\b",
            re.I,
        ),
        re.compile(r"\d\s?%|\bpercent", re.I),
    ),
    "money": (
        re.compile(
            r"\bhow much\b.{0,60}\b(?:cost|charge|pay|price|spend|fee)"
            r"|\bwhat (?:does|do|is|would) .{0,40}\b(?:cost|price|charge)\b"
            r"|\bwhat(?:'s| is| are) (?:the |its |their |\w+'s )?(?:list )?(?:price|pricing)\b",
            re.I,
        ),
        re.compile(r"[$€£]\s?\d|\d\s?(?:usd|eur|gbp)\b|\bfree\b|\bno (?:charge|cost)\b", re.I),
    ),
    "duration": (
        re.compile(r"\bhow long\b|\bhow (?:quickly|fast|soon)\b|\b(?:length|duration) of\b", re.I),
        re.compile(
            r"\b\d+(?:\.\d+)?\s*(?:-\s*\d+\s*)?(?:(?:business|working|calendar)\s+)?"
            r"(?:ms|milliseconds?|seconds?|minutes?|mins?|hours?|days?|weeks?|months?|years?"
            r"|quarters?)\b|\b(?:one|two|three|four|five|six|seven|eight|nine|ten"
            r"|twelve)\s+(?:business\s+)?(?:days?|weeks?|months?|years?)\b|\bimmediately\b",
            re.I,
        ),
    ),
}


@dataclass(frozen=True)
class Support:
    """A sentence that answers part of the question, and the chunk it came from."""

    sentence: str
    chunk: Chunk
    score: float
    typed: bool = False  # states the kind of answer the question asks for


THIN = "the evidence is thin"


@dataclass
class Judgement:
    abstained: bool
    reason: str
    support: list[Support] = field(default_factory=list)
    missing_terms: list[str] = field(default_factory=list)
    answer_type: str | None = None

    @property
    def thin(self) -> bool:
        """Abstained only because few of the question's words are covered (nothing missing)."""
        return self.abstained and self.reason == THIN


@dataclass(frozen=True)
class GroundingConfig:
    """Abstention thresholds, tuned on the development corpora's question sets together
    (``pitchcraft eval retrieval``; the README has the figures)."""

    min_support: float = 0.15  # best sentence must cover this share of the question
    typed_min_support: float = 0.2  # ... when it must also carry an answer of the right type
    covered_despite_missing: float = 0.6  # answer anyway (with a caveat) above this
    competitor_min_support: float = 0.08
    rare_df: float = 0.02  # a name is "rare" below this document frequency
    max_support: int = 4
    heading_share: float = 0.5  # a question word in the section heading counts half
    untyped_share: float = 0.5  # a sentence without the asked type of answer counts half


def answer_type(question: str) -> str | None:
    for name, (asks, _) in ANSWER_TYPES.items():
        if asks.search(question):
            return name
    return None


class Grounder:
    def __init__(self, retriever: Retriever, config: GroundingConfig | None = None) -> None:
        self.retriever = retriever
        self.config = config or GroundingConfig()

    def rare_anchors(self, question: str) -> list[str]:
        """Names in the question that few chunks mention: the answer must be near them."""
        out = []
        for word in self.retriever.distinctive_terms(question):
            tokens = tokenize(word)
            if tokens and all(0 < self.retriever.df_share(t) < self.config.rare_df for t in tokens):
                out.append(word)
        return out

    def supports(self, question: str, hits: list[Hit]) -> list[Support]:
        """Every sentence of the hits, scored against the question, best first.

        Question words the knowledge base never uses keep their (high) weight, so a question
        about something unknown cannot look well covered by its generic words alone.
        """
        weights = {t: self.retriever.idf(t) for t in _terms(question)}
        total = sum(weights.values()) or 1.0
        kind = answer_type(question)
        out = []
        for hit in hits:
            if hit.chunk.role == "open_question":
                continue  # questions still waiting for their answer answer nothing
            heading = _terms(f"{hit.chunk.meta.title} {hit.chunk.heading}")
            asked: set[str] = set()
            for sent in hit.chunk.sentences():
                if is_question(sent):  # never an answer; its words are its answer's context
                    asked = _terms(sent)
                    continue
                if is_pending(sent):  # a question still waiting for its answer
                    continue
                context = heading | asked
                words = _terms(sent)
                own = sum(w for t, w in weights.items() if t in words)
                near = sum(w for t, w in weights.items() if t in context and t not in words)
                score = (own + self.config.heading_share * near) / total
                typed = bool(kind and ANSWER_TYPES[kind][1].search(sent))
                if kind and not typed:
                    score *= self.config.untyped_share
                out.append(Support(sent, hit.chunk, round(score, 4), typed))
        out.sort(key=lambda s: (-s.score, s.chunk.id, s.sentence))
        return out

    def judge(self, question: str, hits: list[Hit]) -> Judgement:
        cfg = self.config
        kind = answer_type(question)
        missing = self.retriever.missing_terms(question)
        if not hits:
            return Judgement(True, "nothing in the knowledge base matches", [], missing, kind)
        ranked = self.supports(question, hits)
        # A question that asks for a percentage, a price or a time frame is answered only by a
        # sentence that states one.
        eligible = [s for s in ranked if s.typed] if kind else ranked
        floor = cfg.typed_min_support if kind else cfg.min_support
        competitors = self.retriever.kb.mentioned_competitors(question)
        if competitors:
            # Claims about a competitor come only from passages about it; a typed answer (their
            # price, their retention) must name the competitor in the sentence itself, or a
            # battlecard's own figures would pass for theirs.
            names = [normalize(c) for c in competitors]

            def about(s: Support) -> bool:
                if kind:
                    return _names_value(normalize(s.sentence), names, ANSWER_TYPES[kind][1])
                return any(n in _context(s.chunk) for n in names)

            eligible = [s for s in eligible if about(s)]
            if not kind:
                floor = cfg.competitor_min_support
            if not eligible or eligible[0].score < floor:
                reason = f"no passage about {', '.join(competitors)} answers this"
                return Judgement(True, reason, _distinct(eligible, cfg.max_support), missing, kind)
        anchors = self.rare_anchors(question)
        if kind and anchors:
            # "The price of the Plus plan": a price from a passage that never names Plus is
            # another plan's price.
            wanted = [normalize(a) for a in anchors]
            eligible = [s for s in eligible if all(a in _context(s.chunk) for a in wanted)]
        best = eligible[0].score if eligible else 0.0
        # A typed or competitor question is answered only from sentences that qualify: our own
        # price must not sit next to theirs as if it answered the question.
        support = _distinct(eligible if kind or competitors else ranked, cfg.max_support)
        if anchors:
            near = " ".join(  # a question waiting for its answer is not where it is answered
                f"{h.chunk.meta.title} {h.chunk.embed_text}"
                for h in hits[:5]
                if h.chunk.role != "open_question"
            )
            present = set(tokenize(near))
            absent = [a for a in anchors if not set(tokenize(a)) <= present]
            if 2 * len(absent) > len(anchors):
                return Judgement(
                    True, f"no passage about {', '.join(absent)}", support, missing, kind
                )
        if missing and best < cfg.covered_despite_missing:
            reason = f"the knowledge base never mentions {', '.join(missing)}"
            return Judgement(True, reason, support, missing, kind)
        if best < floor:
            what = {"percent": "a percentage", "money": "a price", "duration": "a time frame"}
            reason = f"no passage states {what[kind]} for this" if kind else THIN
            return Judgement(True, reason, support, missing, kind)
        return Judgement(False, "", support, missing, kind)


# Word stems that ask and answer the same thing: "what does it cost" is answered by a "fee".
_SAME_STEM = {"fee": "price", "cost": "price", "charg": "price"}


def _terms(text: str) -> set[str]:
    return {_SAME_STEM.get(t, t) for t in tokenize(text)}


def _names_value(sentence: str, names: list[str], value: re.Pattern[str], window: int = 60) -> bool:
    """A competitor's name comes shortly before a value of the asked type ("Acme's Pro plan
    costs $20"), so the value is theirs, not a number that merely shares the sentence."""
    for name in names:
        for m in re.finditer(re.escape(name), sentence):
            if value.search(sentence[m.end() : m.end() + window]):
                return True
    return False


def _context(chunk: Chunk) -> str:
    m = chunk.meta
    return normalize(f"{m.competitor} {m.title} {chunk.heading} {chunk.text}")


def _distinct(ranked: list[Support], n: int) -> list[Support]:
    """Top sentences without near-duplicates (overlapping chunks repeat sentences)."""
    out: list[Support] = []
    seen: set[str] = set()
    for s in ranked:
        key = re.sub(r"\W+", " ", s.sentence.lower()).strip()
        if key in seen:
            continue
        seen.add(key)
        out.append(s)
        if len(out) == n:
            break
    return out
