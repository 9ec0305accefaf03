"""Search benchmark: the search service against plain Wagtail and the raw SQLite FTS5 floor.

Not a timed test: a measurement whose figures go into docs/benchmarks.md ("## Search").

    .venv/bin/python bench/search.py                          # 1,000 and 10,000 cases, SQLite
    .venv/bin/python bench/search.py --sizes 100000           # 100,000 cases (about an hour)
    .venv/bin/python bench/search.py --sizes 1000 --postgres  # SQLite, then PostgreSQL (cac_bench)
    .venv/bin/python bench/search.py --sizes 100000 --reuse   # measure again, no rebuild

A size N means N bilingual cases: 2N live pages (English and its Korean translation), so each
language's searches run over N documents. For each size and database the script runs a worker
process (settings `cac_platform.settings.dev`, `DATABASE_URL` pointing at a separate database:
`/tmp/cac-bench-<N>.sqlite3`, or the PostgreSQL database `cac_bench` at 127.0.0.1:5432, user
postgres, dropped and created) that

1. migrates, then inserts the cases in bulk (`bench/synthetic.py`: ~300 words per case and
   language from a Zipf-like vocabulary, 10 policy areas, 6 continents, 62 cities, the curated
   measure types, start dates in 2020–2021, planted query words);
2. builds the platform's search index through `search.service.rebuild` — (f) indexing
   throughput — and, timed apart, Wagtail's own index (modelsearch `add_items`, as
   `update_index` does) for the baseline; and a standalone FTS5 table of the same analysed text
   (python sqlite3, no Django) for the floor;
3. times, per class, `--warmups` untimed runs then `--runs` timed runs per language (queries
   of the class taken in turn, English and Korean alternating):
   (a) a 2-word query matching ~10 % with every facet count (`search.service.search`, page 1);
   (b) a rare 2-word query (~1 %); (c) a query matching nearly every case; (d) browsing with
   two filters and no words; (e) suggestions for a 3-letter prefix (`search.service.suggest`);
   the baseline — `CaseStudyPage.objects.live().filter(locale=…).search(q)` page 1 plus one ORM
   count per facet value (every area, continent, country, measure type and year), `.autocomplete`
   for (e), plain ORM filters for (d) — within `--baseline-budget` seconds per class (at least
   3 runs); and the floor: one bm25-ranked FTS5 `MATCH … LIMIT 20` (LIMIT 8 on a prefix
   table for (e)).

Elasticsearch is measured too when ELASTICSEARCH_URL is set (through the same service).
`--profile a` prints a cProfile of one class; `--explain` the SQLite query plans.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import synthetic  # noqa: E402

PG_URL = "postgres://postgres@127.0.0.1:5432/cac_bench"
CLASSES = ("a", "b", "c", "d", "e")
CLASS_LABELS = {
    "a": "(a) 2-word query, ~10 %, all facets",
    "b": "(b) rare query, ~1 %",
    "c": "(c) query matching ~all",
    "d": "(d) browse, two filters",
    "e": "(e) suggest, 3-letter prefix",
    "f": "(f) indexing",
}
TARGETS_MS = {"a": 100, "b": 30, "c": 600, "d": 100, "e": 30}  # p95 at 100,000 cases, SQLite
BROWSE = (  # (d): two filters each
    {"area": ("quarantine",), "continent": ("europe",)},
    {"measure": ("testing",), "year": (2021,)},
    {"area": ("education",), "country": ("KR",)},
)
SUGGEST = {"en": ("dri", "vac", "con"), "ko": ("선별진", "드라이", "자가격")}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def stats(samples: list[float]) -> dict:
    """p50/p95 (nearest rank) in milliseconds."""
    if not samples:
        return {"n": 0}
    ordered = sorted(samples)
    p95 = ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]
    return {
        "n": len(ordered),
        "p50": statistics.median(ordered) * 1000,
        "p95": p95 * 1000,
        "max": ordered[-1] * 1000,
    }


def prepare_vectors(result: dict) -> None:
    """With meaning search on, load the vectors and wait for their HNSW graphs (built in the
    background, or restored from the cache directory) before anything is timed: a running
    server has them ready after its first minute; a benchmark must not time the exact fallback."""
    from search import embeddings, vectors

    if not embeddings.semantic_enabled():
        result["vectors"] = "off"
        return
    t0 = time.perf_counter()
    index = vectors.get_index()
    index.refresh(embeddings.model_name(), force=True)
    index.wait_for_graphs()
    sources = index.graph_sources()
    result["vectors"] = {
        "rows": index.size(),
        "ready_s": round(time.perf_counter() - t0, 1),
        "graphs": sources,
    }
    log(f"vectors: {index.size()} rows, graphs {sources or 'none'} ready in {result['vectors']['ready_s']} s")


def run_timed(calls: list[tuple[str, object]], runs: int, warmups: int, budget: float | None = None) -> dict:
    """Run `calls` ((language, fn) pairs, taken in turn): `warmups` untimed rounds, then up to
    `runs` timed calls per language (stopping early once `budget` seconds are spent and every
    language has at least 3 samples)."""
    languages = sorted({lang for lang, _fn in calls})
    for k in range(warmups * len(languages)):
        calls[k % len(calls)][1]()
        if budget is not None and k >= len(languages) - 1:
            break  # the baseline warms up once per language
    samples: dict[str, list[float]] = {lang: [] for lang in languages}
    estimated = timed_out = False
    started = time.perf_counter()
    total = runs * len(languages)
    for k in range(total):
        lang, fn = calls[k % len(calls)]
        t0 = time.perf_counter()
        out = fn()
        elapsed = time.perf_counter() - t0
        if isinstance(out, dict) and "elapsed" in out:  # the baseline times (or estimates) itself
            elapsed = out["elapsed"]
            estimated = estimated or out.get("estimated", False)
            timed_out = timed_out or out.get("timed_out", False)
        samples[lang].append(elapsed)
        over_budget = budget is not None and time.perf_counter() - started > budget
        if over_budget and all(len(s) >= 3 for s in samples.values()):
            break
    pooled = [s for lang in languages for s in samples[lang]]
    figures = {"all": stats(pooled), **{lang: stats(samples[lang]) for lang in languages}}
    if estimated:
        figures["estimated"] = True
    if timed_out:
        figures["timed_out"] = True
    return figures


# =============================================================================================
# Worker: one size, one database
# =============================================================================================
def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cac_platform.settings.dev")
    os.environ["DEBUG"] = "0"  # no query log
    os.environ.setdefault("LOG_LEVEL", "WARNING")  # no "Page created" lines
    import django

    django.setup()


def code_version() -> str:
    """The commit measured, and whether search/ had uncommitted changes (it is being worked on)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        )
        dirty = subprocess.run(
            ["git", "status", "--short", "search/"], cwd=ROOT, capture_output=True, text=True
        )
        return head.stdout.strip() + (" + uncommitted search/ changes" if dirty.stdout.strip() else "")
    except OSError:
        return "?"


