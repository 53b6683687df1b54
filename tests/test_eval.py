"""Retrieval evaluation: the scoring harness, the real-corpus floors (the regression guard) and
the ``eval retrieval`` / ``ask`` command lines."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.core.config import Settings
from assistant.core.errors import ConfigError
from assistant.core.records import Chunk, DocMeta, Hit
from assistant.evals.retrieval import (
    EvalReport,
    ModeScore,
    Question,
    contains_answer,
    evaluate,
    load_questions,
    render_table,
)
from assistant.index import kb as kb_module
from assistant.index.kb import KnowledgeBase
from assistant.retrieval.grounding import Judgement
from assistant.retrieval.retriever import Retriever, SearchResult

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"
KNOWLEDGE_QUESTIONS = ROOT / "eval" / "knowledge-questions.jsonl"
POSTHOG = ROOT.parent / "shared" / "corpora" / "posthog"
POSTHOG_QUESTIONS = POSTHOG / "questions.jsonl"
FAST_MODES = ("dense", "lexical", "hybrid")
ALL_MODES = {"dense", "lexical", "hybrid", "convex", "peer"}
METRICS = {"hit1", "hit5", "mrr10", "ans5", "abstain_unanswerable", "answer_answerable"}
COLUMNS = ("metric", "dense", "lexical", "hybrid", "convex", "peer")
ROWS = ("hit@1", "hit@5", "MRR@10", "ans@5", "abstain (unanswerable)", "answered (answerable)")


# -- contains_answer, load_questions, render_table ----------------------------------------------


def test_contains_answer_ignores_case_and_whitespace() -> None:
    texts = ["Backups every 15 minutes.\nRecovery  point objective (RPO):\n 15 minutes", "other"]
    assert contains_answer(texts, ["recovery point objective (rpo): 15 MINUTES"])
    assert contains_answer(texts, ["not there", "backups every 15"])  # any phrase will do
    assert not contains_answer(texts, ["RTO"])
    assert not contains_answer(texts, [])
    assert not contains_answer([], ["15 minutes"])
    # Phrases do not match across separate texts.
    assert not contains_answer(["15 minutes", "and 4 hours"], ["15 minutes and 4 hours"])


def test_load_questions(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text(
        '{"id": 1, "question": "Q one?", "sources": ["a.md"], "answer_contains": ["x"]}\n\n'
        '{"id": "u", "question": "Q two?", "kind": "unanswerable"}\n',
        encoding="utf-8",
    )
    one, two = load_questions(path)
    assert one == Question("1", "Q one?", ("a.md",), ("x",), "fact")
    assert one.answerable and not two.answerable
    assert two.sources == () and two.answer_contains == ()
    path.write_text('{"id": "x"}\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"q\.jsonl:1"):
        load_questions(path)
    with pytest.raises(ConfigError, match="cannot read"):
        load_questions(tmp_path / "missing.jsonl")


def test_both_question_sets_load() -> None:
    knowledge = load_questions(KNOWLEDGE_QUESTIONS)
    assert (len(knowledge), sum(not q.answerable for q in knowledge)) == (61, 6)
    for q in knowledge:
        if q.answerable:
            assert q.sources and q.answer_contains
            assert all((KNOWLEDGE / s).is_file() for s in q.sources), q.id
    if POSTHOG_QUESTIONS.is_file():
        posthog = load_questions(POSTHOG_QUESTIONS)
        assert (len(posthog), sum(not q.answerable for q in posthog)) == (45, 5)
        for q in posthog:
            assert all((POSTHOG / s).is_file() for s in q.sources), q.id


def test_render_table_lists_modes_and_metrics() -> None:
    scores = {m: ModeScore(hit1=0.5, hit5=1.0, ms_per_query=12.34) for m in COLUMNS[1:]}
    report = EvalReport("corpus", 3, 2, 1, scores)
    table = render_table(report)
    lines = table.splitlines()
    assert lines[0] == "corpus: 2 answerable + 1 unanswerable questions"
    assert lines[1].split() == list(COLUMNS)
    for label in (*ROWS, "ms / query"):
        assert any(line.startswith(label) for line in lines), label
    hit1 = next(line for line in lines if line.startswith("hit@1"))
    assert hit1.split()[1:] == ["0.500"] * 5
    assert "12.3" in table


# -- the harness's arithmetic (scripted rankings, no model) -------------------------------------


def _chunk(source: str, text: str = "filler") -> Chunk:
    return Chunk(f"{source}#{text}", source, text, "", 0, DocMeta())


class ScriptedRetriever(Retriever):
    """Returns a fixed ranking of sources per (question, mode)."""

    def __init__(self, kb: KnowledgeBase, script: dict[tuple[str, str], list[Chunk]]) -> None:
        super().__init__(kb)
        self.script = script

    def search(self, query, k=5, filters=None, mode="hybrid"):  # type: ignore[override]
        chunks = self.script.get((query, mode), [])[:k]
        return SearchResult(query, [Hit(c, 1.0 - i / 100) for i, c in enumerate(chunks)])


class _AbstainOnUnknown:
    def __init__(self, retriever: Retriever) -> None:
        pass

    def judge(self, question: str, hits: list[Hit]) -> Judgement:
        return Judgement(abstained="unknown" in question or not hits, reason="scripted")


def test_evaluate_scores_ranks_answers_and_abstention(hash_kb, monkeypatch) -> None:
    monkeypatch.setattr("assistant.evals.retrieval.Grounder", _AbstainOnUnknown)
    qs = [
        Question("q1", "first", ("a.md",), ("alpha fact",), "fact"),
        Question("q2", "second", ("b.md", "b2.md"), ("beta fact",), "fact"),
        Question("q3", "third", ("c.md",), ("gamma",), "fact"),
        Question("q4", "fourth", ("d.md",), ("delta",), "fact"),
        Question("u1", "unknown thing", (), (), "unanswerable"),
        Question("u2", "known thing", (), (), "unanswerable"),
    ]
    other = [_chunk(f"x{i}.md") for i in range(10)]
    script = {
        ("first", "dense"): [_chunk("a.md", "The ALPHA  fact."), *other],
        ("second", "dense"): [*other[:2], _chunk("b2.md", "beta fact"), *other[2:]],
        ("third", "dense"): other,  # never found
        ("fourth", "dense"): [*other[:6], _chunk("d.md", "delta"), *other[6:]],
        ("unknown thing", "dense"): other,
        ("known thing", "dense"): other,
        ("first", "lexical"): [*other[:4], _chunk("a.md", "no answer here")],
    }
    report = evaluate(hash_kb, ScriptedRetriever(hash_kb, script), qs, modes=("dense", "lexical"))
    assert (report.questions, report.answerable, report.unanswerable) == (6, 4, 2)
    assert list(report.scores) == ["dense", "lexical"]  # no peer without a corpus

    dense = report.scores["dense"]
    assert dense.hit1 == pytest.approx(1 / 4)  # q1
    assert dense.hit5 == pytest.approx(2 / 4)  # q1, q2 (rank 3); q4 is rank 7
    assert dense.mrr10 == pytest.approx((1 + 1 / 3 + 0 + 1 / 7) / 4)
    assert dense.ans5 == pytest.approx(2 / 4)  # q4's answer is at rank 7
    assert dense.abstain_unanswerable == pytest.approx(1 / 2)
    assert dense.answer_answerable == pytest.approx(1.0)

    lexical = report.scores["lexical"]
    assert (lexical.hit1, lexical.hit5, lexical.ans5) == (0.0, pytest.approx(0.25), 0.0)
    assert lexical.mrr10 == pytest.approx(1 / 5 / 4)
    assert lexical.answer_answerable == pytest.approx(1 / 4)  # empty result lists abstain

    rows = {row["id"]: row for row in report.per_question}
    assert rows["q2"]["dense"]["rank"] == 3 and rows["q2"]["dense"]["ans5"] is True
    assert rows["q3"]["dense"]["rank"] is None
    assert rows["u1"]["dense"] == {"abstained": True}
    assert json.loads(json.dumps(report.to_json()))["scores"]["dense"]["hit1"] == 0.25


# -- real-corpus floors: the regression guard ---------------------------------------------------


@pytest.fixture(scope="module")
def knowledge_report(knowledge_kb) -> EvalReport:
    questions = load_questions(KNOWLEDGE_QUESTIONS)
    return evaluate(knowledge_kb, Retriever(knowledge_kb), questions, modes=FAST_MODES)


@pytest.fixture(scope="module")
def posthog_report(posthog_kb) -> EvalReport:
    questions = load_questions(POSTHOG_QUESTIONS)
    return evaluate(posthog_kb, Retriever(posthog_kb), questions, modes=FAST_MODES)


# Measured on the current code (see the report in the PR); floors sit about one question below.
KNOWLEDGE_FLOORS = {
    "hybrid": {
        "hit1": 0.70,
        "hit5": 0.94,
        "mrr10": 0.80,
        "ans5": 0.85,
        "abstain_unanswerable": 0.66,
        "answer_answerable": 0.94,
    },
    "dense": {"hit5": 0.87, "mrr10": 0.78, "ans5": 0.83},
    "lexical": {"hit5": 0.90, "mrr10": 0.76, "ans5": 0.85},
}
POSTHOG_FLOORS = {
    "hybrid": {
        "hit1": 0.95,
        "hit5": 0.97,
        "mrr10": 0.96,
        "ans5": 0.95,
        "abstain_unanswerable": 0.8,
        "answer_answerable": 0.9,
    },
    "dense": {"hit5": 0.97, "mrr10": 0.96},
    "lexical": {"hit5": 0.97, "mrr10": 0.88, "ans5": 0.95},
}


def _check_floors(report: EvalReport, floors: dict[str, dict[str, float]]) -> None:
    failures = [
        f"{mode} {metric}: {getattr(report.scores[mode], metric):.3f} < {floor}"
        for mode, metrics in floors.items()
        for metric, floor in metrics.items()
        if getattr(report.scores[mode], metric) < floor
    ]
    assert not failures, "\n".join(failures) + "\n" + render_table(report)


def test_knowledge_retrieval_floors(knowledge_report) -> None:
    assert (knowledge_report.answerable, knowledge_report.unanswerable) == (55, 6)
    _check_floors(knowledge_report, KNOWLEDGE_FLOORS)


def test_posthog_retrieval_floors(posthog_report) -> None:
    assert (posthog_report.answerable, posthog_report.unanswerable) == (40, 5)
    _check_floors(posthog_report, POSTHOG_FLOORS)


@pytest.mark.slow  # the report fixture is chosen at run time
@pytest.mark.parametrize("corpus", ["knowledge", "posthog"])
@pytest.mark.parametrize("metric", ["hit5", "mrr10"])
def test_hybrid_is_at_least_as_good_as_either_ranker(request, corpus, metric) -> None:
    report = request.getfixturevalue(f"{corpus}_report")
    hybrid = getattr(report.scores["hybrid"], metric)
    for mode in ("dense", "lexical"):
        assert hybrid >= getattr(report.scores[mode], metric) - 1e-9, render_table(report)


@pytest.mark.slow  # the report fixture is chosen at run time
@pytest.mark.parametrize("corpus", ["knowledge", "posthog"])
def test_named_unanswerables_abstain_in_every_mode(request, corpus) -> None:
    report = request.getfixturevalue(f"{corpus}_report")
    must = {"knowledge": {"ks-56", "ks-57", "ks-58", "ks-60"}, "posthog": {"ph-41", "ph-42"}}
    rows = {row["id"]: row for row in report.per_question}
    for qid in must[corpus]:
        for mode in FAST_MODES:
            assert rows[qid][mode]["abstained"], (qid, mode)


# -- the command line: eval retrieval -----------------------------------------------------------


@pytest.fixture(scope="module")
def cli_kb(tmp_path_factory, embedder):
    """One full ``eval retrieval --json`` run (all five modes, ingesting into a fresh KB); the
    KB is then reused by the other command-line tests. The CLI gets the session's model."""
    root = tmp_path_factory.mktemp("cli")
    kb = root / "kb"
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        mp.setattr(kb_module, "make_embedder", lambda *a, **k: embedder, raising=False)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(
                [
                    "--kb",
                    str(kb),
                    "eval",
                    "retrieval",
                    "--corpus",
                    str(KNOWLEDGE),
                    "--questions",
                    str(KNOWLEDGE_QUESTIONS),
                    "--json",
                ]
            )
    return {"kb": kb, "code": code, "stdout": out.getvalue(), "stderr": err.getvalue()}


