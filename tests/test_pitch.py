"""Pitches: grounded, persona-tailored and deterministic, for every built-in persona and every
competitor in the sample knowledge base, plus the real PostHog corpus and the ``pitch`` and
``personas`` command lines.

Every grounding property is checked twice: through the verifier's own ``scores`` and by an
independent re-computation here (own sentence splitting, own number matching against the text
of the cited chunks), so a bug in the verifier cannot hide a bug in the composer.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from assistant.cli import main
from assistant.core.results import Result
from assistant.core.text import is_pending, label_free, sentences, strip_label
from assistant.index import kb as kb_module
from assistant.jobs import talk
from assistant.jobs.features import FeaturePick
from assistant.jobs.pitch import PitchRequest
from assistant.personas.loading import load_personas
from assistant.retrieval.evidence import is_customer_sayable, is_pitchable
from assistant.service import Pitchcraft

ROOT = Path(__file__).resolve().parent.parent
PROMPTS = ROOT / "prompts"
PERSONA_IDS = sorted(load_personas(PROMPTS))
COMPETITORS = ("Stratavia", "Pipewell", "Brightfold")
COMPETITIVE_TYPES = {"battlecard", "comparison"}
REP_FACING = ("Why these features", "Discovery questions", "Objections to pre-empt")
REP_NOTES = "Rep notes (internal)"
ACCOUNT = (
    "Regional logistics company with 400 staff, moving shipment and warehouse data off nightly "
    "batch jobs; a major retail shipper is asking for audit evidence and tighter access control."
)

# -- independent checks -----------------------------------------------------------------------

CITE_RE = re.compile(r"\[(\d+)\]")
NUMBER_RE = re.compile(r"\d+(?:[.,:]\d+)*")
_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "vs.", "approx.", "incl.", "Inc.", "Ltd.", "No.", "Dr.")
# ... never after an initial: "US East (N. Virginia)" is one sentence
_SENTENCE_END = re.compile(
    r"(?:(?<=[.!?])|(?<=[.!?][\"”']))(?<![\s(][A-Z]\.)\s+(?=[\"“'(]?[A-Z0-9$*])"
)


def flat(text: str) -> str:
    return " ".join(text.split())


def split_sentences(text: str) -> list[str]:
    """Sentences of a section: one per line item, split on sentence ends, a quotation kept
    whole, a bare ``[n]`` left after a sentence end joined to that sentence."""
    out: list[str] = []
    for raw in text.splitlines():
        line = re.sub(r"^\s*(?:[-*•]|\d{1,2}[.)])\s+", "", raw).strip()
        if not line:
            continue
        protected = line
        for i, abbr in enumerate(_ABBREVIATIONS):
            protected = protected.replace(abbr, f"\x00{i}\x00")
        parts: list[str] = []
        for part in _SENTENCE_END.split(protected):
            for i, abbr in enumerate(_ABBREVIATIONS):
                part = part.replace(f"\x00{i}\x00", abbr)
            if parts and (parts[-1].count('"') % 2 or parts[-1].count("“") > parts[-1].count("”")):
                parts[-1] += " " + part  # still inside a quotation
            elif parts and re.fullmatch(r"(?:\[\d+\]\s*)+[.!?]?", part):
                parts[-1] += " " + part
            else:
                parts.append(part)
        out.extend(p for p in parts if re.search(r"[A-Za-z]", CITE_RE.sub("", p)))
    return out


def customer_sentences(data: dict[str, Any]) -> list[tuple[str, str]]:
    """(section title, sentence) for every sentence of every customer-facing section."""
    return [
        (s["title"], sent)
        for s in data["sections"]
        if s["customer_facing"]
        for sent in split_sentences(s["text"])
    ]


def own_cited_share(data: dict[str, Any]) -> tuple[float, list[str]]:
    sents = customer_sentences(data)
    uncited = [f"{title}: {s}" for title, s in sents if not CITE_RE.search(s)]
    return (1 - len(uncited) / len(sents) if sents else 1.0), uncited


def chunk_texts(kb, data: dict[str, Any]) -> dict[str, str]:
    ids = [c["chunk_id"] for c in data["citations"]]
    return {c.id: c.text for c in kb.manifest.chunks(ids)}


def number_in(number: str, text: str) -> bool:
    return re.search(rf"(?<![\d.,]){re.escape(number)}(?!\d)", text) is not None


def unsupported_numbers(kb, data: dict[str, Any], given: str = "") -> list[str]:
    """Numbers in customer-facing sentences that occur in none of the chunks the sentence
    cites (numbers from the user's own input need no source)."""
    by_n = {c["n"]: c for c in data["citations"]}
    texts = chunk_texts(kb, data)
    bad = []
    for title, sent in customer_sentences(data):
        cited = [texts.get(by_n[int(n)]["chunk_id"], "") for n in CITE_RE.findall(sent)]
        for number in NUMBER_RE.findall(CITE_RE.sub("", sent)):
            if number_in(number, given):
                continue
            if not any(number_in(number, t) for t in cited):
                bad.append(f"{number!r} in {title}: {sent}")
    return bad


def internal_in_customer_text(data: dict[str, Any]) -> list[str]:
    by_n = {c["n"]: c for c in data["citations"]}
    found = []
    for s in data["sections"]:
        if not s["customer_facing"]:
            continue
        refs = {int(n) for n in CITE_RE.findall(s["text"])} | set(s["citations"])
        found += [
            f"{s['title']} [{n}] {by_n[n]['source']}"
            for n in sorted(refs)
            if by_n[n]["audience"] == "internal"
        ]
    return found


def quotes_not_in_chunks(kb, data: dict[str, Any]) -> list[str]:
    texts = chunk_texts(kb, data)
    bad = []
    for c in data["citations"]:
        text = texts.get(c["chunk_id"])
        if text is None:
            bad.append(f"[{c['n']}] chunk {c['chunk_id']} does not exist")
        elif flat(c["quote"]) not in flat(text):
            bad.append(f"[{c['n']}] {c['source']}: {c['quote']!r}")
    return bad


def competitor_claims_off_battlecards(data: dict[str, Any], names: Iterable[str]) -> list[str]:
    """Customer-facing sentences naming a competitor that cite anything but battlecards and
    comparison pages (or nothing at all)."""
    by_n = {c["n"]: c for c in data["citations"]}
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, names)) + r")\b", re.I)
    bad = []
    for title, sent in customer_sentences(data):
        if not pattern.search(CITE_RE.sub("", sent)):
            continue
        types = {by_n[int(n)]["doc_type"] for n in CITE_RE.findall(sent)}
        if not types or not types <= COMPETITIVE_TYPES:
            bad.append(f"{title}: {sent} (cites {sorted(types) or 'nothing'})")
    return bad


