"""Shared fixtures. Tests never reach beyond 127.0.0.1, never read the developer's settings,
and build the expensive things (the real embedding model, the sample KB) once per session."""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"
POSTHOG = ROOT.parent / "shared" / "corpora" / "posthog"

KEEP = {"PITCHCRAFT_SCREENSHOT"}  # test_e2e's "also save the README screenshot", not a setting
for _key in list(os.environ):
    if _key.startswith(("PITCHCRAFT_", "OPENAI_", "AZURE_OPENAI")) and _key not in KEEP:
        del os.environ[_key]
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["ANONYMIZED_TELEMETRY"] = "False"

_real_connect = socket.socket.connect


def _loopback_only(self: socket.socket, address: object) -> object:
    if self.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple):
        host = str(address[0])
        try:
            allowed = host == "localhost" or ipaddress.ip_address(host).is_loopback
        except ValueError:
            allowed = False
        if not allowed:
            raise ConnectionRefusedError(f"tests may not reach {host}: loopback only")
    return _real_connect(self, address)


socket.socket.connect = _loopback_only  # type: ignore[method-assign]


# The fast lane (`make test-fast`, `-m "not slow"`): a test that uses one of these fixtures
# needs the real embedding model, so it is marked slow here rather than by hand.
MODEL_FIXTURES = {"embedder", "knowledge_kb", "posthog_kb"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if MODEL_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache folder for the session: the ONNX export of the model is built once."""
    return tmp_path_factory.mktemp("model-cache")


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, model_cache: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env or .pitchcraft from the developer's checkout
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("PITCHCRAFT_CACHE_DIR", str(model_cache))


@pytest.fixture(autouse=True)
def _fast_lane_loads_no_model(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch):
    """A test outside the slow lane that loads the real model fails and says why."""
    if request.node.get_closest_marker("slow"):
        return
    from assistant.index.embeddings import OnnxEmbedder, SentenceTransformerEmbedder

    def refuse(*_: object) -> None:
        raise AssertionError(
            "this test loads the embedding model: give it the hashing embedder or mark it slow"
        )

    monkeypatch.setattr(SentenceTransformerEmbedder, "_load", refuse)
    monkeypatch.setattr(OnnxEmbedder, "_load", refuse)


def settings_for(kb: Path, **overrides: object):
    from assistant.core.config import Settings

    return Settings(kb=kb, **overrides)


@pytest.fixture(scope="session")
def embedder(model_cache: Path):
    """The real bundled all-MiniLM-L6-v2 on the default backend, loaded once."""
    from assistant.core.config import Settings
    from assistant.index.embeddings import make_embedder

    model = make_embedder(Settings(cache_dir=model_cache))
    model.embed(["warm up"])
    return model


@pytest.fixture
def hash_kb(tmp_path: Path):
    """An empty knowledge store with the instant hashing embedder."""
    from assistant.index.embeddings import HashingEmbedder
    from assistant.index.kb import KnowledgeBase

    return KnowledgeBase(settings_for(tmp_path / "kb", embed_model="hash"), HashingEmbedder())


def _ingested(tmp_factory: pytest.TempPathFactory, name: str, source: Path, embedder) -> object:
    from assistant.index.kb import KnowledgeBase
    from assistant.ingest.pipeline import ingest

    kb = KnowledgeBase(settings_for(tmp_factory.mktemp(name) / "kb"), embedder)
    report = ingest(kb, [source])
    assert not report.failed, report.failed
    kb.report = report  # type: ignore[attr-defined]
    return kb


@pytest.fixture(scope="session")
def knowledge_kb(tmp_path_factory: pytest.TempPathFactory, embedder):
    """``knowledge/`` ingested once with the real model. Treat as read-only."""
    return _ingested(tmp_path_factory, "knowledge", KNOWLEDGE, embedder)


@pytest.fixture(scope="session")
def posthog_kb(tmp_path_factory: pytest.TempPathFactory, embedder):
    """The real PostHog corpus ingested once; skipped only when ../shared is absent."""
    if not POSTHOG.is_dir():
        pytest.skip("../shared/corpora/posthog is not present")
    return _ingested(tmp_path_factory, "posthog", POSTHOG, embedder)


@pytest.fixture
def knowledge_copy(tmp_path: Path) -> Iterator[Path]:
    """A writable copy of the sample knowledge base."""
    dest = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, dest)
    yield dest
