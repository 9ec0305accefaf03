"""The search contract: every backend (database always, Elasticsearch when ELASTICSEARCH_URL is set)
answers the same requests with the same results, facets and suggestions. Every test here reads one
fixed corpus (written once for the module); the tests that write their own pages are in
tests/test_search_contract_pages.py."""

from __future__ import annotations

import os
import re
from dataclasses import replace

import pytest

from django.test import TestCase, override_settings

from casestudies.models import CaseOutcome
from search import service
from search.factories import CityFactory, MeasureTypeFactory, make_case
from search.types import SearchRequest

from .fixtures.database import build_for_module, fresh, shares_module_data
from .search_contract import D, found, own, rebuild, titles

pytestmark = pytest.mark.django_db


def _build_corpus() -> dict:
    paris = CityFactory(name="Paris", name_ko="파리", slug="paris", country="FR", continent="europe")
    seoul = CityFactory(name="Seoul", name_ko="서울", slug="seoul", country="KR", continent="asia")
    la = CityFactory(
        name="Los Angeles",
        name_ko="로스앤젤레스",
        slug="los-angeles",
        country="US",
        continent="north-america",
    )
    berlin = CityFactory(name="Berlin", name_ko="베를린", slug="berlin", country="DE", continent="europe")
    testing = MeasureTypeFactory(name="Testing", name_ko="검사", slug="testing")
    drive = MeasureTypeFactory(
        name="Drive-through testing", name_ko="드라이브스루 검사", slug="drive-through-testing"
    )
    lanes = MeasureTypeFactory(name="Pop-up bike lanes", name_ko="임시 자전거 도로", slug="pop-up-bike-lanes")
    remote = MeasureTypeFactory(name="Remote learning", name_ko="원격 수업", slug="remote-learning")
    income = MeasureTypeFactory(name="Income support", name_ko="소득 지원", slug="income-support")
    cases = {
        "lanes": make_case(
            "Pop-up cycle lanes",
            summary="Temporary cycle lanes along the metro lines.",
            text="Paris opened fifty kilometres of corona cycle lanes in May.",
            city=paris,
            areas=["public-transportation", "climate-environment"],
            measures=[lanes],
            start_date=D(2020, 5, 11),
        ),
        "drive": make_case(
            "Drive-through testing stations",
            summary="Cars drive through testing stations; testing takes ten minutes.",
            city=seoul,
            areas=["quarantine"],
            measures=[testing, drive],
            start_date=D(2020, 3, 1),
        ),
        "learning": make_case(
            "Distance learning for every pupil",
            summary="Schools moved online and lent tablets to pupils.",
            city=seoul,
            areas=["education"],
            measures=[remote],
            start_date=D(2020, 4, 9),
        ),
        "mass": make_case(
            "Free mass tests for residents",
            summary="Every resident could book free tests online.",
            city=la,
            areas=["quarantine"],
            measures=[testing],
            start_date=D(2020, 4, 29),
        ),
        "income": make_case(
            "Emergency income support",
            summary="Grants for the self-employed and small shops.",
            city=berlin,
            areas=["welfare"],
            measures=[income],
            start_date=D(2021, 1, 10),
        ),
        "school": make_case(
            "School testing and cycling to school",
            summary="Pupils were tested twice a week and encouraged to come by bike.",
            text="Cycling to school became the norm.",
            city=berlin,
            areas=["education", "quarantine"],
            measures=[testing],
            start_date=D(2021, 3, 1),
        ),
        "ko_drive": make_case(
            "드라이브스루 선별진료소",
            summary="서울시는 2020년 3월부터 선별진료소를 운영했다.",
            text="차에서 내리지 않고 검사를 받는다.",
            language="ko",
            city=seoul,
            areas=["quarantine"],
            measures=[testing, drive],
            start_date=D(2020, 3, 1),
        ),
        "ko_lanes": make_case(
            "임시 자전거 도로",
            summary="파리는 지하철 노선을 따라 임시 자전거 도로를 열었다.",
            language="ko",
            city=paris,
            areas=["public-transportation"],
            measures=[lanes],
            start_date=D(2020, 5, 11),
        ),
    }
    return cases


