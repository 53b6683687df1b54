"""Personas as files: schema and validation, the global vocabulary lexicon, job-title resolution.

Each ``prompts/personas/<id>.yaml`` is one persona; a team adds a persona by adding a file.
Files are validated strictly when they load (unknown keys, placeholders a template may not
use, out-of-range numbers, aliases claimed by two personas), so a typo is a ``ConfigError``
naming the file and the field, never a surprise at pitch time.

Template values (``Persona.render``): ``company`` is the prospect's company (the account),
``context`` a short account description, ``persona_title`` the job title being pitched,
``competitor`` a competitor name, ``feature``/``module``/``priority`` a feature, its module
and the persona priority theme it serves, ``customer`` a reference customer, ``cta`` the
persona's call to action.
"""

from __future__ import annotations

import difflib
import functools
import re
import string
import threading
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import ConfigError

if TYPE_CHECKING:
    from .embeddings import Embedder

PLACEHOLDERS: dict[str, frozenset[str]] = {
    "opener": frozenset({"company", "context", "competitor", "persona_title", "vendor"}),
    "feature_lead": frozenset({"feature", "module", "priority", "vendor"}),
    "proof_lead": frozenset({"customer", "vendor"}),
    "competitive_lead": frozenset({"competitor", "vendor"}),
    "close": frozenset({"cta", "company", "vendor"}),
    "cta": frozenset({"vendor"}),
}
"""The placeholders each template may use; ``{vendor}`` is the selling company's name."""

ProofKind = Literal[
    "architecture", "benchmark", "certification", "case_study", "roi", "customer_quote"
]
SentenceStyle = Literal["technical", "balanced", "business"]
Unit = Annotated[float, Field(ge=0.0, le=1.0)]
Text = Annotated[str, Field(min_length=1)]

FALLBACK_PERSONA = "champion"
WORD_MATCH_MIN = 0.6  # Jaccard of distinctive words needed to accept a word-overlap match
WEAK_MEANING = 0.4  # below this cosine similarity the why says the match is weak
# Meaning score: mean similarity of the persona's top-k closest names (title, aliases),
# blended with the description's similarity. Tuned by hand on ~40 unusual job titles.
MEANING_TOP_K = 3
MEANING_NAME_WEIGHT = 0.85


# --------------------------------------------------------------------------- templates


def template_fields(template: str) -> set[str]:
    """Placeholder names in a ``{name}`` template; ``ValueError`` for anything fancier."""
    names: set[str] = set()
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(f"malformed template ({exc}); write literal braces as {{{{ }}}}") from exc
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name.isidentifier():
            raise ValueError(f"placeholder {{{name}}} is not a plain {{name}}")
        if spec or conversion:
            raise ValueError(f"placeholder {{{name}}} may not carry a format spec or conversion")
        names.add(name)
    return names


def _check_template(template: str, allowed: frozenset[str]) -> str:
    unknown = template_fields(template) - allowed
    if unknown:
        raise ValueError(
            f"unknown placeholder {', '.join('{' + n + '}' for n in sorted(unknown))}; "
            f"allowed: {', '.join('{' + n + '}' for n in sorted(allowed))}"
        )
    return template


def _check_terms(values: list[str]) -> list[str]:
    for value in values:
        if not value.strip():
            raise ValueError("empty term")
        if value != value.lower():
            raise ValueError(f"{value!r} must be lower-case")
        if value != value.strip():
            raise ValueError(f"{value!r} has leading or trailing spaces")
    return values


# --------------------------------------------------------------------------- schema


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Priority(_Strict):
    """A theme the persona buys for, matched against feature text by its keywords."""

    theme: Text
    keywords: list[str] = Field(min_length=1)
    weight: Unit = 1.0

    lowercase_terms = field_validator("keywords")(_check_terms)


class Vocabulary(_Strict):
    """Words that land with the persona, and words (jargon, hype) to keep out."""

    prefer: list[str] = Field(default_factory=list)
    avoid: list[str] = Field(default_factory=list)

    lowercase_terms = field_validator("prefer", "avoid")(_check_terms)

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
        return _check_template(value, PLACEHOLDERS[info.field_name])

    @field_validator("feature_lead")
    @classmethod
    def _lead_placeholders(cls, values: list[str]) -> list[str]:
        for i, value in enumerate(values):
            try:
                _check_template(value, PLACEHOLDERS["feature_lead"])
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

    lowercase_terms = field_validator("aliases", "discovery_focus", "involve")(_check_terms)

    @field_validator("cta")
    @classmethod
    def _cta_placeholders(cls, value: str) -> str:
        return _check_template(value, PLACEHOLDERS["cta"])

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

    def names(self) -> list[tuple[str, str]]:
        """``(field, name)`` for every name this persona answers to: id, title, aliases."""
        return [
            ("id", self.id.replace("_", " ")),
            ("title", self.title),
            *(("aliases", a) for a in self.aliases),
        ]


class _VocabularyFile(_Strict):
    technical: list[str] = Field(min_length=1)
    business: list[str] = Field(min_length=1)

    lowercase_terms = field_validator("technical", "business")(_check_terms)


# --------------------------------------------------------------------------- term matching


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


# --------------------------------------------------------------------------- loading


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


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


def _explain(exc: ValidationError, model: type[BaseModel]) -> tuple[str, str]:
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


