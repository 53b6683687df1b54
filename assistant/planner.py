"""Pitch planning: deterministic and explainable.

Scores every catalog feature against the persona's priorities, the account context and the
competitor's weak spots; picks a small, diverse set; chooses the sentences to say for this
persona; and gathers proof, the competitive angle, objections to pre-empt, discovery questions,
a next step and internal rep notes. Every item is an ``Evidence`` (a verbatim sentence and its
chunk), so the writer can cite everything it says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from .catalog import Feature
from .evidence import Evidence, chunk_sentences, is_customer_sayable, overlap, section_of
from .kb import KnowledgeBase
from .lexical import tokenize
from .personas import Persona, Resolution, find_terms
from .records import Chunk
from .text import normalize

COMPETITIVE_TYPES = ("battlecard", "comparison")
STRONG_SECTIONS = ("weak spots", "how we win", "where we win", "why we win")
CUSTOMER_ANGLE_SECTIONS = ("positioning", "how we win", "weak spots", "where they are weak")
PROOF_KIND_WEIGHT = (1.0, 0.8, 0.6, 0.45, 0.35, 0.25)  # by position in persona.proof
MIN_PERSONA_FIT = 0.25
TICKS_RE = re.compile("[✔✓✅✖✗✘❌]")
MIN_THEME_GAIN = 0.4  # at least two of a priority's keywords


@dataclass
class FeaturePick:
    feature: Feature
    score: float
    why: str
    facts: list[Evidence]
    signals: dict[str, float] = field(default_factory=dict)
    theme: str = ""  # the persona priority this feature serves best, if any


@dataclass
class ObjectionNote:
    objection: str
    response: list[Evidence]


@dataclass
class InvolveNote:
    """A team from the internal directory, why it fits this deal, and how to ask."""

    team: str
    evidence: list[Evidence]


@dataclass
class PitchRequest:
    persona: str
    account: str = ""
    competitor: str | None = None
    company: str = ""
    n_features: int = 3


@dataclass
class PitchPlan:
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
    warnings: list[str] = field(default_factory=list)

    vendor: str = "our platform"

    @property
    def persona(self) -> Persona:
        return self.resolution.persona


class Planner:
    """Builds ``PitchPlan``s from one knowledge base. Cheap to keep; caches per KB generation."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self._gen = -1
        self._feature_vectors: np.ndarray | None = None

    # -- helpers ----------------------------------------------------------------------------------
    def _idf(self, token: str) -> float:
        return self.kb.lexical.idf(token)

    def _features(self) -> list[Feature]:
        features = self.kb.catalog
        if self._gen != self.kb.manifest.generation or self._feature_vectors is None:
            texts = [f"{f.name}. {f.summary}" for f in features]
            self._feature_vectors = self.kb.embedder.embed(texts) if texts else None
            self._gen = self.kb.manifest.generation
        return features

    def vendor(self) -> str:
        """The selling company's name: the setting, else "X" from "X vs Y" comparison titles."""
        if self.kb.settings.vendor:
            return self.kb.settings.vendor
        names: dict[str, int] = {}
        for d in self.kb.manifest.documents():
            m = re.search(r"(?:^|:\s*)([A-Z][\w.-]*(?: [A-Z][\w.-]*)?) vs\.? ", d.meta.title)
            if d.meta.competitor and m:
                names[m.group(1)] = names.get(m.group(1), 0) + 1
        return max(sorted(names), key=names.get) if names else "our platform"

    def competitor_names(self) -> list[str]:
        """Every competitor the knowledge base has a battlecard or comparison page for."""
        return sorted(
            {d.meta.competitor for d in self.kb.manifest.documents() if d.meta.competitor}
        )

    def resolve_competitor(self, name: str | None) -> str | None:
        """The KB's spelling of ``name`` if any document is about it, else None."""
        if not name:
            return None
        want = re.sub(r"[^a-z0-9]", "", name.lower())
        for d in self.kb.manifest.documents():
            if d.meta.competitor and re.sub(r"[^a-z0-9]", "", d.meta.competitor.lower()) == want:
                return d.meta.competitor
        return None

    def competitor_chunks(self, competitor: str) -> list[Chunk]:
        return [
            c
            for c in self.kb.manifest.chunks_of_type(*COMPETITIVE_TYPES)
            if c.meta.competitor.lower() == competitor.lower()
        ]

    # -- features ---------------------------------------------------------------------------------
    def _persona_fit(self, persona: Persona, feature: Feature) -> tuple[float, str]:
        text = feature.text()
        total = sum(p.weight for p in persona.priorities) or 1.0
        score, best, best_gain = 0.0, "", 0.0
        for p in persona.priorities:
            hits = len(find_terms(p.keywords, text))
            gain = p.weight * min(hits, 4) / 4
            score += gain
            if gain > best_gain:
                best, best_gain = p.theme, gain
        score /= total
        if best_gain < MIN_THEME_GAIN:
            best = ""  # no priority is clearly served: the why must not claim one
        if persona.id in feature.personas:
            score += 0.15
        return min(score, 1.0), best

    def sayable_facts(
        self, feature: Feature, persona: Persona | None = None, kinds: tuple[str, ...] = ()
    ) -> list[Evidence]:
        """Customer-safe facts of a feature (of ``kinds`` if given) that the persona can hear:
        none of the words on its avoid list."""
        chunks = {c.id: c for c in self.kb.manifest.chunks(feature.chunk_ids)}
        out = []
        for fact in feature.facts:
            chunk = chunks.get(fact.chunk_id)
            if chunk is None or chunk.internal or (kinds and fact.kind not in kinds):
                continue
            if persona is not None and persona.avoided_terms(fact.text):
                continue
            out.append(Evidence(fact.text, chunk))
        return out

    def _choose_facts(
        self, persona: Persona, feature: Feature, facts: list[Evidence], account_tokens: set[str]
    ) -> list[Evidence]:
        order = {
            "technical": ("technical", "summary", "business"),
            "business": ("business", "summary", "technical"),
            "balanced": ("summary", "business", "technical"),
        }[persona.sentence_style]
        kinds = {f.text: f.kind for f in feature.facts}
        keywords = [k for p in persona.priorities for k in p.keywords]

        def rank(e: Evidence) -> tuple[float, int]:
            kind_rank = order.index(kinds.get(e.text, "summary"))
            relevance = len(find_terms(keywords, e.text)) * 0.2
            relevance += sum(1 for t in tokenize(e.text) if t in account_tokens) * 0.15
            if persona.sentence_style == "technical" and re.search(r"\d", e.text):
                relevance += 0.2  # benchmarks and figures land with technical buyers
            return (kind_rank - min(relevance, 0.9), facts.index(e))

        n = persona.length.sentences_per_feature
        ranked = sorted(facts, key=rank)
        # Keep the document's own order within the pick so the block reads naturally.
        return sorted(ranked[:n], key=lambda e: facts.index(e))

    def _competitor_edge(self, feature: Feature, chunks: list[Chunk]) -> tuple[float, str]:
        name = normalize(feature.name)
        best, where = 0.0, ""
        for c in chunks:
            if name not in normalize(c.text):
                continue
            section = section_of(c)
            gain = 1.0 if section.lower() in STRONG_SECTIONS else 0.5
            if gain > best:
                best, where = gain, section
        return best, where

    def pick_features(
        self, persona: Persona, account: str, competitor: str | None, n: int
    ) -> list[FeaturePick]:
        features = self._features()
        if not features:
            return []
        account_vec = self.kb.embedder.embed([account])[0] if account.strip() else None
        account_tokens = set(tokenize(account))
        comp_chunks = self.competitor_chunks(competitor) if competitor else []
        candidates: list[FeaturePick] = []
        for i, f in enumerate(features):
            facts = self.sayable_facts(f, persona)
            if len(facts) < 2:
                continue  # not enough this persona can hear without jargon
            fit, theme = self._persona_fit(persona, f)
            context = 0.0
            if account_vec is not None and self._feature_vectors is not None:
                cos = float(self._feature_vectors[i] @ account_vec)
                dense = max(0.0, min(1.0, (cos - 0.1) / 0.5))
                lexical = overlap(account, set(tokenize(f.text())), self._idf)
                context = 0.6 * dense + 0.4 * lexical
            edge, where = self._competitor_edge(f, comp_chunks) if comp_chunks else (0.0, "")
            weights = (0.45, 0.4 if account_vec is not None else 0.0, 0.15 if comp_chunks else 0.0)
            score = (weights[0] * fit + weights[1] * context + weights[2] * edge) / sum(weights)
            why = self._why(
                persona, f, theme, fit, account, account_tokens, context, competitor, edge, where
            )
            chosen = self._choose_facts(persona, f, facts, account_tokens)
            candidates.append(
                FeaturePick(
                    f,
                    round(score, 4),
                    why,
                    chosen,
                    {"persona": round(fit, 3), "account": round(context, 3), "competitor": edge},
                    theme,
                )
            )
        # Persona first: features that serve none of this persona's priorities are used only
        # when too few others exist.
        fitting = [c for c in candidates if c.signals["persona"] >= MIN_PERSONA_FIT]
        if len(fitting) >= n:
            candidates = fitting
        picked: list[FeaturePick] = []
        while candidates and len(picked) < n:
            modules = [p.feature.module for p in picked]

            def adjusted(c: FeaturePick, modules: list[str] = modules) -> tuple[float, str]:
                return (-c.score * 0.75 ** modules.count(c.feature.module), c.feature.key)

            best = min(candidates, key=adjusted)
            picked.append(best)
            candidates.remove(best)
        return picked

    def _why(
        self,
        persona: Persona,
        f: Feature,
        theme: str,
        fit: float,
        account: str,
        account_tokens: set[str],
        context: float,
        competitor: str | None,
        edge: float,
        where: str,
    ) -> str:
        reasons = []
        if theme:
            reasons.append(f"speaks to the {persona.title}'s priority on {theme}")
        if account.strip() and context > 0.2:
            informative = {t for t in tokenize(f.text()) if t in account_tokens and len(t) > 3}
            shared = sorted(informative, key=lambda t: -self._idf(t))[:2]
            raw = [
                w
                for w in re.findall(r"[\w-]{4,}", account)
                if tokenize(w) and tokenize(w)[0] in shared
            ]
            label = ", ".join(dict.fromkeys(w.lower() for w in raw)) or "the account context"
            reasons.append(f"fits the account context ({label})")
        if competitor and edge:
            label = f"named under {where!r} in the {competitor} battlecard or comparison page"
            reasons.append(label)
        if not reasons:
            reasons.append(f"one of the strongest remaining fits for a {persona.title}")
        module = f"{f.name} ({f.module})" if normalize(f.module) != normalize(f.name) else f.name
        return f"{module}: " + "; ".join(reasons) + "."

    # -- proof, competition, discovery ---------------------------------------------------------
    def proof(
        self, persona: Persona, picks: list[FeaturePick], account: str, k: int = 2
    ) -> list[Evidence]:
        """Metrics and quotes from case studies (and certifications for those who trust them)."""
        pool = self.kb.manifest.chunks_of_type("case_study", "security")
        names = [p.feature.name for p in picks] + [p.feature.module for p in picks]
        keywords = [kw for p in persona.priorities for kw in p.keywords]
        rivals = self.competitor_names()
        account_tokens = set(tokenize(account))
        kinds = list(persona.proof)

        def weight(kind: str) -> float:
            return PROOF_KIND_WEIGHT[kinds.index(kind)] if kind in kinds else 0.1

        scored: list[tuple[float, Evidence]] = []
        for e in chunk_sentences([c for c in pool if not c.internal], is_customer_sayable):
            section = section_of(e.chunk).lower()
            if e.chunk.meta.doc_type == "security":
                claims = re.search(r"\b(holds?|maintains?|certified|attest\w*|achieved)\b", e.text)
                standard = re.search(r"\b(SOC ?2|ISO|HIPAA|PCI|FedRAMP)", e.text)
                if not (claims and standard) or re.search(r"\b(not|no|never)\b", e.text):
                    continue
                kind = "certification"
            elif "word" in section or "quote" in section or e.text.startswith(('"', "“")):
                kind = "customer_quote"
            elif re.search(r"\d", e.text) and "result" in section:
                kind = "roi" if re.search(r"[$%]|cost|sav|revenue", e.text, re.I) else "case_study"
            else:
                continue
            if persona.avoided_terms(e.text) or find_terms(rivals, e.text):
                continue  # competitor claims come only from battlecards and comparison pages
            relevance = 0.4 * len(find_terms(names, e.chunk.text + " " + e.chunk.meta.title))
            relevance += 0.1 * sum(1 for t in tokenize(e.chunk.text) if t in account_tokens)
            relevance += 0.3 * (persona.id in e.chunk.meta.personas)
            relevance += 0.15 * len(find_terms(keywords, e.text))
            scored.append((weight(kind) + min(relevance, 1.2), e))
        scored.sort(key=lambda x: (-x[0], x[1].source, x[1].text))
        ranked = [e for _, e in scored]
        # A story written for this persona, or about the picked features, beats another
        # customer's story about something else (a CMO hears no audit metrics).
        fits = [
            e
            for e in ranked
            if persona.id in e.chunk.meta.personas
            or find_terms([p.feature.name for p in picks], e.text)
        ]
        out: list[Evidence] = []
        for candidates, distinct in ((fits, True), (fits, False), (ranked, True)):
            for e in candidates:
                if len(out) == k:
                    return out
                if e not in out and not (distinct and any(o.source == e.source for o in out)):
                    out.append(e)  # one proof point per document while fitting ones remain
        return out

    def competitive(
        self, persona: Persona, competitor: str, picks: list[FeaturePick], k: int = 2
    ) -> list[Evidence]:
        """Customer-safe, factual sentences from that competitor's battlecard or comparison."""
        chunks = [c for c in self.competitor_chunks(competitor) if not c.internal]
        names = [p.feature.name for p in picks]
        keywords = [kw for p in persona.priorities for kw in p.keywords]
        scored = []
        for e in chunk_sentences(chunks, is_customer_sayable):
            if persona.avoided_terms(e.text) or TICKS_RE.search(e.text):
                continue  # tick-and-cross table rows do not read as prose
            section = section_of(e.chunk).lower()
            if e.chunk.meta.doc_type == "battlecard" and section not in CUSTOMER_ANGLE_SECTIONS:
                continue
            score = 1.0 if section in STRONG_SECTIONS else 0.5
            score += 0.5 * len(find_terms(names, e.text)) + 0.15 * len(find_terms(keywords, e.text))
            score += 0.3 * bool(find_terms([competitor], e.text))
            scored.append((score, e))
        scored.sort(key=lambda x: (-x[0], x[1].chunk.ordinal, x[1].text))
        return [e for _, e in scored[:k]]

    def objections(
        self, persona: Persona, competitor: str | None, account: str, k: int = 2
    ) -> list[ObjectionNote]:
        """Objection/response pairs to pre-empt (battlecard first, then general ones)."""
        chunks = self.competitor_chunks(competitor) if competitor else []
        if not chunks:
            chunks = [
                c
                for c in self.kb.manifest.chunks_of_type("internal")
                if "objection" in c.heading.lower()
            ]
        keywords = [kw for p in persona.priorities for kw in p.keywords]
        keywords += re.findall(r"[A-Za-z][\w-]{3,}", account)
        notes: dict[str, tuple[float, ObjectionNote]] = {}
        for c in chunks:
            parts = c.heading.split(" > ")
            if len(parts) < 2 or "objection" not in parts[-2].lower():
                continue
            objection = parts[-1].strip().strip('"“”')
            response = chunk_sentences([c], is_customer_sayable, min_words=5)[:2]
            if not response or objection in notes:
                continue
            score = len(find_terms(keywords, objection + " " + c.text))
            notes[objection] = (score, ObjectionNote(objection, response))
        ranked = sorted(notes.values(), key=lambda x: (-x[0], x[1].objection))
        return [n for _, n in ranked[:k]]

    def discovery(self, persona: Persona, account: str, k: int = 4) -> list[Evidence]:
        """Questions for this persona from a discovery guide (internal: rep-facing only)."""
        chunks = [
            c
            for c in self.kb.manifest.chunks_of_type("internal", "general", "product")
            if "discovery" in f"{c.meta.title} {c.source}".lower()
        ]
        focus = [f for f in persona.discovery_focus if f]
        mine = [c for c in chunks if find_terms(focus, c.heading)]
        questions = chunk_sentences(
            mine or chunks, lambda s: s.rstrip().rstrip("\"'”’").endswith("?"), min_words=4
        )
        account_tokens = set(tokenize(account))
        questions.sort(key=lambda e: -sum(1 for t in tokenize(e.text) if t in account_tokens))
        return questions[:k]

    def next_step(self) -> list[Evidence]:
        """A customer-safe fact that makes the next step concrete (a trial, proof of value)."""
        pool = [c for c in self.kb.manifest.chunks_of_type("pricing", "product") if not c.internal]
        offers = ("proof of value", "proof of concept", "pilot", "free trial", "trial", "free tier")
        pattern = re.compile(rf"\b({'|'.join(offers)})\b", re.I)
        found = chunk_sentences(pool, lambda s: bool(pattern.search(s)) and is_customer_sayable(s))

        def rank(e: Evidence) -> tuple[int, bool, int]:
            offer = pattern.search(e.text)
            kind = offers.index(offer.group(1).lower()) if offer else len(offers)
            return (kind, e.chunk.meta.doc_type != "pricing", len(e.text))

        return sorted(found, key=rank)[:1]

    def landmines(self, competitor: str | None, k: int = 3) -> list[Evidence]:
        if not competitor:
            return []
        chunks = [c for c in self.competitor_chunks(competitor) if "landmine" in c.heading.lower()]
        return chunk_sentences(chunks, min_words=5)[:k]

    def involve(self, persona: Persona, competitor: str | None, k: int = 3) -> list[InvolveNote]:
        """Teams from the internal "who to involve" directory that this deal calls for."""
        chunks = [
            c
            for c in self.kb.manifest.chunks_of_type("internal")
            if re.search(r"who to involve|directory", f"{c.meta.title} {c.source}", re.I)
        ]
        teams: dict[str, list[Chunk]] = {}
        for c in chunks:
            parts = c.heading.split(" > ")
            if len(parts) >= 2:
                teams.setdefault(parts[1], []).append(c)
        triggers = [persona.title, *persona.discovery_focus] + ([competitor] if competitor else [])
        scored = []
        for team, team_chunks in teams.items():
            lines = chunk_sentences(team_chunks, min_words=4)
            when = [e for e in lines if not e.text.lower().startswith(("lead", "how to"))]
            how = [e for e in lines if e.text.lower().startswith("how to request")]
            named = bool(find_terms(persona.involve, team))
            triggered = [e for e in when if find_terms(triggers, e.text)]
            score = 2 * named + len(triggered)
            if score and (triggered or when):
                reason = (triggered or when)[0]
                scored.append((score, team, [reason, *how[:1]]))
        scored.sort(key=lambda x: (-x[0], x[1]))
        return [InvolveNote(team, ev) for _, team, ev in scored[:k]]

    # -- the plan ---------------------------------------------------------------------------------
    def plan(self, request: PitchRequest, resolution: Resolution) -> PitchPlan:
        persona = resolution.persona
        warnings: list[str] = []
        competitor = self.resolve_competitor(request.competitor)
        if request.competitor and not competitor:
            warnings.append(
                f"no battlecard or comparison page for {request.competitor!r}; "
                "the competitive angle is left out"
            )
        picks = self.pick_features(
            persona, request.account, competitor, request.n_features or persona.length.features
        )
        if len(picks) < (request.n_features or persona.length.features):
            warnings.append(
                f"only {len(picks)} feature(s) in the knowledge base can be pitched "
                f"to a {persona.title} without their avoid-list vocabulary"
            )
        proof = self.proof(persona, picks, request.account)
        competitive = self.competitive(persona, competitor, picks) if competitor else []
        # The opener leads with one cited fact: a customer result, else the competitive
        # angle's first point (it then is not repeated).
        stories = [e for e in proof if e.chunk.meta.doc_type == "case_study"]
        hook = stories[:1] or competitive[:1]
        return PitchPlan(
            request=request,
            resolution=resolution,
            competitor=competitor,
            features=picks,
            hook=hook,
            proof=[e for e in proof if e not in hook][:2],
            competitive=[e for e in competitive if e not in hook],
            objections=self.objections(persona, competitor, request.account),
            discovery=self.discovery(persona, request.account),
            next_step=self.next_step(),
            landmines=self.landmines(competitor),
            involve=self.involve(persona, competitor),
            warnings=warnings,
            vendor=self.vendor(),
        )
