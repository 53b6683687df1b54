"""The feature catalog built at ingest: spec-shaped product pages become features with
technical and business facts; without spec-shaped pages (the PostHog docs), each product page
is one feature."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest

from assistant.core.config import REPO_ROOT
from assistant.core.conventions import load_conventions
from assistant.core.records import Chunk, DocMeta
from assistant.core.text import normalize
from assistant.index.catalog import (
    CAPABILITY_ROLES,
    Feature,
    build_catalog,
    feature_name,
    load_catalog,
    save_catalog,
)

CONVENTIONS = load_conventions(REPO_ROOT / "prompts")

PRODUCT_PAGES = {
    "products/keelstone-flow.md",
    "products/keelstone-lens.md",
    "products/keelstone-reach.md",
    "products/keelstone-vault.md",
    "products/platform-overview.md",
}


# -- the sample knowledge base ----------------------------------------------------------------


@pytest.fixture(scope="module")
def catalog(knowledge_kb) -> list[Feature]:
    return knowledge_kb.catalog


def test_sample_catalog_has_features_across_modules(catalog) -> None:
    assert len(catalog) >= 10, [f.name for f in catalog]
    modules = Counter(f.module for f in catalog)
    assert len(modules) >= 3, modules
    for module in ("Keelstone Flow", "Keelstone Lens", "Keelstone Reach", "Keelstone Vault"):
        assert modules[module] >= 2, modules
    assert len({f.key for f in catalog}) == len(catalog)  # no feature twice


def test_every_feature_has_technical_and_business_facts(catalog) -> None:
    for f in catalog:
        kinds = Counter(fact.kind for fact in f.facts)
        assert kinds["technical"] >= 1 and kinds["business"] >= 1, (f.key, kinds)
        assert f.summary.strip(), f.key
        data = f.to_json()
        assert data["technical"] and data["outcomes"] and data["evidence"]


def test_feature_evidence_exists_and_holds_the_facts(knowledge_kb, catalog) -> None:
    for f in catalog:
        assert f.source in PRODUCT_PAGES, (f.key, f.source)
        chunks = {c.id: c for c in knowledge_kb.manifest.chunks(f.chunk_ids)}
        assert set(chunks) == set(f.chunk_ids), f"{f.key}: missing chunks"
        for fact in f.facts:
            chunk = chunks[fact.chunk_id]
            assert chunk.source == f.source
            assert not chunk.internal
            assert normalize(fact.text) in normalize(chunk.text), (f.key, fact.text)
            path = chunk.heading.split(" > ")
            assert path[1] == f.name, (f.key, chunk.heading)
            tail = path[-1].lower()
            if fact.kind == "technical":
                assert tail == "technical detail", (f.key, chunk.heading)
            elif fact.kind == "business":
                assert tail == "business outcomes", (f.key, chunk.heading)


def test_known_features_are_in_the_catalog(catalog) -> None:
    by_name = {f.name: f for f in catalog}
    expected = {
        "Change Stream": "Keelstone Flow",
        "Workflow Studio": "Keelstone Flow",
        "Anomaly Watch": "Keelstone Lens",
        "Journey Orchestrator": "Keelstone Reach",
        "Immutable Audit Log": "Keelstone Vault",
        "PII Guard": "Keelstone Vault",
    }
    for name, module in expected.items():
        assert name in by_name, sorted(by_name)
        assert by_name[name].module == module


def test_release_notes_are_not_a_feature(knowledge_kb, catalog) -> None:
    notes = [d for d in knowledge_kb.manifest.documents() if d.source.endswith(".txt")]
    assert [d.source for d in notes] == ["products/release-notes-2026.txt"]
    assert notes[0].meta.doc_type == "product"  # it *is* a product document...
    for f in catalog:  # ...but not a feature
        assert not f.source.endswith(".txt"), f.key
        assert "release" not in f.module.lower() and "release" not in f.name.lower(), f.key
    note_chunks = {c.id for c in knowledge_kb.manifest.all_chunks() if c.source == notes[0].source}
    assert not {fact.chunk_id for f in catalog for fact in f.facts} & note_chunks


def test_catalog_is_saved_at_ingest_and_round_trips(knowledge_kb, catalog, tmp_path) -> None:
    assert knowledge_kb.catalog_path.is_file()
    stored = load_catalog(knowledge_kb.catalog_path)
    assert [(f.key, len(f.facts)) for f in stored] == [(f.key, len(f.facts)) for f in catalog]
    path = tmp_path / "catalog.json"
    save_catalog(catalog, path)
    again = load_catalog(path)
    assert [f.to_json() for f in again] == [f.to_json() for f in catalog]
    assert [f.personas for f in again] == [f.personas for f in catalog]
    assert load_catalog(tmp_path / "missing.json") == []


# -- the real PostHog corpus: one feature per product page -----------------------------------


@pytest.fixture(scope="module")
def posthog_catalog(posthog_kb) -> list[Feature]:
    return posthog_kb.catalog


def test_posthog_fallback_gives_a_feature_per_describing_page(posthog_kb, posthog_catalog) -> None:
    docs = posthog_kb.manifest.documents()
    pages = {
        d.source for d in docs if d.meta.doc_type == "product" and d.meta.audience != "internal"
    }
    assert len(pages) >= 4
    sources = [f.source for f in posthog_catalog]
    assert pages <= set(sources)
    assert len({f.name for f in posthog_catalog}) == len(posthog_catalog)  # no name twice
    # A page about one product is one feature; only a page that lists capabilities under
    # headings of their own also gives one feature per section.
    for source in set(sources):
        mine = [f for f in posthog_catalog if f.source == source]
        if len(mine) > 1:
            sections = {
                c.heading.split(" > ")[-1] for c in posthog_kb.manifest.source_chunks(source)
            }
            by_heading = [f for f in mine if f.name in sections]
            assert len(mine) - len(by_heading) <= 1, mine  # the page's own, and its sections
    compared = {s for found in posthog_kb.market.pages.values() for s in found}
    for source in set(sources) - pages:  # pages without front-matter that describe the product
        assert source not in compared
        roles = [c.role for c in posthog_kb.manifest.source_chunks(source)]
        assert sum(r in CAPABILITY_ROLES for r in roles) >= 0.4 * len(roles), (source, roles)
    names = " | ".join(f.name for f in posthog_catalog)
    for product in ("Feature Flags", "Session Replay", "Experiments", "Surveys"):
        assert product in names, names


def test_posthog_features_have_facts_from_their_own_page(posthog_kb, posthog_catalog) -> None:
    for f in posthog_catalog:
        assert f.facts and f.summary, f.key
        chunks = {c.id: c for c in posthog_kb.manifest.chunks(f.chunk_ids)}
        assert set(chunks) == set(f.chunk_ids)
        for fact in f.facts:
            chunk = chunks[fact.chunk_id]
            # From its own page, or from a section of another page with its name (merged).
            assert chunk.source == f.source or normalize(f.name) in normalize(chunk.heading)
            assert normalize(fact.text) in normalize(chunk.text)
        # Facts are classified by vocabulary; the kinds are the known ones.
        assert {fact.kind for fact in f.facts} <= {"technical", "business", "summary"}
    # Across the corpus the classifier finds both kinds.
    kinds = {fact.kind for f in posthog_catalog for fact in f.facts}
    assert {"technical", "business"} <= kinds


def test_posthog_comparison_and_handbook_pages_are_not_features(posthog_catalog) -> None:
    for f in posthog_catalog:
        # Comparison posts are the competitive angle and the handbook is internal; a
        # compliance page is a feature (a CISO is pitched HIPAA support).
        assert f.source.startswith("contents/docs/"), f.source


# -- build_catalog on synthetic chunks --------------------------------------------------------


def _chunk(
    source: str,
    heading: str,
    text: str,
    n: int,
    product: str = "Acme Core",
    doc_type: str = "product",
    internal: bool = False,
    title: str = "",
) -> Chunk:
    meta = DocMeta(doc_type=doc_type, product=product, title=title or product)
    return Chunk(f"{source}#{n}", source, text, heading, n, meta, internal=internal)


TECH = "The engine replicates every change to three zones within two seconds."
TECH2 = "Each connector retries with exponential backoff and resumes from its cursor."
BIZ = "Teams close the books two days sooner because numbers agree everywhere."
BIZ2 = "Finance stops reconciling exports by hand at the end of every month."


def _spec(source: str = "spec.md", product: str = "Acme Core") -> list[Chunk]:
    return [
        _chunk(source, "Acme Core > Sync", "Sync keeps every system up to date in real time.", 0),
        _chunk(source, "Acme Core > Sync > Technical detail", f"{TECH}\n\n{TECH2}", 1),
        _chunk(source, "Acme Core > Sync > Business outcomes", f"{BIZ}\n\n{BIZ2}", 2),
        _chunk(source, "Acme Core > Alerts > Technical detail", TECH, 3),  # no outcomes
    ]


def test_structured_page_yields_features_with_both_kinds() -> None:
    (feature,) = build_catalog(_spec(), CONVENTIONS)
    assert (feature.name, feature.module, feature.source) == ("Sync", "Acme Core", "spec.md")
    assert feature.summary == "Sync keeps every system up to date in real time."
    assert [f.text for f in feature.facts if f.kind == "technical"] == [TECH, TECH2]
    assert [f.text for f in feature.facts if f.kind == "business"] == [BIZ, BIZ2]
    assert feature.chunk_ids == ["spec.md#0", "spec.md#1", "spec.md#2"]
    # "Alerts" has technical detail only: not a feature a persona could be pitched.


def test_release_notes_and_repository_pages_are_never_features() -> None:
    pages = [
        _chunk(source, "", f"{TECH} {BIZ}", 0, product="Acme Core")
        for source in ("release-notes-2026.txt", "docs/CHANGELOG.md", "CONTRIBUTING.md")
    ]
    assert [f.source for f in build_catalog([*_spec(), *pages], CONVENTIONS)] == ["spec.md"]
    assert build_catalog(pages, CONVENTIONS) == []


def test_a_plain_product_page_is_a_feature_beside_spec_pages() -> None:
    """A product folder mixes shapes: a page without spec subsections still gives its feature,
    and a "# Feature / ## How it works / ## Why it matters" page is spec-shaped too."""
    page = [
        _chunk("forecast.md", "Forecasting > How it works", TECH, 0, product="Forecasting"),
        _chunk("forecast.md", "Forecasting > Why it matters", BIZ, 1, product="Forecasting"),
    ]
    plain = _chunk("timekeeping.md", "Timekeeping", f"{TECH2} {BIZ2}", 0, product="Timekeeping")
    features = {f.name: f for f in build_catalog([*_spec(), *page, plain], CONVENTIONS)}
    assert set(features) == {"Sync", "Forecasting", "Timekeeping"}
    assert {f.kind for f in features["Forecasting"].facts} == {"technical", "business"}


def test_persona_descriptions_objection_rows_and_stories_are_not_features() -> None:
    def general(source: str, text: str, role: str, doc_type: str = "general", **kw) -> Chunk:
        c = _chunk(source, source, text, 0, product="", doc_type=doc_type, title=source)
        return replace(c, role=role, **kw)

    chunks = [
        general("Personas", f"The CFO cares about {BIZ}", "pricing", secondary_roles=("persona",)),
        general("Objections", "Too expensive. — Response: Compare it with the cost.", "outcome"),
        general("Story", f"Acme {BIZ2}", "outcome", doc_type="case_study"),
    ]
    assert build_catalog(chunks, CONVENTIONS) == []


def test_internal_and_non_product_chunks_are_never_features() -> None:
    internal = [_chunk("internal.md", c.heading, c.text, c.ordinal, internal=True) for c in _spec()]
    battle = [
        _chunk("battle.md", c.heading, c.text, c.ordinal, doc_type="battlecard") for c in _spec()
    ]
    assert build_catalog(internal + battle, CONVENTIONS) == []


def test_without_spec_pages_each_product_page_is_one_feature() -> None:
    chunks = [
        _chunk("a.mdx", "Intro", f"{TECH} {BIZ}", 0, "Flags", title="Getting started with Flags"),
        _chunk("a.mdx", "More", f"{TECH2}\n\nShort.", 1, "Flags", title="Flags"),
        _chunk("b.mdx", "Costs", BIZ2, 0, "Flags", title="Cutting costs"),
    ]
    labels = {TECH: "technical", TECH2: "technical", BIZ: "business", BIZ2: "business"}
    features = build_catalog(chunks, CONVENTIONS, classify=lambda s: labels.get(s, "summary"))
    assert [(f.name, f.module, f.source) for f in features] == [
        ("Flags", "Flags", "a.mdx"),  # "Getting started with" is dropped
        ("Flags: Cutting costs", "Flags", "b.mdx"),
    ]
    # A product named by its file ("approvals.md") that the title says again is not repeated.
    again = _chunk("c.mdx", "Intro", TECH, 0, "Approvals", title="Approval workflows")
    assert build_catalog([again], CONVENTIONS)[0].name == "Approval workflows"
    first = features[0]
    assert [(f.text, f.kind) for f in first.facts] == [
        (TECH, "technical"),
        (BIZ, "business"),
        (TECH2, "technical"),
    ]  # "Short." is a fragment, not a fact
    assert first.summary == TECH
    # Without a classifier every fact is a summary.
    assert {f.kind for f in build_catalog(chunks, CONVENTIONS)[0].facts} == {"summary"}


# -- features read from headings: pages that list capabilities ---------------------------------


def _capable(source: str, title: str, sections: dict[str, str]) -> list[Chunk]:
    """A page without front-matter whose sections all describe capabilities."""
    return [
        replace(
            _chunk(
                source, f"{title} > {head}", text, n, product="", doc_type="general", title=title
            ),
            role="capability",
        )
        for n, (head, text) in enumerate(sections.items())
    ]


def test_a_page_that_lists_capabilities_gives_a_feature_per_named_section() -> None:
    page = _capable(
        "for-teams.html",
        "Acme for teams",
        {
            "SHARED INBOX": "Every request lands in one shared inbox that the whole team sees.",
            "Audit trail": "Each approval step is kept in an audit trail you can export.",
            "Guest access": "Invite clients as guests who see only the threads you share.",
            "Where you can use it": "It works in the browser, on the desktop and on phones.",
            "How do I get started?": "Create a workspace and invite your team in minutes.",
        },
    )
    features = build_catalog(page, CONVENTIONS, vendor="Acme")
    assert [(f.name, f.module) for f in features] == [
        ("Shared inbox", "Acme for teams"),
        ("Audit trail", "Acme for teams"),
        ("Guest access", "Acme for teams"),
    ]  # an audience page is not a feature; generic and question headings name nothing
    assert features[1].facts[0].text.startswith("Each approval step")


def test_a_capability_page_keeps_its_own_feature_beside_its_sections() -> None:
    page = _capable(
        "replay.md",
        "Session replay",
        {
            "Network inspector": "Inspect every request a user's browser made in the replay.",
            "Console logs": "See the console output next to the recording as it happened.",
            "Heatmaps": "Heatmaps show where visitors click and how far they scroll.",
        },
    )
    names = [f.name for f in build_catalog(page, CONVENTIONS, vendor="Acme")]
    assert names == ["Session replay", "Network inspector", "Console logs", "Heatmaps"]


def test_an_us_vs_them_section_gives_no_fact() -> None:
    """A deck's "Acme vs Zenith" slide argues against a rival: none of its sentences is a
    fact of the page's features, even when it reads like a capability."""
    page = _capable(
        "deck.pdf",
        "Acme deck",
        {
            "Approvals": "Acme routes every purchase request through approval rules by amount.",
            "Acme vs Zenith": "Security: both are SOC 2 Type II certified and audited each year.",
        },
    )
    facts = [fact.text for f in build_catalog(page, CONVENTIONS) for fact in f.facts]
    assert facts and not any("both are" in t for t in facts)


