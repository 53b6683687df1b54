"""Knowledge bases that follow none of our conventions: no front-matter, no ``doc_type``, no
``## Objections`` headings. Three small corpora in the shapes teams really export (a flat
folder of HTML and PDF files, a Notion export with question headings, a docs site) must still
yield roles, features, the competitor's pages and question → answer pairs, read from what the
documents say. The company ("Lumora") and its rivals are invented here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fpdf import FPDF
from test_loaders import write

from assistant.core.config import Settings
from assistant.index.kb import KnowledgeBase
from assistant.ingest.pipeline import ingest
from assistant.jobs.kbmap import knowledge_map
from assistant.jobs.objection import ObjectionRequest, objection_pairs
from assistant.jobs.pitch import PitchPlanner, PitchRequest
from assistant.service import Pitchcraft


def _pdf(title: str, text: str) -> bytes:
    pdf = FPDF()
    pdf.set_title(title)
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, text)
    return bytes(pdf.output())


def _build(root: Path, files: dict[str, str | bytes], embedder) -> KnowledgeBase:
    corpus = root / "corpus"
    for name, body in files.items():
        write(corpus, name, body)
    kb = KnowledgeBase(Settings(kb=root / "kb"), embedder)
    report = ingest(kb, [corpus])
    assert not report.failed, report.failed
    return kb


def _roles(kb: KnowledgeBase, source: str) -> set[str]:
    return {c.role for c in kb.manifest.source_chunks(source)}


# -- a flat folder of HTML and PDF exports (a Confluence space, a shared drive) ---------------

EXPORT = {
    "Quillmark-vs-Lumora.html": """<html><head><title>Quillmark vs Lumora</title></head><body>
<h1>Quillmark vs Lumora</h1>
<p>Teams comparing the two tools usually ask about approvals and audit trails.</p>
<table>
<tr><th>Capability</th><th>Lumora</th><th>Quillmark</th></tr>
<tr><td>Approval workflows</td><td>yes</td><td>no</td></tr>
<tr><td>Audit trail export</td><td>yes</td><td>no</td></tr>
<tr><td>Single sign-on</td><td>yes</td><td>yes</td></tr>
</table>
<p>Unlike Quillmark, Lumora keeps every approval step in an exportable audit trail.</p>
</body></html>""",
    "Product-Overview.html": """<html><head><title>Lumora overview</title></head><body>
