"""``pitchcraft deal log | show | import | list`` and ``pitchcraft pipeline``: the deal room.

Like the other command modules these only parse, call the package and render. Deals live in
``<kb>/deals.sqlite``; logging a meeting needs no ingested documents (the close plan does).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any

from assistant.cli.common import EXIT_OK, EXIT_PARTIAL, emit
from assistant.core.config import Settings
from assistant.core.errors import DealError


def room(settings: Settings) -> Any:
    """The deal room as the local user's workspace: every change is in the audit log."""
    from assistant.access.workspace import Workspace, local_user
    from assistant.index.kb import KnowledgeBase
    from assistant.service import Pitchcraft

    return Workspace(Pitchcraft(KnowledgeBase(settings)), local_user())


def _read(path: str, what: str) -> tuple[bytes, str]:
    if path == "-":
        return sys.stdin.buffer.read(), "stdin"
    try:
        return Path(path).read_bytes(), path
    except IsADirectoryError:
        raise DealError(f"{path}: is a folder, not a {what} file") from None
    except OSError as exc:
        raise DealError(f"{path}: cannot read the {what} ({exc.strerror})") from None


def _date(value: str | None, flag: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise DealError(f"{flag} {value!r} is not a date (YYYY-MM-DD)") from None


def cmd_log(args: argparse.Namespace, settings: Settings) -> int:
    data, source = _read(args.notes, "notes")
    logged = room(settings).log(args.deal, data, source, _date(args.date, "--date"), args.account)
    for w in logged.warnings:
        print(f"pitchcraft: {w}", file=sys.stderr)
    emit(args, logged.to_json(), _render_log)
    return EXIT_OK if logged.read else EXIT_PARTIAL  # stored, but not read


def cmd_show(args: argparse.Namespace, settings: Settings) -> int:
    data = room(settings).show(args.deal, _date(args.as_of, "--as-of"))
    emit(args, data, _render_show)
    return EXIT_OK


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    data, source = _read(args.file, "CSV")
    report = room(settings).import_crm(data, Path(source).name)
    emit(args, report.to_json(), _render_import)
    return EXIT_PARTIAL if report.skipped else EXIT_OK


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    data = room(settings).pipeline(_date(args.as_of, "--as-of"))["deals"]
    emit(args, data, _render_list)
    return EXIT_OK


def cmd_pipeline(args: argparse.Namespace, settings: Settings) -> int:
    data = room(settings).pipeline(
        _date(args.as_of, "--as-of"), quota=args.quota, quarter=args.quarter, currency=args.currency
    )
    emit(args, data, _render_pipeline)
    return EXIT_OK


# -- rendering ------------------------------------------------------------------------------------
def _money(amount: Any, currency: str = "") -> str:
    return f"{amount:,.0f} {currency}".strip() if isinstance(amount, int | float) else "—"


def _render_log(d: dict[str, Any]) -> str:
    m = d["meeting"]
    head = "Logged" if d["created"] else "Already logged"
    lines = [f"# {head}: {d['deal']}, meeting of {m['date']}", "", m["summary"], ""]
    if d["signals"]:
        lines.append("## What the notes say")
        lines += [
            f"- **{s['field'].replace('_', ' ')}** ({s['speaker']}): {s['value']} — “{s['quote']}”"
            for s in d["signals"]
        ]
    if m["next_steps"]:
        lines += ["", "## Next steps"]
        lines += [
            f"- {s['text']}"
            + (f" — {s['owner']}" if s["owner"] else "")
            + (f", due {s['due']}" if s["due"] else "")
            for s in m["next_steps"]
        ]
    lines.append(f"\n(extracted by: {d['extracted_by']})")
    return "\n".join(lines)


def _render_show(d: dict[str, Any]) -> str:
    deal, f = d["deal"], d["forecast"]
    lines = [
        f"# {deal['name']} — {deal['account']}",
        "",
        f"Stage {deal['stage'] or '—'} · {_money(deal['amount'], deal['currency'])} · "
        f"close {deal['close_date'] or '—'} · owner {deal['owner'] or '—'} · "
        f"competitor {deal['competitor'] or '—'}",
        "",
        f"## Forecast: {f['category'].replace('_', ' ')}",
        f"_{f['why']}_",
    ]
    lines += [f"- ✔ {s['text']}: “{s['quote']}” ({s['date']})" for s in f["signs_for"]]
    lines += [f"- ✖ {s['text']}: “{s['quote']}” ({s['date']})" for s in f["signs_against"]]
    if f["missing"]:
        lines.append(f"- missing: {', '.join(f['missing'])}")
    lines += ["", "## Qualification"]
    for name, q in d["qualification"].items():
        label = name.replace("_", " ")
        lines.append(
            f"- **{label}**: {q['value']} — “{q['quote']}” ({q['speaker']}, {q['date']})"
            if q
            else f"- **{label}**: —"
        )
    if d["changes"]:
        lines += ["", "## Since the last meeting"] + [f"- {c}" for c in d["changes"]]
    if d["stakeholders"]:
        lines += ["", "## Stakeholders"]
        lines += [
            f"- {s['name']} ({s['title'] or 'no title'}): {s['role']}, {s['stance']}"
            for s in d["stakeholders"]
        ]
    if d["close_plan"]:
        lines += ["", "## Close plan"]
        for p in d["close_plan"]:
            who = p["involve"] or "no team named in the knowledge base"
            late = " (overdue)" if p["overdue"] else ""
            cites = "; ".join(f"{c['source']}: “{c['quote']}”" for c in p["citations"])
            lines.append(
                f"- {p['step']}: involve {who}, start by {p['when']}{late}"
                + (f" — {cites}" if cites else "")
            )
    if d["risks"]:
        lines += ["", "## Open risks"]
        lines += [
            f"- [{r['level']}] {r['quote']}" + (f" ({r['date']})" if r["date"] else "")
            for r in d["risks"]
        ]
    if d["next_steps"]:
        lines += ["", "## Next steps"]
        lines += [
            f"- {s['text']}" + (f" (due {s['due']})" if s["due"] else "") for s in d["next_steps"]
        ]
    return "\n".join(lines)


def _render_import(d: dict[str, Any]) -> str:
    lines = [f"Added {len(d['added'])}, updated {len(d['updated'])}, skipped {len(d['skipped'])}."]
    lines += [f"- row {s['row']} ({s['name'] or 'no name'}): {s['reason']}" for s in d["skipped"]]
    if d["ignored_columns"]:
        lines.append(f"Columns not read: {', '.join(d['ignored_columns'])}")
    return "\n".join(lines)


def _render_list(deals: list[dict[str, Any]]) -> str:
    if not deals:
        return "No deals yet: `pitchcraft deal log DEAL --notes FILE --account A` or `deal import`."
    return "\n".join(
        f"- {x['name']} ({x['account']}): {x['category'].replace('_', ' ')}, "
        f"{_money(x['amount'], x['currency'])}, close {x['close_date'] or '—'}, "
        f"{x['meetings']} meeting(s)"
        for x in deals
    )


def _render_pipeline(d: dict[str, Any]) -> str:
    lines = [
        f"# Pipeline as of {d['as_of']} ({d['currency'] or 'no amounts'})",
        "",
        "| quarter | commit | best case | pipeline | won | not qualified | coverage |",
        "|---|---|---|---|---|---|---|",
    ]
    for q in d["quarters"]:
        cov = f"{q['coverage']:.2f}×" if q["coverage"] is not None else "—"
        lines.append(
            f"| {q['quarter']} | {q['commit']:,.0f} | {q['best_case']:,.0f} | {q['pipeline']:,.0f} "
            f"| {q['closed_won']:,.0f} | {q['omitted']:,.0f} | {cov} |"
        )
    if d["flags"]:
        lines += ["", "## Flags"] + [
            f"- {f['deal'] or 'pipeline'}: {f['flag']} — {f['why']}" for f in d["flags"]
        ]
    return "\n".join(lines)


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``deal`` and ``pipeline`` to the ``pitchcraft`` parser."""
    p = sub.add_parser("deal", parents=[common], help="the deal room: log meetings, show a deal")
    deal = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    q = deal.add_parser("log", parents=[common], help="log a meeting's notes (creates the deal)")
    q.add_argument("deal", help="the deal's name (or number)")
    q.add_argument("--notes", required=True, help="notes file, or - for stdin")
    q.add_argument("--date", help="meeting date YYYY-MM-DD (default: the notes' Date: line, today)")
    q.add_argument("--account", help="the account, for a new deal")
    q.set_defaults(func=cmd_log)
    q = deal.add_parser("show", parents=[common], help="record, forecast call, close plan")
    q.add_argument("deal", help="the deal's name, number or account")
    q.add_argument("--as-of", help="judge as of this date (default: today)")
    q.set_defaults(func=cmd_show)
    q = deal.add_parser("import", parents=[common], help="deals from a CRM CSV export")
    q.add_argument("file", help="Salesforce or HubSpot CSV export, or - for stdin")
    q.set_defaults(func=cmd_import)
    q = deal.add_parser("list", parents=[common], help="every deal with its forecast call")
    q.add_argument("--as-of", help="judge as of this date (default: today)")
    q.set_defaults(func=cmd_list)

    p = sub.add_parser("pipeline", parents=[common], help="forecast totals per quarter and flags")
    p.add_argument("--quarter", help="one quarter, e.g. 2026-Q4")
    p.add_argument("--quota", type=float, help="quota for the coverage figure")
    p.add_argument("--currency", help="totals in this currency (default: the most common)")
    p.add_argument("--as-of", help="judge as of this date (default: today)")
    p.set_defaults(func=cmd_pipeline)
