"""Whole-word term matching, and the technical/business lexicon (``prompts/vocabulary.yaml``).

``find_terms`` is how every word list in Pitchcraft is matched (persona priorities and avoid
lists, competitor names, pushy phrases): whole words or phrases, case-insensitive, hyphens and
spaces alike, a trailing plural "s"/"es" allowed.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from assistant.core.errors import ConfigError
from assistant.core.yamlfile import display_path, load_model


def check_terms(values: list[str]) -> list[str]:
    """A pydantic validator body: terms are lower-case, trimmed and non-empty."""
    for value in values:
        if not value.strip():
            raise ValueError("empty term")
        if value != value.lower():
            raise ValueError(f"{value!r} must be lower-case")
        if value != value.strip():
            raise ValueError(f"{value!r} has leading or trailing spaces")
    return values


def _term_key(term: str) -> str:
    return re.sub(r"[-\s]+", " ", term.strip().lower())


@functools.lru_cache(maxsize=64)
def _term_pattern(terms: frozenset[str]) -> re.Pattern[str]:
    alternatives = []
    for term in sorted(terms, key=lambda t: (-len(t), t)):
        body = r"[-\s]+".join(re.escape(part) for part in re.split(r"[-\s]+", term.strip()))
        plural = r"(?:e?s)?" if term[-1:].isalpha() else ""
        alternatives.append(f"(?:{body}){plural}")
    if not alternatives:
        return re.compile(r"(?!x)x")
    # Group 1 is the whole match (plural ending included); `_matches` maps it back to a term.
    joined = "|".join(alternatives)
    return re.compile(rf"(?<!\w)({joined})(?!\w)", re.IGNORECASE)


def _matches(terms: frozenset[str], text: str) -> list[str]:
    keys = {_term_key(t): t for t in terms}
    found = []
    for match in _term_pattern(terms).finditer(text):
        key = _term_key(match.group(1))
        term = keys.get(key)
        if term is None:  # matched with a plural ending: strip it
            term = keys.get(re.sub(r"e?s$", "", key)) or keys.get(key[:-1])
        if term is not None:
            found.append(term)
    return found


def find_terms(terms: Iterable[str], text: str) -> list[str]:
    """The listed terms that occur in ``text`` as whole words or phrases, first-seen order."""
    return list(dict.fromkeys(_matches(frozenset(terms), text)))


@dataclass(frozen=True)
class Lexicon:
    """The global technical and business word lists behind the persona-fit score."""

    technical: frozenset[str]
    business: frozenset[str]

    def counts(self, text: str) -> tuple[int, int]:
        """(technical, business) occurrences: whole words or phrases, case-insensitive."""
        tech = biz = 0
        for term in _matches(self.technical | self.business, text):
            if term in self.technical:
                tech += 1
            else:
                biz += 1
        return tech, biz

    def technical_share(self, text: str) -> float:
        """technical / (technical + business); 0.5 when the text has neither."""
        tech, biz = self.counts(text)
        return 0.5 if tech + biz == 0 else tech / (tech + biz)

    def classify(self, text: str) -> str:
        """ "technical", "business", or "summary" when the vocabulary does not lean either way."""
        share = self.technical_share(text)
        return "technical" if share > 0.5 else "business" if share < 0.5 else "summary"


class _VocabularyFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)
    technical: list[str] = Field(min_length=1)
    business: list[str] = Field(min_length=1)

    lowercase_terms = field_validator("technical", "business")(check_terms)


def load_vocabulary(prompts_dir: Path) -> Lexicon:
    """The global ``prompts_dir/vocabulary.yaml`` word lists as a ``Lexicon``."""
    path = Path(prompts_dir) / "vocabulary.yaml"
    if not path.is_file():
        raise ConfigError(f"{display_path(path)}: vocabulary file not found")
    vocab = load_model(path, _VocabularyFile)
    tech_keys = {_term_key(t) for t in vocab.technical}
    both = sorted(t for t in vocab.business if _term_key(t) in tech_keys)
    if both:
        raise ConfigError(
            f"{display_path(path)}: business: {', '.join(map(repr, both))} also in technical"
        )
    return Lexicon(frozenset(vocab.technical), frozenset(vocab.business))