def section(data: dict[str, Any], title: str) -> dict[str, Any]:
    found = [s for s in data["sections"] if s["title"] == title]
    assert found, f"no section {title!r} in {[s['title'] for s in data['sections']]}"
    return found[0]


def customer_text(data: dict[str, Any]) -> str:
    return "\n".join(CITE_RE.sub("", s["text"]) for s in data["sections"] if s["customer_facing"])


# -- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def app(knowledge_kb) -> Pitchcraft:
    """One service per module: it caches the planner, the resolver and the retriever."""
    return Pitchcraft(knowledge_kb)


@pytest.fixture(scope="module")
def pitches(app):
    """``pitches(persona, competitor)``: the matrix pitch for the fixed account, made once."""
    cache: dict[tuple[str, str | None], Result] = {}

    def get(persona: str, competitor: str | None) -> Result:
        key = (persona, competitor)
        if key not in cache:
            cache[key] = app.pitch(
                PitchRequest(persona=persona, account=ACCOUNT, competitor=competitor)
            )
        return cache[key]

    return get


MATRIX = [
    pytest.param(p, c, id=f"{p}-{c or 'none'}") for p in PERSONA_IDS for c in (*COMPETITORS, None)
]


# -- the matrix: every persona x every competitor (and none) ----------------------------------


def test_matrix_covers_every_persona_and_competitor(app, knowledge_kb) -> None:
    assert set(app.personas) == set(PERSONA_IDS)
    assert len(PERSONA_IDS) >= 10 and "executive" in PERSONA_IDS
    in_kb = {d.meta.competitor for d in knowledge_kb.manifest.documents() if d.meta.competitor}
    assert in_kb == set(COMPETITORS)


@pytest.mark.parametrize(("persona", "competitor"), MATRIX)
def test_pitch_has_three_features_with_reasons_and_citations(pitches, persona, competitor) -> None:
    data = pitches(persona, competitor).to_json()
    assert data["writer"] == "offline"
    assert data["persona"]["id"] == persona
    assert data["competitor"] == competitor
    features = data["features"]
    assert len(features) == 3, [f["name"] for f in features]
    assert len({f["name"] for f in features}) == 3
    numbers = {c["n"] for c in data["citations"]}
    for f in features:
        assert f["why"].strip() and f["name"] in f["why"], f
        assert f["citations"], f"{f['name']} has no citations"
        assert set(f["citations"]) <= numbers
        # The feature's citations are the ones its own customer-facing section uses.
        own = section(data, f["name"])
        assert own["customer_facing"]
        assert set(f["citations"]) <= set(own["citations"]), (f, own)


