"""Server paths the app may read: only inside the configured roots (``PITCHCRAFT_INGEST_ROOTS``),
no ``..``, no symlink out of them, no device, pipe or socket."""

from __future__ import annotations

import stat
from collections.abc import Sequence
from pathlib import Path, PurePath

from assistant.core.errors import AccessDenied


def allowed_path(text: str, roots: Sequence[Path]) -> Path:
    """The resolved path for ``text``, or ``AccessDenied`` with a one-line reason. A relative
    path is read from the first root."""
    raw = (text or "").strip()
    if not raw or "\x00" in raw:
        raise AccessDenied("give a folder or file on the server")
    if ".." in PurePath(raw).parts:
        raise AccessDenied(f"{raw}: '..' is not allowed in a path")
    path = Path(raw).expanduser()
    if not path.is_absolute():
        path = roots[0] / path
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):
        raise AccessDenied(f"{raw}: no such file or folder") from None
    if not any(real.is_relative_to(root) for root in roots):
        shown = ", ".join(str(r) for r in roots)
        raise AccessDenied(f"{raw}: outside the folders this server may read ({shown})")
    mode = real.stat().st_mode
    if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
        raise AccessDenied(f"{raw}: not a regular file or folder (a device, a pipe or a socket)")
    return real
