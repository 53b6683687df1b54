"""Typed records that carry source identity from file to citation."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field, replace
from typing import Any

from assistant.core.text import sentences

DOC_TYPES = (
    "product",
    "battlecard",
    "comparison",
    "case_study",
    "pricing",
    "security",
    "internal",
    "general",
)
AUDIENCES = ("customer-safe", "internal")
COMPETITIVE_TYPES = ("battlecard", "comparison")
"""Document types that speak about a competitor: the only sources of competitor claims."""


# The leading capitalised words of a title, up to the first lower-case word: the customer of
# "Acme Freight moves from X to Y" is "Acme Freight".
STORY_WORDS = r"case stud(?:y|ies)|(?:customer|success) stor(?:y|ies)"  # a customer story
_STORY_WORDS_RE = re.compile(rf"\s+(?:{STORY_WORDS})$", re.I)  # "Acme case study"
_STORY_LABEL_RE = re.compile(rf"^(?:{STORY_WORDS})\s*[-–—:|]\s*", re.I)  # "Case study: Acme"
_TITLE_NAME_RE = re.compile(
    r"^((?:[A-Z][\w&.'-]*\s+){0,4}?[A-Z][\w&.'-]*)(?=\s+[a-z]|\s*[:|–—]|\s+-\s|$)"
)  # "Acme Freight closes in 6 days", "Acme Health: audit prep down 60%"


@dataclass(frozen=True)
class DocMeta:
    """Document-level metadata: front-matter first, folder conventions as the fallback."""

    doc_type: str = "general"
    product: str = ""
    competitor: str = ""
    audience: str = "customer-safe"
    updated: dt.date | None = None
    personas: tuple[str, ...] = ()
    title: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def customer(self) -> str:
        """A case study's customer: front-matter ``customer``, else its title's leading name."""
        if self.extra.get("customer"):
            return self.extra["customer"]
        if self.doc_type != "case_study" or not self.title:
            return ""
        title = _STORY_LABEL_RE.sub("", self.title)  # "Customer story - Acme"
        m = _TITLE_NAME_RE.match(title)
        name = m.group(1) if m else title
        return _STORY_WORDS_RE.sub("", name) or name  # "Acme Case Study" is Acme's story


@dataclass(frozen=True)
class Block:
    """A run of document text; PDFs yield one block per page (1-based), others one block."""

    text: str
    page: int | None = None
    section: str = ""


@dataclass(frozen=True)
class Document:
    """A loaded file: its source name, metadata, text blocks and the hash of its bytes."""

    source: str
    meta: DocMeta
    blocks: tuple[Block, ...]
    sha256: str

    @property
    def text(self) -> str:
        return "\n\n".join(b.text for b in self.blocks)


@dataclass(frozen=True)
class Chunk:
    """One indexed passage. ``text`` is verbatim document text; ``heading`` is its section path."""

    id: str
    source: str
    text: str
    heading: str
    ordinal: int
    meta: DocMeta
    page: int | None = None
    internal: bool = False
    role: str = ""  # what the passage is (see assistant/understand/roles.py)
    role_confidence: float = 0.0
    role_reason: str = ""
    secondary_roles: tuple[str, ...] = ()
    blocked: tuple[str, ...] = ()  # sentences addressed to an AI: never evidence

    def sentences(self) -> list[str]:
        """The passage's sentences, without any addressed to an AI (never evidence)."""
        return [s for s in sentences(self.text) if s not in self.blocked]

    @property
    def shown_text(self) -> str:
        """The passage as shown to anyone (a reader, a model): without sentences addressed
        to an AI, which were found at ingest."""
        return " ".join(self.sentences()) if self.blocked else self.text

    def has_role(self, *roles: str) -> bool:
        """The passage's role, or one of its secondary roles, is one of ``roles``."""
        return self.role in roles or any(r in roles for r in self.secondary_roles)

    @property
    def embed_text(self) -> str:
        """What the embedding model and the lexical index read: section path, then the text."""
        return f"{self.heading}\n{self.text}" if self.heading else self.text

    @property
    def audience(self) -> str:
        """Internal when the document or its section is (``internal`` decides, per passage)."""
        return "internal" if self.internal else "customer-safe"

    def to_metadata(self) -> dict[str, Any]:
        """Flat scalar metadata as vector stores want it."""
        m = self.meta
        return {
            "source": self.source,
            "heading": self.heading,
            "ordinal": self.ordinal,
            "page": self.page or 0,
            "doc_type": m.doc_type,
            "product": m.product,
            "competitor": m.competitor,
            "audience": self.audience,
            "updated": m.updated.isoformat() if m.updated else "",
            "updated_days": m.updated.toordinal() if m.updated else 0,
            "personas": ",".join(m.personas),
            "title": m.title,
            "extra": json.dumps(m.extra, sort_keys=True) if m.extra else "",
            "role": self.role,
            "role_confidence": self.role_confidence,
            "role_reason": self.role_reason,
            "secondary_roles": ",".join(self.secondary_roles),
            "blocked": json.dumps(list(self.blocked)) if self.blocked else "",
        }

    @classmethod
    def from_metadata(cls, chunk_id: str, text: str, md: dict[str, Any]) -> Chunk:
        updated = md.get("updated") or ""
        audience = md.get("audience", "customer-safe")
        meta = DocMeta(
            doc_type=md.get("doc_type", "general"),
            product=md.get("product", ""),
            competitor=md.get("competitor", ""),
            audience=audience,
            updated=dt.date.fromisoformat(updated) if updated else None,
            personas=tuple(p for p in md.get("personas", "").split(",") if p),
            title=md.get("title", ""),
            extra=json.loads(md["extra"]) if md.get("extra") else {},
        )
        return cls(
            id=chunk_id,
            source=md.get("source", ""),
            text=text,
            heading=md.get("heading", ""),
            ordinal=int(md.get("ordinal", 0)),
            meta=meta,
            page=int(md.get("page") or 0) or None,
            internal=audience == "internal",
            role=md.get("role", ""),
            role_confidence=float(md.get("role_confidence") or 0.0),
            role_reason=md.get("role_reason", ""),
            secondary_roles=tuple(r for r in md.get("secondary_roles", "").split(",") if r),
            blocked=tuple(json.loads(md["blocked"])) if md.get("blocked") else (),
        )

    def with_meta(self, meta: DocMeta) -> Chunk:
        return replace(self, meta=meta)


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk with its score (higher is better) and the ranker that found it."""

    chunk: Chunk
    score: float
    rank_info: dict[str, float] = field(default_factory=dict)
