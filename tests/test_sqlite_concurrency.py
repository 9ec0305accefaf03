"""SQLite under a long import (issue 13, item 8): visitors are not blocked.

A question posted while a 20,000-row import ran waited 20 s and answered 500 "database is locked":
the import held SQLite's single write lock for its whole transaction, and readers waited too once
its changes spilled into the database file. Now SQLite runs in WAL mode (readers never wait), with a
busy timeout and IMMEDIATE transactions (a writer waits its turn rather than failing), and the
importer writes in short transactions, one batch each."""

from __future__ import annotations

import csv
import io
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from unittest import mock

import pytest

from django.conf import settings
from django.db import connection

from casestudies.exporter import COLUMNS
from casestudies.imports import prepare, writing
from casestudies.models import CaseStudyPage

ROOT = Path(__file__).resolve().parent.parent

sqlite_only = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3",
    reason="SQLite's locking (PostgreSQL's writers do not block each other's inserts)",
)


def rows(n: int) -> list[dict]:
    return [
        {
            "key": f"case-{i}",
            "locale": "en",
            "title": f"Case number {i}",
            "summary": "A measure.",
            "city": "Seoul",
            "country": "KR",
            "continent": "asia",
            "policy_areas": "quarantine",
            "measure_types": "Mask distribution",
            "start_date": "2020-03-09",
            "end_date": "",
            "body": "Pharmacies sold two masks a week per person.",
            "outcomes": "",
            "source_urls": "https://example.org/masks",
            "contact_email": "",
        }
        for i in range(n)
    ]


