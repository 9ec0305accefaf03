"""The admin listing of case studies filters by policy area, continent, language, status, city and
review state. Every test reads the same cases, built once for the module."""

import pytest

from wagtail.models import Locale

from casestudies.factories import CaseStudyPageFactory, CityFactory, index_page
from tests.admin_forms import submit_for_review

from .fixtures.database import own_or_fresh, shared_for_module

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(make_user):
    return make_user("eddie", "Editors")


def _build_listed() -> dict:
    index_page("en")
    index_page("ko")
    # The editorial plugin's city_a and city_b (CityFactory finds them by slug: the same rows).
    city_a = CityFactory(name="Aville", name_ko="에이시", slug="aville", country="KR")
    city_b = CityFactory(name="Beetown", name_ko="비시", slug="beetown", country="DE", continent="europe")
    a = CaseStudyPageFactory(title="Alpha quarantine", city=city_a, areas=["quarantine"])
    b = CaseStudyPageFactory(title="Beta transport", city=city_b, areas=["public-transportation"])
    b.save_revision()  # live with a draft
    c = CaseStudyPageFactory(title="Gamma draft", city=city_b, areas=["welfare"])
    c.unpublish()
    ko = a.copy_for_translation(Locale.objects.get(language_code="ko"))
    ko.title = "알파 방역"
    ko.save_revision().publish()
    return {"a": a, "b": b, "c": c, "ko": ko}


@pytest.fixture(scope="module")
def _listed_module(request, django_db_setup, django_db_blocker):
    """The cases built once for the module (in a transaction rolled back after it), unless a test
    of the module commits or does without them: then None, and each test builds its own."""
    yield from shared_for_module(request, django_db_blocker, "listed", _build_listed)


@pytest.fixture
def listed(_listed_module, db):
    """Live, live-with-a-draft and draft cases in two cities, and a Korean translation; each test
    gets its own copies of the pages, read again."""
    return own_or_fresh(_listed_module, _build_listed)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {"Alpha quarantine", "Beta transport", "Gamma draft", "알파 방역"}),
        ("policy_area=quarantine", {"Alpha quarantine", "알파 방역"}),
        ("policy_area=quarantine&policy_area=welfare", {"Alpha quarantine", "알파 방역", "Gamma draft"}),
        ("continent=europe", {"Beta transport", "Gamma draft"}),
        ("locale=ko", {"알파 방역"}),
        ("status=draft", {"Gamma draft"}),
        ("status=changed", {"Beta transport"}),
        ("status=live", {"Alpha quarantine", "Beta transport", "알파 방역"}),
    ],
)
def test_case_listing_filters(client, make_user, listed, query, expected):
    client.force_login(make_user("admin", superuser=True))
    response = client.get(f"/admin/case_studies/?{query}")
    assert response.status_code == 200
    titles = {page.title for page in response.context["object_list"]}
    assert titles == expected


def test_case_listing_filters_by_city_and_review(client, editor, make_user, listed, city_b):
    client.force_login(editor)
    submit_for_review(client, listed["b"])
    client.force_login(make_user("admin", superuser=True))
    titles = {p.title for p in client.get(f"/admin/case_studies/?city={city_b.pk}").context["object_list"]}
    assert titles == {"Beta transport", "Gamma draft"}
    titles = {p.title for p in client.get("/admin/case_studies/?status=in_review").context["object_list"]}
    assert titles == {"Beta transport"}
    html = client.get("/admin/case_studies/").content.decode()
    assert "Beetown" in html  # the city column
