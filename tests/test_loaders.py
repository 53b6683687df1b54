"""Loaders: files → typed ``Document`` records (criterion 1)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path, PurePosixPath

import pytest
from fpdf import FPDF

from assistant.core.errors import IngestError
from assistant.core.records import DocMeta, Document
from assistant.core.text import plain_name
from assistant.ingest.loaders import discover, load_file, scan
from assistant.ingest.meta import infer_meta
from assistant.understand.market import is_table_row


def write(root: Path, rel: str, text: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def load(root: Path, rel: str) -> Document:
    doc, warning = load_file(root / rel, PurePosixPath(rel))
    assert warning is None
    return doc


# -- Markdown front-matter ------------------------------------------------------------------


def test_front_matter_becomes_docmeta(tmp_path: Path) -> None:
    write(
        tmp_path,
        "notes/vault.md",
        """---
title: "Keelstone Vault: a spec"
doc_type: battlecard
product: Keelstone Vault
competitor: Stratavia
audience: internal
updated: 2026-03-04
personas: [CIO, ciso]
owner: enablement
---

# Vault

Body text about vault.
""",
    )
    doc = load(tmp_path, "notes/vault.md")
    m = doc.meta
    assert m.doc_type == "battlecard"
    assert m.product == "Keelstone Vault"
    assert m.competitor == "Stratavia"
    assert m.audience == "internal"
    assert m.updated == dt.date(2026, 3, 4)
    assert m.personas == ("cio", "ciso")
    assert m.title == "Keelstone Vault: a spec"
    assert m.extra == {"owner": "enablement"}
    assert doc.source == "notes/vault.md"
    assert "---" not in doc.text and "doc_type" not in doc.text
    assert doc.text.startswith("# Vault")
    assert len(doc.sha256) == 64


def test_front_matter_date_alias_and_personas_string(tmp_path: Path) -> None:
    write(tmp_path, "a.md", "---\ndate: 2023-05-23\npersonas: cfo, cmo\n---\nSome text.\n")
    m = load(tmp_path, "a.md").meta
    assert m.updated == dt.date(2023, 5, 23)
    assert m.personas == ("cfo", "cmo")
    assert m.doc_type == "general"
    assert m.audience == "customer-safe"


def test_title_falls_back_to_first_heading_then_file_name(tmp_path: Path) -> None:
    write(tmp_path, "x.md", "Intro line.\n\n# The Real Title\n\nText.\n")
    write(tmp_path, "release-plan.md", "No headings at all here.\n")
    assert load(tmp_path, "x.md").meta.title == "The Real Title"
    assert load(tmp_path, "release-plan.md").meta.title == "Release Plan"


# -- MDX / Markdown cleaning ----------------------------------------------------------------

MDX = """---
title: Widgets
---
import { Tab } from 'components/Tab'
import OSButton from 'components/OSButton'
export const colour = "blue"

# Widgets

Some <strong>bold</strong> text and **more** with a [link](/docs/x "t") and `code`.

<CalloutBox type="info" title="Heads up">

Callout body stays.

</CalloutBox>

<OSButton
  variant="secondary"
  asLink
  to="/talk"
  state={{ newWindow: true }}
>
Talk to a human
</OSButton>

<Loop
  stages={[
    { label: 'One', color: '#F54E00' },
    { label: 'Two', color: '#FFA81C' },
  ]}
/>

{/* a JSX comment that must vanish */}
<!-- an HTML comment that must vanish -->

| Plan | Price | Seats |
|------|------:|-------|
| Team | $10 | 5 |
| **Enterprise** | Custom | Unlimited |

<table>
  <thead><tr><th>Feature</th><th>Us</th><th>Them</th></tr></thead>
  <tbody>
    <tr><td>SSO</td><td>Yes</td><td>No</td></tr>
    <tr><td>Audit log</td><td>Yes</td><td>Partial</td></tr>
  </tbody>
</table>

