"""One settings object for the whole product (env prefix ``PITCHCRAFT_``, optional ``.env``).

This is the only module that reads the environment: the openai client's own ``OPENAI_API_KEY``
and ``OPENAI_BASE_URL`` arrive here too, as fields without the prefix.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from assistant.core.records import COMPETITIVE_TYPES

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_EMBED_MODEL = "all-MiniLM-L6-v2"


def _cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "pitchcraft"


class Settings(BaseSettings):
    """Every knob Pitchcraft has; each field can be set as ``PITCHCRAFT_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="PITCHCRAFT_", env_file=".env", extra="ignore")

    kb: Path = Field(Path(".pitchcraft"), description="Knowledge store folder (index, manifest).")
    embed_model: str = Field(
        DEFAULT_EMBED_MODEL,
        description="sentence-transformers model name or local path; the default is bundled.",
    )
    embed_backend: Literal["auto", "torch", "onnx", "int8"] = Field(
        "auto",
        description="auto: fp32 ONNX for the bundled model (torch for others), or what the store "
        "was built with; int8: quantised ONNX, faster; torch: the fp32 reference.",
    )
    embed_batch_size: int = Field(32, ge=1, description="Texts per embedding batch.")
    chroma_url: str | None = Field(
        None, description="Chroma server URL (e.g. http://127.0.0.1:8000); embedded if unset."
    )
    collection: str = Field("pitchcraft", description="Chroma collection name.")
    chunk_overlap_tokens: int = Field(32, ge=0, description="Overlap between adjacent chunks.")
    stale_days_battlecard: int = Field(
        90, ge=1, description="Battlecards older than this are stale."
    )
    stale_days_default: int = Field(
        365, ge=1, description="Other documents older than this are stale."
    )
    lock_timeout: float = Field(30.0, ge=0, description="Seconds to wait for another ingest.")
    upload_max_mb: float = Field(
        25.0, gt=0, description="Largest file the app accepts per upload, in megabytes."
    )
    upload_max_files: int = Field(50, ge=1, description="Most files the app takes in one upload.")
    max_file_mb: float = Field(
        100.0, gt=0, description="Largest file any ingest reads (CLI and app), in megabytes."
    )
    ingest_roots: str = Field(
        "",
        description="Folders the app may ingest from the server, separated by the path separator "
        "(':' on Linux); unset: the folder the app was started in.",
    )
    roles_file: Path = Field(
        Path(".streamlit/roles.yaml"), description="Who has which role when sign-in is on."
    )
    allow_open_server: bool = Field(
        False, description="Serve on a non-loopback address without sign-in (not recommended)."
    )
    deal_notes_max_kb: float = Field(
        512.0, gt=0, description="Largest meeting notes `deal log` accepts, in kilobytes."
    )
    prompts_dir: Path = Field(REPO_ROOT / "prompts", description="Persona and prompt files.")
    llm: Literal["auto", "offline", "openai"] = Field(
        "auto", description="auto: the LLM when OPENAI_API_KEY or OPENAI_BASE_URL is set."
    )
    model: str = Field("gpt-4o-mini", description="Chat model name for the LLM writer.")
    llm_timeout: float = Field(30.0, gt=0, description="Seconds per LLM request (each read).")
    llm_retries: int = Field(2, ge=0, description="Client retries on 429, 5xx and connection.")
    llm_stream_retries: int = Field(1, ge=0, description="Retries after a cut or empty stream.")
    llm_verify_retries: int = Field(
        1, ge=0, description="Times a model is asked again after its answer fails verification."
    )
    llm_deadline: float = Field(
        60.0, gt=0, description="Seconds for one LLM job, retries included; then offline."
    )
    llm_context_tokens: int = Field(6000, ge=500, description="Token budget for sources.")
    llm_max_output_tokens: int = Field(1800, ge=100, description="Token limit for the answer.")
    llm_temperature: float = Field(0.2, ge=0, le=2, description="Sampling temperature.")
    openai_api_key: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("OPENAI_API_KEY", "openai_api_key"),
        description="The openai client's key (OPENAI_API_KEY); never shown or logged.",
    )
    openai_base_url: str | None = Field(
        None,
        validation_alias=AliasChoices("OPENAI_BASE_URL", "openai_base_url"),
        description="An OpenAI-compatible server (OPENAI_BASE_URL): Ollama, vLLM, Azure...",
    )
    cache_dir: Path = Field(
        default_factory=_cache_dir,
        description="Derived files shared by knowledge stores (the ONNX export of the model).",
    )
    vendor: str = Field(
        "", description="Your company's name in pitches; inferred from 'X vs Y' pages if unset."
    )

    @field_validator("openai_api_key", "openai_base_url", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    def ingest_root_paths(self) -> list[Path]:
        """The resolved folders server-side ingest may read."""
        parts = [p for p in self.ingest_roots.split(os.pathsep) if p.strip()]
        return [Path(p).expanduser().resolve() for p in parts] or [Path.cwd().resolve()]

    def stale_days(self, doc_type: str) -> int:
        """The age after which a document of this type is flagged stale."""
        if doc_type in COMPETITIVE_TYPES:
            return self.stale_days_battlecard
        return self.stale_days_default

    @property
    def api_key(self) -> str | None:
        """The API key in plain text, for the client only (never for display)."""
        return self.openai_api_key.get_secret_value() if self.openai_api_key else None
