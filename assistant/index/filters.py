"""Metadata filters, one rule for every search path (Chroma's ``where``, the BM25 mask, Python)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Filters:
    """Metadata filters shared by every search path (dense, lexical, hybrid)."""

    doc_types: tuple[str, ...] = ()
    products: tuple[str, ...] = ()
    competitors: tuple[str, ...] = ()
    audience: str | None = None  # "customer-safe" hides internal chunks
    min_updated_days: int | None = None  # date.toordinal(); undated documents are kept
    sources: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()  # a passage's main role (see assistant/understand/roles.py)

    def membership(self) -> list[tuple[str, tuple[str, ...]]]:
        """(metadata key, allowed values) for every "one of these" filter that is set."""
        fields = (
            ("doc_type", self.doc_types),
            ("product", self.products),
            ("competitor", self.competitors),
            ("source", self.sources),
            ("role", self.roles),
        )
        return [(key, values) for key, values in fields if values]

    def matches(self, md: dict[str, Any]) -> bool:
        """The same rule in Python, for indexes that cannot filter natively."""
        if any(md.get(key) not in values for key, values in self.membership()):
            return False
        if self.audience and md.get("audience") != self.audience:
            return False
        days = md.get("updated_days") or 0
        return not (self.min_updated_days and days and days < self.min_updated_days)

    def is_empty(self) -> bool:
        return self == Filters()
