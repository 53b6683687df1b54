"""Roles from a small YAML file (``PITCHCRAFT_ROLES_FILE``, default ``.streamlit/roles.yaml``):
an e-mail address or a group of the sign-in provider → ``admin``, ``enablement``, ``manager``
or ``rep``; anyone signed in and not listed gets ``default`` (``rep`` unless set)::

    default: rep
    users:
      dana@example.com: admin
      lee@example.com: enablement
    groups:
      sales-managers: manager

Permissions: admin and enablement load, refresh and delete knowledge; admin and managers see
and import every deal; a rep sees the deals they own; everyone signed in pitches, asks and
trains.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.core.errors import AccessDenied
from assistant.core.yamlfile import load_model

Role = Literal["admin", "enablement", "manager", "rep"]
PERMISSIONS: dict[str, frozenset[str]] = {
    "knowledge.write": frozenset({"admin", "enablement"}),
    "deals.all": frozenset({"admin", "manager"}),
    "deals.import": frozenset({"admin", "manager"}),
    "audit.read": frozenset({"admin"}),
}
DESCRIBED = {
    "knowledge.write": "load, refresh or delete knowledge",
    "deals.all": "see every rep's deals",
    "deals.import": "import deals from a CRM export",
    "audit.read": "read the audit log",
}


class RoleFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    default: Role = "rep"
    users: dict[str, Role] = Field(default_factory=dict)
    groups: dict[str, Role] = Field(default_factory=dict)

    def role_of(self, email: str, groups: tuple[str, ...] = ()) -> Role:
        """The user's own entry, else the strongest of their groups', else the default."""
        own = {k.lower(): v for k, v in self.users.items()}.get(email.lower())
        if own:
            return own
        found = [self.groups[g] for g in groups if g in self.groups]
        order = ("admin", "enablement", "manager", "rep")
        return min(found, key=order.index) if found else self.default


def load_roles(path: Path) -> RoleFile:
    """The roles file, or the least-privilege default (everyone a rep) when there is none."""
    return load_model(path, RoleFile) if path.is_file() else RoleFile()


@dataclass(frozen=True)
class User:
    """Who is acting: signed in (``email``), or the local user when sign-in is off."""

    email: str
    name: str
    role: Role
    groups: tuple[str, ...] = field(default=())
    signed_in: bool = True

    @property
    def who(self) -> str:
        return self.email or self.name

    def may(self, permission: str) -> bool:
        return self.role in PERMISSIONS[permission]

    def require(self, permission: str) -> None:
        if not self.may(permission):
            raise AccessDenied(
                f"{self.who} ({self.role}) may not {DESCRIBED[permission]}; "
                f"ask an {' or '.join(sorted(PERMISSIONS[permission]))}"
            )

    def owns(self, owner: str) -> bool:
        """Whether a deal's owner is this user: their e-mail (deals they logged), or their
        full name as the sign-in provider gives it (owners in a CRM export)."""
        key = owner.strip().lower()
        return bool(key) and key in {self.email.lower(), self.name.strip().lower()} - {""}
