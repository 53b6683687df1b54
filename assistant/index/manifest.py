"""The manifest: file → content hash → chunks, in one SQLite file in the KB folder.

It is the source of truth for what is ingested. Each document's rows change in one
transaction, so a crash leaves either the old or the new version of a file, never a mix.
The lexical index and status are built from it; vectors live in the ``Store``.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant.core.records import Chunk, DocMeta
from assistant.core.sqlite import connect

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    source TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    pipeline TEXT NOT NULL,
    doc_type TEXT NOT NULL,
    title TEXT NOT NULL,
    product TEXT NOT NULL,
    competitor TEXT NOT NULL,
    audience TEXT NOT NULL,
    updated TEXT NOT NULL,
    personas TEXT NOT NULL,
    chunks INTEGER NOT NULL,
    ingested_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    ordinal INTEGER NOT NULL,
    text TEXT NOT NULL,
    meta TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_source ON chunks (source, ordinal);
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass(frozen=True)
class DocRecord:
    source: str
    path: str
    sha256: str
    pipeline: str
    meta: DocMeta
    chunks: int
    ingested_at: str


class Manifest:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = connect(path, check_same_thread=False)
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        self._db.close()

    # -- key/value ------------------------------------------------------------------------------
    def get(self, key: str, default: str = "") -> str:
        row = self._db.execute("SELECT value FROM kv WHERE key=?", (key,)).fetchone()
        return row[0] if row else default

    def set(self, key: str, value: str) -> None:
        with self._db:
            self._db.execute("INSERT OR REPLACE INTO kv VALUES (?, ?)", (key, value))

    # -- documents ------------------------------------------------------------------------------
    @staticmethod
    def _doc(row: sqlite3.Row | tuple) -> DocRecord:
        (
            source,
            path,
            sha,
            pipeline,
            doc_type,
            title,
            product,
            competitor,
            audience,
            updated,
            personas,
            chunks,
            ingested_at,
        ) = row
        meta = DocMeta(
            doc_type=doc_type,
            product=product,
            competitor=competitor,
            audience=audience,
            updated=dt.date.fromisoformat(updated) if updated else None,
            personas=tuple(p for p in personas.split(",") if p),
            title=title,
        )
        return DocRecord(source, path, sha, pipeline, meta, chunks, ingested_at)

    def documents(self) -> list[DocRecord]:
        rows = self._db.execute("SELECT * FROM documents ORDER BY source").fetchall()
        return [self._doc(r) for r in rows]

    def document(self, source: str) -> DocRecord | None:
        row = self._db.execute("SELECT * FROM documents WHERE source=?", (source,)).fetchone()
        return self._doc(row) if row else None

    def chunk_ids(self, source: str) -> list[str]:
        rows = self._db.execute(
            "SELECT id FROM chunks WHERE source=? ORDER BY ordinal", (source,)
        ).fetchall()
        return [r[0] for r in rows]

    def replace_document(
        self,
        source: str,
        path: str,
        sha256: str,
        pipeline: str,
        meta: DocMeta,
        chunks: Sequence[Chunk],
    ) -> None:
        """Swap in a document's new chunk rows atomically."""
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        with self._db:
            self._db.execute("DELETE FROM chunks WHERE source=?", (source,))
            self._db.executemany(
                "INSERT OR REPLACE INTO chunks VALUES (?, ?, ?, ?, ?)",
                [(c.id, source, c.ordinal, c.text, json.dumps(c.to_metadata())) for c in chunks],
            )
            self._db.execute(
                "INSERT OR REPLACE INTO documents VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    source,
                    path,
                    sha256,
                    pipeline,
                    meta.doc_type,
                    meta.title,
                    meta.product,
                    meta.competitor,
                    meta.audience,
                    meta.updated.isoformat() if meta.updated else "",
                    ",".join(meta.personas),
                    len(chunks),
                    now,
                ),
            )
            self._bump()

    def remove_document(self, source: str) -> None:
        with self._db:
            self._db.execute("DELETE FROM chunks WHERE source=?", (source,))
            self._db.execute("DELETE FROM documents WHERE source=?", (source,))
            self._bump()

    def _bump(self) -> None:
        """Advance the generation counter (inside the caller's transaction)."""
        self._db.execute(
            "INSERT INTO kv VALUES ('generation', '1') ON CONFLICT(key) "
            "DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )

    @property
    def generation(self) -> int:
        """Changes whenever any document changes; derived indexes record the one they saw."""
        return int(self.get("generation", "0"))

    def clear(self) -> None:
        with self._db:
            self._db.execute("DELETE FROM chunks")
            self._db.execute("DELETE FROM documents")
            # Keep the generation counter: it must only grow, or a reader that saw generation N
            # before the rebuild would not notice when the rebuilt store reaches N again.
            self._db.execute("DELETE FROM kv WHERE key != 'generation'")
            self._bump()

    # -- chunks ---------------------------------------------------------------------------------
    @staticmethod
    def _chunk(row: tuple) -> Chunk:
        cid, text, meta = row
        return Chunk.from_metadata(cid, text, json.loads(meta))

    def chunks(self, ids: Sequence[str]) -> list[Chunk]:
        """Chunks by id, in the order asked; unknown ids are skipped."""
        found: dict[str, Chunk] = {}
        ids = list(ids)
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            marks = ",".join("?" * len(part))
            rows = self._db.execute(
                f"SELECT id, text, meta FROM chunks WHERE id IN ({marks})", part
            ).fetchall()
            found.update((r[0], self._chunk(r)) for r in rows)
        return [found[i] for i in ids if i in found]

    def source_chunks(self, source: str) -> list[Chunk]:
        rows = self._db.execute(
            "SELECT id, text, meta FROM chunks WHERE source=? ORDER BY ordinal", (source,)
        ).fetchall()
        return [self._chunk(r) for r in rows]

    def chunks_of_type(self, *doc_types: str) -> list[Chunk]:
        """Every chunk of documents with one of ``doc_types``, in document order."""
        marks = ",".join("?" * len(doc_types))
        rows = self._db.execute(
            "SELECT c.id, c.text, c.meta FROM chunks c JOIN documents d ON c.source = d.source "
            f"WHERE d.doc_type IN ({marks}) ORDER BY c.source, c.ordinal",
            doc_types,
        ).fetchall()
        return [self._chunk(r) for r in rows]

    def chunks_with_role(self, *roles: str) -> list[Chunk]:
        """Every chunk whose role (or one of its secondary roles) is one of ``roles``."""
        clauses = " OR ".join(
            ["json_extract(meta, '$.role') IN (" + ",".join("?" * len(roles)) + ")"]
            + ["(',' || json_extract(meta, '$.secondary_roles') || ',') LIKE ?"] * len(roles)
        )
        rows = self._db.execute(
            f"SELECT id, text, meta FROM chunks WHERE {clauses} ORDER BY source, ordinal",
            [*roles, *(f"%,{r},%" for r in roles)],
        ).fetchall()
        return [self._chunk(r) for r in rows]

    def chunks_containing(self, phrase: str) -> list[Chunk]:
        """Every chunk whose text contains ``phrase`` (case-insensitive), in document order."""
        rows = self._db.execute(
            "SELECT id, text, meta FROM chunks WHERE instr(lower(text), ?) > 0 "
            "ORDER BY source, ordinal",
            (phrase.lower(),),
        ).fetchall()
        return [self._chunk(r) for r in rows]

    def all_chunks(self) -> Iterator[Chunk]:
        cur = self._db.execute("SELECT id, text, meta FROM chunks ORDER BY source, ordinal")
        for row in cur:
            yield self._chunk(row)

    def count_chunks(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0])

    def all_chunk_ids(self) -> set[str]:
        return {r[0] for r in self._db.execute("SELECT id FROM chunks")}
