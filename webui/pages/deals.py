"""Deals: meeting notes become a quoted deal record, a forecast call with its signs, a close
plan from the knowledge base's own process documents, and the pipeline."""

import datetime as dt

import pandas as pd
import streamlit as st

import webui
from assistant.core.errors import PitchcraftError
from assistant.jobs.pitch import PitchRequest
from assistant.service import from_deal
from webui import results

CATEGORY = {
    "commit": "Commit",
    "best_case": "Best case",
    "pipeline": "Pipeline",
    "omitted": "Omitted",
    "closed_won": "Closed won",
    "closed_lost": "Closed lost",
}
NEW = "(new deal)"

app = webui.get_app()
work = webui.workspace(app)  # the deals this user may see; every change checked and audited
st.title("Deals")
st.caption(
    "Log each meeting's notes: every field of the record quotes them, the forecast call shows "
    "its signs for and against, and the close plan names whom to involve and when."
)
as_of = st.sidebar.date_input("As of", dt.date.today(), key="deals_as_of")
importer = work.user.may("deals.import")
tabs = st.tabs(["Log a meeting", "Deal", "Pipeline"] + (["Import from CRM"] if importer else []))
log_tab, deal_tab, pipeline_tab = tabs[:3]
deals = work.deals()
names = [d.name for d in deals]

with log_tab, st.form("deal_log_form", clear_on_submit=False):
    left, right = st.columns(2)
    chosen = left.selectbox("Deal", [NEW, *names], key="deal_log_deal")
    new_name = right.text_input(
        "New deal's name", key="deal_log_name", placeholder="e.g. Acme 2027"
    )
    account = right.text_input("Account (new deal)", key="deal_log_account")
    date = left.date_input("Meeting date", value=None, key="deal_log_date")
    notes = st.text_area(
        "Meeting notes",
        key="deal_log_notes",
        height=220,
        placeholder="Date: 2026-11-03\nAttendees: Name (Title, Company); …\n\n- what was said…",
    )
    upload = st.file_uploader("…or a notes file", type=["md", "txt"], key="deal_log_file")
    logged = st.form_submit_button("Log meeting", type="primary", icon=":material/edit_note:")

if logged:
    name = (new_name or "").strip() if chosen == NEW else chosen
    data = upload.getvalue() if upload is not None else (notes or "").encode()
    if not name:
        st.warning("Name the deal (or choose one).")
    else:
        with webui.shown_errors(), st.spinner("Reading the notes…"):
            result = work.log(name, data, upload.name if upload else "notes", date, account or None)
        for w in result.warnings:
            st.warning(w)
        head = "Logged" if result.created else "Already logged"
        st.success(f"{head}: {result.deal.name}, {result.meeting.date}")
        st.session_state["deal_selected"] = result.deal.name
        st.session_state["deal_last_log"] = result.to_json()
        deals = work.deals()
        names = [d.name for d in deals]

if "deal_last_log" in st.session_state:
    with log_tab:
        data = st.session_state["deal_last_log"]
        st.markdown(f"**{data['meeting']['summary']}**")
        if data["signals"]:
            st.dataframe(pd.DataFrame(data["signals"]), hide_index=True, width="stretch")
        else:
            st.info("The notes say nothing the qualification fields need.")
        steps = data["meeting"]["next_steps"]
        if steps:
            st.markdown("**Next steps**")
            st.dataframe(pd.DataFrame(steps), hide_index=True, width="stretch")
        st.caption(f"Extracted by: {data['extracted_by']}")

