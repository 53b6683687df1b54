"""What a pitch says around its features: proof, the competitive angle, objections to pre-empt,
discovery questions, a concrete next step and battlecard landmines. Each is a list of
``Evidence`` (verbatim sentences), chosen by the rules below.

Weights were set by hand on the sample knowledge base and checked by reading pitches; they
are not fitted to a labelled set.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from assistant.core.records import Chunk
from assistant.core.terms import find_terms
from assistant.core.text import has_placeholder, normalize
from assistant.index.kb import KnowledgeBase
from assistant.index.lexical import tokenize
from assistant.jobs.features import FeaturePick
from assistant.personas.schema import Persona
from assistant.retrieval.evidence import Evidence, chunk_sentences, is_customer_sayable, section_of
from assistant.understand.market import is_table_row

# -- proof ------------------------------------------------------------------------------------
PROOF_KIND_WEIGHT = (1.0, 0.8, 0.6, 0.45, 0.35, 0.25)  # by position in persona.proof
PROOF_OTHER_KIND = 0.1  # a kind of proof the persona does not list
PROOF_NAMES_FEATURE = 0.4  # per picked feature or module named in the story's chunk
PROOF_ACCOUNT_WORD = 0.1  # per account word in the story's chunk
PROOF_FOR_PERSONA = 0.3  # the story's front-matter names this persona
PROOF_KEYWORD = 0.15  # per persona priority keyword in the sentence
PROOF_MEANING = 0.5  # per unit of cosine between the story and the pitch's features
PROOF_RELEVANCE_CAP = 1.2
# A result in a story without a "Results" heading: a share, a multiple or an amount.
RESULT_RE = re.compile(r"\d(?:[.,]\d+)?\s?(?:%|x\b|percent|times\b)|[$€£]\s?\d", re.I)
# -- competitive angle ------------------------------------------------------------------------
ANGLE_WINNING, ANGLE_OTHER = 1.0, 0.5  # a sentence from a winning section, or another one
ANGLE_NAMES_FEATURE = 0.5  # per picked feature named
ANGLE_KEYWORD = 0.15  # per persona priority keyword
ANGLE_NAMES_RIVAL = 0.3  # the sentence names the competitor
ANGLE_ACCOUNT_WORD, ANGLE_ACCOUNT_CAP = 0.15, 0.6  # per word of the account it shares
MIN_ACCOUNT_TOKEN = 3  # shorter stems ("use", "day") say nothing about the account
TICKS_RE = re.compile("[✔✓✅✖✗✘❌]")
WE_RE = re.compile(r"\b(?:we|our|us)\b", re.I)
# -- next step --------------------------------------------------------------------------------
NOT_OFFERS = ("process", "legal", "company", "open_question")  # passages that offer no step
OFFER_RE = re.compile(r"\b(?:you|your|we|our|us)\b", re.I)


@dataclass
class ObjectionNote:
    objection: str
    response: list[Evidence]


def proof(
    kb: KnowledgeBase,
    persona: Persona,
    picks: list[FeaturePick],
    account: str,
    k: int = 2,
    about: np.ndarray | None = None,
) -> list[Evidence]:
    """Metrics and quotes from case studies (and certifications for those who trust them),
    best first: of the kinds the persona trusts, about the picked features (by name, and in
    meaning when ``about``, the pitch's vector, is given), the account's words."""
    conv = kb.conventions
    pool = kb.manifest.chunks_of_type("case_study", "security")
    pool += [c for c in kb.manifest.chunks_with_role("proof") if c not in pool]
    pool = [c for c in pool if not c.internal]
    near: dict[str, float] = {}
    if about is not None:
        stored = kb.store.vectors([c.id for c in pool])
        near = {cid: float(v @ about) for cid, v in stored.items()}
    names = [p.feature.name for p in picks] + [p.feature.module for p in picks]
    keywords = [kw for p in persona.priorities for kw in p.keywords]
    rivals = kb.competitor_names()
    account_tokens = set(tokenize(account))
    kinds = list(persona.proof)

    def weight(kind: str) -> float:
        return PROOF_KIND_WEIGHT[kinds.index(kind)] if kind in kinds else PROOF_OTHER_KIND

    scored: list[tuple[float, Evidence]] = []
    for e in chunk_sentences(pool, is_customer_sayable):
        section = section_of(e.chunk)
        if e.chunk.meta.doc_type == "security":
            claims = conv.matches("certification_claim", e.text)
            standard = conv.matches("certification_standard", e.text)
            if not (claims and standard) or conv.matches("negation", e.text):
                continue
            kind = "certification"
        elif conv.heading_has("quotes", section) or e.text.startswith(('"', "“")):
            kind = "customer_quote"
        elif (re.search(r"\d", e.text) and conv.heading_has("results", section)) or (
            e.chunk.role == "proof" and RESULT_RE.search(e.text) and not _vendor_first(kb, e.text)
        ):
            kind = "roi" if conv.matches("money_result", e.text) else "case_study"
        else:
            continue
        if persona.avoided_terms(e.text) or find_terms(rivals, e.text):
            continue  # competitor claims come only from battlecards and comparison pages
        relevance = PROOF_NAMES_FEATURE * len(
            find_terms(names, e.chunk.text + " " + e.chunk.meta.title)
        )
        relevance += PROOF_ACCOUNT_WORD * sum(
            1 for t in tokenize(e.chunk.text) if t in account_tokens
        )
        relevance += PROOF_FOR_PERSONA * (persona.id in e.chunk.meta.personas)
        relevance += PROOF_KEYWORD * len(find_terms(keywords, e.text))
        relevance += PROOF_MEANING * near.get(e.chunk.id, 0.0)
        scored.append((weight(kind) + min(relevance, PROOF_RELEVANCE_CAP), e))
    scored.sort(key=lambda x: (-x[0], x[1].source, x[1].text))
    ranked = [e for _, e in scored]
    # A story written for this persona, or about the picked features, beats another
    # customer's story about something else (a CMO hears no audit metrics).
    fits = [e for e in ranked if story_fits(e, persona, picks)]
    out: list[Evidence] = []
    for candidates, distinct in ((fits, True), (fits, False), (ranked, True)):
        for e in candidates:
            if len(out) == k:
                return out
            if e not in out and not (distinct and any(o.source == e.source for o in out)):
                out.append(e)  # one proof point per document while fitting ones remain
    return out


def story_fits(e: Evidence, persona: Persona, picks: list[FeaturePick]) -> bool:
    """A customer story written for this persona, or naming a feature the pitch picked."""
    named = find_terms([p.feature.name for p in picks], e.text)
    return persona.id in e.chunk.meta.personas or bool(named)


def _vendor_first(kb: KnowledgeBase, sentence: str) -> bool:
    """A sentence about the vendor itself ("Acme is 100% open source"), not a customer's
    result."""
    first = re.sub(r"^\W+", "", sentence).split(" ", 1)[0]
    return kb.market.names_vendor(first)


def competitive(
    kb: KnowledgeBase,
    persona: Persona,
    competitor: str,
    picks: list[FeaturePick],
    account: str = "",
    internal: bool = False,
) -> list[Evidence]:
    """Customer-safe, factual sentences from that competitor's battlecard or comparison that
    give the vendor the edge: a battlecard's customer-facing sections; elsewhere a sentence
    that speaks for the vendor ("Unlike them, we…"), never one from a section about the rival
    ("Strengths of Them", "How much does Them cost?"). The account's words raise a sentence:
    the angle that meets the buyer's own complaint comes first. Best first, all of them.
    ``internal``: the same from internal pages instead (the rep's positioning notes)."""
    sections = kb.conventions.sections
    account_tokens = {t for t in tokenize(account) if len(t) > MIN_ACCOUNT_TOKEN}
    market = kb.market
    chunks = [c for c in kb.competitor_chunks(competitor) if c.internal == internal]
    names = [p.feature.name for p in picks]
    keywords = [kw for p in persona.priorities for kw in p.keywords]
    scored = []
    for e in chunk_sentences(chunks, is_customer_sayable):
        if persona.avoided_terms(e.text):
            continue
        if not market.may_claim(e.text, [e.source]):
            continue  # it names a third competitor this page does not compare
        row = is_table_row(e.text)
        if row and not market.row_edge(e.text, competitor):
            continue  # a table row is an angle only where we have what they lack
        if not row and TICKS_RE.search(e.text):
            continue  # ticks and crosses outside a row the rep can say do not read as prose
        section = section_of(e.chunk).lower()
        if e.chunk.meta.doc_type == "battlecard" and not internal:
            if section not in sections["customer_angle"]:
                continue
        elif not row and not _speaks_for_vendor(kb, e):
            continue
        score = ANGLE_WINNING if section in sections["competitive_wins"] else ANGLE_OTHER
        score += ANGLE_NAMES_FEATURE * len(find_terms(names, e.text))
        score += ANGLE_KEYWORD * len(find_terms(keywords, e.text))
        # A row names the rival as a column; a sentence that names it takes it on.
        score += ANGLE_NAMES_RIVAL * (not row and bool(find_terms([competitor], e.text)))
        shared = len(account_tokens & set(tokenize(e.text)))
        score += min(ANGLE_ACCOUNT_CAP, ANGLE_ACCOUNT_WORD * shared)
        said = market.row_said(e.text, competitor) if row else ""
        scored.append((score, replace(e, said=said) if said else e))
    scored.sort(key=lambda x: (-x[0], x[1].chunk.ordinal, x[1].text))
    return [e for _, e in scored]


def _speaks_for_vendor(kb: KnowledgeBase, e: Evidence) -> bool:
    """A sentence of a comparison page that gives the vendor an edge: it names the vendor or
    speaks as "we", says what sets it apart (not that both do the same), outside a section
    about a rival alone unless it names the vendor ("Them > … Us includes, unlike Them")."""
    market, conv = kb.market, kb.conventions
    rival_section = any(  # "Them > Pricing", "Us vs Them > Where Them is strong"
        market.mentioned(part) and not market.names_vendor(part)
        for part in e.chunk.heading.split(" > ")[-2:]
    )
    ours = market.names_vendor(e.text) or bool(WE_RE.search(e.text))
    # "Where Us is different", "How we win": a section that says what sets the vendor apart
    ours_section = not rival_section and conv.matches(
        "differentiator_section", e.chunk.heading.split(" > ")[-1]
    )
    edge = (conv.matches("advantage", e.text) or ours_section) and not conv.matches(
        "parity", e.text
    )
    outside = not rival_section or market.names_vendor(e.text)
    return (
        ours
        and bool(edge)
        and outside
        and not market.about_rival(e.text)
        and not market.concedes(e.text)
    )


def objections(
    kb: KnowledgeBase, persona: Persona, competitor: str | None, account: str, k: int = 2
) -> list[ObjectionNote]:
    """Objection/response pairs to pre-empt (battlecard first, then general ones)."""
    conv = kb.conventions
    chunks = kb.competitor_chunks(competitor) if competitor else []
    if not chunks:
        chunks = [
            c
            for c in kb.manifest.chunks_of_type("internal")
            if conv.heading_has("objections", c.heading)
        ]
    keywords = [kw for p in persona.priorities for kw in p.keywords]
    keywords += re.findall(r"[A-Za-z][\w-]{3,}", account)
    notes: dict[str, tuple[float, ObjectionNote]] = {}
    for c in chunks:
        parts = c.heading.split(" > ")
        if len(parts) < 2 or not conv.heading_has("objections", parts[-2]):
            continue
        objection = parts[-1].strip().strip('"“”')
        response = chunk_sentences([c], is_customer_sayable, min_words=5)[:2]
        if not response or objection in notes:
            continue
        score = len(find_terms(keywords, objection + " " + c.text))
        notes[objection] = (score, ObjectionNote(objection, response))
    ranked = sorted(notes.values(), key=lambda x: (-x[0], x[1].objection))
    return [n for _, n in ranked[:k]]


def discovery(kb: KnowledgeBase, persona: Persona, account: str, k: int = 4) -> list[Evidence]:
    """Questions for this persona from a discovery guide (internal: rep-facing only)."""
    chunks = [
        c
        for c in kb.manifest.chunks_of_type("internal", "general", "product")
        if kb.conventions.matches("discovery_guide", f"{c.meta.title} {c.source}")
    ]
    focus = [f for f in persona.discovery_focus if f]
    mine = [c for c in chunks if find_terms(focus, c.heading)]
    questions = chunk_sentences(
        mine or chunks,
        lambda s: s.rstrip().rstrip("\"'”’").endswith("?") and not has_placeholder(s),
        min_words=4,
    )
    account_tokens = set(tokenize(account))
    questions.sort(key=lambda e: -sum(1 for t in tokenize(e.text) if t in account_tokens))
    return questions[:k]


def next_step(kb: KnowledgeBase, picks: Sequence[FeaturePick] = ()) -> list[Evidence]:
    """A customer-safe fact that makes the next step concrete (a trial, proof of value): from
    a page about the whole offer, or about a feature the pitch picked; never the free tier of a
    feature it does not mention."""
    pool = kb.manifest.chunks_of_type("pricing", "product")
    pool += [c for c in kb.manifest.chunks_with_role("pricing") if c not in pool]
    pool = [c for c in pool if not c.internal and not c.has_role(*NOT_OFFERS)]
    picked = {i for p in picks for i in p.feature.chunk_ids}
    elsewhere = {i for f in kb.catalog for i in f.chunk_ids} - picked
    pool = [c for c in pool if c.id not in elsewhere]
    offers = kb.conventions.next_step_offers
    pattern = re.compile(rf"\b({'|'.join(map(re.escape, offers))})\b", re.I)
    compared = kb.market.compared_sources
    pool = [c for c in pool if c.source not in compared]  # their trial is not our next step

    def priced(c: Chunk) -> bool:
        return c.meta.doc_type == "pricing" or c.role == "pricing"

    def offered(c: Chunk, s: str) -> bool:
        """An offer of ours: on a pricing page, or said to the buyer or by the vendor."""
        ours = priced(c) or bool(OFFER_RE.search(s)) or kb.market.names_vendor(s)
        return ours and not kb.market.mentioned(s)

    told = {normalize(e.text) for p in picks for e in p.facts}  # said once, in its feature
    found = [
        e
        for e in chunk_sentences(pool, lambda s: bool(pattern.search(s)) and is_customer_sayable(s))
        if offered(e.chunk, e.text) and normalize(e.text) not in told
    ]

    def rank(e: Evidence) -> tuple[int, bool, int]:
        offer = pattern.search(e.text)
        kind = offers.index(offer.group(1).lower()) if offer else len(offers)
        return (kind, not priced(e.chunk), len(e.text))

    return sorted(found, key=rank)[:1]


def landmines(kb: KnowledgeBase, competitor: str | None, k: int = 3) -> list[Evidence]:
    """Questions that expose the competitor's weak spots (battlecard, internal)."""
    if not competitor:
        return []
    chunks = [
        c
        for c in kb.competitor_chunks(competitor)
        if kb.conventions.heading_has("landmines", c.heading)
    ]
    return chunk_sentences(chunks, min_words=5)[:k]
