"""Helpers shared by the enablement tests (quiz, progress, drill, coach)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from assistant import cli


def run_cli(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    embedder: Any = None,
) -> tuple[int, str, str]:
    """Run ``pitchcraft ARGV``; with ``embedder`` the command reuses the session model."""
    if embedder is not None:
        monkeypatch.setattr("assistant.index.kb.make_embedder", lambda *a, **k: embedder)
    capsys.readouterr()
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def run_json(monkeypatch, capsys, argv: list[str], embedder: Any = None) -> dict[str, Any]:
    code, out, err = run_cli(monkeypatch, capsys, [*argv, "--json"], embedder)
    assert code == 0, err
    return json.loads(out)


def kb_copy(kb: Any, dest: Path) -> Path:
    """A writable copy of a session KB folder (commands write ``progress.sqlite`` there)."""
    target = dest / "kb"
    shutil.copytree(kb.root, target)
    return target
