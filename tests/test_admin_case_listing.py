"""The admin case listing: its search finds what the public search finds; its queries do not grow per row."""

from __future__ import annotations

import pytest

from django.db import connection
from django.test.utils import CaptureQueriesContext

from casestudies.factories import CaseStudyPageFactory, CityFactory

pytestmark = pytest.mark.django_db

LISTING = "/admin/case_studies/"


@pytest.fixture
def editor(client, make_user):
    user = make_user("eddie", "Editors")
    client.force_login(user)
    return user


def listed_titles(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def test_admin_search_is_stemmed_like_the_public_search(client, editor, en_index, indexing):
    city = CityFactory(name="Seoul", slug="seoul", country="KR", continent="asia")
    with indexing():
        CaseStudyPageFactory(title="Free face coverings", summary="Every resident got a mask.", city=city)
        CaseStudyPageFactory(title="Pop-up bike lanes", summary="Temporary lanes.", city=city)
    public = client.get("/en/search/", {"q": "masks"}).content.decode()
    assert "Free face coverings" in public
    html = listed_titles(client.get(LISTING, {"q": "masks"}))
    assert "Free face coverings" in html
    assert "Pop-up bike lanes" not in html


def _city_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(LISTING).status_code == 200
    return sum('FROM "casestudies_city"' in query["sql"] for query in queries.captured_queries)


def test_city_column_is_not_one_query_per_row(client, editor, en_index):
    """The City column reads the cities in one query, however many rows (it was one per row).

    Wagtail's own row actions still query per row (descendants' live state, untranslated
    locales): not fixed here."""
    cities = [CityFactory(slug=f"city-{n}", country="KR", continent="asia") for n in range(6)]
    for city in cities[:2]:
        CaseStudyPageFactory(city=city)
    few = _city_queries(client)
    for city in cities[2:]:
        CaseStudyPageFactory(city=city)
        CaseStudyPageFactory(city=city)
    assert _city_queries(client) == few <= 2
