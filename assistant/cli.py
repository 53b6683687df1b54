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
from .errors import LockedError, PitchcraftError

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
    lines = [
        f"Ingested in {r.seconds:.1f}s: {len(r.added)} added, {len(r.updated)} updated, "
        f"{len(r.unchanged)} unchanged, {len(r.removed)} removed, {len(r.failed)} failed; "
        f"{r.embedded} chunks embedded, {r.chunks} chunks in the store."
    ]
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
