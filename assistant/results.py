"""Result records every command returns: sections of text with numbered citations."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .records import Chunk
from .text import shorten


@dataclass(frozen=True)
class Citation:
    """``[n]`` in the text points here; ``quote`` is verbatim text of ``source``."""

    n: int
    source: str
    section: str
    quote: str
    chunk_id: str
    audience: str = "customer-safe"
    page: int | None = None
    doc_type: str = "general"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "n": self.n,
            "source": self.source,
            "section": self.section,
            "quote": self.quote,
            "audience": self.audience,
            "doc_type": self.doc_type,
            "chunk_id": self.chunk_id,
        }
        if self.page:
            out["page"] = self.page
        return out


class Citations:
    """Numbers citations in order of first use; one number per (chunk, quote)."""

    def __init__(self) -> None:
        self.items: list[Citation] = []
        self._index: dict[tuple[str, str], int] = {}

    def cite(self, chunk: Chunk, quote: str) -> int:
        key = (chunk.id, quote)
        if key not in self._index:
            n = len(self.items) + 1
            self._index[key] = n
            self.items.append(
                Citation(
                    n,
                    chunk.source,
                    chunk.heading,
                    quote,
                    chunk.id,
                    chunk.audience,
                    chunk.page,
                    chunk.meta.doc_type,
                )
            )
        return self._index[key]

    def to_json(self) -> list[dict[str, Any]]:
        return [c.to_json() for c in self.items]


@dataclass
class Section:
    title: str
    text: str
    citations: list[int] = field(default_factory=list)
    customer_facing: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "text": self.text,
            "citations": self.citations,
            "customer_facing": self.customer_facing,
        }


def render_markdown_sections(sections: list[Section], citations: list[Citation]) -> str:
    """Sections as Markdown, then the numbered sources."""
    parts = []
    for s in sections:
        parts.append(f"## {s.title}\n\n{s.text.strip()}\n")
    if citations:
        parts.append("## Sources\n")
        for c in citations:
            where = f"{c.source}" + (f", p. {c.page}" if c.page else "")
            internal = c.audience == "internal" and not c.section.endswith("(internal)")
            tag = " (internal)" if internal else ""
            parts.append(f'[{c.n}] {where} — {c.section}{tag}: "{shorten(c.quote)}"')
    return "\n".join(parts)
