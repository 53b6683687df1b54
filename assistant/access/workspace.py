"""``Workspace``: what one user may do over the service. Every change to the knowledge base or
a deal checks the user's role first (the page that offers it is not the only guard) and is
written to the audit log; deals are filtered to the ones the user may see."""

from __future__ import annotations

import datetime as dt
import getpass
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assistant.access.audit import AuditLog
from assistant.access.paths import allowed_path
from assistant.access.roles import User
from assistant.core.errors import AccessDenied, DealError
from assistant.deals.crm import ImportReport
from assistant.deals.records import Deal
from assistant.deals.room import Logged
from assistant.index.manifest import DocRecord
from assistant.ingest.pipeline import IngestReport, ProgressCallback, ingest, reingest_all
from assistant.ingest.uploads import UploadReport, delete_document, ingest_uploads
from assistant.service import Pitchcraft


def local_user() -> User:
    """The person at the keyboard when sign-in is off (a laptop, the CLI): every permission."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = "local"
    return User("", name, "admin", signed_in=False)


class Workspace:
    def __init__(self, app: Pitchcraft, user: User, audit: AuditLog | None = None) -> None:
        self.app = app
        self.user = user
        self.audit = audit or AuditLog(app.kb.root / "audit.sqlite")

    def _log(self, action: str, target: str, **detail: Any) -> None:
        self.audit.record(self.user.who, self.user.role, action, target, **detail)

    def _require(self, permission: str, action: str, target: str = "") -> None:
        """The user's role allows ``permission``; a refusal is in the audit log too."""
        try:
            self.user.require(permission)
        except AccessDenied:
            self._log(f"denied: {action}", target)
            raise

    # -- knowledge --------------------------------------------------------------------------------
    def ingest(
        self,
        paths: Sequence[str | Path],
        prune: bool = False,
        rebuild: bool = False,
        progress: ProgressCallback | None = None,
        restrict: bool = True,
    ) -> IngestReport:
        """Ingest server paths; with ``restrict`` only inside the configured roots (the app),
        without it anything the local user can read (the CLI)."""
        self._require("knowledge.write", "knowledge.ingest", ", ".join(map(str, paths)))
        roots = self.app.settings.ingest_root_paths() if restrict else None
        try:
            found = [allowed_path(str(p), roots) if roots else Path(p) for p in paths]
        except AccessDenied as exc:
            self._log("denied: knowledge.ingest", ", ".join(map(str, paths)), reason=str(exc))
            raise
        try:
            report = ingest(self.app.kb, found, prune, rebuild, progress, roots)
        except Exception as exc:
            self._log("failed: knowledge.ingest", ", ".join(map(str, found)), reason=str(exc)[:200])
            raise
        self._log(
            "knowledge.rebuild" if rebuild else "knowledge.ingest",
            ", ".join(str(p) for p in found),
            added=len(report.added),
            updated=len(report.updated),
            removed=len(report.removed),
            failed=len(report.failed),
        )
        return report

    def upload(
        self,
        files: Sequence[tuple[str, bytes]],
        doc_type: str | None = None,
        progress: ProgressCallback | None = None,
    ) -> UploadReport:
        self._require("knowledge.write", "knowledge.upload", f"{len(files)} file(s)")
        report = ingest_uploads(self.app.kb, files, doc_type, progress)
        self._log(
            "knowledge.upload",
            ", ".join(f.source or f.name for f in report.files)[:500],
            accepted=len(report.accepted),
            refused=len(report.problems),
        )
        return report

    def delete(self, source: str) -> DocRecord | None:
        self._require("knowledge.write", "knowledge.delete", source)
        record = delete_document(self.app.kb, source)
        self._log("knowledge.delete", source, found=record is not None)
        return record

    def rebuild(self, progress: ProgressCallback | None = None) -> IngestReport:
        self._require("knowledge.write", "knowledge.rebuild", str(self.app.kb.root))
        # On a team server the files re-read must still lie inside the roots (a symlink may
        # have been re-pointed since); the local user re-reads what they ingested.
        roots = self.app.settings.ingest_root_paths() if self.user.signed_in else None
        report = reingest_all(self.app.kb, progress, roots)
        self._log("knowledge.rebuild", str(self.app.kb.root), failed=len(report.failed))
        return report

    # -- deals ------------------------------------------------------------------------------------
    def deals(self) -> list[Deal]:
        """The deals this user may see: every deal for a manager or an admin, else their own."""
        every = self.app.deals.store.deals()
        return every if self.user.may("deals.all") else [d for d in every if self._sees(d)]

    def _sees(self, deal: Deal) -> bool:
        return self.user.may("deals.all") or self.user.owns(deal.owner)

    def find(self, name: str) -> Deal | None:
        """A deal this user may see, by exact name, else by account or the start of its name
        among those deals only; ``AccessDenied`` when the exact name is another rep's deal."""
        try:
            return self.app.deals.store.find(name, self._sees)
        except AccessDenied:
            self._log("denied: deal.read", name)
            raise

    def deal(self, name: str) -> Deal:
        deal = self.find(name)
        if deal is None:
            yours = "" if self.user.may("deals.all") else " among yours"
            raise DealError(f"no deal named {name!r}{yours}")
        return deal

    def log(
        self,
        name: str,
        data: bytes,
        source: str = "notes",
        date: dt.date | None = None,
        account: str | None = None,
    ) -> Logged:
        """Log a meeting: to a deal this user may see, or to a new deal they then own (by
        e-mail when signed in)."""
        owner = self.user.who
        try:
            logged = self.app.deals.log(name, data, source, date, account, owner, self._sees)
        except Exception as exc:
            self._log("failed: deal.log", name, reason=str(exc)[:200])
            raise
        self._log("deal.log", logged.deal.name, date=logged.meeting.date, created=logged.created)
        return logged

    def import_crm(self, data: bytes, source: str) -> ImportReport:
        self._require("deals.import", "deal.import", source)
        report = self.app.deals.import_crm(data, source)
        self._log(
            "deal.import",
            source,
            added=len(report.added),
            updated=len(report.updated),
            skipped=len(report.skipped),
        )
        return report

    def show(self, name: str, today: dt.date | None = None) -> dict[str, Any]:
        return self.app.deals.show(self.deal(name).name, today)

    def pipeline(self, today: dt.date | None = None, **options: Any) -> dict[str, Any]:
        names = None if self.user.may("deals.all") else {d.name for d in self.deals()}
        return self.app.deals.pipeline(today, names=names, **options)
