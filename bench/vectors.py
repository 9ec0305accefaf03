"""Meaning vectors at scale: embedding throughput, memory per process, and vectors for the search
benchmark's large databases.

Not a timed test: figures go into docs/benchmarks.md ("Search by meaning").

    .venv/bin/python bench/vectors.py throughput --passages 300
    .venv/bin/python bench/vectors.py fill --database sqlite:////tmp/cac-bench-100000.sqlite3
    .venv/bin/python bench/vectors.py memory --database sqlite:////tmp/cac-bench-100000.sqlite3

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["throughput", "fill", "memory"])
    parser.add_argument("--database", help="DATABASE_URL of the database (default: the dev database)")
    parser.add_argument("--passages", type=int, default=300)
    parser.add_argument("--sample", type=int, default=400)
    parser.add_argument("--seed", type=int, default=2020)
    args = parser.parse_args()
    setup_django(args.database)
    if args.command == "throughput":
        throughput(args.passages)
    elif args.command == "fill":
        fill(args.sample, args.seed)
    else:
        memory()


if __name__ == "__main__":
    main()
