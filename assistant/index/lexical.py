"""BM25 keyword index (``bm25s``), persisted in the KB folder and rebuilt by every ingest
that changes anything, so it always matches the manifest."""

from __future__ import annotations

import json
import math
import re
import shutil
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import numpy as np

from assistant.core.records import Chunk
from assistant.index.filters import Filters

_TOKEN_RE = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?")
_DIGIT_COMMA_RE = re.compile(r"(?<=\d),(?=\d{3}\b)")
# Short and common enough to carry no meaning in a sales question.
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself yourselves
    us s t d ll m re ve y also get got tell say says said like use using""".split()
)


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def tokenize(text: str) -> list[str]:
    """Lower-case word and number tokens (``1,000`` → ``1000``, ``99.9`` kept), stemmed."""
    text = _DIGIT_COMMA_RE.sub("", text.lower())
    words = [w for w in _TOKEN_RE.findall(text) if w not in STOPWORDS]
    return _stemmer().stemWords(words)


class LexicalIndex:
    """BM25 over chunk ``embed_text`` (section path + text), with metadata masks for filters."""

    def __init__(
        self,
        ids: list[str],
        meta: dict[str, np.ndarray],
        bm25: object | None,
        df: dict[str, int] | None = None,
    ) -> None:
        self.ids = ids
        self._meta = meta
        self._bm25 = bm25
        self.df = df or {}  # token → number of chunks containing it

    def idf(self, token: str) -> float:
        return math.log(1 + (len(self.ids) + 1) / (self.df.get(token, 0) + 0.5))

    def df_share(self, token: str) -> float:
        return self.df.get(token, 0) / max(1, len(self.ids))

    @classmethod
    def build(cls, chunks: Iterable[Chunk]) -> LexicalIndex:
        import bm25s

        ids: list[str] = []
        corpus: list[list[str]] = []
        fields: dict[str, list] = {k: [] for k in _FIELDS}
        df: Counter[str] = Counter()
        for c in chunks:
            ids.append(c.id)
            # The section path counts twice (a BM25F-style field weight): headings name what
            # a passage is about. Measured: sample set MRR@10 .822 → .835, the first
            # development corpus unchanged.
            tokens = tokenize(c.heading) + tokenize(c.embed_text)
            df.update(set(tokens))
            corpus.append(tokens or ["_empty_"])
            md = c.to_metadata()
            for k in _FIELDS:
                fields[k].append(md[k])
        bm25 = None
        if ids:
            bm25 = bm25s.BM25()
            bm25.index(corpus, show_progress=False)
        return cls(ids, {k: np.asarray(v) for k, v in fields.items()}, bm25, dict(df))

    def save(self, folder: Path) -> None:
        tmp = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        if self._bm25 is not None:
            self._bm25.save(str(tmp / "bm25"))
        (tmp / "ids.json").write_text(json.dumps(self.ids))
        (tmp / "df.json").write_text(json.dumps(self.df))
        np.savez(tmp / "meta.npz", **self._meta)
        shutil.rmtree(folder, ignore_errors=True)
        tmp.rename(folder)

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex | None:
        """The saved index, or None when it is missing or from an older format."""
        if not (folder / "df.json").exists():
            return None
        import bm25s

        ids = json.loads((folder / "ids.json").read_text())
        with np.load(folder / "meta.npz", allow_pickle=False) as data:
            meta = {k: data[k] for k in data.files}
        bm25 = bm25s.BM25.load(str(folder / "bm25")) if ids else None
        return cls(ids, meta, bm25, json.loads((folder / "df.json").read_text()))

    def __len__(self) -> int:
        return len(self.ids)

    def _mask(self, filters: Filters | None) -> np.ndarray | None:
        if filters is None or filters.is_empty():
            return None
        mask = np.ones(len(self.ids), dtype=bool)
        for key, values in filters.membership():
            mask &= np.isin(self._meta[key], list(values))
        if filters.audience:
            mask &= self._meta["audience"] == filters.audience
        if filters.min_updated_days:
            days = self._meta["updated_days"]
            mask &= (days == 0) | (days >= filters.min_updated_days)
        return mask

    def search(self, query: str, k: int, filters: Filters | None = None) -> list[tuple[str, float]]:
        """Top ``k`` (chunk id, BM25 score) pairs with a positive score."""
        if self._bm25 is None or not self.ids:
            return []
        tokens = tokenize(query)
        if not tokens:
            return []
        mask = self._mask(filters)
        if mask is not None and not mask.any():
            return []
        k = min(k, len(self.ids))
        docs, scores = self._bm25.retrieve(  # type: ignore[attr-defined]
            [tokens],
            k=k,
            show_progress=False,
            weight_mask=None if mask is None else mask.astype(np.float32),
        )
        return [
            (self.ids[int(d)], float(s)) for d, s in zip(docs[0], scores[0], strict=True) if s > 0
        ]


_FIELDS = ("source", "doc_type", "product", "competitor", "audience", "updated_days", "role")
