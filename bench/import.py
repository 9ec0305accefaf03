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

`--tracker` times the tracker connector instead (`import_tracker coronanet --skip-invalid`) on a
real-shaped CoronaNet release: records of about 1,500 cities in many scripts (Arabic, Cyrillic,
Chinese, Korean, Vietnamese, Devanagari, accented Latin), one to five records per policy (its start,
updates, end), a tenth at national or provincial level (left out) and about 3 % messy records
(impossible dates, several places in one cell, unknown countries, unmapped types, control
characters), so that the rejects path is exercised too.
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
    parser.add_argument(
        "--tracker",
        action="store_true",
        help="time the CoronaNet connector (--skip-invalid) on a real-shaped release of --rows records",
    )
    args = parser.parse_args()

    label = setup_django(args.database_url)
    make_indexes()
    if args.tracker:
        tracker(args.rows, publish=not args.drafts, label=label)
        return
    data = generate(args.rows)
    if args.skip_invalid:
        skip_invalid(data, publish=not args.drafts, label=label)
        return
    from casestudies.imports import prepare, write_pages
    from casestudies.models import CaseStudyPage
    from search.models import SearchDocument

    publish = not args.drafts
    load_before = os.getloadavg()[0]
    t0, c0 = time.perf_counter(), time.process_time()
    plan = prepare(data, "csv", publish=publish)
    t1 = time.perf_counter()
    result = write_pages(plan)
    t2, c2 = time.perf_counter(), time.process_time()
    load_after = os.getloadavg()[0]
    again = prepare(data, "csv", publish=publish)
    again_result = write_pages(again)
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
    from casestudies.imports import prepare_skipping, write_pages

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
    result = write_pages(plan)
    t2 = time.perf_counter()
    rows = len(plan.rows) + len(rejected)
    print(f"database: {label}; --skip-invalid")
    print(f"rows: {rows}; imported {len(plan.rows)}, rejected {len(rejected)}")
    print(f"validate (with the second pass): {t1 - t0:.1f} s ({rows / (t1 - t0):.0f} rows/s)")
    print(f"write + index: {t2 - t1:.1f} s; total {t2 - t0:.1f} s -> {rows / (t2 - t0):.0f} rows/s")
    print(f"counts: {result.counts}")


# City names as a tracker writes them, in their own scripts (country code, names).
TRACKER_CITIES = [
    ("OM", ["مسقط", "صحار", "نزوى", "صلالة", "السيب", "بركاء"]),
    ("AE", ["Dubai", "Abu Dhabi", "Sharjah", "عجمان"]),
    ("RU", ["Москва", "Казань", "Новосибирск", "Екатеринбург", "Самара", "Уфа"]),
    ("UA", ["Київ", "Харків", "Одеса", "Львів"]),
    ("CN", ["北京", "上海", "武汉", "广州", "深圳", "成都"]),
    ("KR", ["서울", "부산", "대구", "인천", "광주", "대전"]),
    ("VN", ["Hà Nội", "Đà Nẵng", "Huế", "Hải Phòng", "Cần Thơ"]),
    ("IN", ["मुंबई", "पुणे", "नई दिल्ली", "जयपुर", "लखनऊ"]),
    ("RO", ["Timișoara", "Cluj-Napoca", "Iași", "Brașov"]),
    ("BR", ["São Paulo", "Belém", "Florianópolis", "Goiânia"]),
    ("DE", ["München", "Köln", "Düsseldorf", "Nürnberg"]),
    ("XK", ["Prishtinë", "Prizren", "Pejë"]),
    ("US", ["New York", "Los Angeles", "Chicago", "Houston"]),
    ("CO", ["Bogotá", "Medellín", "Cali"]),
]
TRACKER_TYPES = [
    ("Curfew", ""),
    ("Lockdown", ""),
    ("Health Resources", "Masks"),
    ("Health Resources", "Ventilators"),
    ("Health Testing", ""),
    ("Closure and Regulation of Schools", "Primary Schools"),
    ("Restrictions of Mass Gatherings", ""),
    ("Social Distancing", "Wearing Masks"),
    ("Restriction and Regulation of Businesses", "Restaurants"),
    ("External Border Restrictions", ""),
    ("COVID-19 Vaccines", ""),
    ("Public Awareness Measures", ""),
]
TRACKER_HEADER = [
    "record_id", "policy_id", "entry_type", "update_type", "update_level", "description", "date_announced",
    "date_start", "date_end", "country", "ISO_A3", "ISO_A2", "init_country_level", "domestic_policy",
    "province", "city", "type", "type_sub_cat", "target_who_what", "compliance", "link", "date_updated",
]  # fmt: skip


