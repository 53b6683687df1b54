"""Objection drills on the sample KB: the buyer raises a documented objection, and the rep's
answer is scored on a visible rubric with quotes of what was covered and what was missed."""

from __future__ import annotations

import pytest
from training_helpers import kb_copy, run_cli, run_json

from assistant.cli import training as cli_training
from assistant.core.errors import ConfigError
from assistant.service import Pitchcraft
from assistant.training.progress import Progress
from assistant.training.rubric import WEIGHTS

DESIGNER = "Brightfold's email designer is better than yours."
GOOD = (
    "That's a fair point: for pure email design Brightfold's tooling is very good, and many "
    "teams love it. But the bigger drivers of campaign results are who receives the message, "
    "when, and with what offer. Reach can orchestrate journeys while you keep your existing "
    "email service provider for design and sending, and Ridgeway Outfitters grew email- and "
    "SMS-attributed revenue by 27% with Keelstone. Would it help to look at which of your "
    "results come from design and which from targeting and timing?"
)
POOR = (
    "Our designer is actually better than Brightfold's. Keelstone customers see 80% higher "
    "open rates. You should switch now."
)


@pytest.fixture(scope="module")
def drill(knowledge_kb):
    return Pitchcraft(knowledge_kb).drill()


def _rubric(result) -> dict[str, dict]:
    return {r["item"]: r for r in result.to_json()["rubric"]}


def _in_chunk(kb, citation: dict) -> bool:
    chunk = kb.manifest.chunks([citation["chunk_id"]])[0]
    return citation["quote"] in chunk.text and chunk.source == citation["source"]


def test_objections_come_from_battlecards_guides_and_customer_questions(drill):
    items = drill.items()
    origins = {i.origin for i in items}
    assert origins == {"battlecard", "guide", "faq"}
    sources = {i.source for i in items}
    assert {"battlecards/brightfold.md", "internal/objection-handling-principles.md"} <= sources
    assert "security/trust-faq.html" in sources
    assert len({i.id for i in items}) == len(items)
    # every item has a documented response to score against: never "0 of 0 key points"
    assert all(drill.pick(objection=i.objection).model.key_points for i in items)
    prompt = drill.pick(competitor="Brightfold", seed=1)
    assert prompt.item.competitor == "Brightfold" and prompt.persona is not None
    assert drill.pick(competitor="Brightfold", seed=1).item.id == prompt.item.id
    with pytest.raises(ConfigError, match="no battlecard"):
        drill.pick(competitor="Nobody Corp")


def test_good_answer_meets_the_whole_rubric(drill, knowledge_kb):
    prompt = drill.pick(persona="cmo", competitor="Brightfold", objection=DESIGNER)
    assert prompt.item.objection == DESIGNER
    assert prompt.item.source == "battlecards/brightfold.md"
    assert prompt.persona.persona.id == "cmo"
    assert len(prompt.model.key_points) >= 3
    result = drill.grade(prompt, GOOD)
    rubric = _rubric(result)
    assert list(rubric) == ["acknowledge", "reframe", "evidence", "question_back", "key_points"]
    assert set(rubric) == set(WEIGHTS)
    assert all(r["met"] for r in rubric.values()), rubric
    assert rubric["acknowledge"]["quote"].startswith("That's a fair point")
    assert rubric["reframe"]["quote"].startswith("But the bigger drivers")
    assert "27%" in rubric["evidence"]["quote"]
    assert "27%" in rubric["evidence"]["evidence"]["quote"]
    assert _in_chunk(knowledge_kb, rubric["evidence"]["evidence"])
    assert rubric["question_back"]["quote"].endswith("timing?")
    assert result.score >= 0.9
    data = result.to_json()
    assert {"persona", "objection", "source", "rubric", "score", "covered", "missed"} <= data.keys()
    assert len(data["covered"]) == len(prompt.model.key_points) and not data["missed"]
    for c in data["covered"]:
        assert c["answer_quote"] in GOOD
        assert any(c["source_quote"] in chunk.text for chunk in prompt.item.chunks)


