"""Result records every command returns: sections of text with numbered citations.

A writer produces a ``Draft`` (sections, citations, warnings); a job turns it into a
``Result``, the record the CLI prints as JSON and the app renders.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from assistant.core.records import Chunk
from assistant.core.text import sentences, shorten, without_page_ids

CITE_RE = re.compile(r"\[(\d+)\]")
"""A citation marker ``[n]`` in written text."""


def strip_refs(sentence: str) -> str:
    """The sentence without its ``[n]`` markers."""
    return re.sub(r"\s+([.!?,;:])", r"\1", CITE_RE.sub("", sentence)).strip()


def split_claims(text: str) -> list[str]:
    """Sentences of a written section; a ``[n]`` left after a sentence end joins that one."""
    out: list[str] = []
    for s in sentences(text):
        marker = CITE_RE.match(s.strip())
        if marker and out:
            out[-1] += " " + marker.group(0)
            s = s.strip()[marker.end() :].strip()
        if s:
            out.append(s)
    return [s for s in out if re.search(r"[A-Za-z]", strip_refs(s))]


TextSink = Callable[[str], None]
"""Receives prose as a writer produces it, for live display."""


def citation_of(chunk: Chunk, quote: str) -> dict[str, Any]:
    """``{source, section, quote, chunk_id, ...}``: ``quote`` is verbatim text of the chunk."""
    out: dict[str, Any] = {
        "source": chunk.source,
        "section": chunk.heading,
        "quote": quote,
        "chunk_id": chunk.id,
        "doc_type": chunk.meta.doc_type,
        "audience": chunk.audience,
    }
    if chunk.page:
        out["page"] = chunk.page
    return out


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
        return asdict(self)


@dataclass
class Draft:
    """What a writer returns: titled sections whose ``[n]`` markers point into ``citations``."""

    sections: list[Section]
    citations: Citations
    writer: str
    warnings: list[str] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)


@dataclass
class Result:
    """What every writing job returns: sections, citations, warnings, who wrote it."""

    kind: str
    sections: list[Section]
    citations: Citations
    writer: str
    warnings: list[str] = field(default_factory=list)
    scores: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    title: str = ""  # the heading a reader sees ("Pitch for Chief Financial Officer")

    def to_json(self) -> dict[str, Any]:
        return {
            **self.extra,
            "sections": [s.to_json() for s in self.sections],
            "citations": self.citations.to_json(),
            "warnings": self.warnings,
            "scores": self.scores,
            "writer": self.writer,
        }

    def to_markdown(self, prose: bool = True) -> str:
        """The result as Markdown; ``prose=False`` when the text was already streamed."""
        head = "\n\n---\n" if not prose else f"# {self.title}\n\n" if self.title else ""
        tail = (
            "\n\n## Warnings\n\n" + "\n".join(f"- {w}" for w in self.warnings)
            if self.warnings
            else ""
        )
        sections = self.sections if prose else []
        return without_page_ids(
            f"{head}{render_markdown_sections(sections, self.citations.items)}{tail}"
            f"\n\n_Written by the {self.writer} writer._\n"
        )


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
