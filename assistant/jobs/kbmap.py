"""``pitchcraft map``: what was understood of a knowledge base, and what it lacks.

For the enablement team: the vendor, the features and their sources, the competitors with the
pages that compare them, the proof points, the question → answer pairs, the buyer personas the
documents describe, the open questions, the sentences addressed to an AI (to remove), and the
gaps a pitch will feel. ``pitchcraft.yaml`` corrects what is wrong (see
``understand.corrections``).
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from assistant.core.records import Chunk
from assistant.index.kb import KnowledgeBase
from assistant.understand.market import DEFAULT_VENDOR
from assistant.understand.qa import qa_pairs

MAX_LISTED = 25  # rows per section in the Markdown view (the JSON has them all)
EXCERPT = 160  # characters of a passage shown


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1].rstrip() + "…"


def _figure_sentence(story: list[Chunk]) -> str:
    """A customer story's first sentence with a number in it, else its first sentence."""
    said = [s for c in story for s in c.sentences()]
    return next((s for s in said if re.search(r"\d", s)), said[0] if said else "")


def knowledge_map(kb: KnowledgeBase) -> dict[str, Any]:
    """The map as JSON-ready data (see the module docstring)."""
    chunks = list(kb.manifest.all_chunks())
    market = kb.market
    roles = Counter(c.role or "unknown" for c in chunks)
    source_of = {c.id: c.source for c in chunks}
    features = [
        {
            "name": f.name,
            "module": f.module,
            "sources": sorted({f.source, *(source_of.get(x.chunk_id, f.source) for x in f.facts)}),
            "facts": len(f.facts),
            "technical": sum(x.kind == "technical" for x in f.facts),
            "business": sum(x.kind == "business" for x in f.facts),
        }
        for f in kb.catalog
    ]
    competitors = []
    for n in kb.competitor_names():
        pages, sections = market.pages.get(n, []), market.sections.get(n, [])
        competitors.append(
            {
                "name": n,
                "reason": market.reasons.get(n, ""),
                "pages": pages,
                "sections": sections,  # documents with a section "Us vs Them"
                "mentions": [s for s in market.mentions.get(n, []) if s not in pages + sections],
            }
        )
    stories: dict[str, list[Chunk]] = {}
    for c in chunks:
        if c.role == "proof" and not c.internal:
            stories.setdefault(c.source, []).append(c)
    proof = [
        {
            "source": source,
            "customer": story[0].meta.customer,
            "quote": _figure_sentence(story),
            "has_number": any(re.search(r"\d", s) for c in story for s in c.sentences()),
        }
        for source, story in stories.items()
    ]
    pairs = [
        {
            "question": p.question,
            "source": p.source,
            "internal": p.internal,
            "answer": _excerpt(" ".join(p.answer) or p.chunks[0].shown_text),
        }
        for p in qa_pairs(chunks, kb.conventions)
    ]
    personas = [
        {"source": c.source, "heading": c.heading, "text": _excerpt(c.shown_text)}
        for c in chunks
        if c.role == "persona"
    ]
    open_questions = [
        {"source": c.source, "question": s}
        for c in chunks
        if c.role == "open_question"
        for s in c.sentences()
        if s.rstrip().endswith("?")
    ]
    blocked = [{"source": c.source, "sentence": s} for c in chunks for s in c.blocked]
    fixes = kb.corrections()
    data: dict[str, Any] = {
        "vendor": {"name": market.vendor, "reason": market.vendor_reason},
        "documents": len({c.source for c in chunks}),
        "passages": len(chunks),
        "roles": dict(roles.most_common()),
        "features": features,
        "competitors": competitors,
        "proof": proof,
        "qa_pairs": pairs,
        "personas": personas,
        "open_questions": open_questions,
        "blocked": blocked,
        "corrections": None if fixes.empty else fixes.model_dump(exclude_defaults=True),
    }
    data["gaps"] = _gaps(data, roles, customer_roles={c.role for c in chunks if not c.internal})
    return data


