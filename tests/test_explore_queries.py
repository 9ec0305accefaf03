"""Issue 15 item 5: /explore/ at thousands of cases and cities.

Its counts are read once per request (`charts.case_counts`, shared with the form's options on the
unfiltered page), so the number of queries must not grow with the cases or the cities, and the
shared read must keep the visibility rule and the selection's own rule (no aliases)."""

from __future__ import annotations

import datetime
import importlib

import pytest

from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from casestudies.factories import index_page
from opendata import charts, views
from opendata import selection as sel
from search.factories import CityFactory, make_case

from .fixtures.database import build_for_module

pytestmark = pytest.mark.django_db


def add_cases(first: int, n: int) -> None:
    """`n` cases, each in a city of its own (several countries and continents), en and ko."""
    continents = ["asia", "europe", "africa"]
    countries = ["KR", "FR", "KE"]
    for number in range(first, first + n):
        city = CityFactory(
            name=f"City {number}",
            slug=f"city-{number}",
            country=countries[number % 3],
            continent=continents[number % 3],
            latitude=10 + number,
            longitude=20 + number,
        )
        make_case(f"Case {number}", city=city, start_date=datetime.date(2020, 1 + number % 12, 1))
        make_case(f"사례 {number}", city=city, language="ko", slug=f"ko-{number}")


def explore_queries(client, url: str) -> int:
    client.get(url)  # warm: the site, the locales
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


def _build_first_cases() -> None:
    """The case indexes and the first three cases (`add_cases`)."""
    index_page("en")
    index_page("ko")
    add_cases(0, 3)


@pytest.fixture(scope="class")
def _first_cases_of_class(django_db_setup, django_db_blocker):
    """The first cases built once for the class (in a transaction rolled back after it)."""
    yield from build_for_module(django_db_blocker, _build_first_cases)


class TestQueriesDoNotGrow:
    """Each test starts from the same three cases (built once for the class), counts, adds twelve
    and counts again."""

    @pytest.mark.parametrize("url", ["/en/explore/", "/ko/explore/", "/en/explore/?continent=europe"])
    def test_the_number_of_queries_does_not_grow_with_cases_or_cities(
        self, client, settings, _first_cases_of_class, url
    ):
        settings.CAC_PAGE_CACHE_SECONDS = 0
        few = explore_queries(client, url)
        add_cases(3, 12)
        many = explore_queries(client, url)
        assert many == few
        # Every case was counted: 15 in English, or 5 of them in Europe.
        html = client.get(url).content.decode()
        expected = 5 if "europe" in url else 15
        assert 'data-key="europe" data-value="5"' in html  # the continents' chart
        assert html.count('class="od-marker"') + html.count('class="od-cluster"') >= 1
        selection = sel.parse_selection(QueryDict(url.partition("?")[2]), url[1:3], strict=False)
        counts = charts.case_counts(selection)
        assert counts.total == expected and len(counts.cities) == expected


def test_the_shared_read_counts_what_the_selection_counts(db):
    """The unfiltered page's counts come from the options' read: they must equal those of the
    selection's own query, with an expired case (never counted) and an alias (an option, not a
    case of the charts) among the cases."""
    en, ko = index_page("en"), index_page("ko")
    add_cases(0, 4)
    expired = make_case("Expired", city=CityFactory(slug="gone", country="JP", continent="asia"))
    expired.expire_at = timezone.now() - datetime.timedelta(days=1)
    expired.save(update_fields=["expire_at"])
    original = make_case(
        "원본", language="ko", city=CityFactory(slug="lima", country="PE", continent="south-america")
    )
    original.create_alias(recursive=False, parent=en, update_locale=en.locale, reset_translation_key=False)
    assert ko.pk

    shared = sel.parse_selection(QueryDict(), "en", strict=False)
    options = views._filter_options("en", shared)
    alone = charts.case_counts(sel.parse_selection(QueryDict(), "en", strict=False))
    assert charts.case_counts(shared) == alone
    assert alone.total == 4 and "south-america" not in alone.continents  # neither alias nor expired
    codes = [code for code, _name in options["countries"]]
    assert "PE" in codes and "JP" not in codes  # the alias is an option, as it always was
    # A filtered selection is never counted from the options' read.
    filtered = sel.parse_selection(QueryDict("continent=europe"), "en", strict=False)
    views._filter_options("en", filtered)
    assert "_case_counts" not in filtered.__dict__


def test_expired_pages_are_found_by_an_index(db):
    """The visibility rule's `expire_at` subquery can read an index (migration casestudies 0013),
    not the whole page table: the menu, every lookup and every count use it."""
    INDEX = "cac_wagtailcore_page_expire_at"  # noqa: N806
    from wagtail.models import Page

    from casestudies.visibility import public_now

    migration = importlib.import_module("casestudies.migrations.0013_page_expire_at_index")
    with connection.cursor() as cursor:
        introspected = connection.introspection.get_constraints(cursor, "wagtailcore_page")
        assert introspected[INDEX]["columns"] == ["expire_at"]
        # Reversible: the migration's reverse drops it, its forward makes it again (the planner's
        # use of it shows on a full table, not on a test's handful of rows: docs/benchmarks.md).
        (operation,) = migration.Migration.operations
        cursor.execute(operation.reverse_sql)
        assert INDEX not in connection.introspection.get_constraints(cursor, "wagtailcore_page")
        cursor.execute(operation.sql)
        assert INDEX in connection.introspection.get_constraints(cursor, "wagtailcore_page")
    assert public_now(Page.objects).count() == Page.objects.live().public().count()