```js
const el = <Widget title="not a heading" />
```
"""


def test_mdx_is_cleaned(tmp_path: Path) -> None:
    write(tmp_path, "docs/widgets/index.mdx", MDX)
    doc = load(tmp_path, "docs/widgets/index.mdx")
    text = doc.text
    lines = text.splitlines()
    # imports, exports, comments and tags are gone
    assert not any(ln.startswith(("import ", "export ")) for ln in lines)
    for fragment in (
        "<strong>",
        "CalloutBox",
        "OSButton",
        "newWindow",
        "stages=",
        "#F54E00",
        "JSX comment",
        "HTML comment",
        "<table",
        "<td>",
        "/>",
    ):
        assert fragment not in text.split("```")[0], fragment
    # text inside components survives; inline Markdown is flattened
    assert "Some bold text and more with a link and code." in text
    assert "Callout body stays." in text
    assert "Talk to a human" in text
    # a titled component's title leads its text; it is no heading, or the text after the
    # box would fall under it
    assert "Heads up: Callout body stays." in lines
    assert not any(ln.lstrip("#").strip() == "Heads up" for ln in lines)
    # tables are linearised: row label, then "Column: value" pairs
    assert "Team — Price: $10; Seats: 5" in lines
    assert "Enterprise — Price: Custom; Seats: Unlimited" in lines
    assert "SSO — Us: Yes; Them: No" in lines
    assert "Audit log — Us: Yes; Them: Partial" in lines
    # code blocks are kept verbatim
    assert 'const el = <Widget title="not a heading" />' in text
    assert doc.meta.title == "Widgets"
    assert doc.meta.doc_type == "product"
    assert doc.meta.product == "Widgets"


def test_table_without_header_row_keeps_every_cell(tmp_path: Path) -> None:
    write(tmp_path, "t.md", "# T\n\n| a | b |\n| c | d |\n")
    assert "a | b" in load(tmp_path, "t.md").text
    assert "c | d" in load(tmp_path, "t.md").text


def test_markdown_entities_and_blockquote_markers_are_text(tmp_path: Path) -> None:
    """What a reader sees: "&ldquo;DMs&rdquo;" is “DMs”, "&mdash;" a dash, and a quoted
    paragraph's "> " markers are not part of its sentences; code keeps its text as written."""
    body = "# Q\n\nGreat for (&ldquo;DMs&rdquo;) &mdash; R&D.\n\n"
    body += "> Saves me an hour.\n>\n> &mdash;Jo Roe, CTO\n"
    write(tmp_path, "q.md", body + "\n```\n> x &amp; y\n```\n")
    lines = load(tmp_path, "q.md").text.splitlines()
    assert "Great for (“DMs”) — R&D." in lines
    assert "Saves me an hour." in lines and "—Jo Roe, CTO" in lines
    assert "> x &amp; y" in lines


def test_html_table_notes_column_without_heading_keeps_the_row_a_row(tmp_path: Path) -> None:
    # A comparison table whose header names two vendors and leaves the notes column blank.
    write(
        tmp_path,
        "vs.md",
        "# Us vs Them\n\n<table><thead><tr><td></td><td>Them</td><td>Us</td></tr></thead>"
        "<tbody><tr><td>HIPAA</td><td>no</td><td>no</td><td>Agreement available.</td></tr>"
        "</tbody></table>\n",
    )
    lines = load(tmp_path, "vs.md").text.splitlines()
    assert "HIPAA — Them: no; Us: no; Agreement available." in lines
    assert is_table_row("HIPAA — Them: no; Us: no; Agreement available.")
    # cells joined without a header are cells too, never a sentence to say
    assert is_table_row("HIPAA | no | no | Agreement available.")
    assert not is_table_row("Self-hosting needs no agreement: data never leaves your servers.")


# -- text and HTML --------------------------------------------------------------------------


def test_plain_text(tmp_path: Path) -> None:
    write(tmp_path, "products/notes.txt", "\n\nRELEASE NOTES 2026\n=====\n\nLine two.\n")
    doc = load(tmp_path, "products/notes.txt")
    assert len(doc.blocks) == 1
    assert doc.text.startswith("RELEASE NOTES 2026")
    assert "Line two." in doc.text
    assert doc.meta.title == "RELEASE NOTES 2026"
    assert doc.meta.doc_type == "product"


