"""Search by meaning over five cases that each exist in one language only, embedded by the bundled
multilingual model once for the module: cross-language matches, filters and counts on the semantic
side, related cases, "more like this" and the spelling retry. The worker, the backlog and every
fallback are in tests/test_search_semantic.py."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from django.http import QueryDict
from django.test import override_settings

from wagtail.models import Page

from search import service, vectors
from search.factories import CityFactory, MeasureTypeFactory, make_case
from search.related import stored_neighbours
from search.types import SearchRequest

from .fixtures.database import own_or_fresh, shared_for_module
from .fixtures.search import MEANING_SEARCH, search, titles

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("meaning_search")]

D = datetime.date


def _build_one_language_cases() -> dict:
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
    vectors.embed_backlog()  # what the background worker does: embed every page of the backlog
    return cases


@pytest.fixture(scope="module")
def _one_language_cases_module(request, django_db_setup, django_db_blocker):
    """The cases and their vectors, written once for the module (in a transaction rolled back after
    it) with meaning search on, as `meaning_search` has it for each test; None when a test of the
    module commits or does without them (then each test writes its own)."""

    def build() -> dict:
        with override_settings(**MEANING_SEARCH):
            vectors.reset()
            service.reset_backend()
            try:
                return _build_one_language_cases()
            finally:
                vectors.reset()
                service.reset_backend()

    yield from shared_for_module(request, django_db_blocker, "one_language_cases", build)


@pytest.fixture
def one_language_cases(_one_language_cases_module, db):
    """Cases that exist in one language only: the words of a query in the other language never
    occur in them, so only their meaning can find them. Embedded by the bundled model; each test
    gets its own copies of the pages, read again."""
    return own_or_fresh(_one_language_cases_module, _build_one_language_cases)


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


def test_a_one_word_query_lists_each_case_once_with_its_words_and_meaning(one_language_cases):
    """One word and meaning (a statement of its own on PostgreSQL): the case holding the word
    comes first, once, and the cases found by meaning alone follow it, each once."""
    response = search("en", "soldiers", page_size="100")
    listed = titles(response)
    assert listed[0] == "Soldiers sent to help in care homes"
    assert len(listed) == len(set(listed)) == response.count
    assert response.word_matches == 1
    assert response.count > 1  # meaning found cases without the word
    assert response.hits[0].score > max(hit.score for hit in response.hits[1:])


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
