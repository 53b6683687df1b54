"""Learner progress: one small SQLite file in the KB folder (``progress.sqlite``).

It records every graded answer (quiz questions and objection drills) per learner, keeps a
Leitner box per question for spaced repetition (a wrong answer is due again at once, a right one
comes back after 1, 3, 7, 14, then 30 days), and turns the history into the ``Focus`` of the next
quiz: questions due again, and weights that favour the learner's weak topics.

The schema is versioned with ``PRAGMA user_version``; the file is opened in WAL mode so the
app and the CLI can read it while one of them writes.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import threading
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from assistant.core.errors import ConfigError
from assistant.core.sqlite import connect
from assistant.core.text import normalize
from assistant.training.quiz.grading import PASS_SCORE, QuizGrade
from assistant.training.quiz.maker import Focus
from assistant.training.quiz.records import Question

SCHEMA_VERSION = 1
INTERVALS = (0, 1, 3, 7, 14, 30)  # days until a question in box i is due again
WEAK_BELOW = 0.7  # mastery under this marks a weak topic
RECENT = 10  # attempts per topic that count towards mastery
DECAY = 0.8  # weight of each older attempt relative to the next newer one

_MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE questions (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        topic TEXT NOT NULL,
        data TEXT NOT NULL,
        created TEXT NOT NULL
    );
    CREATE TABLE attempts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        learner TEXT NOT NULL,
        item TEXT NOT NULL,
        kind TEXT NOT NULL,
        topic TEXT NOT NULL,
        score REAL NOT NULL,
        correct INTEGER NOT NULL,
        response TEXT NOT NULL,
        detail TEXT NOT NULL,
        answered_at TEXT NOT NULL
    );
    CREATE INDEX attempts_learner ON attempts (learner, answered_at);
    CREATE TABLE reviews (
        learner TEXT NOT NULL,
        question_id TEXT NOT NULL,
        box INTEGER NOT NULL,
        due TEXT NOT NULL,
        last_score REAL NOT NULL,
        PRIMARY KEY (learner, question_id)
    );
    """,
}


def default_learner() -> str:
    """The logged-in user's name (as ``getpass`` finds it), else "default"."""
    try:
        return getpass.getuser() or "default"
    except (KeyError, OSError):  # no such user in the password database
        return "default"


