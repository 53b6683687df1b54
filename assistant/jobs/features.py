"""Which features to pitch: every catalog feature scored against the persona's priorities, the
account context and the competitor's weak spots, then a small, diverse set picked, each with
the sentences this persona should hear and a plain reason (``why``).

The weights below were set by hand on the sample knowledge base's personas and scenarios and
checked by reading the pitches; they are not fitted to a labelled set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from assistant.core.records import Chunk
from assistant.core.terms import find_terms
from assistant.core.text import normalize
from assistant.index.catalog import Feature
from assistant.index.kb import KnowledgeBase
from assistant.index.lexical import tokenize
from assistant.personas.schema import Persona
from assistant.retrieval.evidence import Evidence, overlap, section_of
from assistant.understand.market import is_table_row

# -- the score: persona fit, account context, competitive edge ----------------------------------
PERSONA_WEIGHT = 0.45
ACCOUNT_WEIGHT = 0.4  # only when an account context is given
COMPETITOR_WEIGHT = 0.15  # only when the competitor has a battlecard or comparison page
PRIORITY_HITS_CAP = 4  # keywords of one priority that count towards its share
MIN_THEME_GAIN = 0.4  # a priority is "served" with at least two of its keywords
OWN_PERSONA_BONUS = 0.15  # the feature's document names this persona in its front-matter
MIN_PERSONA_FIT = 0.25  # below this a feature serves none of the persona's priorities
# Account context: cosine similarity rescaled from [0.1, 0.6] to [0, 1], blended with the
# IDF-weighted share of the account's words that the feature uses.
CONTEXT_COS_FLOOR, CONTEXT_COS_SPAN = 0.1, 0.5
CONTEXT_DENSE_SHARE = 0.6
CONTEXT_REASON = 0.2  # above this the why names the account words the feature shares
MIN_NAMED_WORD = 6  # ... of at least this many letters ("guests", not "every")
# Competitive edge: named in a winning section, or anywhere else on that competitor's pages.
EDGE_WINNING, EDGE_MENTIONED = 1.0, 0.5
SAME_MODULE_DISCOUNT = 0.75  # each feature already picked from a module discounts the next
# Choosing a feature's sentences: keywords of the persona's priorities and words of the
# account raise a sentence; figures raise it for technical buyers.
FACT_KEYWORD, FACT_ACCOUNT_WORD, FACT_FIGURE, FACT_RELEVANCE_CAP = 0.2, 0.15, 0.2, 0.9
MIN_SAYABLE_FACTS = 2  # a feature needs this many sentences the persona can hear
# When the knowledge base describes this buyer, half the persona fit is how close a feature is
# to that description (cosine rescaled like the account context).
DESCRIBED_SHARE = 0.5
DESCRIBED_REASON = 0.5  # above this the why says the feature fits the description

FACT_ORDER = {
    "technical": ("technical", "summary", "business"),
    "business": ("business", "summary", "technical"),
    "balanced": ("summary", "business", "technical"),
}
"""Which kind of feature sentence comes first, by the persona's sentence style."""


@dataclass
class FeaturePick:
    feature: Feature
    score: float
    why: str
    facts: list[Evidence]
    signals: dict[str, float] = field(default_factory=dict)
    theme: str = ""  # the persona priority this feature serves best, if any


def persona_fit(persona: Persona, feature: Feature) -> tuple[float, str]:
    """How much of the persona's priorities the feature speaks to, and the best-served theme."""
    text = feature.text()
    total = sum(p.weight for p in persona.priorities) or 1.0
    score, best, best_gain = 0.0, "", 0.0
    for p in persona.priorities:
        hits = len(find_terms(p.keywords, text))
        gain = p.weight * min(hits, PRIORITY_HITS_CAP) / PRIORITY_HITS_CAP
        score += gain
        if gain > best_gain:
            best, best_gain = p.theme, gain
    score /= total
    if best_gain < MIN_THEME_GAIN:
        best = ""  # no priority is clearly served: the why must not claim one
    if persona.id in feature.personas:
        score += OWN_PERSONA_BONUS
    return min(score, 1.0), best


