"""The fast embedding path: the bundled model as ONNX (fp32, or int8 dynamically quantised),
run by onnxruntime with the model's own ``tokenizer.json`` — no torch at query time.

The ONNX files are built once per model from the local weights (the fp32 export comes from
sentence-transformers, passed in as ``export``) and kept in the cache folder with their
SHA-256, size and time, which every load checks. The int8 file is accepted only if its
vectors stay within ``MIN_COSINE`` of the fp32 export on a fixed probe set. This is the only
module that imports ``onnxruntime`` and ``tokenizers``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import re
import shutil
import tempfile
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.core.errors import ConfigError

# Bump when the export or the quantisation recipe changes: a new cache folder is built.
RECIPE = "ort-dyn-qint8-per-channel-ffo-fp32-2"
# Matrix products kept in fp32: each feed-forward block's output, whose input (after GELU) has
# the widest range. Measured on 151 real chunks against torch: mean cosine 0.9924 -> 0.9971,
# lowest 0.9858 -> 0.9945, for about a fifth of the int8 speed-up.
KEEP_FP32 = re.compile(r"/layer\.\d+/output/dense/MatMul$")
MIN_COSINE = 0.95
MANIFEST = "built.json"
# Tokens per batch (rows x longest row): small batches of long texts, large of short ones.
# 1,024 was as fast as 8,192 on 452 real chunks (5.3 s vs 7.0 s) at a third of the memory.
BATCH_TOKENS = 1024
MAX_BATCH_ROWS = 64
PROBES = (
    "How long are backups kept, and can we restore a single project?",
    "Single sign-on with SAML and SCIM provisioning is included on the enterprise plan.",
    "Our finance team cut month-end close from ten days to four.",
    "Pricing is per seat, billed annually, with a discount for non-profits.",
    "The API rate limit is 600 requests per minute per key.",
    "Kunden in der EU werden in Frankfurt gehostet.",
    "ok",
)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence the exporter and the quantiser: their warnings, their log lines, and the
    ``logging.basicConfig`` their imports call."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    logging.disable(logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        root.handlers[:], root.level = handlers, level
        logging.disable(logging.NOTSET)


def _fingerprint(path: Path) -> list:
    """``[sha256, size, mtime_ns]`` of a built file."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return [digest.hexdigest(), *_stat(path)]


def _stat(path: Path) -> list[int]:
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns]


def cache_folder(model_dir: Path, cache: Path) -> Path:
    """Where this model's ONNX files live: one folder per weights file and recipe."""
    weights = next((model_dir / n for n in ("model.safetensors", "pytorch_model.bin")), model_dir)
    stat = weights.stat() if weights.exists() else model_dir.stat()
    key = f"{model_dir.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{RECIPE}"
    return cache / hashlib.sha256(key.encode()).hexdigest()[:16]


