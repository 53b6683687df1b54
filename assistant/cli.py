"""``pitchcraft`` command line: parse, call the package, render. No business logic here."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import __version__
from .config import Settings
from .errors import ConfigError, LockedError, PitchcraftError

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE = 0, 1, 2


class _Bars:
    """tqdm bars on stderr, one per stage, only when stderr is a terminal."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._bars: dict[str, Any] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled or total <= 0:
            return
        from tqdm import tqdm

        bar = self._bars.get(stage)
        if bar is None:
            unit = {"files": "file", "embedding": "chunk"}.get(stage, "step")
            bar = self._bars[stage] = tqdm(
                total=total, desc=stage, unit=unit, file=sys.stderr, leave=True, dynamic_ncols=True
            )
        bar.total = total
        bar.update(done - bar.n)

    def close(self) -> None:
        for bar in self._bars.values():
            bar.close()


def _emit(args: argparse.Namespace, data: Any, render: Callable[[Any], str]) -> None:
    if args.json:
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
    else:
        sys.stdout.write(render(data).rstrip() + "\n")


# -- commands ---------------------------------------------------------------------------------


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from .kb import KnowledgeBase
    from .sync import ingest

    kb = KnowledgeBase(settings)
    bars = _Bars(enabled=sys.stderr.isatty() and not args.quiet)
    try:
        report = ingest(
            kb, [Path(p) for p in args.paths], prune=args.prune, rebuild=args.rebuild, progress=bars
        )
    finally:
        bars.close()
    _emit(args, report.to_json(), lambda _: _render_ingest(report))
    return EXIT_PARTIAL if report.failed else EXIT_OK


def _render_ingest(r: Any) -> str:
    lines = [r.summary()]
    for f in r.failed:
        lines.append(f"  FAILED  {f['path']}: {f['error']}")
    for w in r.warnings:
        lines.append(f"  warning {w['path']}: {w['warning']}")
    if r.missing:
        lines.append(
            f"  {len(r.missing)} document(s) whose files are gone are still indexed "
            "(use --prune to remove them): " + ", ".join(r.missing)
        )
    return "\n".join(lines)


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    from .kb import KnowledgeBase
    from .status import kb_status

    kb = KnowledgeBase(settings)
    data = kb_status(kb.manifest, settings, kb.store.info.embed_model or settings.embed_model)
    _emit(args, data, _render_status)
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

    from .store import Filters

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
    from .records import AUDIENCES, DOC_TYPES

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


def _live(args: argparse.Namespace, app: Any):
    """Print prose as an LLM writes it (terminal, Markdown output only)."""
    if args.json or not sys.stdout.isatty() or app.writer.name == "offline":
        return None

    def sink(text: str) -> None:
        sys.stdout.write(text)
        sys.stdout.flush()

    return sink


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    app = _service(settings)
    result = app.ask(args.question, k=args.k, filters=_filters(args), on_text=_live(args, app))
    _emit(args, result.to_json(), lambda _: _render_ask(result))
    return EXIT_OK


def _require_content(kb: Any) -> None:
    if kb.is_empty():
        raise ConfigError(f"the knowledge store {kb.root} is empty; run `pitchcraft ingest PATH`")


def _render_ask(result: Any) -> str:
    from .results import render_markdown_sections

    lines = [f"**{result.question}**", "", result.answer, ""]
    if result.citations.items:
        lines.append(render_markdown_sections([], result.citations.items))
    for w in result.warnings:
        lines.append(f"warning: {w}")
    lines.append(f"\n(writer: {result.writer})")
    return "\n".join(lines)


def cmd_eval_retrieval(args: argparse.Namespace, settings: Settings) -> int:
    import hashlib

    from .evaluation import evaluate, load_questions, render_table
    from .kb import KnowledgeBase
    from .retrieval import Retriever
    from .sync import ingest

    corpus = Path(args.corpus)
    if not corpus.is_dir():
        raise ConfigError(f"--corpus {corpus} is not a folder")
    questions = load_questions(Path(args.questions))
    if not getattr(args, "kb", None):  # a KB of its own per corpus, reused across runs
        slug = hashlib.sha256(str(corpus.resolve()).encode()).hexdigest()[:8]
        settings = settings.model_copy(
            update={"kb": settings.kb / "eval" / f"{corpus.name}-{slug}"}
        )
    kb = KnowledgeBase(settings)
    bars = _Bars(enabled=sys.stderr.isatty() and not args.json)
    try:
        report = ingest(kb, [corpus], progress=bars)
        if report.failed:
            print(
                f"pitchcraft: {len(report.failed)} corpus file(s) failed to ingest", file=sys.stderr
            )
        result = evaluate(kb, Retriever(kb), questions, corpus, progress=bars)
    finally:
        bars.close()
    _emit(args, result.to_json(), lambda _: render_table(result))
    return EXIT_OK


def _service(settings: Settings):
    from .kb import KnowledgeBase
    from .service import Pitchcraft

    kb = KnowledgeBase(settings)
    _require_content(kb)
    return Pitchcraft(kb)


