"""In headless Chromium: the search box suggests as you type (keyboard only), filters apply on change,
and axe finds no serious accessibility violations on the search page."""

from __future__ import annotations

import pytest

from search.factories import CityFactory, MeasureTypeFactory, make_case

from .fixtures.database import built_for_each_test

# Transactional tests flush tables; serialized_rollback restores the migrations' locales, home pages and areas.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _build_cases() -> dict:
    seoul = CityFactory(name="Seoul", name_ko="서울", slug="seoul", country="KR", continent="asia")
    paris = CityFactory(name="Paris", name_ko="파리", slug="paris", country="FR", continent="europe")
    testing = MeasureTypeFactory(name="Testing", name_ko="검사", slug="testing")
    return {
        "drive": make_case(
            "Drive-through testing stations",
            summary="Cars drive through testing stations.",
            city=seoul,
            measures=[testing],
        ),
        "lanes": make_case(
            "Pop-up cycle lanes",
            summary="Temporary cycle lanes.",
            city=paris,
            areas=["public-transportation"],
        ),
        "ko": make_case(
            "드라이브스루 선별진료소", summary="선별진료소를 운영했다.", language="ko", city=seoul
        ),
    }


@pytest.fixture
def cases(django_db_blocker):
    yield from built_for_each_test(django_db_blocker, _build_cases)


def test_suggestions_with_the_keyboard(live_server, browser, cases):
    page = browser.new_page()
    page.goto(f"{live_server.url}/en/search/")
    box = page.get_by_role("combobox", name="Search words")
    box.fill("dri")
    listbox = page.get_by_role("listbox")
    listbox.wait_for(state="visible")
    assert box.get_attribute("aria-expanded") == "true"
    options = page.get_by_role("option")
    assert "Drive-through testing stations" in options.all_inner_texts()[0]
    box.press("ArrowDown")
    active = box.get_attribute("aria-activedescendant")
    assert active and page.locator(f"#{active}").get_attribute("aria-selected") == "true"
    box.press("Escape")
    assert box.get_attribute("aria-expanded") == "false" and listbox.is_hidden()
    box.press("ArrowDown")  # opens again on the first option
    box.press("Enter")
    page.wait_for_url(f"**{cases['drive'].url}")


def test_korean_suggestions(live_server, browser, cases):
    page = browser.new_page()
    page.goto(f"{live_server.url}/ko/search/")
    page.locator("#search-q").fill("선별")
    page.get_by_role("option").first.wait_for()
    assert "드라이브스루 선별진료소" in page.get_by_role("option").all_inner_texts()[0]


def test_filters_apply_on_change_and_keep_the_query(live_server, browser, cases):
    page = browser.new_page()
    page.goto(f"{live_server.url}/en/search/?q=lanes")
    page.locator('input[name="continent"][value="europe"]').check()
    page.wait_for_url("**/en/search/?q=lanes&sort=relevance&continent=europe")
    assert page.locator(".search-result__title").all_inner_texts() == ["Pop-up cycle lanes"]
    assert page.locator('input[name="continent"][value="europe"]').is_checked()
    # Focus comes back to the checkbox that was changed.
    assert (
        page.evaluate("document.activeElement.name + '=' + document.activeElement.value")
        == "continent=europe"
    )
    page.get_by_role("link", name="Continent: Europe").click()
    page.wait_for_url("**/en/search/?q=lanes&sort=relevance")


def test_search_works_without_javascript(live_server, browser, cases):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/en/search/")
    page.locator("#search-q").fill("testing")
    page.locator('input[name="area"][value="quarantine"]').check()
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**/en/search/?q=testing*area=quarantine*")
    assert page.locator(".search-result__title").all_inner_texts() == ["Drive-through testing stations"]


def test_no_serious_accessibility_violations(live_server, browser, cases, serious_axe_violations):
    page = browser.new_context(bypass_csp=True).new_page()
    problems = {}
    for path in [
        "/en/search/",
        "/en/search/?q=testing&area=quarantine",
        "/ko/search/?q=선별진료소",
        "/en/search/?q=zzz",
    ]:
        page.goto(f"{live_server.url}{path}")
        if serious := serious_axe_violations(page):
            problems[path] = serious
    assert problems == {}
