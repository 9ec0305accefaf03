"""The search page, its JSON form and the suggest endpoint, in both languages."""

from __future__ import annotations

import datetime

import pytest

from django.db import transaction
from django.urls import reverse
from django.utils import translation

from search.factories import CityFactory, MeasureTypeFactory, make_case
from search.types import SearchRequest

from .fixtures.database import own_or_fresh, shared_for_module

# Every test but test_urls (which needs no database) asks for `cases`, and through it for the
# database: no module-wide django_db mark, so the cases can be built once for the module.

RESULT_KEYS = {
    "title",
    "url",
    "locale",
    "city",
    "country",
    "continent",
    "policy_areas",
    "measure_types",
    "start_date",
    "summary",
    "highlight",
    "score",
    "language",
    "translated",
}
FACET_KEYS = {"area", "continent", "country", "measure", "year", "lang", "evidence", "size"}


def _build_cases() -> dict:
    seoul = CityFactory(name="Seoul", name_ko="서울", slug="seoul", country="KR", continent="asia")
    paris = CityFactory(name="Paris", name_ko="파리", slug="paris", country="FR", continent="europe")
    testing = MeasureTypeFactory(name="Testing", name_ko="검사", slug="testing")
    drive = make_case(
        "Drive-through testing stations",
        summary="Cars drive through testing stations.",
        city=seoul,
        areas=["quarantine", "smart-city"],
        measures=[testing],
        start_date=datetime.date(2020, 3, 1),
    )
    return {
        "drive": drive,
        "lanes": make_case(
            "Pop-up cycle lanes",
            summary="Temporary cycle lanes <for> commuters.",
            city=paris,
            areas=["public-transportation"],
            start_date=datetime.date(2020, 5, 11),
        ),
        "ko": make_case(
            "드라이브스루 선별진료소",
            summary="서울시는 선별진료소를 운영했다.",
            language="ko",
            city=seoul,
            areas=["quarantine"],
            measures=[testing],
            start_date=datetime.date(2020, 3, 1),
            translation_key=drive.translation_key,
        ),
    }


@pytest.fixture(scope="module")
def _cases_module(request, django_db_setup, django_db_blocker):
    """The cases built once for the module (in a transaction rolled back after it), unless a test
    of the module commits or uses the database without them: then None, and each test builds its own."""
    yield from shared_for_module(request, django_db_blocker, "cases", _build_cases)


@pytest.fixture
def cases(_cases_module, db):
    """Drive-through testing in English and its Korean translation; cycle lanes in English only.
    Built (and indexed) once per module; each test gets its own copies of the pages, read again."""
    return own_or_fresh(_cases_module, _build_cases)


def search_url(language: str) -> str:
    with translation.override(language):
        return reverse("search")


def suggest_url(language: str) -> str:
    with translation.override(language):
        return reverse("search_suggest")


def test_urls():
    assert search_url("en") == "/en/search/"
    assert search_url("ko") == "/ko/search/"
    assert suggest_url("ko") == "/ko/search/suggest/"