def db_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT sqlite_version()")
            return f"SQLite {cursor.fetchone()[0]}"
        cursor.execute("SHOW server_version")
        return f"PostgreSQL {cursor.fetchone()[0]}"


def build(n: int, seed: int) -> dict:
    """Migrate, insert the cases, build the three indexes; returns the timings."""
    from django.core.management import call_command
    from django.db import connection

    timings: dict[str, float | int] = {}
    t0 = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    timings["migrate_s"] = time.perf_counter() - t0
    log(f"migrated in {timings['migrate_s']:.1f} s; inserting {n} cases ({2 * n} pages)")

    last = [0.0]

    def insert_progress(done: int, total: int) -> None:
        if time.perf_counter() - last[0] > 30 or done == total:
            last[0] = time.perf_counter()
            log(f"  inserted {done}/{total} pages")

    t0 = time.perf_counter()
    pages = synthetic.bulk_insert_cases(n, seed=seed, progress=insert_progress)
    timings["insert_s"] = time.perf_counter() - t0
    timings["pages"] = pages
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    log(f"inserted {pages} pages in {timings['insert_s']:.1f} s; rebuilding the search index")

    from search import service

    def index_progress(done: int, total: int) -> None:
        if time.perf_counter() - last[0] > 60 or done == total:
            last[0] = time.perf_counter()
            log(f"  indexed {done}/{total}")

    t0 = time.perf_counter()
    counts = service.rebuild(progress=index_progress, backends="database")
    timings["index_s"] = time.perf_counter() - t0
    timings["index_docs"] = counts.get("database", 0)
    log(f"search index: {timings['index_docs']} documents in {timings['index_s']:.1f} s")

    other = service.get_backend()
    if other is not service.get_database_backend():
        t0 = time.perf_counter()
        timings["es_index_docs"] = other.rebuild()
        timings["es_index_s"] = time.perf_counter() - t0
        log(f"{other.name} index: {timings['es_index_docs']} documents in {timings['es_index_s']:.1f} s")
    return timings


def build_wagtail_index(chunk_size: int = 1000) -> int:
    """Wagtail's own search index for the case pages, as `update_index` fills it (add_items)."""
    from wagtail.search.backends import get_search_backend

    from casestudies.models import CaseStudyPage

    backend = get_search_backend()
    index = backend.get_index_for_model(CaseStudyPage)
    index.add_model(CaseStudyPage)
    queryset = CaseStudyPage.get_indexed_objects().order_by("pk")
    done, last_pk = 0, 0
    while True:
        chunk = list(queryset.filter(pk__gt=last_pk)[:chunk_size])
        if not chunk:
            break
        index.add_items(CaseStudyPage, chunk)
        done += len(chunk)
        last_pk = chunk[-1].pk
    return done


