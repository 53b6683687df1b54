"""The CLI's JSON for a fixed set of requests, to show that a refactor changed no behaviour.

    python scripts/cli_snapshot.py OUT.json              # write a snapshot
    python scripts/cli_snapshot.py OUT.json --compare A  # write, then diff against snapshot A

Every request runs in one process through ``assistant.cli:main`` (one model load) against
fresh knowledge stores of ``knowledge/`` and, when ``../shared`` is present, the PostHog corpus.
Timings and timestamps are masked; everything else must be identical.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POSTHOG = ROOT.parent / "shared" / "corpora" / "posthog"
MASKED = {"seconds", "ingested_at", "answered_at", "created", "ms_per_query"}

COACH_TEXT = (
    "Keelstone Vault gives you single sign-on and automated access reviews. "
    "Our platform is guaranteed to be the fastest on the market and saves 90% of audit time. "
    "We leverage a synergistic microservices paradigm. Shall we book a demo?"
)

KNOWLEDGE_REQUESTS: list[tuple[str, list[str]]] = [
    ("status", ["status"]),
    ("personas", ["personas"]),
    ("ask-rpo", ["ask", "What are the RPO and RTO?"]),
    ("ask-price", ["ask", "How much does Keelstone Lens cost?"]),
    ("ask-competitor", ["ask", "What does Stratavia charge?"]),
    ("ask-unknown", ["ask", "Does Keelstone support Japan data residency for an outside LLM?"]),
    ("ask-filter", ["ask", "How is customer data encrypted?", "--doc-type", "security"]),
    ("pitch-cio", ["pitch", "--persona", "cio", "--competitor", "Stratavia"]),
    (
        "pitch-head-it",
        [
            "pitch",
            "--persona",
            "Head of IT",
            "--competitor",
            "Stratavia",
            "--account",
            "Regional bank, legacy core banking system on-prem, audit findings on access reviews",
        ],
    ),
    ("pitch-cmo", ["pitch", "--persona", "cmo", "--competitor", "Brightfold"]),
    ("pitch-cfo", ["pitch", "--persona", "Chief Financial Officer", "--competitor", "Pipewell"]),
    ("pitch-odd-title", ["pitch", "--persona", "Director of Data Platform"]),
    ("pitch-unknown-competitor", ["pitch", "--persona", "ciso", "--competitor", "Nobody Inc"]),
    (
        "objection-price",
        [
            "objection",
            "Pipewell is way cheaper than you",
            "--persona",
            "cfo",
            "--competitor",
            "Pipewell",
        ],
    ),
    ("objection-security", ["objection", "We are worried about where our data is stored"]),
    (
        "objection-connectors",
        ["objection", "Stratavia is cheaper and we already have their connectors."],
    ),
    ("upsell-northbay", ["upsell", "--account-file", "examples/accounts/northbay-logistics.yaml"]),
    ("upsell-harbor", ["upsell", "--account-file", "examples/accounts/harbor-savings-bank.yaml"]),
    ("quiz", ["quiz", "--n", "10", "--seed", "7", "--learner", "snapshot"]),
    ("quiz-topic", ["quiz", "--n", "5", "--seed", "3", "--topic", "Stratavia", "--learner", "s2"]),
    ("drill", ["drill", "--seed", "5", "--learner", "snapshot"]),
    (
        "drill-answer",
        [
            "drill",
            "--seed",
            "5",
            "--learner",
            "snapshot",
            "--persona",
            "cfo",
            "--answer",
            "I understand the price matters. The real question is total cost. "
            "Customers cut audit prep by 60%. What would a failed audit cost you?",
        ],
    ),
    ("progress", ["progress", "--learner", "snapshot"]),
]

POSTHOG_REQUESTS: list[tuple[str, list[str]]] = [
    ("ph-ask", ["ask", "How long is session replay data retained?"]),
    ("ph-pitch", ["pitch", "--persona", "cto", "--competitor", "LaunchDarkly"]),
    ("ph-objection", ["objection", "You are too expensive compared to Amplitude"]),
    ("ph-quiz", ["quiz", "--n", "6", "--seed", "2", "--learner", "ph"]),
]


def _mask(value: object) -> object:
    if isinstance(value, dict):
        return {k: ("*" if k in MASKED else _mask(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v) for v in value]
    return value


def _run(argv: list[str]) -> object:
    from assistant.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--json", *argv])
    try:
        data: object = json.loads(out.getvalue())
    except ValueError:
        data = out.getvalue()
    return {"exit": code, "stderr": err.getvalue().strip(), "json": _mask(data)}


def snapshot(work: Path) -> dict[str, object]:
    os.chdir(ROOT)
    results: dict[str, object] = {}
    kb = work / "knowledge-kb"
    results["ingest"] = _run(["--kb", str(kb), "ingest", "knowledge", "--quiet"])
    coach = work / "pitch.txt"
    coach.write_text(COACH_TEXT)
    requests = [
        *KNOWLEDGE_REQUESTS,
        ("coach", ["coach", str(coach), "--persona", "ciso", "--competitor", "Stratavia"]),
    ]
    for name, argv in requests:
        print(name, file=sys.stderr)
        results[name] = _run(["--kb", str(kb), *argv])
    results.update(_llm_snapshot(kb, coach))
    if POSTHOG.is_dir():
        ph = work / "posthog-kb"
        results["ph-ingest"] = _run(["--kb", str(ph), "ingest", str(POSTHOG), "--quiet"])
        for name, argv in POSTHOG_REQUESTS:
            print(name, file=sys.stderr)
            results[name] = _run(["--kb", str(ph), *argv])
    return results


LLM_REPLY = json.dumps(
    {
        "sections": [
            {"title": "Answer", "text": "It is covered [1]. Also [2].", "customer_facing": True}
        ]
    }
)
LLM_REQUESTS: list[tuple[str, list[str]]] = [
    ("llm-ask", ["ask", "What are the RPO and RTO?"]),
    ("llm-pitch", ["pitch", "--persona", "cio", "--competitor", "Stratavia"]),
    ("llm-objection", ["objection", "Pipewell is way cheaper than you", "--persona", "cfo"]),
    ("llm-upsell", ["upsell", "--account-file", "examples/accounts/northbay-logistics.yaml"]),
]


def _llm_snapshot(kb: Path, coach: Path) -> dict[str, object]:
    """The same jobs through the LLM writer against the scripted server in ``tests/``: the
    prompts it receives and the results it yields."""
    sys.path.insert(0, str(ROOT / "tests"))
    from fake_openai import FakeOpenAI, reply

    out: dict[str, object] = {}
    with FakeOpenAI() as server:
        os.environ["OPENAI_BASE_URL"] = server.base_url
        os.environ["PITCHCRAFT_LLM"] = "auto"
        try:
            for name, argv in LLM_REQUESTS:
                print(name, file=sys.stderr)
                server.script(reply(LLM_REPLY))
                result = _run(["--kb", str(kb), *argv])
                if isinstance(result["json"], dict):
                    result["json"].pop("writer_note", None)
                out[name] = {
                    "result": result,
                    "prompt": [r.messages for r in server.chat_requests[-1:]],
                }
        finally:
            os.environ.pop("OPENAI_BASE_URL")
            os.environ["PITCHCRAFT_LLM"] = "offline"
    return out


def _diff(a: object, b: object, where: str = "") -> list[str]:
    if type(a) is not type(b):
        return [f"{where}: {a!r:.120} != {b!r:.120}"]
    if isinstance(a, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                out.append(f"{where}.{k}: only in {'new' if k in b else 'old'}")
            else:
                out += _diff(a[k], b[k], f"{where}.{k}")
        return out
    if isinstance(a, list):
        if len(a) != len(b):
            return [f"{where}: {len(a)} items != {len(b)} items"]
        return [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in _diff(x, y, f"{where}[{i}]")
        ]
    return [] if a == b else [f"{where}: {a!r:.200} != {b!r:.200}"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--compare", type=Path, help="an earlier snapshot to diff against")
    args = parser.parse_args()
    out = args.out.resolve()
    os.environ.setdefault("PITCHCRAFT_LLM", "offline")
    os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp()
    with tempfile.TemporaryDirectory() as work:
        data = snapshot(Path(work))
    out.write_text(json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False))
    print(f"wrote {out} ({len(data)} requests)")
    if args.compare:
        old = json.loads(args.compare.read_text())
        diffs = _diff(old, data)
        for d in diffs[:60]:
            print(d)
        print(f"{len(diffs)} difference(s) against {args.compare}")
        return 1 if diffs else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
