"""The Streamlit app, driven page by page with ``streamlit.testing`` (AppTest runs ``app.py``
in this process). Each test gets its own copy of the sample knowledge store, the session's
embedding model (through ``webui.use_embedder``) and an empty ``st.cache_resource``."""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import streamlit as st
from fake_openai import FakeOpenAI, reply
from fake_openai import fake_openai_fixture as fake_openai_fixture  # the fixture
from streamlit.testing.v1 import AppTest

import webui
from assistant.access.workspace import Workspace
from assistant.core.errors import AccessDenied
from assistant.index.embeddings import HashingEmbedder
from assistant.jobs.objection import objection_pairs
from webui import learning, results

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app.py"
ACCOUNT = (
    "Regional logistics company with 400 staff, moving shipment and warehouse data off nightly "
    "batch jobs; a major retail shipper is asking for audit evidence and tighter access control."
)
PAGES = {
    "Pitch": "webui/pages/pitch.py",
    "Objections": "webui/pages/objections.py",
    "Upsell": "webui/pages/upsell.py",
    "Ask": "webui/pages/ask.py",
    "Deals": "webui/pages/deals.py",
    "Quiz & drills": "webui/pages/quiz.py",
    "Knowledge": "webui/pages/knowledge.py",
    "Settings": "webui/pages/settings.py",
}
NEW_DOC = b"""---
title: Tidewater onboarding programme
doc_type: product
product: Keelstone Flow
updated: 2026-11-01
---
# Tidewater onboarding programme

## Guided onboarding

Every new workspace gets the Tidewater onboarding programme: a named onboarding engineer for
the first 45 days, weekly check-ins and a written go-live checklist.
"""


class CountingEmbedder:
    """The session's model, counting the texts it embeds (to prove reruns embed nothing)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.texts = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.texts += len(texts)
        return self.inner.embed(texts)


@pytest.fixture
def counting(embedder) -> CountingEmbedder:
    return CountingEmbedder(embedder)


@pytest.fixture
def kb_dir(knowledge_kb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A writable copy of the session's sample knowledge store, as PITCHCRAFT_KB."""
    dest = tmp_path / "kb"
    shutil.copytree(knowledge_kb.root, dest)
    monkeypatch.setenv("PITCHCRAFT_KB", str(dest))
    return dest


@pytest.fixture(autouse=True)
def fresh_app(counting: CountingEmbedder) -> Iterator[None]:
    """A fresh service over a copy of the sample store, served (as `make run` does) on
    127.0.0.1: sign-in is off unless a test configures it."""
    st.cache_resource.clear()
    webui.use_embedder(counting)
    previous = st.get_option("server.address")
    st.config.set_option("server.address", "127.0.0.1")
    yield
    st.config.set_option("server.address", previous)
    st.cache_resource.clear()
    webui.use_embedder(None)


def open_app(page: str | None = None, user: dict[str, Any] | None = None) -> AppTest:
    """The app, on ``page``; with ``user``, sign-in configured and that user's session."""
    at = AppTest.from_file(str(APP), default_timeout=120)
    if user is not None:
        at.secrets["auth"] = AUTH
        at.user = user
    at.run()
    assert not at.exception, at.exception
    if page:
        at.switch_page(PAGES[page]).run()
        assert not at.exception, at.exception
    return at


def click(at: AppTest, label: str) -> AppTest:
    matches = [b for b in at.button if b.label == label]
    assert matches, f"no button {label!r} in {[b.label for b in at.button]}"
    matches[0].click().run()
    assert not at.exception, at.exception
    return at


