"""The deal room on the examples in examples/deals/ (three fictional deals written for this
project) with the real embedding model and the sample knowledge base: every extracted field
quotes its notes verbatim, fields the notes are silent on stay empty, the three forecast calls,
the close plan's roles from the who-to-involve directory, the CLI's JSON and errors, pitches
from a deal, and an LLM's extraction checked by the same verifier."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from fake_openai import FakeOpenAI, fake_openai_fixture, reply, status  # noqa: F401

from assistant.cli import main
from assistant.core.config import REPO_ROOT, Settings
from assistant.deals.records import FIELDS
from assistant.deals.room import DealRoom
from assistant.deals.store import DealStore
from assistant.writers.llm import LLMWriter
from assistant.writers.prompts import Prompts

pytestmark = pytest.mark.slow  # the embedding model reads the notes, even from the CLI

EXAMPLES = REPO_ROOT / "examples" / "deals"
AS_OF = dt.date(2026, 12, 2)
DEALS = {
    "lakemont-bank": "Lakemont Bank",
    "fernhill-retail": "Fernhill",
    "ostrava-logistics": "Ostrava",
}


@pytest.fixture(scope="module")
def room(knowledge_kb, tmp_path_factory: pytest.TempPathFactory) -> DealRoom:
    """The CRM export imported, then every example meeting logged, once."""
    store = DealStore(tmp_path_factory.mktemp("deals") / "deals.sqlite")
    room = DealRoom(knowledge_kb, store=store)
    report = room.import_crm((EXAMPLES / "crm-salesforce.csv").read_bytes(), "crm-salesforce.csv")
    assert len(report.added) == 6
    for folder, name in DEALS.items():
        for notes in sorted((EXAMPLES / folder).glob("*.md")):
            logged = room.log(name, notes.read_bytes(), notes.name)
            assert logged.created and not logged.warnings, (notes, logged.warnings)
    return room


def _meeting(room: DealRoom, deal: str, date: str):
    meetings = room.store.meetings(room.store.get(deal))
    return next(m for m in meetings if m.date.isoformat() == date)


def _fields(meeting) -> dict[str, list]:
    out: dict[str, list] = {f: [] for f in FIELDS}
    for s in meeting.extraction.signals:
        out[s.field].append(s)
    return out


def test_every_signal_quotes_its_notes_verbatim(room: DealRoom) -> None:
    for deal in room.store.deals():
        for m in room.store.meetings(deal):
            flat = " ".join(m.notes.split())
            for s in m.extraction.signals:
                assert " ".join(s.quote.split()) in flat, (m.date, s)
                assert s.field in FIELDS and s.speaker in ("buyer", "rep") and s.value


def test_the_commit_deal_is_qualified_field_by_field(room: DealRoom) -> None:
    discovery = _fields(_meeting(room, "Lakemont", "2026-09-15"))
    assert any("cut audit prep from 6 weeks to 1 week" in s.quote for s in discovery["metrics"])
    assert discovery["competition"][0].value == "Stratavia"
    assert discovery["pain"]
    # "No idea who owns the budget", "Haven't asked about ... procurement": nothing guessed.
    assert discovery["economic_buyer"] == [] and discovery["paper_process"] == []
    assert discovery["decision_process"] == []

    cfo = _fields(_meeting(room, "Lakemont", "2026-11-03"))
    eb = cfo["economic_buyer"]
    assert eb and all(s.value.startswith("Margaret Oyelaran") and s.speaker == "buyer" for s in eb)
    assert any("I sign anything over $250,000" in s.quote for s in eb)
    paper = [s.quote for s in cfo["paper_process"]]
    assert "Procurement needs a signed MSA and DPA before we can issue a PO." in paper

    commit = _fields(_meeting(room, "Lakemont", "2026-11-24"))
    assert any(s.quote.startswith("Budget is approved: $330,000") for s in commit["economic_buyer"])
    assert commit["decision_process"][0].value == "2026-12-15"
    assert commit["champion"][0].value.startswith("Nadia Forsberg")


def test_the_deal_that_only_looks_good_has_no_economic_buyer(room: DealRoom) -> None:
    meetings = room.store.meetings(room.store.get("Fernhill"))
    assert len(meetings) == 3
    for m in meetings:
        fields = _fields(m)
        assert fields["economic_buyer"] == [], (m.date, fields["economic_buyer"])
        assert fields["decision_process"] == [] and fields["paper_process"] == [], m.date
    demo = _fields(_meeting(room, "Fernhill", "2026-10-13"))
    assert any(s.quote == "Tessa loved it." for s in demo["champion"])
    assert demo["competition"][0].value == "Brightfold"


def test_next_steps_have_owners_and_due_dates(room: DealRoom) -> None:
    steps = _meeting(room, "Lakemont", "2026-11-24").extraction.next_steps
    chase = next(s for s in steps if "chase Legal" in s.text)
    assert (chase.owner, chase.due) == ("Elliot Varga", "2026-11-27")
    assert all(s.text in _meeting(room, "Lakemont", "2026-11-24").notes for s in steps)


@pytest.mark.parametrize(
    ("deal", "category"),
    [("Lakemont", "commit"), ("Fernhill", "best_case"), ("Ostrava", "closed_won")],
)
def test_the_three_forecast_calls(room: DealRoom, deal: str, category: str) -> None:
    shown = room.show(deal, AS_OF)
    call = shown["forecast"]
    assert call["category"] == category
    for sign in call["signs_for"]:
        meeting = _meeting(room, deal, sign["date"])
        assert " ".join(sign["quote"].split()) in " ".join(meeting.notes.split())
    if deal == "Fernhill":  # a great champion is not a commit
        assert any(m.startswith("economic_buyer") for m in call["missing"])
    if deal == "Ostrava":  # a signed order form is closed, not commit
        assert "countersigned" in call["signs_for"][0]["quote"]


def test_show_has_the_record_stakeholders_changes_and_risks(room: DealRoom) -> None:
    shown = room.show("Lakemont", AS_OF)
    assert shown["deal"]["amount"] == 280800.0 and shown["deal"]["close_date"] == "2026-12-15"
    assert set(shown["qualification"]) == set(FIELDS) and all(shown["qualification"].values())
    roles = {s["name"]: s["role"] for s in shown["stakeholders"]}
    assert roles["Margaret Oyelaran"] == "economic buyer" and roles["Nadia Forsberg"] == "champion"
    assert roles["Rosa Quintero"] == "procurement"
    assert shown["changes"] and shown["risks"]
    fern = room.show("Fernhill", AS_OF)
    assert fern["qualification"]["economic_buyer"] is None


def test_the_close_plan_names_the_teams_of_the_who_to_involve_directory(room: DealRoom) -> None:
    plan = room.show("Lakemont", AS_OF)["close_plan"]
    steps = {p["step"]: p for p in plan}
    assert "security review" not in steps  # the notes say it was signed off
    legal = steps["legal review"]
    assert legal["involve"] == "Legal"
    assert all(c["source"] == "internal/who-to-involve.md" for c in legal["citations"])
    assert any("redlines" in c["quote"].lower() for c in legal["citations"])
    assert legal["lead_days"] == 5  # "first review of redlines 5 business days"
    close = dt.date(2026, 12, 15)
    assert all(dt.date.fromisoformat(p["when"]) <= close for p in plan)
    assert [p["step"] for p in plan] == [
        s for s in ("legal review", "procurement", "signature") if s in steps
    ]
    assert room.show("Ostrava", AS_OF)["close_plan"] == []  # signed: nothing left


def test_pipeline_in_one_currency_with_flags(room: DealRoom) -> None:
    out = room.pipeline(AS_OF, quota=400000.0)
    assert out["currency"] == "USD"
    q4 = next(q for q in out["quarters"] if q["quarter"] == "2026-Q4")
    assert q4["commit"] == 280800.0 and q4["best_case"] == 165000.0
    flags = {(f["deal"].split(" - ")[0], f["flag"]) for f in out["flags"]}
    assert ("Ostrava Logistics", "other currency") in flags  # EUR is never added to USD
    assert ("Fernhill Retail", "no meeting in 21 days") in flags
    assert ("Quillmoor Mutual", "no meeting logged") in flags


def test_a_pitch_and_an_objection_take_their_context_from_the_deal(room: DealRoom) -> None:
    ctx = room.context("Lakemont")
    assert ctx.persona == "Chief Financial Officer" and ctx.competitor == "Stratavia"
    assert "audit prep" in ctx.account
    assert set(ctx.used) == {"persona", "account", "competitor"}


# -- the command line ------------------------------------------------------------------------------


def _cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_deal_log_show_and_pipeline_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], model_cache: Path
) -> None:
    kb = ["--kb", str(tmp_path / "kb"), "--json"]
    notes = EXAMPLES / "lakemont-bank" / "2026-11-24-commit-call.md"
    code, out, _ = _cli(
        [*kb, "deal", "log", "Lakemont", "--account", "Lakemont Bank", "--notes", str(notes)],
        capsys,
    )
    data = json.loads(out)
    assert code == 0 and data["deal"] == "Lakemont" and data["created"]
    assert {"date", "summary", "next_steps"} <= set(data["meeting"])
    assert {"text", "owner", "due"} == set(data["meeting"]["next_steps"][0])
    assert {"field", "value", "quote", "speaker"} == set(data["signals"][0])
    code, out, err = _cli([*kb, "deal", "log", "Lakemont", "--notes", str(notes)], capsys)
    assert code == 0 and not json.loads(out)["created"] and "already logged" in err
    code, out, _ = _cli([*kb, "deal", "show", "Lakemont", "--as-of", "2026-11-25"], capsys)
    shown = json.loads(out)
    assert {"name", "account", "stage", "amount", "close_date"} <= set(shown["deal"])
    assert shown["forecast"]["category"] == "commit"
    assert {"category", "signs_for", "signs_against", "missing"} <= set(shown["forecast"])
    assert shown["qualification"]["pain"] is None or "quote" in shown["qualification"]["pain"]
    code, out, _ = _cli([*kb, "pipeline", "--as-of", "2026-11-25"], capsys)
    assert code == 0 and {"quarters", "flags"} <= set(json.loads(out))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the notes are empty"),
        (b"a" * (2 * 1024 * 1024), "over the 512 KB limit"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not text"),
    ],
)
def test_cli_refuses_bad_notes_and_keeps_what_is_stored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, message: str
) -> None:
    kb = ["--kb", str(tmp_path / "kb")]
    good = EXAMPLES / "fernhill-retail" / "2026-09-22-discovery-transcript.md"
    assert (
        _cli(
            [*kb, "deal", "log", "Fernhill", "--account", "Fernhill Retail", "--notes", str(good)],
            capsys,
        )[0]
        == 0
    )
    bad = tmp_path / "bad.md"
    bad.write_bytes(content)
    code, out, err = _cli([*kb, "deal", "log", "Fernhill", "--notes", str(bad)], capsys)
    assert code == 2 and message in err and err.count("\n") == 1 and not out
    store = DealStore(tmp_path / "kb" / "deals.sqlite")
    assert len(store.meetings(store.get("Fernhill"))) == 1  # nothing lost, nothing added


def test_cli_other_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    kb = ["--kb", str(tmp_path / "kb")]
    notes = EXAMPLES / "fernhill-retail" / "2026-11-10-check-in.md"
    code, _, err = _cli([*kb, "deal", "show", "Nowhere"], capsys)
    assert code == 2 and "no deal named 'Nowhere'" in err
    code, _, err = _cli([*kb, "deal", "log", "New deal", "--notes", str(notes)], capsys)
    assert code == 2 and "give its account (--account)" in err
    assert (
        _cli([*kb, "deal", "log", "Fern", "--account", "Fernhill", "--notes", str(notes)], capsys)[
            0
        ]
        == 0
    )
    code, _, err = _cli(
        [*kb, "deal", "log", "Fern", "--account", "Other Co", "--notes", str(notes)], capsys
    )
    assert code == 2 and "is for account Fernhill" in err
    code, _, err = _cli([*kb, "deal", "import", str(tmp_path / "missing.csv")], capsys)
    assert code == 2 and "cannot read" in err


def test_cli_notes_in_another_language_are_stored_with_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text(
        "Date: 2026-11-03\n\nLe directeur financier a confirmé que le budget est approuvé pour "
        "l'année prochaine. La décision sera prise par le comité de direction avant la fin du "
        "mois, après la revue de sécurité et la revue juridique du contrat.\n",
        encoding="utf-8",
    )
    kb = ["--kb", str(tmp_path / "kb"), "--json"]
    code, out, err = _cli(
        [*kb, "deal", "log", "Acme", "--account", "Acme", "--notes", str(notes)], capsys
    )
    data = json.loads(out)
    assert code == 1 and "do not look English" in err
    assert data["signals"] == [] and data["created"]


# -- an LLM extracts; the same verifier checks it ------------------------------------------------


def _llm_room(kb, fake: FakeOpenAI, tmp_path: Path) -> DealRoom:
    settings = Settings(
        kb=kb.root,
        openai_base_url=fake.base_url,
        openai_api_key="sk-test",
        llm_timeout=2.0,
        llm_retries=0,
    )
    writer = LLMWriter(settings, Prompts(settings.prompts_dir))
    return DealRoom(kb, llm=writer, store=DealStore(tmp_path / "deals.sqlite"))


def test_an_llm_extraction_keeps_only_quotes_that_are_in_the_notes(
    knowledge_kb, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    notes = (EXAMPLES / "lakemont-bank" / "2026-11-24-commit-call.md").read_bytes()
    answer = {
        "summary": "Commit call with the CFO.",
        "next_steps": [{"text": "Elliot to chase Legal", "owner": "Elliot", "due": "2026-11-27"}],
        "signals": [
            {
                "field": "economic_buyer",
                "value": "Margaret",
                "quote": "Margaret will sign the order form; she owns the budget.",
                "speaker": "buyer",
            },
            {
                "field": "decision_process",
                "value": "2026-12-15",
                "quote": "Decision by 2026-12-15.",
                "speaker": "rep",
            },
            {
                "field": "metrics",
                "value": "50% cost cut",
                "quote": "They expect to halve their costs.",
                "speaker": "buyer",
            },
            {
                "field": "budget",
                "value": "330k",
                "quote": "Decision by 2026-12-15.",
                "speaker": "rep",
            },
        ],
    }
    fake_openai.script(reply(json.dumps(answer)))
    room = _llm_room(knowledge_kb, fake_openai, tmp_path)
    logged = room.log("Lakemont", notes, "notes.md", account="Lakemont Bank")
    fields = [s.field for s in logged.meeting.extraction.signals]
    assert fields == ["economic_buyer", "decision_process"]
    assert logged.meeting.extraction.extracted_by == "llm:gpt-4o-mini"
    assert any("quote is not a sentence of the notes" in w for w in logged.warnings)
    assert any("unknown field 'budget'" in w for w in logged.warnings)
    assert "<source" in fake_openai.chat_requests[-1].messages[1]["content"]  # notes fenced as data


def test_a_failing_llm_leaves_the_rules_to_read_the_notes(
    knowledge_kb, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    fake_openai.script(status(500))
    room = _llm_room(knowledge_kb, fake_openai, tmp_path)
    notes = (EXAMPLES / "lakemont-bank" / "2026-11-24-commit-call.md").read_bytes()
    logged = room.log("Lakemont", notes, "notes.md", account="Lakemont Bank")
    assert logged.meeting.extraction.extracted_by == "offline"
    assert logged.meeting.extraction.signals
    assert any("the rules read the notes" in w for w in logged.warnings)


def test_two_deal_log_processes_at_once_both_land(tmp_path: Path, model_cache: Path) -> None:
    import os
    import subprocess
    import sys

    kb = tmp_path / "kb"
    env = {**os.environ, "PITCHCRAFT_CACHE_DIR": str(model_cache)}
    folder = EXAMPLES / "lakemont-bank"
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "assistant",
                "--kb",
                str(kb),
                "deal",
                "log",
                "Lakemont",
                "--account",
                "Lakemont Bank",
                "--notes",
                str(notes),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for notes in sorted(folder.glob("*.md"))[:2]
    ]
    errors = [p.communicate(timeout=300)[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errors
    store = DealStore(kb / "deals.sqlite")
    assert len(store.deals()) == 1 and len(store.meetings(store.get("Lakemont"))) == 2


def test_cli_pitch_and_objection_from_a_deal_say_what_they_used(
    knowledge_kb, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    kb = tmp_path / "kb"
    shutil.copytree(knowledge_kb.root, kb)
    notes = EXAMPLES / "lakemont-bank" / "2026-11-24-commit-call.md"
    args = ["--kb", str(kb), "--json"]
    assert (
        _cli(
            [*args, "deal", "log", "Lakemont", "--account", "Lakemont Bank", "--notes", str(notes)],
            capsys,
        )[0]
        == 0
    )
    code, out, _ = _cli([*args, "pitch", "--deal", "Lakemont"], capsys)
    pitch = json.loads(out)
    assert code == 0 and pitch["persona"]["title"] == "Chief Financial Officer"
    assert pitch["competitor"] == "Stratavia"
    assert set(pitch["deal"]["used"]) == {"persona", "account", "competitor"}
    assert any(s["title"] == "From the deal record" for s in pitch["sections"])
    code, out, _ = _cli([*args, "pitch", "--deal", "Lakemont", "--persona", "cio"], capsys)
    assert set(json.loads(out)["deal"]["used"]) == {"account", "competitor"}  # --persona wins
    code, out, _ = _cli(
        [*args, "objection", "You cost more than we pay today", "--deal", "Lakemont"], capsys
    )
    objection = json.loads(out)
    assert code == 0 and objection["competitor"] == "Stratavia"
    assert set(objection["deal"]["used"]) == {"persona", "competitor"}


def test_an_llm_answer_of_the_wrong_shape_leaves_no_deal_behind(
    knowledge_kb, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    notes = (EXAMPLES / "lakemont-bank" / "2026-11-24-commit-call.md").read_bytes()
    steps = {"summary": "x", "next_steps": ["Send the MSA"], "signals": []}
    fake_openai.script(reply(json.dumps(steps)))
    room = _llm_room(knowledge_kb, fake_openai, tmp_path)
    logged = room.log("Lakemont", notes, "notes.md", account="Lakemont Bank")
    assert logged.meeting.extraction.extracted_by == "offline"  # the rules read it instead
    assert any("not in the shape asked" in w for w in logged.warnings)
    invented = {
        "summary": "x",
        "next_steps": [{"text": "Sign the deal tomorrow", "owner": "Sam", "due": ""}],
        "signals": [],
    }
    fake_openai.script(reply(json.dumps(invented)))
    other = room.log(
        "Fernhill",
        (EXAMPLES / "fernhill-retail" / "2026-11-10-check-in.md").read_bytes(),
        account="Fernhill",
    )
    assert other.meeting.extraction.next_steps == []
    assert any("next step not in the notes" in w for w in other.warnings)
