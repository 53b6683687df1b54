"""No vendor, product, competitor or customer name of a test corpus in the code or prompts:
the names come from each corpus's ``names.txt`` in ``../shared/corpora``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPORA = ROOT.parent / "shared" / "corpora"


def _names() -> list[str]:
    return sorted(
        {
            line.strip()
            for f in CORPORA.glob("*/names.txt")
            for line in f.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")
        }
    )


def test_no_corpus_name_in_code_or_prompts() -> None:
    names = _names()
    if not names:
        pytest.skip("../shared/corpora is not present")
    pattern = re.compile(r"(?<![\w])(?:" + "|".join(map(re.escape, names)) + r")(?![\w])", re.I)
    found = [
        f"{p.relative_to(ROOT)}:{n}: {m.group(0)}"
        for folder in ("assistant", "prompts")
        for p in sorted((ROOT / folder).rglob("*"))
        if p.is_file() and p.suffix in {".py", ".yaml", ".yml", ".md", ".j2", ".txt", ".json"}
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        for m in pattern.finditer(line)
    ]
    assert found == []
