"""A real Chroma server (`chroma run`) as the vector store (criterion 5)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from processes import free_port, stop

from assistant.cli import main
from assistant.core.config import Settings
from assistant.core.errors import ConfigError
from assistant.index.embeddings import HashingEmbedder
from assistant.index.filters import Filters
from assistant.index.kb import KnowledgeBase
from assistant.index.status import kb_status
from assistant.ingest.pipeline import ingest

pytestmark = pytest.mark.slow

CHROMA = Path(sys.executable).parent / "chroma"


def wait_for_heartbeat(url: str, proc: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"chroma exited with {proc.returncode}:\n{log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.25)
    pytest.fail(f"chroma did not answer within {timeout:g}s:\n{log.read_text()[-2000:]}")


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    assert CHROMA.exists(), f"{CHROMA} is missing: the chromadb package provides it"
    data = tmp_path_factory.mktemp("chroma-server")
    port = free_port()
    log = data / "server.log"
    with log.open("wb") as out:
        command = [str(CHROMA), "run", "--path", str(data / "db")]
        command += ["--host", "127.0.0.1", "--port", str(port)]
        proc = subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_heartbeat(url, proc, log)
        yield url
    finally:
        stop(proc)


def write_corpus(root: Path) -> Path:
    files = {
        "products/vault.md": "---\nupdated: 2026-01-05\n---\n# Vault\n\n## SSO\n\n"
        "SAML single sign-on and SCIM provisioning.\n\n## Keys\n\nBring your own key.\n",
        "battlecards/zeta.md": "# Us vs Zeta\n\n## Positioning\n\nWe win on openness.\n\n"
        "## Landmines (internal)\n\nAsk about their renewal date.\n",
        "notes.txt": "Release notes: the audit export shipped in March.\n",
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def test_ingest_query_reingest_and_status_against_a_server(
    chroma_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = Settings(
        kb=tmp_path / "kb", embed_model="hash", chroma_url=chroma_url, collection="server_test"
    )
    src = write_corpus(tmp_path / "src")
    kb = KnowledgeBase(settings, HashingEmbedder())
    first = ingest(kb, [src])
    assert sorted(first.added) == ["battlecards/zeta.md", "notes.txt", "products/vault.md"]
    assert first.failed == []
    assert not (tmp_path / "kb" / "chroma").exists()  # vectors live on the server
    assert kb.store.count() == kb.manifest.count_chunks() == first.chunks > 0

    vector = kb.embedder.embed(["SAML single sign-on"])[0]
    hits = kb.store.query(vector, 2)
    assert hits[0][0].source == "products/vault.md"
    assert hits[0][0].heading == "Vault > SSO"
    assert hits[0][1] > hits[1][1]
    safe = kb.store.query(vector, 10, Filters(audience="customer-safe"))
    assert safe and all(c.audience == "customer-safe" for c, _ in safe)
    assert len(safe) == kb.store.count() - 1  # the landmines chunk is internal

    # a second client (another process would do the same) re-ingests nothing
    again = ingest(KnowledgeBase(settings, HashingEmbedder()), [src])
    assert again.embedded == 0
    assert sorted(again.unchanged) == sorted(first.added)

    status = kb_status(kb.manifest, settings, kb.store.info.embed_model)
    assert status["embed_model"] == "hash"
    assert status["chunks"] == first.chunks
    assert {d["source"]: d["updated"] for d in status["documents"]}["products/vault.md"] == (
        "2026-01-05"
    )

    monkeypatch.setenv("PITCHCRAFT_EMBED_MODEL", "hash")
    monkeypatch.setenv("PITCHCRAFT_CHROMA_URL", chroma_url)
    monkeypatch.setenv("PITCHCRAFT_COLLECTION", "server_test")
    assert main(["--kb", str(tmp_path / "kb"), "status", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["chunks"] == first.chunks and data["embed_model"] == "hash"
    assert len(data["documents"]) == 3


def test_prune_against_a_server(chroma_url: str, tmp_path: Path) -> None:
    settings = Settings(
        kb=tmp_path / "kb", embed_model="hash", chroma_url=chroma_url, collection="server_prune"
    )
    src = write_corpus(tmp_path / "src")
    kb = KnowledgeBase(settings, HashingEmbedder())
    ingest(kb, [src])
    gone = set(kb.manifest.chunk_ids("notes.txt"))
    (src / "notes.txt").unlink()
    report = ingest(kb, [src], prune=True)
    assert report.removed == ["notes.txt"]
    remaining = {c.id for c in kb.store.all_chunks()}
    assert remaining == kb.manifest.all_chunk_ids()
    assert not gone & remaining


def test_unreachable_server_is_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    settings = Settings(kb=tmp_path / "kb", embed_model="hash", chroma_url=url)
    src = write_corpus(tmp_path / "src")
    with pytest.raises(ConfigError, match="cannot reach the Chroma server"):
        ingest(KnowledgeBase(settings, HashingEmbedder()), [src])

    monkeypatch.setenv("PITCHCRAFT_EMBED_MODEL", "hash")
    monkeypatch.setenv("PITCHCRAFT_CHROMA_URL", url)
    code = main(["--kb", str(tmp_path / "kb"), "ingest", str(src), "--json"])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "cannot reach the Chroma server" in lines[0]
    assert "Traceback" not in err
