"""Check the sample knowledge base against docs/knowledge-conventions.md.

Verifies front-matter fields and the heading shapes that Pitchcraft parses:
product specs (## feature with ### Technical detail and ### Business outcomes),
battlecards (required sections, at least 5 quoted objections), case studies
(Challenge / Solution / Results / In their words) and the persona headings of
the discovery guide. Run from the repository root:

    /work/main/.venv/bin/python scripts/check_knowledge_structure.py
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"
TODAY = dt.date(2026, 11, 27)

DOC_TYPES = {
    "product",
    "battlecard",
    "comparison",
    "case_study",
    "pricing",
    "security",
    "internal",
    "general",
}
PERSONAS = {
    "cio",
    "cto",
    "ciso",
    "cfo",
    "cmo",
    "vp_sales",
    "head_of_ops",
    "procurement",
    "champion",
}
PRODUCTS = {
    "Keelstone Platform",
    "Keelstone Flow",
    "Keelstone Lens",
    "Keelstone Reach",
    "Keelstone Vault",
}
BATTLECARD_SECTIONS = [
    "Positioning",
    "Where they are strong",
    "Weak spots",
    "How we win",
    "Landmines (internal)",
    "Objections",
]
CASE_STUDY_SECTIONS = ["Challenge", "Solution", "Results", "In their words"]
DISCOVERY_PERSONAS = [
    "CIO",
    "CTO",
    "CISO",
    "CFO",
    "CMO",
    "VP Sales",
    "Head of Operations",
    "Procurement",
    "champion",
]


def split_front_matter(text: str) -> tuple[dict, str]:
    match = re.match(r"^---\n(.*?)\n---\n(.*)$", text, re.S)
    if not match:
        raise ValueError("no front-matter")
    return yaml.safe_load(match.group(1)), match.group(2)


def sections(body: str, level: int) -> list[tuple[str, str]]:
    """Return (heading, content) pairs for headings of exactly `level`."""
    marker = "#" * level + " "
    out: list[tuple[str, list[str]]] = []
    for line in body.splitlines():
        if line.startswith(marker):
            out.append((line[len(marker) :].strip(), []))
        elif re.match(rf"^#{{1,{level}}} ", line):
            out.append(("", []))  # a higher-level heading closes the section
        elif out:
            out[-1][1].append(line)
    return [(h, "\n".join(c)) for h, c in out if h]


def main() -> int:
    errors: list[str] = []
    features: dict[str, list[str]] = {}
    for path in sorted(KNOWLEDGE.rglob("*.md")):
        rel = path.relative_to(KNOWLEDGE).as_posix()
        meta, body = split_front_matter(path.read_text(encoding="utf-8"))
        for key in ("title", "doc_type", "product", "audience", "updated", "personas"):
            if key not in meta:
                errors.append(f"{rel}: missing front-matter field {key}")
        if meta.get("doc_type") not in DOC_TYPES:
            errors.append(f"{rel}: bad doc_type {meta.get('doc_type')}")
        if meta.get("product") not in PRODUCTS:
            errors.append(f"{rel}: bad product {meta.get('product')}")
        if meta.get("audience") not in {"customer-safe", "internal"}:
            errors.append(f"{rel}: bad audience")
        if not isinstance(meta.get("updated"), dt.date) or meta["updated"] > TODAY:
            errors.append(f"{rel}: updated must be an ISO date not after {TODAY}")
        unknown = set(meta.get("personas") or []) - PERSONAS
        if unknown:
            errors.append(f"{rel}: unknown personas {unknown}")
        if len(re.findall(r"^# ", body, re.M)) != 1:
            errors.append(f"{rel}: expected exactly one # title")
        words = len(body.split())

        doc_type = meta.get("doc_type")
        if doc_type == "product":
            names = []
            for heading, content in sections(body, 2):
                subs = [h for h, _ in sections(content, 3)]
                summary = content.split("### ")[0].strip()
                if subs != ["Technical detail", "Business outcomes"]:
                    errors.append(f"{rel}: feature {heading!r} has subsections {subs}")
                if not summary:
                    errors.append(f"{rel}: feature {heading!r} has no summary paragraph")
                names.append(heading)
            features[rel] = names
        elif doc_type == "battlecard":
            if not meta.get("competitor"):
                errors.append(f"{rel}: battlecard without competitor")
            heads = [h for h, _ in sections(body, 2)]
            if heads != BATTLECARD_SECTIONS:
                errors.append(f"{rel}: sections {heads} != {BATTLECARD_SECTIONS}")
            objections = dict(sections(body, 2)).get("Objections", "")
            quoted = [
                h for h, _ in sections(objections, 3) if h.startswith('"') and h.endswith('"')
            ]
            if len(quoted) < 5:
                errors.append(f"{rel}: only {len(quoted)} quoted objections")
        elif doc_type == "case_study":
            for key in ("customer", "industry"):
                if not meta.get(key):
                    errors.append(f"{rel}: case study without {key}")
            heads = [h for h, _ in sections(body, 2)]
            if heads != CASE_STUDY_SECTIONS:
                errors.append(f"{rel}: sections {heads} != {CASE_STUDY_SECTIONS}")
            results = dict(sections(body, 2)).get("Results", "")
            metrics = [
                ln for ln in results.splitlines() if ln.startswith("- ") and re.search(r"\d", ln)
            ]
            if len(metrics) < 4:
                errors.append(f"{rel}: only {len(metrics)} metric bullets in Results")
        elif doc_type == "internal" and meta.get("audience") != "internal":
            errors.append(f"{rel}: internal doc must have audience internal")

        if rel == "internal/discovery-guide.md":
            heads = [h for h, _ in sections(body, 2)]
            for persona in DISCOVERY_PERSONAS:
                if not any(persona.lower() in h.lower() for h in heads):
                    errors.append(f"{rel}: no ## heading for persona {persona}")
        print(f"{words:5d} words  {rel}  ({doc_type}, updated {meta.get('updated')})")

    print()
    total = 0
    for rel, names in features.items():
        total += len(names)
        print(f"{rel}: {len(names)} sections")
        for name in names:
            print(f"    - {name}")
    print(f"total product sections with Technical detail + Business outcomes: {total}")
    if errors:
        print(f"\nFAILED with {len(errors)} error(s):")
        for err in errors:
            print("  " + err)
        return 1
    print("\nall structure checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
