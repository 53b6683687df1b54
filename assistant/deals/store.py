"""Deals and meetings in SQLite (``deals.sqlite`` in the knowledge store), the one module that
touches them. Migrations are numbered and applied in order at open (``PRAGMA user_version``);
every write is one ``BEGIN IMMEDIATE`` transaction in WAL mode, so two processes logging
meetings at once both land and a failed write leaves nothing half-stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from assistant.core.errors import AccessDenied, DealError
from assistant.core.sqlite import connect
from assistant.deals.records import Attendee, Deal, Extraction, Meeting, NextStep, Signal

MIGRATIONS: tuple[str, ...] = (
    # 1: deals, meetings, and the signals each meeting's notes gave
    """
    CREATE TABLE deals (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE,
        account TEXT NOT NULL,
        amount REAL,
        currency TEXT NOT NULL DEFAULT '',
        stage TEXT NOT NULL DEFAULT '',
        close_date TEXT,
        owner TEXT NOT NULL DEFAULT '',
        competitor TEXT NOT NULL DEFAULT '',
        products TEXT NOT NULL DEFAULT '[]',
        source TEXT NOT NULL DEFAULT 'manual',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE meetings (
        id INTEGER PRIMARY KEY,
        deal_id INTEGER NOT NULL REFERENCES deals(id) ON DELETE CASCADE,
        date TEXT NOT NULL,
        notes TEXT NOT NULL,
        notes_sha256 TEXT NOT NULL,
        summary TEXT NOT NULL,
        attendees TEXT NOT NULL,
        next_steps TEXT NOT NULL,
        extracted_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (deal_id, notes_sha256)
    );
    CREATE TABLE signals (
        id INTEGER PRIMARY KEY,
        meeting_id INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
        field TEXT NOT NULL,
        value TEXT NOT NULL,
        quote TEXT NOT NULL,
        speaker TEXT NOT NULL
    );
    CREATE INDEX meetings_deal ON meetings (deal_id, date);
    CREATE INDEX signals_meeting ON signals (meeting_id);
    """,
)
DEAL_COLUMNS = ("account", "amount", "currency", "stage", "close_date", "owner", "competitor")


def notes_key(notes: str) -> str:
    """The identity of a meeting's notes: the same text (spacing aside) is the same meeting."""
    return hashlib.sha256(" ".join(notes.split()).encode()).hexdigest()


class DealStore:
    """One connection per thread (the app serves sessions from several threads); SQLite's
    own locking orders the writers, in this process or another."""

    def __init__(self, path: Path, timeout: float = 30.0) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.timeout = timeout
        self._local = threading.local()
        self._migrate()

    @property
    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = connect(self.path, self.timeout, isolation_level=None)
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA foreign_keys=ON")
            self._local.db = db
        return db

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One transaction that takes the write lock at once (waiting for another writer)."""
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise

    def _migrate(self) -> None:
        with self._write() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > len(MIGRATIONS):
                raise DealError(
                    f"{self.path}: made by a newer Pitchcraft (schema {version}); upgrade first"
                )
            for n, script in enumerate(MIGRATIONS[version:], version + 1):
                for statement in filter(str.strip, script.split(";")):
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {n}")

    @property
    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    # -- deals ------------------------------------------------------------------------------------
    def deals(self) -> list[Deal]:
        rows = self._db.execute("SELECT * FROM deals ORDER BY name COLLATE NOCASE").fetchall()
        return [_deal(r) for r in rows]

    def exact(self, name: str) -> Deal | None:
        """The deal of exactly this name (any case), or None: no guessing."""
        row = self._db.execute("SELECT * FROM deals WHERE name = ?", (name.strip(),)).fetchone()
        return _deal(row) if row else None

    def find(self, name: str, visible: Callable[[Deal], bool] | None = None) -> Deal | None:
        """A deal by name (any case, spacing trimmed), by its number, or, when only one deal
        fits, by its account or the start of its name ("Lakemont" for "Lakemont Bank - …").
        With ``visible``, only those deals are guessed among, and a deal named exactly that is
        not visible is refused (``AccessDenied``), never taken for another."""
        key = name.strip()
        row = self._db.execute("SELECT * FROM deals WHERE name = ?", (key,)).fetchone()
        if row is None and key.isdigit():
            row = self._db.execute("SELECT * FROM deals WHERE id = ?", (int(key),)).fetchone()
        if row is not None:
            deal = _deal(row)
            if visible is not None and not visible(deal):
                raise AccessDenied(f"the deal {deal.name!r} is not one of yours")
            return deal
        if not key:
            return None
        for where, value in (
            ("account = ? COLLATE NOCASE", key),
            ("name LIKE ? ESCAPE '\\'", _like(key) + "%"),
        ):
            rows = self._db.execute(f"SELECT * FROM deals WHERE {where}", (value,)).fetchall()
            fits = [d for d in map(_deal, rows) if visible is None or visible(d)]
            if len(fits) == 1:
                return fits[0]
        return None

    def get(self, name: str) -> Deal:
        deal = self.find(name)
        if deal is None:
            known = ", ".join(d.name for d in self.deals()[:8]) or "none yet"
            raise DealError(f"no deal named {name!r} (deals: {known})")
        return deal

    def create(self, name: str, account: str, **fields: Any) -> Deal:
        """A new deal; a name already taken is an error naming the deal that has it."""
        with self._write() as db:
            deal_id = self._insert(db, name, account, fields)
            row = db.execute("SELECT * FROM deals WHERE id = ?", (deal_id,)).fetchone()
        return _deal(row)

    def _insert(
        self, db: sqlite3.Connection, name: str, account: str, fields: dict[str, Any]
    ) -> int:
        name, account = name.strip(), account.strip()
        if not name:
            raise DealError("a deal needs a name")
        if not account:
            raise DealError(f"deal {name!r} is new: give its account (--account)")
        taken = db.execute("SELECT name, account FROM deals WHERE name = ?", (name,)).fetchone()
        if taken:
            raise DealError(
                f"a deal named {taken['name']!r} already exists (account {taken['account']})"
            )
        now = _now()
        values = _columns({"account": account, **fields})
        cursor = db.execute(
            f"INSERT INTO deals (name, {', '.join(values)}, created_at, updated_at) "
            f"VALUES (?, {', '.join('?' for _ in values)}, ?, ?)",
            (name, *values.values(), now, now),
        )
        return int(cursor.lastrowid or 0)

    def update(self, deal: Deal, **fields: Any) -> Deal:
        values = _columns(fields)
        if not values:
            return deal
        with self._write() as db:
            sets = ", ".join(f"{k} = ?" for k in values)
            db.execute(
                f"UPDATE deals SET {sets}, updated_at = ? WHERE id = ?",
                (*values.values(), _now(), deal.id),
            )
            row = db.execute("SELECT * FROM deals WHERE id = ?", (deal.id,)).fetchone()
        return _deal(row)

    # -- meetings ---------------------------------------------------------------------------------
    def add_meeting(
        self, deal: Deal, date: dt.date, notes: str, extraction: Extraction
    ) -> tuple[Meeting, bool]:
        """Store a meeting with what its notes said; the same notes logged again for the same
        deal return the stored meeting and ``False`` (never a duplicate)."""
        with self._write() as db:
            return self._add_meeting(db, deal.id, date, notes, extraction)

    def log(
        self,
        deal: Deal | None,
        new: tuple[str, str, str],
        date: dt.date,
        notes: str,
        extraction: Extraction,
    ) -> tuple[Deal, Meeting, bool]:
        """A meeting for ``deal``, or for a new deal ``(name, account, owner)`` created in the
        same transaction: a deal never exists without the meeting that made it."""
        with self._write() as db:
            if deal is None:
                name, account, owner = new
                # Another process may have created it since the caller looked: log to it then.
                row = db.execute("SELECT id, account FROM deals WHERE name = ?", (name.strip(),))
                found = row.fetchone()
                if found and found["account"].lower() == account.strip().lower():
                    deal_id = int(found["id"])
                else:
                    deal_id = self._insert(db, name, account, {"owner": owner})
            else:
                deal_id = deal.id
            meeting, created = self._add_meeting(db, deal_id, date, notes, extraction)
            row = db.execute("SELECT * FROM deals WHERE id = ?", (deal_id,)).fetchone()
        return _deal(row), meeting, created

    def _add_meeting(
        self, db: sqlite3.Connection, deal_id: int, date: dt.date, notes: str, e: Extraction
    ) -> tuple[Meeting, bool]:
        key = notes_key(notes)
        row = db.execute(
            "SELECT id FROM meetings WHERE deal_id = ? AND notes_sha256 = ?", (deal_id, key)
        ).fetchone()
        if row:
            return self.meeting(int(row["id"])), False
        cursor = db.execute(
            "INSERT INTO meetings (deal_id, date, notes, notes_sha256, summary, attendees, "
            "next_steps, extracted_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                deal_id,
                date.isoformat(),
                notes,
                key,
                e.summary,
                json.dumps([a.to_json() for a in e.attendees]),
                json.dumps([s.to_json() for s in e.next_steps]),
                e.extracted_by,
                _now(),
            ),
        )
        meeting_id = int(cursor.lastrowid or 0)
        db.executemany(
            "INSERT INTO signals (meeting_id, field, value, quote, speaker) VALUES (?, ?, ?, ?, ?)",
            [(meeting_id, s.field, s.value, s.quote, s.speaker) for s in e.signals],
        )
        db.execute("UPDATE deals SET updated_at = ? WHERE id = ?", (_now(), deal_id))
        return self.meeting(meeting_id), True

    def meeting(self, meeting_id: int) -> Meeting:
        row = self._db.execute("SELECT * FROM meetings WHERE id = ?", (meeting_id,)).fetchone()
        return self._meeting(row)

    def meetings(self, deal: Deal) -> list[Meeting]:
        """The deal's meetings, oldest first."""
        rows = self._db.execute(
            "SELECT * FROM meetings WHERE deal_id = ? ORDER BY date, id", (deal.id,)
        ).fetchall()
        return [self._meeting(r) for r in rows]

    def _meeting(self, row: sqlite3.Row) -> Meeting:
        signals = self._db.execute(
            "SELECT field, value, quote, speaker FROM signals WHERE meeting_id = ? ORDER BY id",
            (row["id"],),
        ).fetchall()
        extraction = Extraction(
            summary=row["summary"],
            next_steps=[NextStep(**s) for s in json.loads(row["next_steps"])],
            signals=[Signal(s["field"], s["value"], s["quote"], s["speaker"]) for s in signals],
            attendees=[Attendee(**a) for a in json.loads(row["attendees"])],
            extracted_by=row["extracted_by"],
        )
        return Meeting(
            int(row["id"]),
            int(row["deal_id"]),
            dt.date.fromisoformat(row["date"]),
            row["notes"],
            extraction,
        )


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _columns(fields: dict[str, Any]) -> dict[str, Any]:
    """Deal fields as column values (unknown keys are a programming error)."""
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if key == "products":
            out["products"] = json.dumps(list(value or []))
        elif key == "source":
            out["source"] = str(value)
        elif key in DEAL_COLUMNS:
            if key == "close_date" and isinstance(value, dt.date):
                value = value.isoformat()
            out[key] = value if value is not None or key in ("amount", "close_date") else ""
        else:
            raise TypeError(f"not a deal field: {key}")
    return out


def _deal(row: sqlite3.Row) -> Deal:
    return Deal(
        id=int(row["id"]),
        name=row["name"],
        account=row["account"],
        amount=row["amount"],
        currency=row["currency"],
        stage=row["stage"],
        close_date=dt.date.fromisoformat(row["close_date"]) if row["close_date"] else None,
        owner=row["owner"],
        competitor=row["competitor"],
        products=json.loads(row["products"]),
        source=row["source"],
    )


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
