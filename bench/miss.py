"""The cost of a page-cache miss, per request, in one process: case pages and search pages.

Not a timed test: figures go into docs/benchmarks.md ("## Load") by hand.

    .venv/bin/python bench/miss.py --database cheapmiss                 # every kind, 40 URLs each
    .venv/bin/python bench/miss.py --database cheapmiss --kinds case-en --profile

Uses a PostgreSQL database prepared by `bench/load.py --database NAME --prepare-only` (the demo
plus synthetic bilingual cases; its static files, collected there, are used here), under the
production settings as bench/load.py serves them, but with the page cache off and in this one
process: each URL is requested once through Django's test client (middleware included, no
network), after a few warm-up requests of other URLs, so every request is a first visit of its
URL and nothing it computes is memoised for the next one. Prints, per kind of page: the number
of SQL queries (median and maximum), the time PostgreSQL took for them (as the client saw it),
the CPU time of this process (median and 90th percentile; of which rendering templates, their
tags' queries included) and the wall time per request.

Kinds: case-en, case-ko (case pages, newest first), search-en, search-ko (search pages with
words, an area and a continent, as bench/locustfile.py asks them), search-words (words only).
`--page-cache` turns the Redis page cache on (db 11 unless MISS_CACHE_URL says otherwise; every
request is still a miss). `--profile` runs the kinds under cProfile and prints the functions by cumulative and own time.
"""

from __future__ import annotations

import argparse
import ast
import cProfile
import itertools
import os
import pstats
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # before bench/: bench/search.py is not the search app

PG = "postgres://postgres@127.0.0.1:5432"


def setup_django(database: str, page_cache: bool = False) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="cac_platform.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL=f"{PG}/{database}",
        CONN_MAX_AGE="60",
        CACHE_URL=os.environ.get("MISS_CACHE_URL", "redis://127.0.0.1:6379/11"),
        PAGE_CACHE_SECONDS="300" if page_cache else "0",
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        SECURE_SSL_REDIRECT="false",
        STATIC_ROOT=str(Path(tempfile.gettempdir()) / f"cac-load-static-{database}"),
        LOG_LEVEL="WARNING",
        RATE_LIMIT_SEARCH="1000000/m",
        RATE_LIMIT_SUGGEST="1000000/m",
        RATE_LIMIT_API="1000000/m",
        RATE_LIMIT_EXPORT="1000000/m",
    )
    import django

    django.setup()


def locust_lists() -> dict[str, list[str]]:
    """QUERIES, AREAS and CONTINENTS as bench/locustfile.py has them (read, not imported: locust
    patches threading when imported, which Django's connections refuse)."""
    tree = ast.parse((ROOT / "bench" / "locustfile.py").read_text())
    return {
        node.targets[0].id: ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign)
        and getattr(node.targets[0], "id", "") in ("QUERIES", "AREAS", "CONTINENTS")
    }


def urls(kind: str, count: int) -> list[str]:
    lists = locust_lists()
    AREAS, CONTINENTS, QUERIES = lists["AREAS"], lists["CONTINENTS"], lists["QUERIES"]  # noqa: N806
    from casestudies.models import CaseStudyPage
    from casestudies.visibility import public_now

    if kind.startswith("case-"):
        language = kind.split("-")[1]
        pages = public_now(CaseStudyPage.objects.filter(locale__language_code=language)).order_by(
            "-start_date", "-pk"
        )
        return [page.url for page in pages[: count + 5]]
    if kind == "search-words":
        words = [q for q in QUERIES if q[0] < "\uac00"] + [
            "school meals",
            "vaccination",
            "quarantine hotel",
            "drive-through",
            "online classes",
            "rent relief",
            "subway",
            "mask distribution",
        ]
        return [f"/en/search/?q={q}&page={n}" for n in (1, 2, 3, 4, 5) for q in words][: count + 5]
    language = kind.split("-")[1]
    queries = [q for q in QUERIES if (q[0] >= "\uac00") == (language == "ko")]
    if language == "ko":
        queries += ["마스크", "학교", "방역", "교통"]
    combos = itertools.product(queries, AREAS, CONTINENTS)
    return [f"/{language}/search/?q={q}&area={a}&continent={c}" for q, a, c in combos][: count + 5]