@pytest.mark.parametrize(("persona", "competitor"), MATRIX)
def test_pitch_customer_facing_sentences_are_cited(pitches, persona, competitor) -> None:
    data = pitches(persona, competitor).to_json()
    share, uncited = own_cited_share(data)
    assert data["scores"]["cited_share"] >= 0.9, (data["scores"], uncited)
    assert share >= 0.9, f"own count {share:.3f}; uncited: {uncited}"


@pytest.mark.parametrize(("persona", "competitor"), MATRIX)
def test_pitch_numbers_occur_in_cited_sources(knowledge_kb, pitches, persona, competitor) -> None:
    result = pitches(persona, competitor)
    data = result.to_json()
    assert data["scores"]["unsupported_numbers"] == 0, result.warnings
    assert unsupported_numbers(knowledge_kb, data, given=ACCOUNT) == []


@pytest.mark.parametrize(("persona", "competitor"), MATRIX)
def test_pitch_customer_text_cites_no_internal_source(pitches, persona, competitor) -> None:
    data = pitches(persona, competitor).to_json()
    assert data["scores"]["internal_in_customer_text"] == 0
    assert internal_in_customer_text(data) == []
    assert not [w for w in data["warnings"] if "internal source" in w]


@pytest.mark.parametrize(("persona", "competitor"), MATRIX)
def test_pitch_quotes_occur_in_their_chunks(knowledge_kb, pitches, persona, competitor) -> None:
    data = pitches(persona, competitor).to_json()
    assert data["citations"]
    assert quotes_not_in_chunks(knowledge_kb, data) == []


@pytest.mark.parametrize(("persona", "competitor"), MATRIX)
def test_pitch_competitor_claims_cite_battlecards_only(pitches, persona, competitor) -> None:
    data = pitches(persona, competitor).to_json()
    flagged = [w for w in data["warnings"] if "cites no page that compares them" in w]
    assert flagged == []
    assert competitor_claims_off_battlecards(data, COMPETITORS) == []


@pytest.mark.parametrize(("persona", "competitor"), MATRIX)
def test_pitch_rep_notes_are_rep_facing(pitches, persona, competitor) -> None:
    data = pitches(persona, competitor).to_json()
    for s in data["sections"]:
        if s["title"] in (*REP_FACING, REP_NOTES):
            assert s["customer_facing"] is False, s["title"]
    for title in ("Why these features", "Objections to pre-empt", REP_NOTES):
        assert section(data, title)["customer_facing"] is False, title
    notes = section(data, REP_NOTES)["text"]
    assert "Who to involve:" in notes
    landmines = "Landmines to plant:" in notes
    assert landmines == (competitor is not None), notes
    if competitor:
        by_n = {c["n"]: c for c in data["citations"]}
        block = notes.split("Landmines to plant:")[1].split("\n\n")[0]
        refs = [int(n) for n in CITE_RE.findall(block)]
        assert refs
        assert {by_n[n]["source"] for n in refs} == {f"battlecards/{competitor.lower()}.md"}
        # A competitive section exists and draws on that competitor's page only.
        versus = section(data, f"Versus {competitor}")
        assert versus["customer_facing"] and versus["citations"]
        assert {by_n[n]["source"] for n in versus["citations"]} == {
            f"battlecards/{competitor.lower()}.md"
        }
    else:
        assert not [s for s in data["sections"] if s["title"].startswith("Versus")]


@pytest.mark.parametrize(
    ("persona", "heading"),
    [("cio", "CIO (Chief Information Officer)"), ("ciso", "CISO"), ("cmo", "CMO")],
)
def test_pitch_has_discovery_questions_for_the_persona(pitches, persona, heading) -> None:
    """The discovery guide's questions for this persona, rep-facing, cited to the guide."""
    data = pitches(persona, None).to_json()
    titles = [s["title"] for s in data["sections"]]
    assert "Discovery questions" in titles, titles
    questions = section(data, "Discovery questions")
    assert questions["customer_facing"] is False
    lines = [ln for ln in questions["text"].splitlines() if ln.startswith("- ")]
    assert 1 <= len(lines) <= 4
    assert all("?" in ln and CITE_RE.search(ln) for ln in lines), lines
    by_n = {c["n"]: c for c in data["citations"]}
    cited = [by_n[n] for n in questions["citations"]]
    assert {c["source"] for c in cited} == {"internal/discovery-guide.md"}
    assert all(heading in c["section"] for c in cited), [c["section"] for c in cited]


