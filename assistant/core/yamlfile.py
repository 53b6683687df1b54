"""YAML in, validated records out: the only module that imports ``yaml``.

Every configuration file (personas, phrasing, vocabulary, conventions, account files) and every
front-matter block goes through here, so a problem always reads the same way: the file, the
field path and a plain reason (``prompts/personas/cio.yaml: length.features: ...``).
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from pathlib import Path
from typing import Annotated, Any, TypeVar

import yaml
from pydantic import AfterValidator, BaseModel, ValidationError

from assistant.core.errors import ConfigError

M = TypeVar("M", bound=BaseModel)


def check_pattern(value: str) -> str:
    """A regular expression that compiles (a field validator for configuration files)."""
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"{value!r} is not a regular expression ({exc})") from None
    return value


Pattern = Annotated[str, AfterValidator(check_pattern)]
"""A configuration field holding a regular expression, checked when the file loads."""


def exactly(keys: tuple[str, ...]) -> AfterValidator:
    """A validator for a mapping that must have exactly these keys (each missing or unknown one
    named)."""

    def check(value: dict[str, Any]) -> dict[str, Any]:
        missing, unknown = set(keys) - set(value), set(value) - set(keys)
        if missing or unknown:
            raise ValueError(
                "; ".join(
                    f"{what}: {', '.join(sorted(names))}"
                    for what, names in (("missing", missing), ("unknown", unknown))
                    if names
                )
            )
        return value

    return AfterValidator(check)


class YAMLProblem(ValueError):
    """Text that is not valid YAML; ``line`` is 0-based when the parser knows it."""

    def __init__(self, exc: yaml.YAMLError) -> None:
        super().__init__(str(exc))
        mark = getattr(exc, "problem_mark", None)
        self.line: int | None = mark.line if mark else None
        self.problem: str = getattr(exc, "problem", None) or "invalid YAML"


# libyaml's parser where PyYAML was built with it (several times faster), else pure Python.
_Safe = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _TextDates(_Safe):  # type: ignore[misc, valid-type]
    """Safe YAML that leaves dates as text, so a validator can report a bad one by name."""


_TextDates.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _Safe.yaml_implicit_resolvers.items()
}


def parse_yaml(text: str, dates_as_text: bool = False) -> Any:
    """Safe-load YAML text; ``YAMLProblem`` when it is malformed."""
    try:
        return yaml.load(text, Loader=_TextDates if dates_as_text else _Safe)
    except yaml.YAMLError as exc:
        raise YAMLProblem(exc) from None


def display_path(path: Path) -> str:
    """``path`` relative to the working folder when it is inside it (shorter messages)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def read_yaml(path: Path) -> dict[str, Any]:
    """A YAML mapping from a file; ``ConfigError`` naming the file for anything else."""
    where = display_path(path)
    try:
        data = parse_yaml(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{where}: cannot read: {exc}") from exc
    except YAMLProblem as exc:
        reason = " ".join(str(exc).split())
        raise ConfigError(f"{where}: invalid YAML: {reason}") from exc
    if data is None:  # empty, or comments only
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping of fields, got {type(data).__name__}")
    return data


def load_model(path: Path, model: type[M]) -> M:
    """Read ``path`` and validate it as ``model``; any problem is one ``ConfigError`` line."""
    data = read_yaml(path)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        loc, reason = explain(exc, model)
        raise ConfigError(f"{display_path(path)}: {loc}: {reason}") from None


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model that owns the last key of an error location."""
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        info = model.model_fields.get(str(part))
        if info is None:
            return None
        annotation: Any = info.annotation
        while typing.get_origin(annotation) in (list, typing.Union, types.UnionType):
            annotation = typing.get_args(annotation)[0]
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return None
        model = annotation
    return model


def explain(exc: ValidationError, model: type[BaseModel]) -> tuple[str, str]:
    """(field path, reason) of the first validation error, with a hint for typos."""
    errors = exc.errors()
    first = errors[0]
    loc = tuple(first["loc"])
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
    reason = str(first["msg"]).removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        owner = _model_at(model, loc)
        allowed = list(owner.model_fields) if owner else []
        hint = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        reason = "unknown field" + (f" (did you mean {hint[0]!r}?)" if hint else "")
        if allowed:
            reason += f"; allowed: {', '.join(allowed)}"
    elif first["type"] == "missing":
        reason = "required field is missing"
    elif isinstance(first.get("input"), str | int | float | bool):
        reason += f" (got {first['input']!r})"
    if len(errors) > 1:
        reason += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    return where or "(file)", reason
