"""The writer interface: a ``Plan`` in, a ``Draft`` out.

A plan (``PitchPlan``, ``ObjectionPlan``, ``UpsellPlan``, ``AskPlan``...) says what it is
(``task``: its prompt in ``prompts/llm/`` and its offline composer), what evidence it carries,
what its prompt needs and whose name to sell under. Every writer composes every job the same
way from that, so a new job needs a plan, an offline composer and a prompt, and no writer edit.
"""

from __future__ import annotations

from typing import Any, ClassVar, Protocol

from assistant.core.results import Draft, TextSink
from assistant.retrieval.evidence import Evidence


class Plan(Protocol):
    """What a job hands a writer."""

    task: ClassVar[str]
    # True where every statement must cite a source (an answer); else only those with numbers
    cite_every_sentence: ClassVar[bool]
    vendor: str

    def all_evidence(self) -> list[Evidence]:
        """Every sentence the plan may use, most relevant first (an LLM's sources)."""
        ...

    def prompt_variables(self) -> dict[str, Any]:
        """The variables of the task's prompt, besides the fenced sources."""
        ...

    def given(self) -> str:
        """The rep's own input (its numbers need no source)."""
        ...


class Writer(Protocol):
    """Writes a draft from a plan; ``on_text`` receives prose as it is written."""

    name: str

    def write(self, plan: Plan, on_text: TextSink | None = None) -> Draft: ...
