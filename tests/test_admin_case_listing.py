"""The admin case listing: its search finds what the public search finds; its queries do not grow per row."""

from __future__ import annotations

import pytest

from django.db import connection
from django.test.utils import CaptureQueriesContext

from wagtail.models import Locale
from wagtail_localize.models import Translation, TranslationSource

from casestudies.factories import CaseStudyPageFactory, CityFactory, index_page
from casestudies.models import CaseStudyPage

from .fixtures.database import build_for_module, fresh

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


def _listing_queries(client, url: str = LISTING) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries.captured_queries)


def _cases(city, count: int, ko: Locale) -> None:
    """Live and draft cases; every third has a Korean translation made by wagtail-localize."""
    for n in range(count):
        case = CaseStudyPageFactory(city=city)
        if n % 2:
            case.title = f"{case.title} (draft changes)"
            case.save_revision()
        if n % 3 == 0:
            source, _ = TranslationSource.get_or_create_from_instance(case)
            Translation.objects.create(source=source, target_locale=ko).save_target(publish=False)


def _build_first_cases() -> dict:
    """The case indexes, a city and the first three of its cases (`_cases`)."""
    index_page("en")
    index_page("ko")
    city = CityFactory(slug="seoul", country="KR", continent="asia")
    _cases(city, 3, Locale.objects.get(language_code="ko"))
    return {"city": city}


@pytest.fixture(scope="class")
def _first_cases_of_class(django_db_setup, django_db_blocker):
    """The first cases built once for the class (in a transaction rolled back after it)."""
    yield from build_for_module(django_db_blocker, _build_first_cases)


@pytest.fixture
def first_cases(_first_cases_of_class, db):
    """Three cases in one city, one of them translated and two with draft changes; read again for
    each test, which adds its own six."""
    return fresh(_first_cases_of_class)


class TestQueriesDoNotGrowWithRows:
    """Each test starts from the same three cases (built once for the class), measures, adds six
    (drafts, live pages and translations among them, as in the three) and measures again: a query
    per row would show six times over."""

    @pytest.mark.parametrize("role", ["superuser", "Editors", "Reviewers", "city editor"])
    def test_listing_queries_do_not_grow_with_rows(
        self, client, make_user, first_cases, en_index, ko_index, role
    ):
        """The listing's queries are the same for 3 rows and for 9 (it was about 4 more per row:
        wagtail-localize's two per row, Wagtail's live-descendants check twice per row for users who
        may not publish, and the city editor's scope check once per action)."""
        city = first_cases["city"]
        ko = Locale.objects.get(language_code="ko")
        user = _user(make_user, role, city)
        client.force_login(user)
        _listing_queries(client)  # warm caches (content types, permissions) as a running site has them
        few = _listing_queries(client)
        _cases(city, 6, ko)
        assert _listing_queries(client) == few

    @pytest.mark.parametrize("role", ["superuser", "Editors", "city editor"])
    def test_explorer_queries_do_not_grow_with_rows(
        self, client, make_user, first_cases, en_index, ko_index, role
    ):
        """The explorer of a case index (Wagtail's page explorer) too: its rows are annotated through
        the construct_explorer_page_queryset hook."""
        city = first_cases["city"]
        ko = Locale.objects.get(language_code="ko")
        user = _user(make_user, role, city)
        client.force_login(user)
        explorer = f"/admin/pages/{en_index.pk}/"
        _listing_queries(client, explorer)
        few = _listing_queries(client, explorer)
        _cases(city, 6, ko)
        html = client.get(explorer).content.decode()
        assert "Translate this page" in html and "Sync translated pages" in html
        assert _listing_queries(client, explorer) == few


def _user(make_user, role: str, city):
    if role == "superuser":
        return make_user("root", superuser=True)
    if role == "city editor":
        return make_user("cindy", "City editors", city=city)
    return make_user("eddie", role)


def _buttons(buttons) -> list[tuple]:
    return [(b.label, b.url, b.priority, b.icon_name) for b in buttons]


def test_row_actions_are_wagtail_and_wagtail_localizes(client, make_user, en_index, ko_index):
    """What the listing answers from its own queries is what Wagtail and wagtail-localize answer:
    the same translation buttons for each row, the same delete right."""
    from wagtail.models import Page, PagePermissionTester

    from editorial import listing

    city = CityFactory(slug="seoul", country="KR", continent="asia")
    ko = Locale.objects.get(language_code="ko")
    _cases(city, 6, ko)
    draft = CaseStudyPageFactory(city=city)
    draft.unpublish()
    pages = list(CaseStudyPage.objects.all())  # English cases, their Korean translations, a draft
    listing.annotate_translation_state(pages)
    editor = make_user("eddie", "Editors")
    reviewer = make_user("rita", "Reviewers")
    city_editor = make_user("cindy", "City editors", city=city)
    seen = set()
    for page in pages:
        fresh = Page.objects.get(pk=page.pk).specific  # not annotated: wagtail-localize's own hook
        for user in (editor, reviewer, city_editor):
            ours = _buttons(listing.translation_buttons(page, user, next_url="/admin/case_studies/"))
            theirs = _buttons(listing._localize_buttons(fresh, user, next_url="/admin/case_studies/"))
            assert ours == theirs, page
            seen.update(label for label, *_ in ours)
            assert (
                page.permissions_for_user(user).can_delete() == PagePermissionTester(user, fresh).can_delete()
            )
    assert seen == {"Translate this page", "Sync translated pages"}
    assert draft.permissions_for_user(editor).can_delete()
    assert not CaseStudyPage.objects.live().first().permissions_for_user(editor).can_delete()

    # In the listing itself: the buttons are there.
    client.force_login(editor)
    html = client.get(LISTING).content.decode()
    assert "Translate this page" in html and "Sync translated pages" in html


def _city_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(LISTING).status_code == 200
    return sum('FROM "casestudies_city"' in query["sql"] for query in queries.captured_queries)


def test_city_column_is_not_one_query_per_row(client, editor, en_index):
    """The City column reads the cities in one query, however many rows (it was one per row).

    The whole listing's queries: test_listing_queries_do_not_grow_with_rows."""
    cities = [CityFactory(slug=f"city-{n}", country="KR", continent="asia") for n in range(6)]
    for city in cities[:2]:
        CaseStudyPageFactory(city=city)
    few = _city_queries(client)
    for city in cities[2:]:
        CaseStudyPageFactory(city=city)
        CaseStudyPageFactory(city=city)
    assert _city_queries(client) == few <= 2
