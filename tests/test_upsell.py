"""Upsell narratives: build on what the customer owns and has achieved, never pushy, and say
when not to push (open escalations, renewal close) by the playbook's timing rules."""

from __future__ import annotations

import datetime as dt
import functools
import json
from pathlib import Path
from typing import Any

import pytest
from test_pitch import (  # the independent grounding checks
    CITE_RE,
    customer_text,
    internal_in_customer_text,
    quotes_not_in_chunks,
    unsupported_numbers,
)

from assistant.cli import main
from assistant.core.errors import ConfigError
from assistant.core.results import Result
from assistant.core.terms import find_terms
from assistant.core.text import normalize
from assistant.index import kb as kb_module
from assistant.jobs.accounts import Account, Issue, load_account
from assistant.jobs.upsell import UpsellPlanner, load_upsell_phrasing
from assistant.service import Pitchcraft

ROOT = Path(__file__).resolve().parent.parent
ACCOUNTS = ROOT / "examples" / "accounts"
NORTHBAY = ACCOUNTS / "northbay-logistics.yaml"
HARBOR = ACCOUNTS / "harbor-savings-bank.yaml"
PLAYBOOK = "internal/expansion-playbook.md"
# The sample data's "now" (the knowledge base was last updated in November 2026). Narratives
# depend on the date through the renewal window, so the service tests pin it.
TODAY = dt.date(2026, 11, 27)


@pytest.fixture(scope="module")
def app(knowledge_kb) -> Pitchcraft:
    return Pitchcraft(knowledge_kb)


@pytest.fixture(scope="module")
def upsell(app):
    """``upsell(path)``: the narrative for an account file, with today pinned to ``TODAY``."""
    cache: dict[Path, Result] = {}

    def get(path: Path) -> Result:
        if path not in cache:
            timing = functools.partial(UpsellPlanner.timing, app.upsells, today=TODAY)
            with pytest.MonkeyPatch.context() as mp:
                mp.setattr(app.upsells, "timing", lambda account, today=None: timing(account))
                cache[path] = app.upsell(load_account(path))
        return cache[path]

    return get


@pytest.fixture(scope="module")
def pushy() -> list[str]:
    terms = load_upsell_phrasing(ROOT / "prompts").pushy
    assert terms
    return terms


def section(data: dict[str, Any], title: str) -> dict[str, Any]:
    found = [s for s in data["sections"] if s["title"] == title]
    assert found, [s["title"] for s in data["sections"]]
    return found[0]


# -- a healthy account: Northbay Logistics ---------------------------------------------------


def test_northbay_is_a_good_time_with_opportunities(upsell) -> None:
    data = upsell(NORTHBAY).to_json()
    assert data["account"] == "Northbay Logistics"
    assert data["timing"]["status"] == "go", data["timing"]
    assert data["timing"]["days_to_renewal"] == (dt.date(2027, 7, 31) - TODAY).days
    assert 1 <= len(data["opportunities"]) <= 3
    for o in data["opportunities"]:
        assert {"name", "why", "citations"} <= set(o)
        assert o["why"].strip() and o["citations"], o


def test_northbay_opportunities_are_not_in_owned_modules(upsell) -> None:
    account = load_account(NORTHBAY)
    owned = {normalize(m) for m in account.owned}
    data = upsell(NORTHBAY).to_json()
    for o in data["opportunities"]:
        assert normalize(o["module"]) not in owned, o
        assert not any(m in normalize(o["name"]) for m in owned), o


def test_northbay_opportunities_serve_stated_goals(upsell) -> None:
    account = load_account(NORTHBAY)
    data = upsell(NORTHBAY).to_json()
    for o in data["opportunities"]:
        assert any(goal in o["why"] for goal in account.goals), o["why"]
        pitched = section(data, o["name"])
        assert pitched["customer_facing"] and pitched["citations"]
        assert set(o["citations"]) & set(pitched["citations"])


def test_northbay_narrative_starts_with_the_customers_results(upsell) -> None:
    account = load_account(NORTHBAY)
    data = upsell(NORTHBAY).to_json()
    first = data["sections"][0]
    assert first["title"] == "Where you are today"
    assert first["customer_facing"]
    for line in account.results_so_far:
        assert line in first["text"]
    assert "Northbay Logistics" in first["text"]


def test_northbay_narrative_is_not_pushy(upsell, pushy) -> None:
    result = upsell(NORTHBAY)
    data = result.to_json()
    text = customer_text(data)
    assert find_terms(pushy, text) == []
    assert not [w for w in data["warnings"] if "pushy" in w]
    next_step = section(data, "Suggested next step")
    assert next_step["customer_facing"] and "no commitment" in next_step["text"]