@pytest.fixture
def cli_model(monkeypatch, embedder) -> None:
    monkeypatch.setattr(kb_module, "make_embedder", lambda *a, **k: embedder, raising=False)


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_eval_retrieval_json(cli_kb) -> None:
    assert cli_kb["code"] == 0, cli_kb["stderr"]
    data = json.loads(cli_kb["stdout"])  # stdout is exactly one JSON document
    assert (data["questions"], data["answerable"], data["unanswerable"]) == (61, 55, 6)
    assert set(data["scores"]) == ALL_MODES
    for mode, s in data["scores"].items():
        assert set(s) == {*METRICS, "ms_per_query"}, mode
        assert all(0.0 <= s[m] <= 1.0 for m in METRICS), (mode, s)
        assert s["ms_per_query"] > 0
    assert len(data["per_question"]) == 61
    hybrid, peer = data["scores"]["hybrid"], data["scores"]["peer"]
    # The peer recipe never abstains; ours does, and finds the right page in the top 5 more
    # often. (The peer's MRR@10 and hit@1 are currently a little higher on this set.)
    assert (peer["abstain_unanswerable"], peer["answer_answerable"]) == (0.0, 1.0)
    assert hybrid["abstain_unanswerable"] > peer["abstain_unanswerable"]
    assert hybrid["hit5"] > peer["hit5"] and hybrid["ans5"] > peer["ans5"]
    for metric, floor in KNOWLEDGE_FLOORS["hybrid"].items():
        assert hybrid[metric] >= floor, (metric, hybrid)


