"""Rendering written results: sections, the features and why, rep notes, citation expanders,
quality checks and the Markdown export."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import streamlit as st

from assistant.core.results import Citation, Result, Section, TextSink, render_markdown_sections
from assistant.core.text import without_page_ids
from assistant.jobs.ask import AskResult
from assistant.service import Pitchcraft


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
        where = without_page_ids(c.source) + (f", p. {c.page}" if c.page else "")
        tag = " · internal" if c.audience == "internal" else ""
        with st.expander(f"[{c.n}] {where} — {c.section}{tag}"):
            st.markdown(f"> {escape(' '.join(c.quote.split()))}")
            st.caption(f"{c.doc_type.replace('_', ' ')} · {c.audience} · `{c.source}`")
            passage = _passage(app, c)
            if passage and " ".join(passage.split()) != " ".join(c.quote.split()):
                st.markdown("**In context**")
                st.markdown(_highlight(passage, c.quote))


def _passage(app: Pitchcraft, c: Citation) -> str:
    chunks = app.kb.manifest.chunks([c.chunk_id])
    return chunks[0].shown_text if chunks else ""


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~$])")


def escape(text: str) -> str:
    """Text shown as itself in Markdown (no emphasis, links, HTML or maths)."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def _highlight(passage: str, quote: str) -> str:
    """The passage, line structure kept, with the quoted sentence in bold."""
    words = quote.split()
    match = re.search(r"\s+".join(re.escape(w) for w in words), passage) if words else None
    if match is None:
        return escape(passage)
    a, b = match.span()
    return f"{escape(passage[:a])}**{escape(passage[a:b])}**{escape(passage[b:])}"


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
    st.subheader(result.title)
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
    _finish(app, result, internal, f"pitch-{persona.get('id', '')}-{competitor}", "pitch")


def objection_result(app: Pitchcraft, result: Result) -> None:
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
    _finish(app, result, internal, f"objection-{result.extra.get('objection', '')}", "objection")


TIMING = {"go": st.success, "wait": st.warning, "stabilise": st.error}


def upsell_result(app: Pitchcraft, result: Result) -> None:
    account = result.extra.get("account", "")
    st.subheader(result.title)
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
    _finish(app, result, internal, f"expansion-{account}", "upsell")


def _why_card(title: str, item: dict[str, Any]) -> None:
    """A picked feature or opportunity: its name, the one-line why, its sources and fit."""
    with st.container(border=True):
        st.markdown(title)
        st.markdown(prose(item["why"]))
        st.caption(f"Sources {refs(item['citations'])} · fit {item['score']:.2f}")


def _finish(app: Pitchcraft, result: Result, internal: list[Section], name: str, kind: str) -> None:
    """What every written result ends with: rep notes, sources, scores and the download."""
    rep_notes(internal)
    citations(app, result.citations.items)
    scores(result)
    export(result.to_markdown(), f"{slug(name)}.md", kind)


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
                shown = h.chunk.shown_text
                st.caption(escape(shown[:400]) + ("…" if len(shown) > 400 else ""))
    export(ask_markdown(result), f"{slug('answer-' + result.question)}.md", "ask")