def test_a_page_about_one_thing_is_one_feature() -> None:
    page = _capable(
        "flags.md",
        "Feature flags",
        {
            "Where you can use it": "Flags work in every SDK, on the server and in the browser.",
            "Where its data comes from": "Every flag evaluation is an event you can query later.",
        },
    )
    assert [f.name for f in build_catalog(page, CONVENTIONS)] == ["Feature flags"]


def test_features_with_one_name_on_several_pages_are_merged() -> None:
    sections = {
        "Audit trail": "Each approval step is kept in an audit trail you can export.",
        "Guest access": "Invite clients as guests who see only the threads you share.",
        "Shared inbox": "Every request lands in one shared inbox that the whole team sees.",
    }
    other = dict(sections, **{"Audit trail": "Auditors read the audit trail without an account."})
    chunks = _capable("a.html", "Acme for law firms", sections)
    chunks += _capable("b.html", "Acme for agencies", other)
    features = build_catalog(chunks, CONVENTIONS, vendor="Acme")
    assert [f.name for f in features] == ["Audit trail", "Guest access", "Shared inbox"]
    audit = features[0]
    assert [f.text for f in audit.facts] == [
        sections["Audit trail"],
        "Auditors read the audit trail without an account.",
    ]
    assert set(audit.chunk_ids) == {"a.html#0", "b.html#0"}


