"""``make bench``: speed and memory, measured side by side in one run (never asserted in tests).

Sections: ingest throughput and overhead on the PostHog corpus, embedding backends, hybrid
query latency on synthetic 10k/100k-chunk indexes. Ratios matter more than absolute times on
these noisy 2-core machines.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.core.config import Settings  # noqa: E402
from assistant.core.records import Chunk, DocMeta  # noqa: E402
from assistant.evals.retrieval import load_questions  # noqa: E402
from assistant.index.embeddings import SentenceTransformerEmbedder  # noqa: E402
from assistant.index.kb import KnowledgeBase  # noqa: E402
from assistant.ingest.pipeline import ingest  # noqa: E402
from assistant.jobs.pitch import PitchRequest  # noqa: E402
from assistant.retrieval.retriever import Retriever  # noqa: E402
from assistant.service import Pitchcraft  # noqa: E402
from assistant.writers.offline import OfflineWriter  # noqa: E402

POSTHOG = ROOT.parent / "shared" / "corpora" / "posthog"
RESULTS: dict[str, object] = {}


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def row(label: str, value: str, target: str = "") -> None:
    print(f"  {label:<52} {value:>14}  {target}")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- ingest -----------------------------------------------------------------------------------


def bench_ingest(work: Path, corpus: Path) -> tuple[KnowledgeBase, SentenceTransformerEmbedder]:
    print(f"\nIngest: {corpus}")
    embedder = SentenceTransformerEmbedder()
    load_s, _ = timed(lambda: embedder.embed(["warm up"]))
    kb = KnowledgeBase(Settings(kb=work / "kb-posthog"), embedder)
    full_s, report = timed(lambda: ingest(kb, [corpus]))
    texts = [c.embed_text for c in kb.manifest.all_chunks()]
    batch = max(kb.settings.embed_batch_size * 4, 64)

    def encode_all() -> None:
        for s in range(0, len(texts), batch):
            embedder.embed(texts[s : s + batch])

    encode_s, _ = timed(encode_all)
    resync_s, again = timed(lambda: ingest(kb, [corpus]))
    assert again.embedded == 0, "an unchanged re-sync embedded something"  # type: ignore[attr-defined]
    n = len(texts)
    row("model load (first encode)", f"{load_s:.2f} s")
    row("chunks", f"{n}")
    row("full ingest (model loaded)", f"{full_s:.1f} s")
    row("ingest throughput", f"{n / full_s:.1f} chunks/s")
    row("bare encode() of the same chunk texts", f"{encode_s:.1f} s")
    row("full ingest / bare encode", f"{full_s / encode_s:.2f}", "target <= 1.3")
    row("unchanged re-sync", f"{resync_s * 1000:.0f} ms")
    row("unchanged re-sync / full ingest", f"{resync_s / full_s:.4f}", "target <= 0.05")
    RESULTS["ingest"] = {
        "chunks": n,
        "full_ingest_s": round(full_s, 2),
        "chunks_per_s": round(n / full_s, 1),
        "encode_s": round(encode_s, 2),
        "ingest_over_encode": round(full_s / encode_s, 3),
        "resync_s": round(resync_s, 3),
        "resync_over_full": round(resync_s / full_s, 4),
        "failed": len(report.failed),  # type: ignore[attr-defined]
    }

    print("\nEmbedding backends (same chunk texts, same batch size)")
    onnx = SentenceTransformerEmbedder(backend="onnx")
    onnx_load_s, _ = timed(lambda: onnx.embed(["warm up"]))
    sample = texts[: min(len(texts), 256)]
    torch_s, torch_vecs = timed(lambda: embedder.embed(sample))
    onnx_s, onnx_vecs = timed(lambda: onnx.embed(sample))
    diff = float(np.abs(np.asarray(torch_vecs) - np.asarray(onnx_vecs)).max())
    row("torch", f"{len(sample) / torch_s:.1f} chunks/s")
    row(
        "onnx (first load exports the model once)",
        f"{len(sample) / onnx_s:.1f} chunks/s",
        f"load {onnx_load_s:.1f} s",
    )
    row("onnx speed-up over torch", f"{torch_s / onnx_s:.2f}x")
    row("max |torch - onnx| over all vector components", f"{diff:.2e}")
    RESULTS["backends"] = {
        "torch_chunks_per_s": round(len(sample) / torch_s, 1),
        "onnx_chunks_per_s": round(len(sample) / onnx_s, 1),
        "onnx_speedup": round(torch_s / onnx_s, 2),
        "max_abs_diff": diff,
    }
    return kb, embedder


# -- retrieval at scale -----------------------------------------------------------------------


def synthetic_kb(
    work: Path, base: KnowledgeBase, embedder: SentenceTransformerEmbedder, size: int
) -> KnowledgeBase:
    """``size`` chunks made from the real corpus: real text plus shuffled real words, and the
    real vectors with a little noise (so neighbourhoods look like a real index)."""
    rng = np.random.default_rng(size)
    chunks = list(base.manifest.all_chunks())
    vectors = embedder.embed([c.embed_text for c in chunks])
    words = np.asarray([w for c in chunks for w in c.text.split()])
    kb = KnowledgeBase(Settings(kb=work / f"kb-synthetic-{size}"), embedder)
    per_doc, batch = 50, 5000
    pending: list[Chunk] = []
    for d in range(0, size, per_doc):
        source = f"synthetic/doc-{d // per_doc:05d}.md"
        meta = DocMeta(
            doc_type=str(rng.choice(["product", "internal", "comparison", "general"])),
            title=f"Synthetic document {d // per_doc}",
        )
        made = []
        for i in range(d, min(d + per_doc, size)):
            base_chunk = chunks[i % len(chunks)]
            text = base_chunk.text + " " + " ".join(rng.choice(words, 40))
            made.append(Chunk(f"syn{i:07d}", source, text, base_chunk.heading, i - d, meta))
        kb.manifest.replace_document(source, source, "0", "synthetic", meta, made)
        pending.extend(made)
        if len(pending) >= batch or d + per_doc >= size:
            rows = vectors[[int(c.id[3:]) % len(chunks) for c in pending]]
            rows = rows + rng.normal(0, 0.02, rows.shape).astype(np.float32)
            kb.store.upsert(pending, rows / np.linalg.norm(rows, axis=1, keepdims=True))
            pending = []
    kb.rebuild_derived()
    return kb


def bench_scale(
    work: Path, base: KnowledgeBase, embedder: SentenceTransformerEmbedder, sizes: list[int]
) -> None:
    questions = [q.question for q in load_questions(POSTHOG / "questions.jsonl")]
    for size in sizes:
        build_s, kb = timed(lambda size=size: synthetic_kb(work, base, embedder, size))
        retriever = Retriever(kb)
        retriever.search(questions[0])  # first query: loads indexes; excluded
        times = []
        for q in questions * 2:
            t, _ = timed(lambda q=q, r=retriever: r.search(q, k=5))
            times.append(t * 1000)
        p50 = statistics.median(times)
        p95 = float(np.percentile(times, 95))
        target = "p50 target <= 50 ms" if size <= 10_000 else "p50 target <= 150 ms"
        print(f"\nHybrid search on {size:,} synthetic chunks (built in {build_s:.0f} s)")
        row("warm query latency p50", f"{p50:.1f} ms", target)
        row("warm query latency p95", f"{p95:.1f} ms")
        RESULTS[f"hybrid_{size}"] = {
            "p50_ms": round(p50, 1),
            "p95_ms": round(p95, 1),
            "queries": len(times),
        }


def bench_pitch(work: Path, embedder: SentenceTransformerEmbedder) -> None:
    """Warm offline pitch latency on the sample knowledge base (p50 over 20 pitches)."""
    kb = KnowledgeBase(Settings(kb=work / "kb-knowledge"), embedder)
    ingest(kb, [ROOT / "knowledge"])
    app = Pitchcraft(kb, OfflineWriter())
    personas = list(app.personas)
    competitors = [None, *app.kb.competitor_names()]
    account = "Regional bank with a legacy core system, an integration backlog and audit findings"
    app.pitch(PitchRequest("cio", account, "Stratavia"))  # first pitch: loads caches; excluded
    times = []
    for i in range(20):
        request = PitchRequest(
            personas[i % len(personas)], account, competitors[i % len(competitors)]
        )
        t, _ = timed(lambda request=request: app.pitch(request))
        times.append(t)
    print("\nOffline pitch on knowledge/ (20 pitches, personas x competitors)")
    row("warm pitch latency p50", f"{statistics.median(times):.2f} s", "target <= 1.5 s")
    row("warm pitch latency p95", f"{float(np.percentile(times, 95)):.2f} s")
    RESULTS["pitch"] = {
        "p50_s": round(statistics.median(times), 3),
        "p95_s": round(float(np.percentile(times, 95)), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "latest.json")
    args = parser.parse_args()
    if not POSTHOG.is_dir():
        sys.exit(f"bench needs {POSTHOG}")
    with tempfile.TemporaryDirectory(prefix="pitchcraft-bench-") as tmp:
        work = Path(tmp)
        base, embedder = bench_ingest(work, POSTHOG)
        bench_pitch(work, embedder)
        bench_scale(work, base, embedder, [int(s) for s in args.sizes.split(",") if s])
    print(f"\nPeak memory (max RSS): {peak_rss_mb():.0f} MB")
    RESULTS["peak_rss_mb"] = round(peak_rss_mb())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(RESULTS, indent=2))
    print(f"results: {args.out}")


if __name__ == "__main__":
    main()
