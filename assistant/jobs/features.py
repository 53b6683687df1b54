"""Which features to pitch: every catalog feature scored against the persona's priorities, the
account context and the competitor's weak spots, then a small, diverse set picked, each with
the sentences this persona should hear and a plain reason (``why``).

The weights below were set by hand on the sample knowledge base's personas and scenarios and
checked by reading the pitches; they are not fitted to a labelled set.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field

import numpy as np

from assistant.core.records import Chunk
from assistant.core.terms import find_terms
from assistant.core.text import normalize
from assistant.index.catalog import AUDIENCE_RE, Feature
from assistant.index.filters import Filters
from assistant.index.kb import KnowledgeBase
from assistant.index.lexical import tokenize
from assistant.personas.schema import Persona
from assistant.retrieval.evidence import Evidence, is_pitchable, overlap, section_of
from assistant.retrieval.retriever import Retriever
from assistant.understand.market import is_table_row

# -- the score: persona fit, account context, competitive edge ----------------------------------
PERSONA_WEIGHT = 0.35
ACCOUNT_WEIGHT = 0.5  # only when an account context is given
COMPETITOR_WEIGHT = 0.15  # only when the competitor has a battlecard or comparison page
PRIORITY_HITS_CAP = 4  # keywords of one priority that count towards its share
MIN_THEME_GAIN = 0.4  # a priority is "served" with at least two of its keywords
OWN_PERSONA_BONUS = 0.15  # the feature's document names this persona in its front-matter
MIN_PERSONA_FIT = 0.25  # below this a feature serves none of the persona's priorities
# Persona fit: the share of the persona's priority keywords a feature uses, blended with how
# close the feature is in meaning to the persona's description and priorities.
PERSONA_MEANING_SHARE = 0.5
# Account context, need by need (its sentences and clauses): hybrid retrieval of the passages
# that answer each need, a feature scoring by its best passage's rank (1 at the top, half at
# NEED_RANK_HALF), its best need plus a share of its second; blended with the share of the
# feature's name the account says ("feature flags").
NEED_K, NEED_RANK_HALF, SECOND_NEED = 30, 5, 0.3
NEED_SHARE, NAMED_SHARE = 0.7, 0.3
NEED_REASON = 0.5  # from this a feature answers a need (and its why quotes it)
PROFILE_NEED = 0.6  # a clause that describes the account rather than a pain counts this much
CONTEXT_COS_FLOOR, CONTEXT_COS_SPAN = 0.1, 0.5  # cosines rescaled from [0.1, 0.6] to [0, 1]
MIN_NEED_WORDS = 4  # a shorter clause is a label ("Acme (fictional)"), not a need
LIKENESS_PENALTY = 0.15  # per unit of cosine with a feature already picked
COVER_SHARE = 0.6  # a feature picked for a need scores at least this share of the best one
OTHER_AUDIENCE = 0.6  # a feature of a page for another audience ("… for education")
# Competitive edge: named in a winning section, or anywhere else on that competitor's pages.
EDGE_WINNING, EDGE_MENTIONED = 1.0, 0.5
SAME_MODULE_DISCOUNT = 0.75  # each feature already picked from a module discounts the next
# Choosing a feature's sentences: keywords of the persona's priorities and words of the
# account raise a sentence; figures raise it for technical buyers.
FACT_KEYWORD, FACT_ACCOUNT_WORD, FACT_FIGURE, FACT_RELEVANCE_CAP = 0.2, 0.15, 0.2, 0.9
FACT_MATCHED = 0.6  # the sentence is in a passage that answered one of the account's needs
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
    need: str = ""  # the account's words this feature answers, if any
    index: int = -1  # the feature's row in the catalog's vectors


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
        technical = persona is None or persona.sentence_style == "technical"
        if not is_pitchable(fact.text, technical):
            continue  # fragments, limits and (for business buyers) code stay out of a pitch
        out.append(Evidence(fact.text, chunk))
    return out


def _choose_facts(
    persona: Persona,
    feature: Feature,
    facts: list[Evidence],
    account_tokens: set[str],
    matched: Collection[str] = (),
) -> list[Evidence]:
    """The sentences this persona hears about the feature: of the kind its style wants
    first, raised by its priority keywords, the account's words and, most, by being in a
    passage that answered one of the account's needs (``matched`` chunk ids)."""
    order = FACT_ORDER[persona.sentence_style]
    kinds = {f.text: f.kind for f in feature.facts}
    keywords = [k for p in persona.priorities for k in p.keywords]

    def rank(e: Evidence) -> tuple[float, int]:
        kind_rank = order.index(kinds.get(e.text, "summary"))
        relevance = len(find_terms(keywords, e.text)) * FACT_KEYWORD
        relevance += FACT_MATCHED * (e.chunk.id in matched)
        relevance += sum(1 for t in tokenize(e.text) if t in account_tokens) * FACT_ACCOUNT_WORD
        if persona.sentence_style == "technical" and re.search(r"\d", e.text):
            relevance += FACT_FIGURE  # benchmarks and figures land with technical buyers
        return (kind_rank - min(relevance, FACT_RELEVANCE_CAP), facts.index(e))

    # A fact that a longer one says whole (``t in o != t``: the tail of a sentence where a
    # passage starts, overlapping the last) is out.
    said = [normalize(e.text) for e in facts]
    whole = [e for e, t in zip(facts, said, strict=True) if not any(t in o != t for o in said)]
    n = persona.length.sentences_per_feature
    # Keep the document's own order within the pick so the block reads naturally.
    return sorted(sorted(whole, key=rank)[:n], key=lambda e: facts.index(e))


