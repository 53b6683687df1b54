"""Incremental sync (criterion 3) and the real corpora ingested end to end (criterion 6)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from filelock import FileLock

from assistant.core.errors import ConfigError, LockedError
from assistant.index.embeddings import HashingEmbedder
from assistant.index.filters import Filters
from assistant.index.kb import KnowledgeBase
from assistant.index.store import ChromaStore
from assistant.ingest.chunking import PIPELINE_VERSION
from assistant.ingest.pipeline import ingest

ROOT = Path(__file__).resolve().parent.parent
POSTHOG = ROOT.parent / "shared" / "corpora" / "posthog"


def section(title: str, word: str, n: int = 3) -> str:
    paras = [f"{title} paragraph {i} mentions {word} and other plain words." for i in range(n)]
    return f"## {title}\n\n" + "\n\n".join(paras)


def make_corpus(root: Path) -> Path:
    """A small folder: three Markdown files with several sections each, and a text file."""
    files = {
        "products/vault.md": "# Vault\n\n"
        + "\n\n".join(
            section(t, w) for t, w in [("SSO", "saml"), ("Keys", "hsm"), ("Audit", "siem")]
        ),
        "products/flow.md": "# Flow\n\n"
        + "\n\n".join(section(t, w) for t, w in [("Connectors", "erp"), ("Streams", "cdc")]),
        "battlecards/zeta.md": "# Us vs Zeta\n\n"
        + "\n\n".join(section(t, w) for t, w in [("Positioning", "openness"), ("Pricing", "tco")]),
        "notes.txt": "Release notes.\n\nThe zebraphone feature shipped in March.",
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def ids_by_source(kb: KnowledgeBase) -> dict[str, list[str]]:
    return {d.source: kb.manifest.chunk_ids(d.source) for d in kb.manifest.documents()}


def store_ids(kb: KnowledgeBase) -> set[str]:
    return {c.id for c in kb.store.all_chunks()}


def assert_consistent(kb: KnowledgeBase) -> None:
    """Manifest, vector store and lexical index hold exactly the same chunks."""
    manifest_ids = kb.manifest.all_chunk_ids()
    assert store_ids(kb) == manifest_ids
    assert kb.lexical_is_current()
    assert set(kb.lexical.ids) == manifest_ids
    assert len(kb.lexical.ids) == len(manifest_ids)
    for d in kb.manifest.documents():
        assert d.chunks == len(kb.manifest.chunk_ids(d.source))


def forbid_embedding(monkeypatch: pytest.MonkeyPatch, kb: KnowledgeBase) -> None:
    def boom(texts: Sequence[str]) -> np.ndarray:
        raise AssertionError(f"embed() was called with {len(texts)} texts")

    monkeypatch.setattr(kb.embedder, "embed", boom)


def record_embedding(monkeypatch: pytest.MonkeyPatch, kb: KnowledgeBase) -> list[str]:
    seen: list[str] = []
    real = kb.embedder.embed

    def spy(texts: Sequence[str]) -> np.ndarray:
        seen.extend(texts)
        return real(texts)

    monkeypatch.setattr(kb.embedder, "embed", spy)
    return seen


# -- unchanged, edited, deleted -------------------------------------------------------------


def test_unchanged_corpus_embeds_nothing(
    hash_kb: KnowledgeBase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = make_corpus(tmp_path / "src")
    first = ingest(hash_kb, [src])
    sources = ["battlecards/zeta.md", "notes.txt", "products/flow.md", "products/vault.md"]
    assert sorted(first.added) == sources
    assert first.embedded == first.chunks == hash_kb.manifest.count_chunks() >= 8
    assert_consistent(hash_kb)
    generation = hash_kb.manifest.generation

    forbid_embedding(monkeypatch, hash_kb)
    again = ingest(hash_kb, [src])
    assert sorted(again.unchanged) == sources
    assert (again.added, again.updated, again.removed, again.failed) == ([], [], [], [])
    assert again.embedded == 0
    assert again.chunks == first.chunks
    assert hash_kb.manifest.generation == generation  # nothing was rewritten
    assert_consistent(hash_kb)

    # a second process (a new KnowledgeBase on the same folder) sees the same
    other = KnowledgeBase(hash_kb.settings, HashingEmbedder())
    forbid_embedding(monkeypatch, other)
    assert sorted(ingest(other, [src]).unchanged) == sources


def test_editing_one_file_reembeds_only_its_new_chunks(
    hash_kb: KnowledgeBase, knowledge_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest(hash_kb, [knowledge_copy])
    before = ids_by_source(hash_kb)
    target = "products/keelstone-vault.md"
    path = knowledge_copy / target
    text = path.read_text(encoding="utf-8")
    assert "## PII Guard" in text
    path.write_text(
        text.replace("## PII Guard\n", "## PII Guard\n\nNow with quokkaflux redaction.\n", 1),
        encoding="utf-8",
    )

    embedded_texts = record_embedding(monkeypatch, hash_kb)
    report = ingest(hash_kb, [knowledge_copy])
    after = ids_by_source(hash_kb)

    assert report.updated == [target]
    assert report.added == [] and report.failed == []
    assert sorted(report.unchanged) == sorted(s for s in before if s != target)
    new_ids = set(after[target]) - set(before[target])
    assert 0 < report.embedded == len(new_ids) < len(after[target])
    assert len(embedded_texts) == len(new_ids)
    assert all("PII Guard" in t for t in embedded_texts)
    # every other file's chunks are untouched in the manifest and still in the store
    for source, ids in before.items():
        if source != target:
            assert after[source] == ids
    in_store = store_ids(hash_kb)
    assert set().union(*(set(ids) for ids in after.values())) == in_store
    assert not (set(before[target]) - set(after[target])) & in_store  # stale vectors removed
    assert_consistent(hash_kb)
    hits = hash_kb.lexical.search("quokkaflux", 5)
    assert hits and all(cid in new_ids for cid, _ in hits)


def test_new_vectors_are_written_before_old_ones_are_deleted(
    hash_kb: KnowledgeBase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = make_corpus(tmp_path / "src")
    ingest(hash_kb, [src])
    old_ids = hash_kb.manifest.chunk_ids("products/vault.md")

    calls: list[tuple[str, list[str]]] = []
    store, manifest = hash_kb.store, hash_kb.manifest
    real_upsert, real_delete = store.upsert, store.delete
    real_replace = manifest.replace_document

    def upsert(chunks, embeddings) -> None:
        calls.append(("upsert", [c.id for c in chunks]))
        real_upsert(chunks, embeddings)

    def delete(ids) -> None:
        calls.append(("delete", list(ids)))
        real_delete(ids)

    def replace(source, *args) -> None:
        calls.append(("manifest", [source]))
        real_replace(source, *args)

    monkeypatch.setattr(store, "upsert", upsert)
    monkeypatch.setattr(store, "delete", delete)
    monkeypatch.setattr(manifest, "replace_document", replace)

    vault = src / "products/vault.md"
    vault.write_text(vault.read_text().replace("mentions hsm", "mentions kms"), encoding="utf-8")
    report = ingest(hash_kb, [src])
    new_ids = hash_kb.manifest.chunk_ids("products/vault.md")

    assert report.updated == ["products/vault.md"]
    assert [name for name, _ in calls] == ["upsert", "manifest", "delete"]
    assert set(calls[0][1]) == set(new_ids) - set(old_ids)
    assert set(calls[2][1]) == set(old_ids) - set(new_ids)
    assert calls[0][1] and calls[2][1]
    assert_consistent(hash_kb)


def test_deleted_file_is_missing_until_pruned(hash_kb: KnowledgeBase, knowledge_copy: Path) -> None:
    ingest(hash_kb, [knowledge_copy])
    before = ids_by_source(hash_kb)
    gone = "battlecards/pipewell.md"
    gone_ids = set(before[gone])
    assert hash_kb.lexical.search("Pipewell", 50, Filters(sources=(gone,)))
    (knowledge_copy / gone).unlink()

    kept = ingest(hash_kb, [knowledge_copy])
    assert kept.missing == [gone]
    assert kept.removed == [] and kept.failed == []
    assert hash_kb.manifest.document(gone) is not None
    assert gone_ids <= store_ids(hash_kb)
    assert gone_ids <= set(hash_kb.lexical.ids)

    count = hash_kb.store.count()
    pruned = ingest(hash_kb, [knowledge_copy], prune=True)
    assert pruned.removed == [gone]
    assert pruned.missing == [] and pruned.embedded == 0
    assert hash_kb.manifest.document(gone) is None
    assert hash_kb.store.count() == count - len(gone_ids)
    assert not gone_ids & store_ids(hash_kb)
    assert not gone_ids & set(hash_kb.lexical.ids)
    assert hash_kb.lexical.search("Pipewell", 50, Filters(sources=(gone,))) == []
    after = ids_by_source(hash_kb)
    assert after == {s: ids for s, ids in before.items() if s != gone}
    assert_consistent(hash_kb)


def test_rebuild_starts_over(hash_kb: KnowledgeBase, tmp_path: Path) -> None:
    src = make_corpus(tmp_path / "src")
    ingest(hash_kb, [src])
    (src / "notes.txt").unlink()  # gone, not pruned: still indexed until the rebuild
    orphan = set(hash_kb.manifest.chunk_ids("notes.txt"))
    assert orphan and orphan <= store_ids(hash_kb)
    generation = hash_kb.manifest.generation

    report = ingest(hash_kb, [src], rebuild=True)
    assert sorted(report.added) == ["battlecards/zeta.md", "products/flow.md", "products/vault.md"]
    assert report.unchanged == [] and report.missing == []
    assert report.embedded == report.chunks == hash_kb.store.count()
    assert not orphan & store_ids(hash_kb)
    assert hash_kb.manifest.document("notes.txt") is None
    # the generation only grows, so readers holding an older lexical index notice the change
    assert hash_kb.manifest.generation > generation
    assert_consistent(hash_kb)


def test_ingesting_a_single_file_and_keeping_its_source_name(
    hash_kb: KnowledgeBase, tmp_path: Path
) -> None:
    src = make_corpus(tmp_path / "src")
    single = ingest(hash_kb, [src / "products" / "vault.md"])
    assert single.added == ["vault.md"]  # a single file is named by its file name
    # the same file later seen through its folder keeps the name it was first given
    full = ingest(hash_kb, [src])
    assert "vault.md" in full.unchanged
    assert sorted(full.added) == ["battlecards/zeta.md", "notes.txt", "products/flow.md"]
    assert {d.source for d in hash_kb.manifest.documents()} == {
        "vault.md",
        "battlecards/zeta.md",
        "notes.txt",
        "products/flow.md",
    }
    assert_consistent(hash_kb)


def test_one_file_is_one_document_even_when_reached_twice(
    hash_kb: KnowledgeBase, tmp_path: Path
) -> None:
    src = make_corpus(tmp_path / "src")
    (src / "products" / "alias.md").symlink_to(src / "products" / "flow.md")
    report = ingest(hash_kb, [src, src / "products", src / "notes.txt"])
    assert sorted(report.added) == [
        "battlecards/zeta.md",
        "notes.txt",
        "products/flow.md",
        "products/vault.md",
    ]
    paths = [d.path for d in hash_kb.manifest.documents()]
    assert len(paths) == len(set(paths)) == 4
    again = ingest(hash_kb, [src / "products", src])
    assert sorted(again.unchanged) == sorted(report.added)
    assert again.added == again.updated == []
    assert_consistent(hash_kb)


def test_pipeline_change_rechunks_without_reembedding_same_text(
    hash_kb: KnowledgeBase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = make_corpus(tmp_path / "src")
    ingest(hash_kb, [src])
    monkeypatch.setattr("assistant.ingest.pipeline.PIPELINE_VERSION", PIPELINE_VERSION + "-next")
    forbid_embedding(monkeypatch, hash_kb)
    report = ingest(hash_kb, [src])
    assert len(report.updated) == 4 and report.embedded == 0
    assert {d.pipeline for d in hash_kb.manifest.documents()} == {PIPELINE_VERSION + "-next"}
    assert_consistent(hash_kb)


def test_front_matter_change_updates_metadata_in_place(
    hash_kb: KnowledgeBase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = make_corpus(tmp_path / "src")
    ingest(hash_kb, [src])
    before = hash_kb.manifest.chunk_ids("products/flow.md")
    flow = src / "products/flow.md"
    flow.write_text("---\nupdated: 2026-01-02\ncompetitor: Zeta\n---\n" + flow.read_text())
    forbid_embedding(monkeypatch, hash_kb)
    report = ingest(hash_kb, [src])
    assert report.updated == ["products/flow.md"] and report.embedded == 0
    assert hash_kb.manifest.chunk_ids("products/flow.md") == before
    stored = hash_kb.store.get(before)
    assert {c.meta.competitor for c in stored} == {"Zeta"}
    assert {c.meta.updated.isoformat() for c in stored} == {"2026-01-02"}
    assert_consistent(hash_kb)


# -- the lock -------------------------------------------------------------------------------


def test_second_ingest_waits_for_the_lock_then_fails(tmp_path: Path) -> None:
    from assistant.core.config import Settings

    src = make_corpus(tmp_path / "src")
    root = tmp_path / "kb"
    root.mkdir()
    kb = KnowledgeBase(Settings(kb=root, embed_model="hash", lock_timeout=0.5), HashingEmbedder())
    held = FileLock(str(root / ".ingest.lock"))
    with held:
        start = time.perf_counter()
        with pytest.raises(LockedError, match=r"another ingest is writing to .*waited 0\.5s"):
            ingest(kb, [src])
        assert time.perf_counter() - start >= 0.45
    assert kb.is_empty()  # nothing was written while locked out
    assert len(ingest(kb, [src]).added) == 4  # and the lock is free again afterwards


def cli_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PITCHCRAFT_")}
    env.update(PYTHONPATH=str(ROOT), PITCHCRAFT_EMBED_MODEL="hash", **extra)
    return env


def test_locked_ingest_from_the_command_line(tmp_path: Path) -> None:
    src = make_corpus(tmp_path / "src")
    root = tmp_path / "kb"
    root.mkdir()
    with FileLock(str(root / ".ingest.lock")):
        proc = subprocess.run(
            [sys.executable, "-m", "assistant", "--kb", str(root), "ingest", str(src)],
            capture_output=True,
            text=True,
            timeout=120,
            env=cli_env(PITCHCRAFT_LOCK_TIMEOUT="0.5"),
        )
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("pitchcraft: another ingest is writing to")
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""


# -- the embedding model --------------------------------------------------------------------


def test_store_built_with_another_model_needs_rebuild(
    hash_kb: KnowledgeBase, tmp_path: Path
) -> None:
    from assistant.core.config import Settings

    src = make_corpus(tmp_path / "src")
    ingest(hash_kb, [src])
    with pytest.raises(ConfigError, match=r"'hash'.*--rebuild"):
        ChromaStore.open(hash_kb.root, "all-MiniLM-L6-v2")

    other = KnowledgeBase(
        Settings(kb=hash_kb.root, embed_model="other-model"), HashingEmbedder("other-model")
    )
    with pytest.raises(ConfigError, match="--rebuild"):
        ingest(other, [src])  # even though no file changed
    report = ingest(other, [src], rebuild=True)
    assert len(report.added) == 4
    assert other.store.info.embed_model == "other-model"
    assert_consistent(other)


def test_chroma_default_embedding_function_is_never_called(
    hash_kb: KnowledgeBase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chromadb.utils import embedding_functions
    from chromadb.utils.embedding_functions.onnx_mini_lm_l6_v2 import ONNXMiniLM_L6_V2

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("Chroma's default embedding function was used")

    monkeypatch.setattr(embedding_functions.DefaultEmbeddingFunction, "__call__", forbidden)
    monkeypatch.setattr(ONNXMiniLM_L6_V2, "__call__", forbidden)
    monkeypatch.setattr(ONNXMiniLM_L6_V2, "_download_model_if_not_exists", forbidden)

    src = make_corpus(tmp_path / "src")
    ingest(hash_kb, [src])
    vault = src / "products/vault.md"
    vault.write_text(vault.read_text() + "\n\n## Backups\n\nNightly backups.\n")
    (src / "notes.txt").unlink()
    report = ingest(hash_kb, [src], prune=True)
    assert report.updated == ["products/vault.md"] and report.removed == ["notes.txt"]

    query = hash_kb.embedder.embed(["saml single sign-on"])[0]
    hits = hash_kb.store.query(query, 3, Filters(doc_types=("product",)))
    assert len(hits) == 3 and all(c.meta.doc_type == "product" for c, _ in hits)
    assert hits[0][0].source == "products/vault.md" and "saml" in hits[0][0].text
    reopened = KnowledgeBase(hash_kb.settings, HashingEmbedder())
    assert reopened.store.count() == hash_kb.manifest.count_chunks()
    assert reopened.store.query(query, 1)[0][0].id == hits[0][0].id


# -- the real corpora (real embedding model, session fixtures) -----------------------------


@pytest.mark.slow
def test_knowledge_folder_ingests_cleanly(knowledge_kb: KnowledgeBase) -> None:
    report = knowledge_kb.report  # type: ignore[attr-defined]
    assert report.failed == [] and report.warnings == []
    docs = knowledge_kb.manifest.documents()
    assert len(docs) >= 20
    types = {d.meta.doc_type for d in docs}
    assert {"product", "battlecard", "case_study", "pricing", "security", "internal"} <= types
    by_type = {t: [d for d in docs if d.meta.doc_type == t] for t in types}
    assert all(d.source.startswith("battlecards/") for d in by_type["battlecard"])
    assert {d.meta.competitor for d in by_type["battlecard"]} >= {"Brightfold", "Pipewell"}
    assert all(d.meta.audience == "internal" for d in by_type["internal"])
    internal_sources = {d.source for d in by_type["internal"]}
    for chunk in knowledge_kb.manifest.all_chunks():
        if chunk.source in internal_sources:
            assert chunk.audience == "internal"
    formats = {Path(d.source).suffix for d in docs}
    assert {".md", ".txt", ".pdf", ".html"} <= formats
    pdf = [d for d in docs if d.source.endswith(".pdf")]
    assert pdf and all(c.page for c in knowledge_kb.manifest.source_chunks(pdf[0].source))
    assert knowledge_kb.store.count() == knowledge_kb.manifest.count_chunks() == report.chunks
    assert knowledge_kb.store.info.embed_model == "all-MiniLM-L6-v2"
    assert knowledge_kb.store.info.dim == 384
    assert set(knowledge_kb.lexical.ids) == knowledge_kb.manifest.all_chunk_ids()


_COMPETITORS = {
    "posthog-vs-amplitude.md": "Amplitude",
    "posthog-vs-fullstory.md": "FullStory",
    "posthog-vs-heap.md": "Heap",
    "posthog-vs-hotjar.md": "Hotjar",
    "posthog-vs-launchdarkly.md": "LaunchDarkly",
    "posthog-vs-pendo.md": "Pendo",
}
_MARKUP = re.compile(r"(?m)^\s*(import|export)\s|</?[A-Za-z][\w.]*(\s[^<>\n]*)?/?>|className=")


@pytest.mark.slow
def test_posthog_corpus_ingests_every_file(posthog_kb: KnowledgeBase) -> None:
    report = posthog_kb.report  # type: ignore[attr-defined]
    assert report.failed == []
    expected = sorted(
        p.relative_to(POSTHOG).as_posix()
        for p in (POSTHOG / "contents").rglob("*")
        if p.suffix in {".md", ".mdx"}
    )
    assert len(expected) == 26
    docs = {d.source: d for d in posthog_kb.manifest.documents()}
    assert set(expected) <= set(docs)
    assert all(docs[s].chunks > 0 for s in expected)

    for name, competitor in _COMPETITORS.items():
        meta = docs[f"contents/blog/{name}"].meta
        assert (meta.doc_type, meta.competitor) == ("comparison", competitor)
        assert meta.updated is not None  # from the post's `date:`

    handbook = [s for s in expected if s.startswith("contents/handbook/")]
    assert len(handbook) == 10
    for source in handbook:
        assert docs[source].meta.doc_type == "internal"
        assert docs[source].meta.audience == "internal"
        chunks = posthog_kb.manifest.source_chunks(source)
        if source.endswith("/customer-faqs.md"):
            # a customer FAQ kept in the handbook: its answered questions are for customers
            assert {c.audience for c in chunks if c.role == "qa"} == {"customer-safe"}
            assert {c.audience for c in chunks if c.role != "qa"} <= {"internal"}
        else:
            assert {c.audience for c in chunks} == {"internal"}

    assert docs["contents/docs/feature-flags/index.mdx"].meta.doc_type == "product"
    assert docs["contents/docs/feature-flags/index.mdx"].meta.product == "Feature Flags"
    assert docs["contents/docs/session-replay/index.mdx"].meta.product == "Session Replay"

    leftovers = [
        (c.source, m.group(0))
        for c in posthog_kb.manifest.all_chunks()
        if (m := _MARKUP.search(c.text)) and "```" not in c.text
    ]
    assert leftovers == []
    assert posthog_kb.store.count() == posthog_kb.manifest.count_chunks()
