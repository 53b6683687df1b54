"""Pitch: persona, account and competitor in; a cited pitch, the features and why, rep notes."""

import streamlit as st

import webui
from assistant.jobs.pitch import PitchRequest
from webui import results

app = webui.get_app()
st.title("Pitch")
st.caption(
    "Three features that matter to this buyer, in their language, each backed by a source; "
    "the competitive angle, discovery questions and a next step."
)

personas = app.personas
competitors = app.kb.competitor_names()
with st.form("pitch_form"):
    left, mid, right = st.columns(3)
    persona = left.selectbox(
        "Who are you pitching to?",
        list(personas),
        index=list(personas).index(webui.DEFAULT_PERSONA)
        if webui.DEFAULT_PERSONA in personas
        else 0,
        format_func=lambda p: personas[p].title,
        key="pitch_persona",
    )
    title = mid.text_input(
        "…or their job title",
        key="pitch_title",
        placeholder="e.g. Head of Data Platform",
        help="Any job title: the closest persona is used, and the pitch says which and why.",
    )
    options = [webui.NO_COMPETITOR, *competitors]
    competitor = right.selectbox(
        "Competitor in the deal",
        options,
        index=options.index(webui.default_competitor(app)),
        key="pitch_competitor",
    )
    account = st.text_area(
        "Account context",
        key="pitch_account",
        placeholder="e.g. 400 staff, moving warehouse data off nightly batch jobs; a major "
        "customer is asking for audit evidence and tighter access control",
        help="The situation, pains and systems, in your words; it steers the feature choice.",
    )
    left, right = st.columns(2)
    company = left.text_input("Prospect's company (optional)", key="pitch_company")
    n_features = right.slider("Features", 1, 5, 3)
    submitted = st.form_submit_button("Generate pitch", type="primary", icon=":material/bolt:")

if not app.kb.is_empty():
    webui.warm_up(app)

if submitted:
    if app.kb.is_empty():
        st.warning(
            "The knowledge store is empty: load the sample knowledge or add documents first."
        )
    else:
        request = PitchRequest(
            persona=(title or "").strip() or persona,
            account=account or "",
            competitor=None if competitor == webui.NO_COMPETITOR else competitor,
            company=company or "",
            n_features=n_features,
        )
        sink, box = results.live_writer(app)
        with webui.shown_errors(), st.spinner("Writing the pitch…"):
            st.session_state["pitch_result"] = app.pitch(request, on_text=sink)
        if box is not None:
            box.empty()

if "pitch_result" in st.session_state:
    results.pitch_result(app, st.session_state["pitch_result"])
