"""In headless Chromium: a city official asks a question in Korean on a Korean case page and an editor
finds it in the admin inbox; a countdown shows a session's start in the visitor's own time zone;
axe finds no serious accessibility violations on the community pages."""

import datetime
import re
from unittest import mock

import pytest

from django.test import Client

from wagtail.models import Locale

from archive.models import SessionKind, SessionPage, SummitPage
from casestudies.factories import CaseStudyPageFactory, CityFactory, home_page, index_page
from questions.models import CaseQuestion, QuestionStatus

from .fixtures.database import built_for_each_test

# Transactional tests flush tables; serialized_rollback restores the migrations' locales, home pages and areas.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

QUESTION = "드라이브스루 선별진료소의 주말 인력은 어떻게 배치했나요? 교대 근무표도 공유해 주실 수 있나요?"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def _build_korean_case():
    index_page("en")
    index_page("ko")
    seoul = CityFactory(name="Seoul", name_ko="서울", slug="seoul", country="KR")
    case = CaseStudyPageFactory(
        title="Drive-through screening stations",
        slug="drive-through",
        city=seoul,
        areas=["quarantine"],
        contact_email="covid-team@seoul.example",
    )
    translation = case.copy_for_translation(Locale.objects.get(language_code="ko"))
    translation.title = "드라이브스루 선별진료소"
    translation.summary = "차에 탄 채로 검사를 받는 선별진료소를 운영했다."
    translation.save_revision().publish()
    return translation


@pytest.fixture
def korean_case(django_db_blocker):
    yield from built_for_each_test(django_db_blocker, _build_korean_case)


def offline_page(browser, live_server, **context):
    """A page that reaches the test server only (YouTube frames are refused, never fetched)."""
    page = browser.new_context(**context).new_page()
    page.route(
        re.compile(r"^https?://"),
        lambda route: route.continue_() if route.request.url.startswith(live_server.url) else route.abort(),
    )
    return page


def admin_page(browser, live_server, django_user_model):
    """A browser page signed in as an editor (the session cookie of a test-client login)."""
    user = django_user_model.objects.create_superuser("editor", "editor@example.org", "pw")
    client = Client()
    client.force_login(user)
    context = browser.new_context()
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    return context.new_page()


def test_a_korean_question_reaches_the_admin_inbox(live_server, browser, korean_case, django_user_model):
    page = offline_page(browser, live_server)
    page.goto(f"{live_server.url}{korean_case.url}")
    assert page.locator("html").get_attribute("lang") == "ko"
    form = page.locator("form.exchange__form")
    # First a mistake: the e-mail address is malformed; what was typed stays.
    form.locator("#ask-name").fill("김민지")
    form.locator("#ask-organisation").fill("부산광역시청 시민건강국")
    form.locator("#ask-city").fill("부산")
    form.locator("#ask-email").fill("minji.kim@busan")
    form.locator("#ask-message").fill(QUESTION)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("#ask-email").get_attribute("aria-invalid") == "true"
    assert page.locator("#ask-email_error").is_visible()
    assert page.locator("#ask-message").input_value() == QUESTION
    assert page.locator("#ask-name").input_value() == "김민지"
    assert CaseQuestion.objects.count() == 0
    # Corrected and sent.
    page.locator("#ask-email").fill("minji.kim@busan.example")
    page.locator("form.exchange__form button[type=submit]").click()
    page.wait_for_url(re.compile(r".*\?asked=1#ask-a-question$"))
    assert page.locator(".exchange [role=status]").is_visible()
    question = CaseQuestion.objects.get()
    assert (question.language, question.message, question.status) == ("ko", QUESTION, QuestionStatus.NEW)

    inbox = admin_page(browser, live_server, django_user_model)
    inbox.goto(f"{live_server.url}/admin/questions/?status=new")
    row = inbox.get_by_role("link", name=re.compile("드라이브스루 선별진료소의 주말 인력은"))
    assert row.is_visible()
    row.click()
    inbox.wait_for_url(re.compile(rf".*/admin/questions/edit/{question.pk}/$"))
    text = inbox.locator("main").inner_text()
    assert "minji.kim@busan.example" in text
    assert "부산광역시청 시민건강국" in text
    assert "교대 근무표도 공유해 주실 수 있나요?" in text
    # The public Korean page never shows the address.
    public = Client().get(korean_case.url).content.decode()
    assert "minji.kim@busan.example" not in public


