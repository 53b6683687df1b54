"""Abstention and grounded answers: ``ask`` says "not covered" instead of guessing, and what it
does say is quoted from the cited source."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest

from assistant.core.text import normalize
from assistant.ingest.loaders import load_file
from assistant.ingest.pipeline import ingest
from assistant.jobs.ask import NOT_COVERED, AskResult, answer, plan_answer
from assistant.retrieval.grounding import ANSWER_TYPES, Grounder, answer_type
from assistant.retrieval.retriever import Retriever
from assistant.writers.offline import OfflineWriter

KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"

# -- helpers ----------------------------------------------------------------------------------

_doc_text: dict[str, str] = {}


def ask(retriever: Retriever, question: str, k: int = 5) -> AskResult:
    """The offline answer, as ``pitchcraft ask`` gives it without an LLM."""
    plan = plan_answer(retriever, question, k)
    return answer(plan, OfflineWriter().write(plan))


def document_text(source: str) -> str:
    """The loaded text of a sample document, as the loader produces it."""
    if source not in _doc_text:
        doc, _ = load_file(KNOWLEDGE / source, PurePosixPath(source))
        _doc_text[source] = normalize(doc.text)
    return _doc_text[source]


def assert_abstained(result) -> None:
    assert result.abstained, (result.question, result.answer)
    assert result.answer.startswith(NOT_COVERED), result.answer
    assert result.citations.items == []
    data = result.to_json()
    assert data["abstained"] is True and data["citations"] == []


def assert_grounded(kb, result) -> None:
    """Answered, cited, and every quote is verbatim text of its chunk and of its document."""
    assert not result.abstained, (result.question, result.reason)
    assert not result.answer.startswith(NOT_COVERED)
    assert result.citations.items, "an answer must cite something"
    chunks = {c.id: c for c in kb.manifest.chunks([c.chunk_id for c in result.citations.items])}
    for n, cite in enumerate(result.citations.items, 1):
        assert cite.n == n
        assert f"[{n}]" in result.answer
        assert cite.quote.strip()
        chunk = chunks[cite.chunk_id]
        assert chunk.source == cite.source and chunk.heading == cite.section
        quote = normalize(cite.quote)
        assert quote in normalize(chunk.text), (cite.source, cite.quote)
        assert quote in document_text(cite.source), (cite.source, cite.quote)


# -- abstention on the sample KB ----------------------------------------------------------------

UNANSWERABLE = [
    "Is Keelstone FedRAMP authorized so I can take it into a federal agency deal?",
    "Are we certified PCI DSS Level 1 as a service provider?",
    "Do we hold HITRUST CSF certification for healthcare prospects?",
    "How should I position Keelstone against Nimbra Integrations?",
]


@pytest.mark.parametrize("question", UNANSWERABLE)
def test_unanswerable_questions_abstain(knowledge_kb, question) -> None:
    result = ask(Retriever(knowledge_kb), question)
    assert_abstained(result)
    assert result.reason
    assert result.hits, "abstaining still shows what was retrieved"


def test_unknown_competitor_is_named_in_the_reason(knowledge_kb) -> None:
    result = ask(Retriever(knowledge_kb), "How should I position Keelstone against Nimbra?")
    assert_abstained(result)
    assert "Nimbra" in result.reason


ANSWERABLE = [
    (
        "What recovery point and recovery time objectives do we commit to?",
        ["15 minutes", "4 hours"],
    ),
    ("What do we charge for Flow task overage on Enterprise?", ["$0.15"]),
    (
        "Can a prospect's security team get the SOC 2 report without signing an NDA?",
        ["NDA"],
    ),
    (
        "Prospect says Pipewell costs a fraction of our quote. How should I handle it?",
        ["Pipewell"],
    ),
    ("Could a hospital use Pipewell under a BAA, and can we offer one?", ["BAA"]),
    ("How often do outside firms pen test the platform?", ["twice a year"]),
]


@pytest.mark.parametrize(("question", "phrases"), ANSWERABLE)
def test_answerable_questions_are_answered_with_verbatim_citations(
    knowledge_kb, question, phrases
) -> None:
    result = ask(Retriever(knowledge_kb), question)
    assert_grounded(knowledge_kb, result)
    answer = normalize(result.answer)
    for phrase in phrases:
        assert normalize(phrase) in answer, (phrase, result.answer)


def test_pipewell_objection_cites_the_pipewell_battlecard(knowledge_kb) -> None:
    question = "Prospect says Pipewell costs a fraction of our quote. How should I handle it?"
    result = ask(Retriever(knowledge_kb), question)
    assert_grounded(knowledge_kb, result)
    assert result.citations.items[0].source == "battlecards/pipewell.md"


def test_answer_json_contract(knowledge_kb) -> None:
    data = ask(Retriever(knowledge_kb), "What do we charge for Flow task overage?", k=4).to_json()
    assert {"answer", "abstained", "citations", "results"} <= set(data)
    assert data["abstained"] is False
    assert len(data["results"]) == 4
    for c in data["citations"]:
        assert {"source", "section", "quote"} <= set(c)
    for r in data["results"]:
        assert {"source", "section", "score", "text"} <= set(r)
        assert isinstance(r["score"], float)
    scores = [r["score"] for r in data["results"]]
    assert scores == sorted(scores, reverse=True)


# -- competitor facts may only come from that competitor's evidence ----------------------------

COMPETITOR_PRICE = [
    "How much does Pipewell cost per year?",
    "How much does Stratavia charge per connector?",
    "What does Brightfold cost?",
]


@pytest.mark.parametrize("question", COMPETITOR_PRICE)
def test_competitor_price_the_kb_lacks_is_not_answered_with_our_prices(
    knowledge_kb, question
) -> None:
    """The battlecards never state these competitors' prices; they do state Keelstone's."""
    result = ask(Retriever(knowledge_kb), question)
    assert_abstained(result)


def test_competitor_price_answer_quotes_only_sentences_about_the_competitor(knowledge_kb) -> None:
    """Pipewell's free tier answers "Pipewell's price"; Keelstone's $42,000 on the same
    battlecard must not sit next to it as if it were Pipewell's."""
    result = ask(Retriever(knowledge_kb), "What is Pipewell's price per connector?")
    assert_grounded(knowledge_kb, result)
    assert "free tier" in normalize(result.answer)
    assert "$42,000" not in result.answer
    assert all("pipewell" in normalize(c.quote) for c in result.citations.items)