def sayable_facts(
    kb: KnowledgeBase,
    feature: Feature,
    persona: Persona | None = None,
    kinds: tuple[str, ...] = (),
) -> list[Evidence]:
    """Customer-safe facts of a feature (of ``kinds`` if given) that the persona can hear:
    none of the words on its avoid list."""
    chunks = {c.id: c for c in kb.manifest.chunks(feature.chunk_ids)}
    out = []
    for fact in feature.facts:
        chunk = chunks.get(fact.chunk_id)
        if chunk is None or chunk.internal or (kinds and fact.kind not in kinds):
            continue
        if persona is not None and persona.avoided_terms(fact.text):
            continue
        if is_table_row(fact.text) or not kb.market.may_claim(fact.text, [chunk.source]):
            continue  # cells are not sentences; a competitor is named only by its pages
        out.append(Evidence(fact.text, chunk))
    return out


def _choose_facts(
    persona: Persona, feature: Feature, facts: list[Evidence], account_tokens: set[str]
) -> list[Evidence]:
    order = FACT_ORDER[persona.sentence_style]
    kinds = {f.text: f.kind for f in feature.facts}
    keywords = [k for p in persona.priorities for k in p.keywords]

    def rank(e: Evidence) -> tuple[float, int]:
        kind_rank = order.index(kinds.get(e.text, "summary"))
        relevance = len(find_terms(keywords, e.text)) * FACT_KEYWORD
        relevance += sum(1 for t in tokenize(e.text) if t in account_tokens) * FACT_ACCOUNT_WORD
        if persona.sentence_style == "technical" and re.search(r"\d", e.text):
            relevance += FACT_FIGURE  # benchmarks and figures land with technical buyers
        return (kind_rank - min(relevance, FACT_RELEVANCE_CAP), facts.index(e))

    n = persona.length.sentences_per_feature
    ranked = sorted(facts, key=rank)
    # Keep the document's own order within the pick so the block reads naturally.
    return sorted(ranked[:n], key=lambda e: facts.index(e))


