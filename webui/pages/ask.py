"""Ask: a cited answer from the knowledge base, or a plain "not covered"."""

import streamlit as st

import webui
from assistant.core.records import DOC_TYPES
from assistant.index.filters import Filters
from webui import results

app = webui.get_app()
st.title("Ask")
st.caption("A question about the product, pricing, security or competitors; answers cite sources.")

with st.form("ask_form"):
    question = st.text_input(
        "Question", placeholder="e.g. What do we commit to on uptime?", key="ask_question"
    )
    left, right = st.columns(2)
    doc_types = left.multiselect("Only these document types", DOC_TYPES)
    customer_safe = right.checkbox("Customer-safe sources only", value=False)
    k = right.slider("Passages to search", 3, 10, 5)
    submitted = st.form_submit_button("Ask", type="primary", icon=":material/search:")

if not app.kb.is_empty():
    webui.warm_up(app)

if submitted:
    if not (question or "").strip():
        st.warning("Type a question first.")
    elif app.kb.is_empty():
        st.warning(
            "The knowledge store is empty: load the sample knowledge or add documents first."
        )
    else:
        filters = Filters(
            doc_types=tuple(doc_types), audience="customer-safe" if customer_safe else None
        )
        sink, box = results.live_writer(app)
        with webui.shown_errors(), st.spinner("Searching…"):
            st.session_state["ask_result"] = app.ask(
                question.strip(), k=k, filters=filters, on_text=sink
            )
        if box is not None:
            box.empty()

if "ask_result" in st.session_state:
    results.ask_result(app, st.session_state["ask_result"])
