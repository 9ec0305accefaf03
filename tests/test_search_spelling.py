"""Spelling correction (search.spelling) and the retry on the search page: misspelt English and
Korean queries find their cases, correct ones are never touched, the vocabulary follows the index."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casestudies.models import CaseStudyPage
from search import service, spelling
from search.factories import CityFactory, make_case
from search.models import SearchDocument, SpellingTerm, SpellingWord

from .fixtures.database import own_or_fresh, shared_for_module

# Every test here reads the same three cases (built once for the module); the rules of the
# correction over a vocabulary written for the test are in tests/test_search_spelling_rules.py.
pytestmark = pytest.mark.django_db


def _build_cases() -> dict:
    seoul = CityFactory(name="Seoul", name_ko="서울", slug="seoul", country="KR", continent="asia")
    return {
        "hotels": make_case(
            "Quarantine hotels for arrivals",
            summary="Arrivals stayed in quarantine hotels near the airport.",
            text="Buses took travellers from the airport to the hotels; public transport was not allowed.",
            city=seoul,
        ),
        "lanes": make_case(
            "Cycle path along the river",
            summary="A temporary cycle path for commuters.",
            city=CityFactory(name="Paris", name_ko="파리", slug="paris", country="FR", continent="europe"),
            areas=["public-transportation"],
        ),
        "masks": make_case(
            "공적 마스크 무료 배부",
            summary="서울시는 어르신들에게 마스크를 무료로 나누어 주었다.",
            language="ko",
            city=seoul,
        ),
    }


@pytest.fixture(scope="module")
def _cases_module(request, django_db_setup, django_db_blocker):
    """The cases built (and indexed: the vocabulary is the index's) once for the module, in a
    transaction rolled back after it, unless a test of the module commits or does without them:
    then None, and each test builds its own."""
    yield from shared_for_module(request, django_db_blocker, "cases", _build_cases)


@pytest.fixture
def cases(_cases_module, db):
    """Quarantine hotels and a cycle path in English, free masks in Korean; each test gets its own
    copies of the pages, read again."""
    return own_or_fresh(_cases_module, _build_cases)


# ------------------------------------------------------------------------------------------------
# correct()
# ------------------------------------------------------------------------------------------------
def test_english_misspellings_are_corrected_to_index_words(cases):
    assert spelling.correct("quarentine", "en") == "quarantine"
    assert spelling.correct("transprot", "en") == "transport"  # a transposition is one edit
    assert spelling.correct("Quarentine hotles", "en") == "Quarantine hotels"  # case kept
    assert spelling.correct("AIRPROT", "en") == "AIRPORT"
    # Only the unknown word changes; spacing and punctuation stay as typed.
    assert spelling.correct("cycle  patth, (river)!", "en") == "cycle  path, (river)!"


def test_korean_misspellings_are_corrected_jamo_by_jamo_keeping_the_particle(cases):
    assert spelling.correct("마스그", "ko") == "마스크"  # ㅋ typed as ㄱ: one jamo
    assert spelling.correct("마스그를", "ko") == "마스크를"
    assert spelling.correct("공적 마스그 배부", "ko") == "공적 마스크 배부"


def test_known_words_numbers_stop_words_and_city_names_are_never_corrected(cases):
    for query in (
        "quarantine",
        "Quarantine hotels",
        "hotel",
        "arrival",
        "the",
        "2020",
        "covid19",
        "마스크를",
    ):
        assert spelling.correct(query, "en") is None, query
        assert spelling.correct(query, "ko") is None, query
    # A word of the other language's documents is known too.
    assert spelling.correct("마스크", "en") is None
    assert spelling.correct("airport", "ko") is None
    # "bath" is one letter from "path", a word of the index...
    assert spelling.correct("bath", "en") == "path"
    # ... but not once Bath is a city (with no case at all).
    CityFactory(name="Bath", name_ko="바스", slug="bath", country="GB", continent="europe")
    assert spelling.correct("bath", "en") is None


def test_measure_names_and_aliases_are_vocabulary(cases):
    # "seniors" is in no document but is an alias of a measure type: known, and a typo of it is
    # corrected to it (then the synonyms find the cases).
    assert spelling.correct("seniors", "en") is None
    assert spelling.correct("senoirs", "en") == "seniors"


def test_a_long_query_costs_a_bounded_number_of_lookups(cases, monkeypatch):
    calls = []
    original = spelling._Pool.nearest

    def counting(self, *args, **kwargs):
        calls.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(spelling._Pool, "nearest", counting)
    spelling.correct(" ".join(f"qzxw{i}a" for i in range(100)).replace("0", "o"), "en")
    spelling.correct(" ".join(["blorf"] * 80), "en")
    # each lookup searches the query's language and the names, then the other language
    assert len(calls) <= 2 * spelling.MAX_LOOKUPS * 3


def test_a_broken_vocabulary_never_breaks_a_search(cases, client, monkeypatch):
    def broken():
        raise RuntimeError("vocabulary unavailable")

    monkeypatch.setattr(spelling._cache, "get", broken)
    assert spelling.correct("quarentine", "en") is None
    response = client.get("/en/search/?q=quarentine")
    assert response.status_code == 200
    assert "No results" in response.content.decode()


# ------------------------------------------------------------------------------------------------
# The vocabulary follows the index
# ------------------------------------------------------------------------------------------------
def term_count(term: str, language: str = "en") -> int:
    row = SpellingTerm.objects.filter(language=language, term=term).first()
    return row.doc_count if row else 0


def test_vocabulary_follows_publishing_editing_and_unpublishing(cases):
    assert term_count("quarantin") == 1
    assert term_count("마스크", "ko") == 1
    page = make_case("Zorbing in the park", summary="Zorbing kept people apart.")
    assert term_count("zorb") == 1
    assert SpellingWord.objects.filter(word="zorbing", term="zorb").exists()
    assert spelling.correct("zorbnig", "en") == "zorbing"

    # Edited and republished without the word: it leaves the vocabulary.
    page.title, page.summary = "Rolling in the park", "Rolling kept people apart."
    page.save_revision().publish()
    assert term_count("zorb") == 0
    assert not SpellingWord.objects.filter(word="zorbing").exists()
    assert spelling.correct("zorbnig", "en") is None
    assert term_count("roll") == 1

    # Unpublished: its words go; words other documents have stay, with one document fewer.
    second = make_case("Quarantine at home", summary="Support for quarantine at home.")
    assert term_count("quarantin") == 2
    second.unpublish()
    assert term_count("quarantin") == 1
    assert term_count("home") == 0
    CaseStudyPage.objects.get(pk=page.pk).unpublish()
    assert term_count("roll") == 0


def test_vocabulary_follows_page_deletion(cases):
    page = make_case("Zorbing at the airport", summary="Zorbing kept people apart.")
    assert (term_count("zorb"), term_count("airport")) == (1, 2)
    page.delete()
    assert not SearchDocument.objects.filter(page_id=page.pk).exists()
    assert (term_count("zorb"), term_count("airport")) == (0, 1)  # uncounted once
    # A document deleted through the ORM alone (no unpublish signal) is uncounted too.
    SearchDocument.objects.filter(page_id=cases["hotels"].pk).delete()
    assert (term_count("airport"), term_count("quarantin")) == (0, 0)


def test_rebuild_recounts_the_vocabulary(cases):
    SpellingTerm.objects.filter(term="quarantin").update(doc_count=99)
    SpellingTerm.objects.create(language="en", term="ghost", doc_count=3)
    SpellingWord.objects.create(language="en", word="ghosts", term="ghost")
    service.rebuild(backends="database")
    assert term_count("quarantin") == 1
    assert term_count("ghost") == 0
    assert not SpellingWord.objects.filter(word="ghosts").exists()
    assert SpellingWord.objects.filter(word="travellers").exists()  # a body word
    assert spelling.correct("quarentine", "en") == "quarantine"


def test_vocabulary_is_cached_and_reloaded_when_the_index_changes(cases, django_assert_num_queries):
    assert spelling.correct("zorbnig", "en") is None
    with django_assert_num_queries(0):
        assert spelling.correct("quarentine", "en") == "quarantine"
    make_case("Zorbing in the park", summary="Zorbing kept people apart.")
    assert spelling.correct("zorbnig", "en") == "zorbing"


def test_another_process_sees_a_change_after_its_check_interval(cases, monkeypatch):
    """Another worker's change reaches this process through the token, without any signal."""
    from search import versions

    assert spelling.correct("zorbnig", "en") is None
    SpellingTerm.objects.create(language="en", term="zorb", doc_count=4)
    SpellingWord.objects.create(language="en", word="zorbing", term="zorb")
    versions.write_token("spelling")  # what the other process's write did
    assert spelling.correct("zorbnig", "en") is None  # not checked again yet
    monkeypatch.setattr(spelling._cache, "_checked", spelling._cache._checked - spelling._cache.interval - 1)
    assert spelling.correct("zorbnig", "en") == "zorbing"


def test_a_request_uses_another_process_change_at_once(client, cases):
    """In a request the token is checked every time (once per request, for every cache in one
    query): a search page made in between with the old vocabulary would stay in the page cache."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from search import versions

    url = "/en/search/?q=zorbnig&format=json&spell=0"  # spell=0: the correction offered, not searched
    assert client.get(url).json()["did_you_mean"] is None
    SpellingTerm.objects.create(language="en", term="zorb", doc_count=4)
    SpellingWord.objects.create(language="en", word="zorbing", term="zorb")
    versions.write_token("spelling")  # what the other process's write did
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).json()["did_you_mean"] == "zorbing"
    assert sum("search_searchindexstate" in query["sql"] for query in queries) == 1


# ------------------------------------------------------------------------------------------------
# The search page and its JSON form
# ------------------------------------------------------------------------------------------------
def test_misspelt_english_query_finds_its_case_through_the_retry(client, cases):
    data = client.get("/en/search/?q=quarentine&format=json").json()
    assert data["count"] == 1
    assert data["results"][0]["title"] == "Quarantine hotels for arrivals"
    assert data["corrected_from"] == "quarentine"
    assert data["did_you_mean"] == "quarantine"

    html = client.get("/en/search/?q=quarentine").content.decode()
    assert "Quarantine hotels for arrivals" in html
    assert "Showing results for <strong>quarantine</strong>." in html
    assert 'href="?q=quarentine&amp;spell=0">Search instead for “quarentine”</a>' in html
    assert 'name="q" value="quarantine"' in html


def test_misspelt_korean_query_finds_its_case_through_the_retry(client, cases):
    data = client.get("/ko/search/?q=마스그를&format=json").json()
    assert [r["title"] for r in data["results"]] == ["공적 마스크 무료 배부"]
    assert (data["corrected_from"], data["did_you_mean"]) == ("마스그를", "마스크를")
    html = client.get("/ko/search/?q=마스그를").content.decode()
    assert "<strong>마스크를</strong>에 대한 결과를 표시합니다." in html
    assert "“마스그를”(으)로 검색" in html


def test_search_instead_link_keeps_the_words_as_typed(client, cases):
    response = client.get("/en/search/?q=quarentine&spell=0")
    html = response.content.decode()
    assert response.status_code == 200
    assert "No results" in html
    assert "Quarantine hotels for arrivals" not in html
    assert "Showing results for" not in html
    # ... and still offers the correction, as a link that searches for it.
    assert 'Did you mean: <a href="?q=quarantine">quarantine</a>' in html
    data = client.get("/en/search/?q=quarentine&spell=0&format=json").json()
    assert (data["count"], data["corrected_from"], data["did_you_mean"]) == (0, None, "quarantine")


def test_correct_query_is_never_corrected(client, cases):
    for url in ("/en/search/?q=quarantine&format=json", "/en/search/?q=Quarantine+hotels&format=json"):
        data = client.get(url).json()
        assert data["count"] == 1
        assert (data["did_you_mean"], data["corrected_from"]) == (None, None)
    # A known word that matches nothing (with this filter) is not "corrected" either.
    data = client.get("/en/search/?q=quarantine&area=public-transportation&format=json").json()
    assert (data["count"], data["did_you_mean"], data["corrected_from"]) == (0, None, None)
    html = client.get("/en/search/?q=quarantine").content.decode()
    assert "Did you mean" not in html and "Showing results for" not in html


def test_results_with_an_unknown_word_offer_a_correction_without_retrying(client, cases, monkeypatch):
    # The backend answers (as the soft AND will) although one word is misspelt: here, by the
    # first word alone.
    real = service.search

    def lenient(request):
        from dataclasses import replace

        return real(replace(request, query=request.query.split()[0]))

    monkeypatch.setattr(service, "search", lenient)
    data = client.get("/en/search/?q=hotels+airprot&format=json").json()
    assert data["count"] == 1
    assert (data["did_you_mean"], data["corrected_from"]) == ("hotels airport", None)
    html = client.get("/en/search/?q=hotels+airprot").content.decode()
    assert 'Did you mean: <a href="?q=hotels+airport">hotels airport</a>' in html
    html = client.get("/ko/search/?q=마스크+공젹").content.decode()
    assert "공적 마스크 무료 배부" in html
    assert (
        '혹시 이것을 찾으셨나요? <a href="?q=%EB%A7%88%EC%8A%A4%ED%81%AC+%EA%B3%B5%EC%A0%81">마스크 공적</a>'
        in html
    )


def test_nothing_is_retried_when_the_correction_finds_nothing_either(client, cases):
    data = client.get("/en/search/?q=quarentine&area=public-transportation&format=json").json()
    assert (data["count"], data["did_you_mean"], data["corrected_from"]) == (0, None, None)


# ------------------------------------------------------------------------------------------------
# Random input
# ------------------------------------------------------------------------------------------------
KNOWN = ["quarantine", "hotels", "airport", "transport", "cycle", "마스크를", "무료", "공적"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=120))
def test_random_text_never_raises(cases, text):
    result = spelling._correct(text, "en", rare=True)
    assert result is None or (isinstance(result, str) and result != text)
    result = spelling._correct(text, "ko", rare=False)
    assert result is None or (isinstance(result, str) and result != text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    words=st.lists(
        st.one_of(
            st.sampled_from(KNOWN),
            st.text(alphabet="abcdefghijklmnopqrstuvwxyz가나다마스크", min_size=1, max_size=9),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_known_words_survive_any_company(cases, words):
    query = " ".join(words)
    result = spelling._correct(query, "en", rare=False) or query
    out = result.split(" ")
    assert len(out) == len(words)
    for typed, corrected in zip(words, out, strict=True):
        if typed in KNOWN:
            assert corrected == typed
