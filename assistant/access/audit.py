"""The audit log: every change to the knowledge base or a deal, who made it and when, in
``audit.sqlite`` in the knowledge store. Append-only; never a secret in it (paths, document
and deal names, counts)."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.core.sqlite import connect

SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    who TEXT NOT NULL,
    role TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL
)
"""


@dataclass(frozen=True)
class Entry:
    at: str
    who: str
    role: str
    action: str
    target: str
    detail: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {**self.__dict__}


class AuditLog:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._local = threading.local()
        self._db.execute(SCHEMA)

    @property
    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = connect(self.path, isolation_level=None)
            self._local.db = db
        return db

    def record(self, who: str, role: str, action: str, target: str, **detail: Any) -> None:
        at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        self._db.execute(
            "INSERT INTO audit (at, who, role, action, target, detail) VALUES (?, ?, ?, ?, ?, ?)",
            (at, who, role, action, target, json.dumps(detail, default=str)),
        )

    def entries(self, limit: int = 200) -> list[Entry]:
        rows = self._db.execute(
            "SELECT at, who, role, action, target, detail FROM audit ORDER BY id DESC LIMIT ?",
            (limit,),
        ).fetchall()
        return [Entry(a, w, r, act, t, json.loads(d)) for a, w, r, act, t, d in rows]
