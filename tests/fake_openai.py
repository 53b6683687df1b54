"""A real HTTP server on 127.0.0.1 that speaks enough of the OpenAI chat API for the real client.

Each test scripts it with steps; every ``POST /v1/chat/completions`` pops the next step and the
last step repeats once the queue is down to one::

    def test_retry(fake_openai: FakeOpenAI) -> None:
        fake_openai.script(status(429, headers={"Retry-After": "1"}), reply("Hi"))
        client = openai.OpenAI(base_url=fake_openai.base_url, api_key="sk-test")
        ...
        assert fake_openai.requests[-1].body["model"] == "gpt-4o-mini"

Steps: ``reply`` (``chunk_delay=`` for a slow or stalled stream), ``status``, ``delay``,
``cut_stream`` (on a non-streaming request: a JSON body shorter than its Content-Length),
``empty_stream`` (non-streaming: an empty message), ``drop``. ``GET /v1/models`` always answers
with ``FakeOpenAI.models`` and consumes no step. Exceptions inside the fake's own handlers land
in ``server.errors`` and fail the test through the fixture.
The ``fake_openai`` fixture is defined here as ``fake_openai_fixture``: import that name into a
test module (``from fake_openai import fake_openai_fixture  # noqa: F401``) or list
``"fake_openai"`` in conftest's ``pytest_plugins``. tests/ is on sys.path (pytest's default
rootdir-relative "prepend" import mode), hence ``import fake_openai``.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
import socket
import struct
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal

import pytest

# --------------------------------------------------------------------------------------------
# Steps


@dataclass(frozen=True)
class Reply:
    """A normal answer: one JSON completion, or SSE chunks when the request asked to stream."""

    content: str
    finish_reason: str = "stop"
    usage: dict[str, int] | None = None
    chunk_delay: float = 0.0
    """Streaming only: seconds to wait before each content chunk (a slow or stalled model)."""


@dataclass(frozen=True)
class Status:
    """An HTTP error (or any status) with an OpenAI-style JSON error body."""

    code: int
    body: dict[str, Any] | None = None
    headers: dict[str, str] | None = None


@dataclass(frozen=True)
class Delay:
    """Wait ``seconds`` before playing ``then`` (to trip client timeouts)."""

    seconds: float
    then: Step


@dataclass(frozen=True)
class CutStream:
    """Send part of the answer, then close the connection without ``data: [DONE]``.

    ``framing="chunked"`` (what real servers do) leaves the chunked body unterminated;
    ``framing="close"`` sends an HTTP/1.0-style body delimited by the connection closing, so
    the cut looks like a normal end of body to the HTTP layer.
    """

    content_prefix: str
    framing: Literal["chunked", "close"] = "chunked"


@dataclass(frozen=True)
class EmptyStream:
    """A 200 SSE response that carries only ``data: [DONE]``."""


@dataclass(frozen=True)
class Drop:
    """Read the request, then reset the connection without sending a byte."""


Step = Reply | Status | Delay | CutStream | EmptyStream | Drop


def reply(
    content: str,
    *,
    finish_reason: str = "stop",
    usage: dict[str, int] | None = None,
    chunk_delay: float = 0.0,
) -> Reply:
    """Answer with ``content`` (split into several chunks when streaming)."""
    return Reply(content, finish_reason, usage, chunk_delay)


def status(
    code: int, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None
) -> Status:
    """Answer with HTTP ``code``; ``body`` defaults to an OpenAI-style error object."""
    return Status(code, body, headers)


def delay(seconds: float, then: Step | None = None) -> Delay:
    """Sleep ``seconds`` before playing ``then`` (default: a short reply)."""
    return Delay(seconds, then if then is not None else reply("late reply"))


def cut_stream(content_prefix: str, framing: Literal["chunked", "close"] = "chunked") -> CutStream:
    """Stream ``content_prefix`` and then close the connection without ``[DONE]``."""
    return CutStream(content_prefix, framing)


def empty_stream() -> EmptyStream:
    """A 200 event stream with nothing but ``data: [DONE]``."""
    return EmptyStream()


def drop() -> Drop:
    """Close the socket (TCP reset) without any response."""
    return Drop()


# --------------------------------------------------------------------------------------------
# Recorded requests


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server saw it. Header names are lower-cased."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    raw_body: bytes
    at: float = field(default_factory=time.monotonic)

    @property
    def authorization(self) -> str | None:
        """The Authorization header, e.g. ``"Bearer sk-test-123"``."""
        return self.headers.get("authorization")

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The chat messages of the request body (empty when there are none)."""
        return list(self.body.get("messages", [])) if isinstance(self.body, dict) else []


# --------------------------------------------------------------------------------------------
# Server

_DEFAULT_STEP: Step = Reply("Hello from the fake OpenAI server.")
_WORD_RE = re.compile(r"\s*\S+\s*")
_ERROR_TYPES = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("invalid_request_error", None),
    404: ("invalid_request_error", "model_not_found"),
    429: ("requests", "rate_limit_exceeded"),
}