class FeaturePicker:
    """Scores and picks features over one knowledge base; feature vectors are embedded once
    per knowledge-base generation."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self._gen = -1
        self._feature_vectors: np.ndarray | None = None

    def _features(self) -> list[Feature]:
        features = self.kb.catalog
        if self._gen != self.kb.manifest.generation or self._feature_vectors is None:
            texts = [f"{f.name}. {f.summary}" for f in features]
            self._feature_vectors = self.kb.embedder.embed(texts) if texts else None
            self._gen = self.kb.manifest.generation
        return features

    def _competitor_edge(self, feature: Feature, chunks: list[Chunk]) -> tuple[float, str]:
        name = normalize(feature.name)
        wins = self.kb.conventions.sections["competitive_wins"]
        best, where = 0.0, ""
        for c in chunks:
            if name not in normalize(c.text):
                continue
            section = section_of(c)
            gain = EDGE_WINNING if section.lower() in wins else EDGE_MENTIONED
            if gain > best:
                best, where = gain, section
        return best, where

    def pick(
        self,
        persona: Persona,
        account: str,
        competitor: str | None,
        n: int,
        described: np.ndarray | None = None,
    ) -> list[FeaturePick]:
        """The ``n`` best features; ``described`` is the vector of the knowledge base's own
        description of this buyer, when it has one."""
        features = self._features()
        if not features:
            return []
        idf = self.kb.lexical.idf
        account_vec = self.kb.embedder.embed([account])[0] if account.strip() else None
        account_tokens = set(tokenize(account))
        comp_chunks = self.kb.competitor_chunks(competitor) if competitor else []
        candidates: list[FeaturePick] = []
        for i, f in enumerate(features):
            facts = sayable_facts(self.kb, f, persona)
            if len(facts) < MIN_SAYABLE_FACTS:
                continue  # not enough this persona can hear without jargon
            fit, theme = persona_fit(persona, f)
            fits_description = 0.0
            if described is not None and self._feature_vectors is not None:
                cos = float(self._feature_vectors[i] @ described)
                fits_description = max(0.0, min(1.0, (cos - CONTEXT_COS_FLOOR) / CONTEXT_COS_SPAN))
                fit = (1 - DESCRIBED_SHARE) * fit + DESCRIBED_SHARE * fits_description
            context = 0.0
            if account_vec is not None and self._feature_vectors is not None:
                cos = float(self._feature_vectors[i] @ account_vec)
                dense = max(0.0, min(1.0, (cos - CONTEXT_COS_FLOOR) / CONTEXT_COS_SPAN))
                lexical = overlap(account, set(tokenize(f.text())), idf)
                context = CONTEXT_DENSE_SHARE * dense + (1 - CONTEXT_DENSE_SHARE) * lexical
            edge, where = self._competitor_edge(f, comp_chunks) if comp_chunks else (0.0, "")
            weights = (
                PERSONA_WEIGHT,
                ACCOUNT_WEIGHT if account_vec is not None else 0.0,
                COMPETITOR_WEIGHT if comp_chunks else 0.0,
            )
            score = (weights[0] * fit + weights[1] * context + weights[2] * edge) / sum(weights)
            why = self._why(
                persona, f, theme, account, account_tokens, context, competitor, edge, where
            )
            if fits_description >= DESCRIBED_REASON:
                why = why.removesuffix(".") + "; close to how your documents describe this buyer."
            chosen = _choose_facts(persona, f, facts, account_tokens)
            candidates.append(
                FeaturePick(
                    f,
                    round(score, 4),
                    why,
                    chosen,
                    {"persona": round(fit, 3), "account": round(context, 3), "competitor": edge},
                    theme,
                )
            )
        # Persona first: features that serve none of this persona's priorities are used only
        # when too few others exist.
        fitting = [c for c in candidates if c.signals["persona"] >= MIN_PERSONA_FIT]
        if len(fitting) >= n:
            candidates = fitting
        picked: list[FeaturePick] = []
        while candidates and len(picked) < n:
            modules = [p.feature.module for p in picked]

            def adjusted(c: FeaturePick, modules: list[str] = modules) -> tuple[float, str]:
                discount = SAME_MODULE_DISCOUNT ** modules.count(c.feature.module)
                return (-c.score * discount, c.feature.key)

            best = min(candidates, key=adjusted)
            picked.append(best)
            candidates.remove(best)
        return picked

    def _why(
        self,
        persona: Persona,
        f: Feature,
        theme: str,
        account: str,
        account_tokens: set[str],
        context: float,
        competitor: str | None,
        edge: float,
        where: str,
    ) -> str:
        reasons = []
        if theme:
            reasons.append(f"speaks to the {persona.title}'s priority on {theme}")
        if account.strip() and context > CONTEXT_REASON:
            idf, df = self.kb.lexical.idf, self.kb.lexical.df
            # Words the documents use (a word never indexed is a stop word) and long enough to
            # mean something: "(guests, invoices)", never "(keep, every)".
            informative = {
                t
                for t in tokenize(f.text())
                if t in account_tokens and len(t) > 3 and df.get(t, 0) > 0
            }
            shared = sorted(informative, key=lambda t: -idf(t))[:2]
            raw = [
                w
                for w in re.findall(rf"[\w-]{{{MIN_NAMED_WORD},}}", account)
                if tokenize(w) and tokenize(w)[0] in shared
            ]
            label = ", ".join(dict.fromkeys(w.lower() for w in raw))
            reasons.append(f"fits the account context ({label})" if label else "fits the account")
        if competitor and edge:
            where = re.sub(r"^\s*(?:\d+|[ivx]+)[.)]\s+", "", where)  # "2. Pricing": the heading
            label = f"named under {where!r} in the {competitor} battlecard or comparison page"
            reasons.append(label)
        if not reasons:
            reasons.append(f"one of the strongest remaining fits for a {persona.title}")
        module = f"{f.name} ({f.module})" if normalize(f.module) != normalize(f.name) else f.name
        return f"{module}: " + "; ".join(reasons) + "."
