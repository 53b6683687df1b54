"""Pitchcraft's web app: ``streamlit run app.py`` (or ``make run``).

A thin shell: the pages in ``webui/pages/`` read input and render output; the work lives in
``assistant/`` (the cached service is ``webui.get_app``). ``st.navigation`` rather
than a ``pages/`` folder, so the sidebar is grouped by job (sell, learn, manage), the Pitch page
is the landing page, and the shared parts (page config, first-run offer, sidebar status) run
once here before every page.
"""

import streamlit as st

import webui

# An emoji favicon is drawn locally; a Material icon one would be fetched from a font CDN.
st.set_page_config(page_title="Pitchcraft", page_icon="🎯", layout="wide")

pages = {
    "Sell": [
        st.Page("webui/pages/pitch.py", title="Pitch", icon=":material/campaign:", default=True),
        st.Page("webui/pages/objections.py", title="Objections", icon=":material/forum:"),
        st.Page("webui/pages/upsell.py", title="Upsell", icon=":material/trending_up:"),
        st.Page("webui/pages/ask.py", title="Ask", icon=":material/search:"),
        st.Page("webui/pages/deals.py", title="Deals", icon=":material/handshake:"),
    ],
    "Learn": [
        st.Page("webui/pages/quiz.py", title="Quiz & drills", icon=":material/school:"),
    ],
    "Manage": [
        st.Page("webui/pages/knowledge.py", title="Knowledge", icon=":material/library_books:"),
        st.Page("webui/pages/settings.py", title="Settings", icon=":material/settings:"),
    ],
}
app = webui.app_or_stop()
user = webui.gate(app)  # a signed-out visitor stops here, before any page is offered
page = st.navigation(pages)
with st.sidebar:
    info = webui.status(app)
    st.caption(
        f"{len(info['documents'])} documents · {info['chunks']} chunks · {info['stale']} stale  \n"
        f"Writer: {app.writer.name}"
    )
    if user.signed_in:
        st.caption(f"Signed in as {user.who} ({user.role})")
        st.button("Sign out", icon=":material/logout:", on_click=st.logout, key="sign_out")
webui.first_run_notice(app)
page.run()
