"""The fake OpenAI server against the real ``openai`` client: replies, streams and every fault.

These tests also pin down how openai 3.57.0 surfaces each failure, for the LLM writer:

- HTTP 429/5xx: retried by the client itself (Retry-After / retry-after-ms honoured), then
  RateLimitError / InternalServerError.
- no answer within ``timeout``: APITimeoutError (a subclass of APIConnectionError). The timeout
  bounds each read, not the whole call: a slow stream may run past it; a stall mid-stream
  raises APITimeoutError while iterating, and is not retried.
- connection reset before a response: APIConnectionError, retried by the client.
- a stream cut mid-body (chunked framing, as real servers send): the chunks already received are
  yielded, then iteration raises APIConnectionError; the client never retries a stream that has
  started.
- a stream whose body simply ends (close-delimited framing) or that carries only ``[DONE]``:
  no exception at all; the only sign is a missing ``finish_reason``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx2
import openai
import pytest
from fake_openai import (
    FakeOpenAI,
    cut_stream,
    delay,
    drop,
    empty_stream,
    fake_openai_fixture,  # noqa: F401  (registers the fake_openai fixture)
    reply,
    status,
)

API_KEY = "sk-test-123"
MODEL = "gpt-4o-mini"
MESSAGES = [
    {"role": "system", "content": "You are a concise B2B sales coach."},
    {"role": "user", "content": "Pitch single sign-on to a CISO in one sentence."},
]
ANSWER = "SSO cuts account-takeover risk and gives your team one place to revoke access."

ClientFactory = Callable[..., openai.OpenAI]


@pytest.fixture
def make_client(fake_openai: FakeOpenAI) -> Iterator[ClientFactory]:
    """Real openai clients pointed at the fake; no retries and a 2 s timeout unless asked."""
    clients: list[openai.OpenAI] = []

    def factory(**kwargs: Any) -> openai.OpenAI:
        kwargs.setdefault("max_retries", 0)
        kwargs.setdefault("timeout", 2.0)
        client = openai.OpenAI(base_url=fake_openai.base_url, api_key=API_KEY, **kwargs)
        clients.append(client)
        return client

    yield factory
    for client in clients:
        client.close()


def _stream(client: openai.OpenAI, parts: list[str], finishes: list[str | None]) -> None:
    """Consume a streamed completion into ``parts`` / ``finishes`` (kept if it raises)."""
    stream = client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)  # type: ignore[arg-type]
    for chunk in stream:
        for choice in chunk.choices:
            parts.append(choice.delta.content or "")
            finishes.append(choice.finish_reason)


def _create(client: openai.OpenAI) -> Any:
    return client.chat.completions.create(model=MODEL, messages=MESSAGES)  # type: ignore[arg-type]


# -- happy paths --------------------------------------------------------------------------------


def test_non_streaming_reply(fake_openai: FakeOpenAI, make_client: ClientFactory) -> None:
    fake_openai.script(reply(ANSWER))
    completion = _create(make_client())

    assert completion.object == "chat.completion"
    assert completion.id.startswith("chatcmpl-")
    assert completion.model == MODEL
    assert completion.choices[0].message.role == "assistant"
    assert completion.choices[0].message.content == ANSWER
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None and completion.usage.total_tokens > 0

    (request,) = fake_openai.requests
    assert (request.method, request.path) == ("POST", "/v1/chat/completions")
    assert request.body["model"] == MODEL
    assert request.messages == MESSAGES
    assert "stream" not in request.body  # the client omits it when not streaming


def test_streaming_reply_is_reassembled(
    fake_openai: FakeOpenAI, make_client: ClientFactory
) -> None:
    fake_openai.script(reply(ANSWER))
    parts: list[str] = []
    finishes: list[str | None] = []
    _stream(make_client(), parts, finishes)

    assert "".join(parts) == ANSWER
    assert len([p for p in parts if p]) > 3  # really several chunks
    assert finishes[-1] == "stop" and set(finishes[:-1]) == {None}
    assert fake_openai.requests[0].body["stream"] is True


def test_stream_usage_chunk_when_asked(fake_openai: FakeOpenAI, make_client: ClientFactory) -> None:
    fake_openai.script(reply("Two words"))
    stream = make_client().chat.completions.create(
        model=MODEL,
        messages=MESSAGES,  # type: ignore[arg-type]
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 2


def test_models_list(fake_openai: FakeOpenAI, make_client: ClientFactory) -> None:
    fake_openai.script(status(500))  # /v1/models does not consume the script
    ids = [model.id for model in make_client().models.list()]
    assert ids == list(FakeOpenAI.models)
    assert fake_openai.requests[0].method == "GET"


def test_authorization_header_carries_the_key(
    fake_openai: FakeOpenAI, make_client: ClientFactory
) -> None:
    _create(make_client())
    request = fake_openai.requests[0]
    assert request.authorization == f"Bearer {API_KEY}"
    assert request.headers["content-type"] == "application/json"


def test_last_step_repeats(fake_openai: FakeOpenAI, make_client: ClientFactory) -> None:
    fake_openai.script(reply("one"), reply("two"))
    client = make_client()
    answers = [_create(client).choices[0].message.content for _ in range(3)]
    assert answers == ["one", "two", "two"]


# -- HTTP errors and the client's own retries ---------------------------------------------------


def test_429_then_success_honours_retry_after(
    fake_openai: FakeOpenAI, make_client: ClientFactory
) -> None:
    fake_openai.script(status(429, headers={"Retry-After": "1"}), reply(ANSWER))
    started = time.monotonic()
    completion = _create(make_client(max_retries=2))
    elapsed = time.monotonic() - started

    assert completion.choices[0].message.content == ANSWER
    first, second = fake_openai.requests
    assert second.at - first.at >= 0.95  # the client waited Retry-After, no jitter
    assert elapsed < 2.0
    assert (
        first.headers["x-stainless-retry-count"],
        second.headers["x-stainless-retry-count"],
    ) == (
        "0",
        "1",
    )


def test_429_every_time_raises_rate_limit_error(
    fake_openai: FakeOpenAI, make_client: ClientFactory
) -> None:
    fake_openai.script(status(429, headers={"retry-after-ms": "20"}))
    with pytest.raises(openai.RateLimitError) as info:
        _create(make_client(max_retries=2))
    assert info.value.status_code == 429
    assert len(fake_openai.requests) == 3  # first try + 2 retries


def test_500_raises_internal_server_error(
    fake_openai: FakeOpenAI, make_client: ClientFactory
) -> None:
    fake_openai.script(status(500))
    with pytest.raises(openai.InternalServerError) as info:
        _create(make_client(max_retries=0))
    assert info.value.status_code == 500
    assert isinstance(info.value.body, dict) and info.value.body["type"] == "server_error"
    assert len(fake_openai.requests) == 1


def test_503_is_retried(fake_openai: FakeOpenAI, make_client: ClientFactory) -> None:
    fake_openai.script(status(503, headers={"retry-after-ms": "10"}), reply(ANSWER))
    assert _create(make_client(max_retries=1)).choices[0].message.content == ANSWER
    assert len(fake_openai.requests) == 2


def test_status_error_on_a_streaming_request(
    fake_openai: FakeOpenAI, make_client: ClientFactory
) -> None:
    fake_openai.script(status(500))
    with pytest.raises(openai.InternalServerError):
        _stream(make_client(), [], [])  # raised by create(), before any chunk


# -- timeouts and broken connections ------------------------------------------------------------


def test_delay_beyond_timeout_raises_api_timeout_error(
    fake_openai: FakeOpenAI, make_client: ClientFactory
) -> None:
    fake_openai.script(delay(3.0, then=reply(ANSWER)))
    started = time.monotonic()
    with pytest.raises(openai.APITimeoutError):
        _create(make_client(timeout=0.3))
    assert time.monotonic() - started < 1.5
    assert issubclass(openai.APITimeoutError, openai.APIConnectionError)


def test_delay_within_timeout_still_answers(
    fake_openai: FakeOpenAI, make_client: ClientFactory
) -> None:
    fake_openai.script(delay(0.05, then=reply(ANSWER)))
    assert _create(make_client(timeout=2.0)).choices[0].message.content == ANSWER


def test_drop_raises_api_connection_error(
    fake_openai: FakeOpenAI, make_client: ClientFactory
) -> None:
    fake_openai.script(drop())
    with pytest.raises(openai.APIConnectionError) as info:
        _create(make_client(max_retries=0))
    assert not isinstance(info.value, openai.APITimeoutError)
    assert isinstance(info.value.__cause__, httpx2.ReadError)  # "Connection reset by peer"


def test_drop_is_retried_by_the_client(fake_openai: FakeOpenAI, make_client: ClientFactory) -> None:
    fake_openai.script(drop(), reply(ANSWER))
    assert _create(make_client(max_retries=1)).choices[0].message.content == ANSWER
    assert len(fake_openai.requests) == 2


def test_timeout_is_per_read_not_a_total_deadline(
    fake_openai: FakeOpenAI, make_client: ClientFactory
) -> None:
    fake_openai.script(reply("one two three four five six", chunk_delay=0.1))
    parts: list[str] = []
    started = time.monotonic()
    _stream(make_client(timeout=0.25), parts, [])
    assert time.monotonic() - started > 0.5  # longer than the timeout, yet no error
    assert "".join(parts) == "one two three four five six"


def test_stream_stall_raises_api_timeout_error_mid_iteration(
    fake_openai: FakeOpenAI, make_client: ClientFactory
) -> None:
    fake_openai.script(reply(ANSWER, chunk_delay=1.0))
    parts: list[str] = []
    with pytest.raises(openai.APITimeoutError):
        _stream(make_client(timeout=0.2, max_retries=2), parts, [])
    assert parts == [""]  # the role chunk arrived, then the stall
    assert len(fake_openai.requests) == 1  # not retried


# -- broken streams -----------------------------------------------------------------------------


def test_cut_stream_yields_the_prefix_then_raises(
    fake_openai: FakeOpenAI, make_client: ClientFactory
) -> None:
    prefix = "SSO cuts account-takeover risk and"
    fake_openai.script(cut_stream(prefix), reply(ANSWER))
    parts: list[str] = []
    finishes: list[str | None] = []
    with pytest.raises(openai.APIConnectionError) as info:
        _stream(make_client(max_retries=2), parts, finishes)

    assert not isinstance(info.value, openai.APITimeoutError)
    assert isinstance(info.value.__cause__, httpx2.RemoteProtocolError)
    assert "incomplete chunked read" in str(info.value.__cause__)
    assert "".join(parts) == prefix  # everything sent before the cut reached the caller
    assert set(finishes) == {None}
    assert len(fake_openai.requests) == 1  # max_retries does not cover a started stream


def test_close_delimited_cut_is_silent_truncation(
    fake_openai: FakeOpenAI, make_client: ClientFactory
) -> None:
    prefix = "SSO cuts account-takeover"
    fake_openai.script(cut_stream(prefix, framing="close"))
    parts: list[str] = []
    finishes: list[str | None] = []
    _stream(make_client(), parts, finishes)  # no exception at all

    assert "".join(parts) == prefix
    assert set(finishes) == {None}  # the only sign: no finish_reason ever arrived


def test_cut_non_streaming_body_raises_and_is_retried(
    fake_openai: FakeOpenAI, make_client: ClientFactory
) -> None:
    fake_openai.script(cut_stream("half"), reply(ANSWER))
    with pytest.raises(openai.APIConnectionError):
        _create(make_client(max_retries=0))
    # the whole body is read inside the send, so a truncated JSON body is retried
    assert _create(make_client(max_retries=1)).choices[0].message.content == ANSWER


def test_empty_stream_yields_nothing_and_does_not_raise(
    fake_openai: FakeOpenAI, make_client: ClientFactory
) -> None:
    fake_openai.script(empty_stream())
    parts: list[str] = []
    finishes: list[str | None] = []
    _stream(make_client(), parts, finishes)
    assert parts == [] and finishes == []


# -- the server itself --------------------------------------------------------------------------


def test_stop_is_clean_with_open_and_pending_connections() -> None:
    before = set(threading.enumerate())
    server = FakeOpenAI().start()
    server.script(reply("hi"), delay(30))
    client = openai.OpenAI(base_url=server.base_url, api_key=API_KEY, max_retries=0, timeout=5)
    _create(client)  # leaves a keep-alive connection open

    outcome: list[BaseException | None] = []

    def pending_call() -> None:
        try:
            _create(client)
            outcome.append(None)
        except openai.APIError as exc:
            outcome.append(exc)

    pending = threading.Thread(target=pending_call)
    pending.start()
    deadline = time.monotonic() + 2
    while len(server.requests) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)

    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 1.0
    pending.join(timeout=2)
    client.close()
    leftover = [t for t in set(threading.enumerate()) - before if t.name.startswith("fake-openai")]
    assert leftover == []
    assert not pending.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], openai.APIConnectionError)