<h1>Lumora overview</h1>
<h2>Approval workflows</h2>
<p>Lumora lets finance teams route every purchase request through approval workflows with
rules by amount, department and supplier. You can build a workflow without writing code.</p>
<h2>Spend reporting</h2>
<p>Lumora provides live spend dashboards, so controllers close the month faster and spot
budget overruns before they happen.</p>
</body></html>""",
    "Northwind-story.pdf": _pdf(
        "Northwind Logistics customer story",
        "Northwind Logistics customer story. Northwind Logistics cut invoice processing time "
        'by 40% in the first quarter after adopting Lumora. "We approve in hours, not weeks," '
        "said the finance director of Northwind Logistics.",
    ),
}


def _faq_pdf() -> bytes:
    """A FAQ sheet saved as PDF from a word processor: no bookmarks, bold questions."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.multi_cell(0, 10, "Lumora buyer FAQ", new_x="LMARGIN", new_y="NEXT")
    for question, answer in (
        ("Can we keep our current ERP?", "Yes. Lumora syncs approved spend to the ERP nightly."),
        ("How long does a rollout take?", "Most finance teams go live within four weeks."),
    ):
        pdf.set_font("Helvetica", "B", 11)
        pdf.multi_cell(0, 7, question, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(0, 6, answer, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


EXPORT["Lumora-FAQ.pdf"] = _faq_pdf()


@pytest.fixture(scope="module")
def export_kb(tmp_path_factory: pytest.TempPathFactory, embedder) -> KnowledgeBase:
    return _build(tmp_path_factory.mktemp("export"), EXPORT, embedder)


def test_export_finds_vendor_competitor_and_its_page(export_kb: KnowledgeBase) -> None:
    market = export_kb.market
    assert market.vendor == "Lumora"
    assert market.resolve("quillmark") == "Quillmark"
    assert market.pages["Quillmark"] == ["Quillmark-vs-Lumora.html"]


def test_export_roles_come_from_the_text(export_kb: KnowledgeBase) -> None:
    assert "comparison" in _roles(export_kb, "Quillmark-vs-Lumora.html")
    assert "proof" in _roles(export_kb, "Northwind-story.pdf")
    assert _roles(export_kb, "Product-Overview.html") & {"capability", "outcome"}
    for c in export_kb.manifest.all_chunks():
        assert c.role_reason and 0 < c.role_confidence <= 1


def test_export_customer_story_is_a_case_study(export_kb) -> None:
    """A "… customer story" PDF in a flat folder is a case study, its result a pitch's proof."""
    assert export_kb.manifest.document("Northwind-story.pdf").meta.doc_type == "case_study"
    pitch = Pitchcraft(export_kb).pitch(PitchRequest("CFO", account="Slow invoice processing"))
    proof = {s.title: s.text for s in pitch.sections}["Proof"]
    assert "cut invoice processing time by 40%" in proof


def test_export_pdf_questions_in_bold_become_pairs(export_kb: KnowledgeBase) -> None:
    pairs = {p.question: p for p in objection_pairs(export_kb)}
    assert {"Can we keep our current ERP?", "How long does a rollout take?"} <= set(pairs)
    answer = " ".join(c.text for c in pairs["How long does a rollout take?"].chunks)
    assert "within four weeks" in answer and "ERP nightly" not in answer
    assert pairs["How long does a rollout take?"].source == "Lumora-FAQ.pdf"


def test_export_features_come_from_capability_passages(export_kb: KnowledgeBase) -> None:
    features = export_kb.catalog
    assert features, "no feature found"
    assert {f.source for f in features} == {"Product-Overview.html"}
    facts = " ".join(fact.text for f in features for fact in f.facts)
    assert "approval workflows" in facts and "spend dashboards" in facts


# -- a Notion export: hashed file names, question headings, an open-questions page ------------

NOTION = {
    "Sales FAQ 3f9a2c1e4b7d.md": """# Sales FAQ

## Can we export our data if we leave?

Yes. Admins can export every record, attachment and approval history as CSV or JSON at any
time, at no extra cost.

## Does Lumora work with our ERP?

Lumora connects to the common ERP systems through its built-in connectors, and to others
through a documented REST API.
""",
    "Open questions 8a7b6c5d4e3f.md": """# Open questions

- Should partners get their own pricing tier?
- Who owns onboarding for accounts under 50 seats?
- Do we offer a sandbox on the starter plan?
""",
    "Buyer personas 12ab34cd56ef.md": """# Buyer personas

## The financial controller

The controller is the buyer who owns the month-end close. They care about audit evidence,
fewer manual reconciliations and predictable spend; their pain points are late approvals
and spreadsheets.
""",
}


@pytest.fixture(scope="module")
def notion_kb(tmp_path_factory: pytest.TempPathFactory, embedder) -> KnowledgeBase:
    return _build(tmp_path_factory.mktemp("notion"), NOTION, embedder)


def test_notion_question_headings_become_pairs(notion_kb: KnowledgeBase) -> None:
    pairs = {p.question: p for p in objection_pairs(notion_kb)}
    assert "Can we export our data if we leave?" in pairs
    assert "Does Lumora work with our ERP?" in pairs
    answer = " ".join(c.text for c in pairs["Can we export our data if we leave?"].chunks)
    assert "export every record" in answer


def test_notion_open_questions_are_never_answers(notion_kb: KnowledgeBase) -> None:
    source = "Open questions 8a7b6c5d4e3f.md"
    assert _roles(notion_kb, source) == {"open_question"}
    assert not [p for p in objection_pairs(notion_kb) if p.source == source]


def test_notion_persona_page_is_understood(notion_kb: KnowledgeBase) -> None:
    assert "persona" in _roles(notion_kb, "Buyer personas 12ab34cd56ef.md")


def test_notion_persona_page_describes_the_buyer_it_is_about(notion_kb: KnowledgeBase) -> None:
    app = Pitchcraft(notion_kb)
    planner = PitchPlanner(notion_kb)
    found = planner.described(app.resolver.resolve("Financial Controller"))
    assert found and found[0].source == "Buyer personas 12ab34cd56ef.md"
    assert planner.described(app.resolver.resolve("Head of Security")) is None
    plan = planner.plan(
        PitchRequest("Financial Controller"), app.resolver.resolve("Financial Controller")
    )
    assert "described in Buyer personas 12ab34cd56ef.md" in plan.resolution.why


# -- a docs site: nested folders, a comparison post with the vendor first ---------------------

DOCS = {
    "docs/features/alerts.md": """# Alerts

Lumora lets teams set spend alerts on any budget, supplier or card. Alerts reach
email digests or webhooks, and you can route them to the budget owner automatically.
""",
    "docs/security.md": """# Security

Data is encrypted at rest with AES-256 and in transit with TLS 1.2 or later. Lumora is
SOC 2 Type II audited and supports SAML single sign-on and SCIM provisioning.
""",
    "docs/pricing.md": """# Pricing

The Team plan costs $12 per user per month, billed annually. The Business plan adds
approval workflows and audit trail export.
""",
    "blog/lumora-vs-tallyhq.md": """# Lumora vs Tallyhq: approvals compared

Tallyhq handles simple approvals. Lumora is easier to set up than Tallyhq for multi-step
approvals, and it includes audit trail export on the Business plan.

Tallyhq's pricing is more complicated. They bill per approver on top of a platform fee. The
starter plan only includes three approvers and lets you add approval rules for each team.

<table><thead><tr><td></td><td>Tallyhq</td><td>Lumora</td></tr></thead><tbody>
<tr><td><strong>Multi-step approvals</strong></td><td>✖</td><td>✔</td><td>Route by amount.</td></tr>
<tr><td><strong>Card controls</strong></td><td>✔</td><td>✔</td><td>Limits per card.</td></tr>
</tbody></table>

## Who is Tallyhq useful for?

Tallyhq is designed primarily for small teams with one approver. Its key features are
prepaid expense cards and receipt scanning. It also provides a chat bot for travel bookings.
These give the owner a quick view of team spending.
""",
}


@pytest.fixture(scope="module")
def docs_kb(tmp_path_factory: pytest.TempPathFactory, embedder) -> KnowledgeBase:
    return _build(tmp_path_factory.mktemp("docs"), DOCS, embedder)


def test_docs_site_roles(docs_kb: KnowledgeBase) -> None:
    assert "security" in _roles(docs_kb, "docs/security.md")
    assert "pricing" in _roles(docs_kb, "docs/pricing.md")
    assert "comparison" in _roles(docs_kb, "blog/lumora-vs-tallyhq.md")


def test_docs_site_competitor_and_features(docs_kb: KnowledgeBase) -> None:
    market = docs_kb.market
    assert market.vendor == "Lumora"
    assert market.pages.get("Tallyhq") == ["blog/lumora-vs-tallyhq.md"]
    names = {f.source for f in docs_kb.catalog}
    assert "docs/features/alerts.md" in names
    assert "blog/lumora-vs-tallyhq.md" not in names  # a comparison is not a feature page


def test_docs_site_comparison_table_of_ticks_is_said_where_we_lead(docs_kb) -> None:
    """A comparison table drawn with ticks and crosses, its notes column unheaded: the row
    where the vendor has what the rival lacks is said as the two sides, the tie is not."""
    pitch = Pitchcraft(docs_kb).pitch(PitchRequest("CFO", competitor="Tallyhq"))
    versus = {s.title: s.text for s in pitch.sections}["Versus Tallyhq"]
    assert "Multi-step approvals: Lumora has it, Tallyhq does not" in versus
    assert "Card controls" not in versus


def test_export_comparison_rows_are_argued_never_opened_with(export_kb) -> None:
    """A row the vendor leads is said as its two sides in the Versus section and answers an
    objection naming that rival; the pitch never opens with a table row."""
    app = Pitchcraft(export_kb)
    pitch = app.pitch(
        PitchRequest("CFO", account="Slow purchase approvals", competitor="Quillmark")
    )
    sections = {s.title: s.text for s in pitch.sections}
    assert "Approval workflows: Lumora has it, Quillmark does not" in sections["Versus Quillmark"]
    assert "Approval workflows — " not in sections["Opening"]
    answer = app.objection(ObjectionRequest("Quillmark already handles our approvals fine."))
    said = " ".join(s.text for s in answer.sections if s.customer_facing)
    assert "Approval workflows: Lumora has it, Quillmark does not" in said
    assert "Single sign-on" not in said  # both have it: no edge to argue


def test_a_sentence_in_a_paragraph_about_the_rival_is_theirs(docs_kb) -> None:
    """ "Their pricing is complicated. … The starter plan only includes three approvers."
    names no one, but its paragraph is about the rival: it is never said as the vendor's."""
    answer = Pitchcraft(docs_kb).objection(
        ObjectionRequest("Tallyhq is cheaper, and their approvals cover what we need.")
    )
    said = " ".join(s.text for s in answer.sections if s.customer_facing)
    assert "Lumora is easier to set up than Tallyhq" in said
    assert "starter plan" not in said


def test_a_matched_question_about_the_rival_answers_without_its_features(docs_kb) -> None:
    """ "Who is Tallyhq useful for? … Its key features are…": the matched answer may say whom
    the rival is for, never the rival's features as if they were the vendor's."""
    app = Pitchcraft(docs_kb)
    request = ObjectionRequest("Our team already uses Tallyhq and is happy with it.")
    assert app.plan_objection(request).matched == "Who is Tallyhq useful for?"
    said = " ".join(s.text for s in app.objection(request).sections if s.customer_facing)
    assert "Tallyhq is designed primarily for small teams with one approver" in said
    assert "key features" not in said
    assert "chat bot" not in said and "quick view" not in said


# -- a slide deck saved as PDF: one slide a page, big titles, short bullets -------------------


def _deck(title: str, slides: list[tuple[str, list[str]]]) -> bytes:
    pdf = FPDF(orientation="L")
    pdf.set_title(title)
    for title, bullets in slides:
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 28)
        pdf.multi_cell(0, 14, title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=16)
        for bullet in bullets:
            pdf.multi_cell(0, 9, f"- {bullet}", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


DECK = {
    "lumora-deck.pdf": _deck(
        "Lumora sales deck",
        [
            ("Lumora Product Overview", ["Customer presentation"]),
            ("Agenda", ["Why finance teams lose control", "How Lumora works", "Pricing"]),
            (
                "Why finance teams lose control",
                ["Approvals live in email and chat", "Finance finds overspend after month end"],
            ),
            (
                "Approval workflows",
                [
                    "Route every purchase request by amount, department and supplier",
                    "Build multi-step approval chains without writing any code",
                ],
            ),
            (
                "Spend alerts",
                [
                    "Set real-time alerts on any budget, supplier or corporate card",
                    "Alerts reach the budget owner by email digest every morning",
                ],
            ),
            (
                "Audit trail",
                [
                    "Every approval step is recorded with who, when and why",
                    "Auditors get read-only access to the evidence they need",
                ],
            ),
            ("Customer results", ["Harbor Goods cut month-end close from 9 days to 4 days"]),
            (
                "Lumora vs Tallyhq",
                [
                    "Tallyhq charges per approver; Lumora includes unlimited approvers",
                    "Both offer corporate cards",
                ],
            ),
        ],
    )
}


@pytest.fixture(scope="module")
def deck_kb(tmp_path_factory: pytest.TempPathFactory, embedder) -> KnowledgeBase:
    return _build(tmp_path_factory.mktemp("deck"), DECK, embedder)


def test_deck_slides_are_features_never_its_agenda_problem_or_rival_slide(deck_kb) -> None:
    """A deck saved as PDF is one page: its capability slides are its features, named by
    their titles; the agenda, the problem slide, the "Us vs Them" slide and the title slide
    ("Product Overview") name none. Short bullets are its facts. "Sales deck" in its title
    does not make every slide a sales-process passage."""
    names = {f.name for f in deck_kb.catalog}
    assert {"Approval workflows", "Spend alerts", "Audit trail"} <= names
    facts = " ".join(fact.text for f in deck_kb.catalog for fact in f.facts)
    assert "unlimited approvers" not in facts  # the "Us vs Them" slide argues, it is no fact
    assert not names & {"Agenda", "Why finance teams lose control", "Lumora vs Tallyhq"}
    assert not any("Overview" in n for n in names)
    pitch = Pitchcraft(deck_kb).pitch(
        PitchRequest("CFO", account="Approvals stall in email", competitor="Tallyhq")
    )
    assert len(pitch.extra["features"]) >= 3


def test_deck_slide_setting_us_against_a_rival_gives_the_competitive_angle(deck_kb) -> None:
    """A slide "Lumora vs Tallyhq" (no "A vs B" title or file name) makes Tallyhq a competitor
    compared in that deck: the map says where, and a pitch against it has its Versus section,
    even when the deck's one angle could have opened the pitch."""
    market = deck_kb.market
    assert market.resolve("tallyhq") == "Tallyhq"
    assert market.sections == {"Tallyhq": ["lumora-deck.pdf"]} and not market.pages
    gaps = knowledge_map(deck_kb)["gaps"]
    assert not any("Tallyhq has no comparison page" in g for g in gaps)
    pitch = Pitchcraft(deck_kb).pitch(PitchRequest("CFO", competitor="Tallyhq"))
    sections = {s.title: s.text for s in pitch.sections}
    assert "Lumora includes unlimited approvers" in sections["Versus Tallyhq"]
    assert "corporate cards" not in sections["Versus Tallyhq"]  # both have them: no edge


# -- a handbook: one competitive-landscape page, a section per rival ---------------------------

HANDBOOK = {
    "why/competitive-landscape.md": """# Competitive landscape

How we position Lumora against the tools finance teams already use.

## Tallyhq

Tallyhq is popular with small teams that need one approver per request. Lumora routes
multi-step approvals by amount and department, and includes unlimited approvers, unlike
Tallyhq, which charges per approver.

## Summary

Lead with approvals and audit trails; most rivals stop at expense reporting.
""",
    "product/approvals.md": DOCS["docs/features/alerts.md"].replace("Alerts", "Approvals"),
    "cards/Zentro battlecard.md": """# Zentro battlecard

## Positioning

Lumora approves purchases before the money is spent, while Zentro only tracks receipts.

## Where they are strong

Zentro has a polished mobile receipt scanner that field teams like.

## Weak spots

Expense reports arrive weeks after the money has already been spent.
""",
    "cards/Sales battlecards.md": "# Sales battlecards\n\nEvery sales rep keeps these current.\n",
    "sales/battle-notes.md": """# Competitors

## Quillmark

Quillmark focuses on expense reports after the fact. Lumora catches overspend before the
money is spent, unlike Quillmark, which only reports it after month end.
""",
}


@pytest.fixture(scope="module")
def handbook_kb(tmp_path_factory: pytest.TempPathFactory, embedder) -> KnowledgeBase:
    return _build(tmp_path_factory.mktemp("handbook"), HANDBOOK, embedder)


def test_handbook_section_named_for_a_rival_is_its_comparison(handbook_kb) -> None:
    """ "Competitive landscape > Tallyhq": a section headed by a bare name under a heading
    about the competition makes a competitor ("Summary" does not); a sentence there naming
    the vendor's edge is the Versus section's point."""
    market = handbook_kb.market
    assert set(market.competitors.values()) == {"Tallyhq", "Quillmark", "Zentro"}
    assert market.sections["Tallyhq"] == ["why/competitive-landscape.md"]
    pitch = Pitchcraft(handbook_kb).pitch(PitchRequest("CFO", competitor="Tallyhq"))
    versus = {s.title: s.text for s in pitch.sections}["Versus Tallyhq"]
    assert "includes unlimited approvers, unlike Tallyhq" in versus
    assert "popular with small teams" not in versus  # about the rival alone


def test_handbook_battlecard_named_by_its_title(handbook_kb) -> None:
    """ "Zentro battlecard" in no battlecards folder is that rival's battlecard: its positioning
    may be said, its "where they are strong" may not; "Sales battlecards" names no rival, for
    the corpus writes "sales" as a word."""
    assert handbook_kb.market.pages["Zentro"] == ["cards/Zentro battlecard.md"]
    pitch = Pitchcraft(handbook_kb).pitch(PitchRequest("CFO", competitor="Zentro"))
    sections = {s.title: s.text for s in pitch.sections}
    assert "receipt scanner" not in sections["Versus Zentro"]
    # The opener's angle names a side; a weak spot naming no one reads as the vendor's own.
    assert "while Zentro only tracks receipts" in sections["Opening"]
    assert "Expense reports arrive weeks" in sections["Versus Zentro"]


def test_handbook_rival_compared_only_internally_is_positioning_for_the_rep(handbook_kb) -> None:
    """A rival compared only on an internal page ("sales/") gets no customer-facing Versus
    section; its edge goes to the rep's notes, marked internal."""
    pitch = Pitchcraft(handbook_kb).pitch(PitchRequest("CFO", competitor="Quillmark"))
    sections = {s.title: s for s in pitch.sections}
    assert "Versus Quillmark" not in sections
    notes = sections["Rep notes (internal)"]
    assert not notes.customer_facing
    assert "Positioning against Quillmark (internal pages)" in notes.text
    assert "catches overspend before the money is spent" in notes.text


# -- a Confluence space export: "Space : Page" titles, breadcrumbs, panels ----------------------


def _confluence(title: str, body: str, crumbs: tuple[str, ...] = ("Sales Enablement",)) -> str:
    links = "".join(f'<li><a href="x.html">{c}</a></li>' for c in crumbs)
    return f"""<html><head><title>Sales Enablement : {title}</title></head><body>
<div id="breadcrumb-section"><ol id="breadcrumbs">{links}</ol></div>
<h1 id="title-heading"><span id="title-text"> Sales Enablement : {title} </span></h1>
<div class="page-metadata">Created by Jane Doe, last modified on Mar 03, 2026</div>
<div id="main-content" class="wiki-content">{body}</div></body></html>"""


CONFLUENCE = {
    "Signal-Overview_101.html": _confluence(
        "Signal Overview",
        "<p>Fernhollow Signal connects marketing spend to revenue. Signal Attribution credits "
        "revenue to every campaign touch, and Signal Planner maps spend to the ledger.</p>"
        "<h2>Signal Planner</h2><p>Signal Planner flags variances between planned and "
        "invoiced spend, so finance closes marketing expense faster.</p>",
    ),
    "Competitive-Havenmetric_102.html": _confluence(
        "Competitive: Havenmetric",
        "<h2>How we win</h2><p>Fernhollow Signal reports weekly, while Havenmetric only "
        "delivers a quarterly model.</p><h2>Where they are strong</h2><p>Havenmetric has a "
        "large services team.</p>",
    ),
    "Pricing_103.html": _confluence(
        "Pricing",
        "<p>Fernhollow Signal Growth costs $2,400 per month, billed annually.</p>"
        '<div class="confluence-information-macro"><p class="title">INTERNAL - do not share '
        "with customers</p><p>Reps may discount Growth to 25% without approval.</p></div>",
    ),
    "Sync-notes_104.html": _confluence(
        "2026-02-14 Enablement sync",
        "<p>Fernhollow reps say Havenmetric deals stall on price. Reps are discounting deeply "
        "to close them.</p>",
        ("Sales Enablement", "Internal - Sales Team Only"),
    ),
    "Competitive-Trundle_106.html": _confluence(
        "Competitive: Trundle IQ",
        '<div class="confluence-information-macro"><p class="title">Internal - do not share</p>'
        "<p>For sales only.</p></div><h2>Positioning</h2><p>Fernhollow Signal is ready in weeks, "
        "while Trundle IQ needs a data team to build every report.</p>",
    ),
    "Customer-Story-Northmarsh_105.html": _confluence(
        "Customer Story - Northmarsh Outfitters",
        "<p>Northmarsh Outfitters reallocated 18% of paid social budget with Fernhollow "
        "Signal in the first quarter.</p>",
    ),
}


@pytest.fixture(scope="module")
def confluence_kb(tmp_path_factory: pytest.TempPathFactory, embedder) -> KnowledgeBase:
    return _build(tmp_path_factory.mktemp("confluence"), CONFLUENCE, embedder)


def test_confluence_titles_vendor_and_rival(confluence_kb) -> None:
    """The space's name before every title ("Sales Enablement : Pricing") is no part of it; a
    "Competitive: Them" page is that rival's battlecard; the company, not its more frequent
    product name, is the vendor; a customer story names its customer."""
    pricing = confluence_kb.manifest.document("Pricing_103.html").meta
    assert pricing.title == "Pricing"
    assert confluence_kb.vendor == "Fernhollow"
    assert confluence_kb.market.pages["Havenmetric"] == ["Competitive-Havenmetric_102.html"]
    story = confluence_kb.manifest.document("Customer-Story-Northmarsh_105.html").meta
    assert story.customer == "Northmarsh Outfitters"


def test_confluence_internal_marks_keep_text_from_customers(confluence_kb) -> None:
    """A page under an "Internal - Sales Team Only" breadcrumb and a panel titled "INTERNAL -
    do not share with customers" are internal: nothing of them reaches a pitch."""
    notes = confluence_kb.manifest.document("Sync-notes_104.html").meta
    assert notes.audience == "internal"
    panel = [c for c in confluence_kb.manifest.source_chunks("Pricing_103.html") if "25%" in c.text]
    assert panel and all(c.internal for c in panel)
    pitch = Pitchcraft(confluence_kb).pitch(PitchRequest("CFO", competitor="Havenmetric"))
    said = " ".join(s.text for s in pitch.sections if s.customer_facing)
    assert "25%" not in said and "discounting" not in said
    assert "while Havenmetric only delivers a quarterly model" in said


def test_confluence_label_atop_a_page_marks_all_of_it(confluence_kb) -> None:
    """ "Internal - do not share" in a panel before the first section marks the whole page: a
    pitch against that rival gets no Versus section and says why."""
    chunks = confluence_kb.manifest.source_chunks("Competitive-Trundle_106.html")
    assert chunks and all(c.internal for c in chunks)
    pitch = Pitchcraft(confluence_kb).pitch(PitchRequest("CFO", competitor="Trundle IQ"))
    assert "Versus Trundle IQ" not in {s.title for s in pitch.sections}
    assert any(
        "no customer-safe page gives an angle against Trundle IQ" in w for w in pitch.warnings
    )


def test_a_section_rival_takes_the_spelling_the_corpus_uses() -> None:
    """ "Acme vs ZENITH" heading a section of a deck, "Acme vs Zenith" titling a page: one
    competitor, whose section is found under its one spelling."""
    from assistant.core.records import Chunk, DocMeta
    from assistant.understand.market import DocInfo, build_market

    docs = [
        DocInfo("acme-vs-zenith.md", "Acme vs Zenith", "general", ""),
        DocInfo("deck.pdf", "Acme deck", "general", ""),
    ]
    chunks = [
        Chunk("1", "acme-vs-zenith.md", "Acme wins.", "Acme vs Zenith", 0, DocMeta()),
        Chunk(
            "2", "deck.pdf", "Acme includes approvers.", "Acme deck > Acme vs ZENITH", 0, DocMeta()
        ),
    ]
    market = build_market(docs, chunks)
    assert market.competitors == {"zenith": "Zenith"}
    assert market.sections == {"Zenith": ["deck.pdf"]}
    assert market.section_rival(chunks[1].heading) == "Zenith"


def test_competitor_names_match_whole_words_only() -> None:
    """A competitor is not named by a word holding it ("cheaper"); spacing, hyphens and case
    do not hide a name; a heading naming both sides does not make its sentences the rival's."""
    from assistant.understand.market import Market

    m = Market(vendor="Acme", competitors={"heap": "Heap", "launchdarkly": "LaunchDarkly"})
    assert m.mentioned("We aim to be cheaper than everyone.") == []
    assert m.mentioned("Moving from Launch Darkly or launch-darkly") == ["LaunchDarkly"]
    assert m.mentioned("HEAP and Heap") == ["Heap"]
    assert not m.about_rival("There is a generous free tier.", "Acme and LaunchDarkly pricing")
    assert m.about_rival("There is a generous free tier.", "LaunchDarkly pricing")


# -- a Notion workspace export with a database: page ids in every name, property lines, locked
# callouts and toggles, objection rows with a "Response" property -----------------------------

_WIKI = "Sales Wiki 0f1e2d3c4b5a69788796a5b4c3d2e1f0"
NOTION_DB = {
    f"{_WIKI}/Battlecards 9188c4d9d440e45d270b6d3400521458/Tarrow vs Us "
    "8ffd407ddfa1c8bee8b74cea784d1d1e.md": """# Tarrow vs Us

Owner: Dana Reyes
Competitor: Tarrow
Status: Approved
Last edited time: February 12, 2026 5:20 PM

Tarrow is a general scheduling suite sold mostly into retail.

## Where we win

- Lumora reads the warehouse system every 15 minutes, while Tarrow forecasts from footfall.

<aside>
🔒 Tarrow is discounting up to 40% this quarter; match up to 20% with approval.

</aside>

## Objection: "We already use Tarrow for our stores"

Keep it for stores. Lumora runs the distribution centres and exports hours to the same payroll.
""",
    f"{_WIKI}/Objections 74d8cb25c41d01937fe23f0f458f328f/We can do this in spreadsheets "
    "cb066e1e65fa4ff57b08ab17223122a8.md": """# We can do this in spreadsheets

Owner: Dana Reyes
Persona: CFO
Response: Sheets cannot re-plan when staff call in sick. Lumora re-plans a site in under 90 seconds.
Status: Approved
Tags: pricing
""",
    f"{_WIKI}/Pricing and Plans c0524c7c1ab0089e6a882b022c7c10c3.md": """# Pricing and Plans

Owner: Dana Reyes
Last edited time: February 27, 2026 2:48 PM

Lumora is priced per hourly associate per month, billed annually.

- Growth: $11 per associate per month, with forecasting and payroll connectors.

- Discount guidance (internal)

    Reps can give up to 10% off list on their own; the floor is $8.50.
""",
    f"{_WIKI}/Product afc94045f3da100a078f43548fb70d5f/Labor Forecasting "
    "20ffb3bd680d7ed2ae9f8b03e4c99dc1.md": """# Labor Forecasting

## How it works

The forecast reads order lines from the warehouse system every 15 minutes and predicts labour
hours per zone and shift.

## Why it matters

Sites cut overtime because shifts match the work that is actually coming.
""",
    f"{_WIKI}/Product afc94045f3da100a078f43548fb70d5f/Timekeeping "
    "c7b07a516283220c05b307a808917549.md": """# Timekeeping

## Capabilities

- Break rules are enforced on the clock, so associates never miss a legal meal break.
- Approved hours export to payroll with a full audit trail.
""",
}


@pytest.fixture(scope="module")
def notion_db_kb(tmp_path_factory: pytest.TempPathFactory, embedder) -> KnowledgeBase:
    return _build(tmp_path_factory.mktemp("notion-db"), NOTION_DB, embedder)


def _source(kb: KnowledgeBase, stem: str) -> str:
    return next(d.source for d in kb.manifest.documents() if stem in d.source)


def test_notion_database_export_reads_names_and_properties(notion_db_kb) -> None:
    """A page id in every file and folder name hides neither the battlecards folder nor the
    rival the file names; the properties under a title are the page's facts, not its text."""
    card = notion_db_kb.manifest.document(_source(notion_db_kb, "Tarrow vs Us")).meta
    assert (card.title, card.doc_type, card.competitor) == ("Tarrow vs Us", "battlecard", "Tarrow")
    assert card.updated and card.updated.isoformat() == "2026-02-12"
    text = " ".join(c.text for c in notion_db_kb.manifest.all_chunks())
    assert "Owner:" not in text and "Status: Approved" not in text and "Last edited" not in text
    assert "Tarrow" in notion_db_kb.market.pages
    features = {f.name for f in notion_db_kb.catalog}
    assert {"Labor Forecasting", "Timekeeping"} <= features  # a spec page and a plain one


def test_notion_locked_callout_and_internal_toggle_mark_only_themselves(notion_db_kb) -> None:
    """A "🔒" callout and a "(internal)" toggle are internal, with what follows them in their
    section; the list price above them stays customer-safe."""

    def internal(needle: str) -> set[bool]:
        return {c.internal for c in notion_db_kb.manifest.all_chunks() if needle in c.text}

    assert internal("discounting up to 40%") == {True}
    assert internal("floor is $8.50") == {True}
    assert internal("$11 per associate") == {False}
    assert internal("every 15 minutes, while Tarrow") == {False}


def test_notion_objection_rows_and_objection_headings_become_pairs(notion_db_kb) -> None:
    pairs = {p.question: p for p in objection_pairs(notion_db_kb)}
    assert "We can do this in spreadsheets" in pairs
    assert (
        "Lumora re-plans a site in under 90 seconds."
        in pairs["We can do this in spreadsheets"].answer[0]
    )
    assert "We already use Tarrow for our stores" in pairs
    result = Pitchcraft(notion_db_kb).objection(
        ObjectionRequest("Honestly we can just do this in spreadsheets")
    )
    said = " ".join(s.text for s in result.sections if s.customer_facing)
    assert "re-plans a site in under 90 seconds" in said
    # its sources read "Sales Wiki/Objections/….md", without the export's page ids
    shown = result.to_markdown()
    assert "Sales Wiki/Objections/We can do this in spreadsheets.md" in shown
    assert not re.search(r"[0-9a-f]{32}", shown)


# -- a shared drive: word-processor documents saved as web pages, notes as text -------------

_GDOC_STYLE = "<style>.c1{font-weight:400}.c0{font-weight:700}</style>"


def _gdoc(title: str, body: str) -> str:
    return (
        f'<html><head>{_GDOC_STYLE}</head><body class="doc-content">'
        f'<p class="c3 title" id="h.x1"><span class="c1">{title}</span></p>{body}</body></html>'
    )


def _cells(*cells: str) -> str:
    return "<tr>" + "".join(f'<td><p><span class="c1">{c}</span></p></td>' for c in cells) + "</tr>"


DRIVE = {
    "Copy of Objection Handling Guide FINAL (1).html": _gdoc(
        "Objection handling",
        "<p><span>Common objections and what has worked.</span></p><table><tbody>"
        + _cells("Objection", "Response")
        + _cells(
            "It is too expensive.",
            "Compare against the cost of the close. Cindral paid Lumora back in 5 months.",
        )
        + _cells(
            "We have no bandwidth for an implementation.",
            "Our team does the configuration; controllers spend about 4 hours a week.",
        )
        + "</tbody></table>",
    ),
    "Lumora Product Overview.html": _gdoc(
        "Lumora overview",
        '<p><span class="c1">Lumora matches 85% to 95% of bank lines automatically.</span>'
        '<sup><a href="#cmnt1" id="cmnt_ref1">[a]</a></sup></p>'
        '<div><p><a href="#cmnt_ref1" id="cmnt1">[a]</a><span>Marketing wants 97% here - Jo'
        "</span></p></div>",
    ),
    "OLD - 2022 pricing - do not use.html": _gdoc(
        "Lumora pricing (2022)", "<p><span>Pro costs $900 per month on 2022 paper.</span></p>"
    ),
    "call script - discovery.txt": "Discovery call script\n\n"
    'OPENER "Hi {{name}}, it is {{rep}} from Lumora. Is the close something you own?"\n\n'
    "How many entities do you close each month?\n\nHow do you match bank lines today?\n",
    "meeting notes 2026-04-17 pricing sync.txt": "Pricing sync - 17 Apr 2026\n"
    "Attendees: Dagny, Rafe, Juno\n\nThe implementation fee is underwater on big deals.\n",
}


@pytest.fixture(scope="module")
def drive_kb(tmp_path_factory: pytest.TempPathFactory, embedder) -> KnowledgeBase:
    return _build(tmp_path_factory.mktemp("drive"), DRIVE, embedder)


def test_drive_documents_take_their_own_titles_without_comments(drive_kb) -> None:
    """A word processor's title paragraph names the document ("FINAL (1)" and "Copy of" do
    not); its review comments are nobody's content."""
    guide = drive_kb.manifest.document("Copy of Objection Handling Guide FINAL (1).html").meta
    assert guide.title == "Objection handling"
    text = " ".join(c.text for c in drive_kb.manifest.all_chunks())
    assert "[a]" not in text and "Marketing wants" not in text
    assert "85% to 95% of bank lines" in text


def test_drive_objection_table_without_header_cells_gives_pairs(drive_kb) -> None:
    pairs = {p.question: p for p in objection_pairs(drive_kb)}
    assert "It is too expensive." in pairs
    assert pairs["It is too expensive."].answer == (
        "Compare against the cost of the close. Cindral paid Lumora back in 5 months.",
    )
    assert "We have no bandwidth for an implementation." in pairs


def test_drive_retired_pages_and_meeting_notes_stay_internal(drive_kb) -> None:
    for source in (
        "OLD - 2022 pricing - do not use.html",
        "meeting notes 2026-04-17 pricing sync.txt",
    ):
        chunks = drive_kb.manifest.source_chunks(source)
        assert chunks and all(c.internal for c in chunks), source


# -- a vendor's own "Us vs Them" blog post, fair to the rival --------------------------------

FAIR_POST = {
    "blog/2026-06-17-lumora-vs-gullbay.md": """---
title: "Lumora vs Gullbay: approvals or alerts?"
---

We get asked about Gullbay every week, and we want to be fair about it.

## Where Gullbay is strong

Gullbay has been around since 2015 and has more connectors than we do (over 40).
Gullbay is cheaper than Lumora for teams of five or fewer.

## Where Lumora is different

- Lumora blocks a payment run until every approver has signed, so nothing unapproved goes out.
- Lumora keeps the audit trail in your own account and copies no invoice lines.

## When to pick Gullbay

If you need mainframe ledgers today, Gullbay is the better fit.
""",
    "docs/approvals.md": "# Approval workflows\n\nLumora routes every invoice to the right "
    "approvers by amount and cost centre, and records each sign-off with its time.\n",
}


@pytest.fixture(scope="module")
def fair_kb(tmp_path_factory: pytest.TempPathFactory, embedder) -> KnowledgeBase:
    return _build(tmp_path_factory.mktemp("fair"), FAIR_POST, embedder)


def test_a_fair_comparison_gives_our_differences_never_our_concessions(fair_kb) -> None:
    """What the vendor's own post says sets it apart is the angle; where it grants the rival
    the lead ("more connectors than we do", "cheaper than Lumora", "the better fit") is not."""
    pitch = Pitchcraft(fair_kb).pitch(PitchRequest("CTO", competitor="Gullbay"))
    versus = next(s.text for s in pitch.sections if s.title == "Versus Gullbay")
    assert "Lumora blocks a payment run" in versus or "copies no invoice lines" in versus
    said = " ".join(s.text for s in pitch.sections if s.customer_facing)
    for concession in ("more connectors than we do", "cheaper than Lumora", "the better fit"):
        assert concession not in said
    answer = Pitchcraft(fair_kb).objection(
        ObjectionRequest("Gullbay has more connectors, and we need mainframe ledgers someday.")
    )
    said = " ".join(s.text for s in answer.sections if s.customer_facing)
    assert "the better fit" not in said and "more connectors than we do" not in said


# -- a product page whose sections are its features, beside pages a CFO cares less about ------

SPEND = {
    "docs/spend-control.md": """# Spend Control

Spend Control shows finance where every dollar goes and what it returns.

## Savings dashboard

Finance sees the savings of every approved purchase against budget. The return on every
contract is visible the day it is signed.

## Payback tracking

Each investment carries its payback period and its business case. Finance is warned when
the payback slips past the date the business case promised.

## Budget alerts

Budget owners are alerted before spend passes the budget. Quarter-end overruns and surprise
invoices stop, and savings show up in the forecast.
""",
    "docs/connectors.md": "# Connectors\n\nLumora syncs purchase orders from the ERP every "
    "hour.\n\nInvoices arrive from the accounts-payable inbox and are matched to orders "
    "automatically.\n",
    "docs/mobile.md": "# Mobile approvals\n\nApprovers sign off purchases from their phone in "
    "one tap.\n\nEvery approval records who approved, when and from which device.\n",
}


@pytest.fixture(scope="module")
def spend_kb(tmp_path_factory: pytest.TempPathFactory, embedder) -> KnowledgeBase:
    return _build(tmp_path_factory.mktemp("spend"), SPEND, embedder)


def test_a_page_and_its_own_sections_never_leave_a_pitch_short(spend_kb) -> None:
    """The CFO's best fits are one page and its sections, which count once: the pitch fills
    its three features from the other pages rather than stopping at one."""
    pitch = Pitchcraft(spend_kb).pitch(PitchRequest("CFO"))
    assert len(pitch.extra["features"]) == 3, [f["name"] for f in pitch.extra["features"]]
    assert not [w for w in pitch.warnings if "feature(s) in the knowledge base" in w]


def test_drive_call_script_gives_discovery_questions_never_its_template(drive_kb) -> None:
    from assistant.jobs import talk

    persona = Pitchcraft(drive_kb).personas["cfo"]
    asked = [e.text for e in talk.discovery(drive_kb, persona, "")]
    assert "How many entities do you close each month?" in asked
    assert not [q for q in asked if "{{" in q]