@pytest.fixture(scope="module")
def _corpus_module(request, django_db_setup, django_db_blocker):
    """The corpus written (and indexed, through the page signals as in `indexing`) once for the
    module, in a transaction rolled back after it; each test runs in a savepoint inside it, so what
    a test writes is gone for the next. Only for the database backend: when ELASTICSEARCH_URL is
    set, Elasticsearch's index lives outside the transaction, so each test writes its own corpus."""
    if os.environ.get("ELASTICSEARCH_URL") or not shares_module_data(request, "corpus"):
        yield None
        return

    def build() -> dict:
        with override_settings(CAC_SEARCH_BACKEND="database"):
            service.reset_backend()
            try:
                with TestCase.captureOnCommitCallbacks(execute=True):
                    return _build_corpus()
            finally:
                service.reset_backend()

    yield from build_for_module(django_db_blocker, build)


@pytest.fixture
def corpus(_corpus_module, search_backend, indexing):
    """Six English and two Korean case studies with known text and taxonomy: written once for the
    module on the database backend (each test gets the pages read again), else for each test."""
    if _corpus_module is not None and search_backend.name == "database":
        return fresh(_corpus_module)
    with indexing():
        return _build_corpus()


EN_TITLES = {
    "Pop-up cycle lanes",
    "Drive-through testing stations",
    "Distance learning for every pupil",
    "Free mass tests for residents",
    "Emergency income support",
    "School testing and cycling to school",
}


# ------------------------------------------------------------------------------------------------
# Matching and ranking
# ------------------------------------------------------------------------------------------------
def test_english_stemming(search_backend, corpus):
    assert found(search_backend, "cycling") == {"Pop-up cycle lanes", "School testing and cycling to school"}
    assert found(search_backend, "tests") == {
        "Drive-through testing stations",
        "Free mass tests for residents",
        "School testing and cycling to school",
    }
    assert "Drive-through testing stations" in found(search_backend, "tested")


def test_query_words_are_a_soft_and(search_backend, corpus):
    # Every word matched ranks first; one missing word no longer empties the results.
    response = search_backend.search(own(query="testing Seoul", page_size=100))
    assert titles(response)[0] == "Drive-through testing stations"
    assert {"Free mass tests for residents", "Distance learning for every pupil"} <= set(titles(response))
    assert (
        titles(search_backend.search(own(query="cycling pupils")))[0]
        == "School testing and cycling to school"
    )
    assert found(search_backend, "cycling zeppelin") == {
        "Pop-up cycle lanes",
        "School testing and cycling to school",
    }
    # Three words or four: all but one must match; longer questions about half of their words.
    assert found(search_backend, "cycling pupils zeppelin") == {"School testing and cycling to school"}
    assert found(search_backend, "cycling zeppelin walrus") == set()
    assert found(search_backend, "how did schools test pupils and teach them at home by tablet") == {
        "Distance learning for every pupil",
        "School testing and cycling to school",
    }


def test_pages_beyond_the_ranked_window_keep_the_relevance_order(search_backend, corpus, monkeypatch):
    # The database backend ranks only the first LEXICAL_WINDOW results by words (on SQLite at
    # least up to the page asked for; PostgreSQL keeps its window whatever the page): paging one
    # result at a time with a window of one must give the order of a single page of every
    # result, never a result twice or none.
    if search_backend.name != "database":
        pytest.skip("the ranked window is the database backend's")
    from search.backends import database

    monkeypatch.setattr(database, "LEXICAL_WINDOW", 1)
    everything = titles(search_backend.search(own(query="testing school", page_size=100)))
    assert len(everything) >= 3
    one_by_one = [
        titles(search_backend.search(own(query="testing school", page_size=1, page=page)))[0]
        for page in range(1, len(everything) + 1)
    ]
    assert one_by_one == everything


