"""Whom to involve internally: teams from the knowledge base's who-to-involve directory that a
deal calls for (the persona's own list, or a trigger in the team's entry), with how to ask."""

from __future__ import annotations

from dataclasses import dataclass

from assistant.core.records import Chunk
from assistant.core.terms import find_terms
from assistant.index.kb import KnowledgeBase
from assistant.personas.schema import Persona
from assistant.retrieval.evidence import Evidence, chunk_sentences

NAMED_BY_PERSONA = 2  # a team the persona file lists outweighs two triggered reasons


@dataclass
class InvolveNote:
    """A team from the internal directory, why it fits this deal, and how to ask."""

    team: str
    evidence: list[Evidence]


def involve(
    kb: KnowledgeBase, persona: Persona, competitor: str | None, k: int = 3
) -> list[InvolveNote]:
    """Teams from the internal "who to involve" directory that this deal calls for."""
    conv = kb.conventions
    teams: dict[str, list[Chunk]] = {}
    for c in kb.manifest.chunks_of_type("internal"):
        if in_directory(kb, c) and team_of(c):
            teams.setdefault(team_of(c), []).append(c)
    triggers = [persona.title, *persona.discovery_focus] + ([competitor] if competitor else [])
    not_reasons = tuple(conv.involve_not_reasons)
    scored = []
    for team, team_chunks in teams.items():
        lines = chunk_sentences(team_chunks, min_words=4)
        when = [e for e in lines if not e.text.lower().startswith(not_reasons)]
        how = [e for e in lines if is_request(kb, e.text)]
        named = bool(find_terms(persona.involve, team))
        triggered = [e for e in when if find_terms(triggers, e.text)]
        score = NAMED_BY_PERSONA * named + len(triggered)
        if score and (triggered or when):
            reason = (triggered or when)[0]
            scored.append((score, team, [reason, *how[:1]]))
    scored.sort(key=lambda x: (-x[0], x[1]))
    return [InvolveNote(team, ev) for _, team, ev in scored[:k]]


def in_directory(kb: KnowledgeBase, chunk: Chunk) -> bool:
    """A passage of the knowledge base's who-to-involve directory."""
    return bool(kb.conventions.matches("involve_directory", f"{chunk.meta.title} {chunk.source}"))


def team_of(chunk: Chunk) -> str:
    """The team a directory passage is about: its top-level section ("" above the entries)."""
    parts = chunk.heading.split(" > ")
    return parts[1] if len(parts) >= 2 else ""


def is_request(kb: KnowledgeBase, line: str) -> bool:
    """A directory line that says how to ask for the team (``involve_request``)."""
    return line.lower().startswith(kb.conventions.involve_request)
