"""``pitchcraft quiz | progress | drill | coach``: the enablement commands.

Wired into the main parser by ``register(sub, common)``. Like ``cli.py`` these only parse,
call the package and render; progress lives in ``<kb>/progress.sqlite``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from assistant.cli.common import EXIT_OK, emit, knowledge_base, service
from assistant.core.config import Settings
from assistant.core.errors import ConfigError
from assistant.core.text import shorten


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the enablement commands to the ``pitchcraft`` parser."""
    from assistant.core.records import DOC_TYPES

    p = sub.add_parser(
        "quiz", parents=[common], help="a quiz from the knowledge base; grades and records answers"
    )
    p.add_argument("--n", type=int, default=10, help="questions (default 10)")
    p.add_argument("--topic", help="only facts about this feature, competitor or document")
    p.add_argument("--doc-type", action="append", choices=DOC_TYPES, help="repeatable")
    p.add_argument("--seed", type=int, help="same seed, same quiz (default: learner and date)")
    p.add_argument("--learner", help="whose progress (default: $USER)")
    p.add_argument(
        "--answers",
        type=Path,
        help='grade and record a JSON file: {"answers": {"<question id>": "<answer>"}}',
    )
    p.set_defaults(func=cmd_quiz)

    p = sub.add_parser("progress", parents=[common], help="a learner's weak topics and history")
    p.add_argument("--learner", help="whose progress (default: $USER)")
    p.set_defaults(func=cmd_progress)

    p = sub.add_parser(
        "drill", parents=[common], help="practise an objection; the answer is scored on a rubric"
    )
    p.add_argument("--persona", help="buyer persona id or job title")
    p.add_argument("--competitor", help="only this competitor's objections")
    p.add_argument("--objection", help="drill this objection (closest known one)")
    p.add_argument("--answer", help="your answer; without it a terminal prompts for one")
    p.add_argument("--seed", type=int, help="same seed, same objection (default: learner and date)")
    p.add_argument("--learner", help="whose progress (default: $USER)")
    p.set_defaults(func=cmd_drill)

    p = sub.add_parser(
        "coach", parents=[common], help="score your own pitch for a persona, with cited fixes"
    )
    p.add_argument("file", help="the pitch as a text or Markdown file ('-' reads stdin)")
    p.add_argument("--persona", required=True, help="persona id or any job title")
    p.add_argument("--competitor", help="competitor in the deal")
    p.set_defaults(func=cmd_coach)


# -- helpers ------------------------------------------------------------------------------------


def _learner(args: argparse.Namespace) -> str:
    from assistant.training.progress import default_learner

    return getattr(args, "learner", None) or default_learner()


def _seed(args: argparse.Namespace, learner: str) -> int:
    if getattr(args, "seed", None) is not None:
        return int(args.seed)
    raw = f"{learner}:{dt.date.today().isoformat()}"
    return int(hashlib.sha256(raw.encode()).hexdigest()[:8], 16)


def _interactive(args: argparse.Namespace) -> bool:
    return not args.json and sys.stdin.isatty() and sys.stdout.isatty()


def _cite(c: dict[str, Any]) -> str:
    page = f", p. {c['page']}" if c.get("page") else ""
    section = c.get("section", "").split(" > ")[-1]
    return f"{c['source']}{page} — {section}" if section else f"{c['source']}{page}"


# -- quiz ---------------------------------------------------------------------------------------


