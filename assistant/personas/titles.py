"""Job titles as comparable words: case, punctuation, '&'/'and', abbreviations and plurals
folded (``Sr. VP, Eng & Ops`` → ``senior vp engineering operations``)."""

from __future__ import annotations

import re

_STOPWORDS = frozenset({"of", "the", "and", "for", "a", "an", "at", "in", "to", "with", "on"})
_PHRASES = (
    (re.compile(r"\bvice president\b"), "vp"),
    (re.compile(r"\be commerce\b"), "ecommerce"),
    (re.compile(r"\bcyber security\b"), "cybersecurity"),
    (re.compile(r"\bsuper user\b"), "superuser"),
    (re.compile(r"\bco founder\b"), "cofounder"),
)
_ABBREVIATIONS = {
    "sr": "senior",
    "snr": "senior",
    "jr": "junior",
    "svp": "senior vp",
    "evp": "executive vp",
    "avp": "assistant vp",
    "mgr": "manager",
    "dir": "director",
    "mgmt": "management",
    "eng": "engineering",
    "engr": "engineer",
    "ops": "operations",
    "mktg": "marketing",
    "mkt": "marketing",
    "tech": "technology",
    "exec": "executive",
    "admin": "administrator",
    "asst": "assistant",
    "assoc": "associate",
    "svcs": "services",
    "gm": "general manager",
}
# Seniority and rank words: they never decide a persona on their own.
GENERIC = frozenset(
    """chief officer head director vp senior junior lead leader manager management president
    executive global group principal associate assistant deputy interim acting regional
    staff team general department division national international emea apac america
    americas north europe uk us""".split()
)


def _singular(token: str) -> str:
    if len(token) > 3 and token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


def title_tokens(text: str) -> list[tuple[str, str]]:
    """(normalised token, surface word) pairs of a job title; stopwords dropped."""
    lowered = re.sub(r"[&+]", " and ", text.lower())
    lowered = " ".join(re.sub(r"[^a-z0-9]+", " ", lowered).split())
    for pattern, replacement in _PHRASES:
        lowered = pattern.sub(replacement, lowered)
    out: list[tuple[str, str]] = []
    for word in lowered.split():
        for token in _ABBREVIATIONS.get(word, word).split():
            token = _singular(token)
            if token not in _STOPWORDS:
                out.append((token, word))
    return out


def normalize_title(text: str) -> str:
    """A job title's comparison key: case, punctuation, '&'/'and', abbreviations, plurals."""
    return " ".join(token for token, _ in title_tokens(text))
