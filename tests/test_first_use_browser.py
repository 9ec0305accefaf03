"""In headless Chromium at phone width (390 px): results before filters on the search page and the
case index, the filters behind a "Filters (n)" toggle that works without JavaScript, the home
page's suggestions, and, on the demo site, no page of any type scrolling sideways, no date broken
over two lines, a stacked programme and readable chart labels (issue 12)."""

from __future__ import annotations

import datetime
import io

import pytest

from django.core.management import call_command

from casestudies.factories import index_page
from search.factories import CityFactory, MeasureTypeFactory, make_case

from .fixtures.database import built_for_each_test, saved_between_runs

# Transactional tests flush tables; serialized_rollback restores the migrations' locales, home pages and areas.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


def _build_cases() -> list:
    index_page("en")
    index_page("ko")
    countries = ["KR", "FR", "DE", "IT", "ES", "US", "CA", "MX", "BR", "AR", "CL", "PE", "CO", "NG"]
    testing = MeasureTypeFactory(name="Testing", name_ko="검사", slug="testing")
    made = []
    for i, code in enumerate(countries):
        city = CityFactory(
            name=f"City {i}", name_ko=f"도시 {i}", slug=f"city-{i}", country=code, continent="asia"
        )
        made.append(
            make_case(
                f"Drive-through testing station {i}",
                city=city,
                measures=[testing],
                start_date=datetime.date(2020, 1 + i % 12, 1),
            )
        )
    return made


@pytest.fixture
def cases(django_db_blocker):
    yield from built_for_each_test(django_db_blocker, _build_cases)


def _top(page, selector: str) -> float:
    return page.locator(selector).first.evaluate("e => e.getBoundingClientRect().top + window.scrollY")


@pytest.mark.parametrize("javascript", [True, False])
def test_search_on_a_phone_shows_results_first_and_filters_behind_a_toggle(
    live_server, browser, cases, javascript
):
    context = browser.new_context(viewport=PHONE, java_script_enabled=javascript)
    page = context.new_page()
    page.goto(f"{live_server.url}/en/search/?country=KR")
    toggle = page.locator(".filters-panel__toggle")
    assert toggle.is_visible() and toggle.inner_text().strip() == "Filters (1)"
    # The count and the first result are on the first screen; the facets are not shown yet.
    assert _top(page, ".result-count") < PHONE["height"]
    assert _top(page, ".search-result") < PHONE["height"]
    assert page.locator("#search-sort").is_hidden()
    assert page.locator(".facet--country").is_hidden()
    toggle.click()
    assert page.locator(".facet--country").is_visible()
    assert page.get_by_role("checkbox", name="South Korea").is_checked()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    context.close()


def test_on_a_phone_a_filter_applies_and_the_panel_opens_again_at_it(live_server, browser, cases):
    page = browser.new_page(viewport=PHONE)
    page.goto(f"{live_server.url}/en/search/")
    page.locator(".filters-panel__toggle").click()
    page.locator(".facet--country .facet__more > summary").click()  # fourteen countries: "Show all (14)"
    assert page.locator(".facet--country .facet__more > summary").inner_text() == "Show all (14)"
    page.get_by_role("checkbox", name="Nigeria").check()
    page.wait_for_url("**country=NG**")
    assert page.locator(".filters-panel").get_attribute("open") is not None
    assert page.evaluate("document.activeElement.value") == "NG"
    assert page.locator(".result-count").inner_text().startswith("1 result")


def test_on_a_wide_screen_the_filters_are_a_sidebar(live_server, browser, cases):
    page = browser.new_page(viewport=DESKTOP)
    page.goto(f"{live_server.url}/en/search/")
    assert page.locator(".filters-panel__toggle").is_hidden()
    assert page.locator(".facet--country").is_visible()
    facets = page.locator(".facets").bounding_box()
    results = page.locator(".results").bounding_box()
    assert facets["x"] + facets["width"] <= results["x"] and abs(facets["y"] - results["y"]) < 40
    page.goto(f"{live_server.url}/en/cases/")
    assert page.locator("#filter-country").is_visible() and page.locator(".filters-panel__toggle").is_hidden()


def test_case_index_on_a_phone(live_server, browser, cases):
    page = browser.new_page(viewport=PHONE)
    page.goto(f"{live_server.url}/en/cases/?measure=testing")
    toggle = page.locator(".filters-panel__toggle")
    assert toggle.inner_text().strip() == "Filters (1)"
    assert _top(page, ".case-card") < PHONE["height"]
    assert page.locator("#filter-year").is_hidden()
    toggle.click()
    page.locator("#filter-country").select_option("NG")
    page.locator(".filters button[type=submit]").click()
    page.wait_for_url("**country=NG**")
    assert page.locator(".case-card").count() == 1
    # The language switch keeps the filters.
    page.get_by_role("link", name="한국어").click()
    page.wait_for_url(lambda url: "/ko/cases/?" in url and "measure=testing" in url and "country=NG" in url)
    assert page.locator(".filters-panel__toggle").inner_text().strip() == "필터 (2)"