def cmd_quiz(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.training.llm import llm_open_generator
    from assistant.training.progress import Progress
    from assistant.training.quiz.maker import QuizMaker

    kb = knowledge_base(settings)
    learner = _learner(args)
    with Progress.for_kb(kb.root) as progress:
        writer = _writer(settings)
        if args.answers:
            return _grade_file(args, kb, progress, learner, writer)
        maker = QuizMaker(kb, open_generator=llm_open_generator(kb, writer))
        quiz = maker.make(
            n=args.n,
            topic=args.topic,
            doc_types=tuple(args.doc_type or ()),
            seed=_seed(args, learner),
            focus=progress.focus(learner),
        )
        progress.remember(quiz.questions)
        if _interactive(args):
            return _ask(kb, progress, learner, quiz, writer)
        data = {"learner": learner, **quiz.to_json()}
        emit(args, data, _render_quiz)
    return EXIT_OK


def _writer(settings: Settings) -> Any:
    """The active writer: the LLM one adds open questions and rubric grading."""
    from assistant.writers.choice import make_writer

    return make_writer(settings)


def _text_grader(kb: Any, questions: list[Any], writer: Any) -> Any:
    from assistant.training.llm import text_grader

    return text_grader(kb, writer, by_meaning=any(q.kind == "open" for q in questions))


def _grade_file(args: argparse.Namespace, kb: Any, progress: Any, learner: str, writer: Any) -> int:
    from assistant.training.quiz.grading import grade, read_answers

    try:
        data = json.loads(Path(args.answers).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"--answers {args.answers}: {exc}") from None
    responses, inline, named = read_answers(data)
    learner = args.learner or named or learner
    questions, unknown = [], []
    for qid in responses:
        q = progress.question(qid) or inline.get(qid)
        (questions.append(q) if q is not None else unknown.append(qid))
    if not questions:
        raise ConfigError(f"--answers {args.answers}: none of the question ids are known")
    result = grade(questions, responses, _text_grader(kb, questions, writer))
    progress.record_quiz(learner, result)
    out = {"learner": learner, **result.to_json(), "unknown_ids": unknown}
    emit(args, out, _render_grade)
    return EXIT_OK


def _ask(kb: Any, progress: Any, learner: str, quiz: Any, writer: Any) -> int:
    from assistant.training.quiz.grading import grade
    from assistant.training.quiz.records import LETTERS

    responses: dict[str, str] = {}
    print(f"Quiz for {learner}: {len(quiz.questions)} questions (Ctrl-D to stop).\n")
    for i, q in enumerate(quiz.questions, 1):
        print(_render_question(i, q.to_json()))
        hint = {
            "multiple_choice": f"[{LETTERS[: len(q.choices or [])]}]",
            "true_false": "[true/false]",
        }.get(q.kind, "")
        try:
            responses[q.id] = input(f"your answer {hint}> ".replace("  ", " "))
        except EOFError:
            print()
            break
        r = grade([q], responses, _text_grader(kb, [q], writer)).results[0]
        mark = "right" if r.correct else "not quite"
        print(f"  → {mark}. Answer: {q.answer}. {q.explanation}")
        print(f"    source: {_cite(q.citations[0])}\n")
    asked = [q for q in quiz.questions if q.id in responses]
    if not asked:
        return EXIT_OK
    result = grade(asked, responses, _text_grader(kb, asked, writer))
    progress.record_quiz(learner, result)
    print(_render_grade({"learner": learner, **result.to_json()}))
    return EXIT_OK


def _render_question(i: int, q: dict[str, Any]) -> str:
    from assistant.training.quiz.records import LETTERS

    lines = [f"{i}. [{q['kind'].replace('_', ' ')} · {q['topic']}] {q['question']}"]
    for n, choice in enumerate(q.get("choices") or []):
        lines.append(f"   {LETTERS[n]}) {choice}")
    return "\n".join(lines)


def _render_quiz(data: dict[str, Any]) -> str:
    lines = [f"# Quiz for {data['learner']} (seed {data['seed']})", ""]
    if data.get("reviewed"):
        lines.append(f"{data['reviewed']} question(s) are back for review.\n")
    for i, q in enumerate(data["questions"], 1):
        lines += [_render_question(i, q), ""]
    lines.append("## Answer key\n")
    for i, q in enumerate(data["questions"], 1):
        cite = q["citations"][0] if q["citations"] else {}
        lines.append(f"{i}. {q['answer']} — {q['explanation']}")
        if cite:
            lines.append(f'   [{_cite(cite)}] "{shorten(cite["quote"])}"')
    for w in data.get("warnings", []):
        lines.append(f"warning: {w}")
    ids = ", ".join(f'"{q["id"]}": "…"' for q in data["questions"][:2])
    lines.append(
        f'\nGrade with: pitchcraft quiz --answers FILE.json  (FILE: {{"answers": {{{ids}}}}})'
    )
    return "\n".join(lines)


def _render_grade(data: dict[str, Any]) -> str:
    lines = [
        f"# Score for {data['learner']}: {data['score']:.0%} "
        f"({data['correct']} of {data['total']} right)",
        "",
    ]
    for r in data["results"]:
        mark = "✓" if r.get("correct", r["score"] >= 0.6) else "✗"
        lines.append(
            f"{mark} [{r['kind'].replace('_', ' ')} · {r['topic']}] answered {r['response']!r}"
        )
        if r["kind"] == "open":
            lines.append(f"  score {r['score']:.2f}")
        for c in r["covered"]:
            lines.append(f'  covered: "{shorten(c["source_quote"])}"')
        for m in r["missed"]:
            lines.append(
                f'  missed:  "{shorten(m["source_quote"])}" (key: {shorten(m["point"], 60)})'
            )
        lines.append(f"  source: {r['source']}")
    if data.get("unknown_ids"):
        lines.append(f"\nunknown question ids (not graded): {', '.join(data['unknown_ids'])}")
    return "\n".join(lines)


# -- progress -----------------------------------------------------------------------------------


def cmd_progress(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.index.kb import KnowledgeBase
    from assistant.training.progress import Progress

    kb = KnowledgeBase(settings)
    with Progress.for_kb(kb.root) as progress:
        data = progress.report(_learner(args))
    emit(args, data, _render_progress)
    return EXIT_OK


def _render_progress(data: dict[str, Any]) -> str:
    if not data["attempts"]:
        return f"No answers recorded for {data['learner']} yet: try `pitchcraft quiz`."
    lines = [f"# Progress for {data['learner']}", ""]
    if data["quiz_answers"]:
        lines.append(f"Quiz: {data['quiz_answers']} answers, average {data['quiz_score']:.0%}")
    if data["drills"]:
        lines.append(f"Drills: {data['drills']}, average {data['drill_score']:.0%}")
    lines.append(f"Questions due for review: {data['due']}")
    weak = data["weak_topics"]
    lines.append("Weak topics: " + (", ".join(weak) if weak else "none"))
    lines += ["", "## Topics (weakest first)"]
    for t in data["topics"]:
        flag = "  WEAK" if t["weak"] else ""
        lines.append(f"- {t['topic']}: {t['mastery']:.0%} over {t['attempts']} answer(s){flag}")
    lines += ["", "## Recent answers"]
    for h in data["history"]:
        mark = "✓" if h["correct"] else "✗"
        lines.append(f"{mark} {h['answered_at'][:10]} {h['kind']:<16} {h['topic']}")
    return "\n".join(lines)


# -- drill --------------------------------------------------------------------------------------


def cmd_drill(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.training.progress import Progress

    app = service(settings)
    learner = _learner(args)
    drill = app.drill(_text_grader(app.kb, [], app.writer))
    with Progress.for_kb(app.kb.root) as progress:
        history = {a["item"]: a["score"] for a in progress.attempts(learner, "drill")}
        prompt = drill.pick(
            persona=args.persona,
            competitor=args.competitor,
            objection=args.objection,
            seed=_seed(args, learner),
            history=history,
        )
        answer = args.answer
        if answer is None and _interactive(args):
            print(f'{prompt.buyer} says: "{prompt.item.objection}"\n')
            print("Your answer (finish with an empty line):")
            answer = _read_paragraph()
        if not answer:
            emit(args, {"learner": learner, **prompt.to_json()}, _render_prompt)
            return EXIT_OK
        result = drill.grade(prompt, answer)
        data = {"learner": learner, **result.to_json()}
        progress.record_drill(
            learner, prompt.item.id, prompt.item.topic, result.score, answer, data
        )
    emit(args, data, _render_drill)
    return EXIT_OK


def _read_paragraph() -> str:
    lines = []
    while True:
        try:
            line = input()
        except EOFError:
            break
        if not line.strip():
            break
        lines.append(line)
    return " ".join(lines).strip()


def _render_prompt(data: dict[str, Any]) -> str:
    lines = [f"# Objection drill ({data['source']})", "", data["prompt"], "", "Rubric:"]
    for r in data["rubric"]:
        lines.append(f"- {r['label']} ({r['weight']:.0%})")
    objection = data["objection"].replace('"', '\\"')
    lines.append(f'\nAnswer with: pitchcraft drill --objection "{objection}" --answer "…"')
    return "\n".join(lines)


def _render_drill(data: dict[str, Any]) -> str:
    lines = [f"# Drill score: {data['score']:.0%}", "", data["prompt"], f"Source: {data['source']}"]
    lines.append("")
    for r in data["rubric"]:
        mark = "✓" if r["met"] else "✗"
        lines.append(f"{mark} {r['label']} ({r['weight']:.0%})")
        if r["quote"]:
            lines.append(f'    you said: "{shorten(r["quote"])}"')
        if r["note"]:
            lines.append(f"    {r['note']}")
        if r["evidence"] and not r["met"]:
            lines.append(f'    the source: "{shorten(r["evidence"]["quote"])}"')
    if data["covered"]:
        lines += ["", "Key points covered:"]
        lines += [f'  ✓ "{shorten(c["source_quote"])}"' for c in data["covered"]]
    if data["missed"]:
        lines += ["", "Key points missed:"]
        lines += [f'  ✗ "{shorten(m["source_quote"])}" ({m["source"]})' for m in data["missed"]]
    return "\n".join(lines)


# -- coach --------------------------------------------------------------------------------------


def cmd_coach(args: argparse.Namespace, settings: Settings) -> int:

    if args.file == "-":
        text = sys.stdin.read()
    else:
        try:
            text = Path(args.file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{args.file}: cannot read: {exc}") from None
    if not text.strip():
        raise ConfigError(f"{args.file}: the pitch is empty")
    report = service(settings).coach.review(text, args.persona, args.competitor)
    emit(args, report.to_json(), _render_coach)
    return EXIT_OK


def _render_coach(data: dict[str, Any]) -> str:
    s = data["scores"]
    lines = [
        f"# Pitch review for {data['persona']['title']}"
        + (f" against {data['competitor']}" if data["competitor"] else ""),
        "",
        f"Overall {s['overall']:.0%} · persona fit {s['persona_fit']:.2f} (technical share "
        f"{s['technical_share']:.2f}, target {s['technical_target']:.2f}) · "
        f"claims backed {s['supported_claims']}/{s['claims']} · jargon {s['jargon']}"
        + (
            f" · differentiators used {s['differentiators_covered']:.0%}"
            if s["differentiators_covered"] is not None
            else ""
        ),
    ]
    if data["priorities"].get("missing"):
        lines.append("Priorities not addressed: " + ", ".join(data["priorities"]["missing"]))
    if data["jargon"]:
        lines += ["", "## Jargon for this persona"]
        lines += [f'- "{j["term"]}" in: {shorten(j["sentence"])}' for j in data["jargon"]]
    if data["unsupported_claims"]:
        lines += ["", "## Claims the knowledge base does not back"]
        for c in data["unsupported_claims"]:
            lines.append(f"- {shorten(c['sentence'])}\n  {c['reason']}")
    if data["missing_differentiators"]:
        lines += ["", "## Differentiators you left out"]
        for d in data["missing_differentiators"]:
            lines.append(f"- {shorten(d['point'])} [{_cite(d['citation'])}]")
    if data["suggestions"]:
        lines += ["", "## Suggested fixes"]
        for n, fix in enumerate(data["suggestions"], 1):
            refs = "; ".join(_cite(c) for c in fix["citations"])
            lines.append(f"{n}. {fix['fix']}\n   [{refs}]")
    for w in data.get("warnings", []):
        lines.append(f"warning: {w}")
    return "\n".join(lines)