def _gaps(data: dict[str, Any], roles: Counter[str], customer_roles: set[str]) -> list[str]:
    gaps = []
    if data["vendor"]["name"] == DEFAULT_VENDOR:
        gaps.append("no vendor name found: set `vendor` in pitchcraft.yaml")
    if not data["features"]:
        gaps.append("no passage describes a capability: a pitch has no feature to pick")
    if not data["proof"]:
        gaps.append("no customer story: pitches carry no proof")
    elif not any(p["has_number"] for p in data["proof"]):
        gaps.append("no customer story has a number")
    if "pricing" not in customer_roles:
        gaps.append("no pricing page")
    if "security" not in customer_roles:
        gaps.append("no security or compliance page")
    if not data["competitors"]:
        gaps.append('no competitor found (no "A vs B" page or comparison table)')
    for c in data["competitors"]:
        if not (c["pages"] or c["sections"]):
            where = (
                f"the {len(c['mentions'])} document(s) that discuss it"
                if c["mentions"]
                else "nowhere: no competitive angle"
            )
            gaps.append(
                f"competitor {c['name']} has no comparison page (its claims come from {where})"
            )
    if not [p for p in data["qa_pairs"] if not p["internal"]]:
        gaps.append("no customer question → answer pairs (FAQ): objections use other passages")
    if not data["personas"]:
        gaps.append("no buyer-persona description: the built-in personas resolve titles")
    if data["open_questions"]:
        n = len(data["open_questions"])
        gaps.append(f"{n} question(s) wait for an answer (never used as answers)")
    if data["blocked"]:
        n = len(data["blocked"])
        gaps.append(f"{n} sentence(s) address an AI model: remove them (never used as evidence)")
    if roles.get("unknown"):
        gaps.append(f"{roles['unknown']} passage(s) have no role: ingest again to read them")
    return gaps


def _section(title: str, rows: list[str]) -> list[str]:
    total = len(rows)
    out = [f"## {title} ({total})", ""]
    out += rows[:MAX_LISTED] or ["- none"]
    if total > MAX_LISTED:
        out.append(f"- … and {total - MAX_LISTED} more (see `--json`)")
    return [*out, ""]


def render_map(data: dict[str, Any]) -> str:
    """The map as Markdown, gaps first."""
    v = data["vendor"]
    lines = [
        f"# Knowledge map: {v['name']}",
        "",
        f"Vendor **{v['name']}** ({v['reason']}) · {data['documents']} documents · "
        f"{data['passages']} passages",
        "",
    ]
    lines += _section("Gaps", [f"- {g}" for g in data["gaps"]])
    lines += _section("Passage roles", [f"- {r}: {n}" for r, n in data["roles"].items()])
    lines += _section(
        "Features",
        [
            f"- **{f['name']}** ({f['facts']} facts: {f['technical']} technical, "
            f"{f['business']} business) "
            f"— {', '.join(f['sources'])}"
            for f in data["features"]
        ],
    )
    rows = []
    for c in data["competitors"]:
        pages = ", ".join(c["pages"]) or "no comparison page"
        if c["sections"]:
            pages += f"; compared in a section of {', '.join(c['sections'])}"
        rows.append(f"- **{c['name']}**: {pages} _(found as {c['reason']})_")
    lines += _section("Competitors", rows)
    lines += _section(
        "Proof points",
        [f'- {p["source"]}: "{_excerpt(p["quote"])}"' for p in data["proof"]],
    )
    lines += _section(
        "Question → answer pairs",
        [
            f"- {p['question']} → {p['answer']} ({p['source']}"
            + (", internal)" if p["internal"] else ")")
            for p in data["qa_pairs"]
        ],
    )
    lines += _section(
        "Buyer personas described",
        [f"- {p['source']} ({p['heading']}): {p['text']}" for p in data["personas"]],
    )
    lines += _section(
        "Open questions", [f"- {q['question']} ({q['source']})" for q in data["open_questions"]]
    )
    lines += _section(
        "Addressed to an AI (remove these)",
        [f'- {b["source"]}: "{_excerpt(b["sentence"])}"' for b in data["blocked"]],
    )
    fixes = data["corrections"]
    lines += ["## Corrections (pitchcraft.yaml)", ""]
    lines.append(
        f"- {', '.join(sorted(fixes))}"
        if fixes
        else "- none: add a pitchcraft.yaml to correct this map"
    )
    return "\n".join(lines).rstrip() + "\n"