def build_floor(path: Path) -> dict:
    """A standalone SQLite file with the same analysed text in plain FTS5 tables (per language)."""
    from search.models import SearchDocumentText

    if path.exists():
        path.unlink()
    t0 = time.perf_counter()
    db = sqlite3.connect(path)
    for lang in ("en", "ko"):
        db.execute(f"CREATE VIRTUAL TABLE fts_{lang} USING fts5(title, body, tokenize='unicode61')")
        db.execute(
            f"CREATE VIRTUAL TABLE prefix_{lang} USING fts5(prefix, tokenize='unicode61', prefix='1 2 3')"
        )
    rows = (
        SearchDocumentText.objects.select_related(None)
        .values_list("document_id", "document__language", "index_title", "index_body", "index_prefix")
        .order_by("document_id")
    )
    docs = 0
    batch: dict[str, list] = {"en": [], "ko": []}
    for doc_id, lang, title, body, prefix in rows.iterator(chunk_size=2000):
        batch[lang].append((doc_id, title, body, prefix))
        docs += 1
        if len(batch[lang]) >= 2000:
            _floor_insert(db, lang, batch[lang])
            batch[lang] = []
    for lang, items in batch.items():
        _floor_insert(db, lang, items)
    for lang in ("en", "ko"):
        db.execute(f"INSERT INTO fts_{lang}(fts_{lang}) VALUES ('optimize')")  # noqa: S608
        db.execute(f"INSERT INTO prefix_{lang}(prefix_{lang}) VALUES ('optimize')")  # noqa: S608
    db.commit()
    db.close()
    return {"floor_build_s": time.perf_counter() - t0, "floor_docs": docs}


def _floor_insert(db, lang: str, items: list) -> None:
    db.executemany(f"INSERT INTO fts_{lang}(rowid, title, body) VALUES (?, ?, ?)", [i[:3] for i in items])  # noqa: S608
    db.executemany(f"INSERT INTO prefix_{lang}(rowid, prefix) VALUES (?, ?)", [(i[0], i[3]) for i in items])  # noqa: S608


def fts5_match(tokens: list[str], prefix: bool = False) -> str:
    return " ".join('"' + t.replace('"', '""') + '"' + (" *" if prefix else "") for t in tokens)