def test_competitor_fact_the_kb_has_is_answered(knowledge_kb) -> None:
    result = ask(Retriever(knowledge_kb), "Does Pipewell offer a HIPAA BAA?")
    assert_grounded(knowledge_kb, result)
    assert "pipewell does not offer a hipaa baa" in normalize(result.answer)


# -- typed questions need a typed answer ------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("What percentage discount do we give for buying every module?", "percent"),
        ("How many percent of tickets close on day one?", "percent"),
        ("How much does Premier Support cost?", "money"),
        ("What is the list price of the Business edition?", "money"),
        ("What would Flow cost for 40 connectors?", "money"),
        ("How long can a proof of value run?", "duration"),
        ("How quickly do we answer a Severity 1 ticket?", "duration"),
        ("What is Keelstone Flow?", None),
        ("Who approves a 25% discount?", None),
        ("What is Pipewell's price per connector?", "money"),
        ("What's our win rate against Stratavia?", "percent"),
        ("What is the overage rate for Flow tasks?", None),
        ("What's its pricing for a second region?", "money"),
    ],
)
def test_answer_type_of_a_question(question, kind) -> None:
    assert answer_type(question) == kind


TYPED = [
    ("What percentage discount do we give for buying every module?", "15%"),
    ("What does it cost to add Premier Support?", "$30,000"),
    ("What do we charge for Flow task overage on Enterprise?", "$0.15"),
    ("How long can a proof of value run, and does the customer pay for it?", "30 days"),
    ("How long does legal usually take for the first pass on MSA redlines?", "5 business days"),
    # "price" is answered by the platform fee's row, not by an add-on's "Price:" column
    ("What is the price of the Enterprise edition?", "$120,000"),
]


