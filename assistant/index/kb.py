"""``KnowledgeBase``: the KB folder's parts (manifest, vector store, lexical index) and the
embedder, built lazily and passed around as one dependency."""

from __future__ import annotations

import json
import shutil
import threading
from functools import cached_property
from pathlib import Path

import numpy as np

from assistant.core.config import Settings
from assistant.core.conventions import Conventions, load_conventions
from assistant.core.records import Chunk
from assistant.index.catalog import Feature, build_catalog, load_catalog, save_catalog
from assistant.index.embeddings import Embedder, make_embedder
from assistant.index.lexical import LexicalIndex
from assistant.index.manifest import Manifest
from assistant.index.store import ChromaStore, Store
from assistant.understand.corrections import Corrections, read_saved
from assistant.understand.market import DocInfo, Market, build_market
from assistant.understand.roles import RoleBook, RoleClassifier, load_roles

# Bump when the lexical index, the catalog or the market change for the same chunks.
DERIVED_VERSION = "30"


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
        self._chosen = embedder is None  # the settings chose it: a rebuild may choose again
        self._store = store
        self._lexical: LexicalIndex | None = None
        self._catalog: list[Feature] | None = None
        self._catalog_vectors: np.ndarray | None = None
        self._derived_gen = -1
        self._market: Market | None = None
        self._lock = threading.Lock()

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = make_embedder(self.settings, self.recorded_embedder())
        return self._embedder

    def recorded_embedder(self) -> str:
        """The name of the embedder this store's vectors came from ("" for an empty store).

        Stores from before backends were recorded hold fp32 vectors of the configured model.
        """
        if self.is_empty():
            return ""
        return self.manifest.get("embedder") or self.settings.embed_model

    def record_embedder(self) -> None:
        """Note the embedder in the manifest (the vector store records it too)."""
        if self.manifest.get("embedder") != self.embedder.name:
            self.manifest.set("embedder", self.embedder.name)

    @property
    def store(self) -> Store:
        if self._store is None:
            s = self.settings
            self._store = ChromaStore.open(
                self.root, self.embedder.name, s.chroma_url, s.collection
            )
        return self._store

    @cached_property
    def conventions(self) -> Conventions:
        """How this store's documents mark their parts (``prompts/conventions.yaml``)."""
        return load_conventions(self.settings.prompts_dir)

    @cached_property
    def roles(self) -> RoleBook:
        """What a passage can be, and how to tell (``prompts/roles.yaml``)."""
        return load_roles(self.settings.prompts_dir)

    @cached_property
    def role_classifier(self) -> RoleClassifier:
        """Passage roles for ingest; embeds the role examples on first use."""
        return RoleClassifier(self.roles, self.embedder.embed)

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
        self.manifest.clear()
        if self._chosen:  # an empty store lets the settings choose the backend again
            self._embedder = None
        if self._store is None:
            self._store = ChromaStore.open(
                self.root, self.embedder.name, s.chroma_url, s.collection, rebuild=True
            )
        else:
            self._store.reset(self.embedder.name)
        shutil.rmtree(self.lexical_dir, ignore_errors=True)
        self._lexical = self._catalog = self._market = self._catalog_vectors = None

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
        titled = {c.source for c in chunks if c.meta.extra.get("competitor_from") == "title"}
        docs = [
            DocInfo(d.source, d.meta.title, d.meta.doc_type, d.meta.competitor, d.source in titled)
            for d in self.manifest.documents()
        ]
        fixes = self.corrections()
        market = build_market(docs, chunks, self.settings.vendor or fixes.vendor, fixes.competitors)
        if fixes.vendor and not self.settings.vendor:
            market.vendor_reason = "set in pitchcraft.yaml"
        features = build_catalog(
            chunks, self.conventions, lexicon.classify, market.compared_sources, market.vendor
        )
        save_catalog(features, self.catalog_path)
        vectors = self._feature_vectors(features)
        np.save(self.catalog_vectors_path, vectors)
        self.market_path.write_text(json.dumps(market.to_json(), indent=1))
        index.save(self.lexical_dir)
        (self.lexical_dir / "generation").write_text(f"{generation}:{DERIVED_VERSION}")
        with self._lock:
            self._lexical, self._catalog, self._market = index, features, market
            self._catalog_vectors = vectors
            self._derived_gen = generation

    def _feature_vectors(self, features: list[Feature]) -> np.ndarray:
        """One vector per feature: the mean of its passages' stored vectors (their headings
        included), so planning by meaning costs no embedding."""
        ids = sorted({i for f in features for i in f.chunk_ids})
        stored = self.store.vectors(ids) if ids else {}
        dim = len(next(iter(stored.values()))) if stored else 0
        out = np.zeros((len(features), dim), dtype=np.float32)
        for row, f in enumerate(features):
            found = [stored[i] for i in f.chunk_ids if i in stored]
            if found:
                mean = np.mean(found, axis=0)
                out[row] = mean / (np.linalg.norm(mean) or 1.0)
        return out

    @property
    def catalog_path(self) -> Path:
        return self.root / "catalog.json"

    @property
    def catalog_vectors_path(self) -> Path:
        return self.root / "catalog-vectors.npy"

    @property
    def market_path(self) -> Path:
        return self.root / "market.json"

    @property
    def corrections_path(self) -> Path:
        return self.root / "corrections.json"

    def corrections(self) -> Corrections:
        """The enablement team's ``pitchcraft.yaml``, as stored by the last ingest."""
        return read_saved(self.corrections_path).corrections

    def _derived(self) -> tuple[LexicalIndex, list[Feature], Market]:
        """The BM25 index, the catalog and the market as last built, reloaded when another
        process (an ingest) changed them, rebuilt when missing or from an older format."""
        with self._lock:
            built = self._built_generation()
            loaded = None not in (self._lexical, self._catalog, self._market)
            stale = not loaded or built != self._derived_gen
            files = (self.catalog_path, self.catalog_vectors_path, self.market_path)
            if stale and built != -1 and all(f.exists() for f in files):
                self._lexical = LexicalIndex.load(self.lexical_dir)
                self._catalog = load_catalog(self.catalog_path)
                self._catalog_vectors = np.load(self.catalog_vectors_path)
                self._market = Market.from_json(json.loads(self.market_path.read_text()))
                self._derived_gen = built
            current = None not in (self._lexical, self._catalog, self._market) and built != -1
        if not current:
            self.rebuild_derived()
        assert self._lexical is not None and self._catalog is not None
        assert self._market is not None
        return self._lexical, self._catalog, self._market

    @property
    def lexical(self) -> LexicalIndex:
        return self._derived()[0]

    @property
    def catalog(self) -> list[Feature]:
        """Product features, built at ingest from product documents."""
        return self._derived()[1]

    @property
    def catalog_vectors(self) -> np.ndarray:
        """The catalog's feature vectors, row ``i`` for ``catalog[i]``."""
        self._derived()
        assert self._catalog_vectors is not None
        return self._catalog_vectors

    # -- the market: vendor and competitors -----------------------------------------------------
    @property
    def market(self) -> Market:
        """Vendor, competitors and their pages, as the documents say (built at ingest)."""
        return self._derived()[2]

    @property
    def vendor(self) -> str:
        """The selling company's name (the setting, else read from the documents)."""
        return self.market.vendor

    def competitor_names(self) -> list[str]:
        """Every competitor the knowledge base compares the vendor with."""
        return sorted(set(self.market.competitors.values()))

    def resolve_competitor(self, name: str | None) -> str | None:
        """The knowledge base's spelling of ``name`` if it is a known competitor, else None."""
        return self.market.resolve(name)

    def mentioned_competitors(self, text: str) -> list[str]:
        """Competitors named in ``text`` (case- and spacing-insensitive)."""
        return self.market.mentioned(text)

    def competitor_sources(self, competitor: str) -> list[str]:
        """The documents that compare ``competitor`` with the vendor, then those that discuss it."""
        return self.market.sources_about(competitor)

    def competitor_chunks(self, competitor: str) -> list[Chunk]:
        """Every chunk of the pages that compare ``competitor`` with the vendor, then the
        sections of other documents about it ("Us vs Them", "Competitors > Them")."""
        market = self.market
        chunks = [
            c for s in market.pages.get(competitor, []) for c in self.manifest.source_chunks(s)
        ]
        return chunks + [
            c
            for s in market.sections.get(competitor, [])
            for c in self.manifest.source_chunks(s)
            if market.section_rival(c.heading) == competitor
        ]