def test_poor_answer_fails_the_rubric_and_shows_what_was_missed(drill, knowledge_kb):
    prompt = drill.pick(persona="cmo", competitor="Brightfold", objection=DESIGNER)
    result = drill.grade(prompt, POOR)
    rubric = _rubric(result)
    assert not rubric["acknowledge"]["met"] and rubric["acknowledge"]["note"]
    assert not rubric["reframe"]["met"]
    assert not rubric["evidence"]["met"]
    assert "80%" in rubric["evidence"]["note"] and result.unsupported == ["80%"]
    assert not rubric["question_back"]["met"]
    assert rubric["question_back"]["evidence"]["quote"].endswith("?")
    assert not rubric["key_points"]["met"] and rubric["key_points"]["share"] < 0.5
    assert result.score <= 0.2
    data = result.to_json()
    assert len(data["missed"]) >= 2
    for m in data["missed"]:
        assert m["source"] == "battlecards/brightfold.md"
        assert any(m["source_quote"] in chunk.text for chunk in prompt.item.chunks)


def test_internal_guide_objection_good_vs_poor(drill):
    prompt = drill.pick(objection="It's too expensive.")
    assert prompt.item.origin == "guide"
    good = (
        "I understand, it is a significant investment. The real question is total cost, not "
        "price: Keelstone includes all 412 connectors in every edition and publishes its list "
        "prices. Harborline Credit Union cut total integration cost by 41%, about $620,000 a "
        "year, and Meridian Vale Health saved $1.4 million a year by retiring tools. If we "
        "could show a payback inside the first year using your own numbers, would price still "
        "be the main concern?"
    )
    poor = "We can give you a 50% discount if you sign this week."
    g, p = drill.grade(prompt, good), drill.grade(prompt, poor)
    assert g.score >= 0.8 and p.score <= 0.2 and g.score - p.score >= 0.6
    assert all(r.met for r in g.rubric)
    assert _rubric(p)["evidence"]["note"].startswith("figures the knowledge base does not back")
    assert len(g.covered) > len(p.covered) and len(p.missed) > len(g.missed)


def test_customer_question_drill(drill):
    prompt = drill.pick(objection="How is our data encrypted?")
    assert prompt.item.origin == "faq" and prompt.item.source == "security/trust-faq.html"
    assert prompt.model.key_points
    assert prompt.to_json()["rubric"][0]["met"] is None


def test_cli_drill_grades_and_records(knowledge_kb, embedder, tmp_path, monkeypatch, capsys):
    root = kb_copy(knowledge_kb, tmp_path)
    base = ["--kb", str(root), "drill", "--persona", "cmo", "--competitor", "Brightfold"]
    shown = run_json(monkeypatch, capsys, [*base, "--objection", DESIGNER], embedder)
    assert shown["objection"] == DESIGNER and all(r["met"] is None for r in shown["rubric"])
    graded = run_json(
        monkeypatch,
        capsys,
        [*base, "--objection", DESIGNER, "--answer", POOR, "--learner", "kim"],
        embedder,
    )
    assert {
        "persona",
        "objection",
        "source",
        "rubric",
        "score",
        "covered",
        "missed",
    } <= graded.keys()
    assert graded["persona"]["id"] == "cmo" and graded["score"] <= 0.2
    assert [r["item"] for r in graded["rubric"] if r["met"]] == []
    with Progress.for_kb(root) as p:
        attempts = p.attempts("kim", "drill")
        assert len(attempts) == 1 and attempts[0]["topic"] == "Competitor: Brightfold"
        assert p.report("kim")["drills"] == 1


def test_interactive_drill_reads_the_answer(knowledge_kb, embedder, tmp_path, monkeypatch, capsys):

    root = kb_copy(knowledge_kb, tmp_path)
    monkeypatch.setattr(cli_training, "_interactive", lambda args: True)
    lines = iter([*GOOD.split(". "), ""])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(lines))
    code, out, _ = run_cli(
        monkeypatch,
        capsys,
        ["--kb", str(root), "drill", "--objection", DESIGNER, "--learner", "eve"],
        embedder,
    )
    assert code == 0
    assert "Brightfold's email designer" in out and "# Drill score:" in out
    assert "✓ Acknowledge" in out and "Key points covered:" in out