def test_body_text_city_and_measure_names_are_searchable(search_backend, corpus):
    assert "Pop-up cycle lanes" in found(search_backend, "kilometres")  # StreamField body
    assert found(search_backend, "Berlin") == {
        "Emergency income support",
        "School testing and cycling to school",
    }
    assert "Pop-up cycle lanes" in found(search_backend, "bike")  # measure-type name


def test_relevance_sort_is_by_score(search_backend, corpus):
    response = search_backend.search(own(language="en", query="testing"))
    scores = [hit.score for hit in response.hits]
    assert all(score is not None for score in scores)
    assert scores == sorted(scores, reverse=True)


def test_korean_particles_and_compounds(search_backend, corpus):
    assert found(search_backend, "선별진료소", "ko") == {"드라이브스루 선별진료소"}
    assert found(search_backend, "드라이브스루", "ko") == {"드라이브스루 선별진료소"}
    assert found(search_backend, "운영하다", "ko") == {"드라이브스루 선별진료소"}
    assert found(search_backend, "자전거", "ko") == {"임시 자전거 도로"}
    assert found(search_backend, "서울", "ko") == {"드라이브스루 선별진료소"}


def test_korean_highlight(search_backend, corpus):
    hit = search_backend.search(own(language="ko", query="선별진료소")).hits[0]
    # The word is marked without the particle written onto it (선별진료소를).
    assert "<mark>선별진료소</mark>를" in hit.highlight
    assert "선별진료소" in re.sub(r"</?mark>", "", hit.highlight)


# ------------------------------------------------------------------------------------------------
# Facets
# ------------------------------------------------------------------------------------------------
def test_browse_mode_lists_everything_newest_first_with_facets(search_backend, corpus):
    response = search_backend.search(own(language="en"))
    assert response.count == 6
    assert titles(response) == [
        "School testing and cycling to school",
        "Emergency income support",
        "Pop-up cycle lanes",
        "Free mass tests for residents",
        "Distance learning for every pupil",
        "Drive-through testing stations",
    ]
    assert all(hit.score is None for hit in response.hits)
    assert response.facets["area"] == {
        "quarantine": 3,
        "education": 2,
        "public-transportation": 1,
        "climate-environment": 1,
        "welfare": 1,
    }
    assert response.facets["continent"] == {"europe": 3, "asia": 2, "north-america": 1}
    assert response.facets["country"] == {"DE": 2, "KR": 2, "FR": 1, "US": 1}
    assert response.facets["year"] == {"2020": 4, "2021": 2}
    assert response.facets["measure"]["testing"] == 3
    assert response.facets["measure"]["drive-through-testing"] == 1


def test_facets_are_disjunctive(search_backend, corpus):
    response = search_backend.search(own(language="en", area=("education",)))
    assert set(titles(response)) == {
        "Distance learning for every pupil",
        "School testing and cycling to school",
    }
    # The area facet ignores its own selection ...
    assert response.facets["area"]["quarantine"] == 3
    assert response.facets["area"]["education"] == 2
    # ... the others are counted within it.
    assert response.facets["continent"] == {"asia": 1, "europe": 1}
    assert response.facets["year"] == {"2020": 1, "2021": 1}

    response = search_backend.search(own(language="en", area=("education",), continent=("europe",)))
    assert titles(response) == ["School testing and cycling to school"]
    assert response.facets["continent"] == {"asia": 1, "europe": 1}  # within area=education
    assert response.facets["area"] == {  # within continent=europe
        "public-transportation": 1,
        "climate-environment": 1,
        "welfare": 1,
        "education": 1,
        "quarantine": 1,
    }
    assert response.facets["country"] == {"DE": 1}