def test_northbay_narrative_is_grounded(knowledge_kb, upsell) -> None:
    account = load_account(NORTHBAY)
    data = upsell(NORTHBAY).to_json()
    assert data["scores"]["unsupported_numbers"] == 0, data["warnings"]
    given = f"{account.text()} {data['timing']['days_to_renewal']}"
    assert unsupported_numbers(knowledge_kb, data, given=given) == []
    assert internal_in_customer_text(data) == []
    assert quotes_not_in_chunks(knowledge_kb, data) == []
    # Playbook signals and timing rules are internal and stay in rep-facing sections.
    by_n = {c["n"]: c for c in data["citations"]}
    for s in data["sections"]:
        if any(by_n[n]["source"] == PLAYBOOK for n in s["citations"]):
            assert not s["customer_facing"], s["title"]


# -- an at-risk account: Harbor Savings Bank --------------------------------------------------


def test_harbor_says_stabilise_first(upsell) -> None:
    data = upsell(HARBOR).to_json()
    assert data["timing"]["status"] == "stabilise", data["timing"]
    assert "core-banking sync" in data["timing"]["guidance"]
    assert data["timing"]["days_to_renewal"] == (dt.date(2027, 2, 10) - TODAY).days
    first_things = section(data, "First things first")
    assert first_things["customer_facing"]
    assert "core-banking sync" in first_things["text"]


def test_harbor_pitches_no_opportunity_to_the_customer(upsell) -> None:
    data = upsell(HARBOR).to_json()
    assert data["opportunities"]  # found, but kept for later
    text = customer_text(data).lower()
    for o in data["opportunities"]:
        feature = o["name"].split(" (")[0]
        assert feature.lower() not in text, feature
        assert o["module"].lower() not in text, o["module"]
    assert not [s for s in data["sections"] if s["customer_facing"] and s["citations"]]
    assert "Suggested next step" not in [s["title"] for s in data["sections"]]
    later = section(data, "Opportunities for later")
    assert later["customer_facing"] is False
    for o in data["opportunities"]:
        assert o["name"].split(" (")[0] in later["text"]


def test_harbor_timing_guidance_cites_the_playbook(upsell) -> None:
    data = upsell(HARBOR).to_json()
    timing = section(data, "Timing: stabilise")
    assert timing["customer_facing"] is False
    assert timing["citations"]
    assert CITE_RE.search(timing["text"])
    by_n = {c["n"]: c for c in data["citations"]}
    assert {by_n[n]["source"] for n in timing["citations"]} == {PLAYBOOK}
    assert "The playbook (When not to push): An open Severity 1" in timing["text"]
    assert internal_in_customer_text(data) == []


def test_same_account_twice_gives_identical_json(upsell, app) -> None:
    first = json.dumps(upsell(NORTHBAY).to_json(), sort_keys=True)
    timing = functools.partial(UpsellPlanner.timing, app.upsells, today=TODAY)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(app.upsells, "timing", lambda account, today=None: timing(account))
        again = app.upsell(load_account(NORTHBAY))
    assert json.dumps(again.to_json(), sort_keys=True) == first


# -- account files ----------------------------------------------------------------------------


def test_example_accounts_load() -> None:
    northbay, harbor = load_account(NORTHBAY), load_account(HARBOR)
    assert northbay.owned == ["Keelstone Flow", "Keelstone Vault"]
    assert northbay.renewal_date == dt.date(2027, 7, 31)
    assert harbor.open_issues[0] == Issue(
        summary="nightly core-banking sync failing intermittently since the October upgrade",
        severity="high",
        status="open",
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("account: Acme\nowner: Jo\n", "owner"),  # unknown key
        ("account: Acme\nrenewal_date: next spring\n", "renewal_date"),
        ("account: Acme\nrenewal_date: 2027-13-45\n", "renewal_date"),  # not a calendar date
        ("industry: retail\nowned: [Keelstone Flow]\n", "account"),  # missing account
        ("account: ''\n", "account"),
        ("account: Acme\nseats: -3\n", "seats"),
        ("account: Acme\nopen_issues:\n  - summary: x\n    severity: urgent\n", "severity"),
    ],
    ids=["unknown-key", "bad-date", "impossible-date", "missing-account", "empty", "seats", "sev"],
)
def test_invalid_account_file_names_file_and_field(tmp_path, body, field) -> None:
    path = tmp_path / "acme.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_account(path)
    message = str(info.value)
    assert str(path) in message, message
    assert field in message, message