def test_cli_eval_ingested_the_corpus_into_the_kb(cli_kb) -> None:
    kb = KnowledgeBase(Settings(kb=cli_kb["kb"]))
    sources = {d.source for d in kb.manifest.documents()}
    assert len(sources) == len(list(p for p in KNOWLEDGE.rglob("*") if p.is_file()))
    assert "battlecards/pipewell.md" in sources
    assert (cli_kb["kb"] / "peer").is_dir()


def test_cli_eval_retrieval_table(cli_kb, cli_model, tmp_path, capsys) -> None:
    few = tmp_path / "few.jsonl"
    lines = KNOWLEDGE_QUESTIONS.read_text(encoding="utf-8").splitlines()
    few.write_text("\n".join([lines[0], lines[34], lines[-1]]) + "\n", encoding="utf-8")
    args = ["--kb", str(cli_kb["kb"]), "eval", "retrieval"]
    code, out, err = run(capsys, *args, "--corpus", str(KNOWLEDGE), "--questions", str(few))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].endswith("2 answerable + 1 unanswerable questions")
    assert lines[1].split() == list(COLUMNS)
    for label in ROWS:
        assert any(line.startswith(label) for line in lines), label


def test_cli_eval_retrieval_bad_corpus(tmp_path, capsys) -> None:
    args = ["--kb", str(tmp_path / "kb"), "eval", "retrieval", "--corpus", str(tmp_path / "no")]
    code, out, err = run(capsys, *args, "--questions", str(KNOWLEDGE_QUESTIONS))
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "--corpus" in err


