"""The Streamlit app's shell (outside the ``assistant`` package): the cached service, the
settings shown to users, first-run ingest and knowledge-base-derived form defaults.

Only presentation lives here and in ``results``, ``learning`` and ``pages/``: every decision is
made by the package. The heavy objects (embedding model, vector store, indexes) live in one
``Pitchcraft`` per process, built by ``get_app`` with ``st.cache_resource``; per-user state
lives in ``st.session_state``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlparse

import streamlit as st

from assistant.access.audit import AuditLog
from assistant.access.roles import User, load_roles
from assistant.access.server import auth_missing, providers, serving_problem
from assistant.access.workspace import Workspace, local_user
from assistant.core.config import REPO_ROOT, Settings
from assistant.core.errors import PitchcraftError
from assistant.index.embeddings import Embedder
from assistant.index.kb import KnowledgeBase
from assistant.index.status import kb_status
from assistant.ingest.pipeline import IngestReport, ProgressCallback
from assistant.jobs.accounts import parse_account
from assistant.jobs.objection import objection_pairs
from assistant.service import Pitchcraft
from assistant.writers.choice import writer_choice

SAMPLE_KNOWLEDGE = REPO_ROOT / "knowledge"
EXAMPLE_ACCOUNTS = REPO_ROOT / "examples" / "accounts"
DEFAULT_PERSONA = "cio"
NO_COMPETITOR = "(no competitor)"
STAGES = {"files": "Reading files", "embedding": "Embedding chunks", "lexical index": "Indexing"}

_embedder: Embedder | None = None
T = TypeVar("T")


def use_embedder(embedder: Embedder | None) -> None:
    """Share an already-loaded embedding model with ``get_app`` (tests, embedding servers)."""
    global _embedder
    _embedder = embedder


# -- the service --------------------------------------------------------------------------------


@st.cache_resource(show_spinner=False, max_entries=4)
def _build(settings_key: str, _settings: Settings) -> Pitchcraft:
    """One service per settings, shared by every session of the process."""
    return Pitchcraft(KnowledgeBase(_settings, embedder=_embedder))


def get_app() -> Pitchcraft:
    """The process-wide ``Pitchcraft`` for the current settings; built once, never per rerun."""
    settings = Settings()
    secret = hashlib.sha256((settings.api_key or "").encode()).hexdigest()
    return _build(f"{settings.model_dump_json()}|{secret}", settings)


@st.cache_resource(show_spinner=False)
def _warm(app_id: int, _app: Pitchcraft) -> bool:
    """Load the model and the derived indexes once per service (keyed by its id)."""
    _app.kb.embedder.embed(["warm up"])
    if not _app.kb.is_empty():
        _ = _app.kb.catalog
        _app.kb.competitor_names()
    return True


def warm_up(app: Pitchcraft) -> None:
    """Load the embedding model and indexes once per process, so the first click is fast."""
    with st.spinner("Loading the embedding model (first start only, about 15 seconds)…"):
        _warm(id(app), app)


@contextlib.contextmanager
def shown_errors() -> Iterator[None]:
    """Show a Pitchcraft error as one line on the page instead of a traceback."""
    try:
        yield
    except PitchcraftError as exc:
        st.error(str(exc), icon=":material/error:")
        st.stop()


def app_or_stop() -> Pitchcraft:
    """``get_app``, or a one-line error on the page and a stop (bad settings, prompts)."""
    with shown_errors():
        return get_app()
    raise AssertionError("unreachable")  # st.stop() raises


# -- who is here ---------------------------------------------------------------------------------


def auth_section() -> dict[str, Any] | None:
    """The ``[auth]`` section of Streamlit's secrets, when there is one."""
    try:
        return dict(st.secrets["auth"]) if "auth" in st.secrets else None
    except (FileNotFoundError, KeyError, st.errors.StreamlitSecretNotFoundError):
        return None


def gate(app: Pitchcraft) -> User:
    """Who is using the app, or a stop: a server reachable from other machines without sign-in
    refuses to serve (one line); with sign-in configured, a signed-out visitor sees only the
    sign-in. Sign-in off (loopback, no ``[auth]``): the local user, every permission."""
    auth = auth_section()
    problem = serving_problem(st.get_option("server.address"), auth, app.settings.allow_open_server)
    if problem:
        st.error(problem, icon=":material/lock:")
        st.stop()
    if auth is None:
        user = local_user()
    else:
        missing = auth_missing(auth)
        if missing:
            st.error(f"sign-in is set up without {', '.join(missing)} in .streamlit/secrets.toml")
            st.stop()
        if not st.user.is_logged_in:
            st.title("Pitchcraft")
            st.markdown(
                "Sign in with your company account to pitch, ask, train and see your deals."
            )
            st.button("Sign in", type="primary", icon=":material/login:", on_click=st.login)
            st.stop()
        email = str(st.user.get("email") or "")
        name = str(st.user.get("name") or email)
        claim = st.user.get("groups") or ()
        groups = (str(claim),) if isinstance(claim, str) else tuple(str(g) for g in claim)
        with shown_errors():
            role = load_roles(app.settings.roles_file).role_of(email, groups)
        user = User(email, name, role, groups)
    st.session_state["pitchcraft_user"] = user
    return user


