"""Planners and writers on a tiny knowledge base with the hashing embedder (the fast lane):
what each plan carries, that every writer composes every job from the plan alone, and that
the vendor is a property of the knowledge base computed once per generation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import settings_for
from fake_openai import FakeOpenAI, reply
from fake_openai import fake_openai_fixture as fake_openai_fixture  # the fixture

from assistant.core.results import CITE_RE
from assistant.index.embeddings import HashingEmbedder
from assistant.index.kb import KnowledgeBase
from assistant.ingest.pipeline import ingest
from assistant.jobs.accounts import Account
from assistant.jobs.ask import plan_answer
from assistant.jobs.objection import ObjectionRequest
from assistant.jobs.pitch import PitchRequest
from assistant.service import Pitchcraft
from assistant.writers.llm import LLMWriter
from assistant.writers.offline import COMPOSERS, OfflineWriter
from assistant.writers.prompts import TASK_VARIABLES, Prompts

FILES = {
    "specs/orbit.md": """---
title: Orbit product specification
doc_type: product
product: Orbit Sync
updated: 2026-10-01
---
# Orbit Sync

## Connector Hub

Connector Hub links every business application to every other one without custom code.

### Technical detail

- Each connector uses OAuth 2.0 and a documented API with audit logging of every call.
- The hub runs 300 connectors with automatic retries and schema detection.

### Business outcomes

- Teams launch new integrations in days instead of months, clearing the backlog.
- Licence costs stay predictable because every connector is included.

## Access Guard

Access Guard applies one access control policy to every integration and every user.

### Technical detail

- Single sign-on with SAML and SCIM provisioning keeps accounts in step with the directory.
- Every permission change is written to an immutable audit log for compliance reviews.

### Business outcomes

- Audit preparation takes hours rather than weeks, with evidence ready for reviewers.
- Security teams approve new integrations faster under one governance policy.

## Flow Builder

Flow Builder lets analysts automate workflows from templates with guardrails set by IT.

### Technical detail

- Workflows are versioned in Git and promoted between environments through the API.
- The builder ships 120 workflow templates for common integration patterns.

### Business outcomes

- Business teams automate their own workflows, so the IT backlog shrinks each quarter.
- Every workflow follows the same security policy, which lowers operational risk.
""",
    "competition/rivalco.md": """---
title: "Battlecard: Orbit vs Rivalco"
doc_type: battlecard
competitor: Rivalco
updated: 2026-11-01
---
# Orbit vs Rivalco

## Positioning

Rivalco sells a heavy suite; Orbit delivers the same integration outcomes in weeks.

## Weak spots

- Rivalco charges for every connector, while Connector Hub includes all 300 connectors.
- Rivalco projects run for many months because every change waits for specialists.

## Landmines (internal)

- Ask how long their last connector took to go live with Rivalco.

## Objections

### "Rivalco is already installed and works"

That is a fair point. The real question is what the backlog costs while projects wait.
Connector Hub puts the first integration live within 9 days. What is on your backlog today?
""",
    "stories/nimbus-bank.md": """---
title: Nimbus Bank cuts integration time with Orbit Sync
doc_type: case_study
customer: Nimbus Bank
personas: [cio]
updated: 2026-09-01
---
# Nimbus Bank cuts integration time with Orbit Sync

## Results

- Nimbus Bank launched 40 integrations in the first quarter with Connector Hub.
- "We cleared a two-year backlog in six months," said the bank's head of IT.
""",
    "commercial/pricing.md": """---
title: Orbit pricing
doc_type: pricing
updated: 2026-10-01
---
# Pricing

Every edition starts with a 30-day free trial of Orbit Sync with all connectors.
""",
    "sales/discovery-guide.md": """---
title: Discovery guide
doc_type: internal
updated: 2026-10-01
---
# Discovery guide

## Integration

