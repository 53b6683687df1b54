"""Retrieval evaluation: dense-only, lexical-only, hybrid and the common peer recipe, side by
side on one labelled question set, in one run.

The *peer recipe* is what most RAG apps ship: the raw files split with LangChain's
``RecursiveCharacterTextSplitter`` (1000 characters, 200 overlap), embedded with the same
model, searched with plain Chroma similarity search, and no abstention.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from assistant.core.errors import ConfigError
from assistant.core.records import Chunk, DocMeta
from assistant.index.kb import KnowledgeBase
from assistant.index.store import ChromaStore
from assistant.ingest.chunking import peer_split
from assistant.ingest.loaders import discover, raw_text
from assistant.retrieval.grounding import Grounder
from assistant.retrieval.retriever import Retriever

MODES = ("dense", "lexical", "hybrid", "convex", "peer")
# The convex combination's best dense weight on both question sets (RRF still won overall).
CONVEX_DENSE_WEIGHT = 0.4


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    sources: tuple[str, ...]
    answer_contains: tuple[str, ...]
    kind: str

    @property
    def answerable(self) -> bool:
        return self.kind != "unanswerable"


def load_questions(path: Path) -> list[Question]:
    out = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"cannot read questions file {path}: {exc.strerror}") from None
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            out.append(
                Question(
                    str(d["id"]),
                    d["question"],
                    tuple(d.get("sources", ())),
                    tuple(d.get("answer_contains", ())),
                    d.get("kind", "fact"),
                )
            )
        except (ValueError, KeyError) as exc:
            raise ConfigError(f"{path}:{n}: not a question line ({exc})") from None
    return out


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def contains_answer(texts: Sequence[str], phrases: Sequence[str]) -> bool:
    """Whether any text contains any phrase (case- and whitespace-insensitive)."""
    normed = [_norm(t) for t in texts]
    return any(_norm(p) in t for p in phrases for t in normed)


@dataclass
class ModeScore:
    hit1: float = 0.0
    hit5: float = 0.0
    mrr10: float = 0.0
    ans5: float = 0.0
    abstain_unanswerable: float = 0.0
    answer_answerable: float = 0.0
    ms_per_query: float = 0.0

    def to_json(self) -> dict[str, float]:
        return {k: round(v, 3) for k, v in self.__dict__.items()}


@dataclass
class EvalReport:
    corpus: str
    questions: int
    answerable: int
    unanswerable: int
    scores: dict[str, ModeScore]
    per_question: list[dict] = field(default_factory=list)

    def to_json(self) -> dict:
        out = dict(vars(self))
        out["scores"] = {m: s.to_json() for m, s in self.scores.items()}
        return out


# -- the peer recipe --------------------------------------------------------------------------


def peer_store(kb: KnowledgeBase, corpus: Path) -> ChromaStore:
    """Index the corpus the peer way in its own collection (reused when the files are the same)."""
    files = discover([corpus])
    digest = hashlib.sha256()
    for path, rel in files:
        digest.update(str(rel).encode() + path.read_bytes())
    name = f"peer-{digest.hexdigest()[:16]}"
    store = ChromaStore.open(kb.root / "peer", kb.embedder.name, collection=name)
    if store.count():
        return store
    chunks: list[Chunk] = []
    for path, rel in files:
        try:
            text = raw_text(path)
        except Exception:
            continue
        for n, piece in enumerate(peer_split(text)):
            cid = hashlib.sha256(f"{rel}\x00{n}\x00{piece}".encode()).hexdigest()[:32]
            chunks.append(Chunk(cid, str(rel), piece, "", n, DocMeta()))
    for start in range(0, len(chunks), 256):
        part = chunks[start : start + 256]
        store.upsert(part, kb.embedder.embed([c.text for c in part]))
    return store


# -- the harness ------------------------------------------------------------------------------


def evaluate(
    kb: KnowledgeBase,
    retriever: Retriever,
    questions: Sequence[Question],
    corpus: Path | None = None,
    modes: Sequence[str] = MODES,
    progress: Callable[[str, int, int], None] | None = None,
) -> EvalReport:
    """Run every question through every mode and score them the same way."""
    tick = progress or (lambda stage, done, total: None)
    grounder = Grounder(retriever)
    convex = Retriever(
        kb, replace(retriever.config, fusion="convex", dense_weight=CONVEX_DENSE_WEIGHT)
    )
    retriever.search(questions[0].question if questions else "warm up")  # load model, vocab
    peer = peer_store(kb, corpus) if "peer" in modes and corpus is not None else None
    answerable = [q for q in questions if q.answerable]
    unanswerable = [q for q in questions if not q.answerable]
    scores: dict[str, ModeScore] = {}
    per_question: dict[str, dict] = {q.id: {"id": q.id, "kind": q.kind} for q in questions}
    for mode in modes:
        if mode == "peer" and peer is None:
            continue
        s = ModeScore()
        elapsed = 0.0
        for n, q in enumerate(questions, 1):
            tick(mode, n, len(questions))
            start = time.perf_counter()
            if mode == "peer":
                assert peer is not None
                pairs = peer.query(kb.embedder.embed([q.question])[0], 10)
                hits, abstained = [c for c, _ in pairs], False
            else:
                searcher = convex if mode == "convex" else retriever
                ranker = "hybrid" if mode == "convex" else mode
                result = searcher.search(q.question, k=10, mode=ranker)  # type: ignore[arg-type]
                hits = [h.chunk for h in result.hits]
                abstained = grounder.judge(q.question, result.hits[:5]).abstained
            elapsed += time.perf_counter() - start
            row = per_question[q.id]
            if not q.answerable:
                s.abstain_unanswerable += abstained
                row[mode] = {"abstained": abstained}
                continue
            sources = [c.source for c in hits]
            rank = next((i + 1 for i, src in enumerate(sources) if src in q.sources), None)
            s.hit1 += bool(rank == 1)
            s.hit5 += bool(rank and rank <= 5)
            s.mrr10 += 1.0 / rank if rank else 0.0
            found = contains_answer([c.text for c in hits[:5]], q.answer_contains)
            s.ans5 += found
            s.answer_answerable += not abstained
            row[mode] = {"rank": rank, "ans5": found, "abstained": abstained, "top": sources[:3]}
        if answerable:
            for name in ("hit1", "hit5", "mrr10", "ans5", "answer_answerable"):
                setattr(s, name, getattr(s, name) / len(answerable))
        if unanswerable:
            s.abstain_unanswerable /= len(unanswerable)
        s.ms_per_query = 1000 * elapsed / max(1, len(questions))
        scores[mode] = s
    return EvalReport(
        corpus=str(corpus or kb.root),
        questions=len(questions),
        answerable=len(answerable),
        unanswerable=len(unanswerable),
        scores=scores,
        per_question=list(per_question.values()),
    )


_LABELS = (
    ("hit1", "hit@1"),
    ("hit5", "hit@5"),
    ("mrr10", "MRR@10"),
    ("ans5", "ans@5"),
    ("abstain_unanswerable", "abstain (unanswerable)"),
    ("answer_answerable", "answered (answerable)"),
    ("ms_per_query", "ms / query"),
)


def render_table(report: EvalReport) -> str:
    modes = list(report.scores)
    head = f"{'metric':<24}" + "".join(f"{m:>10}" for m in modes)
    lines = [
        f"{report.corpus}: {report.answerable} answerable + {report.unanswerable} unanswerable "
        "questions",
        head,
        "-" * len(head),
    ]
    for key, label in _LABELS:
        fmt = "{:>10.1f}" if key == "ms_per_query" else "{:>10.3f}"
        lines.append(
            f"{label:<24}" + "".join(fmt.format(getattr(report.scores[m], key)) for m in modes)
        )
    return "\n".join(lines)