# -- the command line: ask ----------------------------------------------------------------------


def test_cli_ask_json_contract(cli_kb, cli_model, capsys) -> None:
    kb = str(cli_kb["kb"])
    code, out, err = run(capsys, "--kb", kb, "ask", "What do we charge for Flow overage?", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert {"answer", "abstained", "citations", "results"} <= set(data)
    assert data["abstained"] is False and isinstance(data["answer"], str)
    assert data["citations"] and len(data["results"]) == 5
    for c in data["citations"]:
        assert {"source", "section", "quote"} <= set(c)
        assert (KNOWLEDGE / c["source"]).is_file()
    for r in data["results"]:
        assert {"source", "section", "score", "text"} <= set(r)
        assert isinstance(r["score"], float) and r["text"]

    code, out, _ = run(
        capsys, "--kb", kb, "ask", "Are we FedRAMP authorized?", "--json", "--k", "3"
    )
    data = json.loads(out)
    assert code == 0 and data["abstained"] is True and data["citations"] == []
    assert data["answer"].startswith("The knowledge base does not cover this.")
    assert len(data["results"]) == 3


def test_cli_ask_text_output(cli_kb, cli_model, capsys) -> None:
    q = "What recovery point and recovery time objectives do we commit to?"
    code, out, _ = run(capsys, "--kb", str(cli_kb["kb"]), "ask", q)
    assert code == 0
    assert out.startswith(f"**{q}**") and "15 minutes" in out and "[1]" in out


def test_cli_ask_on_an_empty_kb_exits_2(tmp_path, capsys) -> None:
    code, out, err = run(capsys, "--kb", str(tmp_path / "empty"), "ask", "anything?", "--json")
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "empty" in err


@pytest.mark.parametrize(
    ("flags", "check"),
    [
        (["--doc-type", "battlecard"], lambda r: r["doc_type"] == "battlecard"),
        (["--audience", "customer-safe"], lambda r: r["audience"] == "customer-safe"),
        (
            ["--doc-type", "pricing", "--doc-type", "security"],
            lambda r: r["doc_type"] in ("pricing", "security"),
        ),
        (["--only-competitor", "Pipewell"], lambda r: r["source"] == "battlecards/pipewell.md"),
        (["--product", "Keelstone Vault"], lambda r: r["source"] == "products/keelstone-vault.md"),
    ],
)
def test_cli_ask_filter_flags_restrict_results(cli_kb, cli_model, capsys, flags, check) -> None:
    q = "What discount can I offer and who approves it?"
    kb = str(cli_kb["kb"])
    _, out, _ = run(capsys, "--kb", kb, "ask", q, "--json", "--k", "8")
    unfiltered = json.loads(out)["results"]
    assert not all(check(r) for r in unfiltered), "the flag must make a difference"
    code, out, err = run(capsys, "--kb", kb, "ask", q, "--json", "--k", "8", *flags)
    assert code == 0, err
    data = json.loads(out)
    assert data["results"] and all(check(r) for r in data["results"]), data["results"]
    for c in data["citations"]:
        assert any(c["source"] == r["source"] for r in data["results"])


def test_cli_ask_fresh_days(cli_kb, cli_model, capsys) -> None:
    kb = KnowledgeBase(Settings(kb=cli_kb["kb"]))
    updated = {d.source: d.meta.updated for d in kb.manifest.documents()}
    days = 25
    cutoff = dt.date.today() - dt.timedelta(days=days)
    q = "How should I handle a Pipewell pricing objection?"
    args = ["--kb", str(cli_kb["kb"]), "ask", q, "--json", "--k", "10"]
    code, out, _ = run(capsys, *args, "--fresh-days", str(days))
    assert code == 0
    for r in json.loads(out)["results"]:
        when = updated[r["source"]]
        assert when is None or when >= cutoff, (r["source"], when)


# -- the command line: eval pitch and eval objections -------------------------------------------


def test_cli_eval_objections_counts_cited_key_points(cli_kb, cli_model, tmp_path, capsys) -> None:
    """Each key point counts when a cited sentence of the response says it; one no source
    holds is missed; the sources the writer was given hold at least what was said."""
    file = tmp_path / "objections.jsonl"
    row = {
        "id": "o1",
        "objection": "Pipewell is way cheaper than you",
        "sources": ["battlecards/pipewell.md"],
        "key_points": ["what you spend in total", "all connectors included", "a free pony"],
    }
    file.write_text(json.dumps(row) + "\n", encoding="utf-8")
    args = ["--kb", str(cli_kb["kb"]), "eval", "objections", "--corpus", str(KNOWLEDGE)]
    code, out, err = run(capsys, *args, "--file", str(file), "--json")
    assert code == 0, err
    data = json.loads(out)
    (got,) = data["rows"]
    assert got["covered"] == ["what you spend in total", "all connectors included"]
    assert got["missed"] == ["a free pony"] and got["expected_source_cited"]
    assert (data["key_points"], data["key_points_covered"]) == (3, 2)
    assert data["key_point_share"] == pytest.approx(2 / 3, abs=1e-3)
    assert data["key_point_share_in_sources"] >= data["key_point_share"]
    assert data["verbatim"] == 1.0


def test_cli_eval_objections_counts_only_the_sources_the_budget_holds(
    cli_kb, cli_model, tmp_path, capsys, monkeypatch
) -> None:
    """The key points "in the sources" are those of the sections an LLM writer is actually
    given: a point in a section the token budget leaves out is not counted."""
    file = tmp_path / "objections.jsonl"
    row = {
        "id": "o1",
        "objection": "Pipewell is way cheaper than you",
        "key_points": ["what you spend in total", "No credit card is required"],
    }
    file.write_text(json.dumps(row) + "\n", encoding="utf-8")
    args = ["--kb", str(cli_kb["kb"]), "eval", "objections", "--corpus", str(KNOWLEDGE)]
    shares = []
    for budget in ("6000", "500"):
        monkeypatch.setenv("PITCHCRAFT_LLM_CONTEXT_TOKENS", budget)
        code, out, err = run(capsys, *args, "--file", str(file), "--json")
        assert code == 0, err
        shares.append(json.loads(out)["rows"][0]["in_sources_given"])
    assert shares == [row["key_points"], ["what you spend in total"]]


def test_cli_eval_pitch_checks_each_scenario(cli_kb, cli_model, tmp_path, capsys) -> None:
    file = tmp_path / "scenarios.jsonl"
    rows = [
        {
            "id": "s1",
            "persona": "CFO",
            "account": "Logistics company replacing hand-built pipelines",
            "competitor": "Pipewell",
            "must_cite_any": ["battlecards/pipewell.md"],
        },
        {"id": "s2", "persona": "CIO", "account": "", "competitor": None, "must_cite_any": []},
    ]
    file.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    args = ["--kb", str(cli_kb["kb"]), "eval", "pitch", "--corpus", str(KNOWLEDGE)]
    code, out, err = run(capsys, *args, "--scenarios", str(file))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == f"pitch on {KNOWLEDGE}"
    assert any(line.split()[:2] == ["scenarios", "2"] for line in lines)
    s1 = next(line for line in lines if " s1 " in line)
    assert s1.split()[0] == "pass" and "competitor Pipewell (compared: True, section: True)" in s1
    assert next(line for line in lines if " s2 " in line).split()[0] == "pass"