@st.cache_resource(show_spinner=False)
def _audit_log(path: str) -> AuditLog:
    """One audit log per store and process (its connections are per thread)."""
    return AuditLog(Path(path))


def workspace(app: Pitchcraft) -> Workspace:
    """The current user's workspace: every change it makes is checked and audited."""
    user = st.session_state.get("pitchcraft_user")
    if not isinstance(user, User):
        user = gate(app)
    return Workspace(app, user, _audit_log(str(app.kb.root / "audit.sqlite")))


# -- settings shown to the user ------------------------------------------------------------------


def settings_rows(app: Pitchcraft) -> list[tuple[str, str]]:
    """What the Settings page shows: never the API key, only whether one is set."""
    s = app.settings
    kind, reason = writer_choice(s)
    key, base = s.api_key, s.openai_base_url
    host = _host(base) if base else ("api.openai.com" if key else "—")
    writer = "LLM (OpenAI-compatible)" if kind == "llm" else "offline grounded composer"
    why = f"model {s.model} at {host}" if kind == "llm" else reason
    recorded, backend = "", app.kb.embedder.backend
    with contextlib.suppress(PitchcraftError):
        recorded = app.kb.store.info.embed_model if not app.kb.is_empty() else ""
    auth = auth_section()
    secrets = auth or {}
    metadata = next(
        (p["server_metadata_url"] for p in providers(secrets) if p.get("server_metadata_url")), ""
    )
    client_secret = any(p.get("client_secret") for p in providers(secrets))
    return [
        (
            "Sign-in (OpenID Connect)",
            f"on, provider {_host(metadata)}" if auth else "off (loopback only)",
        ),
        ("Sign-in client secret", "set (never shown)" if client_secret else "not set"),
        (
            "Sign-in cookie secret",
            "set (never shown)" if secrets.get("cookie_secret") else "not set",
        ),
        ("Roles file (PITCHCRAFT_ROLES_FILE)", str(s.roles_file)),
        ("Server folders the app may ingest", ", ".join(str(p) for p in s.ingest_root_paths())),
        ("Active writer", f"{writer} ({app.writer.name})"),
        ("Why this writer", why),
        ("LLM mode (PITCHCRAFT_LLM)", s.llm),
        ("Model (PITCHCRAFT_MODEL)", s.model),
        ("LLM base URL host (OPENAI_BASE_URL)", host),
        ("API key (OPENAI_API_KEY)", "set (never shown)" if key else "not set"),
        ("Knowledge store (PITCHCRAFT_KB)", str(Path(s.kb).resolve())),
        ("Embedding model (PITCHCRAFT_EMBED_MODEL)", s.embed_model),
        ("Embedding model the store was built with", recorded or "—"),
        ("Embedding backend (PITCHCRAFT_EMBED_BACKEND)", f"{s.embed_backend}: {backend}"),
        ("Vector store", f"Chroma server at {_host(s.chroma_url)}" if s.chroma_url else "embedded"),
        ("Upload limit per file (PITCHCRAFT_UPLOAD_MAX_MB)", f"{s.upload_max_mb:g} MB"),
        ("Upload limit per batch (PITCHCRAFT_UPLOAD_MAX_FILES)", f"{s.upload_max_files} files"),
        ("Largest file any ingest reads (PITCHCRAFT_MAX_FILE_MB)", f"{s.max_file_mb:g} MB"),
        (
            "Stale after (days)",
            f"battlecards {s.stale_days_battlecard}, others {s.stale_days_default}",
        ),
    ]


def _host(url: str) -> str:
    """Host and port of a URL, never its user, password, path or query."""
    parsed = urlparse(url if "://" in url else f"http://{url}")
    host = parsed.hostname or "?"
    return f"{host}:{parsed.port}" if parsed.port else host


def upload_limit_mb(app: Pitchcraft) -> int:
    """The per-file limit for ``st.file_uploader`` (whole megabytes, rounded up)."""
    return max(1, math.ceil(app.settings.upload_max_mb))


# -- knowledge ---------------------------------------------------------------------------------


