"""Summit and session pages: render offline in both languages, session times, related cases and
what is not served. The player, its chapters and the links between sessions and cases through
them are in tests/test_archive_chapters.py."""

import re
from pathlib import Path

import pytest

from django.utils import translation
from django.utils.html import escape

from archive.models import SessionPage
from casestudies.factories import CaseStudyPageFactory


def translated(message: str, language: str) -> str:
    """The interface string as a visitor of that language sees it."""
    with translation.override(language):
        return translation.gettext(message)


pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent


def session(slug, language="en"):
    return SessionPage.objects.get(slug=slug, locale__language_code=language)


@pytest.mark.parametrize("language", ["en", "ko"])
def test_summit_and_every_session_render_offline(client, archive_summit, no_network, language):
    summit = archive_summit[language]
    response = client.get(summit.url)
    assert response.status_code == 200
    assert f'<html lang="{language}">' in response.content.decode()
    sessions = SessionPage.objects.child_of(summit).live()
    assert sessions.count() == 15
    for page in sessions:
        response = client.get(page.url)
        assert response.status_code == 200, page.url
        html = response.content.decode()
        assert escape(page.title) in html
        # No recording is known for the demo sessions: where the replays are, never a broken player.
        assert 'href="https://www.youtube.com/seoullive"' in html
        assert 'href="https://www.youtube.com/seoulcityofficial"' in html
        assert "<iframe" not in html
    assert not no_network.called


def test_korean_session_shows_korean_content(client, archive_summit):
    html = client.get(session("climate-environment", "ko").url).content.decode()
    assert "기후·환경 분야 토론" in html
    assert "최재천" in html  # a speaker, in Korean
    assert "기후환경본부" in html  # the organising department
    assert "미국" in html and "캐나다" in html  # country names in Korean
    assert "Asia/Seoul" in html


def test_session_times_are_shown_in_seoul_with_the_zone(client, archive_summit):
    html = client.get(session("public-transportation").url).content.decode()
    assert "23:00" in html and "00:30" in html
    assert "KST" in html and "Asia/Seoul" in html
    assert "next day" in html
    # The machine-readable times are UTC (23:00 KST = 14:00 UTC), for the visitor's-time script.
    assert 'datetime="2020-06-04T14:00:00+00:00"' in html
    assert 'datetime="2020-06-04T15:30:00+00:00"' in html
    assert "data-local-time" in html
    assert "archive/archive.js" in html


def test_malformed_stored_id_never_makes_a_broken_player(client, archive_summit):
    from archive.models import SessionRecording

    page = session("education")
    # Written around the form validation, as a bad import could.
    SessionRecording.objects.create(page=page, language="en", video_id="bad id!")
    html = client.get(page.url).content.decode()
    assert "<iframe" not in html
    assert "recording has not been added here yet" in html


def test_directly_related_cases_are_listed(client, archive_summit):
    from archive.loaders import load_summit

    case = CaseStudyPageFactory(title="School devices for distance learning", areas=["education"])
    load_summit()  # links the live cases of each discussion's area
    html = client.get(session("education").url).content.decode()
    assert case.url in html and "School devices for distance learning" in html
    # Not shown in Korean: the case has no Korean translation.
    html = client.get(session("education", "ko").url).content.decode()
    assert "School devices for distance learning" not in html


def test_case_page_without_sessions_has_no_panel(client, archive_summit):
    case = CaseStudyPageFactory(title="Unrelated", areas=["sports"])
    assert "Discussed at the summit" not in client.get(case.url).content.decode()


def test_directly_related_case_lists_the_session_without_moments(client, archive_summit):
    from archive.loaders import load_summit

    case = CaseStudyPageFactory(title="Bike lanes", areas=["public-transportation"])
    load_summit()
    html = client.get(case.url).content.decode()
    page = session("public-transportation")
    assert f'href="{page.url}"' in html
    assert "?t=" not in html


def test_draft_session_is_not_served(client, archive_summit):
    page = session("sports", "ko")
    page.unpublish()
    assert client.get(page.url).status_code == 404
    response = client.get(archive_summit["ko"].url)
    assert page.title not in response.content.decode()


def test_language_switcher_links_the_translation(client, archive_summit):
    html = client.get(session("welfare").url).content.decode()
    assert f'href="{session("welfare", "ko").url}"' in html


def test_session_attachments_and_notes(client, archive_summit):
    html = client.get(session("mayoral-meeting").url).content.decode()
    assert "Seoul Declaration" in html
    assert "no file online" in html
    assert "Notes on the sources" in html
    assert "World Mayors Summit" in html  # the difference between the press releases


def test_no_oembed_finder_is_configured(settings):
    assert settings.WAGTAILEMBEDS_FINDERS == []
    template = (ROOT / "archive" / "templates" / "archive" / "session_page.html").read_text(encoding="utf-8")
    assert "embed" not in re.sub(r"youtube-nocookie\.com/embed|embed_url", "", template)