with deal_tab:
    if not names:
        st.info("No deals yet: log a meeting or import a CRM export.")
    else:
        current = st.session_state.get("deal_selected")
        pick = st.selectbox(
            "Deal", names, index=names.index(current) if current in names else 0, key="deal_show"
        )
        with webui.shown_errors():
            shown = work.show(pick, as_of)
        d, call = shown["deal"], shown["forecast"]
        amount = f"{d['amount']:,.0f} {d['currency']}".strip() if d["amount"] is not None else "—"
        cols = st.columns(4)
        cols[0].metric("Forecast", CATEGORY[call["category"]])
        cols[1].metric("Amount", amount)
        cols[2].metric("Close date", d["close_date"] or "—")
        cols[3].metric("Meetings", len(shown["meetings"]))
        st.caption(f"{d['account']} · stage {d['stage'] or '—'} · owner {d['owner'] or '—'}")
        st.subheader("Forecast call")
        st.markdown(f"_{call['why']}_")
        for sign in call["signs_for"]:
            st.markdown(f"✔ **{sign['text']}** — “{sign['quote']}” ({sign['date']})")
        for sign in call["signs_against"]:
            st.markdown(f"✖ **{sign['text']}** — “{sign['quote']}” ({sign['date']})")
        if call["missing"]:
            st.markdown("**Missing:** " + ", ".join(m.replace("_", " ") for m in call["missing"]))
        st.subheader("Qualification")
        rows = [
            {
                "field": f.replace("_", " "),
                "value": q["value"] if q else "",
                "quote": q["quote"] if q else "",
                "said by": q["speaker"] if q else "",
                "date": q["date"] if q else "",
            }
            for f, q in shown["qualification"].items()
        ]
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
        left, right = st.columns(2)
        with left:
            st.subheader("Since the last meeting")
            for change in shown["changes"]:
                st.markdown(f"- {results.escape(change)}")
            st.subheader("Open risks")
            for r in shown["risks"] or [
                {"level": "", "quote": "none found in the notes", "date": None}
            ]:
                st.markdown(
                    f"- [{r['level']}] {results.escape(r['quote'])}"
                    if r["level"]
                    else f"- {r['quote']}"
                )
        with right:
            st.subheader("Stakeholders")
            if shown["stakeholders"]:
                st.dataframe(pd.DataFrame(shown["stakeholders"]), hide_index=True, width="stretch")
            st.subheader("Next steps")
            for s in shown["next_steps"]:
                due = f" (due {s['due']})" if s["due"] else ""
                st.markdown(f"- {results.escape(s['text'])}{due}")
        st.subheader("Close plan")
        if not shown["close_plan"]:
            st.info(
                "Nothing left to plan."
                if call["category"].startswith("closed")
                else "Every purchase step is done."
            )
        for p in shown["close_plan"]:
            late = " — **overdue**" if p["overdue"] else ""
            who = p["involve"] or "no team named in the knowledge base"
            st.markdown(f"**{p['step']}**: involve **{who}**, start by {p['when']}{late}")
            for c in p["citations"]:
                st.caption(f"{c['source']} — “{c['quote']}”")
        if st.button("Pitch for this deal", icon=":material/campaign:", key="deal_pitch"):
            ctx = app.deals.context(work.deal(pick).name)
            if not ctx.persona:
                st.warning("The notes name no buyer-side title to pitch to; use the Pitch page.")
            elif app.kb.is_empty():
                st.warning("The knowledge store is empty: load documents first.")
            else:
                with webui.shown_errors(), st.spinner("Writing the pitch…"):
                    request = PitchRequest(ctx.persona, ctx.account, ctx.competitor)
                    st.session_state["deal_pitch_result"] = from_deal(
                        app.pitch(request), ctx.deal, ctx.used
                    )
        shown_pitch = st.session_state.get("deal_pitch_result")
        if shown_pitch is not None and shown_pitch.extra["deal"]["name"] == pick:
            results.pitch_result(app, shown_pitch)

with pipeline_tab:
    left, mid, right = st.columns(3)
    quota = left.number_input(
        "Quota per quarter", min_value=0.0, value=0.0, step=10000.0, key="deal_quota"
    )
    quarter = mid.text_input("Quarter (e.g. 2026-Q4)", key="deal_quarter")
    currency = right.text_input("Currency (default: the most common)", key="deal_currency")
    try:
        data = work.pipeline(
            as_of,
            quota=quota or None,
            quarter=quarter.strip() or None,
            currency=currency.strip() or None,
        )
    except PitchcraftError as exc:
        st.error(str(exc))
    else:
        st.caption(f"Totals in {data['currency'] or '—'}, as of {data['as_of']}.")
        if data["quarters"]:
            st.dataframe(pd.DataFrame(data["quarters"]), hide_index=True, width="stretch")
        else:
            st.info("No deal with a close date yet.")
        st.subheader("Flags")
        for f in data["flags"] or [{"deal": "", "flag": "none", "why": "nothing to flag"}]:
            st.markdown(
                f"- **{f['deal'] or 'pipeline'}** — {f['flag']}: {results.escape(f['why'])}"
            )
        st.subheader("Deals")
        if data["deals"]:
            st.dataframe(pd.DataFrame(data["deals"]), hide_index=True, width="stretch")

if importer:
    with tabs[3]:
        st.caption(
            "A Salesforce opportunity report or a HubSpot deals export as CSV: the usual "
            "columns are mapped, others are listed, and every row is added, updated or skipped "
            "with a reason."
        )
        csv_file = st.file_uploader("CRM export (CSV)", type=["csv"], key="deal_csv")
        if csv_file is not None and st.button("Import deals", type="primary", key="deal_import"):
            with webui.shown_errors():
                report = work.import_crm(csv_file.getvalue(), csv_file.name)
            counts = (len(report.added), len(report.updated), len(report.skipped))
            st.success("Added {}, updated {}, skipped {}.".format(*counts))
            for s in report.skipped:
                st.warning(f"Row {s['row']} ({s['name'] or 'no name'}): {s['reason']}")
            if report.ignored_columns:
                st.caption("Columns not read: " + ", ".join(report.ignored_columns))
