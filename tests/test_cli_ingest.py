"""The command-line contract for `ingest` and `status` (criterion 7)."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant import __version__
from assistant.cli import main

ROOT = Path(__file__).resolve().parent.parent
INGEST_KEYS = {"added", "updated", "unchanged", "removed", "failed", "chunks", "seconds"}
STATUS_DOC_KEYS = {"source", "doc_type", "chunks", "updated", "stale"}


@pytest.fixture(autouse=True)
def _hash_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PITCHCRAFT_EMBED_MODEL", "hash")


def days_ago(n: int) -> str:
    return (dt.date.today() - dt.timedelta(days=n)).isoformat()


def make_docs(root: Path) -> Path:
    docs = {
        "battlecards/old-rival.md": ("battlecard", days_ago(100)),
        "battlecards/new-rival.md": ("battlecard", days_ago(30)),
        "products/mid-age.md": ("product", days_ago(200)),
        "products/ancient.md": ("product", days_ago(400)),
    }
    for rel, (doc_type, updated) in docs.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            f"---\ndoc_type: {doc_type}\nupdated: {updated}\n---\n# {path.stem}\n\n"
            f"## Overview\n\nText about {path.stem}.\n\n## Detail\n\nMore text.\n",
            encoding="utf-8",
        )
    (root / "products" / "undated.txt").write_text("Undated notes.\n", encoding="utf-8")
    return root


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_ingest_json_is_the_only_stdout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = make_docs(tmp_path / "src")
    kb = tmp_path / "kb"
    code, out, _ = run(capsys, "--kb", str(kb), "ingest", str(src), "--json")
    assert code == 0
    data = json.loads(out)  # the whole of stdout is one JSON document
    assert set(data) >= INGEST_KEYS
    assert (data["added"], data["updated"], data["unchanged"], data["removed"]) == (5, 0, 0, 0)
    assert data["failed"] == []
    assert isinstance(data["chunks"], int) and data["chunks"] >= 9
    assert isinstance(data["seconds"], float) and data["seconds"] >= 0

    code, out, _ = run(capsys, "--kb", str(kb), "ingest", str(src), "--json")
    data = json.loads(out)
    assert (code, data["added"], data["unchanged"], data["embedded"]) == (0, 0, 5, 0)

    (src / "products" / "ancient.md").unlink()
    code, out, _ = run(capsys, "--kb", str(kb), "ingest", str(src), "--prune", "--json")
    data = json.loads(out)
    assert (code, data["removed"], data["unchanged"]) == (0, 1, 4)

    code, out, _ = run(capsys, "--kb", str(kb), "ingest", str(src), "--rebuild", "--json")
    data = json.loads(out)
    assert (code, data["added"], data["unchanged"]) == (0, 4, 0)


def test_ingest_text_output_is_a_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = make_docs(tmp_path / "src")
    code, out, _ = run(capsys, "--kb", str(tmp_path / "kb"), "ingest", str(src), "--quiet")
    assert code == 0
    assert "5 added, 0 updated, 0 unchanged, 0 removed, 0 failed" in out
    (src / "products" / "undated.txt").unlink()
    code, out, _ = run(capsys, "--kb", str(tmp_path / "kb"), "ingest", str(src))
    assert code == 0
    assert "still indexed (use --prune to remove them): products/undated.txt" in out


def test_status_json_and_stale_flags(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = make_docs(tmp_path / "src")
    kb = str(tmp_path / "kb")
    assert main(["--kb", kb, "ingest", str(src), "--json"]) == 0
    capsys.readouterr()

    code, out, _ = run(capsys, "--kb", kb, "status", "--json")
    assert code == 0
    data = json.loads(out)
    assert {"documents", "chunks", "embed_model"} <= set(data)
    assert data["embed_model"] == "hash"
    docs = {d["source"]: d for d in data["documents"]}
    assert all(set(d) >= STATUS_DOC_KEYS for d in docs.values())
    assert data["chunks"] == sum(d["chunks"] for d in docs.values())
    assert docs["battlecards/old-rival.md"]["updated"] == days_ago(100)
    assert docs["products/undated.txt"]["updated"] is None
    assert {s: d["stale"] for s, d in docs.items()} == {
        "battlecards/old-rival.md": True,  # battlecard > 90 days
        "battlecards/new-rival.md": False,
        "products/mid-age.md": False,  # product at 200 days
        "products/ancient.md": True,  # > 365 days
        "products/undated.txt": False,  # no date, no verdict
    }
    assert {s: d["doc_type"] for s, d in docs.items()}["battlecards/new-rival.md"] == "battlecard"


def test_stale_limits_are_configurable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    src = make_docs(tmp_path / "src")
    kb = str(tmp_path / "kb")
    assert main(["--kb", kb, "ingest", str(src), "--json"]) == 0
    capsys.readouterr()

    def stale() -> dict[str, bool]:
        code, out, _ = run(capsys, "--kb", kb, "status", "--json")
        assert code == 0
        return {d["source"]: d["stale"] for d in json.loads(out)["documents"]}

    monkeypatch.setenv("PITCHCRAFT_STALE_DAYS_BATTLECARD", "20")
    assert stale()["battlecards/new-rival.md"] is True
    monkeypatch.setenv("PITCHCRAFT_STALE_DAYS_BATTLECARD", "120")
    assert stale()["battlecards/old-rival.md"] is False
    monkeypatch.setenv("PITCHCRAFT_STALE_DAYS_DEFAULT", "150")
    assert stale()["products/mid-age.md"] is True


def test_kb_option_before_or_after_the_subcommand(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = make_docs(tmp_path / "src")
    after = tmp_path / "kb-after"
    code, out, _ = run(capsys, "ingest", str(src), "--kb", str(after), "--json")
    assert code == 0 and json.loads(out)["added"] == 5
    assert (after / "manifest.sqlite").exists()
    assert not (tmp_path / ".pitchcraft").exists()  # the default was not used

    code, out, _ = run(capsys, "--json", "--kb", str(after), "status")
    assert code == 0 and len(json.loads(out)["documents"]) == 5
    code, out, _ = run(capsys, "status", "--kb", str(after), "--json")
    assert code == 0 and len(json.loads(out)["documents"]) == 5


def test_kb_from_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    src = make_docs(tmp_path / "src")
    monkeypatch.setenv("PITCHCRAFT_KB", str(tmp_path / "env-kb"))
    code, out, _ = run(capsys, "ingest", str(src), "--json")
    assert code == 0 and json.loads(out)["added"] == 5
    assert (tmp_path / "env-kb" / "manifest.sqlite").exists()


def test_bad_usage_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "--kb", str(tmp_path / "kb"), "ingest", str(tmp_path / "nope"))
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [f"pitchcraft: {tmp_path / 'nope'}: no such file or folder"]

    with pytest.raises(SystemExit) as exc:
        main(["ingest"])  # no PATH
    assert exc.value.code == 2


def test_store_built_with_another_model_via_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    src = make_docs(tmp_path / "src")
    kb = str(tmp_path / "kb")
    assert main(["--kb", kb, "ingest", str(src), "--quiet"]) == 0
    capsys.readouterr()
    monkeypatch.setenv("PITCHCRAFT_EMBED_MODEL", "all-MiniLM-L6-v2")
    code, out, err = run(capsys, "--kb", kb, "ingest", str(src), "--json")
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "--rebuild" in err


def test_real_subprocess_ingest_and_version(tmp_path: Path) -> None:
    src = make_docs(tmp_path / "src")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PITCHCRAFT_")}
    env.update(PYTHONPATH=str(ROOT), PITCHCRAFT_EMBED_MODEL="hash")
    python = [sys.executable, "-m", "assistant"]

    version = subprocess.run(
        [*python, "--version"], capture_output=True, text=True, env=env, timeout=60
    )
    assert version.returncode == 0
    assert version.stdout.strip() == f"pitchcraft {__version__}"

    proc = subprocess.run(
        [*python, "--kb", str(tmp_path / "kb"), "ingest", str(src), "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert set(data) >= INGEST_KEYS
    assert data["added"] == 5 and data["failed"] == []
    assert "Traceback" not in proc.stderr
