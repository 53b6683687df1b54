"""Embedding backends: the choice, the ONNX runtime against the torch reference, the cached
export, and a store that never meets vectors of another backend."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from assistant.core.config import DEFAULT_EMBED_MODEL, Settings
from assistant.core.errors import ConfigError
from assistant.index.embeddings import (
    OnnxEmbedder,
    SentenceTransformerEmbedder,
    choose_backend,
    export_onnx,
    make_embedder,
    resolve_model_path,
)
from assistant.index.kb import KnowledgeBase
from assistant.index.onnxmodel import MANIFEST, cache_folder
from assistant.ingest.pipeline import ingest

TEXTS = [
    "How long are backups kept?",
    "Single sign-on with SAML is included on the enterprise plan, billed annually.",
    "ok",
    # far over the model's 256 word pieces: truncated the way sentence-transformers does
    " ".join(f"clause {n} of the master services agreement covers liability" for n in range(80)),
]


def test_auto_runs_the_bundled_model_on_fp32_onnx_and_follows_the_store() -> None:
    assert choose_backend("auto", DEFAULT_EMBED_MODEL) == "onnx"
    assert choose_backend("auto", DEFAULT_EMBED_MODEL, DEFAULT_EMBED_MODEL) == "onnx"
    assert choose_backend("auto", DEFAULT_EMBED_MODEL, f"{DEFAULT_EMBED_MODEL}+int8") == "int8"
    assert choose_backend("auto", "/models/my-own-model") == "torch"
    for explicit in ("torch", "onnx", "int8"):
        assert choose_backend(explicit, DEFAULT_EMBED_MODEL, f"{DEFAULT_EMBED_MODEL}+int8") == (
            explicit
        )


def test_fp32_vectors_share_a_name_and_int8_vectors_have_their_own(tmp_path: Path) -> None:
    names = {
        b: make_embedder(Settings(kb=tmp_path, embed_backend=b)).name
        for b in ("torch", "onnx", "int8")
    }
    assert names == {
        "torch": DEFAULT_EMBED_MODEL,
        "onnx": DEFAULT_EMBED_MODEL,
        "int8": f"{DEFAULT_EMBED_MODEL}+int8",
    }


@pytest.mark.slow
def test_onnx_gives_the_torch_reference_vectors_and_int8_stays_close(
    model_cache: Path,
) -> None:
    torch = SentenceTransformerEmbedder()
    model_dir = Path(resolve_model_path(DEFAULT_EMBED_MODEL))
    fp32 = OnnxEmbedder(DEFAULT_EMBED_MODEL, model_dir, model_cache, False, export_onnx)
    int8 = OnnxEmbedder(DEFAULT_EMBED_MODEL, model_dir, model_cache, True, export_onnx)
    reference = torch.embed(TEXTS)
    for model in (fp32, int8):
        vectors = model.embed(TEXTS)
        assert vectors.shape == reference.shape == (len(TEXTS), 384)
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
        assert model.max_tokens == torch.max_tokens == 256
        assert [model.count_tokens(t) for t in TEXTS] == [torch.count_tokens(t) for t in TEXTS]
    assert (fp32.embed(TEXTS) * reference).sum(axis=1).min() > 0.99999
    assert (int8.embed(TEXTS) * reference).sum(axis=1).min() > 0.95
    # one text alone or among others, short or long: the same vector (batching by length)
    assert np.allclose(fp32.embed(TEXTS[3:])[0], fp32.embed(TEXTS)[3], atol=1e-5)
    assert fp32.embed([]).shape == (0, 384)


@pytest.mark.slow
def test_the_export_is_built_once_checked_and_rebuilt_when_damaged(
    model_cache: Path, tmp_path: Path
) -> None:
    model_dir = Path(resolve_model_path(DEFAULT_EMBED_MODEL))
    OnnxEmbedder(DEFAULT_EMBED_MODEL, model_dir, model_cache, True, export_onnx).embed(["x"])
    cache = tmp_path / "cache"
    shutil.copytree(model_cache, cache)
    folder = cache_folder(model_dir, cache)
    built = json.loads((folder / MANIFEST).read_text())
    assert set(built["files"]) == {"model.onnx", "model_qint8.onnx"}
    assert built["int8_min_cosine"] >= 0.95

    exports: list[Path] = []

    def counting_export(source: Path, out: Path) -> None:
        exports.append(out)
        export_onnx(source, out)

    model = OnnxEmbedder(DEFAULT_EMBED_MODEL, model_dir, cache, True, counting_export)
    good = model.embed(["backups"])
    assert exports == []  # the cached build is used as it is
    with (folder / "model_qint8.onnx").open("ab") as fh:
        fh.write(b"damage")
    again = OnnxEmbedder(DEFAULT_EMBED_MODEL, model_dir, cache, True, counting_export)
    assert np.allclose(again.embed(["backups"]), good, atol=1e-6)
    assert len(exports) == 1  # rebuilt once, from the local weights
    assert not list(cache.glob(".build-*"))  # nothing half-written is left behind


@pytest.mark.slow
def test_a_store_is_never_queried_with_another_backend(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "backup.md").write_text("# Backups\n\nBackups are kept for 35 days.\n")
    int8 = Settings(kb=tmp_path / "kb", embed_backend="int8")
    ingest(KnowledgeBase(int8), [docs])

    follower = KnowledgeBase(Settings(kb=tmp_path / "kb"))  # auto follows the store
    assert follower.embedder.backend == "int8"
    assert follower.store.count() == 1
    with pytest.raises(ConfigError, match=r"built with embedding model .*\+int8.*BACKEND=auto"):
        _ = KnowledgeBase(Settings(kb=tmp_path / "kb", embed_backend="torch")).store

    rebuilt = KnowledgeBase(Settings(kb=tmp_path / "kb"))
    ingest(rebuilt, [docs], rebuild=True)  # an empty store lets auto choose again: fp32
    assert rebuilt.embedder.backend == "onnx"
    assert rebuilt.store.info.embed_model == DEFAULT_EMBED_MODEL
    assert KnowledgeBase(Settings(kb=tmp_path / "kb", embed_backend="torch")).store.count() == 1
