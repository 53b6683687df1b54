"""The LLM writer: any OpenAI-compatible chat model, streamed, budgeted, fault-tolerant.

This is the only module that imports ``openai``. The model writes *from the plan*: the planner
has already chosen features, proof and competitive angle; the model turns the plan's evidence
(numbered, fenced sources) into prose with ``[n]`` citations, returned as JSON. The same
verifier as for the offline composer runs on its output. Anything that goes wrong (invalid
JSON twice, timeouts, 429/5xx after bounded retries, a cut or empty stream) falls back to the
offline composer with a warning, never a traceback and never a hang.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from assistant.core.config import Settings
from assistant.core.errors import LLMError
from assistant.core.results import CITE_RE, Citations, Draft, Section, TextSink
from assistant.core.text import sentences
from assistant.index.lexical import tokenize
from assistant.writers import tokens
from assistant.writers.base import Plan
from assistant.writers.gate import problems
from assistant.writers.offline import OfflineWriter
from assistant.writers.prompts import Prompts
from assistant.writers.sources import Source, pack_sources, render_sources
from assistant.writers.streaming import ProseStream, Reply, parse_json_reply

log = logging.getLogger(__name__)


class LLMWriter:
    """Writes drafts with an OpenAI-compatible chat model."""

    def __init__(self, settings: Settings, prompts: Prompts, client: Any = None) -> None:
        self.settings = settings
        self.prompts = prompts
        self.model = settings.model
        self.name = f"llm:{settings.model}"
        self.fallback = OfflineWriter()
        key = settings.api_key
        self._secret = key or ""
        if client is None:
            import openai

            client = openai.OpenAI(
                api_key=key or "not-needed",  # local servers (Ollama, vLLM) accept any key
                base_url=settings.openai_base_url,
                timeout=settings.llm_timeout,
                max_retries=settings.llm_retries,
            )
        self.client = client

    # -- public -----------------------------------------------------------------------------------
    def write(self, plan: Plan, on_text: TextSink | None = None) -> Draft:
        packed = pack_sources(plan.all_evidence(), self.settings.llm_context_tokens, self.model)
        messages = self.messages(plan.task, packed.sources, plan.vendor, **plan.prompt_variables())
        info: dict[str, Any] = {
            "prompt_tokens": tokens.count_messages(messages, self.model),
            "sources_given": len(packed.sources),
            "sources_dropped_for_budget": packed.dropped,
            "model": self.model,
        }
        deadline = time.monotonic() + self.settings.llm_deadline  # the whole job, retries too
        asked = messages
        found: list[str] = []
        for attempt in range(1 + self.settings.llm_verify_retries):
            try:
                out = Reply.model_validate(self.complete_json(asked, on_text, deadline))
            except (LLMError, ValidationError) as exc:
                return self._fallback(plan, info, _plain(exc, self._safe))
            found = problems(out, packed.sources, plan.given(), plan.cite_every_sentence)
            if not found:
                sections, citations, warnings = self._cite(out, packed.sources)
                info["verification_retries"] = attempt
                return Draft(sections, citations, self.name, warnings, info)
            log.info("LLM answer failed verification: %s", "; ".join(found))
            asked = [
                *messages,
                {"role": "assistant", "content": out.model_dump_json()[:4000]},
                {"role": "user", "content": self.prompts.render("fix", problems=found)},
            ]
            on_text = None  # the first attempt was shown as it came; retries are not
        shown = "; ".join(found[:3]) + (f"; and {len(found) - 3} more" if len(found) > 3 else "")
        return self._fallback(plan, info, f"its answer failed verification: {shown}")

    def _fallback(self, plan: Plan, info: dict[str, Any], reason: str) -> Draft:
        draft = self.fallback.write(plan)
        draft.warnings.append(
            f"the LLM writer's answer was not used ({reason}); "
            "the offline composer wrote this instead"
        )
        draft.info.update(info, llm_error=reason)
        return draft

    def complete_json(
        self,
        messages: list[dict[str, str]],
        on_text: TextSink | None = None,
        deadline: float | None = None,
    ) -> dict[str, Any]:
        """A JSON object from the model; an invalid reply is retried once with the error.
        ``deadline`` (``time.monotonic()``) bounds every request; default: the setting."""
        deadline = deadline or time.monotonic() + self.settings.llm_deadline
        raw = self._chat(messages, on_text, deadline)
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
            raw = self._chat(retry, None, deadline)
            try:
                return parse_json_reply(raw)
            except ValueError as again:
                log.info("invalid JSON twice: %s", again)
                raise LLMError("its reply was invalid JSON twice (malformed or cut off)") from None

    def messages(
        self, task: str, sources: list[Source], vendor: str, **variables: Any
    ) -> list[dict[str, str]]:
        """System and user messages for any task (used by quizzes and grading too)."""
        system = self.prompts.render("system", vendor=vendor)
        user = self.prompts.render(task, sources=render_sources(sources), **variables)
        return [{"role": "system", "content": system}, {"role": "user", "content": user}]

    # -- internals --------------------------------------------------------------------------------
    def _safe(self, exc: BaseException) -> str:
        """An error message that never contains the API key."""
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return text.replace(self._secret, "***") if self._secret else text

    def _chat(
        self, messages: list[dict[str, str]], on_text: TextSink | None, deadline: float
    ) -> str:
        """One streamed completion with bounded retries, ending by ``deadline``."""
        import openai

        json_mode = True
        attempts = 1 + self.settings.llm_stream_retries
        last = "no attempt"
        for attempt in range(attempts):
            stream_out = ProseStream(on_text)
            now = time.monotonic()
            try:
                kwargs: dict[str, Any] = {
                    "model": self.model,
                    "messages": messages,
                    "stream": True,
                    "temperature": self.settings.llm_temperature,
                    "max_tokens": self.settings.llm_max_output_tokens,
                    # a read never waits past the job's deadline
                    "timeout": max(1.0, min(self.settings.llm_timeout, deadline - now)),
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

    def _cite(
        self, out: Reply, sources: list[Source]
    ) -> tuple[list[Section], Citations, list[str]]:
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


def _plain(exc: BaseException, safe: Callable[[BaseException], str]) -> str:
    """What went wrong, in words a rep can act on (never a library's internal message)."""
    if isinstance(exc, ValidationError):
        missing = sorted({_part(e["loc"]) for e in exc.errors()})
        return f"its reply was not in the expected shape (missing: {', '.join(missing)})"
    return safe(exc)


def _part(loc: tuple[int | str, ...]) -> str:
    """``("sections", 1, "text")`` as "section 2's text"."""
    if len(loc) >= 2 and loc[0] == "sections" and isinstance(loc[1], int):
        section = f"section {loc[1] + 1}"
        return f"{section}'s {loc[2]}" if len(loc) > 2 else section
    return "the " + " ".join(str(p) for p in loc) if loc else "the reply"


def _sentence_around(text: str, index: int) -> str:
    start = max(text.rfind(". ", 0, index), text.rfind("\n", 0, index)) + 1
    return text[start:index]


def _best_quote(claim: str, chunk_text: str) -> str:
    """The chunk sentence sharing most words with the claim (a verbatim quote)."""
    words = set(tokenize(claim))
    options = sentences(chunk_text) or [chunk_text]
    return max(options, key=lambda s: (len(words & set(tokenize(s))), -len(s)))
