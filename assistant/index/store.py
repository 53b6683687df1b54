"""The ``Store`` interface and its Chroma implementation.

This is the only module that imports ``chromadb``. Embedded ``PersistentClient`` in the KB
folder by default, ``HttpClient`` when a server URL is configured. Vectors always come from
our ``Embedder``; Chroma's own default embedding function (which downloads a model) is never
attached to a collection.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

import numpy as np

from assistant.core.errors import ConfigError
from assistant.core.records import Chunk
from assistant.index.filters import Filters


@dataclass
class StoreInfo:
    embed_model: str
    dim: int
    extra: dict[str, Any] = field(default_factory=dict)


class Store(Protocol):
    """Where chunk vectors live."""

    info: StoreInfo

    def upsert(self, chunks: Sequence[Chunk], embeddings: np.ndarray) -> None: ...

    def update_metadata(self, chunks: Sequence[Chunk]) -> None: ...

    def delete(self, ids: Sequence[str]) -> None: ...

    def query(
        self, embedding: np.ndarray, k: int, filters: Filters | None = None
    ) -> list[tuple[Chunk, float]]: ...

    def get(self, ids: Sequence[str]) -> list[Chunk]: ...

    def vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]: ...

    def all_chunks(self) -> Iterator[Chunk]: ...

    def count(self) -> int: ...

    def reset(self, embed_model: str | None = None) -> None: ...


def _where(filters: Filters | None) -> dict[str, Any] | None:
    if filters is None or filters.is_empty():
        return None
    clauses: list[dict[str, Any]] = [
        {key: {"$in": list(values)}} for key, values in filters.membership()
    ]
    if filters.audience:
        clauses.append({"audience": filters.audience})
    if filters.min_updated_days:
        clauses.append(
            {"$or": [{"updated_days": {"$gte": filters.min_updated_days}}, {"updated_days": 0}]}
        )
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


class ChromaStore:
    """Chunks in one Chroma collection (cosine space) that records its embedding model."""

    def __init__(
        self, client: Any, collection: str, embed_model: str, rebuild: bool = False
    ) -> None:
        self._client = client
        self._name = collection
        self._embed_model = embed_model
        if rebuild:
            self._drop()
        self._col = self._open()

    @classmethod
    def open(
        cls,
        kb: Path,
        embed_model: str,
        url: str | None = None,
        collection: str = "pitchcraft",
        rebuild: bool = False,
    ) -> ChromaStore:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        logging.getLogger("chromadb.telemetry").setLevel(logging.CRITICAL)
        chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=True)
        if url:
            parsed = urlparse(url if "://" in url else f"http://{url}")
            try:
                client = chromadb.HttpClient(
                    host=parsed.hostname or "127.0.0.1",
                    port=parsed.port or 8000,
                    ssl=parsed.scheme == "https",
                    settings=chroma_settings,
                )
                client.heartbeat()
            except Exception as exc:
                raise ConfigError(f"cannot reach the Chroma server at {url}: {exc}") from None
        else:
            kb.mkdir(parents=True, exist_ok=True)
            client = chromadb.PersistentClient(path=str(kb / "chroma"), settings=chroma_settings)
        return cls(client, collection, embed_model, rebuild=rebuild)

    def _open(self) -> Any:
        col = self._client.get_or_create_collection(
            self._name,
            embedding_function=None,
            configuration={"hnsw": {"space": "cosine"}},
            metadata={"embed_model": self._embed_model, "dim": 0},
        )
        recorded = (col.metadata or {}).get("embed_model")
        if recorded and recorded != self._embed_model:
            raise ConfigError(
                f"the knowledge store was built with embedding model {recorded!r}, not "
                f"{self._embed_model!r}; set PITCHCRAFT_EMBED_BACKEND=auto to follow the store, "
                "or run `pitchcraft ingest --rebuild PATH...` to re-embed"
            )
        return col

    @property
    def info(self) -> StoreInfo:
        md = self._col.metadata or {}
        return StoreInfo(embed_model=str(md.get("embed_model", "")), dim=int(md.get("dim", 0)))

    def _batches(self, n: int) -> Iterator[slice]:
        size = max(1, min(self._client.get_max_batch_size(), 1000))
        for start in range(0, n, size):
            yield slice(start, start + size)

    def _check_dim(self, dim: int) -> None:
        recorded = self.info.dim
        if recorded and recorded != dim:
            raise ConfigError(
                f"the knowledge store holds {recorded}-dimensional vectors but the model gives "
                f"{dim}; run `pitchcraft ingest --rebuild PATH...`"
            )
        if not recorded:
            self._col.modify(metadata={"embed_model": self._embed_model, "dim": dim})

    def upsert(self, chunks: Sequence[Chunk], embeddings: np.ndarray) -> None:
        if not chunks:
            return
        self._check_dim(int(embeddings.shape[1]))
        for s in self._batches(len(chunks)):
            part = chunks[s]
            self._col.upsert(
                ids=[c.id for c in part],
                embeddings=embeddings[s],
                documents=[c.text for c in part],
                metadatas=[c.to_metadata() for c in part],
            )

    def update_metadata(self, chunks: Sequence[Chunk]) -> None:
        for s in self._batches(len(chunks)):
            part = chunks[s]
            self._col.update(ids=[c.id for c in part], metadatas=[c.to_metadata() for c in part])

    def delete(self, ids: Sequence[str]) -> None:
        ids = list(ids)
        for s in self._batches(len(ids)):
            self._col.delete(ids=ids[s])

    def query(
        self, embedding: np.ndarray, k: int, filters: Filters | None = None
    ) -> list[tuple[Chunk, float]]:
        if k <= 0:
            return []
        res = self._col.query(
            query_embeddings=[np.asarray(embedding, dtype=np.float32)],
            n_results=k,
            where=_where(filters),
            include=["documents", "metadatas", "distances"],
        )
        out = []
        for cid, text, md, dist in zip(
            res["ids"][0],
            res["documents"][0],
            res["metadatas"][0],
            res["distances"][0],
            strict=True,
        ):
            out.append((Chunk.from_metadata(cid, text or "", dict(md or {})), 1.0 - float(dist)))
        return out

    def get(self, ids: Sequence[str]) -> list[Chunk]:
        ids = list(ids)
        found: dict[str, Chunk] = {}
        for s in self._batches(len(ids)):
            res = self._col.get(ids=ids[s], include=["documents", "metadatas"])
            for cid, text, md in zip(res["ids"], res["documents"], res["metadatas"], strict=True):
                found[cid] = Chunk.from_metadata(cid, text or "", dict(md or {}))
        return [found[i] for i in ids if i in found]

    def vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored vectors by chunk id (ids without one are left out)."""
        ids = list(dict.fromkeys(ids))
        out: dict[str, np.ndarray] = {}
        for s in self._batches(len(ids)):
            res = self._col.get(ids=ids[s], include=["embeddings"])
            for cid, vec in zip(res["ids"], res["embeddings"], strict=True):
                out[cid] = np.asarray(vec, dtype=np.float32)
        return out

    def all_chunks(self) -> Iterator[Chunk]:
        total = self._col.count()
        page = 2000
        for offset in range(0, total, page):
            res = self._col.get(limit=page, offset=offset, include=["documents", "metadatas"])
            for cid, text, md in zip(res["ids"], res["documents"], res["metadatas"], strict=True):
                yield Chunk.from_metadata(cid, text or "", dict(md or {}))

    def count(self) -> int:
        return int(self._col.count())

    def _drop(self) -> None:
        if any(getattr(c, "name", c) == self._name for c in self._client.list_collections()):
            self._client.delete_collection(self._name)

    def reset(self, embed_model: str | None = None) -> None:
        """Drop the collection and start an empty one (for ``embed_model`` if given)."""
        self._embed_model = embed_model or self._embed_model
        self._drop()
        self._col = self._open()
