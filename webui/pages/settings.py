"""Settings: which writer is active, the model, where the knowledge lives. Never the API key."""

import streamlit as st

import webui

app = webui.get_app()
st.title("Settings")
st.caption(
    "Set these as environment variables (or in a `.env` file) before starting the app; "
    "`make run` passes them through."
)
rows = webui.settings_rows(app)
st.table({"Setting": [k for k, _ in rows], "Value": [v for _, v in rows]})

st.markdown("##### Personas")
st.dataframe(
    [{"id": p.id, "title": p.title, "tone": p.tone} for p in app.personas.values()],
    hide_index=True,
)