def test_or_within_a_facet_and_across_facets(search_backend, corpus):
    assert found(search_backend, area=("education", "welfare")) == {
        "Distance learning for every pupil",
        "School testing and cycling to school",
        "Emergency income support",
    }
    assert found(search_backend, area=("education", "welfare"), year=(2021,)) == {
        "School testing and cycling to school",
        "Emergency income support",
    }
    assert found(search_backend, country=("KR", "US")) == {
        "Drive-through testing stations",
        "Distance learning for every pupil",
        "Free mass tests for residents",
    }
    assert found(search_backend, measure=("testing",), continent=("asia",)) == {
        "Drive-through testing stations"
    }
    assert found(search_backend, measure=("income-support", "remote-learning"), country=("DE",)) == {
        "Emergency income support"
    }


def test_facets_combine_with_the_query(search_backend, corpus):
    response = search_backend.search(own(language="en", query="testing", continent=("europe",)))
    assert titles(response) == ["School testing and cycling to school"]
    assert response.facets["continent"] == {"asia": 1, "europe": 1, "north-america": 1}
    assert response.facets["area"] == {"quarantine": 1, "education": 1}


def test_selected_values_without_results_still_appear_in_facets(search_backend, corpus):
    response = search_backend.search(own(language="en", query="income", area=("sports",)))
    assert response.count == 0
    assert response.facets["area"].get("sports") == 0
    assert response.facets["area"]["welfare"] == 1


@pytest.fixture
def masks(search_backend, corpus, indexing):
    """The corpus plus cases whose measure slugs share a prefix ("mask", "mask-mandate"), one in a
    country of its own."""
    tokyo = CityFactory(name="Tokyo", name_ko="도쿄", slug="tokyo", country="JP", continent="asia")
    mask = MeasureTypeFactory(name="Masks", name_ko="마스크", slug="mask")
    mandate = MeasureTypeFactory(name="Mask mandate", name_ko="마스크 의무화", slug="mask-mandate")
    with indexing():
        cases = {
            "mandate": make_case(
                "Mask mandate on trains",
                city=tokyo,
                areas=["public-transportation"],
                measures=[mandate],
                start_date=D(2020, 7, 1),
                outcome_evidence=[CaseOutcome(indicator="Riders masked", level=3)],
            ),
            "both": make_case(
                "Free masks and a mask mandate",
                city=corpus["income"].city,
                areas=["public-transportation", "welfare"],
                measures=[mask, mandate],
                start_date=D(2021, 2, 1),
                outcome_evidence=[
                    CaseOutcome(indicator="Masks handed out", level=1),
                    CaseOutcome(indicator="Infections", level=4),
                ],
            ),
            "mask": make_case(
                "Masks for pupils",
                city=corpus["learning"].city,
                areas=["education"],
                measures=[mask, corpus["drive"].measure_types.first()],
                start_date=D(2020, 9, 1),
            ),
        }
    return {**corpus, **cases}


def reference(pages, request: SearchRequest) -> tuple[int, dict]:
    """The count and disjunctive facets of `request` over `pages`, computed in Python."""

    def values(page, facet):
        if facet == "area":
            return {area.slug for area in page.policy_areas.all()}
        if facet == "measure":
            return {measure.slug for measure in page.measure_types.all()}
        value = {
            "continent": page.city.continent,
            "country": page.city.country,
            "year": page.start_date.year if page.start_date else None,
            "lang": page.locale.language_code,
            "evidence": page.evidence_level,
            "size": page.city.size_band,
        }[facet]
        return {value} if value else set()

    def passes(page, facet):
        wanted = {str(v) for v in getattr(request, facet)}
        return not wanted or bool({str(v) for v in values(page, facet)} & wanted)

    facets_ = ("area", "continent", "country", "measure", "year", "lang", "evidence", "size")
    count = sum(all(passes(page, f) for f in facets_) for page in pages)
    facets = {}
    for facet in facets_:
        counts: dict[str, int] = {}
        for page in pages:
            if all(passes(page, other) for other in facets_ if other != facet):
                for value in values(page, facet):
                    counts[str(value)] = counts.get(str(value), 0) + 1
        for selected in getattr(request, facet):
            counts.setdefault(str(selected), 0)
        facets[facet] = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return count, facets