class Scenario:
    """The queries of each class, for the service, the baseline and the floor."""

    def __init__(self, floor_path: Path, limit: float = 300.0):
        from wagtail.models import Locale

        from casestudies.models import CaseStudyPage, City, MeasureType, PolicyArea
        from search.analysis import analyze_query, prefix_tokens

        self.CaseStudyPage = CaseStudyPage
        self.limit = limit
        self.locales = {loc.language_code: loc for loc in Locale.objects.all()}
        self.floor = sqlite3.connect(floor_path, check_same_thread=False)
        self.queries = {
            "a": [p for p in synthetic.PLANTED if p.name.startswith("a")],
            "b": [p for p in synthetic.PLANTED if p.name.startswith("b")],
            "c": [p for p in synthetic.PLANTED if p.name.startswith("c")],
        }
        self.tokens = {
            (p.name, lang): analyze_query(getattr(p, lang), lang)
            for ps in self.queries.values()
            for p in ps
            for lang in ("en", "ko")
        }
        self.prefixes = {
            (lang, text): prefix_tokens(text, lang).prefix or text
            for lang in SUGGEST
            for text in SUGGEST[lang]
        }
        # Facet values a naive site would count: every value of every facet.
        self.area_slugs = sorted(set(PolicyArea.objects.values_list("slug", flat=True)))
        self.measure_slugs = sorted(MeasureType.objects.values_list("slug", flat=True))
        cities = list(City.objects.values_list("pk", "country", "continent"))
        self.by_continent: dict[str, list[int]] = {}
        self.by_country: dict[str, list[int]] = {}
        for pk, country, continent in cities:
            self.by_continent.setdefault(continent, []).append(pk)
            self.by_country.setdefault(str(country), []).append(pk)
        self.years = (2020, 2021)

    # --- the service ---------------------------------------------------------------------------
    def service_calls(self, cls: str, backend) -> list[tuple[str, object]]:
        from django.utils import translation

        from search import service
        from search.types import SearchRequest

        search = service.search if backend is None else backend.search
        calls = []
        if cls in ("a", "b", "c"):
            for p in self.queries[cls]:
                for lang in ("en", "ko"):
                    request = SearchRequest(language=lang, query=getattr(p, lang))
                    calls.append((lang, lambda r=request: search(r)))
        elif cls == "d":
            for filters in BROWSE:
                for lang in ("en", "ko"):
                    request = SearchRequest(language=lang, **filters)
                    calls.append((lang, lambda r=request: search(r)))
        else:
            suggest = service.suggest if backend is None else backend.suggest

            def suggest_in(lang, text):
                with translation.override(lang):
                    return suggest(lang, text)

            for k in range(3):
                for lang in ("en", "ko"):
                    text = SUGGEST[lang][k]
                    calls.append((lang, lambda lang=lang, text=text: suggest_in(lang, text)))
        return calls

    def service_counts(self, cls: str, backend) -> dict[str, int]:
        """How many documents each query of the class matches (the share is what the class claims)."""
        from search import service
        from search.types import SearchRequest

        search = service.search if backend is None else backend.search
        counts = {}
        if cls in ("a", "b", "c"):
            for p in self.queries[cls]:
                for lang in ("en", "ko"):
                    counts[f"{lang}: {getattr(p, lang)}"] = search(
                        SearchRequest(language=lang, query=getattr(p, lang))
                    ).count
        elif cls == "d":
            for filters in BROWSE:
                for lang in ("en", "ko"):
                    label = " & ".join(f"{k}={v[0]}" for k, v in filters.items())
                    counts[f"{lang}: {label}"] = search(SearchRequest(language=lang, **filters)).count
        return counts

    # --- plain Wagtail ---------------------------------------------------------------------------
    def _base(self, lang: str):
        return self.CaseStudyPage.objects.live().filter(locale=self.locales[lang])

    def _value_filters(self):
        """(facet, value, queryset filter) for every facet value (as a naive site counts them)."""
        from datetime import date

        from django.db.models import Q

        through = self.CaseStudyPage.policy_areas.through
        from casestudies.models import TaggedCaseStudy

        out = []
        for slug in self.area_slugs:
            ids = through.objects.filter(policyarea__slug=slug).values("casestudypage_id")
            out.append(("area", slug, Q(id__in=ids)))
        for continent, cities in sorted(self.by_continent.items()):
            out.append(("continent", continent, Q(city__in=cities)))
        for country, cities in sorted(self.by_country.items()):
            out.append(("country", country, Q(city__in=cities)))
        for slug in self.measure_slugs:
            ids = TaggedCaseStudy.objects.filter(tag__slug=slug).values("content_object_id")
            out.append(("measure", slug, Q(id__in=ids)))
        for year in self.years:
            out.append(
                ("year", year, Q(start_date__gte=date(year, 1, 1), start_date__lt=date(year + 1, 1, 1)))
            )
        return out

    def _counted(self, queryset_for, started: float, sample: int | None) -> dict:
        """Time one count per facet value; with `sample`, only one value per facet (the
        `sample`-th, in turn) is counted and the time of the others is extrapolated per facet."""
        fixed = time.perf_counter() - started
        by_facet: dict[str, list] = {}
        for facet, _value, condition in self._value_filters():
            by_facet.setdefault(facet, []).append(condition)
        total = fixed
        for conditions in by_facet.values():
            chosen = conditions if sample is None else [conditions[sample % len(conditions)]]
            t0 = time.perf_counter()
            for condition in chosen:
                queryset_for(condition).count()
            spent = time.perf_counter() - t0
            total += spent * len(conditions) / len(chosen)
        return {"elapsed": total, "estimated": sample is not None}

    def _limited(self, fn) -> dict:
        """Run one baseline call, interrupting its SQL after `self.limit` seconds (the result is then
        a lower bound, marked `timed_out`): plain Wagtail's counts grow faster than linearly."""
        import threading

        from django.db import DatabaseError, connection

        connection.ensure_connection()
        raw = connection.connection
        stop = raw.interrupt if connection.vendor == "sqlite" else raw.cancel
        timer = threading.Timer(self.limit, stop)
        started = time.perf_counter()
        timer.start()
        try:
            return fn()
        except DatabaseError:
            return {"elapsed": time.perf_counter() - started, "estimated": True, "timed_out": True}
        finally:
            timer.cancel()

    def baseline_search(self, lang: str, q: str, sample: int | None = None) -> dict:
        def call():
            started = time.perf_counter()
            base = self._base(lang)
            list(base.search(q)[:20])
            count = base.search(q).count()
            out = self._counted(lambda condition: base.filter(condition).search(q), started, sample)
            return {**out, "count": count}

        return self._limited(call)

    def baseline_suggest(self, lang: str, text: str) -> dict:
        def call():
            started = time.perf_counter()
            list(self._base(lang).autocomplete(text)[:8])
            return {"elapsed": time.perf_counter() - started}

        return self._limited(call)

    def baseline_browse(self, lang: str, filters: dict, sample: int | None = None) -> dict:
        return self._limited(lambda: self._browse(lang, filters, sample))

    def _browse(self, lang: str, filters: dict, sample: int | None = None) -> dict:
        from django.db.models import Q

        from casestudies.models import TaggedCaseStudy

        started = time.perf_counter()
        base = self._base(lang)
        through = self.CaseStudyPage.policy_areas.through
        for facet, values in filters.items():
            if facet == "area":
                base = base.filter(
                    id__in=through.objects.filter(policyarea__slug__in=values).values("casestudypage_id")
                )
            elif facet == "measure":
                base = base.filter(
                    id__in=TaggedCaseStudy.objects.filter(tag__slug__in=values).values("content_object_id")
                )
            elif facet == "continent":
                base = base.filter(city__in=[c for v in values for c in self.by_continent.get(v, [])])
            elif facet == "country":
                base = base.filter(city__in=[c for v in values for c in self.by_country.get(v, [])])
            elif facet == "year":
                condition = Q()
                for year in values:
                    condition |= Q(start_date__gte=f"{year}-01-01", start_date__lt=f"{year + 1}-01-01")
                base = base.filter(condition)
        list(base.order_by("-start_date", "-pk")[:20])
        base.count()
        return self._counted(lambda condition: base.filter(condition), started, sample)

    def baseline_calls(self, cls: str, sample: bool = False) -> list[tuple[str, object]]:
        """The baseline's calls; with `sample`, each call counts one value per facet (in turn) and
        extrapolates the rest (for sizes where one full call takes minutes)."""
        calls = []
        turn = iter(range(10**9))
        if cls in ("a", "b", "c"):
            for p in self.queries[cls]:
                for lang in ("en", "ko"):
                    q = getattr(p, lang)
                    calls.append(
                        (
                            lang,
                            lambda lang=lang, q=q: self.baseline_search(
                                lang, q, next(turn) if sample else None
                            ),
                        )
                    )
        elif cls == "d":
            for filters in BROWSE:
                for lang in ("en", "ko"):
                    calls.append(
                        (
                            lang,
                            lambda lang=lang, f=filters: self.baseline_browse(
                                lang, f, next(turn) if sample else None
                            ),
                        )
                    )
        else:
            for k in range(3):
                for lang in ("en", "ko"):
                    text = SUGGEST[lang][k]
                    calls.append((lang, lambda lang=lang, text=text: self.baseline_suggest(lang, text)))
        return calls

    def baseline_probe(self, cls: str) -> dict[str, dict]:
        """One sampled call per language (the class's first query): {lang: {"elapsed", "count"}}."""
        calls = self.baseline_calls(cls, sample=True)
        return {lang: fn() for lang, fn in calls[:2]}

    def baseline_counts(self, cls: str) -> dict[str, int]:
        counts = {}
        if cls in ("a", "b", "c"):
            for p in self.queries[cls]:
                for lang in ("en", "ko"):
                    counts[f"{lang}: {getattr(p, lang)}"] = self._base(lang).search(getattr(p, lang)).count()
        return counts

    # --- the floor -------------------------------------------------------------------------------
    def floor_calls(self, cls: str) -> list[tuple[str, object]]:
        calls = []
        if cls in ("a", "b", "c"):
            for p in self.queries[cls]:
                for lang in ("en", "ko"):
                    sql = (
                        f"SELECT rowid, bm25(fts_{lang}, 4.0, 1.0) AS score FROM fts_{lang} "  # noqa: S608
                        f"WHERE fts_{lang} MATCH ? ORDER BY score LIMIT 20"
                    )
                    match = fts5_match(self.tokens[(p.name, lang)])
                    calls.append(
                        (lang, lambda sql=sql, match=match: self.floor.execute(sql, (match,)).fetchall())
                    )
        elif cls == "e":
            for k in range(3):
                for lang in ("en", "ko"):
                    prefix = self.prefixes[(lang, SUGGEST[lang][k])]
                    sql = f"SELECT rowid FROM prefix_{lang} WHERE prefix_{lang} MATCH ? ORDER BY rank LIMIT 8"  # noqa: S608
                    match = fts5_match([prefix], prefix=True)
                    calls.append(
                        (lang, lambda sql=sql, match=match: self.floor.execute(sql, (match,)).fetchall())
                    )
        return calls