def test_unreadable_or_malformed_account_file(tmp_path) -> None:
    with pytest.raises(ConfigError, match=r"missing\.yaml"):
        load_account(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("account: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.yaml.*YAML"):
        load_account(bad)
    listed = tmp_path / "list.yaml"
    listed.write_text("- account: Acme\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"list\.yaml"):
        load_account(listed)


# -- timing rules -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def healthy() -> Account:
    return Account(account="Acme", renewal_date=dt.date(2027, 6, 30), health="green")


@pytest.mark.parametrize(
    ("days", "status", "row"),
    [
        (60, "wait", "Last 90 days"),
        (150, "wait", "6 to 3 months"),
        (240, "go", "9 to 6 months"),
        (330, "wait", "First 90 days after renewal"),
    ],
)
def test_timing_by_days_to_renewal(app, healthy, days, status, row) -> None:
    today = healthy.renewal_date - dt.timedelta(days=days)
    timing = app.upsells.timing(healthy, today=today)
    assert timing.status == status
    assert timing.days_to_renewal == days
    assert str(days) in timing.guidance
    assert timing.evidence, "the guidance cites the playbook"
    assert {e.source for e in timing.evidence} == {PLAYBOOK}
    texts = [e.text for e in timing.evidence]
    assert any(t.startswith(row) for t in texts), texts
    rows = ("Last 90 days", "6 to 3 months", "9 to 6 months", "First 90 days after renewal")
    top = next((r for r in rows if texts[0].startswith(r)), row)
    assert top == row, texts  # the most relevant rule is the one for this window


@pytest.mark.parametrize(
    ("days", "status"), [(90, "wait"), (91, "wait"), (180, "wait"), (181, "go"), (275, "go")]
)
def test_timing_window_edges(app, healthy, days, status) -> None:
    today = healthy.renewal_date - dt.timedelta(days=days)
    assert app.upsells.timing(healthy, today=today).status == status


def test_timing_escalations_come_first(app, healthy) -> None:
    today = healthy.renewal_date - dt.timedelta(days=240)  # otherwise the best window
    sev1 = Issue(summary="exports failing for all users", severity="sev1")
    blocked = healthy.model_copy(update={"open_issues": [sev1]})
    timing = app.upsells.timing(blocked, today=today)
    assert timing.status == "stabilise"
    assert "exports failing for all users" in timing.guidance
    assert {e.source for e in timing.evidence} == {PLAYBOOK}
    red = healthy.model_copy(update={"health": "red"})
    assert app.upsells.timing(red, today=today).status == "stabilise"
    resolved = Issue(summary="old outage", severity="critical", status="resolved")
    minor = Issue(summary="export formatting", severity="low")
    fine = healthy.model_copy(update={"open_issues": [resolved, minor]})
    assert app.upsells.timing(fine, today=today).status == "go"


def test_timing_without_a_renewal_date(app) -> None:
    timing = app.upsells.timing(Account(account="Acme"), today=TODAY)
    assert timing.status == "go"
    assert timing.days_to_renewal is None
    assert "no renewal date" in timing.guidance


# -- the command line -------------------------------------------------------------------------


def test_cli_upsell_json(knowledge_kb, monkeypatch, embedder, capsys) -> None:
    monkeypatch.setattr(kb_module, "make_embedder", lambda *a, **k: embedder, raising=False)
    code = main(
        ["--kb", str(knowledge_kb.root), "upsell", "--account-file", str(NORTHBAY), "--json"]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    data = json.loads(out)
    assert {"account", "opportunities", "sections", "citations", "warnings"} <= set(data)
    assert data["account"] == "Northbay Logistics"
    assert data["opportunities"] and data["writer"] == "offline"
    for o in data["opportunities"]:
        assert {"name", "why", "citations"} <= set(o)
    for s in data["sections"]:
        assert {"title", "text", "citations"} <= set(s)
    assert data["sections"][0]["title"] == "Where you are today"


def test_cli_upsell_bad_account_file(knowledge_kb, tmp_path, capsys) -> None:
    path = tmp_path / "acme.yaml"
    path.write_text("account: Acme\ncolour: blue\n", encoding="utf-8")
    code = main(["--kb", str(knowledge_kb.root), "upsell", "--account-file", str(path)])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert "acme.yaml" in err and "colour" in err
    assert len(err.strip().splitlines()) == 1
