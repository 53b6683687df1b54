"""``pitchcraft.yaml``: the enablement team's corrections to what was read from its documents.

An optional file at the root of an ingested folder. Everything in it is optional::

    vendor: Lumora                      # the selling company, when the documents leave it unclear
    competitors:                        # names the documents use for each competitor
      Quillmark: [Quill, QM]
    paths:                              # by path glob, relative to the folder (* crosses folders)
      - glob: "internal/*"
        audience: internal              # or customer-safe
      - glob: "faq/*.md"
        role: qa                        # any role of prompts/roles.yaml
    personas:                           # how this company describes its buyers
      cfo:
        titles: [Head of Finance Operations]
        description: Owns the software budget and asks for payback within a year.

It is validated at ingest; a problem is one line naming the file and the key. The corrections
are stored with the knowledge base, so every later job reads them.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
from collections.abc import Collection
from pathlib import Path
from typing import Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from assistant.core.errors import ConfigError
from assistant.core.yamlfile import display_path, load_model

FILE_NAME = "pitchcraft.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PathRule(_Strict):
    glob: str = Field(min_length=1)
    role: str | None = None
    audience: Literal["customer-safe", "internal"] | None = None


class PersonaNote(_Strict):
    titles: list[str] = Field(default_factory=list)
    description: str = ""


class Corrections(_Strict):
    vendor: str = ""
    competitors: dict[str, list[str]] = Field(default_factory=dict)
    paths: list[PathRule] = Field(default_factory=list)
    personas: dict[str, PersonaNote] = Field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return self == Corrections()

    def digest(self) -> str:
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:16]

    def rule_for(self, source: str) -> tuple[int, PathRule] | None:
        """The last path rule whose glob matches ``source`` (later rules refine earlier)."""
        found = None
        for i, rule in enumerate(self.paths):
            if fnmatch.fnmatchcase(source, rule.glob):
                found = (i, rule)
        return found

    def merged(self, other: Corrections) -> Corrections:
        """Both files' corrections; ``other`` wins where both set the same key."""
        return Corrections(
            vendor=other.vendor or self.vendor,
            competitors={**self.competitors, **other.competitors},
            paths=[*self.paths, *other.paths],
            personas={**self.personas, **other.personas},
        )


def load_corrections(path: Path, roles: Collection[str], personas: Collection[str]) -> Corrections:
    """Read and validate one ``pitchcraft.yaml``; ``ConfigError`` naming file and key."""
    corrections = load_model(path, Corrections)
    where = display_path(path)
    for i, rule in enumerate(corrections.paths):
        if rule.role is not None and rule.role not in roles:
            raise ConfigError(
                f"{where}: paths[{i}].role: unknown role {rule.role!r} "
                f"(expected one of {', '.join(sorted(roles))})"
            )
        if rule.role is None and rule.audience is None:
            raise ConfigError(f"{where}: paths[{i}]: give a role, an audience or both")
    for name in corrections.personas:
        if name not in personas:
            raise ConfigError(
                f"{where}: personas.{name}: unknown persona "
                f"(expected one of {', '.join(sorted(personas))})"
            )
    for name, aliases in corrections.competitors.items():
        if not name.strip() or any(not a.strip() for a in aliases):
            raise ConfigError(f"{where}: competitors.{name}: names must not be empty")
    return corrections


class Saved(NamedTuple):
    """The corrections a knowledge base uses, and the folders whose files they came from."""

    corrections: Corrections
    origin: list[str]


def save_corrections(saved: Saved, path: Path) -> None:
    data = {"origin": saved.origin, "corrections": saved.corrections.model_dump()}
    path.write_text(json.dumps(data, indent=1))


def read_saved(path: Path) -> Saved:
    """The corrections stored with a knowledge base (none when it has no file)."""
    if not path.exists():
        return Saved(Corrections(), [])
    data = json.loads(path.read_text())
    return Saved(Corrections.model_validate(data["corrections"]), list(data["origin"]))


def corrections_for(
    folders: list[Path], saved: Saved, roles: Collection[str], personas: Collection[str]
) -> Saved | None:
    """The corrections an ingest of ``folders`` brings: their files' (merged); none when a
    folder whose file the knowledge base used no longer has one; ``None`` to keep ``saved``."""
    found, origin = Corrections(), []
    for folder in folders:
        if (folder / FILE_NAME).is_file():
            found = found.merged(load_corrections(folder / FILE_NAME, roles, personas))
            origin.append(str(folder.resolve()))
    if origin:
        return Saved(found, origin)
    if set(saved.origin) & {str(f.resolve()) for f in folders}:
        return Saved(Corrections(), [])  # the file was removed: its corrections go too
    return None
