"""Upsell: an account file or a short form in; an expansion narrative that builds on what the
customer owns, says when not to push, and cites everything."""

import datetime as dt

import streamlit as st
from pydantic import ValidationError

import webui
from assistant.core.errors import ConfigError
from assistant.jobs.accounts import Account, parse_account
from webui import results

app = webui.get_app()
st.title("Upsell")
st.caption(
    "Builds on what the customer already owns and the goals they stated; never pushy, and it "
    "says when not to push (renewal close, open escalations)."
)

mode = st.radio("Account", ["Account file", "Fill in a form"], horizontal=True, key="upsell_mode")
account: Account | None = None
submitted = False

if mode == "Account file":
    examples = webui.example_accounts(app)
    with st.form("upsell_file_form"):
        example = (
            st.selectbox("Example account", list(examples), key="upsell_example")
            if examples
            else None
        )
        uploaded = st.file_uploader(
            "…or your own account file (YAML, as in examples/accounts/)",
            type=["yaml", "yml"],
            key="upsell_file",
        )
        submitted = st.form_submit_button(
            "Write expansion narrative", type="primary", icon=":material/trending_up:"
        )
    if submitted:
        try:
            if uploaded is not None:
                text = uploaded.getvalue().decode("utf-8", errors="replace")
                account = parse_account(text, uploaded.name)
            elif example:
                account = parse_account(examples[example].read_text(encoding="utf-8"), example)
            else:
                st.warning("Choose an example account or upload an account file.")
        except ConfigError as exc:
            st.error(str(exc), icon=":material/error:")
else:
    modules = sorted({f.module for f in app.kb.catalog}) if not app.kb.is_empty() else []
    with st.form("upsell_form"):
        left, right = st.columns(2)
        name = left.text_input("Customer", placeholder="e.g. Acme Logistics", key="upsell_name")
        industry = right.text_input("Industry", placeholder="logistics")
        owned = left.multiselect(
            "Modules they own", modules, accept_new_options=True, key="upsell_owned"
        )
        edition = right.text_input("Edition", placeholder="Business")
        goals = st.text_area("Goals they stated (one per line)", key="upsell_goals")
        usage = st.text_area("Usage signals (one per line)", key="upsell_usage")
        achieved = st.text_area("Their results so far (one per line)")
        left, mid, right = st.columns(3)
        known_renewal = left.checkbox("Renewal date known")
        renewal = left.date_input("Renewal date", dt.date.today() + dt.timedelta(days=240))
        health = mid.selectbox("Account health", ["(unknown)", "green", "amber", "red"])
        seats = right.number_input("Seats", min_value=0, value=0, step=1)
        issues = st.data_editor(
            [{"summary": "", "severity": "medium", "status": "open"}],
            num_rows="dynamic",
            column_config={
                "summary": st.column_config.TextColumn("Open issue", width="large"),
                "severity": st.column_config.SelectboxColumn(
                    "Severity", options=["critical", "high", "medium", "low"]
                ),
                "status": st.column_config.SelectboxColumn("Status", options=["open", "resolved"]),
            },
            key="upsell_issues",
        )
        submitted = st.form_submit_button(
            "Write expansion narrative", type="primary", icon=":material/trending_up:"
        )
    if submitted:
        try:
            account = Account(
                account=name.strip(),
                industry=industry.strip(),
                edition=edition.strip(),
                owned=owned,
                seats=int(seats) or None,
                goals=[g.strip() for g in goals.splitlines() if g.strip()],
                usage=[u.strip() for u in usage.splitlines() if u.strip()],
                results_so_far=[r.strip() for r in achieved.splitlines() if r.strip()],
                renewal_date=renewal if known_renewal else None,
                health=None if health == "(unknown)" else health,
                open_issues=[i for i in issues if (i.get("summary") or "").strip()],
            )
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(x) for x in err["loc"]) or "account"
            st.error(f"{where}: {err['msg']}", icon=":material/error:")

if not app.kb.is_empty():
    webui.warm_up(app)

if account is not None:
    if app.kb.is_empty():
        st.warning(
            "The knowledge store is empty: load the sample knowledge or add documents first."
        )
    else:
        sink, box = results.live_writer(app)
        with webui.shown_errors(), st.spinner("Writing the expansion narrative…"):
            st.session_state["upsell_result"] = app.upsell(account, on_text=sink)
        if box is not None:
            box.empty()

if "upsell_result" in st.session_state:
    results.upsell_result(app, st.session_state["upsell_result"])
