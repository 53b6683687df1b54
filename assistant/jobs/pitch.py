"""``pitchcraft pitch``: the plan of a pitch for one persona, deterministic and explainable.

A small, diverse feature set for this persona, account and competitor (``features``), then
the proof, competitive angle, objections, discovery questions, next step and rep notes around
it (``talk``, ``involve``). Every item is an ``Evidence`` (a verbatim sentence and its chunk),
so a writer can cite everything it says.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import numpy as np

from assistant.core.records import Chunk
from assistant.index.kb import KnowledgeBase
from assistant.jobs import talk
from assistant.jobs.features import FeaturePick, FeaturePicker
from assistant.jobs.involve import InvolveNote, involve
from assistant.jobs.talk import ObjectionNote
from assistant.personas.resolver import Resolution
from assistant.personas.schema import Persona
from assistant.retrieval.evidence import Evidence
from assistant.understand.market import is_table_row

# Cosine between "title. persona title. persona description" and a passage for the passage to
# describe this buyer. Set by hand: descriptions of the same role measured 0.45-0.53, the
# persona-like passages of both development corpora (ICP scoring, job posts) 0.12-0.31.
DESCRIBES_BUYER = 0.4
ANGLES = 2  # competitive points in the Versus section


@dataclass
class PitchRequest:
    persona: str
    account: str = ""
    competitor: str | None = None
    company: str = ""
    n_features: int = 3


@dataclass
class PitchPlan:
    task: ClassVar[str] = "pitch"
    cite_every_sentence: ClassVar[bool] = False

    request: PitchRequest
    resolution: Resolution
    competitor: str | None
    features: list[FeaturePick]
    hook: list[Evidence]
    proof: list[Evidence]
    competitive: list[Evidence]
    objections: list[ObjectionNote]
    discovery: list[Evidence]
    next_step: list[Evidence]
    landmines: list[Evidence]
    involve: list[InvolveNote]
    # How to position against the competitor from internal pages, when no customer-safe page
    # compares it (rep-facing only).
    positioning: list[Evidence] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    vendor: str = "our platform"

    @property
    def persona(self) -> Persona:
        return self.resolution.persona

    def all_evidence(self) -> list[Evidence]:
        """Everything the plan may say, in relevance order (what an LLM's sources are from)."""
        out = [e for p in self.features for e in p.facts] + self.hook + self.proof
        out += self.competitive + self.next_step + self.discovery
        out += [e for n in self.objections for e in n.response] + self.landmines
        return out + self.positioning + [e for t in self.involve for e in t.evidence]

    def given(self) -> str:
        return f"{self.request.account} {self.request.company}"

    def prompt_variables(self) -> dict[str, Any]:
        r = self.request
        features = [
            {"name": p.feature.name, "module": p.feature.module, "why": p.why}
            for p in self.features
        ]
        return {
            "persona": self.persona.prompt_variables(self.vendor),
            "company": r.company,
            "account": r.account,
            "competitor": self.competitor,
            "features": features,
        }


class PitchPlanner:
    """Builds ``PitchPlan``s from one knowledge base. Cheap to keep; caches per KB generation."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.features = FeaturePicker(kb)

    def described(self, resolution: Resolution) -> tuple[Chunk, np.ndarray] | None:
        """The knowledge base's passage that describes this buyer (a persona or ICP page),
        with its vector, when one is close enough to the title and the persona."""
        chunks = self.kb.manifest.chunks_with_role("persona")
        if not chunks:
            return None
        persona = resolution.persona
        query = f"{resolution.query}. {persona.title}. {persona.description}"
        wanted = self.kb.embedder.embed([query])[0]
        vectors = self.kb.store.vectors([c.id for c in chunks])
        scored = [(float(vectors[c.id] @ wanted), c) for c in chunks if c.id in vectors]
        if not scored:
            return None
        score, best = max(scored, key=lambda x: (x[0], x[1].id))
        return (best, vectors[best.id]) if score >= DESCRIBES_BUYER else None

    def _about(self, picks: list[FeaturePick]) -> np.ndarray | None:
        """What the pitch is about, as one vector: the mean of its features' vectors."""
        vectors = self.kb.catalog_vectors
        rows = [vectors[p.index] for p in picks if 0 <= p.index < len(vectors)]
        if not rows:
            return None
        mean = np.mean(rows, axis=0)
        norm = float(np.linalg.norm(mean))
        return mean / norm if norm else None

    def plan(self, request: PitchRequest, resolution: Resolution) -> PitchPlan:
        kb = self.kb
        persona = resolution.persona
        warnings: list[str] = []
        competitor = kb.resolve_competitor(request.competitor)
        if request.competitor and not competitor:
            warnings.append(
                f"no battlecard or comparison page for {request.competitor!r}; "
                "the competitive angle is left out"
            )
        n = request.n_features or persona.length.features
        found = self.described(resolution)
        if found:  # the knowledge base's own description of this buyer weighs in
            resolution = replace(
                resolution,
                why=f"{resolution.why}; described in {found[0].source} ({found[0].heading})",
            )
        described = found[1] if found else None
        picks = self.features.pick(persona, request.account, competitor, n, described)
        if len(picks) < n:
            warnings.append(
                f"only {len(picks)} feature(s) in the knowledge base can be pitched "
                f"to a {persona.title} without their avoid-list vocabulary"
            )
        proof = talk.proof(kb, persona, picks, request.account, about=self._about(picks))
        competitive = (
            talk.competitive(kb, persona, competitor, picks, account=request.account)
            if competitor
            else []
        )
        # The opener leads with one cited fact: a customer result, else the competitive
        # angle's first sentence that names a side ("Implementations take 9 months" alone
        # reads as ours), never a table row, and only when the Versus section keeps another
        # (the hook is not repeated).
        stories = [
            e
            for e in proof
            if e.chunk.meta.doc_type == "case_study" and talk.story_fits(e, persona, picks)
        ]
        angles = [
            e
            for e in competitive
            if not is_table_row(e.text)
            and (kb.market.names_vendor(e.text) or kb.market.mentioned(e.text))
        ]
        hook = stories[:1] or (angles[:1] if len(competitive) > 1 else [])
        positioning: list[Evidence] = []
        if competitor and not competitive:
            positioning = talk.competitive(
                kb, persona, competitor, picks, request.account, internal=True
            )[:ANGLES]
            warnings.append(
                f"no customer-safe page gives an angle against {competitor}"
                + ("; the rep notes hold the internal positioning" if positioning else "")
            )
        return PitchPlan(
            request=request,
            resolution=resolution,
            competitor=competitor,
            features=picks,
            hook=hook,
            proof=[e for e in proof if e not in hook][:2],
            competitive=[e for e in competitive if e not in hook][:ANGLES],
            objections=talk.objections(kb, persona, competitor, request.account),
            discovery=talk.discovery(kb, persona, request.account),
            next_step=talk.next_step(kb, picks),
            landmines=talk.landmines(kb, competitor),
            positioning=positioning,
            involve=involve(kb, persona, competitor),
            warnings=warnings,
            vendor=kb.vendor,
        )
