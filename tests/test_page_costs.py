"""A page-cache miss costs a fixed number of queries, however much the page shows (issue 17,
item 2: the first visit of each URL is what limits the whole mix, docs/benchmarks.md "## Load").

What a page reads once per request (view restrictions, the home page, the header) is read again
when it changes; a search page with twenty results and long facets costs what one with a single
result costs. The case page itself (four of everything against one of each, the language switcher,
previews) is in tests/test_case_page_costs.py.
"""

from __future__ import annotations

import datetime

import pytest

from django.db import connection
from django.test.utils import CaptureQueriesContext

from wagtail.models import PageViewRestriction

from casestudies.factories import CaseStudyPageFactory, CityFactory, MeasureTypeFactory, index_page
from casestudies.models import CaseStudyPage, PolicyArea

pytestmark = pytest.mark.django_db


def queries_of(client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_a_restriction_made_during_a_request_applies_to_that_request():
    """View restrictions are read once per request, and read again when one is saved in it."""
    from casestudies.visibility import public_now
    from ops import request_memo

    case = CaseStudyPageFactory(title="Soon private")
    request_memo.request_started()
    try:
        assert public_now(CaseStudyPage.objects).filter(pk=case.pk).exists()
        with CaptureQueriesContext(connection) as queries:
            public_now(CaseStudyPage.objects).filter(pk=case.pk).exists()
        assert len(queries) == 1  # the restrictions were not read again
        restriction = PageViewRestriction.objects.create(page=case, restriction_type="login")
        assert not public_now(CaseStudyPage.objects).filter(pk=case.pk).exists()
        restriction.delete()
        assert public_now(CaseStudyPage.objects).filter(pk=case.pk).exists()
    finally:
        request_memo.request_finished()


def test_nothing_is_remembered_between_requests(client, en_index):
    """A restriction saved by another process between two requests applies to the second one."""
    case = CaseStudyPageFactory(title="Private from now on")
    assert client.get(case.url).status_code == 200
    # As another host would: no signal reaches this process.
    PageViewRestriction.objects.bulk_create([PageViewRestriction(page=case, restriction_type="login")])
    assert client.get(case.url).status_code == 302  # to the login
    assert "Private from now on" not in client.get(index_page("en").url).content.decode()


# -- the search page --------------------------------------------------------------------------
COUNTRIES = ["KR", "FR", "DE", "JP", "BR", "KE", "US", "CA", "IN", "NG", "AU", "MX", "SE", "IT", "EG", "AR"]
# Queries of a search page with words and filters: the filters' values, the version tokens, the
# statement and its rows, the facet labels (areas, measure types), the site, the home page, the
# view restrictions and the menu. It was 11.
SEARCH_PAGE_QUERIES = 11


def search_cases(n: int, tag: str) -> None:
    """`n` cases found by the word `tag`, in up to sixteen countries, each with its own measure type."""
    from search.factories import make_case

    for i in range(n):
        make_case(
            f"{tag.title()} contact tracing {i}",
            summary=f"{tag.title()} number {i}.",
            city=CityFactory(country=COUNTRIES[i % len(COUNTRIES)]),
            areas=["quarantine", "welfare"],
            measures=[MeasureTypeFactory(name=f"<i>Measure</i> & {tag} {i}")],
        )


def test_a_search_page_costs_the_same_queries_with_twenty_results_and_long_facets_as_with_one(
    client, en_index
):
    search_cases(1, "solo")
    search_cases(20, "many")  # 16 countries, 20 measure types: both lists longer than shown whole
    client.get("/en/search/?q=warmup")
    counts = {}
    for tag in ("solo", "many"):
        counts[tag], html = queries_of(client, f"/en/search/?q={tag}&area=quarantine")
    assert html.count('class="search-result ') == 20
    # The long facets list every value (the first few, then "Show all"), escaped.
    assert html.count('<input type="checkbox" name="country"') == len(COUNTRIES)
    assert html.count('<input type="checkbox" name="measure"') == 20
    assert "&lt;i&gt;Measure&lt;/i&gt; &amp; many 7" in html and "<i>Measure</i>" not in html
    assert 'name="area" value="quarantine" checked data-autosubmit' in html
    assert counts["many"] == counts["solo"], counts
    assert counts["many"] <= SEARCH_PAGE_QUERIES


def test_the_facet_counts_are_worded_in_the_page_language(client, en_index, ko_index):
    from search.factories import make_case

    make_case("선별진료소 하나", language="ko", areas=["quarantine"])
    make_case("선별진료소 둘", language="ko", areas=["quarantine"])
    html = client.get("/ko/search/?q=선별진료소").content.decode()
    assert '<span class="facet__count">2<span class="visually-hidden"> 건</span></span>' in html
    make_case("Tracing one", areas=["quarantine"])
    make_case("Tracing two", areas=["quarantine", "welfare"])
    html = client.get("/en/search/?q=tracing").content.decode()
    assert '<span class="facet__count">2<span class="visually-hidden"> results</span></span>' in html
    assert '<span class="facet__count">1<span class="visually-hidden"> result</span></span>' in html


# -- the header (home link and menu), kept per content generation ---------------------------------
@pytest.fixture
def page_cache(settings):
    from django.core.cache import caches

    from ops.cache import forget_kept

    settings.CAC_PAGE_CACHE_SECONDS = 300
    caches["pages"].clear()
    forget_kept()
    yield caches["pages"]
    caches["pages"].clear()
    forget_kept()


def menu_of(html: str) -> str:
    return html.split('<nav class="main-nav"', 1)[1].split("</nav>", 1)[0]


def in_menu(page, title: str) -> None:
    page.title = title
    page.show_in_menus = True
    page.save_revision().publish()


def test_the_header_is_read_once_per_content_generation(
    client, en_index, page_cache, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        in_menu(en_index, "Case studies")
    first, html = queries_of(client, "/en/search/?q=one")
    assert ">Case studies</a>" in menu_of(html)
    second, html = queries_of(client, "/en/search/?q=two")  # another miss, same generation
    assert ">Case studies</a>" in menu_of(html)
    assert second <= first - 3  # no site, home page, restrictions or menu query
    # Published (here or on another host): the generation changes, the next miss reads it again.
    with django_capture_on_commit_callbacks(execute=True):
        in_menu(en_index, "All the cases")
    assert ">All the cases</a>" in menu_of(client.get("/en/search/?q=three").content.decode())


def test_another_hosts_change_is_seen_through_the_shared_generation(client, en_index, page_cache):
    """No signal reaches this process when another host publishes: only the shared cache's
    generation changes (ops.cache.clear_page_cache, as its commit does)."""
    from wagtail.models import Page

    from ops.cache import clear_page_cache

    in_menu(en_index, "Case studies")
    clear_page_cache()
    assert ">Case studies</a>" in menu_of(client.get("/en/search/?q=one").content.decode())
    Page.objects.filter(pk=en_index.pk).update(title="Renamed elsewhere")
    assert ">Case studies</a>" in menu_of(client.get("/en/search/?q=two").content.decode())  # same generation
    clear_page_cache()
    assert ">Renamed elsewhere</a>" in menu_of(client.get("/en/search/?q=three").content.decode())


def test_a_menu_page_leaves_the_menu_when_it_expires(client, en_index, page_cache, monkeypatch):
    """Expiry passes without any event: the kept header ends when one of its pages expires. The
    clocks move past the expiry instead of the test waiting for it: the one kept values are timed
    by (ops.cache's time.time) and the one expiry is compared with (timezone.now)."""
    import types
    from unittest import mock

    from django.utils import timezone

    from ops import cache as ops_cache

    en_index.expire_at = timezone.now() + datetime.timedelta(seconds=2)
    in_menu(en_index, "Case studies")
    assert ">Case studies</a>" in menu_of(client.get("/en/search/?q=one").content.decode())
    later = timezone.now() + datetime.timedelta(seconds=2.5)
    monkeypatch.setattr(ops_cache, "time", types.SimpleNamespace(time=later.timestamp))
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert "Case studies" not in menu_of(client.get("/en/search/?q=two").content.decode())


def test_the_header_is_per_language_and_not_kept_for_signed_in_editors(
    client, admin_client, en_index, ko_index, page_cache
):
    in_menu(en_index, "Case studies")
    in_menu(ko_index, "사례 모음")
    assert ">사례 모음</a>" in menu_of(client.get("/ko/search/?q=one").content.decode())
    assert ">Case studies</a>" in menu_of(client.get("/en/search/?q=one").content.decode())
    from wagtail.models import Page

    Page.objects.filter(pk=en_index.pk).update(title="Draft-free rename")
    # A signed-in editor's request does not use the page cache, nor the kept header.
    assert ">Draft-free rename</a>" in menu_of(admin_client.get("/en/search/?q=two").content.decode())


def test_restrictions_and_area_names_kept_per_generation_follow_another_hosts_change(
    client, en_index, page_cache
):
    """Kept for the misses of one generation: a restriction or an area renamed on another host
    (no signal here: only the shared generation changes) applies from the next miss on."""
    from ops.cache import clear_page_cache

    case = CaseStudyPageFactory(title="Soon private", areas=["education"])
    other = CaseStudyPageFactory(title="Stays public", areas=["education"])
    clear_page_cache()
    assert "Soon private" in client.get(en_index.url).content.decode()  # the index lists what is public now
    assert "Education" in client.get(other.url).content.decode()
    PageViewRestriction.objects.bulk_create([PageViewRestriction(page=case, restriction_type="login")])
    PolicyArea.objects.filter(slug="education", locale__language_code="en").update(name="Schooling")
    assert "Soon private" in client.get(en_index.url + "?same-generation").content.decode()  # kept
    clear_page_cache()
    assert "Soon private" not in client.get(en_index.url + "?next-generation").content.decode()
    assert "Schooling" in client.get(other.url + "?next-generation").content.decode()
