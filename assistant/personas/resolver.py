"""Job title → persona: the persona id, an alias, distinctive shared words, then meaning.

A job title is never an error: the result says which persona was used, how and why.
Persona vectors are embedded once, on the first title that needs meaning.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from assistant.core.errors import ConfigError
from assistant.personas.schema import Persona
from assistant.personas.titles import GENERIC, title_tokens

if TYPE_CHECKING:
    from assistant.index.embeddings import Embedder

FALLBACK_PERSONA = "champion"
WORD_MATCH_MIN = 0.6  # Jaccard of distinctive words needed to accept a word-overlap match
WEAK_MEANING = 0.4  # below this cosine similarity the why says the match is weak
# Meaning score: mean similarity of the persona's top-k closest names (title, aliases),
# blended with the description's similarity. Tuned by hand on ~40 unusual job titles.
MEANING_TOP_K = 3
MEANING_NAME_WEIGHT = 0.85


@dataclass(frozen=True)
class Resolution:
    """Which persona a job title resolved to, how, and why."""

    persona: Persona
    query: str
    method: str  # "id" | "alias" | "words" | "meaning" | "default"
    why: str
    score: float

    def to_json(self) -> dict[str, Any]:
        """Machine-readable form for ``--json`` output."""
        return {
            "id": self.persona.id,
            "title": self.persona.title,
            "query": self.query,
            "method": self.method,
            "why": self.why,
            "score": round(float(self.score), 3),
        }


@dataclass(frozen=True)
class _Name:
    persona: Persona
    field: str
    text: str
    tokens: frozenset[str]


def _label(name: _Name) -> str:
    if name.field == "id":
        return f'persona id "{name.persona.id}"'
    return f'{"title" if name.field == "title" else "alias"} "{name.text}"'


class _WordMatch(NamedTuple):
    """The best alias by shared words: whose, which words, the overlap, and whether it is
    the only persona with that overlap."""

    persona: Persona
    name: _Name
    words: tuple[str, ...]
    score: float
    unique: bool


@dataclass
class _Vectors:
    names: list[_Name]
    name_vectors: np.ndarray
    owner: np.ndarray  # persona index of each name vector
    description_vectors: np.ndarray


class PersonaResolver:
    """Maps any job title to a persona: id, alias, word overlap, then meaning.

    Persona vectors are embedded once, on the first title that needs meaning.
    """

    def __init__(self, personas: Mapping[str, Persona], embedder: Embedder | None = None) -> None:
        if not personas:
            raise ConfigError("no personas to resolve job titles against")
        self.personas = personas
        self.embedder = embedder
        self._vectors: _Vectors | None = None
        self._lock = threading.Lock()
        self._names: list[_Name] = []
        self._exact: dict[str, _Name] = {}
        for persona in self.personas.values():
            for fieldname, text in persona.names():
                tokens = title_tokens(text)
                name = _Name(persona, fieldname, text, frozenset(t for t, _ in tokens))
                self._names.append(name)
                self._exact.setdefault(" ".join(t for t, _ in tokens), name)

    def resolve(self, title: str) -> Resolution:
        """The persona for an id or any job title; only an empty title is an error."""
        query = " ".join(str(title or "").split())
        if not query:
            raise ConfigError("persona: empty job title; give a persona id or a job title")
        as_id = re.sub(r"[\s-]+", "_", query.lower())
        if as_id in self.personas:
            return Resolution(self.personas[as_id], query, "id", f'persona id "{as_id}"', 1.0)
        tokens = title_tokens(query)
        if not tokens:
            return self._default(query, f'"{query}" has no words to compare')
        exact = self._exact.get(" ".join(t for t, _ in tokens))
        if exact is not None:
            why = f"matched {_label(exact)}"
            return Resolution(exact.persona, query, "alias", why, 1.0)
        words = self._word_match(tokens)
        if words is not None and words.unique and words.score >= WORD_MATCH_MIN:
            return Resolution(words.persona, query, "words", self._words_why(words), words.score)
        if self.embedder is not None:
            return self._by_meaning(query)
        if words is not None:
            why = self._words_why(words) + "; closest by shared words (no embedding model)"
            return Resolution(words.persona, query, "words", why, words.score)
        reason = f'no alias or shared words for "{query}" and no embedding model to compare meaning'
        return self._default(query, reason)

    def _default(self, query: str, reason: str) -> Resolution:
        fallback = self.personas.get(FALLBACK_PERSONA) or self.personas[sorted(self.personas)[0]]
        why = f"{reason}; defaulted to {fallback.title}"
        return Resolution(fallback, query, "default", why, 0.0)

    # -- words

    def _word_match(self, tokens: list[tuple[str, str]]) -> _WordMatch | None:
        """Best alias by Jaccard overlap of distinctive (non-rank) words."""
        query = {t for t, _ in tokens}
        distinctive = query - GENERIC
        surface = dict(tokens)
        best: dict[str, tuple[float, int, _Name, set[str]]] = {}
        for name in self._names:
            if distinctive:
                mine = name.tokens - GENERIC
                shared = distinctive & mine
                score = len(shared) / len(distinctive | mine) if shared else 0.0
            else:  # a title made only of rank words ("Senior Team Lead")
                shared = query & name.tokens
                score = len(shared) / len(query | name.tokens) if shared else 0.0
            if not score:
                continue
            rank = (score, len(query & name.tokens & GENERIC))
            current = best.get(name.persona.id)
            if current is None or rank > current[:2]:
                best[name.persona.id] = (*rank, name, shared)
        if not best:
            return None
        ordered = sorted(best.values(), key=lambda b: b[:2], reverse=True)
        score, _, name, shared = ordered[0]
        unique = len(ordered) == 1 or ordered[1][0] < score
        words = tuple(surface[t] for t, _ in tokens if t in shared)
        return _WordMatch(name.persona, name, tuple(dict.fromkeys(words)), score, unique)

    @staticmethod
    def _words_why(match: _WordMatch) -> str:
        words = ", ".join(f'"{w}"' for w in match.words)
        return (
            f"shared words {words} with {_label(match.name)} "
            f"({match.persona.title}, overlap {match.score:.2f})"
        )

    # -- meaning

    def _persona_vectors(self) -> _Vectors:
        """Embed every persona's title, aliases and description once, on first use."""
        assert self.embedder is not None
        with self._lock:
            if self._vectors is None:
                personas = list(self.personas.values())
                index = {p.id: i for i, p in enumerate(personas)}
                names = [n for n in self._names if n.field != "id"]
                vectors = self.embedder.embed([n.text for n in names])
                descriptions = self.embedder.embed([p.description for p in personas])
                owner = np.array([index[n.persona.id] for n in names])
                self._vectors = _Vectors(names, vectors, owner, descriptions)
            return self._vectors

    def _by_meaning(self, query: str) -> Resolution:
        assert self.embedder is not None
        cache = self._persona_vectors()
        personas = list(self.personas.values())
        q = self.embedder.embed([query])[0]
        name_sims = cache.name_vectors @ q
        desc_sims = cache.description_vectors @ q
        top_names = np.array(
            [
                np.sort(name_sims[cache.owner == i])[-MEANING_TOP_K:].mean()
                for i in range(len(personas))
            ]
        )
        scores = MEANING_NAME_WEIGHT * top_names + (1 - MEANING_NAME_WEIGHT) * desc_sims
        winner = int(np.argmax(scores))
        persona = personas[winner]
        mine = np.flatnonzero(cache.owner == winner)
        nearest = cache.names[int(mine[np.argmax(name_sims[mine])])]
        score = float(scores[winner])
        weak = " (weak match)" if score < WEAK_MEANING else ""
        why = (
            f'"{query}" is closest to {persona.title} by meaning (similarity {score:.2f}){weak}; '
            f"nearest {_label(nearest)}"
        )
        return Resolution(persona, query, "meaning", why, score)
