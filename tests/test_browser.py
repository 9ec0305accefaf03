"""In headless Chromium: a Korean visitor goes from the home page to an area and a case; axe finds no
serious accessibility violations on the home, index and case pages."""

import pytest

from wagtail.models import Locale

from casestudies.factories import CaseStudyPageFactory, CityFactory, index_page

from .fixtures.database import built_for_each_test

# Transactional tests flush tables; serialized_rollback restores the migrations' locales, home pages and areas.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _build_bilingual_case() -> tuple:
    index_page("en")
    index_page("ko")
    seoul = CityFactory(name="Seoul", name_ko="서울", slug="seoul")
    case = CaseStudyPageFactory(title="Drive-through screening stations", city=seoul, areas=["quarantine"])
    translation = case.copy_for_translation(Locale.objects.get(language_code="ko"))
    translation.title = "드라이브스루 선별진료소"
    translation.summary = "차에 탄 채로 검사를 받는 선별진료소를 운영했다."
    translation.save_revision().publish()
    return case, translation


@pytest.fixture
def bilingual_case(django_db_blocker):
    yield from built_for_each_test(django_db_blocker, _build_bilingual_case)


def test_korean_visitor_follows_an_area_to_a_case(live_server, browser, bilingual_case):
    _case, translation = bilingual_case
    page = browser.new_page()
    page.goto(f"{live_server.url}/ko/")
    assert page.locator("html").get_attribute("lang") == "ko"
    page.get_by_role("link", name="방역").first.click()
    page.wait_for_url("**/ko/cases/?area=quarantine")
    page.get_by_role("link", name="드라이브스루 선별진료소").click()
    page.wait_for_url(f"**{translation.url}")
    assert page.locator("h1").inner_text() == "드라이브스루 선별진료소"
    assert page.get_by_text("서울").first.is_visible()


def test_no_serious_accessibility_violations(live_server, browser, bilingual_case, serious_axe_violations):
    case, translation = bilingual_case
    # axe is injected as a script the site's CSP would (rightly) block.
    page = browser.new_context(bypass_csp=True).new_page()
    problems = {}
    for path in ["/en/", "/ko/", "/en/cases/", "/ko/cases/", case.url, translation.url]:
        page.goto(f"{live_server.url}{path}")
        if serious := serious_axe_violations(page):
            problems[path] = serious
    assert problems == {}