@pytest.mark.parametrize("language", ["en", "ko"])
def test_page_renders_in_both_languages(client, cases, language):
    response = client.get(f"/{language}/search/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    assert 'name="q"' in html and 'role="combobox"' in html
    assert "search/search.js" in html
    assert 'name="area"' in html and 'name="continent"' in html and 'name="year"' in html


def test_page_shows_results_with_highlight_badges_and_facets(client, cases):
    html = client.get("/en/search/?q=testing").content.decode()
    assert "Drive-through testing stations" in html
    assert cases["drive"].url in html
    assert "Seoul, South Korea" in html
    assert "Cars drive through <mark>testing</mark> stations." in html
    assert 'class="badge badge--quarantine">Quarantine measures<' in html
    assert "Pop-up cycle lanes" not in html
    # Facet checkboxes keep the query (same form) and show live counts.
    assert 'value="quarantine"' in html
    assert 'name="q" value="testing"' in html


def test_korean_page_shows_korean_results_only(client, cases):
    response = client.get("/ko/search/?q=선별진료소")
    html = response.content.decode()
    assert "드라이브스루 선별진료소" in html
    assert "<mark>선별진료소</mark>를" in html  # the particle stays outside the mark
    assert "서울" in html
    assert "Drive-through testing stations" not in client.get("/ko/search/").content.decode()
    assert "드라이브스루 선별진료소" not in client.get("/en/search/").content.decode()


def test_summary_is_escaped(client, cases):
    html = client.get("/en/search/?q=lanes").content.decode()
    assert "Temporary <mark>cycle</mark> <mark>lanes</mark> &lt;for&gt; commuters." in html or (
        "&lt;for&gt;" in html and "<for>" not in html
    )


def test_json_shape_is_exactly_the_documented_one(client, cases):
    response = client.get("/en/search/?q=testing&format=json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    data = response.json()
    assert set(data) == {"count", "page", "num_pages", "results", "facets", "did_you_mean", "corrected_from"}
    assert (data["count"], data["page"], data["num_pages"]) == (1, 1, 1)
    assert set(data["facets"]) == FACET_KEYS
    assert data["facets"]["area"] == {"quarantine": 1, "smart-city": 1}
    assert data["facets"]["year"] == {"2020": 1}
    (result,) = data["results"]
    assert set(result) == RESULT_KEYS
    assert result == {
        "title": "Drive-through testing stations",
        "url": cases["drive"].url,
        "locale": "en",
        "city": "Seoul",
        "country": "KR",
        "continent": "asia",
        "policy_areas": ["quarantine", "smart-city"],
        "measure_types": ["testing"],
        "start_date": "2020-03-01",
        "summary": "Cars drive through testing stations.",
        "highlight": "Cars drive through <mark>testing</mark> stations.",
        "score": result["score"],
        "language": "en",
        "translated": True,
    }
    assert isinstance(result["score"], float)


def test_json_browse_mode_has_null_scores(client, cases):
    data = client.get("/ko/search/?format=json").json()
    assert data["count"] == 2
    assert [r["locale"] for r in data["results"]] == ["en", "ko"]  # newest first
    assert data["results"][1]["city"] == "서울"
    assert all(result["score"] is None for result in data["results"])


def test_results_found_across_languages_are_labelled(client, cases):
    # The cycle lanes exist in English only: a Korean search lists them, in English, labelled;
    # the drive-through case is listed once, in Korean (its translation), never twice.
    data = client.get("/ko/search/?format=json").json()
    lanes, drive = data["results"]
    assert (lanes["title"], lanes["language"], lanes["translated"]) == ("Pop-up cycle lanes", "en", False)
    assert lanes["city"] == "파리" and lanes["url"] == cases["lanes"].url
    assert (drive["title"], drive["language"], drive["translated"]) == ("드라이브스루 선별진료소", "ko", True)
    assert data["facets"]["lang"] == {"en": 1, "ko": 1}
    html = client.get("/ko/search/").content.decode()
    assert html.count("badge--language") == 1
    assert '<h3 class="search-result__title" lang="en">' in html
    assert "영어로 작성" in html
    # `lang` keeps one language only.
    only_ko = client.get("/ko/search/?format=json&lang=ko").json()
    assert [r["title"] for r in only_ko["results"]] == ["드라이브스루 선별진료소"]
    unknown = client.get("/ko/search/?format=json&lang=xx")  # unknown: a 400 naming it
    assert unknown.status_code == 400 and unknown.json()["parameter"] == "lang"


def test_accept_header_selects_json(client, cases):
    response = client.get("/en/search/?q=testing", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert response.json()["count"] == 1
    assert "Accept" in response["Vary"]
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    assert client.get("/en/search/", HTTP_ACCEPT=browser)["Content-Type"].startswith("text/html")
    assert client.get("/en/search/", HTTP_ACCEPT="*/*")["Content-Type"].startswith("text/html")
    assert client.get("/en/search/?format=html", HTTP_ACCEPT="application/json")["Content-Type"].startswith(
        "text/html"
    )


def test_chips_remove_one_filter_and_keep_the_rest(client, cases):
    response = client.get("/en/search/?q=testing&area=quarantine&area=smart-city&continent=asia")
    context = response.context
    chips = {(chip["facet"], chip["label"]): chip["url"] for chip in context["chips"]}
    assert set(chips) == {
        ("Policy area", "Quarantine measures"),
        ("Policy area", "Smart city"),
        ("Continent", "Asia"),
    }
    assert chips[("Continent", "Asia")] == "?q=testing&area=quarantine&area=smart-city"
    assert chips[("Policy area", "Smart city")] == "?q=testing&area=quarantine&continent=asia"
    html = response.content.decode()
    assert 'class="chip"' in html
    assert 'href="?q=testing&amp;area=quarantine&amp;area=smart-city"' in html


def test_facet_checkboxes_are_checked_for_the_selection(client, cases):
    html = client.get("/en/search/?area=quarantine").content.decode()
    assert 'name="area" value="quarantine" checked' in html
    assert 'name="area" value="public-transportation" data-autosubmit' in html


def test_no_results_suggests_the_filter_to_drop(client, cases):
    response = client.get("/en/search/?q=testing&continent=europe")
    assert response.status_code == 200
    context = response.context
    assert context["response"].count == 0
    (suggestion,) = [s for s in context["drop_suggestions"] if "Continent" in s["label"]]
    assert suggestion["count"] == 1
    assert suggestion["url"] == "?q=testing"
    html = response.content.decode()
    assert "No results" in html
    assert "Remove the filter “Continent: Europe”: 1 result" in html


def test_no_results_suggests_dropping_the_words(client, cases):
    context = client.get("/en/search/?q=zeppelin&continent=europe").context
    labels = [s["label"] for s in context["drop_suggestions"]]
    assert labels == ["the words “zeppelin”"]
    assert context["drop_suggestions"][0]["count"] == 1


def test_pagination_links_keep_the_query(client, cases):
    response = client.get("/en/search/?page_size=1&area=quarantine&area=public-transportation")
    context = response.context
    assert context["response"].num_pages == 2
    assert context["next_url"] == "?page_size=1&area=quarantine&area=public-transportation&page=2"
    html = client.get("/en/search/?page_size=1&page=2").content.decode()
    assert 'rel="prev"' in html


def test_page_past_the_end(client, cases):
    response = client.get("/en/search/?page=50")
    assert response.status_code == 200
    assert response.context["past_last_page"]
    data = client.get("/en/search/?page=50&format=json").json()
    assert data["results"] == [] and data["page"] == 50 and data["count"] == 2


def test_sort_and_type_filters(client, cases):
    data = client.get("/en/search/?sort=newest&type=case&format=json").json()
    assert [r["title"] for r in data["results"]] == ["Pop-up cycle lanes", "Drive-through testing stations"]
    assert client.get("/en/search/?type=session&format=json").json()["count"] == 0


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("page=0", "“page” must be a whole number from 1 to 10000."),
        ("page=-1", "“page” must be a whole number from 1 to 10000."),
        ("page=abc", "“page” must be a whole number from 1 to 10000."),
        (f"page={10**9}", "“page” must be a whole number from 1 to 10000."),
        ("page=10001", "“page” must be at most 10000."),
        ("sort=random", "Unknown sort “random”: use one of relevance, newest, evidence."),
        ("page_size=1000", "“page_size” must be at most 100."),
    ],
)
def test_bad_parameters_answer_400_with_a_message(client, cases, query, message):
    response = client.get(f"/en/search/?{query}&format=json")
    assert response.status_code == 400
    assert response.json() == {"error": message}
    response = client.get(f"/en/search/?{query}")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert message in response.content.decode().replace("&ldquo;", "“").replace("&rdquo;", "”")


def test_unknown_format_is_a_400(client, cases):
    response = client.get("/en/search/?format=xml")
    assert response.status_code == 400
    assert "Unknown format" in response.content.decode()


def test_repeated_facet_values_count_once(client, cases):
    data = client.get(
        "/en/search/?format=json&area=quarantine&area=quarantine&country=KR&country=kr&year=2020,2020&type=case"
    ).json()
    assert data["count"] == 1
    assert data["facets"]["area"]["quarantine"] == 1


@pytest.mark.parametrize(
    "query",
    [
        "area=nope",
        "continent=atlantis",
        "country=XX",
        "measure=nope",
        "year=abc",
        "type=blog",
        "area=quarantine,nope",
    ],
)
def test_unknown_facet_values_are_a_400_naming_them(client, cases, query):
    """Ignored before (another result set than asked for); now the one rule of search.filters."""
    name, value = query.split("=")
    value = value.split(",")[-1]
    response = client.get(f"/en/search/?format=json&{query}")
    assert response.status_code == 400
    body = response.json()
    assert body["parameter"] == name
    assert body["error"].startswith(
        f"Unknown value “{value.upper() if name == 'country' else value}” for “{name}”."
    )


def test_too_many_values_is_a_400(client, cases):
    query = "&".join(f"measure=m{i}" for i in range(60))
    response = client.get(f"/en/search/?format=json&{query}")
    assert response.status_code == 400
    assert "measure" in response.json()["error"]


def test_suggest_endpoint(client, cases):
    response = client.get("/en/search/suggest/?q=dri")
    assert response.status_code == 200
    data = response.json()
    assert set(data) == {"query", "suggestions"}
    assert data["query"] == "dri"
    assert {"kind": "case", "label": "Drive-through testing stations", "url": cases["drive"].url} in [
        {k: s[k] for k in ("kind", "label", "url")} for s in data["suggestions"]
    ]
    assert all(set(s) == {"kind", "label", "url", "value"} for s in data["suggestions"])
    ko = client.get("/ko/search/suggest/?q=선별").json()
    assert [s["label"] for s in ko["suggestions"] if s["kind"] == "case"] == ["드라이브스루 선별진료소"]
    assert client.get("/en/search/suggest/").json() == {"query": "", "suggestions": []}
    assert client.get("/en/search/suggest/?q=%00%01").json() == {"query": "", "suggestions": []}


def test_search_costs_two_queries(cases, django_assert_num_queries):
    from search.service import get_backend

    backend = get_backend()
    request = SearchRequest(
        language="en", query="testing", area=("quarantine", "smart-city"), continent=("asia",), year=(2020,)
    )
    backend.search(request)  # the synonyms are read once per process (then checked every few seconds)
    with django_assert_num_queries(2):
        response = backend.search(request)
    assert response.count == 1
    with django_assert_num_queries(2):
        backend.search(SearchRequest(language="en"))
    with django_assert_num_queries(1):  # nothing on the page: no row query
        backend.search(SearchRequest(language="en", query="zeppelin"))


def test_postgresql_planner_settings_stay_with_the_search_statement(cases):
    # The search statement plans without sequential scans (search.backends.database
    # PLANNER_SETTINGS); whatever runs next on the connection, after a search or a failed one,
    # plans with the server's own settings.
    from django.db import DatabaseError, connection

    from search.backends import database
    from search.service import get_database_backend

    if connection.vendor != "postgresql":
        pytest.skip("planner settings are PostgreSQL's")

    def current() -> dict[str, str]:
        with connection.cursor() as cursor:
            values = {}
            for name in database.PLANNER_SETTINGS:
                cursor.execute(f"SHOW {name}")
                values[name] = cursor.fetchone()[0]
            return values

    before = current()
    assert before["enable_seqscan"] == "on"
    backend = get_database_backend()
    assert backend.search(SearchRequest(language="en", query="testing")).count >= 1
    assert current() == before
    # (A failed statement aborts the test's transaction: each runs in a savepoint of its own.)
    for sql, params in (("SELECT 1 / 0", []), ("SELECT 1 / %s", [0])):
        with pytest.raises(DatabaseError), transaction.atomic():
            backend._fetch(sql, params)
        assert current() == before


def test_page_query_count_is_fixed(client, cases, django_assert_max_num_queries):
    client.get("/en/search/?q=testing")  # warm caches (site root paths, translations)
    url = "/en/search/?q=testing&area=quarantine&area=smart-city&continent=asia&measure=testing&year=2020"
    # One of them reads the version tokens of the vocabulary, synonyms and vectors (search.versions).
    with django_assert_max_num_queries(15):
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(5):
        assert client.get(url + "&format=json").status_code == 200


def test_suggest_query_count(cases, django_assert_max_num_queries):
    from search.service import suggest

    with django_assert_max_num_queries(3):
        suggest("en", "dri")


def test_postgresql_search_with_server_side_binding(cases):
    # A deployment may turn psycopg's server-side binding on (one statement per round trip):
    # the search then sends its planner settings on their own and answers the same.
    from django.db import connection

    from search.service import get_database_backend

    if connection.vendor != "postgresql":
        pytest.skip("server-side binding is psycopg's")
    backend = get_database_backend()
    request = SearchRequest(language="en", query="testing")
    expected = backend.search(request)
    options = connection.settings_dict.setdefault("OPTIONS", {})
    options["server_side_binding"] = True
    try:
        sent: list[str] = []
        with connection.execute_wrapper(lambda execute, sql, *args: sent.append(sql) or execute(sql, *args)):
            got = backend.search(request)
    finally:
        options.pop("server_side_binding")
    assert [hit.page_id for hit in got.hits] == [hit.page_id for hit in expected.hits]
    assert got.count == expected.count
    assert "SET enable_seqscan = off" in sent and "RESET enable_seqscan" in sent