FILTER_SETS = [
    {},
    {"measure": ("mask",)},
    {"measure": ("mask-mandate",)},
    {"measure": ("mask", "testing")},
    {"area": ("education",), "continent": ("europe",)},
    {"area": ("quarantine", "welfare"), "year": (2021,)},
    {"measure": ("mask",), "country": ("KR", "DE")},
    {"area": ("public-transportation",), "measure": ("mask-mandate",), "continent": ("asia", "europe")},
    {
        "area": ("education",),
        "continent": ("asia",),
        "country": ("KR",),
        "measure": ("mask",),
        "year": (2020,),
    },
    {"area": ("sports",), "year": (2020,)},
    {"measure": ("no-such-measure",), "country": ("JP",)},
    {"lang": ("ko",)},
    {"lang": ("en",), "area": ("quarantine",)},
    {"lang": ("ko",), "measure": ("testing",), "continent": ("asia",)},
    {"lang": ("en", "ko"), "year": (2020,)},
    {"evidence": (3, 4)},
    {"evidence": (4,), "measure": ("mask",)},
    {"size": ("gt5m",)},
    {"size": ("1m-5m", "gt5m"), "continent": ("asia",), "evidence": (3,)},
]


@pytest.mark.parametrize("query", ["", "mask", "testing", "school"])
def test_facets_match_a_reference_count(search_backend, masks, query):
    by_id = {page.pk: page for page in masks.values()}
    # The full-text match alone decides which pages the filters and facets start from: in an
    # English search, the English cases and the Korean ones that have no English version.
    base = search_backend.search(SearchRequest(language="en", query=query, page_size=100))
    pages = [by_id[hit.page_id] for hit in base.hits]
    assert len(pages) == base.count
    for filters in FILTER_SETS:
        check_against_reference(search_backend, pages, query, filters)


def check_against_reference(search_backend, pages, query, filters):
    request = SearchRequest(language="en", query=query, page_size=100, **filters)
    response = search_backend.search(request)
    count, facets = reference(pages, request)
    assert response.count == count == len(response.hits)
    assert {facet: list(counts.items()) for facet, counts in response.facets.items()} == facets
    if not query:  # browsing: newest first, ties to the highest page id
        expected = sorted(
            (page for page in pages if page.pk in {hit.page_id for hit in response.hits}),
            key=lambda page: (page.start_date, page.pk),
            reverse=True,
        )
        assert [hit.page_id for hit in response.hits] == [page.pk for page in expected]
    paged = search_backend.search(replace(request, page=2, page_size=2))
    assert [hit.page_id for hit in paged.hits] == [hit.page_id for hit in response.hits][2:4]
    assert paged.count == count and paged.facets == response.facets


# ------------------------------------------------------------------------------------------------
# Sorting and pagination
# ------------------------------------------------------------------------------------------------
def test_sort_newest(search_backend, corpus):
    response = search_backend.search(own(language="en", query="testing", sort="newest"))
    assert titles(response) == [
        "School testing and cycling to school",
        "Free mass tests for residents",
        "Drive-through testing stations",
    ]


def test_scores_are_kept_when_sorting_by_date(search_backend, corpus):
    response = search_backend.search(own(language="en", query="testing", sort="newest"))
    assert all(hit.score is not None and hit.score > 0 for hit in response.hits)


def test_pagination(search_backend, corpus):
    request = own(language="en", page_size=2)
    pages = [search_backend.search(replace(request, page=n)) for n in (1, 2, 3, 4)]
    assert [p.count for p in pages] == [6, 6, 6, 6]
    assert [p.num_pages for p in pages] == [3, 3, 3, 3]
    assert [p.page for p in pages] == [1, 2, 3, 4]
    assert [len(p.hits) for p in pages] == [2, 2, 2, 0]
    seen = [title for p in pages for title in titles(p)]
    assert len(seen) == len(set(seen)) == 6
    assert pages[3].facets["year"] == {"2020": 4, "2021": 2}  # facets do not depend on the page


