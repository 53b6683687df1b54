"""Streamlit shell helpers for ``app.py``: the cached service, first-run ingest, and rendering of
results (sections, feature reasons, rep notes, citation expanders, Markdown export).

Only presentation lives here: every decision is made by the package modules this calls. The
heavy objects (embedding model, vector store, indexes) live in one ``Pitchcraft`` per process,
built by ``get_app`` with ``st.cache_resource``; per-user state lives in ``st.session_state``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlparse

import streamlit as st

from .ask import AskResult
from .config import REPO_ROOT, Settings
from .drafting import TextSink
from .embeddings import Embedder
from .errors import PitchcraftError
from .kb import KnowledgeBase
from .llm import llm_credentials, writer_choice
from .results import Citation, Section, render_markdown_sections
from .service import Pitchcraft, Result
from .status import kb_status
from .sync import IngestReport, Progress, ingest

SAMPLE_KNOWLEDGE = REPO_ROOT / "knowledge"
EXAMPLE_ACCOUNTS = REPO_ROOT / "examples" / "accounts"
EXAMPLE_PERSONA = "cio"
EXAMPLE_ACCOUNT = (
    "Regional logistics company with 400 staff, moving shipment and warehouse data off nightly "
    "batch jobs; a major retail shipper is asking for audit evidence and tighter access control."
)
EXAMPLE_COMPETITOR = "Stratavia"
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
def _build(settings_json: str, writer_key: str) -> Pitchcraft:
    """One service per settings (and writer choice), shared by every session of the process."""
    settings = Settings.model_validate_json(settings_json)
    return Pitchcraft(KnowledgeBase(settings, embedder=_embedder))


def get_app() -> Pitchcraft:
    """The process-wide ``Pitchcraft`` for the current settings; built once, never per rerun."""
    settings = Settings()
    return _build(settings.model_dump_json(), writer_choice(settings)[0])


@st.cache_resource(show_spinner=False)
def _warm(app_id: int, _app: Pitchcraft) -> bool:
    """Load the model and the derived indexes once per service (keyed by its id)."""
    _app.kb.embedder.embed(["warm up"])
    if not _app.kb.is_empty():
        _ = _app.kb.catalog
        _app.retriever.competitors()
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


# -- settings shown to the user ------------------------------------------------------------------


def settings_rows(app: Pitchcraft) -> list[tuple[str, str]]:
    """What the Settings page shows: never the API key, only whether one is set."""
    s = app.settings
    kind, reason = writer_choice(s)
    key, base = llm_credentials()
    host = _host(base) if base else ("api.openai.com" if key else "—")
    writer = "LLM (OpenAI-compatible)" if kind == "llm" else "offline grounded composer"
    why = f"model {s.model} at {host}" if kind == "llm" else reason
    recorded = ""
    with contextlib.suppress(PitchcraftError):
        recorded = app.kb.store.info.embed_model if not app.kb.is_empty() else ""
    return [
        ("Active writer", f"{writer} ({app.writer.name})"),
        ("Why this writer", why),
        ("LLM mode (PITCHCRAFT_LLM)", s.llm),
        ("Model (PITCHCRAFT_MODEL)", s.model),
        ("LLM base URL host (OPENAI_BASE_URL)", host),
        ("API key (OPENAI_API_KEY)", "set (never shown)" if key else "not set"),
        ("Knowledge store (PITCHCRAFT_KB)", str(Path(s.kb).resolve())),
        ("Embedding model (PITCHCRAFT_EMBED_MODEL)", s.embed_model),
        ("Embedding model the store was built with", recorded or "—"),
        ("Embedding backend", s.embed_backend),
        ("Vector store", f"Chroma server at {_host(s.chroma_url)}" if s.chroma_url else "embedded"),
        ("Upload limit per file (PITCHCRAFT_UPLOAD_MAX_MB)", f"{s.upload_max_mb:g} MB"),
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


def with_progress(run: Callable[[Progress], T], label: str) -> T | None:
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
    """On an empty knowledge store, offer the sample knowledge (one click, with progress)."""
    if not app.kb.is_empty():
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
                lambda tick: ingest(app.kb, [SAMPLE_KNOWLEDGE], progress=tick), "Loading…"
            )
            if report is not None:
                for key in ("pitch_competitor", "objection_competitor"):
                    st.session_state.pop(key, None)  # so the example competitor is preselected
                st.rerun()


# -- rendering results ---------------------------------------------------------------------------


def live_writer(app: Pitchcraft) -> tuple[TextSink | None, Any]:
    """A sink that streams an LLM's prose into the page; ``(None, None)`` for the offline writer."""
    if app.writer.name == "offline":
        return None, None
    box = st.empty()
    parts: list[str] = []

    def sink(text: str) -> None:
        parts.append(text)
        box.markdown("".join(parts) + " ▌")

    return sink, box


