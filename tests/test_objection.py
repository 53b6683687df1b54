"""Objection handling: battlecard pairs first, acknowledge → reframe/evidence → question back,
every customer-facing claim cited, internal coaching kept rep-facing, abstain when the
knowledge base has no answer."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from test_pitch import (  # the independent grounding checks
    CITE_RE,
    COMPETITORS,
    competitor_claims_off_battlecards,
    customer_sentences,
    customer_text,
    internal_in_customer_text,
    quotes_not_in_chunks,
    unsupported_numbers,
)

from assistant.cli import main
from assistant.core.results import Result
from assistant.index import kb as kb_module
from assistant.jobs import objection
from assistant.jobs.objection import ObjectionRequest, _diverse, load_objection_phrasing
from assistant.jobs.support import NOT_EVIDENCE, SECTIONS
from assistant.retrieval.evidence import Evidence
from assistant.service import Pitchcraft

ROOT = Path(__file__).resolve().parent.parent
PRICE = "Pipewell is way cheaper than you"
APPLE_WATCH = "Your mobile app doesn't support Apple Watch"
CLOUD = "We are worried about putting customer data in the cloud"
RESPONSE_ORDER = ("Acknowledge", "Reframe", "Evidence", "Question back")


@pytest.fixture(scope="module")
def app(knowledge_kb) -> Pitchcraft:
    return Pitchcraft(knowledge_kb)


@pytest.fixture(scope="module")
def objections(app):
    cache: dict[tuple[str, str | None, str | None], Result] = {}

    def get(text: str, persona: str | None = None, competitor: str | None = None) -> Result:
        key = (text, persona, competitor)
        if key not in cache:
            cache[key] = app.objection(ObjectionRequest(text, persona, competitor))
        return cache[key]

    return get


@pytest.fixture(scope="module")
def templates() -> set[str]:
    """The fixed phrasing a response may use without a citation."""
    phrasing = load_objection_phrasing(ROOT / "prompts")
    return {
        getattr(step, style)
        for steps in (phrasing, phrasing.asked)
        for step in (steps.acknowledge, steps.question_back)
        for style in ("technical", "balanced", "business")
    }


def uncited_non_template(data: dict[str, Any], templates: set[str]) -> list[str]:
    return [
        f"{title}: {s}"
        for title, s in customer_sentences(data)
        if not CITE_RE.search(s) and s.strip() not in templates
    ]


def titles(data: dict[str, Any], customer_facing: bool = True) -> list[str]:
    return [s["title"] for s in data["sections"] if s["customer_facing"] == customer_facing]


# -- a battlecard objection: price against Pipewell -------------------------------------------


def test_price_objection_matches_the_battlecard_pair(objections) -> None:
    data = objections(PRICE, "cfo", "Pipewell").to_json()
    assert data["objection"] == PRICE
    assert data["competitor"] == "Pipewell"
    assert data["persona"]["id"] == "cfo"
    matched = data["matched"]
    assert matched is not None
    assert matched["source"] == "battlecards/pipewell.md"
    assert "fraction" in matched["objection"]  # "Pipewell costs a fraction of what you..."
    assert matched["similarity"] >= 0.55
    assert data["abstained"] is False


def test_price_objection_sections_run_acknowledge_to_question(objections) -> None:
    data = objections(PRICE, "cfo", "Pipewell").to_json()
    facing = titles(data)
    assert facing[0] == "Acknowledge" and facing[-1] == "Question back", facing
    assert {"Reframe", "Evidence"} & set(facing[1:-1]), facing
    assert facing == [t for t in RESPONSE_ORDER if t in facing]  # in this order, nothing else
    # ``response`` is exactly the customer-facing part.
    assert [r["title"] for r in data["response"]] == facing
    for r in data["response"]:
        assert set(r) >= {"title", "text", "citations"}
    assert data["response"][-1]["text"].rstrip().endswith(("?", "?]", "]?"))


def test_price_objection_every_claim_is_cited(knowledge_kb, objections, templates) -> None:
    result = objections(PRICE, "cfo", "Pipewell")
    data = result.to_json()
    assert uncited_non_template(data, templates) == []
    assert data["scores"]["unsupported_numbers"] == 0
    assert unsupported_numbers(knowledge_kb, data, given=PRICE) == []
    assert internal_in_customer_text(data) == []
    assert quotes_not_in_chunks(knowledge_kb, data) == []
    assert competitor_claims_off_battlecards(data, COMPETITORS) == []
    by_n = {c["n"]: c for c in data["citations"]}
    cited = {by_n[n]["source"] for r in data["response"] for n in r["citations"]}
    assert "battlecards/pipewell.md" in cited
    assert not [s for s in cited if s.startswith("internal/")], cited


def test_price_objection_evidence_carries_a_figure(objections) -> None:
    data = objections(PRICE, "cfo", "Pipewell").to_json()
    evidence = next(r for r in data["response"] if r["title"] == "Evidence")
    assert re.search(r"\d", CITE_RE.sub("", evidence["text"])), evidence["text"]
    assert evidence["citations"]


def test_price_objection_for_a_cmo_avoids_cmo_jargon(app, objections) -> None:
    cmo = app.personas["cmo"]
    data = objections(PRICE, "cmo", "Pipewell").to_json()
    assert data["matched"]["source"] == "battlecards/pipewell.md"
    text = customer_text(data)
    assert text.strip()
    assert cmo.avoided_terms(text) == []
    assert data["scores"]["jargon"] == []


@pytest.mark.parametrize("persona", ["cmo", "cio", "ciso"])
def test_objection_response_never_uses_the_personas_avoid_list(app, objections, persona) -> None:
    for competitor in COMPETITORS:
        data = objections(f"{competitor} is way cheaper than you", persona, competitor).to_json()
        assert app.personas[persona].avoided_terms(customer_text(data)) == [], competitor


# -- no answer in the knowledge base ----------------------------------------------------------


@pytest.mark.parametrize("persona", [None, "cio", "cmo"])
def test_unanswerable_objection_abstains(objections, persona) -> None:
    result = objections(APPLE_WATCH, persona)
    data = result.to_json()
    assert data["abstained"] is True
    assert data["matched"] is None
    assert data["response"] == []
    assert titles(data) == []  # no customer-facing claims at all
    assert customer_sentences(data) == []
    assert any("no answer" in w for w in data["warnings"]), data["warnings"]
    assert "No grounded answer" in titles(data, customer_facing=False)
    assert "Apple Watch" not in "\n".join(c["quote"] for c in data["citations"])


# -- a general objection: customer data in the cloud (CISO) ----------------------------------


def test_cloud_objection_uses_customer_safe_evidence_only(knowledge_kb, objections) -> None:
    data = objections(CLOUD, "ciso").to_json()
    assert data["abstained"] is False
    assert data["persona"]["id"] == "ciso"
    assert internal_in_customer_text(data) == []
    assert data["scores"]["internal_in_customer_text"] == 0
    by_n = {c["n"]: c for c in data["citations"]}
    facing = [by_n[n] for r in data["response"] for n in r["citations"]]
    assert facing, data["response"]
    assert {c["audience"] for c in facing} == {"customer-safe"}
    # a battlecard's customer response may back a general objection when it names no rival
    assert {c["doc_type"] for c in facing} <= {
        "security",
        "product",
        "pricing",
        "case_study",
        "battlecard",
    }
    assert competitor_claims_off_battlecards(data, COMPETITORS) == []
    assert unsupported_numbers(knowledge_kb, data, given=CLOUD) == []
    assert quotes_not_in_chunks(knowledge_kb, data) == []


def test_cloud_objection_keeps_internal_coaching_rep_facing(objections, templates) -> None:
    data = objections(CLOUD, "ciso").to_json()
    coaching = next(s for s in data["sections"] if s["title"] == "Coaching (internal)")
    assert coaching["customer_facing"] is False
    by_n = {c["n"]: c for c in data["citations"]}
    sources = {by_n[n]["source"] for n in coaching["citations"]}
    assert sources == {"internal/objection-handling-principles.md"}
    assert uncited_non_template(data, templates) == []
    assert titles(data)[0] == "Acknowledge" and titles(data)[-1] == "Question back"
    # The CISO's objection brings in the Trust team, rep-facing.
    involve = next(s for s in data["sections"] if s["title"] == "Who to involve")
    assert involve["customer_facing"] is False
    assert "Trust team" in involve["text"]


# -- competitors, determinism -----------------------------------------------------------------


def test_unknown_competitor_in_objection_warns(objections) -> None:
    data = objections("Acme Corp is way cheaper than you", "cfo", "Acme Corp").to_json()
    assert data["competitor"] is None
    assert any("Acme Corp" in w for w in data["warnings"]), data["warnings"]
    assert internal_in_customer_text(data) == []


def test_same_objection_twice_gives_identical_json(app, knowledge_kb) -> None:
    request = ObjectionRequest(PRICE, "cfo", "Pipewell")
    first = json.dumps(app.objection(request).to_json(), sort_keys=True)
    assert json.dumps(app.objection(request).to_json(), sort_keys=True) == first
    fresh = Pitchcraft(knowledge_kb)
    assert json.dumps(fresh.objection(request).to_json(), sort_keys=True) == first


# -- the command line -------------------------------------------------------------------------


def test_cli_objection_json(knowledge_kb, monkeypatch, embedder, capsys) -> None:
    monkeypatch.setattr(kb_module, "make_embedder", lambda *a, **k: embedder, raising=False)
    args = ["--kb", str(knowledge_kb.root), "objection", PRICE, "--persona", "CFO"]
    code = main([*args, "--competitor", "Pipewell", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    data = json.loads(out)
    assert {"objection", "response", "citations", "warnings"} <= set(data)
    assert data["objection"] == PRICE
    assert data["response"] and data["writer"] == "offline"
    for r in data["response"]:
        assert {"title", "text", "citations"} <= set(r)
    assert {"n", "source", "section", "quote"} <= set(data["citations"][0])
    assert data["matched"]["source"] == "battlecards/pipewell.md"

    code = main(["--kb", str(knowledge_kb.root), "objection", APPLE_WATCH])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.startswith(f"# Objection: {APPLE_WATCH}")
    assert "## No grounded answer" in out and "## Warnings" in out


# -- a loose match must bring an answer; the same fact twice is said once ------------------------


def test_a_loose_match_counts_only_when_its_answer_bears_on_the_objection(app, monkeypatch) -> None:
    """Below CLEAR_MATCH a known question matches only if the grounder finds its answer bears
    on the objection ("Who are your subprocessors?" does not answer one about catering)."""
    monkeypatch.setattr(objection, "MIN_MATCH", 0.05)  # let the loose pair through the floor
    handler = app.objections
    off_topic = "Who are your subcontractors for catering?"
    monkeypatch.setattr(objection, "CLEAR_MATCH", 0.0)
    assert handler.match(off_topic, None, internal=False) is not None  # the nearest question
    monkeypatch.setattr(objection, "CLEAR_MATCH", 1.0)
    assert handler.match(off_topic, None, internal=False) is None
    found = handler.match(PRICE, "Pipewell", internal=False)  # its answer does bear on it
    assert found is not None and "fraction" in found[0].question


@pytest.mark.parametrize(
    ("first", "echo"),
    [  # nearly the same words; the same point in other words, too few shared words to tell
        (
            "Acme retains all recordings for three weeks, and saved ones forever.",
            "Acme retains all replays for three weeks, and saved ones forever.",
        ),
        (
            "Acme also allows you to download recordings as a JSON file for safe keeping.",
            "Acme also enables you to download replays as a JSON file for safe keeping.",
        ),
    ],
)
def test_one_point_from_two_pages_is_said_once(knowledge_kb, first, echo) -> None:
    a, b, c = list(knowledge_kb.manifest.all_chunks())[:3]
    said = [
        Evidence(first, a),
        Evidence(echo, b),
        Evidence("Acme Cloud EU is hosted on servers based in Frankfurt.", c),
    ]
    assert [e.chunk.id for e in _diverse(said, 3, knowledge_kb.embedder.embed)] == [a.id, c.id]


def test_an_llm_writer_also_reads_the_sections_the_support_came_from(app) -> None:
    """The plan hands a writer the other sections it searched (an LLM reads them whole); the
    offline composer says only the picked sentences, so none of them is cited."""
    plan = app.objections.plan(ObjectionRequest(CLOUD), None)
    assert plan.background and not plan.abstained
    said = plan.all_evidence()[: -len(plan.background)]
    assert plan.all_evidence()[-len(plan.background) :] == plan.background
    assert not {e.chunk.id for e in plan.background} & {e.chunk.id for e in said}
    assert not any(e.chunk.internal for e in plan.background)
    cited = {c["chunk_id"] for c in app.objection(ObjectionRequest(CLOUD)).to_json()["citations"]}
    assert not cited & {e.chunk.id for e in plan.background}


def test_an_llm_writer_reads_the_best_pages_beyond_the_picked_sections(app) -> None:
    """Support is picked from two sections of each best page; the answer to a conversational
    objection is often in another one, so the writer is handed the rest of those pages too
    (its token budget trims them, closest first)."""
    plan = app.objections.plan(ObjectionRequest(CLOUD), None)
    page = plan.evidence[0].source
    handed = {e.chunk.id for e in plan.all_evidence()}
    sections = [
        c
        for c in app.kb.manifest.source_chunks(page)
        if not c.internal and not c.has_role(*NOT_EVIDENCE) and c.sentences()
    ]
    assert len(sections) > 2 * SECTIONS
    assert {c.id for c in sections} <= handed


def test_a_question_gets_a_straight_answer_not_a_pushback_phrasing(app) -> None:
    """A buyer who asks ("Where can our data be stored?") is not told their concern is fair;
    one who pushes back is. Either way the phrasing is the persona style's own."""
    phrasing = load_objection_phrasing(ROOT / "prompts")
    asked = app.objections.plan(ObjectionRequest("Where exactly would our data be stored?"), None)
    pushed = app.objections.plan(ObjectionRequest(CLOUD), None)
    assert asked.steps == phrasing.asked and pushed.steps == phrasing
    data = app.objection(ObjectionRequest("Where exactly would our data be stored?")).to_json()
    first = data["response"][0]
    assert first["title"] == "Acknowledge"
    assert first["citations"] or first["text"] == phrasing.asked.acknowledge.balanced
