"""Settings: which writer is active, the model, where the knowledge lives, sign-in; never a
secret (the API key and sign-in secrets show only as set or not). Admins also read the audit log."""

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

work = webui.workspace(app)
if work.user.may("audit.read"):
    st.markdown("##### Audit log")
    st.caption("Every change to the knowledge base or a deal: who, when, what (newest first).")
    entries = [e.to_json() for e in work.audit.entries(200)]
    if entries:
        st.dataframe(entries, hide_index=True, key="audit_log")
    else:
        st.caption("No change yet.")