def explain(scenario: Scenario) -> None:
    """EXPLAIN QUERY PLAN of the service's statement for one query of each class (SQLite)."""
    from django.db import connection

    from search import service
    from search.analysis import analyze_query
    from search.types import SearchRequest

    backend = service.get_database_backend()
    statement = getattr(backend, "_statement", None)
    if statement is None or connection.vendor != "sqlite":
        log("--explain: needs SQLite and DatabaseSearchBackend._statement")
        return
    requests = {
        "a": SearchRequest(language="en", query=synthetic.PLANTED[0].en),
        "c": SearchRequest(language="en", query=synthetic.PLANTED[6].en),
        "d": SearchRequest(language="en", **BROWSE[0]),
    }
    for cls, request in requests.items():
        tokens = analyze_query(request.query, request.language) if request.query else []
        sql, params = statement(request, tokens)
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            rows = cursor.fetchall()
        print(f"\n--- EXPLAIN QUERY PLAN ({cls}) {request}")
        for row in rows:
            print("   ", row[-1] if len(row) > 1 else row)


def profile(scenario: Scenario, cls: str, runs: int) -> None:
    import cProfile
    import io
    import pstats

    calls = scenario.service_calls(cls, None)
    for _lang, fn in calls:
        fn()
    profiler = cProfile.Profile()
    profiler.enable()
    for k in range(runs):
        calls[k % len(calls)][1]()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
    print(f"\n--- cProfile, class ({cls}), {runs} calls")
    print(out.getvalue())


