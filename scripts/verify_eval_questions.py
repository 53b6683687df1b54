"""Verify eval/knowledge-questions.jsonl against the sample knowledge base.

Checks, for every question:
- the schema is exactly {id, question, sources, answer_contains, kind};
- ids are unique and kinds are known;
- every source exists under knowledge/;
- every answer_contains phrase occurs verbatim (case-sensitive) in at least one
  listed source. Markdown and text files are read as-is, HTML with its tags
  stripped, PDF through pypdf's text extraction. Phrases are also checked
  against Markdown with emphasis markers removed, so they survive rendering;
- unanswerable questions have no sources and no phrases, and their probe terms
  appear nowhere in the knowledge base.

Run from the repository root:

    /work/main/.venv/bin/python scripts/verify_eval_questions.py
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"
QUESTIONS = ROOT / "eval" / "knowledge-questions.jsonl"

KEYS = ["id", "question", "sources", "answer_contains", "kind"]
KINDS = {
    "fact",
    "compare",
    "objection",
    "pricing",
    "security",
    "sales-process",
    "case-study",
    "unanswerable",
}

# Terms that must NOT occur anywhere in the knowledge base for the
# unanswerable questions to stay unanswerable (case-insensitive).
UNANSWERABLE_PROBES = {
    "FedRAMP": ["fedramp"],
    "PCI DSS": ["pci"],
    "Nimbra": ["nimbra"],
    "Net Promoter": ["net promoter", "nps"],
    "HITRUST": ["hitrust"],
    "gross revenue retention": ["gross revenue retention", "grr"],
}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def load_text(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        import pypdf

        reader = pypdf.PdfReader(str(path))
        return "\n".join(page.extract_text() for page in reader.pages)
    raw = path.read_text(encoding="utf-8")
    if suffix in {".html", ".htm"}:
        parser = _TextExtractor()
        parser.feed(raw)
        return "".join(parser.parts)
    return raw


def strip_markdown_emphasis(text: str) -> str:
    return text.replace("**", "").replace("`", "")


def main() -> int:
    errors: list[str] = []
    cache: dict[str, str] = {}
    corpus = "\n".join(
        load_text(p).lower()
        for p in sorted(KNOWLEDGE.rglob("*"))
        if p.is_file() and p.suffix.lower() in {".md", ".txt", ".html", ".pdf"}
    )

    lines = [ln for ln in QUESTIONS.read_text(encoding="utf-8").splitlines() if ln.strip()]
    ids: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    phrase_count = 0

    for n, line in enumerate(lines, 1):
        item = json.loads(line)
        qid = item.get("id", f"line {n}")
        ids[qid] += 1
        if list(item.keys()) != KEYS:
            errors.append(f"{qid}: keys {list(item.keys())} != {KEYS}")
            continue
        kind = item["kind"]
        kinds[kind] += 1
        if kind not in KINDS:
            errors.append(f"{qid}: unknown kind {kind!r}")
        if not re.fullmatch(r"ks-\d{2,3}", qid):
            errors.append(f"{qid}: id does not match ks-NN")

        if kind == "unanswerable":
            if item["sources"] or item["answer_contains"]:
                errors.append(f"{qid}: unanswerable must have empty sources and answers")
            matched = [k for k in UNANSWERABLE_PROBES if k.lower() in item["question"].lower()]
            if not matched:
                errors.append(f"{qid}: no probe terms registered for this unanswerable question")
            for key in matched:
                for term in UNANSWERABLE_PROBES[key]:
                    if re.search(r"\b" + re.escape(term) + r"\b", corpus):
                        errors.append(f"{qid}: probe term {term!r} occurs in the knowledge base")
            print(f"OK   {qid} [unanswerable] probes absent: {matched}")
            continue

        if not item["sources"] or not item["answer_contains"]:
            errors.append(f"{qid}: answerable question needs sources and phrases")
        for src in item["sources"]:
            path = KNOWLEDGE / src
            if not path.is_file():
                errors.append(f"{qid}: missing source {src}")
            elif src not in cache:
                cache[src] = load_text(path)
        for phrase in item["answer_contains"]:
            phrase_count += 1
            hits = [s for s in item["sources"] if s in cache and phrase in cache[s]]
            rendered = [
                s
                for s in item["sources"]
                if s in cache and phrase in strip_markdown_emphasis(cache[s])
            ]
            if not hits:
                errors.append(f"{qid}: phrase {phrase!r} not found in {item['sources']}")
            elif not rendered:
                errors.append(f"{qid}: phrase {phrase!r} only matches with Markdown markers")
            else:
                print(f"OK   {qid} [{kind}] {phrase!r} in {hits[0]}")

    for qid, count in ids.items():
        if count > 1:
            errors.append(f"{qid}: duplicate id ({count} times)")

    print()
    print(f"questions: {len(lines)}  phrases checked: {phrase_count}")
    print("kinds: " + ", ".join(f"{k}={v}" for k, v in sorted(kinds.items())))
    if errors:
        print(f"FAILED with {len(errors)} error(s):")
        for err in errors:
            print("  " + err)
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