HTML = """<!DOCTYPE html>
<html><head>
  <title>Trust FAQ</title>
  <meta name="updated" content="2026-11-20">
  <style>.x { color: red }</style>
  <script>var tracking = "secret-script-text";</script>
</head>
<body>
<nav><a href="/">Home nav link</a><a href="/pricing">Pricing nav link</a></nav>
<header><h1>Keelstone Trust FAQ</h1><p>Short answers for buyers.</p></header>
<main>
  <h2>Certifications</h2>
  <h3>Which reports?</h3>
  <p>We hold <b>SOC 2</b> Type II.</p>
  <ul><li>ISO 27001</li><li>ISO 27701</li></ul>
  <table>
    <tr><th>Region</th><th>City</th></tr>
    <tr><td>EU Central</td><td>Frankfurt</td></tr>
  </table>
</main>
<footer><p>Copyright footer text</p></footer>
<script>alert("late script")</script>
</body></html>
"""


def test_html_headings_kept_chrome_dropped(tmp_path: Path) -> None:
    write(tmp_path, "security/faq.html", HTML)
    doc = load(tmp_path, "security/faq.html")
    lines = doc.text.splitlines()
    assert "# Keelstone Trust FAQ" in lines
    assert "Short answers for buyers." in lines
    assert "## Certifications" in lines
    assert "### Which reports?" in lines
    assert "We hold SOC 2 Type II." in lines
    assert "- ISO 27001" in lines
    assert "EU Central — City: Frankfurt" in lines
    for dropped in ("secret-script-text", "late script", "nav link", "Copyright footer", "color"):
        assert dropped not in doc.text, dropped
    assert doc.meta.title == "Trust FAQ"
    assert doc.meta.doc_type == "security"
    assert doc.meta.updated == dt.date(2026, 11, 20)


def test_html_text_in_leaf_boxes_is_kept_once(tmp_path: Path) -> None:
    """Site builders put prices and captions straight into ``div``s: a box with no blocks
    inside is text; a layout box is read through its blocks, so nothing is said twice."""
    page = """<html><body><div class="plan"><h2>Team</h2>
<div class="box"><p>Everything a team needs.</p><div class="price">8<span>.50</span></div>
<div class="details">per user per month<br/>billed annually</div></div></div></body></html>"""
    write(tmp_path, "plans.html", page)
    lines = load(tmp_path, "plans.html").text.splitlines()
    assert "8.50" in lines
    assert "per user per month billed annually" in lines
    assert lines.count("Everything a team needs.") == 1


def test_html_inline_tags_leave_no_space_before_punctuation(tmp_path: Path) -> None:
    """Links and emphasis are their own text nodes; joining them must not print "API ,"."""
    page = """<html><body><p>Build on our <a href="/api">REST
    API</a>, <a href="/b">client bindings</a> and <b>webhooks</b>. See (<a href="/d">docs</a>)
    now: <i>fast</i>!</p></body></html>"""
    write(tmp_path, "api.html", page)
    text = load(tmp_path, "api.html").text
    assert "Build on our REST API, client bindings and webhooks." in text
    assert "See (docs) now: fast!" in text


CONFLUENCE = """<!DOCTYPE html><html><head><title>Sales Enablement : Pricing FAQ</title></head>
<body class="theme-default aui-theme-default">
<div id="page"><div id="main" class="aui-page-panel"><div id="main-header">
<div id="breadcrumb-section"><ol id="breadcrumbs">
<li class="first"><span><a href="index.html">Sales Enablement</a></span></li>
<li><span><a href="Sales-Home_12345.html">Sales Home</a></span></li>
</ol></div>
<h1 id="title-heading" class="pagetitle">
<span id="title-text">Sales Enablement : Pricing FAQ</span></h1>
</div>
<div id="content" class="view content-with-sidebar"><div class="page-metadata">
Created by <span class='author'> Jane Doe</span>, last modified by
<span class='editor'> John Roe</span> on Mar 04, 2025
</div>
<div id="main-content" class="wiki-content group">
<h2 id="PricingFAQ-Howisitpriced?">How is it priced?</h2>
<p>Lumora is priced per active user per month, billed annually.</p>
<h2 id="PricingFAQ-Isthereatrial?">Is there a trial?</h2>
<p>Yes, a 14-day trial with all features.</p>
</div>
</div></div>
<div id="footer" role="contentinfo"><section class="footer-body">
<p>Document generated by Confluence on Mar 05, 2025 10:00</p>
<div id="footer-logo"><a href="http://www.atlassian.com/">Atlassian</a></div></section></div>
</div></body></html>
"""


