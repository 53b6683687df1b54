"""``make bench``: speed and memory, measured side by side in one run (never asserted in tests).

Sections: full ingest of every development corpus, ours per embedding backend next to the
common recipe (``bench/peer_ingest.py``), as whole processes; the retrieval figures of each
backend next to the fp32 torch reference; cold commands as whole processes (time and peak
memory); warm offline pitch latency; hybrid query latency on synthetic 10k/100k-chunk indexes.
Ratios matter more than absolute times on these noisy 2-core machines.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # processes.py: the llama.cpp server helper

from assistant.core.config import Settings  # noqa: E402
from assistant.core.records import Chunk, DocMeta  # noqa: E402
from assistant.evals.retrieval import evaluate, load_questions  # noqa: E402
from assistant.index.embeddings import Embedder, make_embedder  # noqa: E402
from assistant.index.kb import KnowledgeBase  # noqa: E402
from assistant.ingest.pipeline import ingest  # noqa: E402
from assistant.jobs.pitch import PitchRequest  # noqa: E402
from assistant.retrieval.retriever import Retriever  # noqa: E402
from assistant.service import Pitchcraft  # noqa: E402
from assistant.writers.offline import OfflineWriter  # noqa: E402

CORPORA = ROOT.parent / "shared" / "corpora"
PY = sys.executable
CLI = str(Path(sys.executable).with_name("pitchcraft"))
PEER = ROOT / "bench" / "peer_ingest.py"
ENV = "PITCHCRAFT_EMBED_BACKEND"
BACKENDS = ("onnx", "int8", "torch")  # the default first; torch is the fp32 reference
QUALITY = ("hit5", "mrr10", "ans5")
ASK = ("What are the RPO and RTO?", "Which SSO protocols are supported?", "How is data encrypted?")
PITCH = ("cio", "cfo", "cmo")
OBJECTION = ("It is too expensive for us", "We already have a tool for this", "Security is a worry")
RESULTS: dict[str, object] = {}


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def row(label: str, value: str, target: str = "") -> None:
    print(f"  {label:<52} {value:>14}  {target}")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- whole processes ---------------------------------------------------------------------------


# A small parent for each measured process: the child's peak RSS must not count the pages of
# the process that forked it (the kernel carries those over exec), so a 10 MB wrapper forks it.
WRAPPER = """
import os, sys, time
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
print(f"BENCH {time.perf_counter() - start} {usage.ru_maxrss}", file=sys.stderr)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_process(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one whole process, which must succeed."""
    proc = subprocess.run(
        [PY, "-c", WRAPPER, *cmd],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, **(env or {})},
        text=True,
        errors="replace",
    )
    if proc.returncode not in (0, 1):  # 1: ingest finished with a warning
        sys.exit(f"bench: {' '.join(cmd)} failed:\n{proc.stderr[-2000:]}")
    _, seconds, kb = proc.stderr.strip().splitlines()[-1].split()
    return float(seconds), int(kb) / 1024


def best_of(n: int, make: Callable[[int], tuple[list[str], dict[str, str]]]) -> tuple[float, float]:
    runs = [run_process(*make(i)) for i in range(n)]
    return min(t for t, _ in runs), max(m for _, m in runs)


def bench_ingest(work: Path, corpora: list[Path]) -> dict[str, dict[str, Path]]:
    """Full ingest, ours per backend and the common recipe, as whole processes, best of two.

    Returns the stores built: corpus name -> backend -> knowledge store folder.
    """
    stores: dict[str, dict[str, Path]] = {}
    for corpus in corpora:
        print(f"\nFull ingest of {corpus.name} (whole processes, best of two, same run)")
        peer_s, peer_mb = best_of(
            2, lambda i, c=corpus: ([PY, str(PEER), str(c), str(work / f"peer-{c.name}-{i}")], {})
        )
        row("common recipe (LangChain 1000/200, HF embeddings, Chroma)", f"{peer_s:.1f} s",
            f"{peer_mb:.0f} MB")  # fmt: skip
        result = {"peer_s": round(peer_s, 2), "peer_peak_mb": round(peer_mb)}
        stores[corpus.name] = {}
        for backend in BACKENDS:

            def make(i: int, c: Path = corpus, b: str = backend) -> tuple[list[str], dict]:
                kb = work / f"kb-{c.name}-{b}-{i}"
                return [CLI, "--kb", str(kb), "ingest", "--quiet", str(c)], {ENV: b}

            runs = 1 if backend == "torch" else 2  # torch: the reference vectors, timed once
            ours_s, ours_mb = best_of(runs, make)
            stores[corpus.name][backend] = work / f"kb-{corpus.name}-{backend}-0"
            target = "target <= 0.5" if backend == "onnx" else ""
            row(f"pitchcraft ingest, {backend}", f"{ours_s:.1f} s", f"{ours_mb:.0f} MB")
            row(f"  ours / common recipe ({backend})", f"{ours_s / peer_s:.2f}", target)
            result[f"{backend}_s"] = round(ours_s, 2)
            result[f"{backend}_peak_mb"] = round(ours_mb)
            result[f"{backend}_over_peer"] = round(ours_s / peer_s, 3)
        store = stores[corpus.name]["onnx"]
        resync_s, _ = run_process([CLI, "--kb", str(store), "ingest", "--quiet", str(corpus)])
        row("unchanged re-sync (whole process)", f"{resync_s:.2f} s")
        result["resync_s"] = round(resync_s, 2)
        RESULTS[f"ingest_{corpus.name}"] = result
    return stores


def bench_quality(corpora: list[Path], stores: dict[str, dict[str, Path]]) -> None:
    """Hybrid retrieval figures of each backend next to the fp32 torch reference."""
    print("\nRetrieval per backend (hybrid; the eval command's questions)")
    for corpus in corpora:
        questions = load_questions(corpus / "questions.jsonl")
        figures = {}
        for backend in BACKENDS:
            settings = Settings(kb=stores[corpus.name][backend], embed_backend=backend)
            kb = KnowledgeBase(settings)
            report = evaluate(kb, Retriever(kb), questions, modes=("hybrid",))
            figures[backend] = report.scores["hybrid"]
        ref = figures["torch"]
        for backend in BACKENDS:
            f = figures[backend]
            worst = max(abs(getattr(f, m) - getattr(ref, m)) for m in QUALITY)
            shown = "  ".join(f"{m} {getattr(f, m):.3f}" for m in QUALITY)
            mark = "reference" if backend == "torch" else f"max |diff| {worst:.3f} (target <= 0.01)"
            row(f"{corpus.name} {backend}", shown, mark)
            RESULTS[f"quality_{corpus.name}_{backend}"] = {
                **{m: round(getattr(f, m), 3) for m in QUALITY},
                "max_abs_diff_vs_torch": round(worst, 3),
            }


def bench_cold(stores: dict[str, dict[str, Path]], corpus: Path) -> None:
    """Cold commands as whole processes on a warm file cache: median of five, peak memory."""
    question = load_questions(corpus / "questions.jsonl")[0].question
    print(f"\nCold command line on {corpus.name} (whole process, median of 5, warm file cache)")
    jobs = {
        "ask": ["ask", question],
        "objection": ["objection", "It is too expensive for us"],
        "pitch": ["pitch", "--persona", "cto"],
        "quiz": ["quiz"],
    }
    for backend in ("onnx", "torch"):
        kb = str(stores[corpus.name]["onnx"])  # fp32 vectors: both backends may query them
        for name, args in jobs.items():
            if backend == "torch" and name != "ask":
                continue
            cmd = [CLI, "--kb", kb, *args]
            run_process(cmd, {ENV: backend})  # warm the file cache
            runs = [run_process(cmd, {ENV: backend}) for _ in range(5)]
            median_s = statistics.median(t for t, _ in runs)
            peak = max(m for _, m in runs)
            target = "target <= 2.0 s, <= 350 MB" if (name, backend) == ("ask", "onnx") else ""
            row(f"cold {name} ({backend})", f"{median_s:.2f} s  {peak:.0f} MB", target)
            RESULTS[f"cold_{name}_{backend}"] = {"median_s": round(median_s, 2), "peak_mb": peak}


# -- retrieval at scale -----------------------------------------------------------------------


def synthetic_kb(work: Path, base: KnowledgeBase, embedder: Embedder, size: int) -> KnowledgeBase:
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


def bench_scale(work: Path, base: KnowledgeBase, embedder: Embedder, sizes: list[int]) -> None:
    questions = [q.question for q in load_questions(CORPORA / "posthog" / "questions.jsonl")]
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


def bench_real_model(work: Path, embedder: Embedder, runs: int) -> None:
    """The LLM writer against llama.cpp serving SmolLM2-135M: per job, the share of answers
    that passed verification, the median time, and how often the offline composer took over."""
    from processes import LLAMA_MODEL, start_llama_server, stop

    from assistant.jobs.objection import ObjectionRequest
    from assistant.writers.llm import LLMWriter
    from assistant.writers.prompts import Prompts

    try:
        proc, base = start_llama_server(work / "llama.log")
    except RuntimeError as exc:
        print(f"\nReal model: skipped ({exc})")
        return
    try:
        settings = Settings(
            kb=work / "kb-knowledge", openai_base_url=base, model=LLAMA_MODEL,
            llm_max_output_tokens=400,
        )  # fmt: skip
        kb = KnowledgeBase(settings, embedder)
        app = Pitchcraft(kb, LLMWriter(settings, Prompts(settings.prompts_dir)))
        jobs: dict[str, list[Callable[[], object]]] = {
            "ask": [lambda q=q: app.ask(q) for q in ASK],
            "pitch": [lambda p=p: app.pitch(PitchRequest(p, "Regional bank")) for p in PITCH],
            "objection": [lambda o=o: app.objection(ObjectionRequest(o)) for o in OBJECTION],
        }
        print(f"\nLLM writer on llama.cpp + SmolLM2-135M ({runs} runs per job, knowledge/)")
        for name, calls in jobs.items():
            times, passed = [], 0
            for i in range(runs):
                seconds, result = timed(calls[i % len(calls)])
                times.append(seconds)
                passed += result.writer == f"llm:{LLAMA_MODEL}"  # type: ignore[attr-defined]
            median = statistics.median(times)
            row(f"{name}: passed verification / fell back", f"{passed}/{runs - passed}",
                f"median {median:.1f} s")  # fmt: skip
            RESULTS[f"real_model_{name}"] = {
                "runs": runs,
                "passed_share": round(passed / runs, 3),
                "fallback_rate": round(1 - passed / runs, 3),
                "median_s": round(median, 1),
            }
    finally:
        stop(proc)


def bench_pitch(work: Path, embedder: Embedder) -> None:
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
    parser.add_argument("--llm-runs", type=int, default=6, help="runs per job on the real model")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "latest.json")
    args = parser.parse_args()
    corpora = sorted(p for p in CORPORA.glob("*") if (p / "questions.jsonl").exists())
    if not corpora:
        sys.exit(f"bench needs the development corpora in {CORPORA}")
    with tempfile.TemporaryDirectory(prefix="pitchcraft-bench-") as tmp:
        work = Path(tmp)
        build_s, _ = timed(lambda: make_embedder(Settings(embed_backend="int8")).embed(["x"]))
        print(f"ONNX export and int8 build (once per model; cached): {build_s:.1f} s")
        stores = bench_ingest(work, corpora)
        bench_quality(corpora, stores)
        bench_cold(stores, corpora[0])
        embedder = make_embedder(Settings())
        base = KnowledgeBase(Settings(kb=stores[corpora[0].name]["onnx"]), embedder)
        bench_pitch(work, embedder)
        bench_real_model(work, embedder, args.llm_runs)
        bench_scale(work, base, embedder, [int(s) for s in args.sizes.split(",") if s])
    print(f"\nPeak memory of this process (max RSS): {peak_rss_mb():.0f} MB")
    RESULTS["peak_rss_mb"] = round(peak_rss_mb())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(RESULTS, indent=2))
    print(f"results: {args.out}")


if __name__ == "__main__":
    main()
