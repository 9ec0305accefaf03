"""Meaning vectors at scale: embedding throughput, memory per process, and vectors for the search
benchmark's large databases.

Not a timed test: figures go into docs/benchmarks.md ("Search by meaning").

    .venv/bin/python bench/vectors.py throughput --passages 300
    .venv/bin/python bench/vectors.py fill --database sqlite:////tmp/cac-bench-100000.sqlite3
    .venv/bin/python bench/vectors.py memory --database sqlite:////tmp/cac-bench-100000.sqlite3
    .venv/bin/python bench/vectors.py recall --database sqlite:////tmp/cac-bench-100000.sqlite3

`throughput` embeds synthetic passages (title + summary + measure names, as the index does) with
the bundled model on one thread and reports passages per second, hence the time to embed N cases.

`fill` gives every page of a database built by bench/search.py a vector without spending hours
of CPU: it embeds a sample of the pages for real (`--sample`, default 400) and gives each other
page the vector of a sampled page of its language plus noise (re-normalised, int8). The search
costs the same whatever the vectors hold (a full matrix product per language, then the SQL over
at most 80 candidates), so the timings of bench/search.py then include meaning search at full
size; relevance is measured by bench/relevance.py on real vectors.

`memory` loads the vectors as a gunicorn worker does and reports the memory they add (RSS before
and after, and the matrices' own size) and the load time.

`recall` loads the vectors, waits for the HNSW graphs (search/vectors.py: pools of at least
`--approximate-from` rows, default the setting) and asks both searches for the 40 nearest pages
of a sample of stored vectors (`--sample`): recall@40 of the graph against the exact search per
language, and milliseconds per query of each.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def setup_django(database_url: str | None) -> None:
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cac_platform.settings.dev")
    import django

    django.setup()


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def throughput(passages: int) -> None:
    from bench import synthetic
    from search import embeddings

    texts = synthetic.sample_passages(passages)
    embedder = embeddings.get_embedder()
    embedder.embed_passages(texts[:4])  # first-use cost out of the timing
    started = time.perf_counter()
    for start in range(0, len(texts), 32):
        embedder.embed_passages(texts[start : start + 32])
    elapsed = time.perf_counter() - started
    rate = len(texts) / elapsed
    chars = sum(len(t) for t in texts) / len(texts)
    print(
        f"{len(texts)} passages (mean {chars:.0f} characters) in {elapsed:.1f} s: {rate:.1f}/s on one thread"
    )
    for n in (10_000, 100_000, 200_000):
        print(f"  {n:,} pages: {n / rate / 60:.0f} min on one core")
    queries = [
        "mask distribution",
        "마스크 배부",
        "how did cities protect older people living alone",
        "x" * 500,
    ]
    for query in queries:
        embeddings.reset()
        embeddings.get_embedder()
        started = time.perf_counter()
        for _ in range(10):
            embeddings.get_embedder().embed_queries([query[: embeddings.MAX_QUERY_CHARS]])
        print(f"  query of {len(query)} characters: {(time.perf_counter() - started) * 100:.1f} ms")


def fill(sample: int, seed: int) -> None:
    import numpy as np

    from django.db import transaction
    from django.db.models import F

    from search import embeddings, vectors
    from search.documents import build_documents
    from search.models import SearchDocument, SearchVector

    rng = np.random.default_rng(seed)
    model = embeddings.model_name()
    rows = list(
        SearchDocument.objects.filter(language=F("content_language"))
        .order_by("page_id")
        .values_list("page_id", "content_language", "embed_hash")
    )
    by_language: dict[str, list[tuple[int, str]]] = {}
    for page_id, language, digest in rows:
        by_language.setdefault(language, []).append((page_id, digest))
    started = time.perf_counter()
    SearchVector.objects.all().delete()
    for language, pages in by_language.items():
        picks = [pages[i] for i in rng.choice(len(pages), size=min(sample, len(pages)), replace=False)]
        t0 = time.perf_counter()
        documents = {
            d.page_id: d for d in build_documents([pk for pk, _d in picks]) if d.language == language
        }
        real = embeddings.embed_passages([vectors.embedding_text(documents[pk]) for pk, _d in picks])
        print(f"{language}: {len(picks)} real vectors in {time.perf_counter() - t0:.1f} s", flush=True)
        for start in range(0, len(pages), 5000):
            chunk = pages[start : start + 5000]
            base = real[rng.integers(0, len(real), size=len(chunk))]
            noisy = base + rng.normal(0, 0.02, size=base.shape).astype(np.float32)
            noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
            quantised = embeddings.quantise(noisy)
            with transaction.atomic():
                SearchVector.objects.bulk_create(
                    SearchVector(
                        page_id=pk,
                        language=language,
                        model=model,
                        text_hash=digest,
                        vector=row.tobytes(),
                        neighbours=[],
                    )
                    for (pk, digest), row in zip(chunk, quantised, strict=True)
                )
    print(
        f"{len(rows)} vectors written in {time.perf_counter() - started:.1f} s; backlog {vectors.backlog_count()}"
    )


def memory() -> None:
    import gc

    from search import embeddings, vectors

    embeddings.get_embedder()  # the model itself, loaded in any case by the first query
    gc.collect()
    before = rss_mb()
    started = time.perf_counter()
    index = vectors.get_index()
    index.refresh(embeddings.model_name(), force=True)
    load = time.perf_counter() - started
    gc.collect()
    after = rss_mb()
    print(
        f"{index.size()} vectors loaded in {load:.2f} s; matrices {index.memory_bytes() / 1e6:.1f} MB; "
        f"process RSS {before:.0f} -> {after:.0f} MB (+{after - before:.0f} MB)"
    )
    query = embeddings.embed_query("mask distribution")
    timings = []
    for _ in range(30):
        t0 = time.perf_counter()
        index.nearest(query, vectors.POOL_SIZE)
        timings.append((time.perf_counter() - t0) * 1000)
    timings.sort()
    print(f"nearest pages, every language: p50 {timings[15]:.1f} ms, p95 {timings[28]:.1f} ms")


def recall_report(index, k: int = 40, sample: int = 400, seed: int = 2020) -> dict[str, dict]:
    """Per language: the graph's source ("built", "restored", or "exact" without one), recall@k
    against the exact search, and ms per query of each, with stored vectors as queries."""
    import numpy as np

    rng = np.random.default_rng(seed)
    report: dict[str, dict] = {}
    for language, pool in index._pools.items():
        picks = rng.choice(len(pool.ids), size=min(sample, len(pool.ids)), replace=False)
        queries = [pool.matrix[i : i + 1] for i in picks]
        answers = {}
        for exact in (True, False):
            started = time.perf_counter()
            answers[exact] = [pool.nearest(query, k, exact=exact)[0] for query in queries]
            answers[exact, "ms"] = (time.perf_counter() - started) * 1000 / len(queries)
        found = sum(
            len({p for p, _s in approximate} & {p for p, _s in exact})
            for approximate, exact in zip(answers[False], answers[True], strict=True)
        )
        graph = pool.graph
        report[language] = {
            "rows": len(pool.ids),
            "graph": graph.source if graph is not None and graph.index is not None else "exact",
            "recall": found / max(1, sum(len(exact) for exact in answers[True])),
            "exact_ms": answers[True, "ms"],
            "approximate_ms": answers[False, "ms"],
        }
    return report


def recall(sample: int, seed: int, approximate_from: int | None) -> None:
    from django.conf import settings

    from search import embeddings, vectors

    if approximate_from is not None:
        settings.SEARCH_VECTOR_APPROXIMATE_FROM = approximate_from
    index = vectors.get_index()
    started = time.perf_counter()
    index.refresh(embeddings.model_name(), force=True)
    index.wait_for_graphs()
    print(f"{index.size()} vectors loaded, graphs ready in {time.perf_counter() - started:.1f} s")
    for language, row in recall_report(index, sample=sample, seed=seed).items():
        print(
            f"{language}: {row['rows']} rows, graph {row['graph']}: recall@40 {row['recall']:.3f}; "
            f"exact {row['exact_ms']:.2f} ms, approximate {row['approximate_ms']:.2f} ms per query"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["throughput", "fill", "memory", "recall"])
    parser.add_argument("--database", help="DATABASE_URL of the database (default: the dev database)")
    parser.add_argument("--passages", type=int, default=300)
    parser.add_argument("--sample", type=int, default=400)
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--approximate-from", type=int, help="graph for pools of this many rows (recall)")
    args = parser.parse_args()
    setup_django(args.database)
    if args.command == "throughput":
        throughput(args.passages)
    elif args.command == "fill":
        fill(args.sample, args.seed)
    elif args.command == "recall":
        recall(args.sample, args.seed, args.approximate_from)
    else:
        memory()


if __name__ == "__main__":
    main()
