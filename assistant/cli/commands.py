"""The sales commands: ``ingest``, ``status``, ``ask``, ``pitch``, ``objection``, ``upsell``,
``personas`` and ``eval retrieval``. Each parses, calls the package and renders."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from assistant.cli.common import (
    EXIT_OK,
    EXIT_PARTIAL,
    Bars,
    emit,
    emit_result,
    knowledge_base,
    live,
    service,
)
from assistant.core.config import Settings
from assistant.core.errors import ConfigError


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.access.workspace import Workspace, local_user
    from assistant.index.kb import KnowledgeBase
    from assistant.service import Pitchcraft

    workspace = Workspace(Pitchcraft(KnowledgeBase(settings)), local_user())
    bars = Bars(enabled=sys.stderr.isatty() and not args.quiet)
    try:
        report = workspace.ingest(args.paths, args.prune, args.rebuild, bars, restrict=False)
    finally:
        bars.close()
    emit(args, report.to_json(), lambda _: _render_ingest(report))
    return EXIT_PARTIAL if report.failed else EXIT_OK


def _render_ingest(r: Any) -> str:
    lines = [r.summary()]
    for f in r.failed:
        lines.append(f"  FAILED  {f['path']}: {f['error']}")
    for w in r.warnings:
        lines.append(f"  warning {w['path']}: {w['warning']}")
    if r.skipped:
        lines.append(f"  {r.skipped_note()}")
    if r.missing:
        lines.append(
            f"  {len(r.missing)} document(s) whose files are gone are still indexed "
            "(use --prune to remove them): " + ", ".join(r.missing)
        )
    return "\n".join(lines)


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.index.kb import KnowledgeBase
    from assistant.index.status import kb_status

    kb = KnowledgeBase(settings)
    data = kb_status(kb.manifest, settings, kb.store.info.embed_model or settings.embed_model)
    emit(args, data, _render_status)
    return EXIT_OK


def _render_status(data: dict) -> str:
    rows = [
        f"{len(data['documents'])} documents, {data['chunks']} chunks "
        f"(embedding model: {data['embed_model']}); {data['stale']} stale",
        "",
    ]
    width = max((len(d["source"]) for d in data["documents"]), default=10)
    rows.append(f"{'source':<{width}}  {'type':<11} {'chunks':>6}  {'updated':<10}  ")
    for d in data["documents"]:
        flag = "STALE" if d["stale"] else ""
        rows.append(
            f"{d['source']:<{width}}  {d['doc_type']:<11} {d['chunks']:>6}  "
            f"{d['updated'] or '-':<10}  {flag}"
        )
    return "\n".join(rows)


def _filters(args: argparse.Namespace):
    import datetime as dt

    from assistant.index.filters import Filters

    min_days = None
    if getattr(args, "fresh_days", None):
        min_days = (dt.date.today() - dt.timedelta(days=args.fresh_days)).toordinal()
    return Filters(
        doc_types=tuple(args.doc_type or ()),
        products=tuple(args.product or ()),
        competitors=tuple(args.competitor_filter or ()),
        audience=args.audience,
        min_updated_days=min_days,
    )


def _add_filter_args(p: argparse.ArgumentParser) -> None:
    from assistant.core.records import AUDIENCES, DOC_TYPES

    g = p.add_argument_group("filters")
    g.add_argument("--doc-type", action="append", choices=DOC_TYPES, help="repeatable")
    g.add_argument("--product", action="append", help="repeatable; as in front-matter")
    g.add_argument(
        "--only-competitor",
        dest="competitor_filter",
        action="append",
        help="only documents about this competitor; repeatable",
    )
    g.add_argument("--audience", choices=AUDIENCES, help="customer-safe hides internal documents")
    g.add_argument("--fresh-days", type=int, help="only documents updated in the last N days")


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    app = service(settings)
    result = app.ask(args.question, k=args.k, filters=_filters(args), on_text=live(args, app))
    emit(args, result.to_json(), lambda _: _render_ask(result))
    return EXIT_OK


def _render_ask(result: Any) -> str:
    from assistant.core.results import render_markdown_sections

    lines = [f"**{result.question}**", "", result.answer, ""]
    if result.citations.items:
        lines.append(render_markdown_sections([], result.citations.items))
    for w in result.warnings:
        lines.append(f"warning: {w}")
    lines.append(f"\n(writer: {result.writer})")
    return "\n".join(lines)


def _eval_app(args: argparse.Namespace, settings: Settings, bars: Bars) -> Any:
    """The corpus ingested into a knowledge store of its own (reused across runs unless
    ``--kb`` is given), and the service over it."""
    import hashlib

    from assistant.index.kb import KnowledgeBase
    from assistant.ingest.pipeline import ingest
    from assistant.service import Pitchcraft

    corpus = Path(args.corpus)
    if not corpus.is_dir():
        raise ConfigError(f"--corpus {corpus} is not a folder")
    if not getattr(args, "kb", None):
        slug = hashlib.sha256(str(corpus.resolve()).encode()).hexdigest()[:8]
        settings = settings.model_copy(
            update={"kb": settings.kb / "eval" / f"{corpus.name}-{slug}"}
        )
    kb = KnowledgeBase(settings)
    report = ingest(kb, [corpus], progress=bars)
    if report.failed:
        print(f"pitchcraft: {len(report.failed)} corpus file(s) failed to ingest", file=sys.stderr)
    return Pitchcraft(kb)


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.evals import jobs
    from assistant.evals.retrieval import evaluate, load_questions, render_table

    inputs = {
        "retrieval": lambda: load_questions(Path(args.questions)),
        "pitch": lambda: jobs.load_scenarios(Path(args.scenarios)),
        "objections": lambda: jobs.load_objections(Path(args.file)),
    }
    items = inputs[args.what]()  # a bad file fails before anything is ingested
    bars = Bars(enabled=sys.stderr.isatty() and not args.json)
    try:
        app = _eval_app(args, settings, bars)
        corpus = str(args.corpus)
        if args.what == "retrieval":
            result = evaluate(app.kb, app.retriever, items, Path(corpus), progress=bars)
            render: Any = render_table
        elif args.what == "pitch":
            result = jobs.evaluate_pitches(app, items, corpus, progress=bars)
            render = jobs.render_report
        else:
            result = jobs.evaluate_objections(app, items, corpus, progress=bars)
            render = jobs.render_report
    finally:
        bars.close()
    emit(args, result.to_json(), lambda _: render(result))
    return EXIT_OK


def _deal_fields(app: Any, args: argparse.Namespace) -> tuple[Any, dict[str, str]]:
    """``--deal``: the persona, account context and competitor the deal gives, for whichever
    of them the command line does not (and which ones were used)."""
    if not getattr(args, "deal", None):
        return None, {}
    ctx = app.deals.context(args.deal)
    used = {k: v for k, v in ctx.used.items() if not getattr(args, k, None)}
    return ctx, used


def cmd_pitch(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.jobs.pitch import PitchRequest
    from assistant.service import from_deal

    app = service(settings)
    ctx, used = _deal_fields(app, args)
    persona = args.persona or (ctx.persona if ctx else "")
    if not persona:
        raise ConfigError(
            "give --persona (the deal names no buyer with a title)" if ctx else "give --persona"
        )
    request = PitchRequest(
        persona=persona,
        account=args.account or (ctx.account if ctx else ""),
        competitor=args.competitor or (ctx.competitor if ctx else None),
        company=args.company or "",
        n_features=args.features,
    )

    def run(sink: Any) -> Any:
        result = app.pitch(request, on_text=sink)
        return from_deal(result, ctx.deal, used) if ctx else result

    return emit_result(args, app, run)


def cmd_objection(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.jobs.objection import ObjectionRequest
    from assistant.service import from_deal

    app = service(settings)
    ctx, used = _deal_fields(app, args)
    used.pop("account", None)  # an objection takes no account context
    persona = args.persona or (ctx.persona if ctx else None) or None
    competitor = args.competitor or (ctx.competitor if ctx else None)
    request = ObjectionRequest(args.text, persona, competitor)

    def run(sink: Any) -> Any:
        result = app.objection(request, on_text=sink)
        return from_deal(result, ctx.deal, used) if ctx else result

    return emit_result(args, app, run)


def cmd_upsell(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.jobs.accounts import load_account

    account = load_account(Path(args.account_file))
    app = service(settings)
    return emit_result(args, app, lambda sink: app.upsell(account, on_text=sink))


def cmd_map(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.jobs.kbmap import knowledge_map, render_map

    emit(args, knowledge_map(knowledge_base(settings)), render_map)
    return EXIT_OK


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    """Run the app (Streamlit) on ``--host``; refused on a non-loopback address without
    sign-in configured (``.streamlit/secrets.toml``), unless PITCHCRAFT_ALLOW_OPEN_SERVER=1."""
    import os

    from assistant.access.server import read_auth, serving_problem
    from assistant.core.config import REPO_ROOT

    problem = serving_problem(args.host, read_auth(), settings.allow_open_server)
    if problem:
        raise ConfigError(problem)
    command = [
        sys.executable, "-m", "streamlit", "run", str(REPO_ROOT / "app.py"),
        "--server.address", args.host, "--server.port", str(args.port),
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    sys.stdout.flush()
    os.execv(sys.executable, command)
    return EXIT_OK  # not reached: the app replaces this process


def cmd_personas(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.personas.loading import load_personas

    personas = load_personas(settings.prompts_dir)
    data = [{"id": p.id, "title": p.title, "tone": p.tone} for p in personas.values()]
    emit(args, data, lambda d: "\n".join(f"{x['id']:<12} {x['title']:<36} {x['tone']}" for x in d))
    return EXIT_OK


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add the sales commands to the ``pitchcraft`` parser."""
    p = sub.add_parser("ingest", parents=[common], help="load or refresh documents")
    p.add_argument("paths", nargs="+", help="files or folders to ingest")
    p.add_argument("--prune", action="store_true", help="remove documents whose files are gone")
    p.add_argument("--rebuild", action="store_true", help="start the store over")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("status", parents=[common], help="documents, chunks and stale flags")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser(
        "map", parents=[common], help="what was understood of the documents, and the gaps"
    )
    p.set_defaults(func=cmd_map)

    p = sub.add_parser("ask", parents=[common], help="a cited answer, or 'not covered'")
    p.add_argument("question")
    p.add_argument("--k", type=int, default=5, help="results to retrieve (default 5)")
    _add_filter_args(p)
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("pitch", parents=[common], help="a persona-tailored, cited pitch")
    p.add_argument("--persona", help="persona id or any job title (or from --deal)")
    p.add_argument("--account", help="account context: situation, pains, systems")
    p.add_argument("--competitor", help="competitor in the deal")
    p.add_argument("--company", help="the prospect's company name")
    p.add_argument("--features", type=int, default=3, help="features to pick (default 3)")
    p.add_argument("--deal", help="take persona, account context and competitor from this deal")
    p.set_defaults(func=cmd_pitch)

    p = sub.add_parser("objection", parents=[common], help="handle an objection, with sources")
    p.add_argument("text", help="the objection, in the buyer's words")
    p.add_argument("--persona", help="persona id or job title of who raised it")
    p.add_argument("--competitor", help="competitor in the deal")
    p.add_argument("--deal", help="take persona and competitor from this deal")
    p.set_defaults(func=cmd_objection)

    p = sub.add_parser("upsell", parents=[common], help="an expansion narrative for an account")
    p.add_argument("--account-file", required=True, help="account YAML (examples/accounts/)")
    p.set_defaults(func=cmd_upsell)

    p = sub.add_parser("serve", parents=[common], help="run the web app (sign-in off loopback)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8501, help="port (default 8501)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("personas", parents=[common], help="built-in personas")
    p.set_defaults(func=cmd_personas)

    p = sub.add_parser("eval", parents=[common], help="measure retrieval, pitches, objections")
    ev = p.add_subparsers(dest="what", required=True, metavar="WHAT")
    for what, flag, help_text, file_help in (
        (
            "retrieval",
            "--questions",
            "dense, lexical, hybrid and the peer recipe side by side",
            "JSONL: question, sources, answer_contains, kind",
        ),
        (
            "pitch",
            "--scenarios",
            "pitches against scenarios (features, expected sources, competitor)",
            "JSONL: id, persona, account, competitor, must_cite_any",
        ),
        (
            "objections",
            "--file",
            "objection responses against their key points",
            "JSONL: id, objection, sources, key_points",
        ),
    ):
        p = ev.add_parser(what, parents=[common], help=help_text)
        p.add_argument("--corpus", required=True, help="folder of documents")
        p.add_argument(flag, required=True, help=file_help)
        p.set_defaults(func=cmd_eval)
