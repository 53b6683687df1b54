"""Objections: the buyer's words in; acknowledge, reframe, evidence and a question back."""

import streamlit as st

import webui
from assistant.jobs.objection import ObjectionRequest
from webui import results

app = webui.get_app()
st.title("Objections")
st.caption(
    "Type the objection as the buyer said it. Battlecard answers are matched first; every claim "
    "cites its source, and coaching for you stays in the rep notes."
)

personas = app.personas
competitors = app.kb.competitor_names()
with st.form("objection_form"):
    text = st.text_area(
        "The objection",
        webui.default_objection(app, webui.default_competitor(app)),
        key="objection_text",
        placeholder="e.g. You are more expensive than what we use today.",
    )
    left, mid, right = st.columns(3)
    anyone = "(anyone)"
    persona = left.selectbox(
        "Who raised it?",
        [anyone, *personas],
        format_func=lambda p: personas[p].title if p in personas else p,
        key="objection_persona",
    )
    title = mid.text_input(
        "…or their job title", key="objection_title", placeholder="e.g. Head of Procurement"
    )
    options = [webui.NO_COMPETITOR, *competitors]
    competitor = right.selectbox(
        "Competitor in the deal",
        options,
        index=options.index(webui.default_competitor(app)),
        key="objection_competitor",
    )
    submitted = st.form_submit_button("Handle objection", type="primary", icon=":material/forum:")

if not app.kb.is_empty():
    webui.warm_up(app)

if submitted:
    if not (text or "").strip():
        st.warning("Type the objection first.")
    elif app.kb.is_empty():
        st.warning(
            "The knowledge store is empty: load the sample knowledge or add documents first."
        )
    else:
        request = ObjectionRequest(
            text.strip(),
            (title or "").strip() or (None if persona in (None, anyone) else persona),
            None if competitor == webui.NO_COMPETITOR else competitor,
        )
        sink, box = results.live_writer(app)
        with webui.shown_errors(), st.spinner("Working on a response…"):
            st.session_state["objection_result"] = app.objection(request, on_text=sink)
        if box is not None:
            box.empty()

if "objection_result" in st.session_state:
    results.objection_result(app, st.session_state["objection_result"])