def texts(at: AppTest) -> str:
    """Everything the page rendered, as one string (every element's protobuf)."""
    out: list[str] = []

    def walk(node: Any) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            out.append(str(proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return "\n".join(out)


def markdown(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown]


# -- every page ----------------------------------------------------------------------------------


@pytest.mark.parametrize("title", list(PAGES))
def test_every_page_renders(kb_dir: Path, title: str) -> None:
    at = open_app(title)
    assert at.title[0].value == title
    assert not at.error
    caption = at.sidebar.caption[0].value
    assert "23 documents" in caption and "Writer: offline" in caption


# -- pitch --------------------------------------------------------------------------------------


def test_pitch_page_defaults_come_from_the_knowledge_base(kb_dir: Path) -> None:
    at = open_app()
    app = webui.get_app()
    sizes = {n: len(app.kb.competitor_chunks(n)) for n in app.kb.competitor_names()}
    most = max(sizes.values())
    assert at.selectbox(key="pitch_competitor").value in {n for n, v in sizes.items() if v == most}
    assert at.selectbox(key="pitch_persona").value == "cio"
    account = at.text_area(key="pitch_account")
    assert account.value == "" and account.placeholder.startswith("e.g.")
    objection = at.switch_page(PAGES["Objections"]).run().text_area(key="objection_text").value
    pairs = [p.question for p in objection_pairs(app.kb) if not p.internal]
    assert objection in pairs  # an objection the knowledge base answers


def test_pitch_page_renders_features_why_citations_and_rep_notes(
    kb_dir: Path, counting: CountingEmbedder
) -> None:
    at = open_app()
    at.selectbox(key="pitch_competitor").set_value("Stratavia")
    at.text_area(key="pitch_account").set_value(ACCOUNT)
    click(at, "Generate pitch")
    result = at.session_state["pitch_result"]
    shown = markdown(at)
    assert at.subheader[0].value == "Pitch for Chief Information Officer"
    features = result.extra["features"]
    assert len(features) == 3
    for f in features:
        assert f"#### {f['name']}" in shown  # the feature's section of the pitch
        assert f"**{f['name']}** · {f['module']}" in shown  # its card, with the why
        assert results.prose(f["why"]) in shown
        assert f["citations"]
    assert "#### Versus Stratavia" in shown
    # Rep notes are apart from the pitch, under their own heading.
    assert "##### :material/lock: For you, not the customer" in shown
    assert "#### Rep notes (internal)" in shown
    assert shown.index("#### Next step") < shown.index("#### Rep notes (internal)")
    # Every citation is an expander that opens onto its quote.
    labels = [e.label for e in at.expander]
    for c in result.citations.items:
        label = next(x for x in labels if x.startswith(f"[{c.n}] {c.source}"))
        expander = next(e for e in at.expander if e.label == label)
        quoted = " ".join(m.value for m in expander.markdown)
        assert results.escape(" ".join(c.quote.split()))[:40] in quoted
    # Markdown export lists the sources.
    download = at.get("download_button")[0]
    assert download.proto.label == "Download Markdown"
    code = at.code[0].value
    assert code.startswith("# Pitch for Chief Information Officer") and "## Sources" in code
    assert "[1] " in code
    # A rerun (any widget change) re-embeds nothing: the service and its vectors are cached.
    before = counting.texts
    at.run()
    at.switch_page(PAGES["Objections"]).run()
    at.switch_page(PAGES["Pitch"]).run()
    assert counting.texts == before
    assert at.session_state["pitch_result"] is result  # per-user state survives page changes


def test_any_job_title_resolves_to_a_persona(kb_dir: Path) -> None:
    at = open_app()
    at.text_input(key="pitch_title").set_value("Head of Demand Generation")
    at.selectbox(key="pitch_competitor").set_value(webui.NO_COMPETITOR)
    click(at, "Generate pitch")
    persona = at.session_state["pitch_result"].extra["persona"]
    assert persona["query"] == "Head of Demand Generation"
    assert at.subheader[0].value == f"Pitch for Head of Demand Generation (as {persona['title']})"
    assert persona["why"] in at.caption[1].value or any(
        persona["why"] in c.value for c in at.caption
    )
    assert not any(m.startswith("#### Versus") for m in markdown(at))


def test_warnings_travel_to_the_page(kb_dir: Path) -> None:
    at = open_app()
    at.selectbox(key="pitch_competitor").set_value("Stratavia")
    at.text_area(key="pitch_account").set_value(
        "We cut costs by 73% last year and want 99.999% uptime."
    )
    click(at, "Generate pitch")
    result = at.session_state["pitch_result"]
    assert [w.value for w in at.warning] == result.warnings


# -- objections, upsell, ask ----------------------------------------------------------------------


def test_objection_page_answers_with_sources(kb_dir: Path) -> None:
    at = open_app("Objections")
    at.text_area(key="objection_text").set_value("Stratavia has been around for twenty years.")
    at.selectbox(key="objection_competitor").set_value("Stratavia")
    click(at, "Handle objection")
    result = at.session_state["objection_result"]
    assert result.extra["matched"] and result.citations.items
    shown = markdown(at)
    assert any(s.customer_facing and f"#### {s.title}" in shown for s in result.sections)
    assert any(e.label.startswith("[1] battlecards/stratavia.md") for e in at.expander)
    assert "Matched the battlecard objection" in " ".join(c.value for c in at.caption)
    assert at.code[0].value.startswith("# Objection: ") and "## Sources" in at.code[0].value


def test_upsell_from_the_example_account_file(kb_dir: Path) -> None:
    at = open_app("Upsell")
    at.selectbox(key="upsell_example").set_value("harbor-savings-bank.yaml")
    click(at, "Write expansion narrative")
    result = at.session_state["upsell_result"]
    assert result.extra["account"] == "Harbor Savings Bank"
    assert at.subheader[0].value == "Expansion: Harbor Savings Bank"
    timing = result.extra["timing"]
    assert timing["status"] == "stabilise"
    assert at.error[0].value.startswith("**Timing: stabilise.**")  # when not to push, visible
    assert "#### Opportunities, and why" in markdown(at)
    assert at.expander and at.code[0].value.startswith("# Expansion: Harbor Savings Bank")


def test_upsell_from_the_form(kb_dir: Path) -> None:
    at = open_app("Upsell")
    at.radio(key="upsell_mode").set_value("Fill in a form").run()
    at.text_input(key="upsell_name").set_value("Quayside Foods")
    at.multiselect(key="upsell_owned").set_value(["Keelstone Flow"])
    at.text_area(key="upsell_goals").set_value("an alert when exception rates jump at a depot")
    click(at, "Write expansion narrative")
    result = at.session_state["upsell_result"]
    assert result.extra["account"] == "Quayside Foods"
    assert result.extra["opportunities"]
    for o in result.extra["opportunities"]:
        assert f"**{o['name']}**" in markdown(at)


def test_upsell_form_reports_a_missing_customer_name(kb_dir: Path) -> None:
    at = open_app("Upsell")
    at.radio(key="upsell_mode").set_value("Fill in a form").run()
    click(at, "Write expansion narrative")
    assert at.error and at.error[0].value.startswith("account:")
    assert "upsell_result" not in at.session_state


def test_ask_page_cites_or_says_not_covered(kb_dir: Path) -> None:
    at = open_app("Ask")
    at.text_input(key="ask_question").set_value("How long is audit log retention on Business?")
    click(at, "Ask")
    result = at.session_state["ask_result"]
    assert not result.abstained and "400 days" in result.answer
    labels = [e.label for e in at.expander]
    assert labels[0].startswith("[1] ") and any("products/keelstone-vault.md" in x for x in labels)
    at.text_input(key="ask_question").set_value("Does Keelstone support mainframe COBOL copybooks?")
    click(at, "Ask")
    assert at.session_state["ask_result"].abstained
    assert at.info and "does not cover" in at.info[0].value


# -- knowledge -----------------------------------------------------------------------------------


def test_upload_ingests_the_good_file_and_rejects_bad_ones_per_file(kb_dir: Path) -> None:
    at = open_app("Knowledge")
    at.file_uploader(key="upload_files").set_value(
        [
            ("tidewater-onboarding.md", NEW_DOC, "text/markdown"),
            ("../../../escape.md", NEW_DOC, "text/markdown"),
            ("huge.md", b"#" * (25 * 1024 * 1024 + 1), "text/markdown"),
        ]
    )
    click(at, "Ingest files")
    successes = [s.value for s in at.success]
    errors = [e.value for e in at.error]
    assert successes == ["**tidewater-onboarding.md** → `uploads/tidewater-onboarding.md`: added"]
    assert len(errors) == 2
    assert errors[0].startswith("**../../../escape.md** was rejected: the file name contains")
    assert errors[1].startswith("**huge.md** was rejected: the file is 25.0 MB; the limit is 25 MB")
    listed = at.dataframe[0].value
    assert "uploads/tidewater-onboarding.md" in list(listed["source"])
    row = listed[listed["source"] == "uploads/tidewater-onboarding.md"].iloc[0]
    assert (row["doc_type"], bool(row["stale"]), row["file"]) == ("product", False, "present")
    assert str(row["updated"])[:10] == "2026-11-01"
    assert row["chunks"] >= 1
    assert not list(kb_dir.parent.rglob("escape.md"))
    # The cached service sees the new document at once: no restart, no re-embedding of others.
    at.switch_page(PAGES["Ask"]).run()
    at.text_input(key="ask_question").set_value(
        "What does the Tidewater onboarding programme include?"
    )
    click(at, "Ask")
    result = at.session_state["ask_result"]
    assert not result.abstained, result.reason
    assert "45 days" in result.answer
    assert result.citations.items[0].source == "uploads/tidewater-onboarding.md"


def test_oversized_upload_limit_is_configurable(kb_dir: Path, monkeypatch) -> None:
    monkeypatch.setenv("PITCHCRAFT_UPLOAD_MAX_MB", "0.001")
    at = open_app("Knowledge")
    at.file_uploader(key="upload_files").set_value([("notes.md", b"word " * 500, "text/plain")])
    click(at, "Ingest files")
    assert not at.success
    assert "the limit is 0.001 MB per file (PITCHCRAFT_UPLOAD_MAX_MB)" in at.error[0].value


def test_knowledge_page_shows_the_map(kb_dir: Path) -> None:
    at = open_app("Knowledge")
    shown = "\n".join(m.value for m in at.markdown)
    assert "# Knowledge map: Keelstone" in shown
    for title in ("## Gaps", "## Features", "## Competitors", "## Question → answer pairs"):
        assert title in shown
    assert "Pipewell" in shown  # a competitor of the sample, with its battlecard
    assert at.get("download_button")


def test_delete_a_document(kb_dir: Path) -> None:
    at = open_app("Knowledge")
    at.selectbox(key="delete_source").set_value("battlecards/pipewell.md")
    click(at, "Delete document")
    assert at.warning[0].value == "Tick *Yes, delete it* to confirm."
    at.checkbox(key="delete_sure").check()
    click(at, "Delete document")
    assert at.success[0].value == "Deleted **battlecards/pipewell.md** from the knowledge store."
    assert "battlecards/pipewell.md" not in list(at.dataframe[0].value["source"])
    assert at.metric[0].value == "22"
    at.switch_page(PAGES["Pitch"]).run()
    assert "Pipewell" not in at.selectbox(key="pitch_competitor").options
    assert (ROOT / "knowledge" / "battlecards" / "pipewell.md").exists()  # files are kept


def test_ingest_a_folder_with_progress(kb_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "enablement"
    (folder / "products").mkdir(parents=True)
    (folder / "products" / "tidewater.md").write_bytes(NEW_DOC)
    (folder / "broken.pdf").write_bytes(b"not a pdf")
    (folder / "roadmap.docx").write_bytes(b"x")
    at = open_app("Knowledge")
    at.text_input(key="folder_path").set_value(str(folder))
    click(at, "Ingest folder")
    assert at.warning[0].value.startswith("Ingested in")
    assert "1 added" in at.warning[0].value and "1 failed" in at.warning[0].value
    assert at.error[0].value.startswith("**broken.pdf**: not a PDF")
    assert at.info[0].value.startswith("skipped 1 file(s) of types not read (.docx 1)")
    assert "products/tidewater.md" in list(at.dataframe[0].value["source"])
    at.text_input(key="folder_path").set_value(str(tmp_path / "nowhere"))
    click(at, "Ingest folder")
    assert "no such file or folder" in at.error[0].value


def test_empty_store_offers_the_sample_and_a_first_pitch_follows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PITCHCRAFT_KB", str(tmp_path / "empty-kb"))
    monkeypatch.setenv("PITCHCRAFT_EMBED_MODEL", "hash")
    webui.use_embedder(HashingEmbedder())
    at = open_app()
    assert "is empty" in " ".join(markdown(at))
    click(at, "Generate pitch")
    assert "knowledge store is empty" in at.warning[0].value
    click(at, "Load the sample knowledge")
    assert not any("is empty" in m for m in markdown(at))
    assert "23 documents" in at.sidebar.caption[0].value
    assert at.selectbox(key="pitch_competitor").value == "Stratavia"
    click(at, "Generate pitch")
    assert at.session_state["pitch_result"].extra["features"]
    assert at.expander


# -- settings and the LLM writer -------------------------------------------------------------------


def test_settings_show_the_writer_and_never_the_api_key(
    kb_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "sk-test-SECRET-0123456789"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    monkeypatch.setenv("OPENAI_BASE_URL", "http://user:hunter2@127.0.0.1:9/v1")
    monkeypatch.setenv("PITCHCRAFT_MODEL", "llama3.1:8b")
    at = open_app("Settings")
    table = at.table[0].value
    rows = dict(zip(table["Setting"], table["Value"], strict=True))
    assert rows["Active writer"] == "LLM (OpenAI-compatible) (llm:llama3.1:8b)"
    assert rows["Model (PITCHCRAFT_MODEL)"] == "llama3.1:8b"
    assert rows["LLM base URL host (OPENAI_BASE_URL)"] == "127.0.0.1:9"
    assert rows["API key (OPENAI_API_KEY)"] == "set (never shown)"
    assert rows["Knowledge store (PITCHCRAFT_KB)"] == str(kb_dir.resolve())
    assert rows["Embedding model (PITCHCRAFT_EMBED_MODEL)"] == "all-MiniLM-L6-v2"
    for page in PAGES:
        at.switch_page(PAGES[page]).run()
        shown = texts(at)
        assert secret not in shown and "hunter2" not in shown


def test_settings_offline(kb_dir: Path) -> None:
    at = open_app("Settings")
    rows = dict(zip(at.table[0].value["Setting"], at.table[0].value["Value"], strict=True))
    assert rows["Active writer"] == "offline grounded composer (offline)"
    assert rows["Why this writer"] == "no OPENAI_API_KEY or OPENAI_BASE_URL is set"
    assert rows["API key (OPENAI_API_KEY)"] == "not set"


def test_llm_prose_streams_into_the_page(
    kb_dir: Path, monkeypatch: pytest.MonkeyPatch, fake_openai: FakeOpenAI
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("OPENAI_BASE_URL", fake_openai.base_url)
    body = (
        '{"sections": [{"title": "Opening", "text": "Audit evidence in days, not weeks [1]."}, '
        '{"title": "Why now", "text": "Your shipper wants audit evidence [2]."}]}'
    )
    fake_openai.script(reply(body))
    streamed: list[str] = []
    original = results.live_writer

    def spy(app: Any) -> Any:
        sink, box = original(app)
        assert sink is not None and box is not None

        def record(text: str) -> None:
            streamed.append(text)
            sink(text)

        return record, box

    monkeypatch.setattr(results, "live_writer", spy)
    at = open_app()
    assert "Writer: llm:gpt-4o-mini" in at.sidebar.caption[0].value
    click(at, "Generate pitch")
    result = at.session_state["pitch_result"]
    assert result.writer == "llm:gpt-4o-mini"
    assert len(streamed) > 2 and "## Opening" in "".join(streamed)
    assert "#### Opening" in markdown(at) and "#### Why now" in markdown(at)
    assert [w.value for w in at.warning] == result.warnings


# -- quiz & drills ---------------------------------------------------------------------------------


def answer_key(q: Any) -> str:
    if q.kind == "open":
        return " ".join(p.text for p in q.key_points)
    if q.kind == "multiple_choice":
        return "ABCDEFGH"[q.choices.index(q.answer)]  # the page answers by letter
    return q.answer


def test_quiz_is_graded_with_sources_and_progress_is_charted(kb_dir: Path) -> None:
    at = open_app("Quiz & drills")
    at.text_input(key="learner").set_value("kim")
    click(at, "New quiz")
    quiz = at.session_state["quiz"]
    assert len(quiz.questions) == 5
    first, *rest = quiz.questions
    for q in rest:
        widget = (
            at.radio
            if q.kind in ("multiple_choice", "true_false")
            else (at.text_area if q.kind == "open" else at.text_input)
        )
        widget(key=f"answer_{q.id}").set_value(answer_key(q))
    # The first one is left unanswered: graded wrong, with the answer key and its source.
    click(at, "Grade my answers")
    grade = at.session_state["quiz_grade"]
    assert [r.correct for r in grade.results] == [False] + [True] * 4
    shown = markdown(at)
    assert shown.count(":green[:material/check_circle: Correct] · score 1.00") >= 3
    assert any(m.startswith(":red[:material/cancel: Not yet]") for m in shown)
    if first.kind != "open":
        assert f"Answer: **{results.escape(first.answer)}**" in shown
    source = next(e for e in at.expander if e.label == "Source")
    assert results.escape(" ".join(first.quote.split()))[:40] in source.markdown[0].value
    assert at.metric[0].value == "80%" or at.metric[0].value == f"{grade.score:.0%}"
    # Progress is stored per learner and charted per topic over time.
    report = learning.tools(webui.get_app()).progress.report("kim")
    assert report["quiz_answers"] == 5
    assert first.topic in report["weak_topics"]
    chart = at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    assert chart and first.topic in str(chart[0].proto)
    assert "**Weak topics:** " in " ".join(shown)


def test_objection_drill_scores_against_the_rubric(kb_dir: Path) -> None:
    at = open_app("Quiz & drills")
    at.selectbox(key="drill_competitor").set_value("Stratavia")
    click(at, "New objection")
    prompt = at.session_state["drill"]
    assert prompt.item.competitor == "Stratavia"
    rubric = [m for m in markdown(at) if m.startswith("- ") and "%)" in m]
    assert len(rubric) == 5
    at.text_area(key="drill_text").set_value(
        "That is a fair concern. The real question is the cost of a slow security review. "
        + " ".join(p.text for p in prompt.model.key_points)
        + " Would a 30-minute architecture review with your team help?"
    )
    click(at, "Score my answer")
    result = at.session_state["drill_result"]
    assert result.score > 0.5
    assert at.metric[0].label == "Drill score"
    assert any("Acknowledge the concern" in m for m in markdown(at))


def test_pitch_coach_reviews_a_pitch(kb_dir: Path) -> None:
    at = open_app("Quiz & drills")
    at.selectbox(key="coach_competitor").set_value("Stratavia")
    at.text_area(key="coach_text").set_value(
        "Keelstone is guaranteed to cut your costs by 90% in a week. Our synergy-driven "
        "platform leverages best-in-class paradigms."
    )
    click(at, "Review my pitch")
    report = at.session_state["coach_report"]
    assert report.claims and not all(c.supported for c in report.claims)
    assert "##### Claims the knowledge base does not back" in markdown(at)


def test_rebuild_re_embeds_every_document_and_keeps_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assistant.core.config import Settings
    from assistant.index.kb import KnowledgeBase
    from assistant.ingest.pipeline import ingest

    hashing = HashingEmbedder()
    kb = KnowledgeBase(Settings(kb=tmp_path / "kb", embed_model="hash"), hashing)
    ingest(kb, [ROOT / "knowledge"])
    before = {d.source for d in kb.manifest.documents()}
    monkeypatch.setenv("PITCHCRAFT_KB", str(tmp_path / "kb"))
    monkeypatch.setenv("PITCHCRAFT_EMBED_MODEL", "hash")
    webui.use_embedder(hashing)
    at = open_app("Knowledge")
    click(at, "Rebuild")
    assert at.warning[0].value == "Tick *Yes, rebuild everything* to confirm."
    at.checkbox(key="rebuild_sure").check()
    click(at, "Rebuild")
    assert at.success[0].value.startswith("Ingested in") and "23 added" in at.success[0].value
    assert set(at.dataframe[0].value["source"]) == before


def test_a_configuration_error_is_one_line_on_the_page(
    kb_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PITCHCRAFT_LLM", "openai")
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception
    assert "PITCHCRAFT_LLM=openai needs OPENAI_API_KEY" in at.error[0].value


# -- deals ----------------------------------------------------------------------------------------

COMMIT_CALL = ROOT / "examples" / "deals" / "lakemont-bank" / "2026-11-24-commit-call.md"


def test_deals_page_logs_a_meeting_shows_the_call_and_pitches_the_deal(kb_dir: Path) -> None:
    at = open_app("Deals")
    assert "No deals yet" in texts(at)
    at.text_input(key="deal_log_name").set_value("Lakemont")
    at.text_input(key="deal_log_account").set_value("Lakemont Bank")
    at.text_area(key="deal_log_notes").set_value(COMMIT_CALL.read_text(encoding="utf-8"))
    click(at, "Log meeting")
    assert [s.value for s in at.success] == ["Logged: Lakemont, 2026-11-24"]
    logged = at.session_state["deal_last_log"]
    assert {s["field"] for s in logged["signals"]} >= {"economic_buyer", "decision_process"}
    assert at.metric[0].value == "Commit"  # the Deal tab, on the deal just logged
    shown = texts(at)
    assert "Budget is approved: $330,000 for year one" in shown
    assert "Legal" in shown and "internal/who-to-involve.md" in shown  # the close plan
    # The same notes again are not a second meeting.
    click(at, "Log meeting")
    assert "Already logged" in at.success[0].value
    assert at.metric[3].value == "1"
    click(at, "Pitch for this deal")
    result = at.session_state["deal_pitch_result"]
    assert result.extra["deal"]["name"] == "Lakemont"
    assert result.extra["persona"]["title"] == "Chief Financial Officer"
    assert "#### From the deal record" in markdown(at) or "From the deal record" in texts(at)


def test_deals_page_reports_bad_notes_in_one_line(kb_dir: Path) -> None:
    at = open_app("Deals")
    at.text_input(key="deal_log_name").set_value("Lakemont")
    at.text_input(key="deal_log_account").set_value("Lakemont Bank")
    click(at, "Log meeting")  # no notes
    assert [e.value for e in at.error] == ["notes: the notes are empty"]
    assert webui.get_app().deals.store.deals() == []


# -- sign-in and roles ----------------------------------------------------------------------------

AUTH = {
    "redirect_uri": "http://127.0.0.1:8501/oauth2callback",
    "cookie_secret": "cookie-SECRET-never-shown",
    "client_id": "pitchcraft",
    "client_secret": "client-SECRET-never-shown",
    "server_metadata_url": "https://idp.example/.well-known/openid-configuration",
}


@pytest.fixture
def roles_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "roles.yaml"
    path.write_text(
        "default: rep\nusers:\n  erin@example.com: enablement\n  ada@example.com: admin\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("PITCHCRAFT_ROLES_FILE", str(path))
    return path


def signed_in(email: str | None, page: str | None = None) -> AppTest:
    """The app with sign-in configured, as ``email`` (None: signed out)."""
    if email is None:
        return open_app(page, {"is_logged_in": False})
    return open_app(
        page, {"is_logged_in": True, "email": email, "name": email.split("@")[0].title()}
    )


def test_signed_out_sees_only_the_sign_in(kb_dir: Path, roles_file: Path) -> None:
    at = signed_in(None)
    assert [b.label for b in at.button] == ["Sign in"]
    assert [t.value for t in at.title] == ["Pitchcraft"]
    assert not at.text_area and not at.selectbox  # no page was offered
    at.switch_page(PAGES["Knowledge"]).run()  # a direct link changes nothing
    assert [b.label for b in at.button] == ["Sign in"] and not at.dataframe


def test_a_rep_cannot_reach_ingest_or_delete(kb_dir: Path, roles_file: Path) -> None:
    at = signed_in("rita@example.com", "Knowledge")
    assert "Signed in as rita@example.com (rep)" in at.sidebar.caption[1].value
    labels = [b.label for b in at.button]
    assert "Ingest files" not in labels and "Delete document" not in labels
    assert "Ingest folder" not in labels and "Rebuild" not in labels
    assert any("enablement and admins load" in i.value for i in at.info)
    app, user = webui.get_app(), at.session_state["pitchcraft_user"]
    assert (user.email, user.role) == ("rita@example.com", "rep")
    with pytest.raises(AccessDenied):  # the direct call, past any page, as this session's user
        Workspace(app, user).delete(app.kb.manifest.documents()[0].source)
    assert len(app.kb.manifest.documents()) == 23
    deals = signed_in("rita@example.com", "Deals")
    assert "Import from CRM" not in texts(deals)


def test_enablement_loads_knowledge_and_the_audit_log_records_it(
    kb_dir: Path, roles_file: Path, tmp_path: Path
) -> None:
    at = signed_in("erin@example.com", "Knowledge")
    assert "Ingest files" in [b.label for b in at.button]
    folder = tmp_path / "enablement"
    (folder / "products").mkdir(parents=True)
    (folder / "products" / "tidewater.md").write_bytes(NEW_DOC)
    at.text_input(key="folder_path").set_value(str(folder))
    click(at, "Ingest folder")
    assert "1 added" in at.success[0].value
    entries = Workspace(webui.get_app(), at.session_state["pitchcraft_user"]).audit.entries()
    assert (entries[0].who, entries[0].role, entries[0].action) == (
        "erin@example.com",
        "enablement",
        "knowledge.ingest",
    )
    admin = signed_in("ada@example.com", "Settings")
    assert "Audit log" in texts(admin)
    assert "knowledge.ingest" in texts(admin)


def test_sign_in_secrets_are_never_shown(kb_dir: Path, roles_file: Path) -> None:
    at = signed_in("ada@example.com", "Settings")
    shown = texts(at)
    assert "SECRET" not in shown
    rows = dict(zip(at.table[0].value["Setting"], at.table[0].value["Value"], strict=True))
    assert rows["Sign-in client secret"] == "set (never shown)"
    assert rows["Sign-in cookie secret"] == "set (never shown)"
    assert rows["Sign-in (OpenID Connect)"] == "on, provider idp.example"


def test_an_open_address_without_sign_in_refuses_to_serve(kb_dir: Path) -> None:
    st.config.set_option("server.address", "0.0.0.0")
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.run()
    assert [e.value for e in at.error] == [
        "refusing to serve on 0.0.0.0 without sign-in: .streamlit/secrets.toml needs [auth] "
        "(see the README's team server), or set PITCHCRAFT_ALLOW_OPEN_SERVER=1 to serve "
        "without it"
    ]
    assert not at.button and not at.text_area
