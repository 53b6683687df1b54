"""Heading-aware chunking sized with the embedding model's own tokenizer.

Markdown headings become each chunk's section path (``Keelstone Vault > SSO and SCIM``); the
path is part of what the model reads, so the size budget is taken after it. Splitting uses
langchain's ``MarkdownHeaderTextSplitter`` and ``RecursiveCharacterTextSplitter``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

from langchain_text_splitters import MarkdownHeaderTextSplitter, RecursiveCharacterTextSplitter

from assistant.core.records import Block, Chunk, Document
from assistant.ingest.meta import INTERNAL_LABEL_RE

HEADERS = [("#", "h1"), ("##", "h2"), ("###", "h3"), ("####", "h4")]
SEPARATORS = ["\n\n", "\n", ". ", "; ", ", ", " ", ""]
# Bump when loading or chunking changes what a chunk contains, or its role is read otherwise: every
# file re-chunks on next sync (unchanged chunks keep their vectors). v26: an export's page ids,
# "Copy of"/"FINAL" and property lines, a docs site's heading anchors and admonitions, a word
# processor's title, comments and unmarked table header read as such; text internal from a
# section's first labelled paragraph on ("🔒", "deal desk", "don't share outside"); retired pages;
# questions with a status note are open. Earlier versions: see the git log of this line.
PIPELINE_VERSION = "chunks-v26"


class Chunker:
    """Splits documents into chunks whose ``embed_text`` fits ``max_tokens`` word pieces."""

    def __init__(
        self, count_tokens: Callable[[str], int], max_tokens: int, overlap: int = 32
    ) -> None:
        self.count_tokens = count_tokens
        self.max_tokens = max_tokens
        self.overlap = overlap
        self._headers = MarkdownHeaderTextSplitter(HEADERS, strip_headers=True)

    def _splitter(self, budget: int) -> RecursiveCharacterTextSplitter:
        return RecursiveCharacterTextSplitter(
            chunk_size=budget,
            chunk_overlap=min(self.overlap, budget // 4),
            length_function=self.count_tokens,
            separators=SEPARATORS,
            keep_separator="end",
        )

    def sections(self, doc: Document, block: Block) -> list[tuple[list[str], str]]:
        """(heading path, text) pairs for one block of a document."""
        title = doc.meta.title.strip()
        if block.section:  # PDF page with a bookmark title: plain text, no Markdown headings
            return [([title, block.section] if title else [block.section], block.text)]
        out = []
        for part in self._headers.split_text(block.text):
            path = [v.strip() for _, v in sorted(part.metadata.items())]
            if title and "h1" not in part.metadata:
                path = [title, *path]
            out.append((path, part.page_content.replace("  \n", "\n\n")))
        return out

    def chunk(self, doc: Document) -> list[Chunk]:
        chunks: list[Chunk] = []
        seen: dict[str, int] = {}
        parts = [(b, path, text) for b in doc.blocks for path, text in self.sections(doc, b)]
        # A label in the lead, before any section ("Internal - do not share" atop a battlecard),
        # marks the whole document.
        lead = parts[0][2] if parts and len([p for p in parts[0][1] if p]) <= 1 else ""
        top = next((p for p in re.split(r"\n\s*\n", lead) if p.strip()), "")
        whole = doc.meta.audience == "internal" or bool(INTERNAL_LABEL_RE.search(top))
        for block, path, text in parts:
            heading = " > ".join(p for p in path if p)
            internal = whole or any(INTERNAL_LABEL_RE.search(p) for p in path)
            # [CLS] and [SEP] take two of the model's positions; the heading line takes more.
            budget = self.max_tokens - 2 - self.count_tokens(heading + "\n")
            if budget < 32:  # absurdly long heading: keep its tail
                heading = heading[-200:]
                budget = self.max_tokens - 2 - self.count_tokens(heading + "\n")
            pieces = [
                (piece, internal or marked)
                for run, marked in _labelled_runs(text)
                for piece in self._splitter(budget).split_text(run)
            ]
            for piece, internal_piece in pieces:
                piece = re.sub(r"\n{3,}", "\n\n", piece).strip()
                if not re.search(r"\w", piece):
                    continue
                key = f"{doc.source}\x00{heading}\x00{piece}"
                n = seen.get(key, 0)
                seen[key] = n + 1
                digest = hashlib.sha256(f"{key}\x00{n}".encode()).hexdigest()[:32]
                chunks.append(
                    Chunk(
                        id=digest,
                        source=doc.source,
                        text=piece,
                        heading=heading,
                        ordinal=len(chunks),
                        meta=doc.meta,
                        page=block.page,
                        internal=internal_piece,
                    )
                )
        return chunks


def _labelled_runs(text: str) -> list[tuple[str, bool]]:
    """A section's text before its first paragraph with an internal label, and from it on:
    a callout or toggle marked "🔒" or "(internal)" at a section's end keeps the rest of the
    section customer-safe, and whatever follows a label stays internal."""
    paragraphs = re.split(r"(\n\s*\n)", text)
    at = next((i for i, p in enumerate(paragraphs) if INTERNAL_LABEL_RE.search(p)), None)
    if at is None:
        return [(text, False)]
    before, after = "".join(paragraphs[:at]), "".join(paragraphs[at:])
    return [(run, marked) for run, marked in ((before, False), (after, True)) if run.strip()]


def peer_split(text: str, size: int = 1000, overlap: int = 200) -> list[str]:
    """The common recipe's chunks: LangChain's recursive splitter by characters, nothing else
    (the baseline ``pitchcraft eval retrieval`` and ``make bench`` compare against)."""
    return RecursiveCharacterTextSplitter(chunk_size=size, chunk_overlap=overlap).split_text(text)
