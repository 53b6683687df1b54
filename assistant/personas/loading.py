"""Loading ``prompts/personas/*.yaml``: one file per persona, ids equal to file names, no name
(title or alias) claimed by two personas."""

from __future__ import annotations

from pathlib import Path

from assistant.core.errors import ConfigError
from assistant.core.yamlfile import display_path, load_model
from assistant.personas.schema import Persona
from assistant.personas.titles import normalize_title


def load_persona_file(path: Path) -> Persona:
    """Load and validate one persona file; its ``id`` must equal the file stem."""
    persona = load_model(path, Persona)
    if persona.id != path.stem:
        raise ConfigError(
            f"{display_path(path)}: id: {persona.id!r} must equal the file name {path.stem!r}"
        )
    return persona


def load_personas(prompts_dir: Path) -> dict[str, Persona]:
    """Every ``prompts_dir/personas/*.yaml`` (and ``*.yml``), validated, keyed by id."""
    folder = Path(prompts_dir) / "personas"
    if not folder.is_dir():
        raise ConfigError(f"{display_path(folder)}: persona folder not found")
    files = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
    if not files:
        raise ConfigError(f"{display_path(folder)}: no persona files (*.yaml)")
    personas: dict[str, Persona] = {}
    where_of: dict[str, str] = {}
    owner: dict[str, tuple[str, str]] = {}  # normalised name -> (persona id, name)
    for path in files:
        persona = load_persona_file(path)
        where = display_path(path)
        if persona.id in personas:
            raise ConfigError(
                f"{where}: id: {persona.id!r} is already defined in {where_of[persona.id]}"
            )
        for fieldname, name in persona.names():
            key = normalize_title(name)
            if not key:
                raise ConfigError(f"{where}: {fieldname}: {name!r} has no usable words")
            other = owner.get(key)
            if other is not None and other[0] != persona.id:
                raise ConfigError(
                    f"{where}: {fieldname}: {name!r} is already used by persona {other[0]!r} "
                    f"as {other[1]!r} ({where_of[other[0]]})"
                )
            owner.setdefault(key, (persona.id, name))
        personas[persona.id] = persona
        where_of[persona.id] = where
    return personas
