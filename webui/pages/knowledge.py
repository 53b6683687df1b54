"""Knowledge: upload files or ingest a folder, see what is indexed and what is stale, delete a
retired document, rebuild the store."""

import json

import streamlit as st

import webui
from assistant.core.records import DOC_TYPES
from assistant.ingest.uploads import ALLOWED_EXTS
from assistant.jobs.kbmap import knowledge_map, render_map

app = webui.get_app()
work = webui.workspace(app)  # every change below is checked against the role and audited
st.title("Knowledge")

flash = st.session_state.pop("knowledge_flash", None)
if flash:
    kind, payload = flash
    if kind == "uploads":
        for f in payload:
            if f["status"] in ("added", "updated", "unchanged"):
                note = f" ({f['message']})" if f["message"] else ""
                st.success(f"**{f['name']}** → `{f['source']}`: {f['status']}{note}")
            else:
                st.error(
                    f"**{f['name']}** was {f['status']}: {f['message']}", icon=":material/error:"
                )
    elif kind == "ingest":
        webui.ingest_report(payload)
    elif kind == "deleted":
        st.success(f"Deleted **{payload}** from the knowledge store.")

info = webui.status(app)
cols = st.columns(3)
cols[0].metric("Documents", len(info["documents"]))
cols[1].metric("Chunks", info["chunks"])
cols[2].metric("Stale", info["stale"])
st.caption(f"Store `{app.kb.root}` · embedding model {info['embed_model']}")

if work.user.may("knowledge.write"):
    docs_tab, map_tab, upload_tab, folder_tab, manage_tab = st.tabs(
        ["Documents", "Map", "Upload files", "Ingest a folder", "Delete or rebuild"]
    )
else:
    st.info(
        f"Signed in as {work.user.who} ({work.user.role}): enablement and admins load, refresh "
        "and delete knowledge; you can read what is indexed.",
        icon=":material/lock:",
    )
    docs_tab, map_tab = st.tabs(["Documents", "Map"])

with docs_tab:
    rows = webui.documents(app)
    if st.toggle("Stale documents only", key="stale_only"):
        rows = [r for r in rows if r["stale"]]
    if rows:
        st.dataframe(
            rows,
            hide_index=True,
            height=min(36 * (len(rows) + 1) + 3, 800),
            column_order=[
                "source",
                "doc_type",
                "chunks",
                "updated",
                "stale",
                "file",
                "audience",
                "title",
            ],
            column_config={
                "source": st.column_config.TextColumn("Source", width="medium"),
                "title": "Title",
                "doc_type": "Type",
                "audience": "Audience",
                "chunks": st.column_config.NumberColumn("Chunks"),
                "updated": st.column_config.DateColumn("Updated"),
                "stale": st.column_config.CheckboxColumn(
                    "Stale", help="Older than the limit for its type (battlecards 90 days)"
                ),
                "file": st.column_config.TextColumn("File", help="Is the source file still there?"),
            },
        )
    else:
        st.caption("No documents.")

with map_tab:
    st.caption(
        "What was understood of your documents, and what they lack. Correct it with a "
        "`pitchcraft.yaml` at the root of the folder you ingest (see the README)."
    )
    if app.kb.is_empty():
        st.info("Nothing is indexed yet.")
    else:
        understood = knowledge_map(app.kb)
        st.download_button(
            "Download the map (JSON)",
            json.dumps(understood, indent=2, ensure_ascii=False),
            file_name="pitchcraft-map.json",
            mime="application/json",
            key="map_json",
        )
        st.markdown(render_map(understood))

