"""Whether the app may serve: on a loopback address anyone may run it as today; anywhere
else it needs sign-in (Streamlit's OpenID Connect, an ``[auth]`` section in
``.streamlit/secrets.toml``), unless ``PITCHCRAFT_ALLOW_OPEN_SERVER`` says otherwise."""

from __future__ import annotations

import ipaddress
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

SECRETS_FILES = (Path(".streamlit/secrets.toml"), Path.home() / ".streamlit" / "secrets.toml")
SHARED_KEYS = ("redirect_uri", "cookie_secret")
PROVIDER_KEYS = ("client_id", "client_secret", "server_metadata_url")


def read_auth(files: Sequence[Path] = SECRETS_FILES) -> dict[str, Any] | None:
    """The ``[auth]`` section of the first secrets file that has one (Streamlit's own files)."""
    for path in files:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError):
            continue
        if isinstance(data.get("auth"), dict):
            return data["auth"]
    return None


def auth_missing(auth: Mapping[str, Any] | None) -> list[str]:
    """The settings sign-in still needs: the shared ones, and one provider's (in ``[auth]``
    itself or in an ``[auth.<provider>]`` section)."""
    if not auth:
        return ["[auth]"]
    missing = [k for k in SHARED_KEYS if not auth.get(k)]
    if not any(all(p.get(k) for k in PROVIDER_KEYS) for p in providers(auth)):
        missing += [k for k in PROVIDER_KEYS if not auth.get(k)]
    return missing


def providers(auth: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The sign-in providers' settings: ``[auth]`` itself and each ``[auth.<provider>]``."""
    return [auth] + [v for v in auth.values() if isinstance(v, Mapping)]


def is_loopback(host: str | None) -> bool:
    if not host:
        return False  # unset: Streamlit listens on every address
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serving_problem(host: str | None, auth: Mapping[str, Any] | None, allow_open: bool) -> str:
    """Why the app must not serve on ``host`` as configured ("" when it may)."""
    if is_loopback(host) or allow_open:
        return ""
    missing = auth_missing(auth)
    if not missing:
        return ""
    return (
        f"refusing to serve on {host or 'every address'} without sign-in: .streamlit/secrets.toml "
        f"needs {', '.join(missing)} (see the README's team server), or set "
        "PITCHCRAFT_ALLOW_OPEN_SERVER=1 to serve without it"
    )
