"""Chunking: heading paths, the model's token limit, internal sections, stable ids (criterion 2)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path, PurePosixPath

import pytest
from fpdf import FPDF

from assistant.core.records import Block, DocMeta, Document
from assistant.core.text import sentences
from assistant.index.embeddings import HashingEmbedder
from assistant.index.filters import Filters
from assistant.ingest.chunking import Chunker
from assistant.ingest.loaders import load_file

MODEL_POSITIONS = 256  # all-MiniLM-L6-v2 reads at most 256 word pieces, [CLS] and [SEP] included


def hash_chunker(max_tokens: int = 256) -> Chunker:
    e = HashingEmbedder(max_tokens=max_tokens)
    return Chunker(e.count_tokens, e.max_tokens, overlap=8)


def md_doc(text: str, source: str = "products/vault.md", **meta: object) -> Document:
    return Document(source, DocMeta(**meta), (Block(text),), "0" * 64)  # type: ignore[arg-type]


def fits(embedder, chunk) -> bool:
    return embedder.count_tokens(chunk.embed_text) + 2 <= MODEL_POSITIONS


# -- the model's limit ----------------------------------------------------------------------


@pytest.mark.slow
def test_every_knowledge_chunk_fits_the_model(knowledge_kb, embedder) -> None:
    assert embedder.max_tokens == MODEL_POSITIONS
    chunks = list(knowledge_kb.manifest.all_chunks())
    assert len(chunks) > 100
    too_long = [(c.source, c.heading) for c in chunks if not fits(embedder, c)]
    assert too_long == []


@pytest.mark.slow
def test_every_posthog_chunk_fits_the_model(posthog_kb, embedder) -> None:
    chunks = list(posthog_kb.manifest.all_chunks())
    assert len(chunks) > 100
    too_long = [(c.source, c.heading) for c in chunks if not fits(embedder, c)]
    assert too_long == []


@pytest.mark.slow
def test_long_unbroken_text_and_long_heading_still_fit(embedder) -> None:
    words = " ".join(f"supercalifragilistic{n}" for n in range(900))  # no sentence breaks
    long_heading = "## " + " ".join(["Extremely long section heading"] * 40)
    text = f"# Guide\n\n{long_heading}\n\n{words}\n\n## Short\n\nA short tail section."
    chunker = Chunker(embedder.count_tokens, embedder.max_tokens)
    chunks = chunker.chunk(md_doc(text, title="Guide"))
    assert len(chunks) > 10
    assert all(fits(embedder, c) for c in chunks)
    # nothing is lost: every word of the long paragraph is in some chunk
    joined = " ".join(c.text for c in chunks)
    assert all(f"supercalifragilistic{n}" in joined for n in (0, 450, 899))
    assert chunks[-1].heading == "Guide > Short"


def test_absurdly_long_heading_keeps_its_tail() -> None:
    heading = " ".join(f"word{n}" for n in range(600))
    text = f"# {heading}\n\n" + " ".join(["Body sentence here."] * 200)
    chunker = hash_chunker(max_tokens=128)
    chunks = chunker.chunk(md_doc(text))
    assert len(chunks) > 3
    assert all(chunker.count_tokens(c.embed_text) + 2 <= 128 for c in chunks)
    assert all(c.heading.endswith("word599") and len(c.heading) <= 200 for c in chunks)


# -- section paths --------------------------------------------------------------------------


@pytest.mark.slow
def test_section_paths_from_headings(knowledge_kb) -> None:
    vault = knowledge_kb.manifest.source_chunks("products/keelstone-vault.md")
    headings = {c.heading for c in vault}
    assert "Keelstone Vault > Identity & Access Control > Technical detail" in headings
    assert "Keelstone Vault > Identity & Access Control > Business outcomes" in headings
    assert "Keelstone Vault > Customer-Managed Keys > Technical detail" in headings
    # the section path is what the model reads first
    chunk = next(c for c in vault if c.heading.endswith("Access Control > Technical detail"))
    assert chunk.embed_text.startswith(chunk.heading + "\n")
    assert "#" not in chunk.text.splitlines()[0]


def test_title_prefixes_path_when_there_is_no_h1() -> None:
    text = "Intro paragraph.\n\n## Pricing\n\nText.\n\n### Discounts\n\nMore text."
    chunks = hash_chunker().chunk(md_doc(text, title="Deal desk"))
    assert [c.heading for c in chunks] == [
        "Deal desk",
        "Deal desk > Pricing",
        "Deal desk > Pricing > Discounts",
    ]
    assert [c.ordinal for c in chunks] == [0, 1, 2]
    assert chunks[2].text == "More text."


# -- internal sections ----------------------------------------------------------------------


def test_internal_heading_marks_its_chunks_internal() -> None:
    text = (
        "# Acme vs Zeta\n\n## Positioning\n\nWe win on data.\n\n"
        "## Landmines (internal)\n\n- Ask about their renewal date.\n\n"
        "### Follow-up\n\nStill internal below the marked heading.\n\n"
        "## Objections\n\nCustomer-safe again."
    )
    chunks = hash_chunker().chunk(md_doc(text, doc_type="battlecard", audience="customer-safe"))
    audience = {c.heading: c.audience for c in chunks}
    assert audience == {
        "Acme vs Zeta > Positioning": "customer-safe",
        "Acme vs Zeta > Landmines (internal)": "internal",
        "Acme vs Zeta > Landmines (internal) > Follow-up": "internal",
        "Acme vs Zeta > Objections": "customer-safe",
    }
    assert all(c.meta.audience == "customer-safe" for c in chunks)  # the document stays safe


@pytest.mark.slow
def test_landmines_are_internal_in_the_real_battlecards(knowledge_kb) -> None:
    chunks = knowledge_kb.manifest.source_chunks("battlecards/brightfold.md")
    doc = knowledge_kb.manifest.document("battlecards/brightfold.md")
    assert doc.meta.audience == "customer-safe"
    landmines = [c for c in chunks if c.heading.endswith("Landmines (internal)")]
    assert landmines and all(c.audience == "internal" for c in landmines)
    others = [c for c in chunks if "(internal)" not in c.heading]
    assert others and all(c.audience == "customer-safe" for c in others)
    # and the vector store filters them out of customer-safe searches
    vector = knowledge_kb.embedder.embed([landmines[0].embed_text])[0]
    safe = knowledge_kb.store.query(vector, 50, Filters(audience="customer-safe"))
    assert safe and not any("(internal)" in c.heading for c, _ in safe)
    anything = knowledge_kb.store.query(vector, 1)
    assert anything[0][0].id == landmines[0].id


# -- ids ------------------------------------------------------------------------------------


def test_chunk_ids_are_deterministic_and_follow_the_text() -> None:
    text = "# Vault\n\n## SSO\n\nSAML and OIDC.\n\n## Keys\n\nBring your own key."
    first = hash_chunker().chunk(md_doc(text))
    again = hash_chunker().chunk(md_doc(text))
    assert [c.id for c in first] == [c.id for c in again]
    assert len({c.id for c in first}) == len(first)

    edited = hash_chunker().chunk(md_doc(text.replace("Bring your own key.", "Use your HSM.")))
    assert edited[0].id == first[0].id  # untouched section keeps its id
    assert edited[1].id != first[1].id  # the edited one gets a new id

    other_file = hash_chunker().chunk(md_doc(text, source="products/other.md"))
    assert not {c.id for c in other_file} & {c.id for c in first}

    # metadata is not part of identity: a new date does not force re-embedding
    redated = hash_chunker().chunk(md_doc(text, updated=dt.date(2030, 1, 1)))
    assert [c.id for c in redated] == [c.id for c in first]


def test_repeated_identical_passages_get_distinct_ids() -> None:
    paragraph = " ".join(["Same answer, word for word."] * 8)  # 40 words
    text = f"# FAQ\n\n## Q\n\n{paragraph}\n\n{paragraph}"
    chunks = hash_chunker(max_tokens=60).chunk(md_doc(text))
    assert [c.text for c in chunks] == [paragraph, paragraph]
    assert chunks[0].id != chunks[1].id
    assert [c.id for c in hash_chunker(max_tokens=60).chunk(md_doc(text))] == [c.id for c in chunks]


# -- PDF pages ------------------------------------------------------------------------------


def test_pdf_chunks_carry_pages_and_bookmark_sections(tmp_path: Path) -> None:
    pdf = FPDF()
    pdf.set_title("Acme Overview")
    pdf.set_font("Helvetica", size=11)
    for name, body in [
        ("Encryption", "AES-256 at rest. " * 30),
        ("Residency", "Six regions. " * 30),
    ]:
        pdf.add_page()
        pdf.start_section(name)
        pdf.cell(0, 10, name, new_x="LMARGIN", new_y="NEXT")
        pdf.multi_cell(0, 6, body)
    path = tmp_path / "overview.pdf"
    path.write_bytes(bytes(pdf.output()))
    doc, _ = load_file(path, PurePosixPath("overview.pdf"))
    chunks = hash_chunker(max_tokens=64).chunk(doc)
    assert len(chunks) > 2
    assert {(c.page, c.heading) for c in chunks} == {
        (1, "Acme Overview > Encryption"),
        (2, "Acme Overview > Residency"),
    }
    assert all("AES-256" in c.text for c in chunks if c.page == 1)


@pytest.mark.slow
def test_knowledge_pdf_chunks_have_pages(knowledge_kb) -> None:
    chunks = knowledge_kb.manifest.source_chunks("security/security-compliance-overview.pdf")
    assert chunks
    pages = [c.page for c in chunks]
    assert all(isinstance(p, int) and p >= 1 for p in pages)
    assert len(set(pages)) >= 2
    assert pages == sorted(pages)
    # the store returns the page too
    stored = knowledge_kb.store.get([c.id for c in chunks])
    assert [c.page for c in stored] == pages


def test_a_hard_wrapped_list_item_is_one_sentence() -> None:
    """Docs repos wrap Markdown at 80 columns: a list item's wrapped lines are the same
    sentence, never a fragment ending in a comma; table rows stay sentences of their own."""
    text = (
        "- Our servers can be hosted entirely behind your firewall,\n"
        "  or even on an air-gapped network.\n"
        "- Single sign-on works with SAML\n"
        "(lazy continuation), and LDAP.\n"
        "A paragraph wrapped\nover two lines. A second sentence.\n"
        "| Plan | Seats |\n"
        "Scale — Retention: 1 year\n"
        "after the table"
    )
    assert sentences(text) == [
        "Our servers can be hosted entirely behind your firewall, or even on an air-gapped "
        "network.",
        "Single sign-on works with SAML (lazy continuation), and LDAP.",
        "A paragraph wrapped over two lines.",
        "A second sentence.",
        "| Plan | Seats |",
        "Scale — Retention: 1 year",
        "after the table",
    ]