class TemplateClock:
    """CPU time spent rendering templates (TemplateResponse.rendered_content, nested tags and
    includes included), summed until reset."""

    cpu = 0.0

    @classmethod
    def install(cls) -> None:
        from django.template.response import SimpleTemplateResponse

        original = SimpleTemplateResponse.rendered_content

        def timed(response):
            started = time.process_time()
            try:
                return original.fget(response)
            finally:
                cls.cpu += time.process_time() - started

        SimpleTemplateResponse.rendered_content = property(timed)


def measure(kind: str, count: int, profile: cProfile.Profile | None) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    todo = urls(kind, count)
    for url in todo[:5]:  # warm-up: templates, imports, the vectors
        assert client.get(url).status_code == 200, url
    rows = []
    for url in todo[5:]:
        TemplateClock.cpu = 0.0
        with CaptureQueriesContext(connection) as queries:
            wall, cpu = time.perf_counter(), time.process_time()
            if profile:
                profile.enable()
            response = client.get(url)
            if profile:
                profile.disable()
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        assert response.status_code == 200, (url, response.status_code)
        db = sum(float(q["time"]) for q in queries.captured_queries)
        rows.append(
            {
                "queries": len(queries),
                "db": db * 1000,
                "cpu": cpu * 1000,
                "templates": TemplateClock.cpu * 1000,
                "wall": wall * 1000,
            }
        )
    return {
        "kind": kind,
        "n": len(rows),
        "queries": statistics.median(r["queries"] for r in rows),
        "queries_max": max(r["queries"] for r in rows),
        "db": statistics.median(r["db"] for r in rows),
        "cpu": statistics.median(r["cpu"] for r in rows),
        "cpu_p90": statistics.quantiles([r["cpu"] for r in rows], n=10)[-1],
        "templates": statistics.median(r["templates"] for r in rows),
        "wall": statistics.median(r["wall"] for r in rows),
        "wall_p90": statistics.quantiles([r["wall"] for r in rows], n=10)[-1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", default="cac_load")
    parser.add_argument("--count", type=int, default=40, help="URLs measured per kind")
    parser.add_argument(
        "--kinds", nargs="+", default=["case-en", "case-ko", "search-en", "search-ko", "search-words"]
    )
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--page-cache",
        action="store_true",
        help="with the Redis page cache on, as served (every URL is still a miss: each is asked once; "
        "the miss then also reads the content generation and stores the page); the cache's Redis "
        "database is emptied first",
    )
    parser.add_argument("--top", type=int, default=45)
    options = parser.parse_args()
    setup_django(options.database, options.page_cache)
    if options.page_cache:
        from django.core.cache import caches

        caches["pages"].clear()
    profile = cProfile.Profile() if options.profile else None
    print(f"load average: {os.getloadavg()[0]:.2f}; page cache {'on' if options.page_cache else 'off'}")
    TemplateClock.install()
    print(
        "| page | URLs | queries (median / max) | SQL ms | CPU ms (median / p90) | of which templates "
        "| wall ms (median / p90) |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for kind in options.kinds:
        r = measure(kind, options.count, profile)
        print(
            f"| {r['kind']} | {r['n']} | {r['queries']:.0f} / {r['queries_max']} | {r['db']:.1f} "
            f"| {r['cpu']:.1f} / {r['cpu_p90']:.1f} | {r['templates']:.1f} | {r['wall']:.1f} / {r['wall_p90']:.1f} |",
            flush=True,
        )
    if profile:
        stats = pstats.Stats(profile)
        stats.sort_stats("cumulative").print_stats(options.top)
        stats.sort_stats("tottime").print_stats(options.top)


if __name__ == "__main__":
    main()