def warnings(items: Sequence[str]) -> None:
    for w in items:
        st.warning(w, icon=":material/warning:")


def prose(text: str) -> str:
    """Generated text as Markdown: its bullets kept, a "$" never read as maths."""
    return text.replace("$", "\\$")


def sections(items: Sequence[Section]) -> None:
    for s in items:
        st.markdown(f"#### {prose(s.title)}")
        st.markdown(prose(s.text))


def rep_notes(items: Sequence[Section]) -> None:
    """Sections that are for the rep, not the customer, apart from the pitch."""
    if not items:
        return
    with st.container(border=True):
        st.markdown("##### :material/lock: For you, not the customer")
        st.caption("Internal notes: do not paste these into an email or deck.")
        sections(items)


def refs(numbers: Sequence[int]) -> str:
    return " ".join(f"[{n}]" for n in numbers)


def citations(app: Pitchcraft, items: Sequence[Citation], title: str = "Sources") -> None:
    """Each citation as an expander: the quoted sentence, then the passage it comes from."""
    if not items:
        return
    st.markdown(f"#### {title}")
    for c in items:
        where = c.source + (f", p. {c.page}" if c.page else "")
        tag = " · internal" if c.audience == "internal" else ""
        with st.expander(f"[{c.n}] {where} — {c.section}{tag}"):
            st.markdown(f"> {_escape(' '.join(c.quote.split()))}")
            st.caption(f"{c.doc_type.replace('_', ' ')} · {c.audience} · `{c.source}`")
            passage = _passage(app, c)
            if passage and " ".join(passage.split()) != " ".join(c.quote.split()):
                st.markdown("**In context**")
                st.markdown(_highlight(passage, c.quote))


def _passage(app: Pitchcraft, c: Citation) -> str:
    chunks = app.kb.manifest.chunks([c.chunk_id])
    return chunks[0].text if chunks else ""


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~$])")