# Verbs that open an instruction to the rep ("Demonstrate a Workflow Studio process...", "Find
# the Brightfold end date..."): battlecard playbook steps, never something to read to a buyer.
REP_INSTRUCTIONS = frozenset(
    """ask bring compare demonstrate exploit find involve lead map offer position respect show
    use""".split()
)


@pytest.mark.parametrize("competitor", COMPETITORS)
def test_customer_text_quotes_no_rep_instructions(pitches, competitor) -> None:
    """Battlecard sentences read to the customer are claims, not coaching for the rep."""
    found = []
    for persona in PERSONA_IDS:
        data = pitches(persona, competitor).to_json()
        facing = {n for s in data["sections"] if s["customer_facing"] for n in s["citations"]}
        for c in data["citations"]:
            said = strip_label(c["quote"])
            if c["n"] in facing and said.split()[0].lower() in REP_INSTRUCTIONS:
                found.append(f"{persona}: [{c['source']} > {c['section']}] {said}")
    assert found == [], "\n".join(dict.fromkeys(found))


def test_customer_sentences_start_like_sentences(pitches) -> None:
    """No customer-facing sentence starts in lower case (a template led by ``{priority}``)."""
    found = []
    for persona in PERSONA_IDS:
        for competitor in (*COMPETITORS, None):
            data = pitches(persona, competitor).to_json()
            found += [
                f"{persona}/{competitor}: {title}: {sent[:90]}"
                for title, sent in customer_sentences(data)
                if sent[:1].islower()
            ]
    assert found == [], "\n".join(dict.fromkeys(found))


@pytest.mark.parametrize(
    ("item", "prose"),
    [
        ("Tenant isolation: Each tenant has its own keys.", "Each tenant has its own keys."),
        ("Defend the budget: Marketing leaders can show it.", "Marketing leaders can show it."),
        (
            "Governance: Row-level policies apply everywhere.",
            "Row-level policies apply everywhere.",
        ),
        ("Retention: 90 days on Team.", None),  # a fragment keeps its label
        ("Supported systems: JDBC and ODBC databases.", None),
        ("Channels: Email and SMS, push and paid social.", None),
        ("Reframe: the question is evidence.", None),
    ],
)
def test_labelled_list_items_read_as_prose_only_when_a_sentence_follows(item, prose) -> None:
    assert label_free(item) == (prose or item)


def test_sentences_keep_initials_and_quotes_whole() -> None:
    """ "(N. Virginia)" ends no sentence; a quote wrapped over lines stays one sentence with the
    attribution on its last line."""
    assert sentences("Hosted in us-east-1 (N. Virginia) and eu-central-1. Backups too.") == [
        "Hosted in us-east-1 (N. Virginia) and eu-central-1.",
        "Backups too.",
    ]
    quote = (
        '"It took us three weeks of\nback-and-forth. Now it takes\nan hour." — Ilse, Head of Data'
    )
    assert sentences(quote) == [
        '"It took us three weeks of back-and-forth. Now it takes an hour." — Ilse, Head of Data'
    ]
    assert sentences("Team — Price: $6\nGrowth — Price: $11") == [
        "Team — Price: $6",
        "Growth — Price: $11",
    ]


@pytest.mark.parametrize(
    ("sentence", "pending"),
    [
        ("Do we support SAP SuccessFactors? — asked by 2 prospects, waiting on product", True),
        ("Are we FedRAMP authorised? — no answer from security yet", True),
        ("Is there a free trial? — No, but we run a paid pilot.", False),
        ("Do you support SSO? — Answer: yes, SAML and OIDC on every plan", False),
        ("Single sign-on is included on every plan.", False),
    ],
)
def test_a_question_with_a_status_note_is_pending(sentence, pending) -> None:
    assert is_pending(sentence) is pending


def test_footnote_markers_do_not_start_sentences() -> None:
    text = "| Flags | Yes* |\n\n*Flags are a paid add-on. The rest is free.\n\n* A list item here."
    assert sentences(text) == [
        "| Flags | Yes* |",
        "Flags are a paid add-on.",
        "The rest is free.",
        "A list item here.",
    ]


@pytest.mark.parametrize(
    ("sentence", "sayable"),
    [
        ("Each weak spot below maps to specific Keelstone features.", False),
        ("We cover these replay features in greater depth below.", False),
        ("Below, we've listed the most popular integrations.", False),
        ("This section includes a summary of integrations by category.", False),
        ("Service credits apply when uptime falls below the SLA.", True),
        ("Uptime is above 99.9% for every region.", True),
        # a request to the reader is no fact either
        ("Please report anything you notice that seems broken in the issues stream.", False),
        ("Pleased customers renew at a higher rate than any other segment.", True),
        # an instruction to the rep heading a point ("Lead with …: fact")
        ("Lead with time to value: 6 to 8 weeks to go live", False),
        ("Use cases: finance teams approve purchases in hours.", True),
        ("Approval Flows: multi-step approvals with thresholds by amount", True),
        # a code block's lines, an email template's placeholders
        ("```sql CREATE ROLE READER; GRANT USAGE ON WAREHOUSE TO ROLE READER; ```", False),
        ("Hi {{first_name}}, thanks for joining our webinar on closing faster.", False),
    ],
)
def test_sentences_about_the_document_or_to_the_reader_are_not_said(sentence, sayable) -> None:
    assert is_customer_sayable(sentence) is sayable


