"""Incremental ingest: load → chunk → embed → store, keeping manifest, vectors and the
lexical index in step.

Per file the order is: new vectors are written, then the manifest swaps to the new chunk set
in one transaction, then vectors that are no longer referenced are deleted. Unchanged files
(same bytes, same pipeline) are skipped without loading the model. A file lock serialises
writers, because Chroma's embedded mode is not process-safe.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

import numpy as np
from filelock import FileLock, Timeout

from assistant.core.errors import IngestError, LockedError
from assistant.core.records import Chunk, Document
from assistant.index.kb import KnowledgeBase
from assistant.index.manifest import DocRecord
from assistant.ingest.chunking import PIPELINE_VERSION, Chunker
from assistant.ingest.loaders import check_file, load_file, scan, source_digest
from assistant.ingest.meta import INTERNAL_LABEL_RE
from assistant.understand.corrections import (
    FILE_NAME,
    Corrections,
    Saved,
    corrections_for,
    read_saved,
    save_corrections,
)
from assistant.understand.roles import RoleClassifier

ProgressCallback = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # files of a type that is not read
    failed: list[dict[str, str]] = field(default_factory=list)
    warnings: list[dict[str, str]] = field(default_factory=list)
    embedded: int = 0
    chunks: int = 0
    seconds: float = 0.0

    def to_json(self) -> dict:
        return {
            "added": len(self.added),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "removed": len(self.removed),
            "failed": self.failed,
            "warnings": self.warnings,
            "missing": self.missing,
            "skipped": self.skipped,
            "embedded": self.embedded,
            "chunks": self.chunks,
            "seconds": round(self.seconds, 3),
            "sources": {"added": self.added, "updated": self.updated, "removed": self.removed},
        }

    def summary(self) -> str:
        return (
            f"Ingested in {self.seconds:.1f}s: {len(self.added)} added, {len(self.updated)} "
            f"updated, {len(self.unchanged)} unchanged, {len(self.removed)} removed, "
            f"{len(self.failed)} failed; {self.embedded} chunks embedded, {self.chunks} chunks "
            "in the store."
        )

    def skipped_note(self) -> str:
        """One line on the files left unread, counted by type ("" when none was)."""
        if not self.skipped:
            return ""
        kinds = Counter(PurePosixPath(s).suffix.lower() or "no extension" for s in self.skipped)
        counts = ", ".join(f"{kind} {n}" for kind, n in sorted(kinds.items()))
        return (
            f"skipped {len(self.skipped)} file(s) of types not read ({counts}): only Markdown, "
            "text, HTML and PDF files are read"
        )

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


@dataclass
class _Pending:
    doc: Document
    path: Path
    chunks: list[Chunk]
    old_ids: list[str]
    is_new: bool


class _BackgroundEmbedding:
    """Embeds chunks on one worker thread, ``batch`` at a time, while the caller reads and
    chunks the next files (the model runs outside the GIL); vectors are collected in order."""

    def __init__(self, embed: Callable[[list[str]], np.ndarray], batch: int) -> None:
        self._embed = embed
        self._batch = batch
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pitchcraft-embed")
        self._queued: list[Chunk] = []
        self._jobs: list[tuple[list[Chunk], Future]] = []

    def close(self) -> None:
        self._pool.shutdown(cancel_futures=True)

    def add(self, chunks: Sequence[Chunk]) -> None:
        self._queued.extend(chunks)
        while len(self._queued) >= self._batch:
            self._submit(self._queued[: self._batch])
            self._queued = self._queued[self._batch :]

    def _submit(self, part: list[Chunk]) -> None:
        self._jobs.append((part, self._pool.submit(self._embed, [c.embed_text for c in part])))

    def vectors(self, tick: ProgressCallback) -> dict[str, np.ndarray]:
        """Every vector, waiting for the worker; ticks ``embedding`` as batches land."""
        if self._queued:
            self._submit(self._queued)
            self._queued = []
        total = sum(len(part) for part, _ in self._jobs)
        out: dict[str, np.ndarray] = {}
        for part, job in self._jobs:
            out.update(zip((c.id for c in part), job.result(), strict=True))
            tick("embedding", len(out), total)
        return out


def _lock(kb: KnowledgeBase, timeout: float) -> FileLock:
    kb.root.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(kb.root / ".ingest.lock"))
    try:
        lock.acquire(timeout=timeout)
    except Timeout:
        raise LockedError(
            f"another ingest is writing to {kb.root} (waited {timeout:g}s); "
            "try again when it finishes"
        ) from None
    return lock


def ingest(
    kb: KnowledgeBase,
    paths: Sequence[Path],
    prune: bool = False,
    rebuild: bool = False,
    progress: ProgressCallback | None = None,
    roots: Sequence[Path] | None = None,
) -> IngestReport:
    """Bring the knowledge base in line with ``paths``; see the module docstring.

    A folder's ``pitchcraft.yaml`` is validated first: a bad one stops the ingest before any
    work, with one line naming the file and the key. ``roots`` (resolved folders): every file
    read must lie inside one of them, symlinks followed (the app's server-side ingest).
    """
    personas = sorted(p.stem for p in (kb.settings.prompts_dir / "personas").glob("*.y*ml"))
    fixes = corrections_for(
        [p for p in paths if p.is_dir()], read_saved(kb.corrections_path), kb.roles.roles, personas
    )
    found, unread = scan(paths)
    report = _run(kb, lambda: found, prune, rebuild, progress, fixes, roots)
    report.skipped = [s for s in unread if PurePosixPath(s).name != FILE_NAME]
    return report


def ingest_files(
    kb: KnowledgeBase,
    files: Sequence[tuple[Path, PurePosixPath]],
    rebuild: bool = False,
    progress: ProgressCallback | None = None,
    roots: Sequence[Path] | None = None,
) -> IngestReport:
    """Ingest exactly ``files``, each ``(path, source)``: the source name is given, not derived
    from a folder (uploads keep their ``uploads/...`` name; a rebuild keeps every name).
    ``roots``: see ``ingest``."""
    return _run(kb, lambda: list(files), False, rebuild, progress, None, roots)


def _understood(
    chunk: Chunk,
    classifier: RoleClassifier,
    vector: np.ndarray | None,
    kb: KnowledgeBase,
    fixes: Corrections,
) -> Chunk:
    d = classifier.classify(chunk, vector)
    internal = chunk.internal
    if internal and d.role == "qa" and chunk.meta.extra.get("audience_from") == "folder":
        # A customer FAQ kept in an internal folder: its answers are meant for customers (a
        # section marked "(internal)" stays internal; sentences coaching the rep never count).
        where = f"{chunk.meta.title} {chunk.source}"
        marked = bool(INTERNAL_LABEL_RE.search(f"{chunk.heading}\n{chunk.text}"))
        internal = marked or not kb.conventions.matches("faq_page", where)
    role, confidence, reason = d.role, d.confidence, d.reason
    rule = fixes.rule_for(chunk.source)
    if rule:  # the enablement team's word beats what was read (sentences to an AI stay out)
        i, fix = rule
        if fix.role:
            role, confidence, reason = fix.role, 1.0, f"pitchcraft.yaml paths[{i}] ({fix.glob})"
        if fix.audience:
            internal = fix.audience == "internal"
    return replace(
        chunk,
        internal=internal,
        role=role,
        role_confidence=confidence,
        role_reason=reason,
        secondary_roles=tuple(r for r in d.secondary if r != role),
        blocked=d.blocked,
    )


def remove_document(kb: KnowledgeBase, source: str) -> DocRecord | None:
    """Delete one document: its vectors, its manifest rows and its place in the derived indexes,
    under the ingest lock. Returns what was removed (None if ``source`` is unknown). The
    document's file is left alone."""
    lock = _lock(kb, kb.settings.lock_timeout)
    try:
        record = kb.manifest.document(source)
        if record is None:
            return None
        ids = kb.manifest.chunk_ids(source)
        if ids:
            kb.store.delete(ids)
        kb.manifest.remove_document(source)
        kb.rebuild_derived()
        return record
    finally:
        lock.release()


def reingest_all(
    kb: KnowledgeBase,
    progress: ProgressCallback | None = None,
    roots: Sequence[Path] | None = None,
) -> IngestReport:
    """Start the store over and re-read every indexed document from its file, keeping each
    document's source name. Documents whose files are gone are reported as failed; with
    ``roots``, so are files outside them (the app's rebuild; uploads are always readable)."""
    files = [(Path(d.path), PurePosixPath(d.source)) for d in kb.manifest.documents()]
    allowed = [*roots, (kb.root / "uploads").resolve()] if roots is not None else None
    return ingest_files(kb, files, rebuild=True, progress=progress, roots=allowed)


def _run(
    kb: KnowledgeBase,
    find: Callable[[], list[tuple[Path, PurePosixPath]]],
    prune: bool,
    rebuild: bool,
    progress: ProgressCallback | None,
    fixes: Saved | None,
    roots: Sequence[Path] | None = None,
) -> IngestReport:
    """``fixes``: the corrections this ingest brings (``None`` keeps the stored ones). When
    they change, every file is understood again (its vectors are kept). ``roots``: see
    ``ingest``."""
    start = time.perf_counter()
    report = IngestReport()
    tick = progress or (lambda stage, done, total: None)
    lock = _lock(kb, kb.settings.lock_timeout)
    # kb.embedder is looked up per batch: a rebuild may choose the backend again
    embedding = _BackgroundEmbedding(
        lambda texts: kb.embedder.embed(texts), max(kb.settings.embed_batch_size * 4, 64)
    )
    try:
        if rebuild:
            kb.reset()
        # Open the vector store before anything else: a store built with another embedding
        # model (or an unreachable server) is a ConfigError even when no file has changed.
        _ = kb.store
        kb.record_embedder()
        manifest = kb.manifest
        by_path = {d.path: d.source for d in manifest.documents()}
        found = find()
        max_file_bytes = int(kb.settings.max_file_mb * 1024 * 1024)
        stored = kb.corrections()
        redo = fixes is not None and fixes.corrections.digest() != stored.digest()
        if fixes is not None:
            stored = fixes.corrections

        # 1. Load and chunk what changed; skip what did not (no model load needed). New
        # chunks are embedded on a worker thread meanwhile, in batches across files.
        pending: list[_Pending] = []
        for n, (path, rel) in enumerate(found, 1):
            tick("files", n, len(found))
            source = by_path.get(str(path.resolve()), str(rel))
            try:
                check_file(path, rel, max_file_bytes, roots)
                old = manifest.document(source)
                if (
                    old
                    and not redo
                    and old.pipeline == PIPELINE_VERSION
                    and old.sha256 == source_digest(path, rel)
                ):
                    report.unchanged.append(source)
                    continue
                doc, warning = load_file(path, rel)
                if source != doc.source:
                    doc = Document(source, doc.meta, doc.blocks, doc.sha256)
                if warning:
                    report.warnings.append({"path": source, "warning": warning})
                chunker = Chunker(
                    kb.embedder.count_tokens,
                    kb.embedder.max_tokens,
                    kb.settings.chunk_overlap_tokens,
                )
                chunks = chunker.chunk(doc)
                if not chunks:
                    raise IngestError(source, "no indexable text")
                old_ids = manifest.chunk_ids(source) if old else []
                pending.append(_Pending(doc, path, chunks, old_ids, old is None))
                kept = set(old_ids)
                embedding.add([c for c in chunks if c.id not in kept])
            except IngestError as exc:
                report.failed.append({"path": exc.path, "error": exc.reason})
            except OSError as exc:
                report.failed.append({"path": str(rel), "error": f"cannot read file ({exc})"})

        # 2. The vectors of every new chunk.
        vectors = embedding.vectors(tick)
        report.embedded = len(vectors)

        # 3. Understand every passage of the changed files: its role, and any sentence
        # addressed to an AI (never evidence). Kept chunks read their vectors back.
        if pending:
            tick("understanding", 0, len(pending))
            kept_ids = [c.id for p in pending for c in p.chunks if c.id not in vectors]
            vectors.update(kb.store.vectors(kept_ids))
            classifier = kb.role_classifier
            for n, p in enumerate(pending, 1):
                p.chunks = [
                    _understood(c, classifier, vectors.get(c.id), kb, stored) for c in p.chunks
                ]
                blocked = next((s for c in p.chunks for s in c.blocked), "")
                if blocked:
                    note = f"text addressed to an AI model, never used as evidence: {blocked!r}"
                    report.warnings.append({"path": p.doc.source, "warning": note[:180]})
                tick("understanding", n, len(pending))

        # 4. Write file by file: new vectors, manifest swap, then stale vectors out.
        for p in pending:
            source = p.doc.source
            try:
                old = set(p.old_ids)
                new = [c for c in p.chunks if c.id not in old]
                kept = [c for c in p.chunks if c.id in old]
                if new:
                    kb.store.upsert(new, np.stack([vectors[c.id] for c in new]))
                if kept:
                    kb.store.update_metadata(kept)
                manifest.replace_document(
                    source,
                    str(p.path.resolve()),
                    p.doc.sha256,
                    PIPELINE_VERSION,
                    p.doc.meta,
                    p.chunks,
                )
                stale = old - {c.id for c in p.chunks}
                if stale:
                    kb.store.delete(sorted(stale))
                (report.added if p.is_new else report.updated).append(source)
            except Exception as exc:
                report.failed.append({"path": source, "error": f"store write failed: {exc}"})

        if fixes is not None:  # kept only once every file was understood with them
            save_corrections(fixes, kb.corrections_path)

        # 5. Documents whose files are gone.
        for d in manifest.documents():
            if Path(d.path).exists():
                continue
            if prune:
                kb.store.delete(manifest.chunk_ids(d.source))
                manifest.remove_document(d.source)
                report.removed.append(d.source)
            else:
                report.missing.append(d.source)

        if report.changed or rebuild or redo or not kb.lexical_is_current():
            tick("lexical index", 0, 1)
            kb.rebuild_derived()
            tick("lexical index", 1, 1)
        report.chunks = manifest.count_chunks()
    finally:
        embedding.close()
        lock.release()
    report.seconds = time.perf_counter() - start
    return report
