"""Admin case listings: time and SQL queries per request with thousands of cases (issue 12 item 20).

Not a timed test: a measurement, written into docs/benchmarks.md ("## Admin case listings") by hand.

    .venv/bin/python bench/admin_listing.py                 # 2,000 bilingual cases (4,000 pages)
    .venv/bin/python bench/admin_listing.py --cases 500 --runs 3

It builds a fresh SQLite file (temporary), migrates it, writes the cases in bulk (bench/synthetic.py),
gives every page a revision (the listing orders and labels by it, as on a real site), builds the
search indexes (the admin search asks the public search service and Wagtail's autocomplete), then
requests each listing through Django's test client (middleware included) as a superuser and as an
editor (Editors group: no publish right, which is what makes Wagtail check descendants per row)
and as a city editor (whose rights are checked against the case's stored city).
For each: the median of `--runs` requests after one warm-up, and the SQL queries of one request.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cac_platform.settings.dev")
    os.environ["DEBUG"] = "0"  # DEBUG keeps every SQL query in memory
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def build(cases: int) -> None:
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from wagtail.models import Page, Revision

    from bench import synthetic
    from casestudies.models import CaseStudyPage
    from search import service

    call_command("migrate", verbosity=0, interactive=False)
    started = time.perf_counter()
    synthetic.bulk_insert_cases(cases)
    print(f"  inserted {2 * cases:,} pages in {time.perf_counter() - started:.0f} s", flush=True)

    started = time.perf_counter()
    page_type = CaseStudyPage._meta.label_lower
    now = timezone.now()
    queryset = CaseStudyPage.objects.filter(latest_revision__isnull=True).order_by("pk")
    from django.contrib.contenttypes.models import ContentType

    content_type = ContentType.objects.get_for_model(CaseStudyPage)
    base_type = ContentType.objects.get_for_model(Page)
    last_pk = 0
    while True:
        chunk = list(queryset.filter(pk__gt=last_pk)[:500])
        if not chunk:
            break
        last_pk = chunk[-1].pk
        with transaction.atomic():
            revisions = Revision.objects.bulk_create(
                [
                    Revision(
                        content_type=content_type,
                        base_content_type=base_type,
                        object_id=str(page.pk),
                        object_str=page.title,
                        content=page.serializable_data(),
                        created_at=now,
                        approved_go_live_at=None,
                    )
                    for page in chunk
                ]
            )
            for page, revision in zip(chunk, revisions, strict=True):
                Page.objects.filter(pk=page.pk).update(
                    latest_revision=revision.pk, live_revision=revision.pk, latest_revision_created_at=now
                )
    print(f"  revisions in {time.perf_counter() - started:.0f} s ({page_type})", flush=True)

    started = time.perf_counter()
    service.rebuild(backends="database")
    from wagtail.search.backends import get_search_backend

    index = get_search_backend().get_index_for_model(CaseStudyPage)
    index.add_model(CaseStudyPage)
    pages = list(CaseStudyPage.get_indexed_objects().order_by("pk"))
    for start in range(0, len(pages), 1000):
        index.add_items(CaseStudyPage, pages[start : start + 1000])
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"  search indexes in {time.perf_counter() - started:.0f} s", flush=True)


def users():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    User = get_user_model()
    from casestudies.models import City
    from editorial.models import CityEditor

    User.objects.filter(username__startswith="bench-").delete()
    admin = User.objects.create_superuser("bench-admin", "admin@example.org", "pw")
    editor = User.objects.create_user("bench-editor", "editor@example.org", "pw")
    editor.groups.add(Group.objects.get(name="Editors"))
    city_editor = User.objects.create_user("bench-city-editor", "city@example.org", "pw")
    city_editor.groups.add(Group.objects.get(name="City editors"))
    CityEditor.objects.create(user=city_editor, city=City.objects.order_by("pk").first())
    return {"superuser": admin, "editor": editor, "city editor": city_editor}


def measure(client, url: str, runs: int) -> dict:
    from django.db import connection

    response = client.get(url)  # warm-up
    assert response.status_code == 200, (url, response.status_code)
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):  # the log is reset per request: count as they run
        response = client.get(url)
    rows = response.content.decode().count("data-bulk-action-checkbox")  # one per listed page
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    return {"median_ms": statistics.median(times), "queries": len(queries), "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=2000, help="bilingual cases (two pages each)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--reuse", metavar="FILE", help="measure a database built by an earlier run")
    args = parser.parse_args()

    path = args.reuse or f"{tempfile.mkdtemp(prefix='cac-admin-listing-')}/bench.sqlite3"
    setup_django(f"sqlite:///{path}")
    if not args.reuse:
        print(f"building {args.cases:,} bilingual cases in {path}", flush=True)
        build(args.cases)

    from django.test import Client

    from casestudies.models import CaseStudyIndexPage

    en_index = CaseStudyIndexPage.objects.get(locale__language_code="en")
    listings = [
        ("case listing", "/admin/case_studies/"),
        ("case listing, English only", "/admin/case_studies/?locale=en"),
        ("case listing, by title, page 20", "/admin/case_studies/?ordering=title&p=20"),
        ("case listing, search 'masks'", "/admin/case_studies/?q=masks"),
        ("explorer of the English case index", f"/admin/pages/{en_index.pk}/"),
    ]
    print("\n| listing | user | median ms | queries | rows |\n| --- | --- | --- | --- | --- |")
    for role, user in users().items():
        client = Client(HTTP_HOST="localhost")
        client.force_login(user)
        for label, url in listings:
            result = measure(client, url, args.runs)
            print(
                f"| {label} | {role} | {result['median_ms']:.0f} | {result['queries']} | {result['rows']} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