@pytest.mark.parametrize(
    ("sentence", "pitchable"),
    [
        ("— Dana Reyes, CTO, Northbay Logistics", False),  # who said the quote above
        ("You can reduce this by raising the polling interval.", False),  # "this" is elsewhere
        ("You can reduce costs by raising the polling interval.", True),
        ("Teams cut review time, effort and errors.", True),
        ("The drawback of this approach is that changes take 5 minutes to roll out.", False),
    ],
)
def test_attributions_and_pointing_back_are_not_pitched(sentence, pitchable) -> None:
    assert is_pitchable(sentence) is pitchable


@pytest.mark.parametrize(("persona", "competitor"), MATRIX)
def test_the_next_step_repeats_no_feature_fact(pitches, persona, competitor) -> None:
    data = pitches(persona, competitor).to_json()
    by_n = {c["n"]: c["quote"] for c in data["citations"]}
    step = {by_n[n] for n in section(data, "Next step")["citations"]}
    said = {by_n[n] for f in data["features"] for n in f["citations"]}
    assert not step & said


def test_company_name_is_used_when_given(app) -> None:
    request = PitchRequest(persona="cio", account=ACCOUNT, company="Northbay Logistics")
    data = app.pitch(request).to_json()
    assert "Northbay Logistics" in section(data, "Opening")["text"]
    assert "your team" not in section(data, "Opening")["text"]


