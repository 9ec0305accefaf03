"""Page timings at thousands of cases and cities (issue 15 item 5): /cities/, /explore/ and its map,
a case page.

Not a timed test: a measurement, written into docs/benchmarks.md ("## Pages at thousands of cities")
by hand.

    .venv/bin/python bench/pages.py                       # 10,000 cases (en + ko), ~2,000 cities
    .venv/bin/python bench/pages.py --cases 2000 --cities 500 --repeat 5
    .venv/bin/python bench/pages.py --database /tmp/cac-bench-pages-xxxx/bench.sqlite3  # reuse one

It builds a fresh SQLite database (temporary file), migrates it, makes ~2,000 cities in ~100
countries (`synthetic.make_cities`: most without coordinates, many named in another script),
inserts the bilingual cases in bulk, fills the coordinates from the gazetteer as
`manage.py fill_city_coordinates` does (timed), then requests each page in-process through
Django's test client (middleware included, no network, no page cache) `--repeat` times after two
warm-up requests, and prints the median and the 95th percentile, the page's size and, for the
map, how many circles it draws.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for folder in (ROOT, ROOT / "bench"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))


def setup_django(database: str | None = None) -> None:
    path = Path(database) if database else Path(tempfile.mkdtemp(prefix="cac-bench-pages-")) / "bench.sqlite3"
    os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cac_platform.settings.dev")
    os.environ["DEBUG"] = "0"  # no query log
    os.environ["PAGE_CACHE_SECONDS"] = "0"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--cases", type=int, default=10_000, help="bilingual cases (each an en and a ko page)"
    )
    parser.add_argument("--cities", type=int, default=2000)
    parser.add_argument("--countries", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument(
        "--database",
        help="an SQLite file an earlier run built (its path is printed): time the pages on the same "
        "data again (before and after a change) without building it",
    )
    args = parser.parse_args()

    started = time.perf_counter()
    setup_django(args.database)
    print(f"migrated in {time.perf_counter() - started:.1f} s", flush=True)

    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    from bench import synthetic
    from casestudies.models import CaseStudyPage, City
    from opendata import views

    print(f"database: {settings.DATABASES['default']['NAME']}", flush=True)
    if args.database:
        args.cases = CaseStudyPage.objects.filter(locale__language_code="en").count()
        after = City.objects.filter(latitude__isnull=False).count()
        total_cities = City.objects.count()
        countries = City.objects.values("country").distinct().count()
    else:
        cities = synthetic.make_cities(args.cities, args.countries)
        countries = len({c[2] for c in cities})
        started = time.perf_counter()
        synthetic.bulk_insert_cases(args.cases, cities=cities)
        print(
            f"{len(cities)} cities, {args.cases} cases inserted in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        before = City.objects.filter(latitude__isnull=False).count()
        out = io.StringIO()
        started = time.perf_counter()
        call_command("fill_city_coordinates", stdout=out)
        fill_seconds = time.perf_counter() - started
        after = City.objects.filter(latitude__isnull=False).count()
        total_cities = City.objects.count()
        print(
            f"gazetteer: {before} of {total_cities} cities located before, {after} after, in {fill_seconds:.1f} s "
            f"({out.getvalue().splitlines()[0]})",
            flush=True,
        )

    case = CaseStudyPage.objects.filter(locale__language_code="en").order_by("pk")[args.cases // 2]
    case_url = case.get_url()
    busiest = (
        City.objects.filter(latitude__isnull=False)
        .values_list("country", flat=True)
        .order_by("country")
        .first()
    )
    last_page = min(5, -(-City.objects.count() // views.CITIES_PER_PAGE))
    urls = [
        ("/cities/ (first page)", "/en/cities/"),
        (f"/cities/ page {last_page}", f"/en/cities/?page={last_page}"),
        (f"/cities/ one country ({busiest})", f"/en/cities/?country={busiest}"),
        ("/cities/ one letter", "/en/cities/?letter=M"),
        ("/cities/ Korean", "/ko/cities/"),
        ("/explore/ (charts + map)", "/en/explore/"),
        (f"/explore/ one country ({busiest})", f"/en/explore/?country={busiest}"),
        ("/explore/ Korean", "/ko/explore/"),
        ("case page", case_url),
        ("city profile", f"/en/cities/{City.objects.order_by('pk').first().slug}/"),
    ]
    client = Client(HTTP_HOST="127.0.0.1")
    rows = []
    for label, url in urls:
        for _ in range(2):
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
        timings = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
        html = response.content.decode()
        circles = html.count('class="od-marker"') + html.count('class="od-cluster"')
        rows.append(
            (
                label,
                statistics.median(timings),
                percentile(timings, 0.95),
                len(response.content) / 1024,
                circles if "od-map__svg" in html else "",
            )
        )
        print(f"{label}: {rows[-1][1]:.0f} ms p50, {rows[-1][2]:.0f} ms p95", flush=True)

    # The map's own work: markers, projection and clustering, without the charts.
    from django.http import QueryDict

    from opendata import selection as sel

    selection = sel.parse_selection(QueryDict(), "en", strict=False)
    timings = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        markers = views.city_markers(selection)
        drawn = views.map_clusters(markers)
        timings.append((time.perf_counter() - started) * 1000)
    on_map = sum(1 for m in markers if m["on_map"])
    print()
    print(f"{args.cases:,} bilingual cases ({2 * args.cases:,} pages), {total_cities:,} cities in "
          f"{countries} countries; {after:,} with coordinates after the gazetteer")  # fmt: skip
    print()
    print("| page | p50 | p95 | HTML | circles drawn |")
    print("| --- | --- | --- | --- | --- |")
    for label, p50, p95, size, circles in rows:
        print(f"| {label} | {p50:.0f} ms | {p95:.0f} ms | {size:.0f} KB | {circles} |")
    print(
        f"| map alone (markers + clustering) | {statistics.median(timings):.0f} ms | "
        f"{percentile(timings, 0.95):.0f} ms | | {len(drawn)} for {on_map} located cities |"
    )


if __name__ == "__main__":
    main()