class FeaturePicker:
    """Scores and picks features over one knowledge base (the catalog's vectors are built at
    ingest; a persona's vector once per picker)."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.retriever = Retriever(kb)
        self._persona_vectors: dict[str, np.ndarray] = {}
        self._owners: dict[str, list[int]] = {}
        self._gen = -1

    def _features_of(self) -> dict[str, list[int]]:
        """Chunk id → the catalog features whose facts come from it (once per generation)."""
        if self._gen != self.kb.manifest.generation:
            owners: dict[str, list[int]] = {}
            for i, f in enumerate(self.kb.catalog):
                for chunk_id in f.chunk_ids:
                    owners.setdefault(chunk_id, []).append(i)
            self._owners, self._gen = owners, self.kb.manifest.generation
        return self._owners

    def _answers(self, needs: list[str]) -> tuple[np.ndarray, dict[int, set[str]]]:
        """How well each feature answers each need (features × needs): retrieval over the
        customer-safe passages, by the rank of the feature's best passage; and, per feature,
        the passages that answered."""
        owners = self._features_of()
        scores = np.zeros((len(self.kb.catalog), len(needs)))
        matched: dict[int, set[str]] = {}
        safe = Filters(audience="customer-safe")
        for j, need in enumerate(needs):
            for rank, hit in enumerate(self.retriever.search(need, k=NEED_K, filters=safe).hits):
                for i in owners.get(hit.chunk.id, ()):
                    if not scores[i, j]:
                        scores[i, j] = 1 / (1 + rank / NEED_RANK_HALF)
                        matched.setdefault(i, set()).add(hit.chunk.id)
        return scores, matched

    def _persona_vector(self, persona: Persona) -> np.ndarray:
        if persona.id not in self._persona_vectors:
            themes = "; ".join(p.theme for p in persona.priorities)
            text = f"{persona.title}: {persona.description} Priorities: {themes}."
            self._persona_vectors[persona.id] = self.kb.embedder.embed([text])[0]
        return self._persona_vectors[persona.id]

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
        features = self.kb.catalog
        if not features:
            return []
        wanted = self._persona_vector(persona)
        vectors = self.kb.catalog_vectors
        if vectors.shape != (len(features), len(wanted)):  # built before any vector was stored
            vectors = np.zeros((len(features), len(wanted)), dtype=np.float32)
        idf = self.kb.lexical.idf
        needs = account_needs(account)
        answers, matched = self._answers(needs) if needs else (None, {})
        if answers is not None:  # the account's pains count more than its profile
            answers = answers * np.array([need_weight(need) for need in needs])
        account_tokens = set(tokenize(account))
        comp_chunks = self.kb.competitor_chunks(competitor) if competitor else []
        persona_sims = vectors @ wanted
        candidates: list[FeaturePick] = []
        for i, f in enumerate(features):
            facts = sayable_facts(self.kb, f, persona)
            if len(facts) < MIN_SAYABLE_FACTS:
                continue  # not enough this persona can hear without jargon
            keyword_fit, theme = persona_fit(persona, f)
            fit = (1 - PERSONA_MEANING_SHARE) * keyword_fit
            fit += PERSONA_MEANING_SHARE * _rescaled(float(persona_sims[i]))
            fits_description = 0.0
            if described is not None:
                fits_description = _rescaled(float(vectors[i] @ described))
                fit = (1 - DESCRIBED_SHARE) * fit + DESCRIBED_SHARE * fits_description
            context, need = 0.0, ""
            if answers is not None:
                ranked = np.sort(answers[i])[::-1]
                answered = min(1.0, ranked[0] + SECOND_NEED * (ranked[1] if len(ranked) > 1 else 0))
                named = overlap(f.name, account_tokens, idf)
                context = float(NEED_SHARE * answered + NAMED_SHARE * named)
                if ranked[0] >= NEED_REASON:
                    need = needs[int(np.argmax(answers[i]))]
            edge, where = self._competitor_edge(f, comp_chunks) if comp_chunks else (0.0, "")
            weights = (
                PERSONA_WEIGHT,
                ACCOUNT_WEIGHT if answers is not None else 0.0,
                COMPETITOR_WEIGHT if comp_chunks else 0.0,
            )
            score = (weights[0] * fit + weights[1] * context + weights[2] * edge) / sum(weights)
            if account_tokens and not _for_this_audience(f, account_tokens):
                score *= OTHER_AUDIENCE
            why = self._why(persona, f, theme, need, competitor, edge, where)
            if fits_description >= DESCRIBED_REASON:
                why = why.removesuffix(".") + "; close to how your documents describe this buyer."
            chosen = _choose_facts(persona, f, facts, account_tokens, matched.get(i, ()))
            candidates.append(
                FeaturePick(
                    f,
                    round(score, 4),
                    why,
                    chosen,
                    {"persona": round(fit, 3), "account": round(context, 3), "competitor": edge},
                    theme,
                    need,
                    i,
                )
            )
        # Persona first: features that serve none of this persona's priorities are used only
        # when too few others exist.
        fitting = [c for c in candidates if c.signals["persona"] >= MIN_PERSONA_FIT]
        if len(fitting) >= n:
            picked = _diverse(fitting, vectors, n, answers)
            if len(picked) == n:  # short when most of them are one page and its sections
                return picked
        return _diverse(candidates, vectors, n, answers)

    def _why(
        self,
        persona: Persona,
        f: Feature,
        theme: str,
        need: str,
        competitor: str | None,
        edge: float,
        where: str,
    ) -> str:
        reasons = []
        if theme:
            reasons.append(f"speaks to the {persona.title}'s priority on {theme}")
        if need:
            # its passages came up for that need; not a claim that what is said answers it
            reasons.append(f"picked for the account's '{need}'")
        if competitor and edge:
            where = re.sub(r"^\s*(?:\d+|[ivx]+)[.)]\s+", "", where)  # "2. Pricing": the heading
            label = f"named under {where!r} in the {competitor} battlecard or comparison page"
            reasons.append(label)
        if not reasons:
            reasons.append(f"one of the strongest remaining fits for a {persona.title}")
        module = f"{f.name} ({f.module})" if normalize(f.module) != normalize(f.name) else f.name
        return f"{module}: " + "; ".join(reasons) + "."


_NEED_SPLIT_RE = re.compile(r"(?<=[.!?;:])\s+|\n+")
_CLAUSE_RE = re.compile(r",?\s+\b(?:and|but|because|whereas|although|while|so)\s+", re.I)


def account_needs(account: str) -> list[str]:
    """The account context as the separate things it says: its sentences, and the clauses
    of each ("patient names appear on lock screens", "legal needs full exports"), each a
    need a feature can answer."""
    needs: list[str] = []
    for part in _NEED_SPLIT_RE.split(account.strip()):
        clauses = [c.strip(" ,;.") for c in _CLAUSE_RE.split(part)]
        needs.append(part.strip(" ,;."))
        if len(clauses) > 1:
            needs += clauses
    return [n for n in dict.fromkeys(needs) if len(n.split()) >= MIN_NEED_WORDS]


_PAIN_RE = re.compile(
    r"\b(?:can't|cannot|can not|nobody|no one|nothing|never|lose|losing|lost|grows?|growing|"
    r"over budget|expensive|costs?|bills?|slow|stall|stalls|bury|buries|buried|scroll away|"
    r"alarmed|worr\w*|risks?|fail\w*|broken|manual|hard|difficult|needs?|must|requires?|wants?|"
    r"without|missing|lacks?|only|too|keep \w+ing|no \w+)\b",
    re.I,
)


def need_weight(need: str) -> float:
    """A pain ("nobody can tell whether…", "the bill grows…") counts fully; a profile clause
    ("60-person booking SaaS") counts ``PROFILE_NEED`` of that."""
    return 1.0 if _PAIN_RE.search(need) else PROFILE_NEED


def _rescaled(cos: float) -> float:
    """A cosine similarity rescaled from [floor, floor + span] to [0, 1]."""
    return max(0.0, min(1.0, (cos - CONTEXT_COS_FLOOR) / CONTEXT_COS_SPAN))


def _for_this_audience(f: Feature, account_tokens: set[str]) -> bool:
    """Whether a feature read from an audience page ("Acme for education") suits the account:
    the page names no audience, or the account says the audience's words."""
    m = AUDIENCE_RE.search(f.module)
    return not m or bool(set(tokenize(m.group(1))) & account_tokens)


