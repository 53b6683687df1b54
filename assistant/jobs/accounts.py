"""Account files (YAML, see ``examples/accounts/``): what a customer owns, uses and wants,
validated strictly so a typo names the field."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant.core.errors import ConfigError
from assistant.core.yamlfile import YAMLProblem, parse_yaml


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


Severity = Literal["critical", "high", "medium", "low", "sev1", "sev2", "sev3", "sev4"]
BLOCKING = {"critical", "high", "sev1", "sev2"}


class Issue(_Strict):
    summary: str
    severity: Severity = "medium"
    status: Literal["open", "resolved"] = "open"


class Stakeholder(_Strict):
    name: str
    title: str = ""
    role: str = ""


class Account(_Strict):
    """An account file (YAML); see ``examples/accounts/`` for documented examples."""

    account: str = Field(min_length=1, description="Customer name")
    industry: str = ""
    edition: str = ""
    owned: list[str] = Field(default_factory=list, description="Modules already bought")
    seats: int | None = Field(None, ge=0)
    usage: list[str] = Field(default_factory=list, description="Usage signals, in words")
    goals: list[str] = Field(default_factory=list, description="What the customer wants next")
    renewal_date: dt.date | None = None
    health: Literal["green", "amber", "red"] | None = None
    open_issues: list[Issue] = Field(default_factory=list)
    stakeholders: list[Stakeholder] = Field(default_factory=list)
    results_so_far: list[str] = Field(default_factory=list, description="Customer's results")

    def text(self) -> str:
        """Everything the account team wrote, for the verifier's given numbers."""
        parts = [
            self.account,
            *self.usage,
            *self.goals,
            *self.results_so_far,
            *(i.summary for i in self.open_issues),
        ]
        return "\n".join(parts)


def load_account(path: Path) -> Account:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read account file ({exc.strerror})") from None
    return parse_account(text, str(path))


def parse_account(text: str, name: str = "account file") -> Account:
    """An account from YAML text (an uploaded file); ``ConfigError`` naming ``name`` if bad."""
    try:
        data = parse_yaml(text, dates_as_text=True)
    except YAMLProblem as exc:
        raise ConfigError(f"{name}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if data is not None and not isinstance(data, dict):
        raise ConfigError(f"{name}: an account file is a YAML mapping (account: ..., goals: ...)")
    try:
        return Account.model_validate(data or {})
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err["loc"]) or "(file)"
        raise ConfigError(f"{name}: {where}: {err['msg']}") from None
