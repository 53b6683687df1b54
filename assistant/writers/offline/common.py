"""Helpers every offline composer uses to place verbatim, cited sentences."""

from __future__ import annotations

from typing import Any

from assistant.core.results import Citations
from assistant.core.text import label_free, strip_label, with_citation
from assistant.retrieval.evidence import Evidence


def cited(evidence: list[Evidence], citations: Citations) -> tuple[str, list[int]]:
    """Sentences, each followed by ``[n]``, and the numbers used."""
    parts, numbers = [], []
    for e in evidence:
        n = citations.cite(e.chunk, e.text)
        numbers.append(n)
        parts.append(with_citation(label_free(e.said or e.text), n))
    return " ".join(parts), numbers


def joined(lead: str, evidence: Evidence, citations: Citations) -> tuple[str, int]:
    """``lead — fact [n].`` as one sentence: the lead frames, the fact carries the claim."""
    n = citations.cite(evidence.chunk, evidence.text)
    fact = strip_label(evidence.text)
    return with_citation(f"{lead.rstrip(' .:;')} — {fact}", n), n


def lead_in(template_output: str) -> str:
    """A persona lead-in that introduces the next cited sentence rather than standing alone."""
    text = template_output.strip()
    text = text[:1].upper() + text[1:]
    if text.endswith((".", "!")):
        # A lead that already has a colon ("On X: Feature.") continues with a dash.
        text = text[:-1] + (" —" if ":" in text[:-1] else ":")
    return text


def involve_lines(teams: list[Any], citations: Citations) -> tuple[str, list[int]]:
    """``- Team: why [n]. How to request [m].`` for each team to involve."""
    lines, numbers = [], []
    for team in teams:
        body, refs = cited(team.evidence, citations)
        numbers += refs
        lines.append(f"- {team.team}: {body}")
    return "\n".join(lines), numbers


def bullets(evidence: list[Evidence], citations: Citations) -> tuple[str, list[int]]:
    lines, numbers = [], []
    for e in evidence:
        n = citations.cite(e.chunk, e.text)
        numbers.append(n)
        lines.append(f"- {with_citation(label_free(e.text), n)}")
    return "\n".join(lines), numbers