class OnnxEmbedder:
    """Mean-pooled, unit-length vectors from an ONNX export of a sentence-transformers model."""

    def __init__(
        self,
        name: str,
        model_dir: Path,
        cache: Path,
        int8: bool,
        export: Callable[[Path, Path], None],
    ) -> None:
        self.name = f"{name}+int8" if int8 else name
        self.backend = "int8" if int8 else "onnx"
        self.model_dir = model_dir
        self.cache = cache
        self.int8 = int8
        self._export = export
        self._parts: tuple[Any, Any, int] | None = None
        self._lock = threading.Lock()

    # -- loading --------------------------------------------------------------------------------
    def _ready(self) -> tuple[Any, Any, int]:
        with self._lock:
            if self._parts is None:
                self._parts = self._load(self.model_file())
        return self._parts

    def _load(self, model_file: Path) -> tuple[Any, Any, int]:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        pooling = self.model_dir / "1_Pooling" / "config.json"
        if pooling.exists() and not json.loads(pooling.read_text()).get("pooling_mode_mean_tokens"):
            raise ConfigError(f"{self.model_dir}: only mean-pooling models run on ONNX here")
        options = ort.SessionOptions()
        options.log_severity_level = 3
        session = ort.InferenceSession(str(model_file), options, providers=["CPUExecutionProvider"])
        tokenizer = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
        tokenizer.no_truncation()
        tokenizer.no_padding()
        config = self.model_dir / "sentence_bert_config.json"
        max_tokens = json.loads(config.read_text()).get("max_seq_length", 256)
        return session, tokenizer, int(max_tokens)

    def model_file(self) -> Path:
        """The ONNX file, built on first use and rebuilt if it changed since.

        The build records each file's SHA-256, size and modification time; a load compares the
        last two (hashing 90 MB would cost a cold command a tenth of a second).
        """
        folder = cache_folder(self.model_dir, self.cache)
        name = "model_qint8.onnx" if self.int8 else "model.onnx"
        for attempt in range(2):
            if not (folder / MANIFEST).exists():
                shutil.rmtree(folder, ignore_errors=True)  # a build from an older release
                self._build(folder)
            built = json.loads((folder / MANIFEST).read_text())
            if name not in built["files"]:
                raise ConfigError(
                    f"the int8 model drifted from fp32 (lowest cosine {built['int8_min_cosine']}"
                    f" on the probe texts, below {MIN_COSINE}); set PITCHCRAFT_EMBED_BACKEND=onnx"
                )
            path = folder / name
            if path.exists() and _stat(path) == built["files"][name][1:]:
                return path
            if attempt == 0:  # damaged or replaced: build it again
                shutil.rmtree(folder, ignore_errors=True)
        raise ConfigError(f"the ONNX model in {folder} keeps failing its check; remove the folder")

    def _build(self, folder: Path) -> None:
        """Export fp32, quantise to int8, verify, then publish the folder in one rename."""
        with _quiet():
            import onnx
            from onnxruntime.quantization import QuantType, quantize_dynamic

            self._build_quiet(folder, onnx, quantize_dynamic, QuantType.QInt8)

    def _build_quiet(self, folder: Path, onnx: Any, quantize: Callable, qint8: Any) -> None:
        folder.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=".build-", dir=folder.parent))
        try:
            self._export(self.model_dir, work)
            fp32 = work / "model.onnx"
            int8 = work / "model_qint8.onnx"
            keep = [n.name for n in onnx.load(fp32).graph.node if KEEP_FP32.search(n.name)]
            quantize(
                fp32, int8, per_channel=True, weight_type=qint8,
                op_types_to_quantize=["MatMul"], nodes_to_exclude=keep,
            )  # fmt: skip
            cosine = self._agreement(fp32, int8)
            files = {"model.onnx": _fingerprint(fp32)}
            if cosine >= MIN_COSINE:
                files["model_qint8.onnx"] = _fingerprint(int8)
            built = {"recipe": RECIPE, "int8_min_cosine": round(cosine, 4), "files": files}
            (work / MANIFEST).write_text(json.dumps(built, indent=1))
            try:
                work.rename(folder)
            except OSError:  # another process published it first
                if not (folder / MANIFEST).exists():
                    raise
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def _agreement(self, fp32: Path, int8: Path) -> float:
        """Lowest cosine between the two files' vectors over the probe texts."""
        a, b = (_encode(*self._load(path), list(PROBES)) for path in (fp32, int8))
        return float((a * b).sum(axis=1).min())

    # -- the Embedder interface -----------------------------------------------------------------
    @property
    def dim(self) -> int:
        session = self._ready()[0]
        return int(session.get_outputs()[0].shape[-1])

    @property
    def max_tokens(self) -> int:
        return self._ready()[2]

    def count_tokens(self, text: str) -> int:
        """Word pieces the model reads for ``text``, special tokens excluded."""
        return len(self._ready()[1].encode(text, add_special_tokens=False).ids)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        session, tokenizer, max_tokens = self._ready()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _encode(session, tokenizer, max_tokens, list(texts))


def _encode(session: Any, tokenizer: Any, max_tokens: int, texts: list[str]) -> np.ndarray:
    """Vectors in input order; rows sorted by length and batched by a token budget."""
    encodings = tokenizer.encode_batch(texts)
    ids = [e.ids if len(e.ids) <= max_tokens else [*e.ids[: max_tokens - 1], e.ids[-1]] for e in
           encodings]  # fmt: skip
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    names = {i.name for i in session.get_inputs()}
    out = np.zeros((len(texts), session.get_outputs()[0].shape[-1]), dtype=np.float32)
    start = 0
    while start < len(order):
        end = start + 1
        while (
            end < len(order)
            and end - start < MAX_BATCH_ROWS
            and (end + 1 - start) * len(ids[order[end]]) <= BATCH_TOKENS
        ):
            end += 1
        rows = order[start:end]
        width = len(ids[rows[-1]])
        batch = np.zeros((len(rows), width), dtype=np.int64)
        mask = np.zeros_like(batch)
        for r, i in enumerate(rows):
            batch[r, : len(ids[i])] = ids[i]
            mask[r, : len(ids[i])] = 1
        feed = {"input_ids": batch, "attention_mask": mask}
        if "token_type_ids" in names:
            feed["token_type_ids"] = np.zeros_like(batch)
        hidden = session.run(None, feed)[0]
        summed = (hidden * mask[..., None]).sum(axis=1)
        pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1)
        out[rows] = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        start = end
    return out
