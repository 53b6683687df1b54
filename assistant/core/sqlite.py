"""One way to open the project's SQLite files (manifest, deals, audit log, training progress)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

RETRY_SECONDS = 0.05


def connect(path: Path, timeout: float = 30.0, **options: Any) -> sqlite3.Connection:
    """A connection in WAL mode, so readers never block the writer. Two processes opening a new
    file at once both switch it to WAL, a lock SQLite does not wait for, so this retries until
    ``timeout`` as any other statement would wait."""
    db = sqlite3.connect(str(path), timeout=timeout, **options)
    deadline = time.monotonic() + timeout
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return db
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                db.close()
                raise
            time.sleep(RETRY_SECONDS)
