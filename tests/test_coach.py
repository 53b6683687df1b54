"""Pitch coach on the sample KB: persona fit, jargon, claims the KB does not back and missing
differentiators, each with a concrete fix that cites its source."""

from __future__ import annotations

import pytest
from training_helpers import kb_copy, run_json

from assistant.service import Pitchcraft

GOOD = """Your marketing team loses revenue when offers go out for products that are already out
of stock. Keelstone Reach builds audiences from live customer data, so segments stay fresh
instead of being a day old. Next Best Offer reads live inventory before it recommends
anything: Ridgeway Outfitters cut out-of-stock recommendations from 9% to 0.2% after moving
from Brightfold. Campaign Attribution with holdout tests gives finance numbers it trusts, and
Ridgeway's return on ad spend rose from 3.1 to 4.4. You can keep your current email provider
for design and sending while Reach runs the journeys. Would a 30-day proof of value on one
journey help before your renewal decision?
"""

POOR = """Keelstone is the only platform with guaranteed 100% uptime. Our Change Stream pipeline
delivers CDC events over Kafka with p99 latency under 2 seconds and exactly-once semantics.
Keelstone Reach is used by over 5,000 Fortune 500 brands. Our AI copilot writes every campaign
for you automatically. Sign the contract today.
"""


@pytest.fixture(scope="module")
def coach(knowledge_kb):
    return Pitchcraft(knowledge_kb).coach


@pytest.fixture(scope="module")
def good(coach):
    return coach.review(GOOD, "cmo", "Brightfold").to_json()


@pytest.fixture(scope="module")
def poor(coach):
    return coach.review(POOR, "cmo", "Brightfold").to_json()


def _cited(kb, citation: dict) -> bool:
    chunk = kb.manifest.chunks([citation["chunk_id"]])[0]
    return citation["quote"] in chunk.text and chunk.source == citation["source"]


KEYS = {
    "persona",
    "scores",
    "jargon",
    "unsupported_claims",
    "missing_differentiators",
    "suggestions",
}


def test_poor_pitch_is_caught_on_every_check(poor, knowledge_kb):
    assert poor.keys() >= KEYS
    assert poor["persona"]["id"] == "cmo" and poor["competitor"] == "Brightfold"
    s = poor["scores"]
    assert s["technical_share"] > 0.4 and s["persona_fit"] < 0.6
    assert {j["term"] for j in poor["jargon"]} >= {"cdc", "kafka", "p99", "latency"}
    assert all(j["term"] in j["sentence"].lower() for j in poor["jargon"])
    unsupported = {c["sentence"]: c for c in poor["unsupported_claims"]}
    uptime = next(c for t, c in unsupported.items() if "100% uptime" in t)
    assert "100%" in uptime["reason"]
    assert "99.9" in uptime["closest"]["quote"] and _cited(knowledge_kb, uptime["closest"])
    fortune = next(c for t, c in unsupported.items() if "Fortune 500" in t)
    assert "500" in fortune["reason"]
    assert any("copilot" in t for t in unsupported)
    assert not any("Sign the contract" in t for t in unsupported), "a call to action is no claim"
    backed = [c["sentence"] for c in poor["supported_claims"]]
    assert any("Change Stream" in t for t in backed), "true (if jargon-heavy) claims pass"
    assert s["claims"] == 4 and s["supported_claims"] == 1
    assert len(poor["missing_differentiators"]) >= 3
    for d in poor["missing_differentiators"]:
        assert d["citation"]["source"] == "battlecards/brightfold.md"
        assert _cited(knowledge_kb, d["citation"])


def test_poor_pitch_gets_concrete_cited_fixes(poor, knowledge_kb, coach):
    fixes = poor["suggestions"]
    assert {f["about"] for f in fixes} == {"persona_fit", "jargon", "claim", "differentiator"}
    cmo = coach.resolver.personas["cmo"]
    for f in fixes:
        assert f["fix"] and f["citations"], f
        for c in f["citations"]:
            assert _cited(knowledge_kb, c)
            assert c["audience"] == "customer-safe"
            assert not cmo.avoided_terms(c["quote"]) or f["about"] == "differentiator"
    jargon_fix = next(f for f in fixes if f["about"] == "jargon")
    assert "Change Stream" in jargon_fix["fix"] or "CDC" in jargon_fix["fix"]
    uptime_fix = next(f for f in fixes if f["about"] == "claim" and "uptime" in f["fix"])
    assert "99.9" in uptime_fix["citations"][0]["quote"]
    copilot = next(c for c in poor["unsupported_claims"] if "copilot" in c["sentence"])
    assert copilot["fix"]


def test_good_pitch_scores_well_and_differs_from_poor(good, poor, knowledge_kb):
    s, p = good["scores"], poor["scores"]
    assert good["jargon"] == [] and good["unsupported_claims"] == []
    assert s["claims"] >= 3 and s["claim_support"] == 1.0
    for c in good["supported_claims"]:
        assert _cited(knowledge_kb, c["citation"])
    assert s["persona_fit"] >= 0.85 and s["priorities_covered"] >= 0.6
    assert s["differentiators_covered"] > p["differentiators_covered"]
    covered = good["covered_differentiators"]
    assert any("Next Best Offer" in d["features"] for d in covered)
    assert all(d["pitch_quote"] for d in covered)
    assert s["overall"] >= 0.75 and s["overall"] - p["overall"] >= 0.3
    assert all(f["about"] == "differentiator" for f in good["suggestions"])
    assert len(good["suggestions"]) < len(poor["suggestions"])


def test_cli_coach_json(knowledge_kb, embedder, tmp_path, monkeypatch, capsys):
    pitch = tmp_path / "pitch.md"
    pitch.write_text(POOR)
    root = str(kb_copy(knowledge_kb, tmp_path))
    data = run_json(
        monkeypatch,
        capsys,
        ["--kb", root, "coach", "--persona", "VP of Marketing", str(pitch)],
        embedder,
    )
    assert data.keys() >= KEYS
    assert data["persona"]["id"] == "cmo"
    assert data["competitor"] == "Brightfold" or data["competitor"] is None
    assert data["unsupported_claims"] and data["jargon"]
    assert all(f["citations"] for f in data["suggestions"])