def test_wiki_export_chrome_is_dropped_and_its_date_kept(tmp_path: Path) -> None:
    """A Confluence-style export marks its chrome by id, class and role, not by tag: the
    breadcrumbs, the "created by … last modified on" line and the footer go; that line's
    date is the page's date; a content box whose class merely mentions a sidebar stays."""
    write(tmp_path, "Pricing-FAQ_123.html", CONFLUENCE)
    doc = load(tmp_path, "Pricing-FAQ_123.html")
    lines = doc.text.splitlines()
    assert "## How is it priced?" in lines and "## Is there a trial?" in lines
    assert "Lumora is priced per active user per month, billed annually." in lines
    for chrome in ("Sales Home", "Created by", "Document generated", "Atlassian"):
        assert chrome not in doc.text, chrome
    assert doc.meta.updated == dt.date(2025, 3, 4)


def test_wiki_table_of_contents_and_emoticons(tmp_path: Path) -> None:
    """A wiki's table-of-contents macro is chrome; its tick and cross emoticons in a table
    read "yes" and "no", not "(tick)" and "(error)"."""
    write(
        tmp_path,
        "Plans_7.html",
        """<html><body><div class="toc-macro"><ul><li><a href="#a">1 Plans</a></li></ul></div>
<h2>Plans</h2><table><tr><th>Feature</th><th>Starter</th><th>Growth</th></tr>
<tr><td>Single sign-on</td><td><img class="emoticon" alt="(error)"/></td>
<td><img class="emoticon" alt="(tick)"/></td></tr></table></body></html>""",
    )
    text = load(tmp_path, "Plans_7.html").text
    assert "1 Plans" not in text and "(tick)" not in text and "(error)" not in text
    assert "Single sign-on — Starter: no; Growth: yes" in text


@pytest.mark.parametrize(
    ("body", "updated"),
    [
        ("Owner: Jane Doe\nLast edited time: March 4, 2025 10:00 AM\n\nYes.", dt.date(2025, 3, 4)),
        ("**Last updated: December 13, 2021.** See the history.\n\nText.", dt.date(2021, 12, 13)),
        ("We updated the API on Jan 5, 2020 for partners.\n\nText.", None),  # prose, no date
    ],
)
def test_an_exports_properties_date_the_page(tmp_path: Path, body: str, updated) -> None:
    write(tmp_path, "Pricing FAQ 3f9a2c1e.md", f"# Pricing FAQ\n\n{body}\n")
    assert load(tmp_path, "Pricing FAQ 3f9a2c1e.md").meta.updated == updated


# -- PDF ------------------------------------------------------------------------------------


class _Report(FPDF):
    def header(self) -> None:
        self.set_font("Helvetica", size=8)
        self.cell(0, 8, "ACME CONFIDENTIAL - Security Whitepaper", new_x="LMARGIN", new_y="NEXT")

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("Helvetica", size=8)
        self.cell(0, 8, f"Page {self.page_no()} of 4")


