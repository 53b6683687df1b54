"""Streamlit app (placeholder until the app issue lands): shows what the knowledge store holds."""

import streamlit as st

from assistant.config import Settings
from assistant.kb import KnowledgeBase
from assistant.status import kb_status

st.set_page_config(page_title="Pitchcraft", layout="wide")
st.title("Pitchcraft")
settings = Settings()
kb = KnowledgeBase(settings)
st.dataframe(kb_status(kb.manifest, settings, settings.embed_model)["documents"])