- How many integration requests are waiting in your backlog today?
- Which systems take the longest to connect, and why?
""",
}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Pitchcraft:
    root = tmp_path_factory.mktemp("planning")
    corpus = root / "corpus"
    for rel, text in FILES.items():
        (corpus / rel).parent.mkdir(parents=True, exist_ok=True)
        (corpus / rel).write_text(text)
    kb = KnowledgeBase(
        settings_for(root / "kb", embed_model="hash", llm="offline"), HashingEmbedder()
    )
    report = ingest(kb, [corpus])
    assert not report.failed and len(report.added) == len(FILES)
    return Pitchcraft(kb)


def _plans(app: Pitchcraft) -> dict[str, object]:
    resolution = app.resolver.resolve("cio")
    return {
        "pitch": app.plan_pitch(PitchRequest("cio", "clear the integration backlog", "rivalco")),
        "objection": app.objections.plan(
            ObjectionRequest("Rivalco is already installed and works", "cio", "Rivalco"),
            resolution,
        ),
        "upsell": app.upsells.plan(
            Account(
                account="Acme", goals=["one access control policy for every integration and user"]
            )
        ),
        "ask": plan_answer(app.retriever, "How many connectors does Connector Hub run?"),
    }


def _verbatim_citations(app: Pitchcraft, draft) -> None:
    for c in draft.citations.items:
        (chunk,) = app.kb.manifest.chunks([c.chunk_id])
        assert c.quote in chunk.text, c.quote


def test_the_pitch_plan_picks_features_and_everything_around_them(tiny: Pitchcraft) -> None:
    plan = _plans(tiny)["pitch"]
    assert plan.competitor == "Rivalco"  # resolved whatever the spelling asked
    assert plan.vendor == "Orbit"  # "Orbit vs Rivalco": a property of the knowledge base
    assert {p.feature.name for p in plan.features} == {
        "Connector Hub",
        "Access Guard",
        "Flow Builder",
    }
    assert all(p.why and p.facts for p in plan.features)
    assert plan.hook[0].source == "stories/nimbus-bank.md"
    assert all(e.source == "competition/rivalco.md" for e in plan.competitive)
    assert plan.landmines and plan.landmines[0].chunk.internal
    assert plan.objections[0].objection == "Rivalco is already installed and works"
    assert all(e.text.endswith("?") for e in plan.discovery)
    assert "free trial" in plan.next_step[0].text
    # The evidence the plan carries is everything it may say, features first.
    evidence = plan.all_evidence()
    assert evidence[0] == plan.features[0].facts[0]
    assert set(map(id, plan.hook + plan.competitive + plan.landmines)) <= set(map(id, evidence))


@pytest.mark.parametrize("task", sorted(COMPOSERS))
def test_every_plan_says_what_its_prompt_needs(tiny: Pitchcraft, task: str) -> None:
    plan = _plans(tiny)[task]
    assert plan.task == task
    variables = plan.prompt_variables()
    assert set(variables) == TASK_VARIABLES[task] - {"sources"}
    Prompts(tiny.settings.prompts_dir).render(task, sources="(none)", **variables)


@pytest.mark.parametrize("task", sorted(COMPOSERS))
def test_the_offline_writer_composes_every_job_from_the_plan(tiny: Pitchcraft, task: str) -> None:
    plan = _plans(tiny)[task]
    draft = OfflineWriter().write(plan)
    assert draft.writer == "offline" and draft.sections
    cited = {int(n) for s in draft.sections for n in CITE_RE.findall(s.text)}
    assert cited == {c.n for c in draft.citations.items} and cited
    _verbatim_citations(tiny, draft)


def test_a_plan_without_a_composer_is_a_clear_error(tiny: Pitchcraft) -> None:
    class Quote:
        task = "quote"
        vendor = "Orbit"

    with pytest.raises(TypeError, match="no composer for 'quote'"):
        OfflineWriter().write(Quote())  # type: ignore[arg-type]


@pytest.mark.parametrize("task", sorted(COMPOSERS))
def test_the_llm_writer_composes_every_job_the_same_way(
    tiny: Pitchcraft, fake_openai: FakeOpenAI, task: str
) -> None:
    settings = tiny.settings.model_copy(
        update={"openai_base_url": fake_openai.base_url, "llm": "auto", "llm_timeout": 2.0}
    )
    writer = LLMWriter(settings, Prompts(settings.prompts_dir))
    plan = _plans(tiny)[task]
    first = plan.all_evidence()[0].text
    fake_openai.script(
        reply(json.dumps({"sections": [{"title": "A", "text": f"{first.rstrip('.')} [1]."}]}))
    )
    draft = writer.write(plan)
    assert draft.writer == "llm:gpt-4o-mini" and draft.citations.items
    _verbatim_citations(tiny, draft)
    system, user = fake_openai.chat_requests[-1].messages
    assert "Orbit" in system["content"]  # the vendor came from the plan, not the planner
    assert first.split()[0] in user["content"]  # the plan's evidence is in the sources
    # A reply that is not JSON twice: the offline composer writes the same plan, with a warning.
    fake_openai.script(reply("not json"))
    fallback = writer.write(plan)
    offline = OfflineWriter().write(plan)
    assert [s.text for s in fallback.sections] == [s.text for s in offline.sections]
    assert any("offline composer wrote this instead" in w for w in fallback.warnings)


def test_the_vendor_is_computed_once_per_generation(
    tiny: Pitchcraft, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import assistant.index.kb as kb_module

    kb = tiny.kb
    calls = []
    real = kb_module.build_market
    monkeypatch.setattr(kb_module, "build_market", lambda *a: calls.append(1) or real(*a))
    assert kb.vendor == "Orbit" and kb.vendor == "Orbit"
    assert kb.resolve_competitor("RIVALCO") == "Rivalco"
    assert calls == []  # read from what the last ingest built, not recomputed per question
    # A new generation (any ingest that changes a document) builds it once more.
    extra = tmp_path / "more.md"
    extra.write_text("# Note\n\nOrbit Sync keeps every connector current for customers.\n")
    ingest(kb, [extra])
    try:
        assert kb.vendor == "Orbit" and kb.vendor == "Orbit" and len(calls) == 1
    finally:
        from assistant.ingest.pipeline import remove_document

        remove_document(kb, "more.md")