@pytest.mark.parametrize(("question", "value"), TYPED)
def test_typed_questions_are_answered_with_a_value_of_that_type(
    knowledge_kb, question, value
) -> None:
    result = ask(Retriever(knowledge_kb), question)
    assert_grounded(knowledge_kb, result)
    kind = answer_type(question)
    assert kind is not None
    pattern = ANSWER_TYPES[kind][1]
    assert pattern.search(result.citations.items[0].quote), result.citations.items[0].quote
    assert normalize(value) in normalize(result.answer)


TYPED_WITHOUT_A_VALUE = [
    "What percentage of deals include Lens?",
    "What percentage of customers use the Edge Agent?",
    "How long does Stratavia take to answer a support ticket?",
    "What's our net revenue retention rate across all customers?",
    "What churn rate do Keelstone Reach customers have?",
]


@pytest.mark.parametrize("question", TYPED_WITHOUT_A_VALUE)
def test_typed_questions_without_a_typed_answer_abstain(knowledge_kb, question) -> None:
    """Nothing in the KB states this number: answering with untyped sentences is a guess."""
    result = ask(Retriever(knowledge_kb), question)
    kind = answer_type(question)
    assert kind is not None
    if not result.abstained:  # show what was said instead of a value
        quotes = [c.quote for c in result.citations.items]
        assert any(ANSWER_TYPES[kind][1].search(q) for q in quotes), (result.answer, quotes)
    assert_abstained(result)


# -- the grounder on a tiny corpus (no model) -------------------------------------------------


def _tiny(root: Path, onboarding: str) -> Path:
    docs = {
        "products/onboarding.md": f"# Onboarding\n\n## Timeline\n\n{onboarding}\n",
        "products/reporting.md": "# Reporting\n\n## Dashboards\n\nDashboards refresh hourly "
        "and export to spreadsheets for the finance team.\n",
        "products/security.md": "# Security\n\n## Encryption\n\nData is encrypted at rest "
        "with AES-256 and in transit with TLS 1.3.\n",
        "battlecards/acme.md": "---\ncompetitor: Acme\n---\n# Us vs Acme\n\n## Pricing\n\n"
        "Our Team plan costs $900 per month. Acme customers complain about onboarding.\n",
    }
    for rel, text in docs.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def _tiny_kb(hash_kb, tmp_path: Path, onboarding: str):
    report = ingest(hash_kb, [_tiny(tmp_path / "corpus", onboarding)])
    assert not report.failed
    return Retriever(hash_kb)


def test_duration_question_with_a_duration_is_answered(hash_kb, tmp_path) -> None:
    r = _tiny_kb(hash_kb, tmp_path, "Onboarding takes 6 weeks with a named engineer.")
    result = ask(r, "How long does onboarding take?")
    assert not result.abstained, result.reason
    assert "6 weeks" in result.citations.items[0].quote


def test_duration_question_without_a_duration_abstains(hash_kb, tmp_path) -> None:
    r = _tiny_kb(hash_kb, tmp_path, "Onboarding takes careful planning with a named engineer.")
    result = ask(r, "How long does onboarding take?")
    assert_abstained(result)
    assert "time frame" in result.reason


def test_grounder_abstains_on_no_hits_and_unknown_names(hash_kb, tmp_path) -> None:
    r = _tiny_kb(hash_kb, tmp_path, "Onboarding takes 6 weeks with a named engineer.")
    judgement = Grounder(r).judge("How long does onboarding take?", [])
    assert judgement.abstained and judgement.answer_type == "duration"
    result = ask(r, "Does onboarding include a Zorblax certification?")
    assert_abstained(result)
    assert "Zorblax" in result.reason


