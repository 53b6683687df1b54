"""``Pitchcraft``: the product's jobs over one knowledge base, with dependencies passed in.

The CLI and the Streamlit app each build one of these (the app once per process) and call it;
tests build one with fakes. Heavy parts load lazily and are reused across calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from .ask import AskResult, ask
from .config import Settings
from .drafting import Draft, TextSink, Writer
from .grounding import Grounder
from .kb import KnowledgeBase
from .llm import make_writer, writer_choice
from .objection import ObjectionHandler, ObjectionRequest, load_objection_phrasing
from .personas import (
    Lexicon,
    Persona,
    PersonaResolver,
    find_terms,
    load_personas,
    load_vocabulary,
)
from .planner import PitchPlan, PitchRequest, Planner
from .results import Citations, Section, render_markdown_sections
from .retrieval import Retriever
from .store import Filters
from .text import numbers
from .upsell import Account, UpsellPlanner, load_upsell_phrasing
from .verify import Verification, verify


@dataclass
class Result:
    """What every writing job returns: sections, citations, warnings, who wrote it."""

    kind: str
    sections: list[Section]
    citations: Citations
    writer: str
    warnings: list[str] = field(default_factory=list)
    scores: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            **self.extra,
            "sections": [s.to_json() for s in self.sections],
            "citations": self.citations.to_json(),
            "warnings": self.warnings,
            "scores": self.scores,
            "writer": self.writer,
        }

    def to_markdown(self, title: str = "", prose: bool = True) -> str:
        """The result as Markdown; ``prose=False`` when the text was already streamed."""
        head = "\n\n---\n" if not prose else f"# {title}\n\n" if title else ""
        tail = (
            "\n\n## Warnings\n\n" + "\n".join(f"- {w}" for w in self.warnings)
            if self.warnings
            else ""
        )
        sections = self.sections if prose else []
        return (
            f"{head}{render_markdown_sections(sections, self.citations.items)}{tail}"
            f"\n\n_Written by the {self.writer} writer._\n"
        )


class Pitchcraft:
    """Pitches, objection handling, upsell narratives and answers from one knowledge base."""

    def __init__(self, kb: KnowledgeBase, writer: Writer | None = None) -> None:
        self.kb = kb
        self.settings: Settings = kb.settings
        if writer is None:
            self.writer_note = writer_choice(self.settings)[1]
            writer = make_writer(self.settings, lambda: self.planner.vendor())
        else:
            self.writer_note = "given by the caller"
        self.writer: Writer = writer
        self.personas: dict[str, Persona] = load_personas(self.settings.prompts_dir)
        self.lexicon: Lexicon = load_vocabulary(self.settings.prompts_dir)

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
    def planner(self) -> Planner:
        return Planner(self.kb)

    @cached_property
    def objections(self) -> ObjectionHandler:
        phrasing = load_objection_phrasing(self.settings.prompts_dir)
        return ObjectionHandler(self.kb, self.planner, self.grounder, phrasing, self.lexicon)

    # -- shared -------------------------------------------------------------------------------
    def _finish(
        self,
        kind: str,
        draft: Draft,
        persona: Persona | None,
        given: str,
        extra: dict[str, Any],
        plan_warnings: list[str],
    ) -> Result:
        check: Verification = verify(
            draft.sections,
            draft.citations.items,
            self.kb.manifest,
            self.settings,
            competitors=self.retriever.competitors(),
            persona=persona,
            lexicon=self.lexicon,
            given_numbers=numbers(given),
        )
        warnings = list(dict.fromkeys(plan_warnings + draft.warnings + check.warnings))
        scores = {**check.scores, **draft.info}
        extra = {**extra, "writer_note": self.writer_note}
        return Result(kind, draft.sections, draft.citations, draft.writer, warnings, scores, extra)

    # -- jobs -----------------------------------------------------------------------------------
    def ask(
        self,
        question: str,
        k: int = 5,
        filters: Filters | None = None,
        on_text: TextSink | None = None,
    ) -> AskResult:
        result = ask(self.retriever, question, k, filters, self.grounder, self.writer, on_text)
        check = verify(
            [Section("Answer", result.answer, customer_facing=False)],
            result.citations.items,
            self.kb.manifest,
            self.settings,
            competitors=self.retriever.competitors(),
            given_numbers=numbers(question),
        )
        result.warnings = list(dict.fromkeys(result.warnings + check.warnings))
        return result

    def plan_pitch(self, request: PitchRequest) -> PitchPlan:
        resolution = self.resolver.resolve(request.persona)
        return self.planner.plan(request, resolution)

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
        given = f"{request.account} {request.company}"
        return self._finish("pitch", draft, plan.persona, given, extra, plan.warnings)

    @cached_property
    def upsells(self) -> UpsellPlanner:
        phrasing = load_upsell_phrasing(self.settings.prompts_dir)
        return UpsellPlanner(self.kb, self.planner, phrasing)

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
        given = f"{account.text()} {t.days_to_renewal or ''}"
        result = self._finish("upsell", draft, None, given, extra, plan.warnings)
        pushy = find_terms(
            plan.phrasing.pushy, "\n".join(s.text for s in result.sections if s.customer_facing)
        )
        if pushy:
            result.warnings.append(f"pushy wording: {', '.join(pushy)}")
        return result

    def objection(self, request: ObjectionRequest, on_text: TextSink | None = None) -> Result:
        resolution = self.resolver.resolve(request.persona) if request.persona else None
        plan = self.objections.plan(request, resolution)
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
            draft,
            plan.resolution.persona if resolution else None,
            request.text,
            extra,
            plan.warnings,
        )
        result.extra["response"] = [s.to_json() for s in result.sections if s.customer_facing]
        return result


def _refs_for(citations: Citations, evidence: Any) -> list[int]:
    return [c.n for c in citations.items if c.chunk_id == evidence.chunk.id]
