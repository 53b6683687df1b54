"""``KnowledgeBase``: the KB folder's parts (manifest, vector store, lexical index) and the
embedder, built lazily and passed around as one dependency."""

from __future__ import annotations

import re
import shutil
import threading
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from assistant.core.config import Settings
from assistant.core.conventions import Conventions, load_conventions
from assistant.core.records import COMPETITIVE_TYPES, Chunk
from assistant.index.catalog import Feature, build_catalog, load_catalog, save_catalog
from assistant.index.embeddings import Embedder, make_embedder
from assistant.index.lexical import LexicalIndex
from assistant.index.manifest import Manifest
from assistant.index.store import ChromaStore, Store

# Bump when the lexical index or the catalog change shape or content for the same chunks.
DERIVED_VERSION = "7"
DEFAULT_VENDOR = "our platform"
_VS_TITLE_RE = re.compile(r"(?:^|:\s*)([A-Z][\w.-]*(?: [A-Z][\w.-]*)?) vs\.? ")


def _flat(name: str) -> str:
    """A name for comparison: lower-case letters and digits only ("Acme Co." = "acmeco")."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


@dataclass(frozen=True)
class Market:
    """Who sells and whom it competes with, as the documents say; one per manifest generation."""

    generation: int
    vendor: str
    competitors: dict[str, str]  # flat name -> the knowledge base's spelling


class KnowledgeBase:
    """Everything that reads or writes one knowledge store.

    Pass ``embedder`` or ``store`` to share or replace them (tests, the app, benchmarks).
    """

    def __init__(
        self,
        settings: Settings | None = None,
        embedder: Embedder | None = None,
        store: Store | None = None,
    ) -> None:
        self.settings = settings or Settings()
        self.root = Path(self.settings.kb)
        self._embedder = embedder
        self._store = store
        self._lexical: LexicalIndex | None = None
        self._catalog: list[Feature] | None = None
        self._derived_gen = -1
        self._market: Market | None = None
        self._lock = threading.Lock()

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            s = self.settings
            self._embedder = make_embedder(s)
        return self._embedder

    @property
    def store(self) -> Store:
        if self._store is None:
            s = self.settings
            self._store = ChromaStore.open(self.root, s.embed_model, s.chroma_url, s.collection)
        return self._store

    @cached_property
    def conventions(self) -> Conventions:
        """How this store's documents mark their parts (``prompts/conventions.yaml``)."""
        return load_conventions(self.settings.prompts_dir)

    @cached_property
    def manifest(self) -> Manifest:
        return Manifest(self.root / "manifest.sqlite")

    @property
    def lexical_dir(self) -> Path:
        return self.root / "lexical"

    def is_empty(self) -> bool:
        return not (self.root / "manifest.sqlite").exists() or self.manifest.count_chunks() == 0

    def reset(self) -> None:
        """Start over: empty manifest, collection and derived indexes (``--rebuild``)."""
        s = self.settings
        if self._store is None:
            self._store = ChromaStore.open(
                self.root, s.embed_model, s.chroma_url, s.collection, rebuild=True
            )
        else:
            self._store.reset()
        self.manifest.clear()
        shutil.rmtree(self.lexical_dir, ignore_errors=True)
        self._lexical = self._catalog = None

    # -- derived indexes ----------------------------------------------------------------------
    def _built_generation(self) -> int:
        """The manifest generation the derived indexes were built from (-1: rebuild them)."""
        marker = self.lexical_dir / "generation"
        if not marker.exists():
            return -1
        generation, _, version = marker.read_text().partition(":")
        return int(generation) if version == DERIVED_VERSION else -1

    def lexical_is_current(self) -> bool:
        return self._built_generation() == self.manifest.generation

    def rebuild_derived(self) -> None:
        """Rebuild everything derived from the manifest: the BM25 index and the catalog."""
        from assistant.core.terms import load_vocabulary

        generation = self.manifest.generation
        chunks = list(self.manifest.all_chunks())
        index = LexicalIndex.build(chunks)
        lexicon = load_vocabulary(self.settings.prompts_dir)
        features = build_catalog(chunks, self.conventions, lexicon.classify)
        save_catalog(features, self.catalog_path)
        index.save(self.lexical_dir)
        (self.lexical_dir / "generation").write_text(f"{generation}:{DERIVED_VERSION}")
        with self._lock:
            self._lexical, self._catalog, self._derived_gen = index, features, generation

    @property
    def catalog_path(self) -> Path:
        return self.root / "catalog.json"

    def _derived(self) -> tuple[LexicalIndex, list[Feature]]:
        """The BM25 index and the catalog as last built, reloaded when another process (an
        ingest) changed them, rebuilt when missing or from an older format."""
        with self._lock:
            built = self._built_generation()
            stale = self._lexical is None or self._catalog is None or built != self._derived_gen
            if stale and built != -1 and self.catalog_path.exists():
                self._lexical = LexicalIndex.load(self.lexical_dir)
                self._catalog = load_catalog(self.catalog_path)
                self._derived_gen = built
            current = self._lexical is not None and self._catalog is not None and built != -1
        if not current:
            self.rebuild_derived()
        assert self._lexical is not None and self._catalog is not None
        return self._lexical, self._catalog

    @property
    def lexical(self) -> LexicalIndex:
        return self._derived()[0]

    @property
    def catalog(self) -> list[Feature]:
        """Product features, built at ingest from product documents."""
        return self._derived()[1]

    # -- the market: vendor and competitors -----------------------------------------------------
    @property
    def market(self) -> Market:
        """Vendor and competitor names, computed once per manifest generation."""
        generation = self.manifest.generation
        market = self._market
        if market is None or market.generation != generation:
            docs = self.manifest.documents()
            competitors: dict[str, str] = {}
            votes: dict[str, int] = {}
            for d in docs:
                if not d.meta.competitor:
                    continue
                competitors.setdefault(_flat(d.meta.competitor), d.meta.competitor)
                if m := _VS_TITLE_RE.search(d.meta.title):
                    votes[m.group(1)] = votes.get(m.group(1), 0) + 1
            vendor = self.settings.vendor or (
                max(sorted(votes), key=votes.__getitem__) if votes else DEFAULT_VENDOR
            )
            market = self._market = Market(generation, vendor, competitors)
        return market

    @property
    def vendor(self) -> str:
        """The selling company's name: the setting, else "X" of "X vs Y" comparison titles."""
        return self.market.vendor

    def competitor_names(self) -> list[str]:
        """Every competitor the knowledge base has a battlecard or comparison page for."""
        return sorted(set(self.market.competitors.values()))

    def resolve_competitor(self, name: str | None) -> str | None:
        """The knowledge base's spelling of ``name`` if a document is about it, else None."""
        return self.market.competitors.get(_flat(name)) if name else None

    def mentioned_competitors(self, text: str) -> list[str]:
        """Competitors named in ``text`` (case- and spacing-insensitive)."""
        flat = _flat(text)
        return sorted({name for key, name in self.market.competitors.items() if key in flat})

    def competitor_chunks(self, competitor: str) -> list[Chunk]:
        """Every chunk of the battlecards and comparison pages about ``competitor``."""
        return [
            c
            for c in self.manifest.chunks_of_type(*COMPETITIVE_TYPES)
            if c.meta.competitor.lower() == competitor.lower()
        ]
