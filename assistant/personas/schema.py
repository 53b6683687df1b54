"""The persona file schema (``prompts/personas/<id>.yaml``), validated strictly.

Unknown keys, placeholders a template may not use, out-of-range numbers and upper-case terms
are errors naming the file and the field, never a surprise at pitch time.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from assistant.core.errors import ConfigError
from assistant.core.terms import check_terms, find_terms
from assistant.personas.phrasing import PLACEHOLDERS, check_template, template_fields

ProofKind = Literal[
    "architecture", "benchmark", "certification", "case_study", "roi", "customer_quote"
]
SentenceStyle = Literal["technical", "balanced", "business"]
Unit = Annotated[float, Field(ge=0.0, le=1.0)]
Text = Annotated[str, Field(min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Priority(_Strict):
    """A theme the persona buys for, matched against feature text by its keywords."""

    theme: Text
    keywords: list[str] = Field(min_length=1)
    weight: Unit = 1.0

    lowercase_terms = field_validator("keywords")(check_terms)


class Vocabulary(_Strict):
    """Words that land with the persona, and words (jargon, hype) to keep out."""

    prefer: list[str] = Field(default_factory=list)
    avoid: list[str] = Field(default_factory=list)

    lowercase_terms = field_validator("prefer", "avoid")(check_terms)

    @field_validator("avoid")
    @classmethod
    def _disjoint(cls, avoid: list[str], info: Any) -> list[str]:
        both = sorted(set(avoid) & set(info.data.get("prefer", [])))
        if both:
            raise ValueError(f"{', '.join(map(repr, both))} also in prefer")
        return avoid


class Length(_Strict):
    """How much to write for this persona."""

    features: int = Field(3, ge=1, le=8)
    sentences_per_feature: int = Field(3, ge=1, le=8)
    max_words: int = Field(450, ge=50, le=3000)


class Phrasing(_Strict):
    """Persona phrasing for the offline composer; placeholders are checked at load time."""

    opener: Text
    feature_lead: list[Text] = Field(min_length=2, max_length=4)
    proof_lead: Text
    competitive_lead: Text
    close: Text

    @field_validator("opener", "proof_lead", "competitive_lead", "close")
    @classmethod
    def _placeholders(cls, value: str, info: Any) -> str:
        return check_template(value, PLACEHOLDERS[info.field_name])

    @field_validator("feature_lead")
    @classmethod
    def _lead_placeholders(cls, values: list[str]) -> list[str]:
        for i, value in enumerate(values):
            try:
                check_template(value, PLACEHOLDERS["feature_lead"])
            except ValueError as exc:
                raise ValueError(f"variant {i}: {exc}") from None
        return values


class Persona(_Strict):
    """One buyer persona, loaded from ``prompts/personas/<id>.yaml``."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: Text
    aliases: list[str] = Field(min_length=1)
    description: Text
    priorities: list[Priority] = Field(min_length=1, max_length=8)
    tone: Text
    vocabulary: Vocabulary
    proof: list[ProofKind] = Field(min_length=1)
    technical_share: Unit
    sentence_style: SentenceStyle
    length: Length
    cta: Text
    phrasing: Phrasing
    discovery_focus: list[str] = Field(min_length=1)
    involve: list[str] = Field(default_factory=list)

    lowercase_terms = field_validator("aliases", "discovery_focus", "involve")(check_terms)

    @field_validator("cta")
    @classmethod
    def _cta_placeholders(cls, value: str) -> str:
        return check_template(value, PLACEHOLDERS["cta"])

    @field_validator("proof")
    @classmethod
    def _unique_proof(cls, values: list[str]) -> list[str]:
        repeated = sorted({v for v in values if values.count(v) > 1})
        if repeated:
            raise ValueError(f"repeated {', '.join(repeated)}")
        return values

    def placeholders(self, field: str, index: int = 0) -> set[str]:
        """The placeholder names a phrasing template needs."""
        return template_fields(self._template(field, index))

    def render(self, field: str, index: int = 0, **values: str) -> str:
        """Fill a phrasing template; ``feature_lead`` picks variant ``index % len``.

        Extra values are ignored; a placeholder without a value is a ``ConfigError``.
        """
        template = self._template(field, index)
        needed = template_fields(template)
        missing = sorted(needed - values.keys())
        if missing:
            raise ConfigError(
                f"persona {self.id}: phrasing.{field} needs a value for "
                + ", ".join("{" + m + "}" for m in missing)
            )
        return template.format_map({name: str(values[name]) for name in needed})

    def _template(self, field: str, index: int) -> str:
        if field not in PLACEHOLDERS:
            raise ConfigError(
                f"persona {self.id}: no phrasing field {field!r} (known: {', '.join(PLACEHOLDERS)})"
            )
        template = self.cta if field == "cta" else getattr(self.phrasing, field)
        if isinstance(template, list):
            return template[index % len(template)]
        return template

    def avoided_terms(self, text: str) -> list[str]:
        """The persona's ``vocabulary.avoid`` terms that occur in ``text`` (whole words)."""
        return find_terms(self.vocabulary.avoid, text)

    def prompt_variables(self, vendor: str) -> dict[str, Any]:
        """What an LLM prompt is told about this persona."""
        return {
            "title": self.title,
            "tone": self.tone,
            "prefer": self.vocabulary.prefer,
            "avoid": self.vocabulary.avoid,
            "proof": self.proof,
            "cta": self.render("cta", vendor=vendor),
            "max_words": self.length.max_words,
        }

    def names(self) -> list[tuple[str, str]]:
        """``(field, name)`` for every name this persona answers to: id, title, aliases."""
        return [
            ("id", self.id.replace("_", " ")),
            ("title", self.title),
            *(("aliases", a) for a in self.aliases),
        ]
