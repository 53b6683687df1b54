"""Uploads (size, type and name checks; per-file outcomes; nothing written outside the KB) and
the knowledge-store edits the app needs: delete one document, rebuild keeping names."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.core.config import Settings
from assistant.ingest.pipeline import ingest, reingest_all, remove_document
from assistant.ingest.uploads import (
    UploadRejected,
    check_upload,
    delete_document,
    ingest_uploads,
    safe_name,
    uploads_dir,
)

GOOD = b"""---
title: Tidewater onboarding guide
doc_type: product
product: Keelstone Flow
---
# Tidewater onboarding

## Guided onboarding

Every new workspace gets a guided onboarding plan with a named onboarding engineer for the
first 45 days, weekly check-ins and a written go-live checklist.
"""


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("battlecard.md", "battlecard.md"),
        ("Q3 pricing (final).PDF", "Q3 pricing (final).pdf"),
        ("résumé notes.txt", "résumé notes.txt"),
        ("weird<>:|?*name.html", "weird-name.html"),
        ("..hidden.md", "hidden.md"),
        ("_draft.md", "draft.md"),
        ("a" * 300 + ".md", "a" * 117 + ".md"),
    ],
)
def test_safe_names_keep_what_is_readable(name: str, safe: str) -> None:
    assert safe_name(name) == safe


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd.md",
        "..\\..\\boot.ini.md",
        "/etc/cron.d/job.md",
        "docs/a.md",
        "..",
        "",
        "   ",
        "a\x00b.md",
    ],
)
def test_names_with_a_path_are_refused(name: str) -> None:
    with pytest.raises(UploadRejected):
        safe_name(name)


@pytest.mark.parametrize("name", ["tool.exe", "sheet.xlsx", "noext", "archive.tar.gz", "....md"])
def test_only_supported_types_are_accepted(name: str) -> None:
    with pytest.raises(UploadRejected, match=r"file type|extension|file name"):
        safe_name(name)


def test_size_limit_defaults_to_25_mb_and_is_configurable() -> None:
    settings = Settings()
    assert settings.upload_max_mb == 25
    assert check_upload("a.md", 25 * 1024 * 1024, settings) == "a.md"
    with pytest.raises(UploadRejected, match="limit is 25 MB"):
        check_upload("a.md", 25 * 1024 * 1024 + 1, settings)
    with pytest.raises(UploadRejected, match="empty"):
        check_upload("a.md", 0, settings)
    small = Settings(upload_max_mb=0.001)
    with pytest.raises(UploadRejected, match=r"limit is 0\.001 MB"):
        check_upload("a.md", 2000, small)


def test_a_batch_ingests_the_good_files_and_reports_each_bad_one(hash_kb, tmp_path: Path) -> None:
    kb = hash_kb
    kb.settings = kb.settings.model_copy(update={"upload_max_mb": 0.01})
    report = ingest_uploads(
        kb,
        [
            ("tidewater.md", GOOD),
            ("../../escape.md", GOOD),
            ("huge.md", b"x" * 20_000),
            ("run.exe", b"MZ"),
            ("broken.pdf", b"not a pdf at all"),
            ("Tidewater.md", GOOD),  # same name, other case: refused, not overwritten
        ],
    )
    by_name = {f.name: f for f in report.files}
    assert report.files[0].name == "tidewater.md"
    assert by_name["tidewater.md"].status == "added"
    assert by_name["tidewater.md"].source == "uploads/tidewater.md"
    assert by_name["../../escape.md"].status == "rejected"
    assert "folder path" in by_name["../../escape.md"].message
    assert by_name["huge.md"].status == "rejected" and "limit" in by_name["huge.md"].message
    assert by_name["run.exe"].status == "rejected" and ".exe" in by_name["run.exe"].message
    assert by_name["broken.pdf"].status == "failed" and "PDF" in by_name["broken.pdf"].message
    assert by_name["Tidewater.md"].status == "rejected"
    # Only the good file is on disk, inside the KB's uploads folder; nothing escaped.
    files = sorted(p.name for p in uploads_dir(kb).rglob("*") if p.is_file())
    assert files == ["tidewater.md"]
    assert not list(tmp_path.parent.rglob("escape.md"))
    docs = {d.source: d for d in kb.manifest.documents()}
    assert set(docs) == {"uploads/tidewater.md"}
    assert docs["uploads/tidewater.md"].meta.doc_type == "product"


def test_reupload_updates_and_a_failed_reupload_keeps_the_old_version(hash_kb) -> None:
    kb = hash_kb
    assert ingest_uploads(kb, [("notes.md", GOOD)]).files[0].status == "added"
    same = ingest_uploads(kb, [("notes.md", GOOD)]).files[0]
    assert same.status == "unchanged"
    changed = ingest_uploads(kb, [("notes.md", GOOD + b"\nAlso a 30-day pilot.\n")]).files[0]
    assert changed.status == "updated"
    before = kb.manifest.document("uploads/notes.md")
    bad = ingest_uploads(kb, [("notes.md", b"   \n")]).files[0]  # empty after stripping
    assert bad.status == "rejected" or bad.status == "failed"
    path = uploads_dir(kb) / "notes.md"
    assert path.read_bytes().endswith(b"30-day pilot.\n")  # the indexed version is still there
    assert kb.manifest.document("uploads/notes.md") == before
    assert not [p for p in uploads_dir(kb).iterdir() if p.name.startswith(".")]


def test_doc_type_files_the_upload_where_the_loaders_read_that_type(hash_kb) -> None:
    plain = b"# Orbitly\n\n## Weak spots\n\nOrbitly has no audit log export on its base plan.\n"
    report = ingest_uploads(hash_kb, [("orbitly.md", plain)], doc_type="battlecard")
    outcome = report.files[0]
    assert outcome.status == "added" and outcome.source == "uploads/battlecards/orbitly.md"
    meta = hash_kb.manifest.document(outcome.source).meta
    assert (meta.doc_type, meta.competitor) == ("battlecard", "Orbitly")
    with pytest.raises(ValueError, match="unknown document type"):
        ingest_uploads(hash_kb, [("x.md", plain)], doc_type="../../etc")


def test_remove_document_drops_vectors_rows_and_index_entries(hash_kb, knowledge_copy) -> None:
    kb = hash_kb
    ingest(kb, [knowledge_copy])
    source = "battlecards/pipewell.md"
    ids = kb.manifest.chunk_ids(source)
    assert ids and kb.store.get(ids)
    generation = kb.manifest.generation
    removed = remove_document(kb, source)
    assert removed is not None and removed.source == source
    assert kb.manifest.document(source) is None and not kb.manifest.chunk_ids(source)
    assert not kb.store.get(ids)
    assert kb.manifest.generation > generation and kb.lexical_is_current()
    assert not set(ids) & {cid for cid, _ in kb.lexical.search("Pipewell", 50, None)}
    assert (knowledge_copy / source).exists()  # the user's own file is left alone
    assert remove_document(kb, source) is None


def test_delete_document_removes_an_uploaded_file_too(hash_kb) -> None:
    ingest_uploads(hash_kb, [("retired.md", GOOD)])
    path = uploads_dir(hash_kb) / "retired.md"
    assert path.exists()
    assert delete_document(hash_kb, "uploads/retired.md") is not None
    assert not path.exists() and hash_kb.manifest.document("uploads/retired.md") is None


def test_reingest_all_keeps_every_source_name(hash_kb, knowledge_copy) -> None:
    kb = hash_kb
    ingest(kb, [knowledge_copy])
    ingest_uploads(kb, [("tidewater.md", GOOD)])
    before = {d.source for d in kb.manifest.documents()}
    (knowledge_copy / "battlecards" / "brightfold.md").unlink()
    report = reingest_all(kb)
    after = {d.source for d in kb.manifest.documents()}
    assert after == before - {"battlecards/brightfold.md"}
    assert [f["path"] for f in report.failed] == ["battlecards/brightfold.md"]
    assert report.chunks == kb.store.count() == kb.manifest.count_chunks()
