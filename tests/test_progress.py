"""Learner progress: stored per learner in SQLite, survives restarts, surfaces weak topics, and
makes the next quiz ask again what was answered wrong and lean on weak topics."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections import Counter

import pytest
from training_helpers import kb_copy, run_json

from assistant.core.errors import ConfigError
from assistant.training.progress import INTERVALS, SCHEMA_VERSION, Progress
from assistant.training.quiz.grading import grade
from assistant.training.quiz.maker import QuizMaker

TODAY = dt.date(2026, 11, 20)


@pytest.fixture(scope="module")
def maker(knowledge_kb):
    return QuizMaker(knowledge_kb)


def _answer(questions, wrong_topic: str) -> dict[str, str]:
    """Right answers, except for every question on ``wrong_topic``."""
    out = {}
    for q in questions:
        if q.topic == wrong_topic:
            out[q.id] = "False" if q.answer == "True" else "definitely not this"
        else:
            out[q.id] = q.answer
    return out


def test_schema_is_versioned_and_in_wal_mode(tmp_path):
    path = tmp_path / "kb" / Progress.FILENAME
    with Progress(path) as p:
        assert p.version == SCHEMA_VERSION
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(ConfigError, match="newer"):
        Progress(path)


def test_progress_survives_restarts_and_changes_the_next_quiz(maker, tmp_path):
    path = tmp_path / "kb" / Progress.FILENAME
    first = maker.make(20, seed=5)
    topics = Counter(q.topic for q in first.questions)
    weak = topics.most_common(1)[0][0]
    responses = _answer(first.questions, weak)
    with Progress(path) as p:
        p.remember(first.questions, TODAY)
        result = grade(first.questions, responses)
        p.record_quiz("ann", result, TODAY)
        p.record_quiz("bob", grade(first.questions, {}), TODAY)  # another learner, all wrong
    wrong = {r.question.id for r in result.results if not r.correct}
    right = {r.question.id for r in result.results if r.correct}
    assert wrong and right

    with Progress(path) as p:  # a new process: everything comes back from the file
        report = p.report("ann", TODAY)
        assert report["quiz_answers"] == 20
        assert weak in report["weak_topics"]
        assert all(t not in report["weak_topics"] for t in topics if t != weak)
        assert report["due"] == len(wrong)
        focus = p.focus("ann", TODAY)
        assert {q["id"] for q in focus.due} == wrong
        assert (
            focus.topic_weight[weak]
            > 2.5
            > 1.0
            > max(w for t, w in focus.topic_weight.items() if t != weak)
        )
        assert p.report("bob", TODAY)["due"] == 20, "learners are kept apart"
        q = p.question(next(iter(wrong)))
        assert q is not None and q.id in wrong

    again = maker.make(20, seed=5, focus=focus)
    ids = {q.id for q in again.questions}
    assert wrong <= ids, "questions answered wrong come back"
    assert again.reviewed == len(wrong)
    assert not right & ids, "questions answered right are not asked again the same day"
    assert ids != {q.id for q in first.questions}
    before = sum(q.topic == weak for q in first.questions)
    after = sum(q.topic == weak for q in again.questions)
    assert after > before, "the weak topic gets more questions"
    unfocused = maker.make(20, seed=5)
    assert [q.id for q in unfocused.questions] == [q.id for q in first.questions]


def test_spaced_repetition_schedule(maker, tmp_path):
    quiz = maker.make(2, seed=8)
    a, b = quiz.questions
    with Progress(tmp_path / Progress.FILENAME) as p:
        p.record_quiz("ann", grade([a, b], {a.id: a.answer, b.id: "nope"}), TODAY)
        assert [q.id for q in p.due("ann", TODAY)] == [b.id]  # wrong: due again now
        assert a.id not in {q.id for q in p.due("ann", TODAY + dt.timedelta(INTERVALS[1] - 1))}
        assert a.id in {q.id for q in p.due("ann", TODAY + dt.timedelta(INTERVALS[1]))}
        day = TODAY + dt.timedelta(INTERVALS[1])
        p.record_quiz("ann", grade([a], {a.id: a.answer}), day)  # right twice: box 2
        assert a.id not in {q.id for q in p.due("ann", day + dt.timedelta(INTERVALS[2] - 1))}
        assert a.id in {q.id for q in p.due("ann", day + dt.timedelta(INTERVALS[2]))}
        p.record_quiz("ann", grade([a], {a.id: "nope"}), day)  # wrong again: back to box 0
        assert a.id in {q.id for q in p.due("ann", day)}


def test_cli_records_answers_and_reports_weak_topics(knowledge_kb, tmp_path, monkeypatch, capsys):
    root = kb_copy(knowledge_kb, tmp_path)
    base = ["--kb", str(root)]
    quiz = run_json(
        monkeypatch, capsys, [*base, "quiz", "--n", "6", "--seed", "9", "--learner", "kim"]
    )
    questions = quiz["questions"]
    wrong_id = questions[0]["id"]
    answers = {q["id"]: q["answer"] for q in questions}
    answers[wrong_id] = "surely wrong"
    path = tmp_path / "answers.json"
    path.write_text(json.dumps({"answers": answers}))
    graded = run_json(
        monkeypatch, capsys, [*base, "quiz", "--answers", str(path), "--learner", "kim"]
    )
    assert graded["total"] == 6 and graded["correct"] == 5
    missed = next(r for r in graded["results"] if r["id"] == wrong_id)
    assert missed["correct"] is False and missed["missed"] and missed["source_quote"]
    report = run_json(monkeypatch, capsys, [*base, "progress", "--learner", "kim"])
    assert report["quiz_answers"] == 6 and report["due"] == 1
    assert questions[0]["topic"] in report["weak_topics"]
    assert report["history"][0]["item"] in answers
    nxt = run_json(
        monkeypatch, capsys, [*base, "quiz", "--n", "6", "--seed", "9", "--learner", "kim"]
    )
    assert nxt["reviewed"] == 1 and nxt["questions"][0]["id"] == wrong_id
    empty = run_json(monkeypatch, capsys, [*base, "progress", "--learner", "nobody"])
    assert empty["attempts"] == 0 and empty["weak_topics"] == []
