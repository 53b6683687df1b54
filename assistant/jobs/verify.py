"""Verification of every draft, whoever wrote it: citations, numbers, competitor claims,
internal sources, persona fit and staleness. Failures become warnings, never silence."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from assistant.core.config import Settings
from assistant.core.results import CITE_RE, Citation, Section, split_claims, strip_refs
from assistant.core.terms import Lexicon
from assistant.core.text import missing_numbers, normalize, shorten
from assistant.index.lexical import tokenize
from assistant.index.manifest import Manifest
from assistant.index.status import is_stale
from assistant.personas.schema import Persona
from assistant.understand.market import Market

MIN_SUPPORT = 0.5  # share of a sentence's content words found in what it cites


@dataclass
class Verification:
    warnings: list[str] = field(default_factory=list)
    scores: dict[str, float | int | list[str]] = field(default_factory=dict)


def verify(
    sections: Sequence[Section],
    citations: Sequence[Citation],
    manifest: Manifest,
    settings: Settings,
    market: Market | None = None,
    persona: Persona | None = None,
    lexicon: Lexicon | None = None,
    given_numbers: Sequence[str] = (),
) -> Verification:
    """Check a draft against the chunks it cites.

    ``given_numbers`` come from the user's own input (the account context) and need no source.
    """
    given = " ".join(given_numbers)
    by_n = {c.n: c for c in citations}
    chunks = {c.id: c for c in manifest.chunks([c.chunk_id for c in citations])}
    v = Verification()
    facing = [s for s in sections if s.customer_facing]
    total = cited = 0
    bad_numbers: list[str] = []
    for section in sections:
        for sent in split_claims(section.text):
            refs = [int(n) for n in CITE_RE.findall(sent)]
            known = [by_n[n] for n in refs if n in by_n]
            for n in refs:
                if n not in by_n:
                    v.warnings.append(f"{section.title}: citation [{n}] points to no source")
            if section.customer_facing:
                total += 1
                cited += bool(known)
            cited_text = " ".join(
                chunks[c.chunk_id].text if c.chunk_id in chunks else c.quote for c in known
            )
            claim = strip_refs(sent)
            # Every number must occur in a cited source.
            for num in missing_numbers(claim, cited_text, given):
                bad_numbers.append(num)
                where = "no source cited" if not known else "not in its cited sources"
                v.warnings.append(
                    f"{section.title}: the number {num!r} is {where}: {shorten(claim)}"
                )
            if known and not _supported(claim, cited_text, [c.quote for c in known]):
                v.warnings.append(
                    f"{section.title}: sentence may not be supported by "
                    f"{', '.join(f'[{c.n}]' for c in known)}: {shorten(claim)}"
                )
            if section.customer_facing:
                if market and not market.may_claim(claim, [c.source for c in known]):
                    v.warnings.append(
                        f"{section.title}: a claim about {', '.join(market.mentioned(claim))} "
                        f"cites no page that compares them: {shorten(claim)}"
                    )
                for c in known:
                    if c.audience == "internal":
                        v.warnings.append(
                            f"{section.title}: customer-facing text cites "
                            f"internal source [{c.n}] {c.source}"
                        )
    facing_text = "\n".join(strip_refs(s.text) for s in facing)
    v.scores["sentences"] = total
    v.scores["cited_share"] = round(cited / total, 3) if total else 1.0
    v.scores["unsupported_numbers"] = len(bad_numbers)
    v.scores["internal_in_customer_text"] = sum(
        1 for s in facing for n in s.citations if n in by_n and by_n[n].audience == "internal"
    )
    if lexicon is not None:
        share = lexicon.technical_share(facing_text)
        v.scores["technical_share"] = round(share, 3)
        if persona is not None:
            v.scores["technical_target"] = persona.technical_share
            v.scores["persona_fit"] = round(1 - abs(share - persona.technical_share), 3)
    if persona is not None:
        jargon = persona.avoided_terms(facing_text)
        v.scores["jargon"] = jargon
        if jargon:
            v.warnings.append(f"words a {persona.title} dislikes: {', '.join(jargon)}")
    stale = sorted(
        {
            c.source
            for c in citations
            if c.chunk_id in chunks and is_stale(chunks[c.chunk_id].meta, settings)
        }
    )
    for source in stale:
        meta = next(
            chunks[c.chunk_id].meta
            for c in citations
            if c.source == source and c.chunk_id in chunks
        )
        v.warnings.append(
            f"{source} is stale: last updated {meta.updated}, more than "
            f"{settings.stale_days(meta.doc_type)} days ago; check it before quoting"
        )
    return v


def _supported(claim: str, cited_text: str, quotes: Sequence[str]) -> bool:
    """The claim quotes what it cites verbatim, or enough of its content words occur there."""
    flat = normalize(claim)
    if any(normalize(q).rstrip(".!?") in flat for q in quotes):
        return True
    if flat.rstrip(".") in normalize(cited_text):
        return True
    words = set(tokenize(claim))
    if not words:
        return True
    return len(words & set(tokenize(cited_text))) / len(words) >= MIN_SUPPORT
