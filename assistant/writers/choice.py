"""Which writer a setting and the environment ask for, and why (said in every result)."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from assistant.core.config import Settings
from assistant.core.errors import ConfigError
from assistant.writers.base import Writer


def writer_choice(settings: Settings) -> tuple[str, str]:
    """("llm" | "offline", a plain reason), per ``PITCHCRAFT_LLM``."""
    key, base = settings.api_key, settings.openai_base_url
    if settings.llm == "offline":
        return "offline", "PITCHCRAFT_LLM=offline"
    if key or base:
        return "llm", f"model {settings.model} at {_public_url(base or 'https://api.openai.com')}"
    if settings.llm == "openai":
        raise ConfigError("PITCHCRAFT_LLM=openai needs OPENAI_API_KEY or OPENAI_BASE_URL")
    return "offline", "no OPENAI_API_KEY or OPENAI_BASE_URL is set"


def _public_url(url: str) -> str:
    """The URL without credentials (``https://user:pass@host`` → ``https://host``)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def make_writer(settings: Settings) -> Writer:
    """The offline composer, or the LLM writer when the settings configure a model."""
    from assistant.writers.llm import LLMWriter
    from assistant.writers.offline import OfflineWriter
    from assistant.writers.prompts import Prompts

    kind, _ = writer_choice(settings)
    if kind == "offline":
        return OfflineWriter()
    return LLMWriter(settings, Prompts(settings.prompts_dir))