def test_home_search_box_suggests(live_server, browser, cases):
    page = browser.new_page(viewport=PHONE)
    page.goto(f"{live_server.url}/en/")
    box = page.get_by_role("combobox", name="Search the case studies")
    box.press_sequentially("drive", delay=30)
    page.get_by_role("listbox").wait_for(state="visible")
    assert "Drive-through testing station" in page.get_by_role("option").first.inner_text()
    box.press("ArrowDown")
    box.press("Enter")
    page.wait_for_url("**/en/cases/**")


# -- the demo site, every page type ----------------------------------------------------------------
PAGE_TYPES = [
    "/{lang}/",
    "/{lang}/about/",
    "/{lang}/cases/",
    "/{lang}/cases/?area=education",
    "/{lang}/cases/seoul-drive-through-screening/",
    "/{lang}/cac-global-summit-2020/",
    "/{lang}/cac-global-summit-2020/pre-summit-day/",
    "/{lang}/cac-global-summit-2020/programme/",
    "/{lang}/explore/",
    "/{lang}/explore/?measure=testing",
    "/{lang}/cities/",
    "/{lang}/cities/seoul/",
    "/{lang}/companies/",
    "/{lang}/media/",
    "/{lang}/links/",
    "/{lang}/search/",
    "/{lang}/search/?q=masks",
    "/{lang}/no-such-page/",
]

OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  return Array.from(document.querySelectorAll("body *"))
    .filter((e) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.right > width + 1; })
    .filter((e) => !e.closest(".visually-hidden, [hidden], .od-chart__graphic"))
    .slice(0, 3).map((e) => e.tagName + "." + e.className);
}"""
BROKEN_DATES = """() => Array.from(document.querySelectorAll("main time"))
  .filter((t) => t.getClientRects().length > 1).map((t) => t.textContent)"""
LABEL_PIXELS = """() => Array.from(document.querySelectorAll(".od-svg text")).map((t) => {
  const svg = t.ownerSVGElement;
  const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  return parseFloat(getComputedStyle(t).fontSize) * scale;
})"""


def _demo_site() -> None:
    call_command("load_demo", stdout=io.StringIO())
    call_command("rebuild_search_index", stdout=io.StringIO())


def test_demo_site_on_a_phone(live_server, browser):
    # The demo site as loaded by this code today, saved by the day's first run on SQLite
    # (tests/test_demo_content.py and tests/test_demo_cases.py run the loaders themselves).
    saved_between_runs(f"demo-site-{datetime.date.today().isoformat()}", _demo_site)
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    problems: dict[str, object] = {}
    for lang in ("en", "ko"):
        for pattern in PAGE_TYPES:
            path = pattern.format(lang=lang)
            page.goto(f"{live_server.url}{path}")
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
            if scroll_width > PHONE["width"]:
                problems[f"{path} scrolls sideways"] = (scroll_width, page.evaluate(OVERFLOW))
            if broken := page.evaluate(BROKEN_DATES):
                problems[f"{path} breaks dates"] = broken
        # The printable programme: one block per session, not four columns of broken words.
        page.goto(f"{live_server.url}/{lang}/cac-global-summit-2020/programme/")
        height = page.evaluate("document.documentElement.scrollHeight")
        if height > 7000:
            problems[f"{lang} programme height"] = height
        if page.locator(".programme__session").first.evaluate("e => e.getBoundingClientRect().width") < 300:
            problems[f"{lang} programme session column"] = "narrow"
        # Explore: chart labels at least 10 px as drawn; no select wider than the page.
        page.goto(f"{live_server.url}/{lang}/explore/")
        small = [round(size, 1) for size in page.evaluate(LABEL_PIXELS) if size < 10]
        if small:
            problems[f"{lang} explore labels"] = small[:5]
        page.locator(".filters-panel__toggle").click()
        widest = page.evaluate(
            "Math.max(...Array.from(document.querySelectorAll('select')).map(s => s.getBoundingClientRect().right))"
        )
        if widest > PHONE["width"]:
            problems[f"{lang} explore select"] = widest
        # The month table shows its rows or says how many more there are: none hidden in a scroll box.
        for table in page.locator(".od-chart__table").all():
            if table.evaluate("e => e.scrollHeight > e.clientHeight + 1"):
                problems[f"{lang} explore table scrolls"] = True
    context.close()
    assert problems == {}
