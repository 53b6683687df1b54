"""``Pitchcraft``: the product's jobs over one knowledge base, with dependencies passed in.

The composition root: it wires the knowledge base, retrieval, personas, the planners and the
writer together. Every writing job runs the same way: plan → write → verify → ``Result``. The
CLI and the Streamlit app each build one of these (the app once per process) and call it;
tests build one with fakes. Heavy parts load lazily and are reused across calls.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from assistant.core.config import Settings
from assistant.core.results import Citations, Draft, Result, Section, TextSink
from assistant.core.terms import Lexicon, find_terms, load_vocabulary
from assistant.core.text import numbers
from assistant.deals.room import DealRoom
from assistant.index.filters import Filters
from assistant.index.kb import KnowledgeBase
from assistant.jobs.accounts import Account
from assistant.jobs.ask import AskResult, answer, plan_answer
from assistant.jobs.objection import (
    ObjectionHandler,
    ObjectionPlan,
    ObjectionRequest,
    load_objection_phrasing,
)
from assistant.jobs.pitch import PitchPlan, PitchPlanner, PitchRequest
from assistant.jobs.upsell import UpsellPlanner, load_upsell_phrasing
from assistant.jobs.verify import verify
from assistant.personas.loading import load_personas, with_corrections
from assistant.personas.resolver import PersonaResolver
from assistant.personas.schema import Persona
from assistant.retrieval.evidence import Evidence
from assistant.retrieval.grounding import Grounder
from assistant.retrieval.retriever import Retriever
from assistant.training.coach import Coach
from assistant.training.drill import Drill
from assistant.training.quiz.grading import TextGrader
from assistant.writers.base import Writer
from assistant.writers.choice import make_writer, writer_choice
from assistant.writers.offline import OfflineWriter


class Pitchcraft:
    """Pitches, objection handling, upsell narratives and answers from one knowledge base."""

    def __init__(self, kb: KnowledgeBase, writer: Writer | None = None) -> None:
        self.kb = kb
        self.settings: Settings = kb.settings
        if writer is None:
            self.writer_note = writer_choice(self.settings)[1]
            writer = make_writer(self.settings)
        else:
            self.writer_note = "given by the caller"
        self.writer: Writer = writer

    @cached_property
    def personas(self) -> dict[str, Persona]:
        return with_corrections(
            load_personas(self.settings.prompts_dir), self.kb.corrections().personas
        )

    @cached_property
    def lexicon(self) -> Lexicon:
        return load_vocabulary(self.settings.prompts_dir)

    @cached_property
    def retriever(self) -> Retriever:
        return Retriever(self.kb)

    @cached_property
    def grounder(self) -> Grounder:
        return Grounder(self.retriever)

    @cached_property
    def resolver(self) -> PersonaResolver:
        return PersonaResolver(self.personas, self.kb.embedder)

    @cached_property
    def pitches(self) -> PitchPlanner:
        return PitchPlanner(self.kb)

    @cached_property
    def objections(self) -> ObjectionHandler:
        phrasing = load_objection_phrasing(self.settings.prompts_dir)
        return ObjectionHandler(self.kb, self.grounder, phrasing, self.lexicon)

    @cached_property
    def upsells(self) -> UpsellPlanner:
        return UpsellPlanner(self.kb, load_upsell_phrasing(self.settings.prompts_dir))

    @cached_property
    def coach(self) -> Coach:
        return Coach(self.grounder, self.resolver, self.lexicon, self.pitches.features)

    @cached_property
    def deals(self) -> DealRoom:
        """The deal room over this knowledge store (an LLM extracts when one is configured)."""
        llm = self.writer if hasattr(self.writer, "complete_json") else None
        return DealRoom(self.kb, llm)

    def drill(self, text_grader: TextGrader | None = None) -> Drill:
        return Drill(self.retriever, self.resolver, text_grader)

    # -- shared -------------------------------------------------------------------------------
    def _finish(
        self,
        kind: str,
        title: str,
        draft: Draft,
        persona: Persona | None,
        given: str,
        extra: dict[str, Any],
        plan_warnings: list[str],
    ) -> Result:
        check = verify(
            draft.sections,
            draft.citations.items,
            self.kb.manifest,
            self.settings,
            market=self.kb.market,
            persona=persona,
            lexicon=self.lexicon,
            given_numbers=numbers(given),
        )
        warnings = list(dict.fromkeys(plan_warnings + draft.warnings + check.warnings))
        scores = {**check.scores, **draft.info}
        extra = {**extra, "writer_note": self.writer_note}
        return Result(
            kind, draft.sections, draft.citations, draft.writer, warnings, scores, extra, title
        )

    # -- jobs -----------------------------------------------------------------------------------
    def ask(
        self,
        question: str,
        k: int = 5,
        filters: Filters | None = None,
        on_text: TextSink | None = None,
    ) -> AskResult:
        plan = plan_answer(self.retriever, question, k, filters, self.grounder)
        # An abstention has nothing for a model to write from: the offline "not covered".
        writer = OfflineWriter() if plan.judgement.abstained else self.writer
        result = answer(plan, writer.write(plan, on_text))
        check = verify(
            [Section("Answer", result.answer, customer_facing=False)],
            result.citations.items,
            self.kb.manifest,
            self.settings,
            market=self.kb.market,
            given_numbers=numbers(plan.given()),
        )
        result.warnings = list(dict.fromkeys(result.warnings + check.warnings))
        return result

    def plan_pitch(self, request: PitchRequest) -> PitchPlan:
        resolution = self.resolver.resolve(request.persona)
        return self.pitches.plan(request, resolution)

    def pitch(self, request: PitchRequest, on_text: TextSink | None = None) -> Result:
        plan = self.plan_pitch(request)
        draft = self.writer.write(plan, on_text)
        features = []
        for pick in plan.features:
            refs = sorted({n for e in pick.facts for n in _refs_for(draft.citations, e)})
            features.append(
                {
                    "name": pick.feature.name,
                    "module": pick.feature.module,
                    "why": pick.why,
                    "score": pick.score,
                    "signals": pick.signals,
                    "citations": refs,
                }
            )
        extra = {
            "persona": plan.resolution.to_json(),
            "competitor": plan.competitor,
            "account": request.account,
            "features": features,
        }
        asked = plan.resolution.query.strip()
        title = f"Pitch for {plan.persona.title}"
        if plan.resolution.method != "id" and asked.lower() != plan.persona.title.lower():
            title = f"Pitch for {asked} (as {plan.persona.title})"  # the buyer's own title
        return self._finish("pitch", title, draft, plan.persona, plan.given(), extra, plan.warnings)

    def upsell(self, account: Account, on_text: TextSink | None = None) -> Result:
        plan = self.upsells.plan(account)
        draft = self.writer.write(plan, on_text)
        opportunities = [
            {
                "name": f"{o.feature.name} ({o.feature.module})",
                "module": o.feature.module,
                "why": o.why,
                "score": o.score,
                "citations": sorted(
                    {n for e in o.facts + o.signal for n in _refs_for(draft.citations, e)}
                ),
            }
            for o in plan.opportunities
        ]
        t = plan.timing
        extra = {
            "account": account.account,
            "opportunities": opportunities,
            "timing": {
                "status": t.status,
                "days_to_renewal": t.days_to_renewal,
                "guidance": t.guidance,
            },
        }
        title = f"Expansion: {account.account}"
        result = self._finish("upsell", title, draft, None, plan.given(), extra, plan.warnings)
        pushy = find_terms(
            plan.phrasing.pushy, "\n".join(s.text for s in result.sections if s.customer_facing)
        )
        if pushy:
            result.warnings.append(f"pushy wording: {', '.join(pushy)}")
        return result

    def plan_objection(self, request: ObjectionRequest) -> ObjectionPlan:
        resolution = self.resolver.resolve(request.persona) if request.persona else None
        return self.objections.plan(request, resolution)

    def objection(
        self,
        request: ObjectionRequest,
        on_text: TextSink | None = None,
        plan: ObjectionPlan | None = None,
    ) -> Result:
        """The response to an objection; ``plan`` is one already made for ``request`` (the
        eval reads what it hands the writer)."""
        plan = plan or self.plan_objection(request)
        resolution = plan.resolution
        draft = self.writer.write(plan, on_text)
        extra = {
            "objection": request.text,
            "persona": resolution.to_json() if resolution else None,
            "competitor": plan.competitor,
            "matched": {
                "objection": plan.matched,
                "source": plan.matched_source,
                "similarity": plan.similarity,
            }
            if plan.matched
            else None,
            "abstained": plan.abstained,
        }
        result = self._finish(
            "objection",
            f"Objection: {request.text}",
            draft,
            plan.resolution.persona if resolution else None,
            plan.given(),
            extra,
            plan.warnings,
        )
        result.extra["response"] = [s.to_json() for s in result.sections if s.customer_facing]
        return result


def from_deal(result: Result, deal: str, used: dict[str, str]) -> Result:
    """Say in the result which deal fields it was built from (rep-facing)."""
    result.extra["deal"] = {"name": deal, "used": used}
    said = "; ".join(f"{field}: {where}" for field, where in used.items()) or "nothing"
    result.sections.append(
        Section("From the deal record", f"Built from {deal} — {said}.", [], customer_facing=False)
    )
    return result


def _refs_for(citations: Citations, evidence: Evidence) -> list[int]:
    return [c.n for c in citations.items if c.chunk_id == evidence.chunk.id]