def _read_yaml(path: Path) -> dict[str, Any]:
    where = _display(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{where}: cannot read: {exc}") from exc
    except yaml.YAMLError as exc:
        reason = " ".join(str(exc).split())
        raise ConfigError(f"{where}: invalid YAML: {reason}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping of fields, got {type(data).__name__}")
    return data


def load_persona_file(path: Path) -> Persona:
    """Load and validate one persona file; its ``id`` must equal the file stem."""
    where = _display(path)
    data = _read_yaml(path)
    try:
        persona = Persona.model_validate(data)
    except ValidationError as exc:
        loc, reason = _explain(exc, Persona)
        raise ConfigError(f"{where}: {loc}: {reason}") from None
    if persona.id != path.stem:
        raise ConfigError(f"{where}: id: {persona.id!r} must equal the file name {path.stem!r}")
    return persona


def load_personas(prompts_dir: Path) -> dict[str, Persona]:
    """Every ``prompts_dir/personas/*.yaml`` (and ``*.yml``), validated, keyed by id."""
    folder = Path(prompts_dir) / "personas"
    if not folder.is_dir():
        raise ConfigError(f"{_display(folder)}: persona folder not found")
    files = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
    if not files:
        raise ConfigError(f"{_display(folder)}: no persona files (*.yaml)")
    personas: dict[str, Persona] = {}
    where_of: dict[str, str] = {}
    owner: dict[str, tuple[str, str]] = {}  # normalised name -> (persona id, name)
    for path in files:
        persona = load_persona_file(path)
        where = _display(path)
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


def load_vocabulary(prompts_dir: Path) -> Lexicon:
    """The global ``prompts_dir/vocabulary.yaml`` word lists as a ``Lexicon``."""
    path = Path(prompts_dir) / "vocabulary.yaml"
    where = _display(path)
    if not path.is_file():
        raise ConfigError(f"{where}: vocabulary file not found")
    try:
        vocab = _VocabularyFile.model_validate(_read_yaml(path))
    except ValidationError as exc:
        loc, reason = _explain(exc, _VocabularyFile)
        raise ConfigError(f"{where}: {loc}: {reason}") from None
    tech_keys = {_term_key(t) for t in vocab.technical}
    both = sorted(t for t in vocab.business if _term_key(t) in tech_keys)
    if both:
        raise ConfigError(f"{where}: business: {', '.join(map(repr, both))} also in technical")
    return Lexicon(frozenset(vocab.technical), frozenset(vocab.business))


# --------------------------------------------------------------------------- title words

_STOPWORDS = frozenset({"of", "the", "and", "for", "a", "an", "at", "in", "to", "with", "on"})
_PHRASES = (
    (re.compile(r"\bvice president\b"), "vp"),
    (re.compile(r"\be commerce\b"), "ecommerce"),
    (re.compile(r"\bcyber security\b"), "cybersecurity"),
    (re.compile(r"\bsuper user\b"), "superuser"),
    (re.compile(r"\bco founder\b"), "cofounder"),
)
_ABBREVIATIONS = {
    "sr": "senior",
    "snr": "senior",
    "jr": "junior",
    "svp": "senior vp",
    "evp": "executive vp",
    "avp": "assistant vp",
    "mgr": "manager",
    "dir": "director",
    "mgmt": "management",
    "eng": "engineering",
    "engr": "engineer",
    "ops": "operations",
    "mktg": "marketing",
    "mkt": "marketing",
    "tech": "technology",
    "exec": "executive",
    "admin": "administrator",
    "asst": "assistant",
    "assoc": "associate",
    "svcs": "services",
    "gm": "general manager",
}
# Seniority and rank words: they never decide a persona on their own.
_GENERIC = frozenset(
    """chief officer head director vp senior junior lead leader manager management president
    executive global group principal associate assistant deputy interim acting regional
    staff team general department division national international emea apac america
    americas north europe uk us""".split()
)


def _singular(token: str) -> str:
    if len(token) > 3 and token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


def _tokenize(text: str) -> list[tuple[str, str]]:
    """(normalised token, surface word) pairs of a job title; stopwords dropped."""
    lowered = re.sub(r"[&+]", " and ", text.lower())
    lowered = " ".join(re.sub(r"[^a-z0-9]+", " ", lowered).split())
    for pattern, replacement in _PHRASES:
        lowered = pattern.sub(replacement, lowered)
    out: list[tuple[str, str]] = []
    for word in lowered.split():
        for token in _ABBREVIATIONS.get(word, word).split():
            token = _singular(token)
            if token not in _STOPWORDS:
                out.append((token, word))
    return out


def normalize_title(text: str) -> str:
    """A job title's comparison key: case, punctuation, '&'/'and', abbreviations, plurals."""
    return " ".join(token for token, _ in _tokenize(text))


# --------------------------------------------------------------------------- resolution


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


@dataclass(frozen=True)
class _WordMatch:
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
                tokens = _tokenize(text)
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
        tokens = _tokenize(query)
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
        distinctive = query - _GENERIC
        surface = dict(tokens)
        best: dict[str, tuple[float, int, _Name, set[str]]] = {}
        for name in self._names:
            if distinctive:
                mine = name.tokens - _GENERIC
                shared = distinctive & mine
                score = len(shared) / len(distinctive | mine) if shared else 0.0
            else:  # a title made only of rank words ("Senior Team Lead")
                shared = query & name.tokens
                score = len(shared) / len(query | name.tokens) if shared else 0.0
            if not score:
                continue
            rank = (score, len(query & name.tokens & _GENERIC))
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