if work.user.may("knowledge.write"):  # the tabs exist only then
    with upload_tab:
        limit = webui.upload_limit_mb(app)
        with st.form("upload_form", clear_on_submit=True):
            files = st.file_uploader(
                f"Files ({', '.join(ALLOWED_EXTS)}; up to {app.settings.upload_max_mb:g} MB each)",
                type=[e.lstrip(".") for e in ALLOWED_EXTS],
                accept_multiple_files=True,
                max_upload_size=limit,
                key="upload_files",
            )
            doc_type = st.selectbox(
                "Document type",
                ["(detect)", *DOC_TYPES],
                key="upload_doc_type",
                help="(detect): the file's front-matter, else general. A type files the upload "
                "where Pitchcraft reads it as that type; front-matter still wins.",
            )
            go = st.form_submit_button("Ingest files", type="primary", icon=":material/upload:")
        if go:
            if not files:
                st.warning("Choose one or more files first.")
            else:
                report = webui.with_progress(
                    lambda tick: work.upload(
                        [(f.name, f.getvalue()) for f in files],
                        None if doc_type == "(detect)" else doc_type,
                        progress=tick,
                    ),
                    "Ingesting…",
                )
                if report is not None:
                    st.session_state["knowledge_flash"] = (
                        "uploads",
                        [f.to_json() for f in report.files],
                    )
                    st.rerun()

    with folder_tab:
        roots = app.settings.ingest_root_paths()
        inside = any(webui.SAMPLE_KNOWLEDGE.resolve().is_relative_to(r) for r in roots)
        with st.form("folder_form"):
            folder = st.text_input(
                "Folder (or file) on this machine",
                str(webui.SAMPLE_KNOWLEDGE if inside else roots[0]),
                key="folder_path",
                help="Only inside " + ", ".join(str(r) for r in roots) + " (PITCHCRAFT_INGEST_"
                "ROOTS). Only changed files are re-read; unchanged ones are skipped.",
            )
            prune = st.checkbox("Remove documents whose files are gone", key="folder_prune")
            go = st.form_submit_button(
                "Ingest folder", type="primary", icon=":material/folder_open:"
            )
        if go:
            report = webui.with_progress(
                lambda tick: work.ingest([folder], prune=prune, progress=tick), "Ingesting…"
            )
            if report is not None:
                st.session_state["knowledge_flash"] = ("ingest", report)
                st.rerun()

    with manage_tab:
        sources = [d["source"] for d in info["documents"]]
        st.markdown("##### Delete a document")
        st.caption(
            "Removes it from search, pitches and quizzes at once. An uploaded file is deleted "
            "too; a file in a folder you ingested stays, so delete or move it there as well, or "
            "the next ingest of that folder brings it back."
        )
        with st.form("delete_form"):
            source = st.selectbox(
                "Document",
                sources,
                index=None,
                placeholder="Choose a document",
                key="delete_source",
            )
            sure = st.checkbox("Yes, delete it", key="delete_sure")
            go = st.form_submit_button("Delete document", icon=":material/delete:")
        if go:
            if not source:
                st.warning("Choose a document first.")
            elif not sure:
                st.warning("Tick *Yes, delete it* to confirm.")
            else:
                with webui.shown_errors():
                    removed = work.delete(source)
                if removed is None:
                    st.warning(f"{source} is not in the knowledge store.")
                else:
                    st.session_state["knowledge_flash"] = ("deleted", source)
                    st.rerun()

        st.markdown("##### Rebuild the store")
        st.caption(
            "Re-reads and re-embeds every document from its file, keeping names. Use it after "
            "changing the embedding model or if search looks wrong. It takes about a minute per "
            "few hundred chunks, and pitches and answers are incomplete while it runs."
        )
        with st.form("rebuild_form"):
            sure = st.checkbox("Yes, rebuild everything", key="rebuild_sure")
            go = st.form_submit_button("Rebuild", icon=":material/autorenew:")
        if go:
            if not sure:
                st.warning("Tick *Yes, rebuild everything* to confirm.")
            else:
                report = webui.with_progress(
                    lambda tick: work.rebuild(progress=tick), "Rebuilding…"
                )
                if report is not None:
                    st.session_state["knowledge_flash"] = ("ingest", report)
                    st.rerun()