def csv_bytes(data: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(data)
    return out.getvalue().encode()


def test_sqlite_settings_wal_busy_timeout_immediate(tmp_path):
    """What a fresh SQLite database file gets from the settings (dev settings, as `make run`)."""
    code = (
        "import django; django.setup(); from django.db import connection; c = connection.cursor(); "
        "print(c.execute('PRAGMA journal_mode').fetchone()[0], c.execute('PRAGMA busy_timeout').fetchone()[0], "
        "connection.transaction_mode)"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cac_platform.settings.dev",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    result = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.split() == ["wal", "20000", "IMMEDIATE"], result.stderr


@sqlite_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_import_releases_the_write_lock_between_batches(en_index, ko_index, monkeypatch):
    monkeypatch.setattr(writing, "BULK_BATCH", 20)
    plan = prepare(csv_bytes(rows(50)), "csv", publish=True)
    between = []
    with mock.patch.object(connection, "commit", wraps=connection.commit) as commit:
        writing.write_pages(plan, progress=lambda done, total: between.append(connection.in_atomic_block))
    assert CaseStudyPage.objects.filter(live=True).count() == 50
    assert len(between) == 3 and not any(between)  # no transaction is open when a batch is done
    assert commit.call_count == 4  # cities, measures and keys; then three batches of new pages
    # Updates of existing pages go through Wagtail's revision API and cannot be undone page by
    # page: one transaction, after the new pages.
    changed = [{**row, "summary": "Changed."} if i < 30 else row for i, row in enumerate(rows(50))]
    plan = prepare(csv_bytes(changed), "csv", publish=True)
    with mock.patch.object(connection, "commit", wraps=connection.commit) as commit:
        writing.write_pages(plan)
    assert CaseStudyPage.objects.filter(summary="Changed.").count() == 30
    assert commit.call_count == 2  # the (empty) first step, then the updates


def _snapshot() -> dict:
    from wagtail.models import Page, PageLogEntry, ReferenceIndex, Revision

    from casestudies.models import City, ImportedCase, MeasureType, TaggedCaseStudy
    from search.models import SearchDocument

    return {
        model.__name__: model.objects.count()
        for model in (
            Page,
            CaseStudyPage,
            City,
            MeasureType,
            TaggedCaseStudy,
            Revision,
            PageLogEntry,
            ImportedCase,
            ReferenceIndex,
            SearchDocument,
        )
    }


@sqlite_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_failing_batch_takes_the_committed_ones_back(en_index, ko_index, monkeypatch):
    """Short transactions, still all or nothing: a batch that fails (a full disk) after two were
    committed leaves the database as it was, new city and measure type included."""
    monkeypatch.setattr(writing, "BULK_BATCH", 20)
    calls = []
    original = writing._PageWriter.create

    def failing(self, batch):
        calls.append(len(batch))
        if len(calls) == 3:
            raise OSError("disk full")
        return original(self, batch)

    monkeypatch.setattr(writing._PageWriter, "create", failing)
    data = [
        {**row, "city": "Nowhere City", "country": "CO", "continent": "south-america"} for row in rows(50)
    ]
    data[0]["measure_types"] = "A brand new measure"
    before = _snapshot()
    plan = prepare(csv_bytes(data), "csv", publish=True)
    assert plan.new_cities and plan.new_measures
    with pytest.raises(OSError, match="disk full"):
        writing.write_pages(plan)
    assert calls == [20, 20, 10]
    assert _snapshot() == before


# The import's length: enough batches for a visitor to write between, not the 20,000 rows of the report.
ROWS = 200


@sqlite_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_visitor_writes_while_an_import_runs(en_index, ko_index, tmp_path):
    """The attack: a long import in one process, a visitor's writes (and reads) in another, on one
    SQLite file. The visitor's writes all go through (with a patience of 10 s, half the site's busy
    timeout: the first batch also pays the search analysers' start-up), and they go through while
    the import is half-way, between its batches, not only once it is over."""
    from casestudies.factories import CityFactory

    CityFactory(name="Seoul", name_ko="서울", slug="seoul", country="KR", continent="asia")
    database = tmp_path / "site.sqlite3"
    connection.ensure_connection()
    with sqlite3.connect(database) as copy:  # the migrated test database, as a file
        connection.connection.backup(copy)
    source = tmp_path / "cases.csv"
    source.write_bytes(csv_bytes(rows(ROWS)))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cac_platform.settings.dev",
        "DATABASE_URL": f"sqlite:///{database}",
    }
    env.pop("CACHE_URL", None)
    visitor = sqlite3.connect(database, timeout=10, isolation_level=None)
    # Twenty batches of ten rows, so that the visitor sees many of them on a busy machine too (the
    # number of batches, not of rows, is what the visitor can slip between).
    code = (
        "import sys, django; django.setup(); from casestudies.imports import writing; "
        f"writing.BULK_BATCH = {ROWS // 20}; "
        "from django.core.management import call_command; "
        "call_command('import_casestudies', sys.argv[1], '--publish')"
    )
    importing = subprocess.Popen(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code, str(source)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    writes, seen_counts, errors = 0, set(), []
    try:
        while importing.poll() is None:
            try:
                seen_counts.add(
                    visitor.execute("SELECT count(*) FROM casestudies_casestudypage").fetchone()[0]
                )
                visitor.execute("BEGIN IMMEDIATE")
                visitor.execute(
                    "INSERT INTO django_session (session_key, session_data, expire_date) VALUES (?, ?, ?)",
                    (f"visitor{writes}", "x", "2099-01-01 00:00:00"),
                )
                visitor.execute("COMMIT")
                writes += 1
            except sqlite3.OperationalError as exc:
                errors.append(f"{exc} after {writes} writes, counts {sorted(seen_counts)[-3:]}")
                if visitor.in_transaction:
                    visitor.execute("ROLLBACK")
            time.sleep(0.05)
        out, err = importing.communicate(timeout=300)
    finally:
        if importing.poll() is None:
            importing.kill()
        visitor.close()
    assert importing.returncode == 0, err
    assert errors == []
    # The visitor wrote while the import was half-way: it saw some of the import's batches.
    assert any(0 < count < ROWS for count in seen_counts), (sorted(seen_counts), writes, out[-2000:])
    assert writes > 0
    with sqlite3.connect(database) as check:
        assert check.execute("SELECT count(*) FROM casestudies_casestudypage").fetchone()[0] == ROWS
        assert check.execute("PRAGMA journal_mode").fetchone()[0] == "wal"  # set by the site's settings