def _related(a: Feature, b: Feature) -> bool:
    """One is a section of the other's page (``module`` names the page's feature)."""
    return normalize(a.module) == normalize(b.name) or normalize(b.module) == normalize(a.name)


def _diverse(
    candidates: list[FeaturePick], vectors: np.ndarray, n: int, answers: np.ndarray | None = None
) -> list[FeaturePick]:
    """The best ``n``: first, need by need (the account's pains first), the best feature that
    answers it; then the best remaining, each discounted by its likeness to those already
    picked (maximal marginal relevance) and by picks from its module. Never a page beside
    its own section."""
    picked: list[FeaturePick] = []
    pool = list(candidates)

    def take(best: FeaturePick) -> None:
        nonlocal pool
        picked.append(best)
        pool = [c for c in pool if c is not best and not _related(c.feature, best.feature)]

    if answers is not None and answers.size:
        needs = sorted(range(answers.shape[1]), key=lambda j: -float(answers[:, j].max()))
        for j in needs:
            if len(picked) == n:
                break
            covered = any(answers[p.index, j] >= NEED_REASON for p in picked)
            floor = COVER_SHARE * max((c.score for c in pool), default=0.0)
            answering = [c for c in pool if answers[c.index, j] >= NEED_REASON and c.score >= floor]
            if not covered and answering:
                take(max(answering, key=lambda c: (c.score, -len(c.feature.facts))))
    while pool and len(picked) < n:

        def adjusted(c: FeaturePick) -> tuple[float, int, str]:
            modules = sum(p.feature.module == c.feature.module for p in picked)
            alike = max((float(vectors[c.index] @ vectors[p.index]) for p in picked), default=0)
            value = c.score * SAME_MODULE_DISCOUNT**modules - LIKENESS_PENALTY * max(0.0, alike)
            return (-value, len(c.feature.facts), c.feature.key)  # ties: the narrower one

        take(min(pool, key=adjusted))
    return picked
