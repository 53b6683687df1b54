"""What is in the knowledge store, and which documents are stale."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from assistant.core.config import Settings
from assistant.core.records import DocMeta
from assistant.index.manifest import DocRecord, Manifest


def is_stale(meta: DocMeta, settings: Settings, today: dt.date | None = None) -> bool:
    """Older than the limit for its type (battlecards 90 days, others 365 by default)."""
    if meta.updated is None:
        return False
    age = ((today or dt.date.today()) - meta.updated).days
    return age > settings.stale_days(meta.doc_type)


@dataclass(frozen=True)
class DocStatus:
    record: DocRecord
    stale: bool

    def to_json(self) -> dict:
        m = self.record.meta
        return {
            "source": self.record.source,
            "title": m.title,
            "doc_type": m.doc_type,
            "audience": m.audience,
            "product": m.product,
            "competitor": m.competitor,
            "chunks": self.record.chunks,
            "updated": m.updated.isoformat() if m.updated else None,
            "stale": self.stale,
        }


def kb_status(manifest: Manifest, settings: Settings, embed_model: str) -> dict:
    docs = [DocStatus(d, is_stale(d.meta, settings)) for d in manifest.documents()]
    return {
        "documents": [d.to_json() for d in docs],
        "chunks": manifest.count_chunks(),
        "embed_model": embed_model,
        "stale": sum(d.stale for d in docs),
    }