@pytest.fixture
def upcoming_session():
    summit = SummitPage(
        title="CAC Global Summit 2020",
        slug="summit",
        name="Cities Against COVID-19 Global Summit 2020",
        start_date=datetime.date(2020, 6, 1),
        end_date=datetime.date(2020, 6, 5),
        time_zone="Asia/Seoul",
    )
    home_page("en").add_child(instance=summit)
    summit.save_revision().publish()
    session = SessionPage(
        title="Innovative Companies IR",
        slug="innovative-companies-ir",
        kind=SessionKind.COMPANIES_IR,
        start=datetime.datetime(2020, 6, 5, 4, 30, tzinfo=datetime.UTC),  # 13:30 KST
        end=datetime.datetime(2020, 6, 5, 7, 0, tzinfo=datetime.UTC),
    )
    summit.add_child(instance=session)
    session.save_revision().publish()
    return session


def test_the_countdown_is_in_the_visitors_time_zone(live_server, browser, upcoming_session):
    server_now = datetime.datetime(2020, 6, 4, 2, 0, tzinfo=datetime.UTC)
    with mock.patch("django.utils.timezone.now", return_value=server_now):
        page = offline_page(browser, live_server, timezone_id="Europe/Paris", locale="en-GB")
        page.clock.install(time=datetime.datetime(2020, 6, 4, 2, 0, 0, tzinfo=datetime.UTC))
        # The home page announces the next session, with its countdown.
        page.goto(f"{live_server.url}/en/")
        countdown = page.locator("[data-countdown]")
        # The server's own words: the start in KST.
        assert "13:30" in countdown.locator(".countdown__start").inner_text()
        assert "KST" in countdown.locator(".countdown__start").inner_text()
        # The script's: what is left, and the start in the visitor's zone (Paris: 06:30, CEST).
        page.wait_for_function("document.querySelector('[data-countdown-local]').textContent.length > 0")
        local = countdown.locator("[data-countdown-local]").inner_text()
        assert "06:30" in local and "Europe/Paris" in local
        assert re.match(r"1 d 2 h (29|30) min", countdown.locator("[data-countdown-remaining]").inner_text())
        page.clock.pause_at(datetime.datetime(2020, 6, 5, 4, 29, 50, tzinfo=datetime.UTC))
        page.clock.run_for(2000)
        assert re.match(
            r"0 h 00 min [0-9]{2} s", countdown.locator("[data-countdown-remaining]").inner_text()
        )
        page.clock.run_for(10_000)
        assert "Starting now" in countdown.locator("[data-countdown-remaining]").inner_text()
        assert not countdown.locator("[data-countdown-label]").is_visible()


def test_no_serious_accessibility_violations(live_server, browser, korean_case, serious_axe_violations):
    from community import loaders as community_loaders

    community_loaders.load_demo()
    # axe is injected as a script the site's CSP would (rightly) block.
    page = browser.new_context(bypass_csp=True).new_page()
    problems = {}
    paths = [
        "/en/companies/",
        "/ko/companies/untact-queue-example/",
        "/en/media/",
        "/ko/links/",
        korean_case.url,
    ]
    for path in paths:
        page.goto(f"{live_server.url}{path}")
        if serious := serious_axe_violations(page):
            problems[path] = serious
    # The question form with its errors shown.
    page.goto(f"{live_server.url}{korean_case.url}")
    page.locator("form.exchange__form button[type=submit]").click()
    page.wait_for_load_state()
    if serious := serious_axe_violations(page):
        problems["form with errors"] = serious
    assert problems == {}
