"""Files uploaded through the app: check each one (size, type, name), save the good ones in the
knowledge store's own ``uploads/`` folder, ingest them, and report per file.

A bad file never stops the others: it is rejected (never written) or, if it fails to ingest,
removed again, with the previous version of a re-uploaded file put back. A name with a folder
part (``../x.md``, ``/etc/x.md``, ``a\\b.md``) is refused outright: browsers send bare file
names, so such a name is a crafted request, not a user's file.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Literal

from assistant.core.config import Settings
from assistant.core.errors import IngestError
from assistant.index.kb import KnowledgeBase
from assistant.index.manifest import DocRecord
from assistant.ingest.loaders import SUPPORTED_EXTS
from assistant.ingest.pipeline import IngestReport, ProgressCallback, ingest_files, remove_document

UPLOADS = "uploads"
ALLOWED_EXTS: tuple[str, ...] = tuple(sorted(SUPPORTED_EXTS))
MAX_NAME_CHARS = 120
# Sub-folders whose names the loaders read as a document type (see docs/knowledge-conventions.md);
# front-matter in the file still wins.
TYPE_FOLDERS: dict[str, str] = {
    "product": "products",
    "battlecard": "battlecards",
    "comparison": "comparisons",
    "case_study": "case-studies",
    "pricing": "pricing",
    "security": "security",
    "internal": "internal",
    "general": "",
}

Status = Literal["added", "updated", "unchanged", "rejected", "failed"]


class UploadRejected(ValueError):
    """An uploaded file that is never written: bad name, type or size."""


@dataclass
class UploadOutcome:
    """What happened to one uploaded file."""

    name: str  # as the browser sent it
    status: Status
    source: str = ""  # its source name in the knowledge store, once saved
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status in ("added", "updated", "unchanged")

    def to_json(self) -> dict[str, str]:
        return asdict(self)


@dataclass
class UploadReport:
    files: list[UploadOutcome] = field(default_factory=list)
    ingest: IngestReport | None = None

    @property
    def accepted(self) -> list[UploadOutcome]:
        return [f for f in self.files if f.ok]

    @property
    def problems(self) -> list[UploadOutcome]:
        return [f for f in self.files if not f.ok]


def uploads_dir(kb: KnowledgeBase) -> Path:
    return kb.root / UPLOADS


def max_bytes(settings: Settings) -> int:
    return int(settings.upload_max_mb * 1024 * 1024)


def safe_name(name: str) -> str:
    """A safe file name for the uploaded ``name``, or ``UploadRejected`` with the reason.

    Folder parts are refused; anything but letters, digits, ``. - _ ( )`` and spaces becomes
    ``-``; leading dots and underscores go (the loaders skip hidden files); the stem is cut to
    keep the name under ``MAX_NAME_CHARS``.
    """
    text = unicodedata.normalize("NFKC", name or "")
    if not text.strip():
        raise UploadRejected("the file has no name")
    if "/" in text or "\\" in text or "\x00" in text or text.strip() in (".", ".."):
        raise UploadRejected("the file name contains a folder path ('/', '\\' or '..')")
    cleaned = re.sub(r"[^\w.\- ()]+", "-", text)
    cleaned = re.sub(r"\s+", " ", cleaned)
    cleaned = re.sub(r"-{2,}", "-", cleaned).strip(" ")
    cleaned = cleaned.lstrip("._- ")
    stem, dot, ext = cleaned.rpartition(".")
    if not dot or not stem.strip(" .-"):
        raise UploadRejected(f"no usable file name in {name!r}")
    ext = ext.lower()
    if f".{ext}" not in SUPPORTED_EXTS:
        raise UploadRejected(
            f"unsupported file type .{ext} (allowed: {', '.join(ALLOWED_EXTS)})"
            if ext
            else f"no file extension (allowed: {', '.join(ALLOWED_EXTS)})"
        )
    stem = stem[: MAX_NAME_CHARS - len(ext) - 1].rstrip(" .-")
    return f"{stem}.{ext}"


def check_upload(name: str, size: int, settings: Settings) -> str:
    """The safe name to store an upload under; ``UploadRejected`` if it must not be stored."""
    safe = safe_name(name)
    if size <= 0:
        raise UploadRejected("the file is empty")
    if size > max_bytes(settings):
        raise UploadRejected(
            f"the file is {size / 1024 / 1024:.1f} MB; the limit is "
            f"{settings.upload_max_mb:g} MB per file (PITCHCRAFT_UPLOAD_MAX_MB)"
        )
    return safe


def ingest_uploads(
    kb: KnowledgeBase,
    files: Sequence[tuple[str, bytes]],
    doc_type: str | None = None,
    progress: ProgressCallback | None = None,
) -> UploadReport:
    """Check, save and ingest uploaded ``(name, content)`` pairs; one outcome per file, in order.

    ``doc_type`` files them under a folder the loaders read as that type (front-matter wins).
    Re-uploading a name replaces that document.
    """
    if doc_type is not None and doc_type not in TYPE_FOLDERS:
        raise ValueError(f"unknown document type {doc_type!r}")
    limit = kb.settings.upload_max_files
    if len(files) > limit:
        raise IngestError(
            "upload",
            f"{len(files):,} files at once; the limit is {limit} (PITCHCRAFT_UPLOAD_MAX_FILES)",
        )
    folder = uploads_dir(kb) / TYPE_FOLDERS.get(doc_type or "general", "")
    report = UploadReport()
    pending: list[tuple[UploadOutcome, Path, bytes]] = []
    taken: set[str] = set()
    for name, data in files:
        outcome = UploadOutcome(name, "rejected")
        report.files.append(outcome)
        try:
            safe = check_upload(name, len(data), kb.settings)
            if safe.lower() in taken:
                raise UploadRejected(f"another file in this upload is also named {safe!r}")
        except UploadRejected as exc:
            outcome.message = str(exc)
            continue
        taken.add(safe.lower())
        path = folder / safe
        if not path.resolve().is_relative_to(uploads_dir(kb).resolve()):  # defence in depth
            outcome.message = "the file name points outside the uploads folder"
            continue
        outcome.source = path.relative_to(kb.root).as_posix()
        pending.append((outcome, path, data))
    if not pending:
        return report

    folder.mkdir(parents=True, exist_ok=True)
    backups: dict[Path, Path] = {}
    try:
        for _, path, data in pending:
            if path.exists():
                backups[path] = path.with_name(f".{path.name}.previous")
                os.replace(path, backups[path])
            tmp = path.with_name(f".{path.name}.part")
            tmp.write_bytes(data)
            os.replace(tmp, path)
        pairs = [(path, PurePosixPath(o.source)) for o, path, _ in pending]
        result = ingest_files(kb, pairs, progress=progress)
    except BaseException:
        for _, path, _ in pending:
            _restore(path, backups.get(path))
        raise
    report.ingest = result
    failed = {f["path"]: f["error"] for f in result.failed}
    warned = {w["path"]: w["warning"] for w in result.warnings}
    for outcome, path, _ in pending:
        outcome.status, outcome.message = "failed", "not ingested"
        if outcome.source in failed:
            outcome.status, outcome.message = "failed", failed[outcome.source]
            _restore(path, backups.get(path))
            continue
        for status in ("added", "updated", "unchanged"):
            if outcome.source in getattr(result, status):
                outcome.status = status  # type: ignore[assignment]
        outcome.message = warned.get(outcome.source, "")
        backup = backups.get(path)
        if backup is not None:
            backup.unlink(missing_ok=True)
    return report


def _restore(path: Path, backup: Path | None) -> None:
    """Undo one saved upload: put the previous version back, or remove the new file."""
    if backup is not None and backup.exists():
        os.replace(backup, path)
    else:
        path.unlink(missing_ok=True)


def delete_document(kb: KnowledgeBase, source: str) -> DocRecord | None:
    """Remove a document from the knowledge store; an uploaded file is deleted with it (files
    elsewhere are the user's and are left alone). None if ``source`` is not indexed."""
    record = remove_document(kb, source)
    if record is not None:
        path = Path(record.path)
        if path.resolve().is_relative_to(uploads_dir(kb).resolve()):
            path.unlink(missing_ok=True)
    return record