def test_no_results(search_backend, corpus):
    response = search_backend.search(SearchRequest(language="en", query="zeppelin"))
    assert response.count == 0 and response.hits == [] and response.num_pages == 1
    assert all(counts == {} for counts in response.facets.values())


# ------------------------------------------------------------------------------------------------
# Languages
# ------------------------------------------------------------------------------------------------
KO_TITLES = {"드라이브스루 선별진료소", "임시 자전거 도로"}


def test_words_match_in_the_language_they_are_written_in(search_backend, corpus):
    assert found(search_backend, language="en") == EN_TITLES
    assert found(search_backend, language="ko") == KO_TITLES
    ko = search_backend.search(own(language="ko"))
    assert ko.count == 2
    assert all(hit.locale == "ko" for hit in ko.hits)
    assert ko.facets["country"] == {"KR": 1, "FR": 1}
    assert found(search_backend, "cycling", "ko") == set()
    assert found(search_backend, "운영하다", "ko") == {"드라이브스루 선별진료소"}
    assert found(search_backend, "운영하다", "en") == set()


def test_cases_without_a_version_in_the_language_are_listed_in_their_own(search_backend, corpus):
    # None of the corpus's Korean cases has an English version, nor the English ones a Korean one:
    # each language's search lists every case, once, in the language it is written in.
    en = search_backend.search(SearchRequest(language="en", page_size=100))
    ko = search_backend.search(SearchRequest(language="ko", page_size=100))
    assert set(titles(en)) == set(titles(ko)) == EN_TITLES | KO_TITLES
    assert en.count == ko.count == 8
    assert en.facets["lang"] == ko.facets["lang"] == {"en": 6, "ko": 2}
    by_title = {hit.title: hit for hit in ko.hits}
    english = by_title["Drive-through testing stations"]
    assert (english.language, english.locale, english.translated) == ("en", "en", False)
    assert english.city == "서울"  # the taxonomy in the visitor's language
    assert english.url == corpus["drive"].url
    korean = by_title["드라이브스루 선별진료소"]
    assert (korean.language, korean.translated) == ("ko", True)
    # Words still match where the text is: an English word finds the English case from Korean.
    assert "Pop-up cycle lanes" in set(
        titles(search_backend.search(SearchRequest(language="ko", query="kilometres")))
    )
    # `lang` keeps one language only, facets counting disjunctively.
    only_en = search_backend.search(SearchRequest(language="ko", lang=("en",), page_size=100))
    assert set(titles(only_en)) == EN_TITLES
    assert only_en.facets["lang"] == {"en": 6, "ko": 2}


def test_a_translated_case_is_listed_once_in_the_visitors_language(search_backend, corpus, indexing):
    learning = corpus["learning"]
    with indexing():
        translation = make_case(
            "모든 학생을 위한 원격 수업",
            summary="학교는 온라인으로 옮기고 학생들에게 태블릿을 빌려주었다.",
            language="ko",
            city=learning.city,
            areas=["education"],
            start_date=learning.start_date,
            translation_key=learning.translation_key,
        )
    ko = search_backend.search(SearchRequest(language="ko", page_size=100))
    assert "모든 학생을 위한 원격 수업" in titles(ko)
    assert "Distance learning for every pupil" not in titles(ko)
    assert ko.count == 8 and ko.facets["lang"] == {"en": 5, "ko": 3}
    en = search_backend.search(SearchRequest(language="en", page_size=100))
    assert "Distance learning for every pupil" in titles(en)
    assert "모든 학생을 위한 원격 수업" not in titles(en)
    # Unpublished, the translation gives its place back to the English case.
    with indexing():
        translation.unpublish()
    ko = search_backend.search(SearchRequest(language="ko", page_size=100))
    assert "Distance learning for every pupil" in titles(ko)
    assert "모든 학생을 위한 원격 수업" not in titles(ko)


