"""Bad inputs: each is reported with its path and a one-line reason; good files still land
(criterion 4)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fpdf import FPDF

from assistant.cli import main
from assistant.index.kb import KnowledgeBase
from assistant.ingest.pipeline import IngestReport, ingest

AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def text_pdf(text: str) -> bytes:
    pdf = FPDF()
    pdf.set_title("Good PDF")
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, text)
    return bytes(pdf.output())


def encrypted_pdf() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.cell(0, 10, "Confidential roadmap")
    pdf.set_encryption(owner_password="owner-pw", user_password="secret")
    return bytes(pdf.output())


def scanned_pdf() -> bytes:
    """A page with only drawn shapes: what a scan without OCR looks like to a text extractor."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_fill_color(40, 40, 40)
    pdf.rect(20, 20, 120, 80, style="F")
    pdf.circle(x=100, y=180, radius=30, style="D")
    pdf.line(10, 250, 200, 270)
    return bytes(pdf.output())


GOOD = {
    "good/guide.md": "---\ntitle: Guide\n---\n# Guide\n\nThe onboarding guide explains setup.\n",
    "good/notes.txt": "Plain text notes about renewals.\n",
    "good/page.html": "<html><body><h1>Page</h1><p>An HTML page about audits.</p></body></html>",
}