def worker(args) -> None:
    database_url = args.database_url
    setup_django(database_url)
    from django.db import connection

    from search import service

    vendor = connection.vendor
    tag = f"{'pg' if vendor == 'postgresql' else 'sqlite'}-{args.size}"
    meta_path = Path(args.workdir) / f"cac-bench-{tag}.json"
    floor_path = Path(args.workdir) / f"cac-bench-floor-{tag}.sqlite3"
    result: dict = {"size": args.size, "database": vendor, "version": db_version()}
    previous = json.loads(Path(args.result).read_text()) if Path(args.result).exists() else {}
    result["loadavg_start"] = os.getloadavg()
    result["code"] = code_version()

    # The build is resumable step by step (pages and the search index; the floor; Wagtail's index,
    # needed only for the baseline): meta_path records the steps done and their timings.
    meta = json.loads(meta_path.read_text()) if args.reuse and meta_path.exists() else None
    if meta is None or meta.get("size") != args.size or meta.get("seed") != args.seed:
        timings = build(args.size, args.seed)
        meta = {
            "size": args.size,
            "seed": args.seed,
            "timings": timings,
            "built": time.strftime("%Y-%m-%d %H:%M"),
        }
        meta_path.write_text(json.dumps(meta, indent=1))
    else:
        # The search app may have gained migrations since (indexes, data fixes): apply them.
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        # Indexes that migrations created since the last rebuild have no planner statistics, and
        # without them SQLite may start from the document table and probe FTS5 row by row (see
        # docs/benchmarks.md): refresh them as `rebuild_search_index` does at its end.
        from search import fts

        fts.optimize(connection)
        log(f"reusing the database built {meta['built']} (migrated, statistics refreshed)")
    if "floor_build_s" not in meta["timings"] or not floor_path.exists():
        meta["timings"].update(build_floor(floor_path))
        meta_path.write_text(json.dumps(meta, indent=1))
    if "wagtail_index_s" not in meta["timings"] and not args.no_baseline:
        log("building Wagtail's own search index (for the baseline)")
        t0 = time.perf_counter()
        meta["timings"]["wagtail_index_docs"] = build_wagtail_index()
        meta["timings"]["wagtail_index_s"] = time.perf_counter() - t0
        log(
            f"Wagtail index: {meta['timings']['wagtail_index_docs']} pages in {meta['timings']['wagtail_index_s']:.1f} s"
        )
        meta_path.write_text(json.dumps(meta, indent=1))
    result["build"] = meta["timings"]
    if args.build_only:
        Path(args.result).write_text(json.dumps(result, indent=1, default=str))
        return

    scenario = Scenario(floor_path, limit=args.baseline_limit)
    prepare_vectors(result)
    if args.explain:
        explain(scenario)
    if args.profile:
        for cls in args.profile.split(","):
            profile(scenario, cls.strip(), args.runs)
        return

    backends = {vendor: None}  # None: through search.service (the database backend here)
    active = service.get_backend()
    if active is not service.get_database_backend():
        backends = {vendor: service.get_database_backend(), active.name: None}
    result["figures"] = {}
    result["counts"] = {}

    def save() -> None:  # after each class: a long run that is stopped keeps what it measured
        Path(args.result).write_text(json.dumps(result, indent=1, default=str))

    classes = [c for c in CLASSES if c in args.classes]
    if args.no_service:  # keep the service and floor figures of the previous run (same database)
        for name, figures in previous.get("figures", {}).items():
            if name != "baseline":
                result["figures"][name] = figures
                result["counts"][name] = previous.get("counts", {}).get(name, {})
        result["service_date"] = previous.get("service_date") or previous.get("date")
        backends = {}
    else:
        result["service_date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    for name, backend in backends.items():
        for cls in classes:
            log(f"{name}: class ({cls})")
            result["counts"].setdefault(name, {})[cls] = scenario.service_counts(cls, backend)
            result["figures"].setdefault(name, {})[cls] = run_timed(
                scenario.service_calls(cls, backend), args.runs, args.warmups
            )
            save()
    for cls in classes if not args.no_service else ():
        floor_calls = scenario.floor_calls(cls)
        if floor_calls:
            result["figures"].setdefault("floor", {})[cls] = run_timed(floor_calls, args.runs, args.warmups)
    save()
    if args.no_baseline and previous.get("figures", {}).get("baseline") and args.reuse:
        # Plain Wagtail does not depend on search/: keep the figures an earlier run measured.
        result["figures"]["baseline"] = previous["figures"]["baseline"]
        result["counts"]["baseline"] = previous.get("counts", {}).get("baseline", {})
        result["baseline_date"] = previous.get("baseline_date") or previous.get("date")
        save()
    if not args.no_baseline:
        result["baseline_date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        for cls in classes:
            log(f"baseline: class ({cls})")
            result["counts"].setdefault("baseline", {})[cls] = {}
            # A full baseline call counts ~100 facet values; when 8 calls (2 warm-ups, 3 runs per
            # language) would not fit in the budget, each call counts one value per facet and
            # extrapolates (marked "≈" in the table).
            # Past 4× the budget (100,000 cases), the two probe calls are the figure (n = 1 per
            # language). Counts come from the probes there; from one count per query otherwise.
            probes = scenario.baseline_probe(cls)
            probe = max((out["elapsed"] for out in probes.values()), default=0.0)
            sample = probe * 8 > args.baseline_budget
            slow = probe * 8 > args.baseline_budget * 4
            mode = "probe calls only" if slow else "sampled facet counts" if sample else "every facet count"
            log(f"  one full call ≈ {probe:.1f} s: {mode}")
            if slow:
                p = scenario.queries.get(cls, [None])[0]
                result["counts"]["baseline"][cls] = {
                    f"{lang}: {getattr(p, lang) if p else ''}": out.get("count")
                    for lang, out in probes.items()
                }
                figures = {lang: stats([out["elapsed"]]) for lang, out in probes.items()}
                figures["all"] = stats([out["elapsed"] for out in probes.values()])
                figures["estimated"] = True
                figures["probe_only"] = True
                if any(out.get("timed_out") for out in probes.values()):
                    figures["timed_out"] = True
            else:
                figures = run_timed(
                    scenario.baseline_calls(cls, sample=sample),
                    args.runs,
                    args.warmups,
                    budget=args.baseline_budget,
                )
            if not slow:
                result["counts"]["baseline"][cls] = scenario.baseline_counts(cls)
            result["figures"].setdefault("baseline", {})[cls] = figures
            save()
    result["loadavg_end"] = os.getloadavg()
    result["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    Path(args.result).write_text(json.dumps(result, indent=1, default=str))


# =============================================================================================
# Parent: sizes × databases, the table
# =============================================================================================
def create_pg_database() -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS cac_bench WITH (FORCE)")
        conn.execute("CREATE DATABASE cac_bench")


def fmt_ms(value: float | None) -> str:
    if value is None:
        return "—"
    if value >= 10_000:
        return f"{value / 1000:,.0f} s"
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def fmt_ratio(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.2f}×" if value < 10 else f"{value:,.0f}×"


def table(result: dict) -> str:
    """A Markdown table of one size × database: service figures, floor, baseline and ratios."""
    figures, build_t = result.get("figures", {}), result["build"]
    n = result["size"]
    lines = []
    services = [name for name in figures if name not in ("floor", "baseline")]
    load = ", ".join(
        f"{x:.1f}" for x in result.get("loadavg_start", [])[:1] + result.get("loadavg_end", [])[:1]
    )
    for name in services:
        lines.append(
            f"\n**{n:,} cases — {name} ({result['version']}); load average at start, end: {load}**\n"
        )
        lines.append(
            "| class | p50 ms | p95 ms | floor p50 / p95 ms | ÷ floor (p50, p95) | Wagtail p95 ms | Wagtail ÷ p95 | target p95 (100k, SQLite) |"
        )
        lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
        for cls in CLASSES:
            fig = figures[name].get(cls, {}).get("all")
            if not fig:
                continue
            floor = figures.get("floor", {}).get(cls, {}).get("all", {}).get("p95")
            floor50 = figures.get("floor", {}).get(cls, {}).get("all", {}).get("p50")
            base_figures = figures.get("baseline", {}).get(cls, {})
            base = base_figures.get("all", {}).get("p95")
            approx = "≈" if base_figures.get("estimated") else ""
            if base_figures.get("probe_only"):
                approx = "≈¹ "
            if base_figures.get("timed_out"):
                approx = "> "
            target = TARGETS_MS[cls]
            verdict = ""
            if n >= 100_000 and name == "sqlite":
                verdict = " ✔" if fig["p95"] <= target else " ✘"
            lines.append(
                f"| {CLASS_LABELS[cls]} | {fmt_ms(fig['p50'])} | {fmt_ms(fig['p95'])} | "
                f"{fmt_ms(floor50)} / {fmt_ms(floor)} | "
                f"{fmt_ratio(fig['p50'] / floor50 if floor50 else None)}, "
                f"{fmt_ratio(fig['p95'] / floor if floor else None)} | {approx}{fmt_ms(base)} | "
                f"{fmt_ratio(base / fig['p95'] if base else None)} | ≤ {target}{verdict} |"
            )
        docs = build_t.get("index_docs") or 0
        rate = docs / build_t["index_s"] if build_t.get("index_s") else None
        wagtail = (
            build_t.get("wagtail_index_docs", 0) / build_t["wagtail_index_s"]
            if build_t.get("wagtail_index_s")
            else None
        )
        floor_rate = (
            build_t.get("floor_docs", 0) / build_t["floor_build_s"] if build_t.get("floor_build_s") else None
        )
        if name == "elasticsearch" and build_t.get("es_index_s"):
            docs, rate = build_t["es_index_docs"], build_t["es_index_docs"] / build_t["es_index_s"]
        lines.append(
            f"| (f) indexing, pages/s | {rate:.0f} ({rate / 2:.0f} cases/s) | {docs:,} pages | "
            f"{floor_rate:.0f} (FTS5 insert of analysed text) | {fmt_ratio(floor_rate / rate if rate else None)} slower | "
            f"{f'{wagtail:.0f}' if wagtail else '—'} (Wagtail index) | "
            f"{fmt_ratio(wagtail / rate if rate and wagtail else None)} slower | — |"
        )
    return "\n".join(lines)


def by_language(result: dict) -> str:
    figures, counts = result.get("figures", {}), result.get("counts", {})
    lines = [f"\n{result['size']:,} cases ({result['database']}), by language: p50 / p95 ms, matches\n"]
    lines.append("| class | lang | service | floor | Wagtail | service matches | Wagtail matches |")
    lines.append("| --- | --- | --- | --- | --- | --- | --- |")
    services = [name for name in figures if name not in ("floor", "baseline")]
    for name in services:
        for cls in CLASSES:
            for lang in ("en", "ko"):
                cells = []
                for who in (name, "floor", "baseline"):
                    fig = figures.get(who, {}).get(cls, {}).get(lang)
                    cells.append(
                        f"{fmt_ms(fig['p50'])} / {fmt_ms(fig['p95'])}" if fig and fig.get("n") else "—"
                    )
                mine = [v for k, v in counts.get(name, {}).get(cls, {}).items() if k.startswith(lang)]
                theirs = [v for k, v in counts.get("baseline", {}).get(cls, {}).items() if k.startswith(lang)]
                lines.append(
                    f"| {cls} | {lang} | {cells[0]} | {cells[1]} | {cells[2]} | "
                    f"{', '.join(map(str, mine)) or '—'} | {', '.join(map(str, theirs)) or '—'} |"
                )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes", default="1000,10000", help="comma-separated case counts (default 1000,10000)"
    )
    parser.add_argument(
        "--postgres", action="store_true", help="also PostgreSQL (database cac_bench, recreated)"
    )
    parser.add_argument("--no-sqlite", action="store_true", help="only PostgreSQL (with --postgres)")
    parser.add_argument("--runs", type=int, default=30, help="timed runs per class and language (default 30)")
    parser.add_argument("--warmups", type=int, default=3, help="untimed rounds first (default 3)")
    parser.add_argument(
        "--baseline-budget", type=float, default=60.0, help="seconds per baseline class (default 60)"
    )
    parser.add_argument(
        "--baseline-limit",
        type=float,
        default=300.0,
        help="seconds before one baseline call is stopped (default 300)",
    )
    parser.add_argument("--no-baseline", action="store_true", help="skip plain Wagtail")
    parser.add_argument(
        "--no-service", action="store_true", help="baseline only (keeps the service figures of the last run)"
    )
    parser.add_argument("--classes", default="abcde", help="which query classes (default abcde)")
    parser.add_argument("--reuse", action="store_true", help="reuse a database built by an earlier run")
    parser.add_argument("--build-only", action="store_true", help="build the databases, measure nothing")
    parser.add_argument("--profile", help="cProfile these classes (e.g. a,c) instead of measuring")
    parser.add_argument("--explain", action="store_true", help="print SQLite query plans")
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--workdir", default=tempfile.gettempdir(), help="where databases and results go")
    parser.add_argument("--json", help="write every result to this JSON file too")
    # worker mode (internal)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        worker(args)
        return

    sizes = [int(s.replace("_", "").replace(",", "")) for s in args.sizes.split(",") if s.strip()]
    results = []
    for size in sizes:
        targets = []
        if not args.no_sqlite:
            targets.append(("sqlite", f"sqlite:///{Path(args.workdir) / f'cac-bench-{size}.sqlite3'}"))
        if args.postgres:
            targets.append(("postgresql", PG_URL))
        for kind, url in targets:
            if kind == "sqlite" and not args.reuse:
                Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
            if kind == "postgresql" and not (
                args.reuse and (Path(args.workdir) / f"cac-bench-pg-{size}.json").exists()
            ):
                create_pg_database()
                (Path(args.workdir) / f"cac-bench-pg-{size}.json").unlink(missing_ok=True)
            result_path = Path(args.workdir) / f"cac-bench-result-{kind}-{size}.json"
            command = [sys.executable, __file__, "--worker", "--size", str(size), "--database-url", url]
            command += [
                "--result",
                str(result_path),
                "--runs",
                str(args.runs),
                "--warmups",
                str(args.warmups),
            ]
            command += ["--baseline-budget", str(args.baseline_budget), "--classes", args.classes]
            command += ["--baseline-limit", str(args.baseline_limit)]
            command += ["--seed", str(args.seed), "--workdir", args.workdir]
            for flag in ("reuse", "build_only", "no_baseline", "no_service", "explain"):
                if getattr(args, flag):
                    command.append("--" + flag.replace("_", "-"))
            if args.profile:
                command += ["--profile", args.profile]
            log(f"{kind}, {size:,} cases: {url}")
            if kind == "postgresql":  # another size may be stored in cac_bench: the worker rebuilds
                for other in Path(args.workdir).glob("cac-bench-pg-*.json"):
                    if other.name != f"cac-bench-pg-{size}.json":
                        other.unlink()
            subprocess.run(command, check=True, cwd=ROOT)  # noqa: S603
            if args.profile or not result_path.exists():
                continue
            result = json.loads(result_path.read_text())
            results.append(result)
            if not args.build_only:
                print(table(result))
                print(by_language(result))

    if args.json:
        machine = {
            "nproc": os.cpu_count(),
            "platform": platform.platform(),
            "loadavg": os.getloadavg(),
        }
        Path(args.json).write_text(
            json.dumps({"machine": machine, "results": results}, indent=1, default=str)
        )


if __name__ == "__main__":
    main()
