"""Loading ``prompts/personas/*.yaml``: one file per persona, ids equal to file names, no name
(title or alias) claimed by two personas."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from assistant.core.errors import ConfigError
from assistant.core.yamlfile import display_path, load_model
from assistant.personas.schema import Persona
from assistant.personas.titles import normalize_title
from assistant.understand.corrections import PersonaNote


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


def with_corrections(
    personas: dict[str, Persona], notes: Mapping[str, PersonaNote]
) -> dict[str, Persona]:
    """The personas with the titles and descriptions a knowledge base's ``pitchcraft.yaml``
    gives them (ids were checked at ingest; a title already known is not added twice)."""
    out = dict(personas)
    for pid, note in notes.items():
        persona = out.get(pid)
        if persona is None:
            continue
        known = {normalize_title(n) for _, n in persona.names()}
        titles = [t.strip().lower() for t in note.titles if normalize_title(t) not in known]
        out[pid] = persona.model_copy(
            update={
                "aliases": [*persona.aliases, *titles],
                "description": note.description.strip() or persona.description,
            }
        )
    return out
