"""The offline grounded composer (the embedded default): no model, no network, same plan →
same draft. It only ever places verbatim knowledge-base sentences, each followed by its
citation, inside persona phrasing from ``prompts/``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from assistant.core.results import Draft, TextSink
from assistant.writers.base import Plan
from assistant.writers.offline.ask import compose_answer
from assistant.writers.offline.objection import compose_objection
from assistant.writers.offline.pitch import compose_pitch
from assistant.writers.offline.upsell import compose_upsell

COMPOSERS: dict[str, Callable[[Any, str], Draft]] = {
    "ask": compose_answer,
    "pitch": compose_pitch,
    "objection": compose_objection,
    "upsell": compose_upsell,
}
"""One composer per plan ``task``."""


class OfflineWriter:
    """The grounded composer."""

    name = "offline"

    def write(self, plan: Plan, on_text: TextSink | None = None) -> Draft:
        compose = COMPOSERS.get(plan.task)
        if compose is None:
            raise TypeError(f"the offline writer has no composer for {plan.task!r} plans")
        return compose(plan, self.name)