def cmd_pitch(args: argparse.Namespace, settings: Settings) -> int:
    from .planner import PitchRequest

    app = _service(settings)
    request = PitchRequest(
        persona=args.persona,
        account=args.account or "",
        competitor=args.competitor,
        company=args.company or "",
        n_features=args.features,
    )
    live = _live(args, app)
    result = app.pitch(request, on_text=live)
    title = f"Pitch for {result.extra['persona']['title']}"
    _emit(args, result.to_json(), lambda _: result.to_markdown(title, prose=live is None))
    return EXIT_OK


def cmd_objection(args: argparse.Namespace, settings: Settings) -> int:
    from .objection import ObjectionRequest

    app = _service(settings)
    live = _live(args, app)
    result = app.objection(ObjectionRequest(args.text, args.persona, args.competitor), live)
    title = f"Objection: {args.text}"
    _emit(args, result.to_json(), lambda _: result.to_markdown(title, prose=live is None))
    return EXIT_OK


def cmd_upsell(args: argparse.Namespace, settings: Settings) -> int:
    from .upsell import load_account

    account = load_account(Path(args.account_file))
    app = _service(settings)
    live = _live(args, app)
    result = app.upsell(account, on_text=live)
    title = f"Expansion: {account.account}"
    _emit(args, result.to_json(), lambda _: result.to_markdown(title, prose=live is None))
    return EXIT_OK


def cmd_personas(args: argparse.Namespace, settings: Settings) -> int:
    from .personas import load_personas

    personas = load_personas(settings.prompts_dir)
    data = [{"id": p.id, "title": p.title, "tone": p.tone} for p in personas.values()]
    _emit(args, data, lambda d: "\n".join(f"{x['id']:<12} {x['title']:<36} {x['tone']}" for x in d))
    return EXIT_OK


# -- parser -----------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--kb",
        type=Path,
        default=argparse.SUPPRESS,
        help="knowledge store folder (env PITCHCRAFT_KB)",
    )
    common.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS,
        help="machine-readable output on stdout",
    )
    parser = argparse.ArgumentParser(
        prog="pitchcraft",
        parents=[common],
        description="Grounded, persona-aware pitches and enablement from your own documents.",
    )
    parser.add_argument("--version", action="version", version=f"pitchcraft {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("ingest", parents=[common], help="load or refresh documents")
    p.add_argument("paths", nargs="+", help="files or folders to ingest")
    p.add_argument("--prune", action="store_true", help="remove documents whose files are gone")
    p.add_argument("--rebuild", action="store_true", help="start the store over")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("status", parents=[common], help="documents, chunks and stale flags")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("ask", parents=[common], help="a cited answer, or 'not covered'")
    p.add_argument("question")
    p.add_argument("--k", type=int, default=5, help="results to retrieve (default 5)")
    _add_filter_args(p)
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("pitch", parents=[common], help="a persona-tailored, cited pitch")
    p.add_argument("--persona", required=True, help="persona id or any job title")
    p.add_argument("--account", help="account context: situation, pains, systems")
    p.add_argument("--competitor", help="competitor in the deal")
    p.add_argument("--company", help="the prospect's company name")
    p.add_argument("--features", type=int, default=3, help="features to pick (default 3)")
    p.set_defaults(func=cmd_pitch)

    p = sub.add_parser("objection", parents=[common], help="handle an objection, with sources")
    p.add_argument("text", help="the objection, in the buyer's words")
    p.add_argument("--persona", help="persona id or job title of who raised it")
    p.add_argument("--competitor", help="competitor in the deal")
    p.set_defaults(func=cmd_objection)

    p = sub.add_parser("upsell", parents=[common], help="an expansion narrative for an account")
    p.add_argument("--account-file", required=True, help="account YAML (examples/accounts/)")
    p.set_defaults(func=cmd_upsell)

    p = sub.add_parser("personas", parents=[common], help="built-in personas")
    p.set_defaults(func=cmd_personas)

    from .cli_training import register as register_training

    register_training(sub, common)

    p = sub.add_parser("eval", parents=[common], help="measure retrieval quality")
    ev = p.add_subparsers(dest="what", required=True, metavar="WHAT")
    p = ev.add_parser(
        "retrieval",
        parents=[common],
        help="dense, lexical, hybrid and the peer recipe side by side",
    )
    p.add_argument("--corpus", required=True, help="folder of documents")
    p.add_argument("--questions", required=True, help="JSONL: question, sources, answer_contains")
    p.set_defaults(func=cmd_eval_retrieval)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.json = getattr(args, "json", False)
    try:
        settings = Settings(**({"kb": args.kb} if getattr(args, "kb", None) else {}))
    except ValueError as exc:
        print(f"pitchcraft: configuration error: {str(exc).splitlines()[0]}", file=sys.stderr)
        return EXIT_USAGE
    try:
        return args.func(args, settings)
    except LockedError as exc:
        print(f"pitchcraft: {exc}", file=sys.stderr)
        return EXIT_PARTIAL
    except PitchcraftError as exc:
        print(f"pitchcraft: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("pitchcraft: interrupted", file=sys.stderr)
        return 130
