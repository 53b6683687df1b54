"""Hybrid retrieval: BM25 and dense search fused, diversified, and able to say "not covered".

Dense search finds paraphrases, BM25 finds exact product names, competitor names and numbers;
reciprocal-rank fusion combines them without having to calibrate two score scales. A per-source
cap keeps five results from being five chunks of one page. A query that names a competitor
prefers that competitor's battlecard and comparison pages.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from assistant.core.records import COMPETITIVE_TYPES, Chunk, Hit
from assistant.index.filters import Filters
from assistant.index.kb import KnowledgeBase
from assistant.index.lexical import tokenize

Mode = Literal["hybrid", "dense", "lexical"]
Fusion = Literal["rrf", "convex"]


@dataclass(frozen=True)
class RetrievalConfig:
    # Weighted reciprocal-rank fusion; `pitchcraft eval retrieval` prints it next to a convex
    # combination of normalised scores. RRF ranks the right page first far more often on the
    # first development corpus (hit@1 .975 vs .900); convex is slightly ahead on the sample. The
    # values below sit on a plateau of the grid measured on both question sets (see README).
    candidates: int = 40  # per ranker, before fusion
    rrf_k: int = 20
    fusion: Fusion = "rrf"
    dense_weight: float = 0.55  # share of the dense ranker in the fused score
    per_source: int = 4  # diversity cap in the returned list; 0 disables
    competitor_boost: float = 1.1
    # Passages with a figure, when the question asks for one ("what reach numbers..."): set on
    # the three question sets together (2026-12-03: one set's ans@5 .850 -> .875, the others equal).
    figure_boost: float = 1.1


@dataclass
class SearchResult:
    query: str
    hits: list[Hit]
    competitors: list[str] = field(default_factory=list)


FIGURES_ASKED_RE = re.compile(
    r"\b(?:numbers?|figures?|stats?|statistics|metrics?|how (?:many|much|big|large|long|fast)|"
    r"percent(?:age)?|price|cost)\b",
    re.I,
)
# Names, acronyms and identifiers: "Okta", "SOC", "GitHub", and those set lower first ("iOS").
_DISTINCTIVE_RE = re.compile(
    r"\b(?:[A-Z][A-Za-z]*[A-Z][A-Za-z]*|[A-Z]{2,}\d*|[A-Z][a-z]+|[a-z]+[A-Z][A-Za-z]*)\b"
)


class Retriever:
    """Search over one ``KnowledgeBase``."""

    def __init__(self, kb: KnowledgeBase, config: RetrievalConfig | None = None) -> None:
        self.kb = kb
        self.config = config or RetrievalConfig()

    # -- corpus statistics ----------------------------------------------------------------------
    def idf(self, token: str) -> float:
        return self.kb.lexical.idf(token)

    def df_share(self, token: str) -> float:
        """Share of chunks that contain ``token``."""
        return self.kb.lexical.df_share(token)

    @staticmethod
    def distinctive_terms(query: str) -> list[str]:
        """Names, acronyms and identifiers: capitalised words that are not sentence-initial."""
        out = []
        for m in _DISTINCTIVE_RE.finditer(query):
            word = m.group(0)
            initial = m.start() == 0 or query[: m.start()].rstrip().endswith((".", "?", "!"))
            if not (initial and word.istitle()) and word not in out:
                out.append(word)
        return out

    def missing_terms(self, query: str) -> list[str]:
        """Distinctive terms of the query that occur nowhere in the KB."""
        df = self.kb.lexical.df
        return [
            w
            for w in self.distinctive_terms(query)
            if (tokens := tokenize(w)) and all(df.get(t, 0) == 0 for t in tokens)
        ]

    # -- rankers ----------------------------------------------------------------------------------
    def dense(self, query: str, k: int, filters: Filters | None = None) -> list[Hit]:
        vector = self.kb.embedder.embed([query])[0]
        pairs = self.kb.store.query(vector, k, filters)
        # Vectors whose manifest rows are gone (an interrupted write) are never returned.
        live = {c.id for c in self.kb.manifest.chunks([c.id for c, _ in pairs])}
        return [Hit(c, s, {"dense": s}) for c, s in pairs if c.id in live]

    def lexical(self, query: str, k: int, filters: Filters | None = None) -> list[Hit]:
        pairs = self.kb.lexical.search(query, k, filters)
        chunks = {c.id: c for c in self.kb.manifest.chunks([i for i, _ in pairs])}
        return [Hit(chunks[i], s, {"bm25": s}) for i, s in pairs if i in chunks]

    # -- fusion -----------------------------------------------------------------------------------
    def _fuse(self, dense: list[Hit], lexical: list[Hit]) -> list[Hit]:
        cfg = self.config
        chunks: dict[str, Chunk] = {}
        info: dict[str, dict[str, float]] = {}
        score: dict[str, float] = {}
        if cfg.fusion == "rrf":
            weights = {"dense": cfg.dense_weight, "bm25": 1.0 - cfg.dense_weight}
            for name, hits in (("dense", dense), ("bm25", lexical)):
                for rank, h in enumerate(hits):
                    chunks[h.chunk.id] = h.chunk
                    info.setdefault(h.chunk.id, {})[name] = h.score
                    gain = 2 * weights[name] / (cfg.rrf_k + rank + 1)
                    score[h.chunk.id] = score.get(h.chunk.id, 0.0) + gain
        else:
            top_bm25 = max((h.score for h in lexical), default=1.0) or 1.0
            for name, hits, weight, scale in (
                ("dense", dense, cfg.dense_weight, 1.0),
                ("bm25", lexical, 1.0 - cfg.dense_weight, top_bm25),
            ):
                for h in hits:
                    chunks[h.chunk.id] = h.chunk
                    info.setdefault(h.chunk.id, {})[name] = h.score
                    score[h.chunk.id] = score.get(h.chunk.id, 0.0) + weight * h.score / scale
        return [Hit(chunks[i], s, info[i]) for i, s in score.items()]

    def _diversify(self, hits: list[Hit], k: int) -> list[Hit]:
        """At most ``per_source`` chunks of one document; what the cap holds back fills any
        room left at the end."""
        cap = self.config.per_source
        if cap <= 0:
            return hits[:k]
        taken: list[Hit] = []
        overflow: list[Hit] = []
        per: Counter[str] = Counter()
        for h in hits:
            if per[h.chunk.source] < cap:
                taken.append(h)
                per[h.chunk.source] += 1
            else:
                overflow.append(h)
            if len(taken) == k:
                break
        return (taken + overflow)[:k]

    # -- public -----------------------------------------------------------------------------------
    def candidates(
        self, query: str, n: int, filters: Filters | None = None, mode: Mode = "hybrid"
    ) -> tuple[list[Hit], list[Hit]]:
        """Raw (dense, lexical) candidate lists, before fusion."""
        dense = self.dense(query, n, filters) if mode in ("hybrid", "dense") else []
        lexical = self.lexical(query, n, filters) if mode in ("hybrid", "lexical") else []
        return dense, lexical

    def rank(self, query: str, dense: list[Hit], lexical: list[Hit], k: int) -> SearchResult:
        """Fuse, boost the named competitor's pages, and diversify."""
        cfg = self.config
        competitors = self.kb.mentioned_competitors(query)
        hits = self._fuse(dense, lexical) if dense and lexical else list(dense or lexical)
        if competitors and cfg.competitor_boost != 1.0:
            wanted = {c.lower() for c in competitors}
            pages = {s for c in competitors for s in self.kb.market.pages.get(c, [])}
            hits = [
                Hit(h.chunk, h.score * cfg.competitor_boost, h.rank_info)
                if h.chunk.source in pages
                or (
                    h.chunk.meta.competitor.lower() in wanted
                    and h.chunk.meta.doc_type in COMPETITIVE_TYPES
                )
                else h
                for h in hits
            ]
        if cfg.figure_boost != 1.0 and FIGURES_ASKED_RE.search(query):
            hits = [
                Hit(h.chunk, h.score * cfg.figure_boost, h.rank_info)
                if re.search(r"\d", h.chunk.text)
                else h
                for h in hits
            ]
        hits.sort(key=lambda h: (-h.score, h.chunk.id))
        return SearchResult(query, self._diversify(hits, k), competitors)

    def search(
        self,
        query: str,
        k: int = 5,
        filters: Filters | None = None,
        mode: Mode = "hybrid",
    ) -> SearchResult:
        dense, lexical = self.candidates(query, max(self.config.candidates, k), filters, mode)
        return self.rank(query, dense, lexical, k)