class Progress:
    """Per-learner history over one knowledge base."""

    FILENAME = "progress.sqlite"

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = connect(path, check_same_thread=False)
        self._migrate()

    @classmethod
    def for_kb(cls, root: Path) -> Progress:
        return cls(Path(root) / cls.FILENAME)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        current = self.version
        if current > SCHEMA_VERSION:
            raise ConfigError(
                f"{self.path}: progress database version {current} is newer than this "
                f"Pitchcraft understands ({SCHEMA_VERSION}); upgrade Pitchcraft"
            )
        with self._lock, self._db:
            for version in range(current + 1, SCHEMA_VERSION + 1):
                self._db.executescript(_MIGRATIONS[version])
                self._db.execute(f"PRAGMA user_version = {version}")

    # -- questions ------------------------------------------------------------------------------
    def remember(self, questions: Iterable[Question], when: dt.date | None = None) -> None:
        """Keep the questions a learner was given, so answers can be graded by id later."""
        now = (when or dt.date.today()).isoformat()
        rows = [(q.id, q.kind, q.topic, json.dumps(q.to_json()), now) for q in questions]
        with self._lock, self._db:
            self._db.executemany(
                "INSERT INTO questions VALUES (?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
                "data = excluded.data, topic = excluded.topic",
                rows,
            )

    def question(self, question_id: str) -> Question | None:
        row = self._db.execute("SELECT data FROM questions WHERE id=?", (question_id,)).fetchone()
        return Question.from_json(json.loads(row[0])) if row else None

    # -- recording --------------------------------------------------------------------------------
    def record_quiz(self, learner: str, grade: QuizGrade, when: dt.date | None = None) -> None:
        """Store each answer and move its question between Leitner boxes."""
        today = when or dt.date.today()
        self.remember([r.question for r in grade.results], today)
        with self._lock, self._db:
            for r in grade.results:
                q = r.question
                passed = r.score >= PASS_SCORE
                self._attempt(
                    learner, q.id, q.kind, q.topic, r.score, passed, r.response, r.to_json(), today
                )
                row = self._db.execute(
                    "SELECT box FROM reviews WHERE learner=? AND question_id=?", (learner, q.id)
                ).fetchone()
                box = min((row[0] if row else 0) + 1, len(INTERVALS) - 1) if passed else 0
                due = today + dt.timedelta(days=INTERVALS[box])
                self._db.execute(
                    "INSERT OR REPLACE INTO reviews VALUES (?, ?, ?, ?, ?)",
                    (learner, q.id, box, due.isoformat(), r.score),
                )

    def record_drill(
        self,
        learner: str,
        item: str,
        topic: str,
        score: float,
        response: str,
        detail: dict[str, Any],
        when: dt.date | None = None,
    ) -> None:
        with self._lock, self._db:
            self._attempt(
                learner,
                item,
                "drill",
                topic,
                score,
                score >= PASS_SCORE,
                response,
                detail,
                when or dt.date.today(),
            )

    def _attempt(
        self,
        learner: str,
        item: str,
        kind: str,
        topic: str,
        score: float,
        correct: bool,
        response: str,
        detail: dict[str, Any],
        when: dt.date,
    ) -> None:
        stamp = dt.datetime.combine(when, dt.datetime.now().time()).isoformat(timespec="seconds")
        self._db.execute(
            "INSERT INTO attempts (learner, item, kind, topic, score, correct, response, detail, "
            "answered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                learner,
                item,
                kind,
                topic,
                float(score),
                int(correct),
                response,
                json.dumps(detail, default=str),
                stamp,
            ),
        )

    # -- reading ----------------------------------------------------------------------------------
    def attempts(self, learner: str, kind: str | None = None) -> list[dict[str, Any]]:
        sql = (
            "SELECT item, kind, topic, score, correct, response, answered_at FROM attempts "
            "WHERE learner=?" + (" AND kind=?" if kind else "") + " ORDER BY id"
        )
        rows = self._db.execute(sql, (learner, kind) if kind else (learner,)).fetchall()
        keys = ("item", "kind", "topic", "score", "correct", "response", "answered_at")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def mastery(self, learner: str, kind: str | None = None) -> dict[str, dict[str, Any]]:
        """Per topic: attempts and a recency-weighted mean score of the last ``RECENT``."""
        by_topic: dict[str, list[float]] = defaultdict(list)
        for a in self.attempts(learner, kind):
            by_topic[a["topic"]].append(a["score"])
        out = {}
        for topic, scores in by_topic.items():
            recent = scores[-RECENT:]
            weights = [DECAY ** (len(recent) - 1 - i) for i in range(len(recent))]
            value = sum(w * s for w, s in zip(weights, recent, strict=True)) / sum(weights)
            out[topic] = {
                "topic": topic,
                "attempts": len(scores),
                "mastery": round(value, 3),
                "weak": value < WEAK_BELOW,
            }
        return out

    def due(self, learner: str, today: dt.date | None = None) -> list[Question]:
        """Questions due again, those in the lowest box (answered wrong) first."""
        day = (today or dt.date.today()).isoformat()
        rows = self._db.execute(
            "SELECT q.data FROM reviews r JOIN questions q ON q.id = r.question_id "
            "WHERE r.learner=? AND r.due <= ? ORDER BY r.box, r.last_score, r.due, r.question_id",
            (learner, day),
        ).fetchall()
        return [Question.from_json(json.loads(r[0])) for r in rows]

    def focus(self, learner: str, today: dt.date | None = None) -> Focus:
        """What the learner's history asks of the next quiz."""
        day = (today or dt.date.today()).isoformat()
        weights = {}
        mastery = self.mastery(learner)
        for topic, m in mastery.items():
            weights[topic] = round(0.4 + 2.6 * (1.0 - m["mastery"]), 3)
        weak = sorted((m["mastery"], t) for t, m in mastery.items() if m["weak"])
        rows = self._db.execute(
            "SELECT q.data FROM reviews r JOIN questions q ON q.id = r.question_id "
            "WHERE r.learner=? AND r.due > ? AND r.box > 0",
            (learner, day),
        ).fetchall()
        mastered = {normalize(Question.from_json(json.loads(r[0])).quote) for r in rows}
        due = [q.to_json() for q in self.due(learner, today)]
        return Focus(
            due=due, topic_weight=weights, mastered=mastered, weak_topics=[t for _, t in weak]
        )

    def report(self, learner: str, today: dt.date | None = None, history: int = 20) -> dict:
        """Weak topics, mastery per topic, what is due, and the latest attempts."""
        attempts = self.attempts(learner)
        topics = sorted(self.mastery(learner).values(), key=lambda m: (m["mastery"], m["topic"]))
        drills = [a for a in attempts if a["kind"] == "drill"]
        quiz = [a for a in attempts if a["kind"] != "drill"]
        return {
            "learner": learner,
            "attempts": len(attempts),
            "quiz_answers": len(quiz),
            "quiz_score": round(sum(a["score"] for a in quiz) / len(quiz), 3) if quiz else None,
            "drills": len(drills),
            "drill_score": (
                round(sum(a["score"] for a in drills) / len(drills), 3) if drills else None
            ),
            "weak_topics": [t["topic"] for t in topics if t["weak"]],
            "topics": topics,
            "due": len(self.due(learner, today)),
            "history": [
                {k: a[k] for k in ("answered_at", "kind", "topic", "score", "correct", "item")}
                for a in attempts[-history:][::-1]
            ],
        }

    def learners(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT DISTINCT learner FROM attempts ORDER BY 1")]
