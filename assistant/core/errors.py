"""The errors Pitchcraft raises on purpose; the CLI and the app turn them into one line."""

from __future__ import annotations


class PitchcraftError(Exception):
    """Base class: anything the user can act on."""


class ConfigError(PitchcraftError):
    """Bad settings, a missing file, or a knowledge store built with another model."""


class IngestError(PitchcraftError):
    """One source file could not be ingested."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class LockedError(PitchcraftError):
    """Another ingest holds the knowledge store."""


class LLMError(PitchcraftError):
    """The language model could not produce a usable answer."""


class DealError(PitchcraftError):
    """An unknown deal, unusable notes or a CRM file that cannot be read."""


class AccessDenied(PitchcraftError):
    """The signed-in user's role does not allow this, or a path is outside the allowed roots."""
