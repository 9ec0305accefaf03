"""Export memory and speed: peak memory while streaming 100,000 case studies as CSV / JSON / JSON Lines.

Not a timed test: a measurement, written into docs/benchmarks.md ("## Export") by hand. Target:
peak memory of the exporting process under 150 MB for 100,000 cases.

    .venv/bin/python bench/export.py                   # 100,000 cases, CSV and JSON Lines and JSON
    .venv/bin/python bench/export.py --cases 20000 --formats csv
    .venv/bin/python bench/export.py --database-url postgres://postgres@127.0.0.1:5432/cac_bench
    .venv/bin/python bench/export.py --keep            # keep the database, then export again with:
    .venv/bin/python bench/export.py --reuse --database-url sqlite:////tmp/…/bench.sqlite3 --tracemalloc

It builds a fresh database (a temporary SQLite file unless --database-url is given; that database
is flushed), migrates it and writes the cases directly in bulk (pages, their areas, measure types,
sources: the bench measures the export, not the import). Each export then
runs in a fresh child process, through the real URL (`/en/data/cases.<fmt>`, middleware included),
its streamed body counted and thrown away. The child reports:

- peak RSS of the whole process (`ru_maxrss`: Python, Django, Wagtail and the export),
- RSS growth during the export (peak minus the RSS once warmed up by a one-row export),
- with --tracemalloc, tracemalloc's peak of Python allocations during a second export,
- rows per second and bytes written.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.synthetic import AREA_SLUGS as AREAS  # noqa: E402

CITIES = [
    ("Seoul", "서울", "KR", "asia", 37.57, 126.98),
    ("Paris", "파리", "FR", "europe", 48.86, 2.35),
    ("Nairobi", "나이로비", "KE", "africa", -1.29, 36.82),
    ("Toronto", "토론토", "CA", "north-america", 43.65, -79.38),
    ("Bogotá", "보고타", "CO", "south-america", 4.71, -74.07),
    ("Melbourne", "멜버른", "AU", "oceania", -37.81, 144.96),
]
MEASURES = ["Testing", "Contact tracing", "Mask distribution", "Remote learning", "Income support"]
WORDS = [
    "city",
    "residents",
    "measure",
    "testing",
    "clinic",
    "masks",
    "schools",
    "buses",
    "cycling",
    "income",
    "support",
    "volunteers",
    "data",
    "district",
    "health",
    "centre",
    "opened",
    "weeks",
    "people",
    "free",
    "online",
    "lessons",
    "deliveries",
    "shops",
    "parks",
]


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cac_platform.settings.dev")
    os.environ["DEBUG"] = "0"  # DEBUG keeps every SQL query in memory
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


# ----------------------------------------------------------------------------------------------
# Building the data (parent process)
# ----------------------------------------------------------------------------------------------
def build(cases: int, seed: int = 6) -> None:
    from django.contrib.contenttypes.models import ContentType
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from wagtail.models import Page

    from casestudies.factories import index_page
    from casestudies.models import (
        CaseStudyPage,
        CaseStudySource,
        City,
        MeasureType,
        PolicyArea,
        TaggedCaseStudy,
    )

    rng = random.Random(seed)
    call_command("migrate", verbosity=0, interactive=False)
    index = index_page("en")
    cities = [
        City.objects.get_or_create(
            slug=name.lower(),
            defaults={
                "name": name,
                "name_ko": ko,
                "country": c,
                "continent": cont,
                "latitude": la,
                "longitude": lo,
            },
        )[0]
        for name, ko, c, cont, la, lo in CITIES
    ]
    measures = [
        MeasureType.objects.get_or_create(slug=name.lower().replace(" ", "-"), defaults={"name": name})[0]
        for name in MEASURES
    ]
    areas = {area.slug: area for area in PolicyArea.objects.filter(locale=index.locale)}
    content_type = ContentType.objects.get_for_model(CaseStudyPage)
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    existing = index.numchild
    now = timezone.now()
    batch = 2000
    columns = [f.column for f in CaseStudyPage._meta.local_fields]
    table = CaseStudyPage._meta.db_table
    started = time.perf_counter()
    for start in range(0, cases, batch):
        with transaction.atomic():
            pages = []
            for i in range(start, min(start + batch, cases)):
                n = existing + i + 1
                step = "".join(alphabet[(n // 36**k) % 36] for k in (3, 2, 1, 0))
                slug = f"bench-case-{i}"
                pages.append(
                    Page(
                        title=f"Bench case {i}: {sentence(rng, 4)[:-1]}",
                        draft_title=f"Bench case {i}",
                        slug=slug,
                        content_type=content_type,
                        path=index.path + step,
                        depth=index.depth + 1,
                        numchild=0,
                        url_path=f"{index.url_path}{slug}/",
                        live=True,
                        has_unpublished_changes=False,
                        locale_id=index.locale_id,
                        translation_key=uuid.uuid4(),
                        first_published_at=now,
                        last_published_at=now,
                    )
                )
            Page.objects.bulk_create(pages)
            rows, m2m, tags, sources = [], [], [], []
            for page in pages:
                city = rng.choice(cities)
                start_date = f"2020-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
                body = json.dumps(
                    [
                        {"type": "paragraph", "value": f"<p>{sentence(rng, 40)}</p>", "id": str(uuid.uuid4())}
                        for _ in range(3)
                    ]
                )
                values = {
                    "page_ptr_id": page.pk,
                    "summary": sentence(rng, 25)[:300],
                    "start_date": start_date,
                    "end_date": None,
                    "body": body,
                    "outcomes": f"<p>{sentence(rng, 30)}</p>",
                    "lessons_learned": "",
                    "contact_organisation": f"{city.name} city government",
                    "contact_email": "covid@city.example",
                    "contact_person": "",
                    "city_id": city.pk,
                }
                rows.append([values[c] for c in columns])
                chosen_areas = rng.sample(AREAS, rng.choice((1, 1, 2)))
                chosen_measures = rng.sample(measures, rng.choice((0, 1, 2)))
                m2m += [
                    CaseStudyPage.policy_areas.through(casestudypage_id=page.pk, policyarea_id=areas[a].pk)
                    for a in chosen_areas
                ]
                tags += [TaggedCaseStudy(content_object_id=page.pk, tag=m) for m in chosen_measures]
                sources.append(
                    CaseStudySource(
                        page_id=page.pk, sort_order=0, title="Source", url=f"https://city.example/{page.pk}"
                    )
                )
            marks = ", ".join(["%s"] * len(columns))
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",  # noqa: S608 - constants
                    rows,
                )
            CaseStudyPage.policy_areas.through.objects.bulk_create(m2m)
            TaggedCaseStudy.objects.bulk_create(tags)
            CaseStudySource.objects.bulk_create(sources)
        done = min(start + batch, cases)
        print(
            f"\r  built {done:,}/{cases:,} cases ({time.perf_counter() - started:.0f} s)", end="", flush=True
        )
    Page.objects.filter(pk=index.pk).update(numchild=existing + cases)
    print()


# ----------------------------------------------------------------------------------------------
# Measuring one export (child process)
# ----------------------------------------------------------------------------------------------
def rss_kb() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def measure(fmt: str, traced: bool = False) -> dict:
    import resource
    import tracemalloc

    from django.core.cache import cache
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")  # an allowed host in every settings module

    def export(query: str) -> tuple[int, int]:
        cache.clear()  # the bench is not rate-limited
        response = client.get(f"/en/data/cases.{fmt}{query}")
        assert response.status_code == 200, response.status_code
        size = rows = 0
        for chunk in response.streaming_content:
            size += len(chunk)
            rows += chunk.count(b"\n")
        return size, rows

    export("?year=1999")  # warm up: imports, URL resolvers, the first queries
    baseline = rss_kb()
    started = time.perf_counter()
    size, lines = export("")
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    traced_peak = None
    if traced:  # a second run under tracemalloc (slow; its bookkeeping inflates RSS: measured apart)
        tracemalloc.start()
        export("")
        _current, traced_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return {
        "format": fmt,
        "bytes": size,
        "lines": lines,
        "seconds": round(elapsed, 1),
        "baseline_rss_mb": round(baseline / 1024, 1),
        "peak_rss_mb": round(peak / 1024, 1),
        "rss_growth_mb": round((peak - baseline) / 1024, 1),
        "tracemalloc_peak_mb": round(traced_peak / 1024 / 1024, 1) if traced_peak is not None else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--formats", default="csv,jsonl,json")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--keep", action="store_true", help="keep the temporary database")
    parser.add_argument(
        "--reuse", action="store_true", help="export from --database-url as it is (built by a --keep run)"
    )
    parser.add_argument(
        "--tracemalloc", action="store_true", help="also a (slow) second export under tracemalloc"
    )
    parser.add_argument("--child", default="", help=argparse.SUPPRESS)
    options = parser.parse_args()

    if options.child:
        setup_django(options.database_url)
        print("RESULT " + json.dumps(measure(options.child, options.tracemalloc)))
        return

    tmp = None
    database_url = options.database_url
    if not database_url:
        tmp = tempfile.mkdtemp(prefix="cac-export-bench-")
        database_url = f"sqlite:///{tmp}/bench.sqlite3"
    setup_django(database_url)
    if not options.reuse:
        if options.database_url:
            from django.core.management import call_command

            call_command("flush", interactive=False, verbosity=0)
        print(f"Building {options.cases:,} cases in {database_url} …")
        build(options.cases)
    from casestudies.models import CaseStudyPage

    count = CaseStudyPage.objects.live().public().count()
    print(f"  {count:,} live cases")
    results = []
    for fmt in options.formats.split(","):
        child = subprocess.run(
            [sys.executable, __file__, "--child", fmt, "--database-url", database_url]
            + (["--tracemalloc"] if options.tracemalloc else []),
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
        )
        line = next((ln for ln in child.stdout.splitlines() if ln.startswith("RESULT ")), None)
        if line is None:
            print(child.stdout[-2000:], child.stderr[-4000:])
            raise SystemExit(f"the {fmt} export failed")
        result = json.loads(line[len("RESULT ") :])
        result["rows_per_second"] = round(count / result["seconds"]) if result["seconds"] else None
        results.append(result)
        print(
            f"  {fmt:5}: {result['bytes'] / 1e6:,.1f} MB in {result['seconds']} s "
            f"({result['rows_per_second']:,} rows/s); peak RSS {result['peak_rss_mb']} MB "
            f"(+{result['rss_growth_mb']} MB during the export"
            + (
                f"; tracemalloc peak {result['tracemalloc_peak_mb']} MB)"
                if result["tracemalloc_peak_mb"]
                else ")"
            )
        )
    worst = max(r["peak_rss_mb"] for r in results)
    verdict = "OK" if worst < 150 else "OVER"
    print(f"Peak memory of the exporting process: {worst} MB (target < 150 MB): {verdict}")
    if tmp and options.keep:
        print(f"Kept {database_url}")
    elif tmp:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
