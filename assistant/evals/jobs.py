"""Pitch and objection evaluation on a labelled corpus: ``scenarios.jsonl`` and
``objections.jsonl`` (the formats of ``../shared/corpora/*/``), scored the same way for every
writer.

A pitch passes when it has at least three features each with a why, cites at least one of the
scenario's expected sources, has a competitor section whenever the knowledge base compares the
vendor with that competitor, quotes every source verbatim and states no number its cited
sources lack. An objection response is scored by the share of key points it says (as phrases
of its text, rep-only coaching included: the response is for the rep) in a cited sentence,
and, apart, by the share its customer-facing sections say.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.core.errors import ConfigError
from assistant.core.results import CITE_RE, Result
from assistant.core.text import normalize, sentences
from assistant.jobs.objection import ObjectionRequest
from assistant.jobs.pitch import PitchRequest
from assistant.service import Pitchcraft
from assistant.writers.sources import pack_sources

MIN_FEATURES = 3


def _jsonl(path: Path, required: Sequence[str]) -> list[dict[str, Any]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    out = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError as exc:
            raise ConfigError(f"{path}:{n}: not JSON ({exc})") from None
        missing = [k for k in required if k not in item]
        if missing:
            raise ConfigError(f"{path}:{n}: missing {', '.join(missing)}")
        out.append(item)
    return out


def load_scenarios(path: Path) -> list[dict[str, Any]]:
    """``{id, persona, account, competitor, must_cite_any}`` per line."""
    return _jsonl(path, ("id", "persona"))


def load_objections(path: Path) -> list[dict[str, Any]]:
    """``{id, objection, sources, key_points}`` per line."""
    return _jsonl(path, ("id", "objection", "key_points"))


def _quotes_verbatim(app: Pitchcraft, result: Result) -> bool:
    chunks = {c.id: c for c in app.kb.manifest.chunks([c.chunk_id for c in result.citations.items])}
    return all(
        c.chunk_id in chunks and _spaced(c.quote) in _spaced(chunks[c.chunk_id].text)
        for c in result.citations.items
    )


def _spaced(text: str) -> str:
    """Text with every run of white space as one space: a hard-wrapped source line is the
    same words as the quote that joins it."""
    return " ".join(text.split())


@dataclass
class JobReport:
    kind: str  # "pitch" | "objections"
    corpus: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    summary: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "corpus": self.corpus, **self.summary, "rows": self.rows}


def evaluate_pitches(
    app: Pitchcraft,
    scenarios: Sequence[dict[str, Any]],
    corpus: str = "",
    progress: Callable[[str, int, int], None] | None = None,
) -> JobReport:
    report = JobReport("pitch", corpus)
    for n, s in enumerate(scenarios, 1):
        if progress:
            progress("pitch", n, len(scenarios))
        request = PitchRequest(
            persona=s["persona"], account=s.get("account") or "", competitor=s.get("competitor")
        )
        result = app.pitch(request)
        features = result.extra["features"]
        sources = {c.source for c in result.citations.items}
        expected = set(s.get("must_cite_any") or ())
        compared = app.kb.resolve_competitor(s.get("competitor"))
        has_section = any(sec.title.startswith("Versus ") for sec in result.sections)
        row = {
            "id": s["id"],
            "persona": result.extra["persona"]["title"],
            "features": len(features),
            "features_with_why": sum(bool(f["why"]) for f in features),
            "cited_expected": bool(sources & expected) if expected else None,
            "competitor": s.get("competitor"),
            "competitor_compared": compared,
            "competitor_section": has_section,
            "verbatim": _quotes_verbatim(app, result),
            "unsupported_numbers": result.scores.get("unsupported_numbers", 0),
            "warnings": result.warnings,
        }
        row["passed"] = bool(
            row["features"] >= MIN_FEATURES
            and row["features_with_why"] == row["features"]
            and row["cited_expected"] is not False
            and (has_section or not compared)
            and row["verbatim"]
            and not row["unsupported_numbers"]
        )
        report.rows.append(row)
    rows = report.rows
    total = max(1, len(rows))
    report.summary = {
        "scenarios": len(rows),
        "passed": sum(r["passed"] for r in rows),
        "with_3_features": sum(r["features"] >= MIN_FEATURES for r in rows) / total,
        "cited_expected": sum(bool(r["cited_expected"]) for r in rows) / total,
        "competitor_sections": sum(
            r["competitor_section"] for r in rows if r["competitor_compared"]
        )
        / max(1, sum(bool(r["competitor_compared"]) for r in rows)),
        "verbatim": sum(r["verbatim"] for r in rows) / total,
        "unsupported_numbers": sum(r["unsupported_numbers"] for r in rows),
    }
    return report


def _cited_sentence_with(text: str, phrase: str) -> str | None:
    """The cited sentence of ``text`` that says ``phrase`` (case and spacing ignored)."""
    want = normalize(phrase)
    for sent in sentences(text):
        if want in normalize(sent) and CITE_RE.search(sent):
            return sent
    return None


def evaluate_objections(
    app: Pitchcraft,
    objections: Sequence[dict[str, Any]],
    corpus: str = "",
    progress: Callable[[str, int, int], None] | None = None,
) -> JobReport:
    report = JobReport("objections", corpus)
    covered = customer = given_total = total = 0
    for n, o in enumerate(objections, 1):
        if progress:
            progress("objections", n, len(objections))
        request = ObjectionRequest(o["objection"])
        plan = app.plan_objection(request)
        result = app.objection(request, plan=plan)
        text = "\n".join(s.text for s in result.sections)
        # What an LLM writer would read: the sections the plan hands it, whole, as many as
        # its token budget holds.
        settings = app.settings
        packed = pack_sources(plan.all_evidence(), settings.llm_context_tokens, settings.model)
        sources = _spaced(" ".join(s.text for s in packed.sources))
        said = "\n".join(s.text for s in result.sections if s.customer_facing)
        points = {p: _cited_sentence_with(text, p) for p in o["key_points"]}
        cited_sources = {c.source for c in result.citations.items}
        row = {
            "id": o["id"],
            "key_points": len(points),
            "covered": [p for p, s in points.items() if s],
            "covered_customer_facing": [p for p in points if _cited_sentence_with(said, p)],
            "missed": [p for p, s in points.items() if not s],
            "in_sources_given": [p for p in points if normalize(p) in normalize(sources)],
            "abstained": result.extra.get("abstained", False),
            "expected_source_cited": bool(cited_sources & set(o.get("sources") or ())),
            "verbatim": _quotes_verbatim(app, result),
            "warnings": result.warnings,
        }
        covered += len(row["covered"])
        customer += len(row["covered_customer_facing"])
        given_total += len(row["in_sources_given"])
        total += len(points)
        report.rows.append(row)
    rows = report.rows
    report.summary = {
        "objections": len(rows),
        "key_points": total,
        "key_points_covered": covered,
        "key_point_share": round(covered / total, 3) if total else 0.0,
        "key_point_share_customer_facing": round(customer / total, 3) if total else 0.0,
        # The ceiling for any writer, an LLM too: the key points in the sources it is given.
        "key_point_share_in_sources": round(given_total / total, 3) if total else 0.0,
        "answered": sum(not r["abstained"] for r in rows),
        "expected_source_cited": sum(r["expected_source_cited"] for r in rows),
        "verbatim": sum(r["verbatim"] for r in rows) / max(1, len(rows)),
    }
    return report


def render_report(report: JobReport) -> str:
    """A short table for the terminal."""
    lines = [f"{report.kind} on {report.corpus}"]
    for key, value in report.summary.items():
        shown = f"{value:.3f}" if isinstance(value, float) else str(value)
        lines.append(f"  {key:<24} {shown}")
    lines.append("")
    for r in report.rows:
        if report.kind == "pitch":
            mark = "pass" if r["passed"] else "FAIL"
            lines.append(
                f"  {mark} {r['id']:<8} features {r['features']} · expected source "
                f"{r['cited_expected']} · competitor {r['competitor'] or '-'} "
                f"(compared: {bool(r['competitor_compared'])}, section: {r['competitor_section']})"
                f" · verbatim {r['verbatim']} · unsupported numbers {r['unsupported_numbers']}"
            )
        else:
            share = f"{len(r['covered'])}/{r['key_points']}"
            lines.append(f"  {r['id']:<8} key points {share} · abstained {r['abstained']}")
            lines += [f"      missed: {' '.join(p.split())}" for p in r["missed"]]
    return "\n".join(lines)