def test_hit_fields(search_backend, corpus):
    hit = search_backend.search(own(language="ko", query="드라이브스루")).hits[0]
    page = corpus["ko_drive"]
    assert hit.page_id == page.pk
    assert hit.url == page.url
    assert hit.locale == "ko"
    assert hit.city == "서울"  # in the request's language
    assert (hit.country, hit.continent) == ("KR", "asia")
    assert hit.policy_areas == ["quarantine"]
    assert sorted(hit.measure_types) == ["drive-through-testing", "testing"]
    assert hit.start_date == D(2020, 3, 1)
    assert hit.summary == page.summary
    assert hit.doc_type == "case"
    en = search_backend.search(own(language="en", query="stations")).hits[0]
    assert (en.city, en.country_name) == ("Seoul", "South Korea")


def test_doc_type_filter(search_backend, corpus):
    assert found(search_backend, doc_type=("case",)) == EN_TITLES
    assert found(search_backend, doc_type=("session",)) == set()


def test_rebuild_matches_incremental_index(search_backend, corpus, indexing):
    before = search_backend.search(own(language="en", query="testing"))
    with indexing():
        rebuild()
    after = search_backend.search(own(language="en", query="testing"))
    assert titles(after) == titles(before)
    assert after.facets == before.facets


# ------------------------------------------------------------------------------------------------
# Suggestions
# ------------------------------------------------------------------------------------------------
def suggestions(backend, language, prefix):
    return [(s.kind, s.label) for s in backend.suggest(language, prefix)]


def test_suggest_case_titles_by_prefix(search_backend, corpus):
    got = suggestions(search_backend, "en", "dri")
    assert ("case", "Drive-through testing stations") in got
    assert ("measure", "Drive-through testing") in got
    assert ("case", "Distance learning for every pupil") in suggestions(search_backend, "en", "distance lea")
    assert ("case", "Pop-up cycle lanes") in suggestions(search_backend, "en", "cycl")


def test_suggest_cities_and_measures(search_backend, corpus):
    got = search_backend.suggest("en", "seo")
    city = next(s for s in got if s.kind == "city")
    assert city.label.startswith("Seoul") and city.value == "Seoul" and city.url.startswith("/en/search/")
    assert any(
        kind == "city" and label.startswith("서울") for kind, label in suggestions(search_backend, "ko", "서")
    )
    measure = next(s for s in search_backend.suggest("en", "income") if s.kind == "measure")
    assert measure.value == "income-support" and "measure=income-support" in measure.url


def test_suggest_korean_prefixes(search_backend, corpus):
    assert ("case", "드라이브스루 선별진료소") in suggestions(search_backend, "ko", "드라이")
    assert ("case", "드라이브스루 선별진료소") in suggestions(search_backend, "ko", "선별진")
    assert ("case", "임시 자전거 도로") in suggestions(search_backend, "ko", "자전")
    assert all(
        kind != "case" or label != "Pop-up cycle lanes"
        for kind, label in suggestions(search_backend, "ko", "pop")
    )


def test_suggest_respects_language_and_limit(search_backend, corpus):
    assert all(
        label != "드라이브스루 선별진료소" for _kind, label in suggestions(search_backend, "en", "드라이")
    )
    assert len(search_backend.suggest("en", "s", limit=3)) <= 3
    assert search_backend.suggest("en", "zzzz") == []


@pytest.mark.parametrize("query", ["", "mask"])
def test_sort_by_strongest_evidence(search_backend, masks, query):
    """Strongest evidence first, ungraded cases last; ties newest first (issue 16)."""
    request = SearchRequest(language="en", query=query, sort="evidence", page_size=100)
    response = search_backend.search(request)
    by_id = {page.pk: page for page in masks.values()}
    pages = [by_id[hit.page_id] for hit in response.hits if hit.page_id in by_id]
    assert pages[0] == masks["both"] and pages[1] == masks["mandate"]
    keys = [(page.evidence_level or 0, page.start_date) for page in pages]
    assert keys == sorted(keys, reverse=True)
    assert [hit.evidence for hit in response.hits[:2]] == [4, 3]
