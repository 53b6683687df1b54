"""The LLM writer: any OpenAI-compatible chat model, streamed, budgeted, fault-tolerant.

This is the only module that imports ``openai``. The model writes *from the plan*: the planner
has already chosen features, proof and competitive angle; the model turns the plan's evidence
(numbered, fenced sources) into prose with ``[n]`` citations, returned as JSON. The same
verifier as for the offline composer runs on its output. Anything that goes wrong (invalid
JSON twice, timeouts, 429/5xx after bounded retries, a cut or empty stream) falls back to the
offline composer with a warning, never a traceback and never a hang.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import BaseModel, ValidationError

from . import tokens
from .ask import AskPlan
from .config import Settings
from .drafting import Draft, TextSink, Writer
from .errors import ConfigError, LLMError
from .evidence import Evidence, looks_like_injection
from .lexical import tokenize
from .objection import ObjectionPlan
from .planner import PitchPlan
from .prompts import Prompts, Source, render_sources
from .records import Chunk
from .results import Citations, Section
from .text import sentences
from .upsell import UpsellPlan
from .writing import OfflineWriter

log = logging.getLogger(__name__)
CITE_RE = re.compile(r"\[(\d+)\]")


# -- choosing the writer ------------------------------------------------------------------------


def llm_credentials() -> tuple[str | None, str | None]:
    """(api key, base URL) from the openai client's own environment variables."""
    return os.environ.get("OPENAI_API_KEY") or None, os.environ.get("OPENAI_BASE_URL") or None


def writer_choice(settings: Settings) -> tuple[str, str]:
    """("llm" | "offline", a plain reason), per ``PITCHCRAFT_LLM``."""
    key, base = llm_credentials()
    if settings.llm == "offline":
        return "offline", "PITCHCRAFT_LLM=offline"
    if key or base:
        return "llm", f"model {settings.model} at {_public_url(base or 'https://api.openai.com')}"
    if settings.llm == "openai":
        raise ConfigError("PITCHCRAFT_LLM=openai needs OPENAI_API_KEY or OPENAI_BASE_URL")
    return "offline", "no OPENAI_API_KEY or OPENAI_BASE_URL is set"


