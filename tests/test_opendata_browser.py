"""In headless Chromium: filtering the explore page changes its charts, its map and its download links."""

import pytest

# Transactional tests flush tables; serialized_rollback restores the migrations' locales, home pages and areas.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def bar_values(page, chart_id: str) -> dict[str, int]:
    bars = page.locator(f"#{chart_id} g.od-bar")
    return {
        bars.nth(i).get_attribute("data-key"): int(bars.nth(i).get_attribute("data-value"))
        for i in range(bars.count())
    }


def test_filtering_the_explore_page_changes_the_charts(live_server, browser, opendata_cases):
    page = browser.new_page()
    page.goto(f"{live_server.url}/en/explore/")
    assert page.locator("#od-total").inner_text() == "3 case studies"
    before = bar_values(page, "chart-continents")
    assert before["asia"] == 1 and before["europe"] == 1 and before["africa"] == 1
    assert page.locator("#map circle").count() == 3
    # The chart is an accessible image with a data table beside it.
    svg = page.locator("#chart-continents svg")
    assert svg.get_attribute("role") == "img"
    assert page.locator("#chart-continents table tbody tr").count() == 6

    page.get_by_label("Continent", exact=True).select_option("europe")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**/en/explore/?*continent=europe*")

    after = bar_values(page, "chart-continents")
    assert after["europe"] == 1 and after["asia"] == 0 and after["africa"] == 0
    assert bar_values(page, "chart-areas")["public-transportation"] == 1
    assert bar_values(page, "chart-areas")["quarantine"] == 0
    assert page.locator("#od-total").inner_text() == "1 case study"
    # The bars are drawn to scale: the empty continents have no width left.
    assert page.locator('#chart-continents g.od-bar[data-key="asia"] rect').get_attribute("width") == "0"
    circles = page.locator("#map circle")
    assert circles.count() == 1 and circles.first.get_attribute("data-city") == "paris"
    href = page.get_by_role("link", name="Download CSV", exact=True).get_attribute("href")
    assert href.endswith("/en/data/cases.csv?continent=europe")

    # A map circle leads to the city's profile.
    page.get_by_role("link", name="Paris: 1 case study").click()
    page.wait_for_url("**/en/cities/paris/")
    assert page.locator("h1").inner_text() == "Paris"


def test_open_data_pages_have_no_serious_accessibility_violations(
    live_server, browser, opendata_cases, serious_axe_violations
):
    page = browser.new_page(bypass_csp=True)  # axe is injected as an inline script
    problems = {}
    for path in [
        "/en/explore/",
        "/ko/explore/?continent=asia",
        "/en/cities/",
        "/en/cities/seoul/",
        opendata_cases["seoul"].url,
    ]:
        page.goto(f"{live_server.url}{path}")
        if serious := serious_axe_violations(page):
            problems[path] = serious
    assert problems == {}
