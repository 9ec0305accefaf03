"""In headless Chromium: the filter box of a long search facet narrows the list as you type (and
is absent without JavaScript, where "Show all" still works); /cities/ and the map fit a phone."""

from __future__ import annotations

import pytest

from casestudies.factories import index_page
from search.factories import CityFactory, make_case

from .fixtures.database import built_for_each_test

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {"width": 390, "height": 844}
CODES = ["KR", "FR", "DE", "IT", "ES", "US", "CA", "MX", "BR", "AR", "CL", "PE", "CO", "NG", "ST"]


def _build_cases() -> None:
    index_page("en")
    index_page("ko")
    for number, code in enumerate(CODES):
        city = CityFactory(
            name=f"City {number}",
            slug=f"city-{number}",
            country=code,
            continent="asia",
            latitude=None,
            longitude=None,
        )
        make_case(f"Case {number}", city=city)
    # Two cities close together: one cluster on the map.
    seoul = CityFactory(name="Seoul", slug="seoul", country="KR", latitude=37.57, longitude=126.98)
    incheon = CityFactory(name="Incheon", slug="incheon", country="KR", latitude=37.46, longitude=126.71)
    make_case("Seoul case", city=seoul)
    make_case("Incheon case", city=incheon)


@pytest.fixture
def cases(django_db_blocker):
    yield from built_for_each_test(django_db_blocker, _build_cases)


def test_typing_narrows_a_long_facet(live_server, browser, cases):
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    page.goto(f"{live_server.url}/en/search/")
    box = page.locator("#facet-filter-country")
    assert box.is_visible()
    options = page.locator(".facet--country li")
    assert options.count() == len(CODES)
    box.fill("SÃO")  # "Sao Tome and Principe": case and accents aside, behind "Show all"
    visible = [text.split("\n")[0] for text in page.locator(".facet--country li:visible").all_inner_texts()]
    assert len(visible) == 1 and visible[0].startswith("Sao Tome")
    assert page.locator(".facet--country .facet__more").get_attribute("open") is not None
    box.fill("zzz")
    assert page.locator(".facet--country li:visible").count() == 0
    assert page.locator(".facet--country [data-facet-none]").is_visible()
    box.press("Enter")  # filters, never submits
    assert page.url == f"{live_server.url}/en/search/"
    box.fill("")
    assert page.locator(".facet--country li:visible").count() == 8  # back to the first eight
    page.get_by_role("checkbox", name="South Korea").check()  # choosing still applies the filter
    page.wait_for_url("**country=KR**")
    page.close()


def test_without_javascript_the_box_is_hidden_and_show_all_works(live_server, browser, cases):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/en/search/")
    assert page.locator("#facet-filter-country").is_hidden()
    page.locator(".facet--country .facet__more > summary").click()
    assert page.locator(".facet--country li:visible").count() == len(CODES)
    context.close()


@pytest.mark.parametrize("language", ["en", "ko"])
def test_cities_and_the_map_fit_a_phone(live_server, browser, cases, language):
    page = browser.new_page(viewport=PHONE)
    for path in ("cities/", "cities/?country=KR", "explore/"):
        page.goto(f"{live_server.url}/{language}/{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], path
    if language == "ko":  # the cases are written in English only: the Korean pages list none
        page.close()
        return
    assert page.locator(".od-cluster").count() == 1
    page.locator(".od-cluster").click()
    page.wait_for_url(f"**/{language}/cities/?country=KR")
    assert page.locator(".od-city-list li").count() == 3  # Seoul, Incheon, City 0
    page.close()
