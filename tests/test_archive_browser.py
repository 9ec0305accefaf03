"""In headless Chromium: a Korean visitor opens a session, follows a chapter's case link and finds the
session (and the moment) listed on the case page; deep links start the player; local time is shown."""

import datetime
import re
import uuid

import pytest

from wagtail.models import Locale

from archive.factories import SEOUL, SessionPageFactory, SummitPageFactory, translation
from archive.models import SessionChapter, SessionKind, SessionPage, SessionRecording

from .fixtures.archive import build_archive_case
from .fixtures.database import built_for_each_test

# Transactional tests flush tables; serialized_rollback restores the migrations' locales, home pages and areas.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _build_korean_session() -> tuple:
    """A summit in both languages with a mayoral meeting on its first day and the quarantine
    discussion on its third (13:00 in Seoul), which links the case, has an English and a Korean
    recording, and chapters, one pointing at the case. Built by the archive factories: a few pages,
    not the whole demo summit."""
    archive_case = build_archive_case()
    summit = SummitPageFactory(title="CAC Global Summit 2020", slug="cac-global-summit-2020")
    translation(summit, "ko", title="CAC 글로벌 서밋 2020")
    meeting = SessionPageFactory(
        parent=summit,
        title="Mayoral Meeting",
        slug="mayoral-meeting",
        kind=SessionKind.MAYORAL_MEETING,
        start=datetime.datetime(2020, 6, 1, 10, 0, tzinfo=SEOUL),
    )
    translation(meeting, "ko", title="도시정부 시장회의")
    english = SessionPageFactory(parent=summit, title="Discussion on Quarantine Measures", slug="quarantine")
    korean = translation(english, "ko", title="방역 분야 토론")
    keys = [uuid.uuid4(), uuid.uuid4()]  # a chapter and its translation share one key
    for code, page in (("en", english), ("ko", korean)):
        page.related_cases = [archive_case[code]]
        page.recordings = [
            SessionRecording(language="ko", video_id="testKO_0001", duration=5400),
            SessionRecording(language="en", video_id="testEN_0001", duration=5400),
        ]
        page.chapters = [
            SessionChapter(
                translation_key=keys[0],
                language="ko",
                offset=600,
                title="개회" if code == "ko" else "Opening",
            ),
            SessionChapter(
                translation_key=keys[1],
                language="ko",
                offset=3730,
                title="서울의 드라이브스루 검사" if code == "ko" else "Seoul's drive-through testing",
                case_study=archive_case[code],
            ),
        ]
        page.save_revision().publish()
    return SessionPage.objects.get(pk=korean.pk), archive_case["ko"]


@pytest.fixture
def korean_session(django_db_blocker):
    yield from built_for_each_test(django_db_blocker, _build_korean_session)


def offline_page(browser, live_server, **context):
    """A page that can reach the test server only (the YouTube iframes are refused, not fetched)."""
    page = browser.new_context(**context).new_page()
    page.route(
        re.compile(r"^https?://"),
        lambda route: route.continue_() if route.request.url.startswith(live_server.url) else route.abort(),
    )
    return page


def test_korean_visitor_goes_from_a_chapter_to_the_case_and_back(live_server, browser, korean_session):
    session, case = korean_session
    page = offline_page(browser, live_server)
    page.goto(f"{live_server.url}{session.url}")
    assert page.locator("html").get_attribute("lang") == "ko"
    assert page.locator("h1").inner_text() == session.title
    player = page.locator("#player-ko iframe")
    assert player.get_attribute("src") == "https://www.youtube-nocookie.com/embed/testKO_0001"

    page.locator("a.chapter__case").first.click()
    page.wait_for_url(f"**{case.url}")
    assert page.locator("h1").inner_text() == "드라이브스루 선별진료소"
    panel = page.locator("section.case-sessions")
    assert panel.get_by_role("link", name=session.title).is_visible()
    moment = panel.locator(f'a[href="{session.url}?t=3730&rec=ko#player-ko"]')
    assert moment.count() == 1

    # The moment link opens the session with the Korean player started at 1:02:10 (server side).
    moment.click()
    page.wait_for_url(re.compile(r".*\?t=3730&rec=ko#player-ko$"))
    assert page.locator("#player-ko iframe").get_attribute("src").endswith("/embed/testKO_0001?start=3730")


def test_hash_deep_link_and_chapter_click_restart_the_player(live_server, browser, korean_session):
    session, _case = korean_session
    page = offline_page(browser, live_server, timezone_id="Europe/Paris")
    page.goto(f"{live_server.url}{session.url}#t=1h02m10s")
    iframe = page.locator("#player-ko iframe")
    page.wait_for_function("() => document.querySelector('#player-ko iframe').src.includes('start=3730')")
    assert "testKO_0001?start=3730" in iframe.get_attribute("src")
    # A chapter link reloads the player at its moment without leaving the page.
    page.locator('#player-ko a.chapter__link[data-offset="600"]').click()
    page.wait_for_function("() => document.querySelector('#player-ko iframe').src.includes('start=600')")
    assert page.url.endswith("?t=600&rec=ko#player-ko")
    # The visitor's own time zone appears under the Seoul time (13:00 KST = 06:00 in Paris in June).
    local = page.locator(".local-time")
    assert "Europe/Paris" in local.inner_text()
    assert "6:00" in local.inner_text() or "06:00" in local.inner_text()


def test_no_serious_accessibility_violations_in_the_archive(
    live_server, browser, korean_session, serious_axe_violations
):
    session, case = korean_session
    english = session.get_translation(Locale.objects.get(language_code="en"))
    summit = session.get_parent()
    # axe is injected as a script the site's CSP would (rightly) block.
    page = offline_page(browser, live_server, bypass_csp=True)
    problems = {}
    for path in [
        summit.url,
        english.get_parent().url,
        f"{summit.url}?area=quarantine&kind=nonsense",
        f"{summit.url}programme/",
        session.url,
        english.url,
        case.url,
    ]:
        page.goto(f"{live_server.url}{path}")
        if serious := serious_axe_violations(page):
            problems[path] = serious
    assert problems == {}