def status(app: Pitchcraft) -> dict[str, Any]:
    return kb_status(app.kb.manifest, app.settings, app.settings.embed_model)


def with_progress(run: Callable[[ProgressCallback], T], label: str) -> T | None:
    """Run an ingest with a progress bar; a Pitchcraft error is shown, and None returned."""
    bar = st.progress(0.0, text=label)

    def tick(stage: str, done: int, total: int) -> None:
        share = done / total if total else 1.0
        bar.progress(min(max(share, 0.0), 1.0), text=f"{STAGES.get(stage, stage)}: {done}/{total}")

    try:
        return run(tick)
    except PitchcraftError as exc:
        st.error(str(exc), icon=":material/error:")
        return None
    finally:
        bar.empty()


def ingest_report(report: IngestReport) -> None:
    """One summary line, then every failure and warning on its own line."""
    (st.warning if report.failed else st.success)(report.summary())
    for f in report.failed:
        st.error(f"**{f['path']}**: {f['error']}", icon=":material/error:")
    for w in report.warnings:
        st.warning(f"**{w['path']}**: {w['warning']}")
    if report.skipped:
        st.info(report.skipped_note())
    if report.missing:
        st.info(
            f"{len(report.missing)} document(s) whose files are gone are still indexed; tick "
            "*Remove documents whose files are gone* to drop them: " + ", ".join(report.missing)
        )


def documents(app: Pitchcraft) -> list[dict[str, Any]]:
    """The documents table: status per document, plus whether its file is still there."""
    paths = {d.source: d.path for d in app.kb.manifest.documents()}
    rows = status(app)["documents"]
    for row in rows:
        row["file"] = "present" if Path(paths.get(row["source"], "")).exists() else "gone"
        row["updated"] = dt.date.fromisoformat(row["updated"]) if row["updated"] else None
    return rows


def first_run_notice(app: Pitchcraft) -> None:
    """On an empty knowledge store, offer the sample knowledge (one click, with progress) to
    whoever may load knowledge."""
    if not app.kb.is_empty():
        return
    work = workspace(app)
    if not work.user.may("knowledge.write"):
        st.info("The knowledge store is empty: ask your enablement team to load the documents.")
        return
    with st.container(border=True):
        st.markdown(
            f"**The knowledge store `{app.kb.root}` is empty.** Load the sample knowledge "
            "(a fictional company's product specs, battlecards, case studies and sales docs) "
            "to try Pitchcraft, or add your own documents on the Knowledge page."
        )
        if SAMPLE_KNOWLEDGE.is_dir() and st.button(
            "Load the sample knowledge", type="primary", key="first_run_ingest"
        ):
            report = with_progress(
                lambda tick: work.ingest([SAMPLE_KNOWLEDGE], progress=tick, restrict=False),
                "Loading…",
            )
            if report is not None:
                for key in ("pitch_competitor", "objection_competitor"):
                    st.session_state.pop(key, None)  # so the default competitor is preselected
                st.rerun()


# -- defaults from the loaded knowledge base ---------------------------------------------------


def default_competitor(app: Pitchcraft) -> str:
    """The competitor the knowledge base says most about (most passages), or none."""
    names = app.kb.competitor_names()
    if app.kb.is_empty() or not names:
        return NO_COMPETITOR
    size = {n: len(app.kb.competitor_chunks(n)) for n in names}
    return min(names, key=lambda n: (-size[n], n))


def default_objection(app: Pitchcraft, competitor: str) -> str:
    """An objection the knowledge base answers: one about ``competitor`` first, else any."""
    if app.kb.is_empty():
        return ""
    pairs = [p for p in objection_pairs(app.kb) if not p.internal and p.kind == "objection"]
    pairs = pairs or [p for p in objection_pairs(app.kb) if not p.internal]
    about = [p.question for p in pairs if p.source in app.kb.competitor_sources(competitor)]
    return (about or [p.question for p in pairs] or [""])[0]


def example_accounts(app: Pitchcraft) -> dict[str, Path]:
    """The example account files whose owned modules this knowledge base knows, by file name
    (the examples describe the sample company: another company's knowledge gets none)."""
    if not EXAMPLE_ACCOUNTS.is_dir() or app.kb.is_empty():
        return {}
    known = {f.module.lower() for f in app.kb.catalog}
    out = {}
    for path in sorted(EXAMPLE_ACCOUNTS.glob("*.yaml")):
        with contextlib.suppress(PitchcraftError):
            account = parse_account(path.read_text(encoding="utf-8"), path.name)
            if account.owned and all(m.lower() in known for m in account.owned):
                out[path.name] = path
    return out
