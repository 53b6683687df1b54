"""Pitch coach: scores a rep's own pitch for one persona against the knowledge base.

Four checks, each with a concrete, cited fix:

- persona fit: the share of technical vs business wording against the persona's target (the
  same ``Lexicon`` score that verifies generated pitches) and which of its priorities the pitch
  speaks to;
- jargon: the persona's ``vocabulary.avoid`` words, sentence by sentence;
- claims the knowledge base does not back: every factual sentence is retrieved and judged by
  the ``Grounder``; figures must be stated by a source sentence that says much the same thing,
  and absolutes ("guaranteed", "the only") must be in the source too;
- missing differentiators against the named competitor: the battlecard's weak spots and how we
  win (or a comparison page's "how is X different" / strengths sections) the pitch never uses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from assistant.core.records import Chunk
from assistant.core.results import citation_of
from assistant.core.terms import Lexicon, find_terms
from assistant.core.text import normalize, number_key, numbers, sentences, shorten, strip_label
from assistant.index.filters import Filters
from assistant.jobs.features import FeaturePicker, sayable_facts
from assistant.personas.resolver import PersonaResolver, Resolution
from assistant.personas.schema import Persona
from assistant.retrieval.evidence import Evidence, is_customer_sayable
from assistant.retrieval.grounding import Grounder
from assistant.training.differentiators import Differentiator, find_differentiators
from assistant.training.quiz.grading import SimilarityGrader

ABSOLUTES = re.compile(
    r"\b(guarantee[sd]?|always|never|the only|only one|best|#1|number one|fastest|cheapest|"
    r"unlimited|100%|zero|no other|every single|instantly|world-class|unmatched)\b",
    re.I,
)
CANDIDATES = 6  # source sentences per claim compared by meaning (embedding is the slow part)
CLAIM_SIMILARITY = 0.55  # a claim close to a source sentence in meaning ...
CLAIM_OVERLAP = 0.5  # ... or sharing this much of its weighted vocabulary is backed
FIGURE_SIMILARITY = 0.55  # a figure must come with what the source says about it
RELATED = 0.4  # a rewrite offered for an unbacked claim must be at least this close to it
SAME_SUBJECT = 0.5  # the closest source sentence is about the same thing (a usable rewrite)
MIN_CLAIM_WORDS = 6
FIT_WARNING = 0.65


@dataclass
class Claim:
    sentence: str
    supported: bool
    reason: str = ""
    source: Evidence | None = None  # the backing sentence, or the closest one
    close: bool = False  # the closest sentence is on the same subject (a usable rewrite)
    fix: str = ""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"sentence": self.sentence}
        if self.reason:
            out["reason"] = self.reason
        if self.fix:
            out["fix"] = self.fix
        if self.source is not None:
            key = "citation" if self.supported else "closest"
            out[key] = citation_of(self.source.chunk, self.source.text)
        return out


@dataclass
class Suggestion:
    fix: str
    evidence: list[Evidence]
    about: str  # persona_fit | jargon | claim | differentiator

    def to_json(self) -> dict[str, Any]:
        return {
            "fix": self.fix,
            "about": self.about,
            "citations": [citation_of(e.chunk, e.text) for e in self.evidence],
        }


@dataclass
class CoachReport:
    persona: Resolution
    competitor: str | None
    scores: dict[str, Any]
    jargon: list[dict[str, str]]
    claims: list[Claim]
    differentiators: list[Differentiator]
    suggestions: list[Suggestion]
    priorities: dict[str, list[str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "persona": self.persona.to_json(),
            "competitor": self.competitor,
            "scores": self.scores,
            "priorities": self.priorities,
            "jargon": self.jargon,
            "unsupported_claims": [c.to_json() for c in self.claims if not c.supported],
            "supported_claims": [c.to_json() for c in self.claims if c.supported],
            "missing_differentiators": [d.to_json() for d in self.differentiators if not d.covered],
            "covered_differentiators": [d.to_json() for d in self.differentiators if d.covered],
            "suggestions": [s.to_json() for s in self.suggestions],
            "warnings": self.warnings,
        }


class Coach:
    """Reviews pitches over one knowledge base."""

    def __init__(
        self,
        grounder: Grounder,
        resolver: PersonaResolver,
        lexicon: Lexicon,
        features: FeaturePicker,
    ) -> None:
        self.retriever = grounder.retriever
        self.kb = self.retriever.kb
        self.grounder = grounder
        self.resolver = resolver
        self.lexicon = lexicon
        self.features = features
        self.grader = SimilarityGrader(self.kb.embedder)
        self._names_cache: list[str] = []
        self._names_gen = -1

    # -- names ------------------------------------------------------------------------------------
    def _names(self) -> list[str]:
        if self._names_gen == self.kb.manifest.generation:
            return self._names_cache
        catalog = self.kb.catalog
        names = {f.name for f in catalog} | {f.module for f in catalog}
        names |= set(self.kb.competitor_names())
        vendor = self.kb.vendor
        if vendor and vendor != "our platform":
            names.add(vendor)
        self._names_cache = sorted(n for n in names if n and ":" not in n)
        self._names_gen = self.kb.manifest.generation
        return self._names_cache

    # -- the review -------------------------------------------------------------------------------
    def review(self, text: str, persona: str, competitor: str | None = None) -> CoachReport:
        resolution = self.resolver.resolve(persona)
        p = resolution.persona
        warnings: list[str] = []
        named = self.kb.resolve_competitor(competitor) if competitor else None
        if competitor and not named:
            warnings.append(f"no battlecard or comparison page for {competitor!r}")
        if not competitor:
            mentioned = self.kb.mentioned_competitors(text)
            named = mentioned[0] if mentioned else None
        said = [s.strip() for s in sentences(text) if s.strip()]
        jargon = [{"term": term, "sentence": s} for s in said for term in p.avoided_terms(s)]
        claims = [self._check(s) for s in said if self._is_claim(s)]
        differentiators = (
            find_differentiators(self.kb, named, p, text, self._names(), self.grader)
            if named
            else []
        )
        share = self.lexicon.technical_share(text)
        fit = round(1 - abs(share - p.technical_share), 3)
        themes = {pr.theme: find_terms(pr.keywords, text) for pr in p.priorities if pr.keywords}
        covered_themes = [t for t, hits in themes.items() if hits]
        backed = sum(c.supported for c in claims)
        diff_share = (
            round(sum(d.covered for d in differentiators) / len(differentiators), 3)
            if differentiators
            else None
        )
        scores: dict[str, Any] = {
            "persona_fit": fit,
            "technical_share": round(share, 3),
            "technical_target": p.technical_share,
            "priorities_covered": round(len(covered_themes) / len(themes), 3) if themes else 0.0,
            "jargon": len(jargon),
            "claims": len(claims),
            "supported_claims": backed,
            "claim_support": round(backed / len(claims), 3) if claims else 1.0,
            "differentiators_covered": diff_share,
        }
        parts = [
            fit,
            scores["priorities_covered"],
            scores["claim_support"],
            max(0.0, 1 - len(jargon) / 4),
        ]
        if diff_share is not None:
            parts.append(diff_share)
        scores["overall"] = round(sum(parts) / len(parts), 3)
        report = CoachReport(
            resolution,
            named,
            scores,
            jargon,
            claims,
            differentiators,
            [],
            {"covered": covered_themes, "missing": [t for t in themes if t not in covered_themes]},
            warnings,
        )
        report.suggestions = self._suggestions(report, p, share, text)
        return report

    def _is_claim(self, sentence: str) -> bool:
        """A factual statement about the product, a customer or a competitor: not a question,
        a greeting, the buyer's own situation or a call to action."""
        if sentence.rstrip().endswith("?") or len(sentence.split()) < MIN_CLAIM_WORDS:
            return False
        if not is_customer_sayable(sentence):  # a call to action ("Sign today"), not a claim
            return False
        if numbers(sentence) or find_terms(self._names(), sentence):
            return True
        return bool(re.search(r"\b(we|our|us)\b", sentence, re.I))

    def _check(self, claim: str) -> Claim:
        """Is the claim backed? Judged by the Grounder over retrieved passages, then by meaning
        (the best few sentences only) and figure by figure."""
        hits = self.retriever.search(claim, k=6).hits
        if not hits:
            return Claim(claim, False, "nothing in the knowledge base is about this")
        judgement = self.grounder.judge(claim, hits)
        ranked = _verbatim(self.grounder.supports(claim, hits))
        if not ranked:
            return Claim(claim, False, "nothing in the knowledge base is about this")
        figures = numbers(claim)
        keys = {number_key(f) for f in figures}
        stating = [x for x in ranked if keys and keys <= {number_key(n) for n in numbers(x.text)}]
        same = [x for x in ranked if keys & {number_key(n) for n in numbers(x.text)}]
        pool = list({x.text: x for x in ranked[:CANDIDATES] + stating[:4] + same[:2]}.values())
        vectors = self.kb.embedder.embed([claim] + [x.text for x in pool])
        sims = vectors[1:] @ vectors[0]
        score = {x.text: float(sims[i]) for i, x in enumerate(pool)}
        lexical = {x.text: x.score for x in pool}
        order = sorted(pool, key=lambda x: -(score[x.text] + lexical[x.text]))
        closest = Evidence(order[0].text, order[0].chunk)
        best_sim = max(score.values())
        best_lex = max(lexical[x.text] for x in ranked[:3])
        close = best_sim >= SAME_SUBJECT
        if figures:
            good = [x for x in stating if x.text in score and score[x.text] >= FIGURE_SIMILARITY]
            if not good:
                near = order[0]
                reason = f"the knowledge base does not back {', '.join(figures)} for this"
                return Claim(claim, False, reason, Evidence(near.text, near.chunk), close)
            closest, best_sim = Evidence(good[0].text, good[0].chunk), score[good[0].text]
        if judgement.abstained and judgement.missing_terms:
            reason = f"the knowledge base never mentions {', '.join(judgement.missing_terms)}"
            return Claim(claim, False, reason, closest, close)
        if best_sim < CLAIM_SIMILARITY and best_lex < CLAIM_OVERLAP:
            reason = "no passage in the knowledge base says this"
            return Claim(claim, False, reason, closest, close)
        absolute = [m.group(0) for m in ABSOLUTES.finditer(claim)]
        overclaim = [a for a in absolute if not re.search(re.escape(a), closest.text, re.I)]
        if overclaim:
            reason = f"overclaim: the source does not say {', '.join(repr(a) for a in overclaim)}"
            return Claim(claim, False, reason, closest, True)
        if closest.chunk.internal:
            reason = "backed only by an internal document; not for customer-facing text"
            return Claim(claim, False, reason, closest, False)
        return Claim(claim, True, "", closest, True)

    # -- fixes ------------------------------------------------------------------------------------
    def _safe_fact(
        self, query: str, persona: Persona, min_similarity: float = 0.0
    ) -> Evidence | None:
        """A customer-safe sentence on the same subject this persona can hear (no avoided
        words): a named feature's own facts first (outcomes for business personas), else the
        closest retrieved sentence about the named product."""

        def hearable(text: str) -> bool:
            return (
                is_customer_sayable(text)
                and not persona.avoided_terms(text)
                and len(text.split()) >= 6
            )

        found: Evidence | None = None
        catalog = self.kb.catalog
        named = find_terms([f.name for f in catalog], query)
        for f in catalog:
            if f.name in named and found is None:
                kinds = ("business",) if persona.technical_share < 0.5 else ()
                facts = [
                    e
                    for e in sayable_facts(self.kb, f, persona, kinds)
                    if hearable(e.text) and e.text in e.chunk.text
                ]
                found = facts[0] if facts else None
        if found is None:
            products = tuple(find_terms(sorted({f.module for f in catalog}), query))
            plain = re.sub(r"[$€£]?\d[\d.,]*\s?%?", " ", query)  # the subject, not the figure
            filters = Filters(audience="customer-safe", products=products)
            hits = self.retriever.search(plain, k=8, filters=filters).hits
            found = next(
                (
                    Evidence(x.text, x.chunk)
                    for x in _verbatim(self.grounder.supports(plain, hits))
                    if hearable(x.text)
                ),
                None,
            )
        if found is not None and min_similarity > 0:
            vectors = self.kb.embedder.embed([query, found.text])
            if float(vectors[0] @ vectors[1]) < min_similarity:
                return None
        return found

    def _suggestions(
        self, report: CoachReport, persona: Persona, share: float, text: str
    ) -> list[Suggestion]:
        out: list[Suggestion] = []
        if report.scores["persona_fit"] < FIT_WARNING:
            lean = "business outcomes" if share > persona.technical_share else "technical precision"
            picks = self.features.pick(persona, text, report.competitor, 1)
            facts = picks[0].facts[:1] if picks else []
            if facts:
                out.append(
                    Suggestion(
                        f"A {persona.title} wants {lean} (technical share {share:.2f}, target "
                        f"{persona.technical_share:.2f}). Lead with {picks[0].feature.name} in "
                        f'their terms, e.g. "{strip_label(facts[0].text)}"',
                        facts,
                        "persona_fit",
                    )
                )
        by_sentence: dict[str, list[str]] = {}
        for j in report.jargon:
            by_sentence.setdefault(j["sentence"], []).append(j["term"])
        for sentence, terms in by_sentence.items():
            alt = self._safe_fact(sentence, persona)
            if alt is not None:
                words = ", ".join(f'"{t}"' for t in terms)
                out.append(
                    Suggestion(
                        f"{words} is jargon for a {persona.title}. Instead of "
                        f'"{shorten(sentence)}", say the outcome: "{strip_label(alt.text)}"',
                        [alt],
                        "jargon",
                    )
                )
        for claim in report.claims:
            if claim.supported:
                continue
            alt = claim.source if claim.close else None
            if alt is None or alt.chunk.internal or persona.avoided_terms(alt.text):
                alt = self._safe_fact(claim.sentence, persona, RELATED)
            if alt is None:
                claim.fix = "Remove it: nothing in the knowledge base backs it."
                continue
            claim.fix = f'Rewrite it from the source: "{strip_label(alt.text)}"'
            out.append(
                Suggestion(
                    f'Remove or rewrite "{shorten(claim.sentence)}" ({claim.reason}). What the '
                    f'knowledge base does say: "{strip_label(alt.text)}"',
                    [alt],
                    "claim",
                )
            )
        for d in report.differentiators:
            if not d.covered:
                against = f" against {report.competitor}" if report.competitor else ""
                names = f" ({', '.join(d.features)})" if d.features else ""
                out.append(
                    Suggestion(
                        f'Add the differentiator{against}{names}: "{d.point}"',
                        [d.evidence],
                        "differentiator",
                    )
                )
        return out


@dataclass(frozen=True)
class _Sentence:
    text: str
    chunk: Chunk
    score: float


def _verbatim(supports: list[Any]) -> list[_Sentence]:
    """Ranked support sentences that are verbatim chunk text, without repeats."""
    out: dict[str, _Sentence] = {}
    for s in supports:
        key = normalize(s.sentence)
        if key not in out and s.sentence in s.chunk.text and len(s.sentence.split()) >= 4:
            out[key] = _Sentence(s.sentence, s.chunk, s.score)
    return list(out.values())