def _stories(knowledge_kb, data: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(section title, citation) for every case-study citation in the Opening and the Proof."""
    case_studies = {
        d.source: d.meta
        for d in knowledge_kb.manifest.documents()
        if d.meta.doc_type == "case_study"
    }
    by_n = {c["n"]: c for c in data["citations"]}
    return [
        (title, by_n[n])
        for title in ("Opening", "Proof")
        for s in data["sections"]
        if s["title"] == title
        for n in s["citations"]
        if by_n[n]["source"] in case_studies
    ]


@pytest.mark.parametrize("persona", ["cmo", "cio", "cfo", "ciso"])
def test_customer_stories_fit_the_persona_and_name_the_customer(knowledge_kb, app, persona) -> None:
    """A marketing leader at a bank hears marketing results, not another buyer's audit metrics:
    each story is a case study written for the persona or one that names a picked feature, and
    the text says whose result it is."""
    _check_stories(knowledge_kb, app, persona)


def _check_stories(knowledge_kb, app, persona: str) -> int:
    """Checks every customer story of a bank pitch for ``persona``; returns how many quoted."""
    quoted = 0
    account = "Regional bank; campaign attribution is a mess and the data team is overloaded."
    data = app.pitch(PitchRequest(persona=persona, account=account, company="Harbor")).to_json()
    picked = [f["name"].lower() for f in data["features"]]
    stories = _stories(knowledge_kb, data)
    assert stories, [s["title"] for s in data["sections"]]
    for title, c in stories:
        (chunk,) = knowledge_kb.manifest.chunks([c["chunk_id"]])
        assert persona in chunk.meta.personas or any(f in c["quote"].lower() for f in picked), c
        text = section(data, title)["text"]
        assert chunk.meta.extra["customer"] in text, (title, c["source"])
        if c["quote"].startswith('"'):  # a quotation names its speaker, as the case study does
            quoted += 1
            said_by = re.search(re.escape(c["quote"]) + r" — ([^\[]+) \[", text)
            assert said_by, text
            after = chunk.text.split(c["quote"], 1)[1].lstrip()
            assert after.startswith(said_by.group(1)), (said_by.group(1), after[:80])
    return quoted


def test_quotations_in_pitches_name_their_speaker(knowledge_kb, app) -> None:
    assert sum(_check_stories(knowledge_kb, app, p) for p in ("cmo", "ciso", "champion")) >= 2


# -- persona tuning ---------------------------------------------------------------------------


@pytest.mark.parametrize("competitor", [None, "Stratavia"])
def test_cio_pitch_is_more_technical_than_cmo_pitch(pitches, competitor) -> None:
    cio = pitches("cio", competitor).to_json()
    cmo = pitches("cmo", competitor).to_json()
    assert cio["scores"]["technical_share"] >= 2 * cmo["scores"]["technical_share"]
    assert cio["scores"]["technical_share"] > cmo["scores"]["technical_share"]
    assert {f["name"] for f in cio["features"]} != {f["name"] for f in cmo["features"]}


@pytest.mark.parametrize("competitor", [None, *COMPETITORS])
def test_cmo_pitch_avoids_cmo_jargon(app, pitches, competitor) -> None:
    cmo = app.personas["cmo"]
    assert cmo.vocabulary.avoid  # the check below is not vacuous
    data = pitches("cmo", competitor).to_json()
    assert cmo.avoided_terms(customer_text(data)) == []
    assert data["scores"]["jargon"] == []


# -- determinism ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "competitor"), [("cio", "Stratavia"), ("cmo", None), ("cfo", "Brightfold")]
)
def test_same_request_gives_identical_json(app, persona, competitor) -> None:
    request = PitchRequest(persona=persona, account=ACCOUNT, competitor=competitor)
    first = app.pitch(request)
    second = app.pitch(request)
    assert json.dumps(first.to_json(), sort_keys=True) == json.dumps(
        second.to_json(), sort_keys=True
    )
    assert first.to_markdown() == second.to_markdown()


def test_a_fresh_service_gives_the_same_pitch(pitches, knowledge_kb) -> None:
    """No hidden state: a new service (cold planner and resolver caches) agrees."""
    fresh = Pitchcraft(knowledge_kb)
    request = PitchRequest(persona="cio", account=ACCOUNT, competitor="Stratavia")
    expected = json.dumps(pitches("cio", "Stratavia").to_json(), sort_keys=True)
    assert json.dumps(fresh.pitch(request).to_json(), sort_keys=True) == expected


# -- persona resolution in pitches ------------------------------------------------------------


@pytest.mark.parametrize("title", ["Chief Information Officer", "Head of IT", "CIO", "cio"])
def test_cio_titles_resolve_to_cio(app, title) -> None:
    result = app.pitch(PitchRequest(persona=title, account=ACCOUNT))
    persona = result.to_json()["persona"]
    assert persona["id"] == "cio", persona
    assert persona["query"] == title
    assert persona["why"]


def test_unlisted_title_resolves_by_meaning_with_a_reason(app) -> None:
    data = app.pitch(PitchRequest(persona="Director of Data Platform", account=ACCOUNT)).to_json()
    persona = data["persona"]
    assert persona["method"] == "meaning", persona
    assert persona["id"] in app.personas
    assert persona["why"].strip() and "Director of Data Platform" in persona["why"]
    assert len(data["features"]) == 3


@pytest.mark.parametrize(
    "title", ["Chief Bottle Washer", "Astronaut", "Senior Team Lead", "???", "VP, Data & AI (EMEA)"]
)
def test_a_job_title_is_never_an_error(app, title) -> None:
    data = app.pitch(PitchRequest(persona=title, account=ACCOUNT)).to_json()
    persona = data["persona"]
    assert persona["id"] in app.personas
    assert persona["method"] in {"id", "alias", "words", "meaning", "default"}
    assert persona["why"].strip()
    assert len(data["features"]) == 3


# -- competitors ------------------------------------------------------------------------------


def test_unknown_competitor_warns_and_leaves_out_the_competitive_angle(app) -> None:
    result = app.pitch(PitchRequest(persona="cio", account=ACCOUNT, competitor="Acme Corp"))
    data = result.to_json()
    assert any("Acme Corp" in w and "no battlecard" in w for w in data["warnings"])
    assert data["competitor"] is None
    assert not [s for s in data["sections"] if s["title"].startswith("Versus")]
    assert "Acme" not in customer_text(data)
    by_n = {c["n"]: c for c in data["citations"]}
    facing = {n for s in data["sections"] if s["customer_facing"] for n in s["citations"]}
    assert not {by_n[n]["doc_type"] for n in facing} & COMPETITIVE_TYPES
    assert "Landmines to plant:" not in section(data, REP_NOTES)["text"]
    assert len(data["features"]) == 3


def test_competitor_name_is_matched_loosely(app) -> None:
    data = app.pitch(
        PitchRequest(persona="cio", account=ACCOUNT, competitor="strata-via")
    ).to_json()
    assert data["competitor"] == "Stratavia"
    assert section(data, "Versus Stratavia")["citations"]


def _stale(knowledge_kb, source: str) -> bool:
    meta = next(d.meta for d in knowledge_kb.manifest.documents() if d.source == source)
    return (dt.date.today() - meta.updated).days > knowledge_kb.settings.stale_days_battlecard


@pytest.mark.parametrize("competitor", COMPETITORS)
def test_stale_battlecard_is_flagged_when_cited(knowledge_kb, pitches, competitor) -> None:
    source = f"battlecards/{competitor.lower()}.md"
    result = pitches("cio", competitor)
    assert source in {c.source for c in result.citations.items}
    stale_warnings = [w for w in result.warnings if source in w and "stale" in w]
    assert bool(stale_warnings) == _stale(knowledge_kb, source), result.warnings
    if competitor == "Brightfold":  # updated 2026-06-30: past the 90-day battlecard limit
        assert stale_warnings and "2026-06-30" in stale_warnings[0]


def test_a_stale_source_an_answer_cites_is_flagged_once(app) -> None:
    """ "Brightfold" battlecard (updated 2026-06-30) cited by an answer: one warning, with its
    date and the limit it passed, not two in different words."""
    result = app.ask("Why do we win against Brightfold?")
    source = "battlecards/brightfold.md"
    assert source in {c.source for c in result.citations.items}
    flagged = [w for w in result.warnings if source in w and "stale" in w]
    assert len(flagged) == 1 and "2026-06-30" in flagged[0] and "days ago" in flagged[0]


def test_uncited_stale_battlecard_is_not_flagged(pitches) -> None:
    result = pitches("cio", "Stratavia")
    assert "battlecards/brightfold.md" not in {c.source for c in result.citations.items}
    assert not [w for w in result.warnings if "brightfold" in w]


# -- who to involve ---------------------------------------------------------------------------


def _involved(data: dict[str, Any]) -> list[str]:
    notes = section(data, REP_NOTES)["text"].split("Who to involve:")[1]
    return [m.group(1) for m in re.finditer(r"^- ([^:]+):", notes, re.M)]


@pytest.mark.parametrize("competitor", [None, "Pipewell"])
def test_ciso_pitch_involves_the_trust_team(app, pitches, competitor) -> None:
    data = pitches("ciso", competitor).to_json()
    teams = _involved(data)
    assert any(t.startswith("Trust team") for t in teams), teams
    plan = app.plan_pitch(PitchRequest(persona="ciso", account=ACCOUNT, competitor=competitor))
    assert "Trust team (infosec)" in [n.team for n in plan.involve]


@pytest.mark.parametrize("competitor", [None, "Stratavia"])
def test_cto_pitch_involves_solution_engineering(app, pitches, competitor) -> None:
    data = pitches("cto", competitor).to_json()
    teams = _involved(data)
    assert "Solution Engineering" in teams, teams
    plan = app.plan_pitch(PitchRequest(persona="cto", account=ACCOUNT, competitor=competitor))
    assert "Solution Engineering" in [n.team for n in plan.involve]


def test_who_to_involve_cites_the_internal_directory(pitches) -> None:
    data = pitches("ciso", None).to_json()
    notes = section(data, REP_NOTES)
    by_n = {c["n"]: c for c in data["citations"]}
    sources = {by_n[n]["source"] for n in notes["citations"]}
    assert sources == {"internal/who-to-involve.md"}
    assert {by_n[n]["audience"] for n in notes["citations"]} == {"internal"}


# -- the real PostHog corpus ------------------------------------------------------------------

POSTHOG_ACCOUNT = (
    "B2B SaaS company with 40 engineers shipping weekly; product analytics is Amplitude today, "
    "with a separate feature-flag tool and no session recordings."
)


def test_no_feature_to_pitch_says_so_without_an_empty_why(knowledge_kb, monkeypatch) -> None:
    """When no feature can be pitched, the warning says so and no "Why these features"
    heading stands empty."""
    app = Pitchcraft(knowledge_kb)
    monkeypatch.setattr(app.pitches.features, "pick", lambda *a, **k: [])
    result = app.pitch(PitchRequest("CFO", competitor="Pipewell"))
    assert "Why these features" not in {s.title for s in result.sections}
    assert any("only 0 feature(s)" in w for w in result.warnings)
    assert result.extra["features"] == []


@pytest.fixture(scope="module")
def posthog_pitch(posthog_kb) -> Result:
    app = Pitchcraft(posthog_kb)
    return app.pitch(PitchRequest(persona="CTO", account=POSTHOG_ACCOUNT, competitor="Amplitude"))


def test_posthog_pitch_cites_the_comparison_page(posthog_pitch) -> None:
    data = posthog_pitch.to_json()
    assert data["persona"]["id"] == "cto"
    assert data["competitor"] == "Amplitude"
    by_n = {c["n"]: c for c in data["citations"]}
    facing = {n for s in data["sections"] if s["customer_facing"] for n in s["citations"]}
    assert "contents/blog/posthog-vs-amplitude.md" in {by_n[n]["source"] for n in facing}
    assert section(data, "Versus Amplitude")["customer_facing"]


def test_posthog_pitch_has_three_features_with_reasons(posthog_pitch) -> None:
    data = posthog_pitch.to_json()
    assert len(data["features"]) == 3
    for f in data["features"]:
        assert f["why"].strip() and f["citations"], f


def test_posthog_pitch_is_grounded(posthog_kb, posthog_pitch) -> None:
    data = posthog_pitch.to_json()
    share, uncited = own_cited_share(data)
    assert data["scores"]["cited_share"] >= 0.9, (data["scores"], uncited)
    assert share >= 0.9, f"own count {share:.3f}; uncited: {uncited}"


def test_posthog_pitch_numbers_internal_and_quotes(posthog_kb, posthog_pitch) -> None:
    data = posthog_pitch.to_json()
    assert data["scores"]["unsupported_numbers"] == 0
    assert unsupported_numbers(posthog_kb, data, given=POSTHOG_ACCOUNT) == []
    assert data["scores"]["internal_in_customer_text"] == 0
    assert internal_in_customer_text(data) == []
    assert quotes_not_in_chunks(posthog_kb, data) == []
    names = {d.meta.competitor for d in posthog_kb.manifest.documents() if d.meta.competitor}
    assert "Amplitude" in names
    assert competitor_claims_off_battlecards(data, names) == []


# -- the command line -------------------------------------------------------------------------


@pytest.fixture
def cli_model(monkeypatch, embedder) -> None:
    """The CLI builds its own knowledge base; give it the session's model, not a new load."""
    monkeypatch.setattr(kb_module, "make_embedder", lambda *a, **k: embedder, raising=False)


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_pitch_json(knowledge_kb, cli_model, capsys) -> None:
    code, out, err = run(
        capsys,
        *("--kb", str(knowledge_kb.root), "pitch", "--persona", "cio"),
        *("--competitor", "Stratavia", "--account", ACCOUNT, "--json"),
    )
    assert code == 0, err
    data = json.loads(out)  # nothing but the JSON document on stdout
    assert {"persona", "features", "sections", "citations", "warnings", "scores"} <= set(data)
    assert data["writer"] == "offline"
    assert data["persona"]["id"] == "cio"
    assert len(data["features"]) == 3
    for f in data["features"]:
        assert {"name", "why", "citations"} <= set(f) and f["why"] and f["citations"]
    for s in data["sections"]:
        assert {"title", "text", "citations"} <= set(s)
    assert {"n", "source", "section", "quote"} <= set(data["citations"][0])
    assert isinstance(data["warnings"], list)
    assert data["scores"]["cited_share"] >= 0.9
    # The same request through the service gives the same pitch.
    app = Pitchcraft(knowledge_kb)
    request = PitchRequest(persona="cio", account=ACCOUNT, competitor="Stratavia")
    assert data == json.loads(json.dumps(app.pitch(request).to_json(), default=str))


def test_cli_pitch_markdown(knowledge_kb, cli_model, capsys) -> None:
    code, out, err = run(
        capsys, "--kb", str(knowledge_kb.root), "pitch", "--persona", "Head of IT", "--json"
    )
    assert code == 0, err
    assert json.loads(out)["persona"]["id"] == "cio"
    code, out, err = run(
        capsys,
        *("--kb", str(knowledge_kb.root), "pitch", "--persona", "cmo", "--competitor", "Pipewell"),
    )
    assert code == 0, err
    assert out.startswith("# Pitch for Chief Marketing Officer")
    assert "## Sources" in out
    assert re.search(r"^\[1\] \S+", out.split("## Sources")[1], re.M)
    assert "## Versus Pipewell" in out
    assert "_Written by the offline writer._" in out


def test_cli_personas_json(knowledge_kb, capsys) -> None:
    code, out, err = run(capsys, "--kb", str(knowledge_kb.root), "personas", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert [p["id"] for p in data] == PERSONA_IDS
    for p in data:
        assert set(p) == {"id", "title", "tone"} and p["title"] and p["tone"]
    code, out, err = run(capsys, "personas")
    assert code == 0 and "Chief Marketing Officer" in out


def test_the_next_step_skips_an_offer_a_feature_already_said(knowledge_kb) -> None:
    """When a picked feature already quotes the offer, the next step takes the next one (or
    none) rather than say it twice."""
    offer = talk.next_step(knowledge_kb)
    assert offer
    pick = FeaturePick(knowledge_kb.catalog[0], 1.0, "why", [offer[0]])
    again = talk.next_step(knowledge_kb, [pick])
    assert offer[0].text not in [e.text for e in again]
