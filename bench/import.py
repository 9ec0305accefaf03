"""Bulk-import speed: rows per second for `import_casestudies`, search indexing included.

Not a timed test: a measurement, written into docs/benchmarks.md ("## Import") by hand.

    .venv/bin/python bench/import.py                    # 10,000 rows (5,000 cases in en + ko), published
    .venv/bin/python bench/import.py --rows 2000 --drafts   # drafts submitted to the review workflow
    .venv/bin/python bench/import.py --database-url postgres://postgres@127.0.0.1:5432/cac_bench

It builds a fresh database (a temporary SQLite file unless --database-url is given; that
database is flushed), migrates it, creates the two case-study indexes, writes a generated
CSV file (Markdown bodies with headings, lists and key figures; 5 % of the rows bring a new
city and 2 % a new measure type), then times three things separately:

- validation (`prepare`: read and check every row, plan the writes),
- the write (`apply`: pages, revisions, publishing or workflow, and the search indexing of
  every page at the end: the platform's search index and Wagtail's admin search index),
- a second import of the same file (idempotence: every row unchanged).
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.synthetic import AREA_SLUGS as AREAS  # noqa: E402

CITIES = [
    ("Seoul", "KR", "asia"),
    ("Busan", "KR", "asia"),
    ("Paris", "FR", "europe"),
    ("Milan", "IT", "europe"),
    ("Bogotá", "CO", "south-america"),
    ("Nairobi", "KE", "africa"),
    ("Toronto", "CA", "north-america"),
    ("Melbourne", "AU", "oceania"),
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
    "hospital",
    "quarantine",
    "shelter",
    "market",
    "festival",
    "library",
    "park",
    "transit",
    "lane",
    "elderly",
    "care",
]


def sentence(rng: random.Random, n: int = 14) -> str:
    words = [rng.choice(WORDS) for _ in range(n)]
    return " ".join(words).capitalize() + "."


def body(rng: random.Random) -> str:
    return "\n\n".join(
        [
            " ".join(sentence(rng) for _ in range(3)),
            "## What was done",
            " ".join(sentence(rng) for _ in range(4)) + " See **the report** and *the data*.",
            "- " + sentence(rng, 6) + "\n- " + sentence(rng, 6) + "\n- " + sentence(rng, 6),
            "| Key figures | |\n| --- | --- |\n| Sites opened | 12 |\n| People tested | 40,000 |",
        ]
    )


def generate(rows: int, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    from casestudies.exporter import COLUMNS

    writer.writerow(COLUMNS)
    cases = rows // 2
    for n in range(cases):
        city = (f"Newcity {n}", "DE", "europe") if rng.random() < 0.05 else rng.choice(CITIES)
        measures = rng.sample(MEASURES, 2)
        if rng.random() < 0.02:
            measures.append(f"New measure {n}")
        areas = rng.sample(AREAS, rng.choice([1, 2]))
        start = f"2020-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        shared = [
            city[0],
            city[1],
            city[2],
            ";".join(areas),
            ";".join(measures),
            start,
            "",
        ]
        sources = f"https://example.org/cases/{n}; https://example.org/press/{n}"
        writer.writerow(
            [f"bench-{n:05d}", "en", f"Case {n}: {sentence(rng, 5)}", sentence(rng, 20)]
            + shared
            + [body(rng), sentence(rng), sources, f"contact{n}@example.org"]
        )
        writer.writerow(
            [f"bench-{n:05d}", "ko", f"사례 {n}: 도시의 대응", "도시가 시행한 코로나19 대응 정책 요약."]
            + [""] * 7
            + ["정책 본문입니다. 시민과 함께 했습니다.\n\n## 한 일\n\n- 검사\n- 마스크", "성과.", "", ""]
        )
    return out.getvalue().encode("utf-8")


def setup_django(database_url: str | None) -> str:
    if database_url:
        os.environ["DATABASE_URL"] = database_url
        label = database_url.split("@")[-1]
    else:
        path = Path(tempfile.mkdtemp(prefix="cac-bench-")) / "bench.sqlite3"
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
        label = "SQLite (temporary file)"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cac_platform.settings.dev")
    os.environ["DEBUG"] = "0"  # no query log
    import django

    django.setup()
    from django.core.management import call_command

    if database_url:
        call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", verbosity=0, interactive=False)
    return label


def make_indexes():
    from wagtail.models import Locale

    from casestudies.models import CaseStudyIndexPage
    from home.models import HomePage

    en_home = HomePage.objects.get(locale__language_code="en")
    index = CaseStudyIndexPage(title="Case studies", slug="cases")
    en_home.add_child(instance=index)
    index.save_revision().publish()
    ko = index.copy_for_translation(Locale.objects.get(language_code="ko"))
    ko.title = "정책 사례"
    ko.save_revision().publish()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--drafts", action="store_true", help="drafts submitted to the workflow")
    parser.add_argument("--database-url", help="PostgreSQL (flushed!) instead of a temporary SQLite file")
    parser.add_argument(
        "--skip-invalid",
        action="store_true",
        help="1 %% of the cases get an invalid start date; time prepare_skipping + apply (--skip-invalid)",
    )
    args = parser.parse_args()

    label = setup_django(args.database_url)
    make_indexes()
    data = generate(args.rows)
    if args.skip_invalid:
        skip_invalid(data, publish=not args.drafts, label=label)
        return
    from casestudies.importer import prepare
    from casestudies.models import CaseStudyPage
    from search.models import SearchDocument

    publish = not args.drafts
    load_before = os.getloadavg()[0]
    t0, c0 = time.perf_counter(), time.process_time()
    plan = prepare(data, "csv", publish=publish)
    t1 = time.perf_counter()
    result = plan.apply()
    t2, c2 = time.perf_counter(), time.process_time()
    load_after = os.getloadavg()[0]
    again = prepare(data, "csv", publish=publish)
    again_result = again.apply()
    t3 = time.perf_counter()

    rows = len(plan.rows)
    pages = CaseStudyPage.objects.count()
    indexed = SearchDocument.objects.count()
    print(f"database: {label}; mode: {'published' if publish else 'drafts + workflow'}")
    print(f"rows: {rows} ({rows // 2} cases × en/ko), {len(data) / 1e6:.1f} MB CSV")
    print(f"validate: {t1 - t0:.1f} s ({rows / (t1 - t0):.0f} rows/s)")
    print(f"write + index: {t2 - t1:.1f} s ({rows / (t2 - t1):.0f} rows/s)")
    print(f"total first import: {t2 - t0:.1f} s -> {rows / (t2 - t0):.0f} rows/s")
    print(f"CPU time of the first import: {c2 - c0:.1f} s -> {rows / (c2 - c0):.0f} rows per CPU-second")
    print(f"load average (1 min) before/after: {load_before:.1f}/{load_after:.1f} on {os.cpu_count()} CPUs")
    print(f"second import (all unchanged): {t3 - t2:.1f} s, {again_result.counts}")
    print(f"pages: {pages}; search documents: {indexed}; counts: {result.counts}")
    assert pages == rows
    assert again_result.counts["unchanged"] == rows


def skip_invalid(data: bytes, publish: bool, label: str) -> None:
    """The --skip-invalid path: one case in a hundred has a start date that is no date."""
    from casestudies.importer import prepare_skipping

    lines, cases = [], 0
    for line in data.decode().split("\n"):
        if line.startswith("bench-") and ",en," in line:
            cases += 1
            if cases % 100 == 1:
                line = line.replace(",2020-", ",2020-13-", 1)
        lines.append(line)
    text = "\n".join(lines)
    t0 = time.perf_counter()
    plan, rejected = prepare_skipping(text.encode(), "csv", publish=publish)
    t1 = time.perf_counter()
    result = plan.apply()
    t2 = time.perf_counter()
    rows = len(plan.rows) + len(rejected)
    print(f"database: {label}; --skip-invalid")
    print(f"rows: {rows}; imported {len(plan.rows)}, rejected {len(rejected)}")
    print(f"validate (with the second pass): {t1 - t0:.1f} s ({rows / (t1 - t0):.0f} rows/s)")
    print(f"write + index: {t2 - t1:.1f} s; total {t2 - t0:.1f} s -> {rows / (t2 - t0):.0f} rows/s")
    print(f"counts: {result.counts}")


if __name__ == "__main__":
    main()