def generate_tracker(records: int, seed: int = 11) -> bytes:
    """A real-shaped CoronaNet release of `records` rows (see the module docstring)."""
    rng = random.Random(seed)
    cities = [(code, name) for code, names in TRACKER_CITIES for name in names]
    # About 1,500 cities: the named ones, and numbered towns of the same countries and scripts.
    while len(cities) < 1500:
        code, names = rng.choice(TRACKER_CITIES)
        cities.append((code, f"{rng.choice(names)} {len(cities)}"))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(TRACKER_HEADER)
    written, policy = 0, 0
    while written < records:
        policy += 1
        code, city = rng.choice(cities)
        kind, sub = rng.choice(TRACKER_TYPES)
        level = rng.choices(["Municipal", "National", "Provincial"], [90, 5, 5])[0]
        month = rng.randint(1, 8)
        updates = rng.choices([0, 1, 2, 3, 4], [40, 25, 15, 10, 10])[0]
        for step in range(updates + 1):
            if written >= records:
                break
            written += 1
            day = f"2020-{month + step:02d}-{rng.randint(1, 28):02d}"
            row = {
                "record_id": f"R_{policy:06d}{step}x",
                "policy_id": str(100000 + policy),
                "entry_type": "new_entry" if step == 0 else "update",
                "update_type": ""
                if step == 0
                else ("End of Policy" if step == updates and step > 1 else "Change of Policy"),
                "update_level": "",
                "description": f"{city}: {sentence(rng, 18)}",
                "date_announced": day,
                "date_start": day,
                "date_end": "",
                "country": code,
                "ISO_A3": "",
                "ISO_A2": code,
                "init_country_level": level,
                "domestic_policy": "1",
                "province": "",
                "city": city if level == "Municipal" else "",
                "type": kind,
                "type_sub_cat": sub,
                "target_who_what": "All Residents (Citizen Residents +Foreign Residents)",
                "compliance": "Mandatory (Unspecified/Implied)",
                "link": f"https://news.example.org/{policy}/{step}?"
                + "q="
                + "x" * rng.choice([10, 10, 10, 900]),
                "date_updated": "2021-01-10",
            }
            mess = rng.random()
            if mess < 0.008:
                row["date_start"] = "2020-13-45"
            elif mess < 0.016:
                row["city"] = f"{city}; {rng.choice(cities)[1]}"
            elif mess < 0.020:
                row["ISO_A2"] = "ZZ"
            elif mess < 0.024:
                row["type"] = "Astrology"
            elif mess < 0.030:
                row["description"] = "\x0c" + row["description"] + "\x1b"
            writer.writerow([row[column] for column in TRACKER_HEADER])
    return out.getvalue().encode("utf-8")


def tracker(records: int, publish: bool, label: str) -> None:
    from casestudies.models import CaseStudyPage, City
    from casestudies.tracker import prepare_tracker

    data = generate_tracker(records)
    c0 = time.process_time()
    t0 = time.perf_counter()
    result = prepare_tracker(data, "coronanet", publish=publish, skip_invalid=True)
    t1 = time.perf_counter()
    outcome = result.apply()
    t2, c2 = time.perf_counter(), time.process_time()
    again = prepare_tracker(data, "coronanet", publish=publish, skip_invalid=True)
    again_outcome = again.apply()
    t3 = time.perf_counter()
    print(
        f"database: {label}; tracker connector (coronanet), --skip-invalid, {'published' if publish else 'drafts'}"
    )
    print(
        f"records: {records}, {len(data) / 1e6:.1f} MB CSV; left out (not municipal): {result.release.not_municipal}"
    )
    print(f"cases: {len(result.plan.rows)}; records set aside: {len(result.rejected)}")
    print(f"validate + convert: {t1 - t0:.1f} s ({records / (t1 - t0):.0f} records/s)")
    print(f"write + index: {t2 - t1:.1f} s ({len(result.plan.rows) / (t2 - t1):.0f} cases/s)")
    print(
        f"total: {t2 - t0:.1f} s -> {records / (t2 - t0):.0f} records/s, {len(result.plan.rows) / (t2 - t0):.0f} cases/s"
    )
    print(f"CPU time: {c2 - c0:.1f} s -> {records / (c2 - c0):.0f} records per CPU-second")
    print(f"second import of the same release: {t3 - t2:.1f} s, {again_outcome.counts}")
    print(f"pages: {CaseStudyPage.objects.count()}; cities: {City.objects.count()}; counts: {outcome.counts}")
    for line in result.summary()[2:4]:
        print(line[:300])


if __name__ == "__main__":
    main()
