"""What a model's reply must pass before a rep sees it; each problem is said in plain words.

Rejected: a citation of a source the model was not given; a statement with no citation (one
that holds a number, or any statement where the plan says every sentence must cite, as an
answer does); a number that neither its cited sources nor the rep's own input hold; and an
abstention although the model was given sources that answer. The LLM writer asks again with
the problems, a bounded number of times, then hands the job to the offline composer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.core.results import CITE_RE, split_claims, strip_refs
from assistant.core.text import missing_numbers, shorten
from assistant.writers.sources import Source
from assistant.writers.streaming import Reply

# "The knowledge base does not cover this", "I cannot find", "no information about"...
ABSTENTION = re.compile(
    r"\b(?:does not|doesn't|do not|don't|cannot|can't|could not|couldn't)\s+"
    r"(?:cover|contain|mention|answer|say|find|provide)\b|\bno information\b"
    r"|\bnot (?:covered|mentioned) (?:in|by)\b",
    re.IGNORECASE,
)


def problems(
    reply: Reply, sources: Sequence[Source], given: str, cite_every_sentence: bool
) -> list[str]:
    """What is wrong with ``reply`` (empty: it may be shown). ``given`` is the rep's input."""
    by_n = {s.n: s for s in sources}
    found: list[str] = []
    for section in reply.sections:
        for sentence in split_claims(section.text):
            refs = [int(n) for n in CITE_RE.findall(sentence)]
            claim = strip_refs(sentence)
            cited = [by_n[n] for n in refs if n in by_n]
            found += [
                f"it cited source [{n}], which it was not given" for n in refs if n not in by_n
            ]
            if sources and ABSTENTION.search(claim):
                found.append(
                    "it said the knowledge base does not cover this, although the sources it "
                    f"was given do: '{shorten(claim, 90)}'"
                )
                continue
            missing = missing_numbers(claim, " ".join(s.text for s in cited), given)
            if not cited and not claim.endswith("?") and (cite_every_sentence or missing):
                found.append(f"a statement cites no source: '{shorten(claim, 90)}'")
            elif missing:
                found.append(
                    f"the number {missing[0]!r} is not in the source it cites: "
                    f"'{shorten(claim, 90)}'"
                )
    return list(dict.fromkeys(found))