@pytest.mark.parametrize(
    ("heading", "text", "name"),
    [
        ("COMPLETE HISTORY", "Search your complete history.", "Complete history"),
        (
            "SAML SINGLE SIGN-ON",
            "Sign in with SAML from your identity provider.",
            "SAML single sign-on",
        ),
        ("2. Audit trail", "", "Audit trail"),
        ("Overview", "", ""),
        ("Where you can use it", "", ""),
        ("Further reading", "", ""),
        ("Step 2: Deploy the server", "", ""),
        ("How does billing work?", "", ""),
        ("Data must be handled securely", "", ""),
        ("Remote workers can't participate", "", ""),
        ("No lock-in", "", "No lock-in"),
        ("100% open source", "", "100% open source"),
        ("How Lumora works", "", ""),  # a question without its mark
        ("Why finance teams lose control", "", ""),
        ("Lumora vs Tallyhq", "", ""),
        ("Agenda", "", ""),
        ("Product Overview", "", ""),
        ("Weeks 1–2: Kick-off and design", "", ""),  # a step of a plan
        ("Audit trail – export", "", "Audit trail – export"),  # its dash kept
    ],
)
def test_feature_names_from_headings(heading: str, text: str, name: str) -> None:
    generic = frozenset(CONVENTIONS.generic_heading_words)
    assert feature_name(heading, text, generic) == name


def test_a_fact_another_fact_says_whole_is_not_chosen(knowledge_kb) -> None:
    """Overlapping passages repeat a sentence's tail ("easy-to-use API, client bindings…"
    after "Build your own integrations with our easy-to-use API, client bindings…"): the
    tail is not said beside the whole sentence, though both rank alike."""
    from assistant.jobs.features import _choose_facts
    from assistant.retrieval.evidence import Evidence
    from assistant.service import Pitchcraft

    persona = Pitchcraft(knowledge_kb).resolver.resolve("cio").persona
    feature = knowledge_kb.catalog[0]
    chunks = {c.id: c for c in knowledge_kb.manifest.chunks(feature.chunk_ids)}

    def evidence() -> list[Evidence]:
        return [Evidence(f.text, chunks[f.chunk_id]) for f in feature.facts]

    tail = next(
        f
        for f in feature.facts
        if f.text == _choose_facts(persona, feature, evidence(), set())[0].text
    )
    whole = replace(tail, text=f"Put simply, {tail.text}")
    feature = replace(feature, facts=[tail, whole, *[f for f in feature.facts if f != tail]])
    chosen = [e.text for e in _choose_facts(persona, feature, evidence(), set())]
    assert whole.text in chosen and tail.text not in chosen