def _public_url(url: str) -> str:
    """The URL without credentials (``https://user:pass@host`` → ``https://host``)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def make_writer(settings: Settings, vendor: Callable[[], str]) -> Writer:
    kind, _ = writer_choice(settings)
    if kind == "offline":
        return OfflineWriter()
    return LLMWriter(settings, Prompts(settings.prompts_dir), vendor)


# -- streaming prose out of JSON ------------------------------------------------------------------


class ProseStream:
    """Feeds the ``title`` and ``text`` string values of a JSON reply to a sink as they arrive,
    so prose can be shown while the model is still writing its JSON."""

    _ESCAPES: ClassVar[dict[str, str]] = {
        "n": "\n",
        "t": "\t",
        "r": "",
        '"': '"',
        "\\": "\\",
        "/": "/",
        "b": "",
        "f": "",
    }

    def __init__(self, sink: TextSink | None) -> None:
        self.sink = sink
        self.buf = ""
        self.pos = 0
        self.in_string = False
        self.current = ""
        self.last_string = ""
        self.key: str | None = None  # the key whose value comes next
        self.value_of: str | None = None  # the key of the string being read

    def feed(self, delta: str) -> None:
        if self.sink is None:
            return
        self.buf += delta
        while self.pos < len(self.buf):
            ch = self.buf[self.pos]
            if self.in_string:
                if ch == "\\":
                    nxt = self.buf[self.pos + 1 : self.pos + 2]
                    if not nxt:
                        return  # wait for the rest of the escape
                    if nxt == "u":
                        code = self.buf[self.pos + 2 : self.pos + 6]
                        if len(code) < 4:
                            return
                        out = chr(int(code, 16)) if re.fullmatch(r"[0-9a-fA-F]{4}", code) else ""
                        self.pos += 6
                    else:
                        out = self._ESCAPES.get(nxt, nxt)
                        self.pos += 2
                    self._char(out)
                    continue
                if ch == '"':
                    self._end_string()
                else:
                    self._char(ch)
            elif ch == '"':
                self.in_string, self.current = True, ""
                self.value_of, self.key = self.key, None
            elif ch == ":":
                self.key = self.last_string
            elif ch in ",{}[]":
                self.key = None
            self.pos += 1

    def _char(self, text: str) -> None:
        self.current += text
        if self.value_of == "text" and self.sink:
            self.sink(text)

    def _end_string(self) -> None:
        self.in_string = False
        if self.value_of == "title" and self.sink:
            self.sink(f"\n\n## {self.current}\n\n")
        self.last_string = self.current
        self.value_of = None


# -- structured output ----------------------------------------------------------------------------


class _OutSection(BaseModel):
    title: str
    text: str
    customer_facing: bool = True


class _Out(BaseModel):
    sections: list[_OutSection]


def parse_json_reply(raw: str) -> dict[str, Any]:
    """The JSON object in a reply (tolerating a ```json fence); ValueError if there is none."""
    text = raw.strip()
    fence = re.match(r"^```(?:json)?\s*(.*?)\s*```$", text, re.S)
    if fence:
        text = fence.group(1)
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("the reply is JSON but not an object")
    return data


# -- sources from a plan --------------------------------------------------------------------------


def plan_evidence(plan: Any) -> list[Evidence]:
    """The plan's evidence in relevance order (what the sources budget is packed from)."""
    if isinstance(plan, PitchPlan):
        out = [e for p in plan.features for e in p.facts] + plan.hook + plan.proof
        out += plan.competitive + plan.next_step + plan.discovery
        out += [e for n in plan.objections for e in n.response] + plan.landmines
        out += [e for t in plan.involve for e in t.evidence]
        return out
    if isinstance(plan, ObjectionPlan):
        out = plan.acknowledge + plan.reframe + plan.evidence + plan.question + plan.coaching
        return out + [e for t in plan.involve for e in t.evidence]
    if isinstance(plan, UpsellPlan):
        out = [e for o in plan.opportunities for e in o.facts] + plan.proof
        out += plan.timing.evidence + [e for o in plan.opportunities for e in o.signal]
        return out
    if isinstance(plan, AskPlan):
        return [Evidence(s.sentence, s.chunk) for s in plan.judgement.support]
    raise TypeError(f"the LLM writer cannot write a {type(plan).__name__}")


def _clean(text: str) -> str:
    """A source's text minus sentences that try to instruct a model (defence in depth)."""
    kept = [s for s in sentences(text) if not looks_like_injection(s)]
    return " ".join(kept) if len(kept) != len(sentences(text)) else text


@dataclass
class Budgeted:
    sources: list[Source]
    dropped: int


def pack_sources(evidence: list[Evidence], budget: int, model: str) -> Budgeted:
    """One source per chunk, in order of first use, packed greedily into ``budget`` tokens."""
    chunks: list[Chunk] = []
    for e in evidence:
        if all(c.id != e.chunk.id for c in chunks):
            chunks.append(e.chunk)
    candidates = [Source(i + 1, c, _clean(c.text)) for i, c in enumerate(chunks)]
    blocks = [render_sources([s]) for s in candidates]
    kept = tokens.pack(blocks, budget, model)
    sources = [Source(n + 1, candidates[i].chunk, candidates[i].text) for n, i in enumerate(kept)]
    return Budgeted(sources, len(candidates) - len(kept))


# -- the writer -----------------------------------------------------------------------------------


def _persona_vars(persona: Any, vendor: str) -> dict[str, Any] | None:
    if persona is None:
        return None
    return {
        "title": persona.title,
        "tone": persona.tone,
        "prefer": persona.vocabulary.prefer,
        "avoid": persona.vocabulary.avoid,
        "proof": persona.proof,
        "cta": persona.render("cta", vendor=vendor),
        "max_words": persona.length.max_words,
    }


class LLMWriter:
    """Writes drafts with an OpenAI-compatible chat model."""

    def __init__(
        self, settings: Settings, prompts: Prompts, vendor: Callable[[], str], client: Any = None
    ) -> None:
        self.settings = settings
        self.prompts = prompts
        self.vendor = vendor
        self.model = settings.model
        self.name = f"llm:{settings.model}"
        self.fallback = OfflineWriter()
        key, base = llm_credentials()
        self._secret = key or ""
        if client is None:
            import openai

            client = openai.OpenAI(
                api_key=key or "not-needed",  # local servers (Ollama, vLLM) accept any key
                base_url=base,
                timeout=settings.llm_timeout,
                max_retries=settings.llm_retries,
            )
        self.client = client

    # -- public -----------------------------------------------------------------------------------
    def write(self, plan: Any, on_text: TextSink | None = None) -> Draft:
        evidence = plan_evidence(plan)
        packed = pack_sources(evidence, self.settings.llm_context_tokens, self.model)
        task, variables = self._task(plan)
        messages = self._messages(task, variables, packed.sources)
        info: dict[str, Any] = {
            "prompt_tokens": tokens.count_messages(messages, self.model),
            "sources_given": len(packed.sources),
            "sources_dropped_for_budget": packed.dropped,
            "model": self.model,
        }
        try:
            data = self.complete_json(messages, on_text)
            out = _Out.model_validate(data)
        except (LLMError, ValidationError) as exc:
            draft = self.fallback.write(plan)
            draft.warnings.append(
                f"the LLM writer failed ({self._safe(exc)}); "
                "the offline composer wrote this instead"
            )
            draft.info.update(info, llm_error=self._safe(exc))
            return draft
        sections, citations, warnings = self._cite(out, packed.sources)
        return Draft(sections, citations, self.name, warnings, info)

    def complete_json(
        self, messages: list[dict[str, str]], on_text: TextSink | None = None
    ) -> dict[str, Any]:
        """A JSON object from the model; an invalid reply is retried once with the error."""
        raw = self._chat(messages, on_text)
        try:
            return parse_json_reply(raw)
        except ValueError as exc:
            retry = [
                *messages,
                {"role": "assistant", "content": raw[:4000]},
                {
                    "role": "user",
                    "content": f"That was not valid JSON ({exc}). Reply again "
                    "with only the JSON object, nothing before or after it.",
                },
            ]
            raw = self._chat(retry, None)
            try:
                return parse_json_reply(raw)
            except ValueError as again:
                raise LLMError(f"the model returned invalid JSON twice ({again})") from None

    def messages(self, task: str, sources: list[Source], **variables: Any) -> list[dict[str, str]]:
        """System and user messages for any task (used by quizzes and grading too)."""
        return self._messages(task, variables, sources)

    # -- internals --------------------------------------------------------------------------------
    def _messages(
        self, task: str, variables: dict[str, Any], sources: list[Source]
    ) -> list[dict[str, str]]:
        system = self.prompts.render("system", vendor=self.vendor())
        user = self.prompts.render(task, sources=render_sources(sources), **variables)
        return [{"role": "system", "content": system}, {"role": "user", "content": user}]

    def _task(self, plan: Any) -> tuple[str, dict[str, Any]]:
        if isinstance(plan, PitchPlan):
            r = plan.request
            features = [
                {"name": p.feature.name, "module": p.feature.module, "why": p.why}
                for p in plan.features
            ]
            return "pitch", {
                "persona": _persona_vars(plan.persona, self.vendor()),
                "company": r.company,
                "account": r.account,
                "competitor": plan.competitor,
                "features": features,
            }
        if isinstance(plan, ObjectionPlan):
            persona = plan.resolution.persona if plan.resolution else None
            return "objection", {
                "persona": _persona_vars(persona, self.vendor()),
                "objection": plan.request.text,
                "competitor": plan.competitor,
                "matched": plan.matched,
            }
        if isinstance(plan, UpsellPlan):
            opportunities = [
                {"name": f"{o.feature.name} ({o.feature.module})", "why": o.why}
                for o in plan.opportunities
            ]
            return "upsell", {
                "account": plan.account.model_dump(mode="json"),
                "timing": {"status": plan.timing.status, "guidance": plan.timing.guidance},
                "opportunities": opportunities,
            }
        return "ask", {"question": plan.question}

    def _safe(self, exc: BaseException) -> str:
        """An error message that never contains the API key."""
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return text.replace(self._secret, "***") if self._secret else text

    def _chat(self, messages: list[dict[str, str]], on_text: TextSink | None) -> str:
        """One streamed completion with bounded retries and an overall deadline."""
        import openai

        deadline = time.monotonic() + self.settings.llm_deadline
        json_mode = True
        attempts = 1 + self.settings.llm_stream_retries
        last = "no attempt"
        for attempt in range(attempts):
            stream_out = ProseStream(on_text)
            try:
                kwargs: dict[str, Any] = {
                    "model": self.model,
                    "messages": messages,
                    "stream": True,
                    "temperature": self.settings.llm_temperature,
                    "max_tokens": self.settings.llm_max_output_tokens,
                }
                if json_mode:
                    kwargs["response_format"] = {"type": "json_object"}
                parts, finish = [], None
                for chunk in self.client.chat.completions.create(**kwargs):
                    if time.monotonic() > deadline:
                        raise LLMError(f"no complete answer within {self.settings.llm_deadline:g}s")
                    choice = chunk.choices[0] if chunk.choices else None
                    if choice is None:
                        continue
                    if choice.delta and choice.delta.content:
                        parts.append(choice.delta.content)
                        stream_out.feed(choice.delta.content)
                    finish = choice.finish_reason or finish
                text = "".join(parts)
                if not text.strip():
                    last = "the model returned an empty answer"
                elif finish is None:
                    last = "the answer stream was cut off"
                else:
                    if finish == "length":
                        log.warning("the model hit the output token limit")
                    return text
            except openai.BadRequestError as exc:
                if json_mode and "response_format" in str(exc):
                    json_mode = False  # servers without JSON mode: the prompt asks for JSON
                    continue
                raise LLMError(f"the model rejected the request: {self._safe(exc)}") from None
            except openai.AuthenticationError:
                raise LLMError("the API key was rejected (401)") from None
            except openai.APITimeoutError:
                last = f"timed out after {self.settings.llm_timeout:g}s"
            except openai.APIConnectionError as exc:
                last = f"connection failed: {self._safe(exc)}"
            except openai.RateLimitError:
                raise LLMError("rate limited (429) after retries") from None
            except openai.APIStatusError as exc:
                raise LLMError(f"the model server answered {exc.status_code}") from None
            log.info("LLM attempt %d/%d failed: %s", attempt + 1, attempts, last)
            if time.monotonic() > deadline:
                break
        raise LLMError(last)

    def _cite(self, out: _Out, sources: list[Source]) -> tuple[list[Section], Citations, list[str]]:
        """Map the model's ``[n]`` to citations; drop and flag ids that were never given."""
        by_n = {s.n: s for s in sources}
        citations = Citations()
        warnings: list[str] = []
        sections: list[Section] = []
        for sec in out.sections:
            refs: list[int] = []

            def replace(
                m: re.Match[str],
                text: str = sec.text,
                title: str = sec.title,
                refs: list[int] = refs,
            ) -> str:
                source = by_n.get(int(m.group(1)))
                if source is None:
                    warnings.append(
                        f"{title}: dropped citation [{m.group(1)}], which is not "
                        "one of the sources given"
                    )
                    return ""
                claim = _sentence_around(text, m.start())
                n = citations.cite(source.chunk, _best_quote(claim, source.chunk.text))
                refs.append(n)
                return f"[{n}]"

            text = CITE_RE.sub(replace, sec.text)
            text = re.sub(r"\s+([.,;:!?])", r"\1", re.sub(r"[ \t]{2,}", " ", text)).strip()
            sections.append(Section(sec.title, text, sorted(set(refs)), sec.customer_facing))
        return sections, citations, warnings


def _sentence_around(text: str, index: int) -> str:
    start = max(text.rfind(". ", 0, index), text.rfind("\n", 0, index)) + 1
    return text[start:index]


def _best_quote(claim: str, chunk_text: str) -> str:
    """The chunk sentence sharing most words with the claim (a verbatim quote)."""
    words = set(tokenize(claim))
    options = sentences(chunk_text) or [chunk_text]
    return max(options, key=lambda s: (len(words & set(tokenize(s))), -len(s)))