def _escape(text: str) -> str:
    """Text shown as itself in Markdown (no emphasis, links, HTML or maths)."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def _highlight(passage: str, quote: str) -> str:
    """The passage, line structure kept, with the quoted sentence in bold."""
    words = quote.split()
    match = re.search(r"\s+".join(re.escape(w) for w in words), passage) if words else None
    if match is None:
        return _escape(passage)
    a, b = match.span()
    return f"{_escape(passage[:a])}**{_escape(passage[a:b])}**{_escape(passage[b:])}"


def export(markdown: str, file_name: str, key: str) -> None:
    """Download as Markdown, and a code block with a copy button."""
    st.download_button(
        "Download Markdown",
        markdown,
        file_name=file_name,
        mime="text/markdown",
        key=f"download_{key}",
        icon=":material/download:",
        on_click="ignore",
    )
    with st.expander("Copy as Markdown"):
        st.code(markdown, language="markdown", wrap_lines=True)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "result"


def scores(result: Result) -> None:
    s = result.scores
    with st.expander("Quality checks"):
        cols = st.columns(4)
        cols[0].metric("Cited sentences", f"{s.get('cited_share', 0):.0%}")
        cols[1].metric("Unsupported numbers", s.get("unsupported_numbers", 0))
        cols[2].metric(
            "Persona fit", f"{s.get('persona_fit', 0):.2f}" if "persona_fit" in s else "—"
        )
        cols[3].metric("Internal text leaked", s.get("internal_in_customer_text", 0))
        st.caption(f"Written by the {result.writer} writer.")


def _split(result: Result) -> tuple[list[Section], list[Section]]:
    customer = [s for s in result.sections if s.customer_facing]
    internal = [s for s in result.sections if not s.customer_facing]
    return customer, internal


def pitch_result(app: Pitchcraft, result: Result) -> None:
    """A pitch: warnings first, the pitch beside the features and why, rep notes, sources."""
    persona = result.extra.get("persona") or {}
    title = f"Pitch for {persona.get('title', 'the buyer')}"
    st.subheader(title)
    st.caption(f"Why this persona: {persona.get('why', '')} · writer: {result.writer}")
    warnings(result.warnings)
    customer, internal = _split(result)
    left, right = st.columns([3, 2], gap="large")
    with left:
        sections(customer)
    with right:
        st.markdown("#### Features chosen, and why")
        for f in result.extra.get("features", []):
            _why_card(f"**{f['name']}** · {f['module']}", f)
    competitor = result.extra.get("competitor") or ""
    _finish(app, result, internal, title, f"pitch-{persona.get('id', '')}-{competitor}", "pitch")


def objection_result(app: Pitchcraft, result: Result) -> None:
    title = f"Objection: {result.extra.get('objection', '')}"
    st.subheader("Response")
    matched = result.extra.get("matched")
    if matched:
        st.caption(
            f"Matched the battlecard objection “{matched['objection']}” in "
            f"`{matched['source']}` (similarity {matched['similarity']:.2f}) · "
            f"writer: {result.writer}"
        )
    if result.extra.get("abstained"):
        st.info("The knowledge base has nothing specific on this objection; see the notes below.")
    warnings(result.warnings)
    customer, internal = _split(result)
    sections(customer)
    _finish(
        app, result, internal, title, f"objection-{result.extra.get('objection', '')}", "objection"
    )


TIMING = {"go": st.success, "wait": st.warning, "stabilise": st.error}


def upsell_result(app: Pitchcraft, result: Result) -> None:
    account = result.extra.get("account", "")
    title = f"Expansion: {account}"
    st.subheader(title)
    timing = result.extra.get("timing") or {}
    if timing:
        TIMING.get(timing.get("status", ""), st.info)(
            f"**Timing: {timing.get('status', '')}.** {timing.get('guidance', '')}"
        )
    warnings(result.warnings)
    customer, internal = _split(result)
    left, right = st.columns([3, 2], gap="large")
    with left:
        sections(customer)
    with right:
        st.markdown("#### Opportunities, and why")
        opportunities = result.extra.get("opportunities", [])
        if not opportunities:
            st.caption("None: no module the account does not own matches its goals.")
        for o in opportunities:
            _why_card(f"**{o['name']}**", o)
    _finish(app, result, internal, title, f"expansion-{account}", "upsell")


def _why_card(title: str, item: dict[str, Any]) -> None:
    """A picked feature or opportunity: its name, the one-line why, its sources and fit."""
    with st.container(border=True):
        st.markdown(title)
        st.markdown(prose(item["why"]))
        st.caption(f"Sources {refs(item['citations'])} · fit {item['score']:.2f}")


def _finish(
    app: Pitchcraft, result: Result, internal: list[Section], title: str, name: str, kind: str
) -> None:
    """What every written result ends with: rep notes, sources, scores and the download."""
    rep_notes(internal)
    citations(app, result.citations.items)
    scores(result)
    export(result.to_markdown(title), f"{slug(name)}.md", kind)


def ask_markdown(result: AskResult) -> str:
    body = render_markdown_sections([Section("Answer", result.answer)], result.citations.items)
    return f"# {result.question}\n\n{body}\n"


def ask_result(app: Pitchcraft, result: AskResult) -> None:
    if result.abstained:
        st.info(result.answer, icon=":material/help:")
    else:
        st.markdown(prose(result.answer))
    st.caption(f"Writer: {result.writer}")
    warnings(result.warnings)
    citations(app, result.citations.items)
    if result.hits:
        with st.expander(f"What the search found ({len(result.hits)} passages)"):
            for h in result.hits:
                st.markdown(f"**{h.chunk.source}** — {h.chunk.heading} · score {h.score:.3f}")
                st.caption(_escape(h.chunk.text[:400]) + ("…" if len(h.chunk.text) > 400 else ""))
    export(ask_markdown(result), f"{slug('answer-' + result.question)}.md", "ask")


def example_accounts() -> dict[str, Path]:
    """The documented example account files, by file name."""
    if not EXAMPLE_ACCOUNTS.is_dir():
        return {}
    return {p.name: p for p in sorted(EXAMPLE_ACCOUNTS.glob("*.yaml"))}


# -- learning: quizzes, drills, the pitch coach, progress -------------------------------------


@st.cache_resource(show_spinner=False)
def _learning(app_id: int, _app: Pitchcraft) -> Learning:
    return Learning(_app)


class Learning:
    """The enablement parts for one service, built once per process like the service."""

    def __init__(self, app: Pitchcraft) -> None:
        from .coach import Coach
        from .drill import Drill
        from .llm_training import training_parts
        from .progress import Progress
        from .quiz import QuizMaker

        open_generator, self.grader = training_parts(app.kb, app.writer)
        self.quizzes = QuizMaker(app.kb, open_generator=open_generator)
        self.drill = Drill(app, self.grader)
        self.coach = Coach(app)
        self.progress = Progress.for_kb(app.kb.root)


def learning(app: Pitchcraft) -> Learning:
    return _learning(id(app), app)


LETTERS = "ABCDEFGH"
KIND_LABELS = {
    "multiple_choice": "Multiple choice",
    "true_false": "True or false",
    "fill_blank": "Fill in the blank",
    "open": "In your own words",
}


def question_input(q: Any, number: int) -> str:
    """One quiz question's widget; returns the learner's answer as the grader reads it."""
    st.markdown(f"**{number}. {_escape(q.question)}**")
    st.caption(f"{KIND_LABELS.get(q.kind, q.kind)} · {q.topic}")
    key = f"answer_{q.id}"
    if q.kind == "multiple_choice" and q.choices:
        # Answered by letter: a choice that is itself "2" would otherwise read as choice 2.
        letters = list(LETTERS[: len(q.choices)])
        picked = st.radio(
            "Your answer",
            letters,
            index=None,
            key=key,
            format_func=lambda letter: f"{letter}. {q.choices[letters.index(letter)]}",
            label_visibility="collapsed",
        )
        return picked or ""
    if q.kind == "true_false":
        picked = st.radio(
            "Your answer",
            ["True", "False"],
            index=None,
            key=key,
            horizontal=True,
            label_visibility="collapsed",
        )
        return picked or ""
    if q.kind == "open":
        return st.text_area("Your answer", key=key, label_visibility="collapsed") or ""
    return st.text_input("Your answer", key=key, label_visibility="collapsed") or ""


def source_quotes(items: Sequence[dict[str, Any]], title: str = "Source") -> None:
    """Dict citations (``{source, section, quote, ...}``) as quotes with where they come from."""
    for c in items:
        if not c:
            continue
        where = c.get("source", "") + (f", p. {c['page']}" if c.get("page") else "")
        st.markdown(f"> {_escape(' '.join(str(c.get('quote', '')).split()))}")
        st.caption(f"{title}: `{where}` — {c.get('section', '')}")


def quiz_grade(grade: Any) -> None:
    """The grading: score, then per question right or wrong, the answer key and its source."""
    data = grade.to_json()
    cols = st.columns(3)
    cols[0].metric("Score", f"{data['score']:.0%}")
    cols[1].metric("Correct", f"{data['correct']} of {data['total']}")
    cols[2].metric("Grader", data["grader"])
    for n, r in enumerate(grade.results, 1):
        q = r.question
        mark = (
            ":green[:material/check_circle: Correct]"
            if r.correct
            else ":red[:material/cancel: Not yet]"
        )
        with st.container(border=True):
            st.markdown(f"**{n}. {_escape(q.question)}**")
            st.markdown(f"{mark} · score {r.score:.2f}")
            said = r.response
            if q.kind == "multiple_choice" and said in LETTERS[: len(q.choices or [])]:
                said = f"{said}. {q.choices[LETTERS.index(said)]}"
            st.markdown(f"Your answer: {_escape(said) if said else '_(none)_'}")
            if q.kind == "open":
                for point in r.covered:
                    st.markdown(f":green[:material/check:] {_escape(point['point'])}")
                for point in r.missed:
                    st.markdown(f":red[:material/close:] {_escape(point['point'])}")
            else:
                st.markdown(f"Answer: **{_escape(q.answer)}**")
            if q.explanation:
                st.caption(_escape(q.explanation))
            with st.expander("Source"):
                source_quotes(q.citations)


def drill_rubric(prompt: Any) -> None:
    """The rubric, shown before the rep answers."""
    for item in prompt.to_json()["rubric"]:
        st.markdown(f"- {item['label']} ({item['weight']:.0%})")


def drill_result(result: Any) -> None:
    data = result.to_json()
    st.metric("Drill score", f"{data['score']:.0%}")
    for r in data["rubric"]:
        mark = ":green[:material/check_circle:]" if r["met"] else ":red[:material/cancel:]"
        share = f" ({r['share']:.0%})" if r.get("share") is not None else ""
        with st.container(border=True):
            st.markdown(f"{mark} **{r['label']}**{share} · weight {r['weight']:.0%}")
            if r["quote"]:
                st.markdown(f"You said: “{_escape(r['quote'])}”")
            if r["note"]:
                st.caption(_escape(r["note"]))
            if r.get("evidence"):
                source_quotes([r["evidence"]], "The source")
    if data["missed"]:
        st.markdown("##### Key points you missed")
        for m in data["missed"]:
            st.markdown(f"- {_escape(m['point'])}")
            st.caption(f"`{m.get('source', '')}`")
    if data["unsupported_figures"]:
        st.warning(
            "Figures the knowledge base does not back: " + ", ".join(data["unsupported_figures"])
        )


def coach_report(report: Any) -> None:
    data = report.to_json()
    s = data["scores"]
    cols = st.columns(4)
    cols[0].metric("Overall", f"{s['overall']:.0%}")
    cols[1].metric("Persona fit", f"{s['persona_fit']:.2f}")
    cols[2].metric("Claims backed", f"{s['supported_claims']} of {s['claims']}")
    covered = s.get("differentiators_covered")
    cols[3].metric("Differentiators used", "—" if covered is None else f"{covered:.0%}")
    st.caption(f"Persona: {data['persona']['title']} · {data['persona']['why']}")
    warnings(data["warnings"])
    if data["suggestions"]:
        st.markdown("##### Suggestions")
        for sug in data["suggestions"]:
            with st.container(border=True):
                st.markdown(prose(sug["fix"]))
                source_quotes(sug["citations"])
    if data["unsupported_claims"]:
        st.markdown("##### Claims the knowledge base does not back")
        for c in data["unsupported_claims"]:
            st.markdown(f"- “{_escape(c['sentence'])}” — {_escape(c.get('reason', ''))}")
    if data["jargon"]:
        st.markdown("##### Jargon for this persona")
        for j in data["jargon"]:
            st.markdown(f"- **{_escape(j['term'])}** in “{_escape(j['sentence'])}”")


def progress_chart(attempts: Sequence[dict[str, Any]], topics: Sequence[str]) -> None:
    """Each day's mean score per topic, for ``topics``: a line per topic, a point per day."""
    import altair as alt
    import pandas as pd

    rows = progress_over_time(attempts, topics)
    if not rows:
        return
    chart = (
        alt.Chart(pd.DataFrame(rows))
        .mark_line(point=alt.OverlayMarkDef(size=80))
        .encode(
            x=alt.X("day:T", title="day", axis=alt.Axis(format="%b %d", tickCount="day")),
            y=alt.Y("score:Q", title="mean score", scale=alt.Scale(domain=[0, 1])).axis(format="%"),
            color=alt.Color("topic:N", legend=alt.Legend(orient="bottom", columns=2)),
            tooltip=["day:T", "topic:N", alt.Tooltip("score:Q", format=".0%")],
        )
    )
    st.altair_chart(chart, use_container_width=True)


def progress_over_time(attempts: Sequence[dict[str, Any]], topics: Sequence[str]) -> list[dict]:
    """Rows for a chart: each day's mean score per topic, for ``topics``."""
    sums: dict[tuple[str, str], list[float]] = {}
    wanted = set(topics)
    for a in attempts:
        if a["topic"] in wanted:
            sums.setdefault((str(a["answered_at"])[:10], a["topic"]), []).append(a["score"])
    return [
        {"day": day, "topic": topic, "score": round(sum(v) / len(v), 3)}
        for (day, topic), v in sorted(sums.items())
    ]