class FakeOpenAI:
    """A scripted OpenAI-compatible server on a random free loopback port."""

    models: tuple[str, ...] = ("gpt-4o-mini", "gpt-4o", "fake-local-model")

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._host = host
        self._lock = threading.Lock()
        self._steps: deque[Step] = deque([_DEFAULT_STEP])
        self._requests: list[RecordedRequest] = []
        self._ids = itertools.count(1)
        self.stopping = threading.Event()
        self.errors: list[BaseException] = []
        """Exceptions raised inside the server's own handlers (bugs in the fake)."""
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # lifecycle -------------------------------------------------------------------------------

    def start(self) -> FakeOpenAI:
        """Bind a free port and serve in a daemon thread."""
        if self._httpd is not None:
            return self
        self.stopping.clear()
        self._httpd = _HTTPServer((self._host, 0), self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="fake-openai",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, reset open connections and join every thread."""
        httpd, thread = self._httpd, self._thread
        if httpd is None:
            return
        self.stopping.set()
        httpd.shutdown()
        httpd.close_connections()
        httpd.server_close()
        if thread is not None:
            thread.join(timeout=5)
        httpd.join_handlers(timeout=5)
        self._httpd = self._thread = None

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # scripting and inspection -----------------------------------------------------------------

    @property
    def port(self) -> int:
        """The bound port (only while running)."""
        if self._httpd is None:
            raise RuntimeError("FakeOpenAI is not running")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """What to pass as ``base_url`` / ``OPENAI_BASE_URL``."""
        return f"http://{self._host}:{self.port}/v1"

    def script(self, *steps: Step) -> FakeOpenAI:
        """Replace the queue of steps; the last one repeats when the queue runs out."""
        if not steps:
            raise ValueError("script() needs at least one step")
        with self._lock:
            self._steps = deque(steps)
        return self

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, in arrival order (a snapshot)."""
        with self._lock:
            return list(self._requests)

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        """Only the chat-completion requests."""
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def next_step(self) -> Step:
        """Pop the next scripted step (the last one stays)."""
        with self._lock:
            return self._steps.popleft() if len(self._steps) > 1 else self._steps[0]

    def record(self, request: RecordedRequest) -> None:
        """Store a received request."""
        with self._lock:
            self._requests.append(request)

    def new_id(self) -> str:
        """A fresh completion id."""
        return f"chatcmpl-fake{next(self._ids):04d}"


class _HTTPServer(ThreadingHTTPServer):
    """Threaded server that tracks its connections and handler threads, for a clean stop."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], fake: FakeOpenAI) -> None:
        self.fake = fake
        self._conn_lock = threading.Lock()
        self._conns: set[socket.socket] = set()
        self._handlers: set[threading.Thread] = set()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self._serve_connection,
            args=(request, client_address),
            name="fake-openai-conn",
            daemon=True,
        )
        with self._conn_lock:
            self._conns.add(request)
            self._handlers.add(thread)
        thread.start()

    def _serve_connection(self, request: Any, client_address: Any) -> None:
        try:
            self.process_request_thread(request, client_address)
        finally:
            with self._conn_lock:
                self._conns.discard(request)
                self._handlers.discard(threading.current_thread())

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Ignore clients that went away (timeouts, cuts); keep real bugs in ``fake.errors``."""
        exc = sys.exc_info()[1]
        if exc is not None and not isinstance(exc, OSError):
            self.fake.errors.append(exc)

    def close_connections(self) -> None:
        """Wake handler threads blocked on keep-alive reads."""
        with self._conn_lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def join_handlers(self, timeout: float) -> None:
        """Wait for every connection thread to finish."""
        deadline = time.monotonic() + timeout
        with self._conn_lock:
            threads = list(self._handlers)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeOpenAI/1.0"
    timeout = 10  # an idle keep-alive connection ends after this
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the per-request stderr log."""

    # routing -----------------------------------------------------------------------------------

    def do_GET(self) -> None:
        self._record()
        path = self._path()
        if path == "/v1/models":
            data = [
                {"id": m, "object": "model", "created": 0, "owned_by": "fake-openai"}
                for m in self.server.fake.models
            ]
            self._send_json(200, {"object": "list", "data": data})
        elif path.startswith("/v1/models/"):
            model = path.removeprefix("/v1/models/")
            self._send_json(
                200, {"id": model, "object": "model", "created": 0, "owned_by": "fake-openai"}
            )
        else:
            self._send_json(404, _error_body(404, f"Unknown path {path}"))

    def do_POST(self) -> None:
        request = self._record()
        if self._path() != "/v1/chat/completions":
            self._send_json(404, _error_body(404, f"Unknown path {self._path()}"))
            return
        body = request.body if isinstance(request.body, dict) else {}
        try:
            self._play(self.server.fake.next_step(), body)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self.close_connection = True  # the client gave up (timeout) before we answered

    # steps -------------------------------------------------------------------------------------

    def _play(self, step: Step, body: dict[str, Any]) -> None:
        streaming = bool(body.get("stream"))
        match step:
            case Delay(seconds=seconds, then=then):
                if self.server.fake.stopping.wait(seconds):
                    self.close_connection = True
                    return
                self._play(then, body)
            case Reply():
                if streaming:
                    self._stream(
                        body,
                        step.content,
                        step.finish_reason,
                        usage=step.usage,
                        chunk_delay=step.chunk_delay,
                    )
                else:
                    self._send_json(200, self._completion(body, step))
            case Status(code=code, body=err, headers=headers):
                self._send_json(code, err if err is not None else _error_body(code), headers)
            case CutStream(content_prefix=prefix, framing=framing):
                if streaming:
                    self._stream(body, prefix, None, cut=framing)
                else:
                    self._send_truncated_json(self._completion(body, Reply(prefix)))
            case EmptyStream():
                if streaming:
                    self._stream(body, None, None)
                else:
                    self._send_json(200, self._completion(body, Reply("")))
            case Drop():
                self._reset()

    def _completion(self, body: dict[str, Any], step: Reply) -> dict[str, Any]:
        return {
            "id": self.server.fake.new_id(),
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "fake-model"),
            "system_fingerprint": "fp_fake",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": step.content, "refusal": None},
                    "logprobs": None,
                    "finish_reason": step.finish_reason,
                }
            ],
            "usage": step.usage or _usage(body, step.content),
        }

    def _stream(
        self,
        body: dict[str, Any],
        content: str | None,
        finish_reason: str | None,
        *,
        usage: dict[str, int] | None = None,
        cut: Literal["chunked", "close"] | None = None,
        chunk_delay: float = 0.0,
    ) -> None:
        """Send an SSE answer; ``content=None`` sends only ``[DONE]``."""
        chunked = cut != "close"
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()

        def event(data: str) -> None:
            payload = f"data: {data}\n\n".encode()
            if chunked:
                payload = f"{len(payload):x}\r\n".encode() + payload + b"\r\n"
            self.wfile.write(payload)
            self.wfile.flush()

        if content is not None:
            base = {
                "id": self.server.fake.new_id(),
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": body.get("model", "fake-model"),
                "system_fingerprint": "fp_fake",
            }

            def chunk(delta: dict[str, Any], finish: str | None) -> str:
                choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
                return json.dumps({**base, "choices": [choice]})

            event(chunk({"role": "assistant", "content": "", "refusal": None}, None))
            for piece in _pieces(content):
                if chunk_delay and self.server.fake.stopping.wait(chunk_delay):
                    self.close_connection = True
                    return
                event(chunk({"content": piece}, None))
            if cut is not None:
                self.close_connection = True  # no finish chunk, no [DONE], no final 0-chunk
                return
            event(chunk({}, finish_reason or "stop"))
            options = body.get("stream_options") or {}
            if options.get("include_usage"):
                event(json.dumps({**base, "choices": [], "usage": usage or _usage(body, content)}))
        event("[DONE]")
        if chunked:
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()

    # low-level ---------------------------------------------------------------------------------

    def _path(self) -> str:
        return self.path.split("?", 1)[0]

    def _record(self) -> RecordedRequest:
        raw = self._read_body()
        try:
            parsed: Any = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        request = RecordedRequest(
            method=self.command,
            path=self._path(),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=parsed,
            raw_body=raw,
        )
        self.server.fake.record(request)
        return request

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send_json(self, code: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-request-id", f"req_fake_{len(self.server.fake.requests)}")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def _send_truncated_json(self, payload: Any) -> None:
        """Promise the whole body in Content-Length, send half of it, then close."""
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data[: len(data) // 2])
        self.wfile.flush()
        self.close_connection = True

    def _reset(self) -> None:
        """Abort the TCP connection (RST) without a response."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()  # really closes once rfile/wfile are closed in finish()


def _pieces(content: str) -> list[str]:
    """Split content into several stream deltas (word by word; halves for a single word)."""
    pieces = _WORD_RE.findall(content)
    if "".join(pieces) != content:  # leading/trailing whitespace-only content
        pieces = [content]
    if len(pieces) == 1 and len(content) > 1:
        mid = len(content) // 2
        pieces = [content[:mid], content[mid:]]
    return [p for p in pieces if p]


def _usage(body: dict[str, Any], completion: str) -> dict[str, int]:
    """Rough usage numbers (word counts): enough for code that reads the field."""
    prompt = sum(
        len(str(m.get("content") or "").split())
        for m in body.get("messages", [])
        if isinstance(m, dict)
    )
    done = len(completion.split())
    return {"prompt_tokens": prompt, "completion_tokens": done, "total_tokens": prompt + done}


def _error_body(code: int, message: str | None = None) -> dict[str, Any]:
    kind, err_code = _ERROR_TYPES.get(code, ("server_error" if code >= 500 else "error", None))
    text = message or f"Fake OpenAI error {code}"
    return {"error": {"message": text, "type": kind, "param": None, "code": err_code}}


@pytest.fixture(name="fake_openai")
def fake_openai_fixture() -> Iterator[FakeOpenAI]:
    """A running FakeOpenAI, stopped (all threads joined) after the test."""
    with FakeOpenAI() as server:
        yield server
    if server.errors:
        pytest.fail(f"the fake OpenAI server itself failed: {server.errors[0]!r}")