def build_folder(root: Path) -> dict[str, str]:
    """Write good and bad files; return the bad ones with a phrase their reason must contain."""
    for rel, text in GOOD.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    (root / "good/report.pdf").write_bytes(text_pdf("Quarterly security report for buyers."))
    # Latin-1 bytes: not UTF-8, decoded with a warning, still ingested
    (root / "good/latin1.txt").write_bytes("Café crème, naïve façade: résumé.\n".encode("latin-1"))

    bad = root / "bad"
    bad.mkdir()
    full = text_pdf("This PDF will be cut in half.")
    (bad / "corrupt.pdf").write_bytes(full[: len(full) // 2])
    (bad / "encrypted.pdf").write_bytes(encrypted_pdf())
    (bad / "scanned.pdf").write_bytes(scanned_pdf())
    (bad / "empty.md").write_bytes(b"")
    (bad / "binary.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8)
    (bad / "bad-yaml.md").write_text("---\ntitle: [unclosed\ndoc_type: product\n---\n# X\n\nY\n")
    (bad / "bad-audience.md").write_text("---\naudience: everyone\n---\n# X\n\nBody.\n")
    os.symlink(bad / "does-not-exist.md", bad / "broken-link.md")
    expected = {
        "bad/corrupt.pdf": "corrupt or unreadable PDF",
        "bad/encrypted.pdf": "encrypted PDF",
        "bad/scanned.pdf": "no text layer",
        "bad/empty.md": "empty file",
        "bad/binary.md": "binary content",
        "bad/bad-yaml.md": "malformed front-matter",
        "bad/bad-audience.md": "unknown audience 'everyone'",
        "bad/broken-link.md": "cannot read file",
    }
    if not AS_ROOT:  # root reads anything, so a chmod 000 file is only unreadable for others
        locked = bad / "no-permission.md"
        locked.write_text("# Locked\n\nSecret.\n")
        locked.chmod(0)
        expected["bad/no-permission.md"] = "cannot read file"
    return expected


@pytest.fixture
def folder(tmp_path: Path) -> Iterator[tuple[Path, dict[str, str]]]:
    src = tmp_path / "src"
    src.mkdir()
    expected = build_folder(src)
    yield src, expected
    for path in src.rglob("*"):  # let pytest clean up the chmod 000 file
        if not path.is_symlink():
            path.chmod(0o644 if path.is_file() else 0o755)


GOOD_SOURCES = [
    "good/guide.md",
    "good/latin1.txt",
    "good/notes.txt",
    "good/page.html",
    "good/report.pdf",
]


def test_each_bad_file_is_reported_and_good_files_land(
    hash_kb: KnowledgeBase, folder: tuple[Path, dict[str, str]]
) -> None:
    src, expected = folder
    report = ingest(hash_kb, [src])

    failed = {f["path"]: f["error"] for f in report.failed}
    assert sorted(failed) == sorted(expected)
    for path, phrase in expected.items():
        reason = failed[path]
        assert phrase in reason, (path, reason)
        assert "\n" not in reason and 0 < len(reason) <= 200, (path, reason)
        assert "Traceback" not in reason

    assert sorted(report.added) == GOOD_SOURCES
    assert {d.source for d in hash_kb.manifest.documents()} == set(GOOD_SOURCES)
    for source in GOOD_SOURCES:
        assert hash_kb.manifest.chunk_ids(source), source
    assert hash_kb.store.count() == hash_kb.manifest.count_chunks() == report.chunks


def test_latin1_text_is_ingested_with_a_warning(
    hash_kb: KnowledgeBase, folder: tuple[Path, dict[str, str]]
) -> None:
    src, _ = folder
    report = ingest(hash_kb, [src])
    assert "good/latin1.txt" in report.added
    assert report.warnings == [
        {"path": "good/latin1.txt", "warning": report.warnings[0]["warning"]}
    ]
    assert "not UTF-8" in report.warnings[0]["warning"]
    (chunk,) = hash_kb.manifest.source_chunks("good/latin1.txt")
    assert chunk.text == "Café crème, naïve façade: résumé."
    assert report.to_json()["warnings"] == report.warnings


def test_invalid_front_matter_values(hash_kb: KnowledgeBase, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    cases = {
        "doc-type.md": ("---\ndoc_type: brochure\n---\nText.\n", "unknown doc_type 'brochure'"),
        "date.md": ("---\nupdated: last tuesday\n---\nText.\n", "not a date"),
        "personas.md": ("---\npersonas: {cio: 1}\n---\nText.\n", "'personas' must be a list"),
        "scalar.md": ("---\njust a string\n---\nText.\n", "malformed front-matter"),
    }
    for name, (text, _) in cases.items():
        (src / name).write_text(text)
    (src / "fine.md").write_text("---\naudience: internal\n---\nText.\n")
    report = ingest(hash_kb, [src])
    failed = {f["path"]: f["error"] for f in report.failed}
    assert sorted(failed) == sorted(cases)
    for name, (_, phrase) in cases.items():
        assert phrase in failed[name]
    assert report.added == ["fine.md"]


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, json.loads(out), err


def test_cli_exit_code_is_one_when_anything_failed(
    folder: tuple[Path, dict[str, str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("PITCHCRAFT_EMBED_MODEL", "hash")
    src, expected = folder
    code, data, _ = run_cli(["--kb", str(tmp_path / "kb1"), "ingest", str(src), "--json"], capsys)
    assert code == 1
    assert {f["path"] for f in data["failed"]} == set(expected)
    assert all(set(f) == {"path", "error"} for f in data["failed"])
    assert data["added"] == len(GOOD_SOURCES)

    code, data, _ = run_cli(
        ["--kb", str(tmp_path / "kb2"), "ingest", str(src / "good"), "--json"], capsys
    )
    assert (code, data["failed"], data["added"]) == (0, [], len(GOOD_SOURCES))

    # the human-readable report names every failure on its own line
    assert main(["--kb", str(tmp_path / "kb3"), "ingest", str(src)]) == 1
    out = capsys.readouterr().out
    for path in expected:
        assert f"FAILED  {path}: " in out


def test_files_of_types_not_read_are_reported_not_hidden(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A Drive or Notion export mixes in spreadsheets, Word files and images: the ingest says
    which files it did not read, by type, and an empty ``pitchcraft.yaml`` is no correction
    (nor an unread file)."""
    monkeypatch.setenv("PITCHCRAFT_EMBED_MODEL", "hash")
    src = tmp_path / "src"
    src.mkdir()
    (src / "guide.md").write_text("# Guide\n\nSetup steps for new admins.\n")
    (src / "pitchcraft.yaml").write_text("# corrections go here\n")
    for name in ("plan.docx", "pricing.csv", "img/logo.png", "img/chart.PNG", ".git/x.bin"):
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_bytes(b"x")
    code, data, _ = run_cli(["--kb", str(tmp_path / "kb"), "ingest", str(src), "--json"], capsys)
    assert (code, data["added"], data["failed"]) == (0, 1, [])
    assert data["skipped"] == ["img/chart.PNG", "img/logo.png", "plan.docx", "pricing.csv"]
    assert main(["--kb", str(tmp_path / "kb"), "ingest", str(src)]) == 0
    out = capsys.readouterr().out
    assert "skipped 4 file(s) of types not read (.csv 1, .docx 1, .png 2)" in out


def test_file_that_turns_corrupt_keeps_its_chunks(
    hash_kb: KnowledgeBase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "report.pdf").write_bytes(text_pdf("Quarterly security report for buyers."))
    (src / "guide.md").write_text("# Guide\n\nSetup steps for new admins.\n")
    first = ingest(hash_kb, [src])
    assert sorted(first.added) == ["guide.md", "report.pdf"]
    before = {s: hash_kb.manifest.chunk_ids(s) for s in ("guide.md", "report.pdf")}
    record = hash_kb.manifest.document("report.pdf")

    pdf_bytes = (src / "report.pdf").read_bytes()
    (src / "report.pdf").write_bytes(pdf_bytes[: len(pdf_bytes) // 3])
    (src / "guide.md").write_bytes(b"\x00\x01\x02binary garbage")

    report: IngestReport = ingest(hash_kb, [src], prune=True)
    failed = {f["path"]: f["error"] for f in report.failed}
    assert set(failed) == {"guide.md", "report.pdf"}
    assert "corrupt" in failed["report.pdf"] and "binary" in failed["guide.md"]
    assert report.updated == report.removed == report.missing == []
    # nothing lost: the last good version is still indexed everywhere
    assert hash_kb.manifest.document("report.pdf") == record
    for source, ids in before.items():
        assert hash_kb.manifest.chunk_ids(source) == ids
        assert [c.id for c in hash_kb.store.get(ids)] == ids
        assert set(ids) <= set(hash_kb.lexical.ids)
    assert hash_kb.lexical.search("quarterly security report", 3)

    monkeypatch.setenv("PITCHCRAFT_EMBED_MODEL", "hash")
    assert main(["--kb", str(hash_kb.root), "ingest", str(src), "--quiet"]) == 1
