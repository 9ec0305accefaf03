"""A case page costs a fixed number of queries on a page-cache miss, however much it shows (issue 17,
item 2; the search page and the header are in tests/test_page_costs.py).

A case page with four of everything (areas, measure types, outcomes, sources, related cases,
cities that copied it, cases it copied) costs what a case page with one of each costs, in both
languages, under a ceiling; the language switcher and the hreflang links agree; and a preview still
shows its own unsaved relations, not the database's. Every test reads the same two cases, built
once for the module.
"""

from __future__ import annotations

import pytest

from django.db import connection
from django.test.utils import CaptureQueriesContext

from wagtail.models import Locale

from casestudies.factories import CaseStudyPageFactory, CityFactory, MeasureTypeFactory, index_page
from casestudies.models import CaseInspiration, CaseOutcome, CaseStudyPage, CaseStudySource, PolicyArea
from search.models import SearchVector

from .fixtures.database import own_or_fresh, shared_for_module

pytestmark = pytest.mark.django_db

AREAS = ["quarantine", "education", "welfare", "culture"]
# Queries of this cold case page: Wagtail's routing and view-restriction check (8), the page's own
# relations (4), the view restrictions (once), related cases (2), evidence, inspirations and
# spread (5), the head and menu (4-5), the translation notice, questions and summit sessions (3).
# It was 42 in English and 43 in Korean.
CASE_PAGE_QUERIES = 28


def translate(case: CaseStudyPage) -> CaseStudyPage:
    translation = case.copy_for_translation(Locale.objects.get(language_code="ko"))
    translation.save_revision().publish()
    return translation


def rich_case(n: int, tag: str) -> tuple[CaseStudyPage, CaseStudyPage]:
    """A case with `n` of everything a case page lists, and its Korean translation."""
    measures = [MeasureTypeFactory() for _ in range(n)]
    case = CaseStudyPageFactory(title=f"Rich case {tag}", areas=AREAS[:n], measures=measures)
    sources = [CaseStudyPageFactory(title=f"Source {tag} {i}", areas=["sports"]) for i in range(n)]
    case.outcome_evidence = [
        CaseOutcome(indicator=f"Indicator {i}", result_value="1", level=1 + i % 5) for i in range(n)
    ]
    case.sources = [CaseStudySource(title=f"Report {i}", url=f"https://example.org/{i}") for i in range(n)]
    case.inspired_by = [CaseInspiration(source=source) for source in sources]
    case.save_revision().publish()
    for i in range(n):  # cities that copied it
        copy = CaseStudyPageFactory(
            title=f"Copy {tag} {i}",
            city=CityFactory(name=f"Copytown {tag} {i}", name_ko=f"Copytown {tag} {i}"),
            areas=["sports"],
        )
        copy.inspired_by = [CaseInspiration(source=case)]
        copy.save_revision().publish()
    neighbours = [CaseStudyPageFactory(title=f"Neighbour {tag} {i}", areas=["sports"]) for i in range(n)]
    for page in [case, *sources, *neighbours]:
        translate(page)
    case.refresh_from_db()
    translation = CaseStudyPage.objects.get(translation_key=case.translation_key, locale__language_code="ko")
    for page in (case, translation):  # related cases by meaning: stored neighbours, as the worker stores them
        SearchVector.objects.create(
            page=page,
            language="en",
            model="test",
            text_hash="",
            vector=b"",
            neighbours=[p.pk for p in neighbours],
        )
    return case, translation


def queries_of(client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.content.decode()


def _build_two_cases():
    index_page("en")
    index_page("ko")
    return rich_case(1, "one"), rich_case(4, "four")


@pytest.fixture(scope="module")
def _two_cases_module(request, django_db_setup, django_db_blocker):
    """The two cases built once for the module (in a transaction rolled back after it), unless a
    test of the module commits or does without them: then None, and each test builds its own."""
    yield from shared_for_module(request, django_db_blocker, "two_cases", _build_two_cases)


@pytest.fixture
def two_cases(_two_cases_module, db):
    """A case with one of everything and a case with four, each with its Korean translation;
    each test gets its own copies of the pages, read again."""
    return own_or_fresh(_two_cases_module, _build_two_cases)


@pytest.mark.parametrize("language", ["en", "ko"])
def test_a_case_page_costs_the_same_queries_with_four_of_everything_as_with_one(client, two_cases, language):
    (one_en, one_ko), (four_en, four_ko) = two_cases
    one, four = (one_en, four_en) if language == "en" else (one_ko, four_ko)
    client.get(f"/{language}/")  # the first request of a test fills Wagtail's own caches
    count_one, _html = queries_of(client, one.url)
    count_four, html = queries_of(client, four.url)
    # Everything is on the page: an N+1 would show as more queries for four than for one.
    assert html.count("Neighbour four") == 4  # related cases (shown in the page's language)
    assert html.count("Report ") == 4 and html.count("Indicator ") >= 4
    assert html.count("Copytown four") >= 4 and html.count("Source four") >= 4
    assert count_four == count_one, f"{count_one} queries for one of each, {count_four} for four"
    assert count_four <= CASE_PAGE_QUERIES, count_four


def test_a_preview_shows_its_own_unsaved_relations(two_cases):
    """The page's relations are read once for a visitor; a preview's are the form's, in memory."""
    (_one, _one_ko), (case, _ko) = two_cases
    case = CaseStudyPage.objects.get(pk=case.pk)
    case.policy_areas.set(PolicyArea.objects.filter(slug="sports", locale=case.locale))
    case.measure_types.set([MeasureTypeFactory(name="Unsaved measure")])
    case.sources = [CaseStudySource(title="Unsaved report", url="https://example.org/unsaved")]
    case.outcome_evidence = [CaseOutcome(indicator="Unsaved indicator", result_value="2", level=3)]
    html = case.make_preview_request().render().content.decode()
    assert "Unsaved report" in html and "Report 0" not in html
    assert "Unsaved indicator" in html and "Indicator 0" not in html
    assert "Unsaved measure" in html
    assert "?area=sports" in html and "?area=quarantine" not in html


def test_the_language_switcher_and_hreflang_links_agree(client, two_cases):
    """Computed once per request, given to both: each changes its own copy."""
    (_case, _ko), (case, translation) = two_cases
    html = client.get(case.url + "?utm=1").content.decode()
    assert f'href="{translation.url}?utm=1" hreflang="ko"' in html  # the switcher keeps the query
    assert f'hreflang="ko" href="http://testserver{translation.url}"' in html  # hreflang does not