def build_pdf() -> bytes:
    """Four pages, three bookmarks; the access-control section runs onto page 3."""
    pdf = _Report()
    pdf.set_title("Acme Security Whitepaper")
    pdf.set_creation_date(dt.datetime(2026, 2, 3, 9, 0, tzinfo=dt.UTC))
    sections = [
        ("Encryption", ["All customer data is encrypted at rest with AES-256."]),
        ("Access control", ["Single sign-on uses SAML 2.0.", "SCIM provisions accounts."]),
        ("Incident response", ["Customers are notified within 72 hours."]),
    ]
    for name, pages in sections:
        for n, body in enumerate(pages):
            pdf.add_page()
            if n == 0:
                pdf.start_section(name)
                pdf.set_font("Helvetica", "B", 14)
                pdf.cell(0, 10, name, new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("Helvetica", size=11)
            pdf.multi_cell(0, 6, body)
    return bytes(pdf.output())


def test_pdf_pages_bookmarks_and_running_headers(tmp_path: Path) -> None:
    write(tmp_path, "security/whitepaper.pdf", build_pdf())
    doc = load(tmp_path, "security/whitepaper.pdf")
    got = [(b.page, b.section, b.text) for b in doc.blocks]
    assert got == [
        (1, "Encryption", "All customer data is encrypted at rest with AES-256."),
        (2, "Access control", "Single sign-on uses SAML 2.0."),
        (3, "Access control", "SCIM provisions accounts."),
        (4, "Incident response", "Customers are notified within 72 hours."),
    ]
    assert "CONFIDENTIAL" not in doc.text
    assert "Page " not in doc.text
    assert doc.meta.title == "Acme Security Whitepaper"
    assert doc.meta.doc_type == "security"
    assert doc.meta.updated == dt.date(2026, 2, 3)


SECURITY = (
    "Security, encryption and compliance for the regulated finance teams of large enterprises"
)


def build_brief() -> bytes:
    """A product brief exported with no bookmarks: headings only by type, as most are."""
    pdf = FPDF()
    pdf.add_page()

    def heading(text: str, size: float, style: str = "B") -> None:
        pdf.set_font("Helvetica", style, size)
        pdf.multi_cell(0, 9, text, new_x="LMARGIN", new_y="NEXT")

    def para(text: str) -> None:
        pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)

    heading("Lumora Product Brief", 20)
    para("Lumora is a spend platform for finance teams. It replaces spreadsheets and email.")
    heading("1. Approval workflows", 15)
    para("Lumora routes every purchase request through approval rules by amount and supplier.")
    heading(SECURITY, 15)  # set over two lines
    para("Data is encrypted at rest with AES-256. Lumora is SOC 2 Type II audited.")
    heading("Can we export our data?", 11)  # a bold line at body size
    para("Yes. Admins can export every record as CSV or JSON at any time.")
    return bytes(pdf.output())


def test_pdf_without_bookmarks_takes_its_sections_from_the_type(tmp_path: Path) -> None:
    """Larger or bold lines are headings, not words glued to the next sentence; the first
    heading names the document; a heading wrapped over two lines is one; a bold question at
    body size heads its answer."""
    write(tmp_path, "Lumora brief.pdf", build_brief())
    doc = load(tmp_path, "Lumora brief.pdf")
    got = [(b.section, b.text) for b in doc.blocks]
    assert got == [
        ("", "Lumora is a spend platform for finance teams. It replaces spreadsheets and email."),
        (
            "1. Approval workflows",
            "Lumora routes every purchase request through approval rules by amount and supplier.",
        ),
        (SECURITY, "Data is encrypted at rest with AES-256. Lumora is SOC 2 Type II audited."),
        (
            f"{SECURITY} > Can we export our data?",
            "Yes. Admins can export every record as CSV or JSON at any time.",
        ),
    ]
    assert doc.meta.title == "Lumora Product Brief"


