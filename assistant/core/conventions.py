"""``prompts/conventions.yaml``: the headings and titles by which parts of a knowledge base are
recognised (battlecard sections, objection headings, a discovery guide, a who-to-involve
directory...), validated when a knowledge store opens. See docs/knowledge-conventions.md."""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from assistant.core.terms import check_terms
from assistant.core.yamlfile import Pattern, exactly, load_model

SECTIONS = ("competitive_wins", "customer_angle", "technical_detail", "business_outcomes")
HEADING_WORDS = ("objections", "landmines", "results", "quotes")
PATTERNS = (
    "discovery_guide",
    "involve_directory",
    "expansion_playbook",
    "faq_page",
    "certification_claim",
    "certification_standard",
    "negation",
    "money_result",
    "advantage",
    "parity",
    "differentiator_section",
)
Terms = Annotated[list[str], Field(min_length=1), AfterValidator(check_terms)]


class Conventions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    sections: Annotated[dict[str, Terms], exactly(SECTIONS)]
    """Last parts of a section heading, compared exactly (lower-case)."""
    heading_words: Annotated[dict[str, Terms], exactly(HEADING_WORDS)]
    """Words that occur anywhere in a heading (lower-case)."""
    patterns: Annotated[dict[str, Pattern], exactly(PATTERNS)]
    """Regular expressions; case-sensitive unless they start with ``(?i)``."""
    generic_heading_words: Terms
    """Words that alone do not name a feature (see ``index.catalog.feature_name``)."""
    next_step_offers: Terms
    involve_request: str = Field(min_length=1)
    involve_not_reasons: Terms

    @field_validator("involve_request")
    @classmethod
    def _lower(cls, value: str) -> str:
        return check_terms([value])[0]

    @cached_property
    def regex(self) -> dict[str, re.Pattern[str]]:
        """Every pattern compiled, by name."""
        return {name: re.compile(value) for name, value in self.patterns.items()}

    def matches(self, pattern: str, text: str) -> re.Match[str] | None:
        """``patterns.<pattern>`` searched in ``text``."""
        return self.regex[pattern].search(text)

    def heading_has(self, kind: str, heading: str) -> bool:
        """Whether ``heading`` contains one of ``heading_words.<kind>``."""
        lowered = heading.lower()
        return any(word in lowered for word in self.heading_words[kind])


def load_conventions(prompts_dir: Path) -> Conventions:
    return load_model(Path(prompts_dir) / "conventions.yaml", Conventions)
