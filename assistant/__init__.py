"""Pitchcraft: grounded, persona-aware pitch and enablement assistant."""

__version__ = "0.1.0"