def _sheet(header: str) -> bytes:
    """A one-page sheet as a design tool saves it: the app's name as its title, a small
    header, a big heading, a date line, a big figure, a footer with the page number."""
    pdf = FPDF()
    pdf.set_title("Presentation1")
    pdf.add_page()
    for size, style, text in (
        (8, "", header),
        (24, "B", "Lumora pricing sheet"),
        (10, "", "Updated June 2025"),
        (28, "B", "31%"),
        (11, "", "Finance teams cut approval time by a third in the first quarter."),
        (16, "B", "Plans"),
        (11, "", "The Team plan costs $12 per user per month, billed annually."),
        (8, "", "Confidential · Page 1"),
    ):
        pdf.set_font("Helvetica", style, size)
        pdf.multi_cell(0, size * 0.6, text, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def test_pdf_one_page_sheet_title_date_footer_and_callout(tmp_path: Path) -> None:
    """Its big heading names it (not "Presentation1"), "Updated June 2025" dates it, the page
    number is no text, a big figure is no heading, and an "INTERNAL ONLY" header makes the
    whole sheet internal."""
    write(tmp_path, "sheet.pdf", _sheet("Sales use · Lumora"))
    doc = load(tmp_path, "sheet.pdf")
    assert doc.meta.title == "Lumora pricing sheet"
    assert doc.meta.updated == dt.date(2025, 6, 1)
    assert doc.meta.audience == "customer-safe"
    text = " ".join(b.text for b in doc.blocks)
    assert "Page 1" not in text and "31%" in text
    assert [b.section for b in doc.blocks if "$12" in b.text] == ["Plans"]
    assert not any("31%" in b.section for b in doc.blocks)
    write(tmp_path, "internal.pdf", _sheet("INTERNAL ONLY"))
    assert load(tmp_path, "internal.pdf").meta.audience == "internal"
    write(tmp_path, "marked.pdf", _sheet("Landmines (internal)"))  # one section's mark
    assert load(tmp_path, "marked.pdf").meta.audience == "customer-safe"


def test_pdf_justified_lines_keep_single_spaces(tmp_path: Path) -> None:
    """Justified text is drawn with wide gaps that the text layer reports as runs of spaces:
    a quote from it reads with one space between words."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, "Lumora  routes  every  purchase  request  through  approval  rules.")
    write(tmp_path, "brief.pdf", bytes(pdf.output()))
    text = load(tmp_path, "brief.pdf").blocks[0].text
    assert "routes every purchase" in text and "  " not in text


# -- folder conventions ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rel", "title", "doc_type", "product", "competitor", "audience"),
    [
        ("battlecards/acme-corp.md", "", "battlecard", "", "Acme Corp", "customer-safe"),
        ("case-studies/castell.md", "", "case_study", "", "", "customer-safe"),
        ("customers/castell.md", "", "case_study", "", "", "customer-safe"),
        ("pricing/plans.md", "", "pricing", "", "", "customer-safe"),
        ("security/overview.md", "", "security", "", "", "customer-safe"),
        ("internal/deal-desk.md", "", "internal", "", "", "internal"),
        ("handbook/growth/sales/demos.md", "", "internal", "", "", "internal"),
        ("docs/session-replay/index.mdx", "", "product", "Session Replay", "", "customer-safe"),
        ("docs/SSO/setup.md", "", "product", "SSO", "", "customer-safe"),
        ("products/keelstone-vault.md", "", "product", "Keelstone Vault", "", "customer-safe"),
        (
            "blog/posthog-vs-launchdarkly.md",
            "In-depth: PostHog vs LaunchDarkly",
            "comparison",
            "",
            "LaunchDarkly",
            "customer-safe",
        ),
        (
            "blog/posthog-vs-full-story.md",
            "PostHog vs FullStory",
            "comparison",
            "",
            "FullStory",
            "customer-safe",
        ),
        ("blog/posthog-vs-heap.md", "", "comparison", "", "Heap", "customer-safe"),
        ("misc/readme.md", "", "general", "", "", "customer-safe"),
        # titles name what folders do not
        ("misc/zentro.md", "Zentro battlecard", "battlecard", "", "Zentro", "customer-safe"),
        ("sales/z.md", "Competitive analysis: Zentro", "battlecard", "", "Zentro", "internal"),
        ("misc/n.md", "Northwind customer story", "case_study", "", "", "customer-safe"),
        ("docs/n.md", "Northwind case study", "product", "N", "", "customer-safe"),
        # labelled internal in its name or title, wherever it lives
        ("misc/INTERNAL - Pricing guide.md", "", "general", "", "", "internal"),
        ("misc/playbook.md", "Sales playbook (Internal)", "general", "", "", "internal"),
        ("misc/comms.md", "Internal communication made easy", "general", "", "", "customer-safe"),
    ],
)
def test_folder_conventions(
    tmp_path: Path,
    rel: str,
    title: str,
    doc_type: str,
    product: str,
    competitor: str,
    audience: str,
) -> None:
    front = f'---\ntitle: "{title}"\n---\n' if title else ""
    write(tmp_path, rel, f"{front}Some text about the topic.\n")
    m = load(tmp_path, rel).meta
    assert (m.doc_type, m.product, m.competitor, m.audience) == (
        doc_type,
        product,
        competitor,
        audience,
    )


def test_front_matter_wins_over_folders(tmp_path: Path) -> None:
    write(
        tmp_path,
        "internal/battlecards/acme.md",
        "---\ndoc_type: pricing\naudience: customer-safe\nproduct: Flow\ncompetitor: Zeta\n---\n"
        "Text.\n",
    )
    m = load(tmp_path, "internal/battlecards/acme.md").meta
    assert (m.doc_type, m.audience, m.product, m.competitor) == (
        "pricing",
        "customer-safe",
        "Flow",
        "Zeta",
    )
    # a partial front-matter keeps the folder's answer for the fields it does not set
    write(tmp_path, "battlecards/acme-corp.md", "---\nupdated: 2026-01-01\n---\nText.\n")
    m = load(tmp_path, "battlecards/acme-corp.md").meta
    assert (m.doc_type, m.competitor, m.updated) == ("battlecard", "Acme Corp", dt.date(2026, 1, 1))


def test_infer_meta_without_front_matter() -> None:
    assert infer_meta(PurePosixPath("x/internal/y/z.md"))["audience"] == "internal"
    assert infer_meta(PurePosixPath("plain.md"))["doc_type"] == "general"


# -- discovery ------------------------------------------------------------------------------


def test_discover_skips_hidden_and_unsupported(tmp_path: Path) -> None:
    src = tmp_path / "src"
    for rel in ("a.md", "sub/b.mdx", "sub/c.txt", "d.html", "e.pdf", "f.png", "g.json"):
        write(src, rel, "x")
    for rel in (".git/h.md", "_drafts/i.md", "sub/.hidden.md"):
        write(src, rel, "x")
    found = [str(rel) for _, rel in discover([src])]
    assert found == ["a.md", "d.html", "e.pdf", "sub/b.mdx", "sub/c.txt"]
    assert scan([src])[1] == ["f.png", "g.json"]  # reported as skipped; hidden ones are not
    # a single file is named by its file name
    assert [str(r) for _, r in discover([src / "sub" / "c.txt"])] == ["c.txt"]
    with pytest.raises(IngestError, match="no such file or folder"):
        discover([tmp_path / "nope"])


def test_unsupported_extension_is_an_ingest_error(tmp_path: Path) -> None:
    write(tmp_path, "a.docx", "x")
    with pytest.raises(IngestError, match=r"unsupported file type \.docx"):
        load_file(tmp_path / "a.docx", PurePosixPath("a.docx"))


@pytest.mark.parametrize(
    ("name", "plain"),
    [
        ("Battlecards 9188c4d9d440e45d270b6d3400521458", "Battlecards"),  # a wiki export's id
        ("Open-Questions-from-the-Field_412876880", "Open-Questions-from-the-Field"),
        ("Copy of Battlecard - Rivalname", "Battlecard - Rivalname"),
        ("FINAL v3 - Pricing 2025 (1)", "Pricing 2025"),
        ("Acme customer story FINAL", "Acme customer story"),
        ("Battlecard - Plumbridge (DRAFT)", "Battlecard - Plumbridge"),
        ("Final Cut Pro", "Final Cut Pro"),  # a name, not a version word
        ("posthog-vs-amplitude", "posthog-vs-amplitude"),
    ],
)
def test_file_names_lose_what_exports_and_copies_add(name: str, plain: str) -> None:
    assert plain_name(name) == plain


@pytest.mark.parametrize(
    ("rel", "doc_type", "competitor"),
    [
        (
            "Wiki 0f1e2d3c4b5a69788796a5b4c3d2e1f0/Battlecards 9188c4d9d440e45d270b6d3400521458/"
            "Vexmoor vs Us 8ffd407ddfa1c8bee8b74cea784d1d1e.md",
            "battlecard",
            "Vexmoor",
        ),
        ("battlecards/Quintarra comparison.md", "battlecard", "Quintarra"),
        ("Customer Stories/Halloway Freight.md", "case_study", ""),
        ("src/pages/pricing.mdx", "pricing", ""),
        ("docs/security.md", "security", ""),
        ("src/pages/compare/gullivant.md", "comparison", "Gullivant"),
    ],
)
def test_folder_and_file_names_hint_the_page(rel: str, doc_type: str, competitor: str) -> None:
    meta = infer_meta(PurePosixPath(rel))
    assert (meta["doc_type"], meta["competitor"]) == (doc_type, competitor)


def test_a_rival_named_by_its_file_takes_its_full_name_from_the_title(tmp_path: Path) -> None:
    write(tmp_path, "compare/parsnet.md", "# Tidewarden vs Parsnet Cloud\n\nText here.\n")
    assert load(tmp_path, "compare/parsnet.md").meta.competitor == "Parsnet Cloud"


def test_docs_site_anchors_and_admonitions_are_markup(tmp_path: Path) -> None:
    write(
        tmp_path,
        "docs/faq.md",
        """# FAQ

## Does it read my data? {#reads-data}

No. It reads only metadata.

:::danger Do not use the admin role
Never give it the admin role.
:::

!!! warning "Rate limits"
    The API returns HTTP 429 above 100 requests a minute.
""",
    )
    text = load(tmp_path, "docs/faq.md").text
    assert "## Does it read my data?\n" in text and "{#" not in text
    assert ":::" not in text and "!!!" not in text and "danger" not in text
    assert "Do not use the admin role:\nNever give it the admin role." in text
    assert "Rate limits:\nThe API returns HTTP 429" in text


def test_an_exports_property_lines_are_facts_about_the_page(tmp_path: Path) -> None:
    """Owner, status and dates under a title are the page's properties, not its text; a
    property that reads as content ("Response: …") and a lone "Key: value" line stay."""
    write(
        tmp_path,
        "Too expensive 344b69961a92da901acba7e9f8fc1599.md",
        "# Too expensive\n\nCompetitor: Vexmoor\nLast edited time: March 4, 2025 3:12 PM\n"
        "Owner: Dana Reyes\nResponse: The per-seat price looks lower, but overtime costs more.\n"
        "Status: Approved\n\n## Talk track\n\nAnchor on overtime.\n",
    )
    doc = load(tmp_path, "Too expensive 344b69961a92da901acba7e9f8fc1599.md")
    assert (doc.meta.title, doc.meta.competitor) == ("Too expensive", "Vexmoor")
    assert doc.meta.updated == dt.date(2025, 3, 4)
    assert "Owner" not in doc.text and "Status" not in doc.text and "Last edited" not in doc.text
    assert "Response: The per-seat price looks lower" in doc.text
    write(tmp_path, "datasheet.md", "# Datasheet\n\nPrice: $11 per user\n\nMore text.\n")
    assert "Price: $11 per user" in load(tmp_path, "datasheet.md").text


@pytest.mark.parametrize(
    ("title", "customer"),
    [
        ("Velmora Health Partners: audit prep down 60%", "Velmora Health Partners"),
        ("Ostrander Freight closes in 6 days with Lumora", "Ostrander Freight"),
        ("Halloway Freight - customer story", "Halloway Freight"),
    ],
)
def test_a_customer_story_is_named_by_its_titles_leading_name(title: str, customer: str) -> None:
    assert DocMeta(doc_type="case_study", title=title).customer == customer


def test_a_file_named_as_a_case_study_is_one_whatever_its_title(tmp_path: Path) -> None:
    write(tmp_path, "Case Study - Ostrander.md", "# Ostrander closes in 6 days\n\nText here.\n")
    assert load(tmp_path, "Case Study - Ostrander.md").meta.doc_type == "case_study"