def test_competitor_question_is_not_answered_with_our_own_price(hash_kb, tmp_path) -> None:
    r = _tiny_kb(hash_kb, tmp_path, "Onboarding takes 6 weeks with a named engineer.")
    result = ask(r, "How much does Acme cost per month?")
    # The only price near "Acme" is our Team plan's: that is not Acme's price.
    assert_abstained(result)


def test_a_price_for_a_named_plan_comes_from_a_passage_that_names_it(hash_kb, tmp_path) -> None:
    """ "What does the Ultra edition cost?": the Team plan's price, found next to a page that
    names Ultra without a price, is not the answer."""
    root = tmp_path / "corpus"
    docs = {
        "pricing.md": "# Pricing\n\n## Team\n\nThe Team plan costs $12 per user per month.\n",
        "editions.md": "# Editions\n\n## Ultra\n\nThe Ultra edition adds a dedicated region "
        "and audit export for regulated buyers.\n",
    }
    for n in range(60):  # enough other pages for "Ultra" to be a rare name
        docs[f"notes/note-{n}.md"] = f"# Note {n}\n\nThe product team reviews requests weekly.\n"
    for rel, text in docs.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    assert not ingest(hash_kb, [root]).failed
    r = Retriever(hash_kb)
    result = ask(r, "What does the Ultra edition cost per user per month?")
    assert_abstained(result)
    answered = ask(r, "What does the Team plan cost per user per month?")
    assert not answered.abstained, answered.reason
    assert "$12" in answered.citations.items[0].quote


def test_a_name_set_lower_first_is_a_term_the_answer_hinges_on(hash_kb, tmp_path) -> None:
    """ "iOS", "macOS": a name the knowledge base never uses makes the grounder abstain, as
    "Zorblax" does, rather than answer with a sentence that shares "native"."""
    r = _tiny_kb(hash_kb, tmp_path, "Onboarding takes 6 weeks with a native data import.")
    assert "iOS" in r.distinctive_terms("Do you have a native iOS app for approvers?")
    result = ask(r, "Do you have a native iOS app for onboarding?")
    assert_abstained(result)
    assert "iOS" in result.reason


def test_questions_are_never_answers_but_give_their_answer_context(hash_kb, tmp_path) -> None:
    """A list of questions still waiting for an answer ("Raised by …; Status: OPEN") answers
    nothing, not even the question it repeats; an FAQ's answer is scored with the words of
    the question above it."""
    root = tmp_path / "corpus"
    docs = {
        "open-questions.md": "# Open questions from the field\n\nQuestions reps heard that "
        "have no approved answer yet.\n\n| Question | Raised by | Status |\n|---|---|---|\n"
        "| Is there a non-profit discount? | Lena Vogt | OPEN |\n"
        "| Do we support a data region in Australia? | Kai Turner | OPEN |\n"
        "| Can budgets sync back to the ERP? | Sam Whitcombe | OPEN |\n",
        "faq.md": "# FAQ\n\nQ: Can invoices be paid by bank transfer?\n\nA: Yes. Finance "
        "teams settle them within thirty days.\n",
    }
    root.mkdir()
    for rel, text in docs.items():
        (root / rel).write_text(text, encoding="utf-8")
    assert not ingest(hash_kb, [root]).failed
    r = Retriever(hash_kb)
    [chunk] = [c for c in hash_kb.manifest.all_chunks() if c.source == "open-questions.md"]
    assert chunk.role == "open_question", chunk.role_reason
    assert_abstained(ask(r, "Is there a non-profit discount?"))
    assert_abstained(ask(r, "Do we support a data region in Australia?"))
    answered = ask(r, "Can invoices be paid by bank transfer?")
    assert not answered.abstained, answered.reason
    quotes = [c.quote for c in answered.citations.items]
    assert not any(q.rstrip().endswith("?") for q in quotes), quotes
    assert "Finance teams settle them within thirty days." in " ".join(quotes)
