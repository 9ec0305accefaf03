"""Summit and session pages: render offline in both languages, the player, and links both ways."""

import re
import socket
from pathlib import Path
from unittest import mock

import pytest

from django.utils import translation
from django.utils.html import escape

from wagtail.models import PageViewRestriction

from archive.models import SessionPage
from casestudies.factories import CaseStudyPageFactory


def translated(message: str, language: str) -> str:
    """The interface string as a visitor of that language sees it."""
    with translation.override(language):
        return translation.gettext(message)


pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def no_network():
    """Any oEmbed lookup or socket connection during the test fails it."""

    def refuse(*args, **kwargs):
        raise AssertionError("network access during page rendering")

    with (
        mock.patch("wagtail.embeds.embeds.get_embed", side_effect=refuse) as get_embed,
        mock.patch.object(socket.socket, "connect", refuse),
        mock.patch("urllib.request.urlopen", side_effect=refuse),
    ):
        yield get_embed


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


def test_player_uses_youtube_nocookie_with_the_chapter_list(client, archive_chapters, no_network):
    page = archive_chapters["en"]
    html = client.get(page.url).content.decode()
    assert 'src="https://www.youtube-nocookie.com/embed/testEN_0001"' in html
    assert 'src="https://www.youtube-nocookie.com/embed/testKO_0001"' in html
    assert 'href="https://www.youtube.com/watch?v=testEN_0001"' in html
    assert 'id="player-en"' in html and 'id="player-ko"' in html
    assert "youtube.com/embed" not in html  # only the privacy-enhanced host is embedded
    # Chapter links work without JavaScript (?t=) and name their player.
    assert 'href="?t=3730&amp;rec=en#player-en"' in html
    assert 'href="?t=3700&amp;rec=ko#player-ko"' in html
    assert "1:02:10" in html
    assert not no_network.called


def test_t_parameter_starts_the_named_player(client, archive_chapters):
    url = archive_chapters["en"].url
    html = client.get(url, {"t": "3730", "rec": "en"}).content.decode()
    assert 'src="https://www.youtube-nocookie.com/embed/testEN_0001?start=3730"' in html
    assert 'href="https://www.youtube.com/watch?v=testEN_0001&amp;t=3730s"' in html
    assert 'src="https://www.youtube-nocookie.com/embed/testKO_0001"' in html  # the other one is untouched
    # The deep-link forms are understood too; nonsense is ignored, never an error.
    html = client.get(url, {"t": "1h02m10s", "rec": "ko"}).content.decode()
    assert "embed/testKO_0001?start=3730" in html
    html = client.get(url, {"t": "1:00:00"}).content.decode()
    assert "embed/testEN_0001?start=3600" in html and "embed/testKO_0001?start=3600" in html
    for bad in ["abc", "-1", "99:99", "\x00", "9" * 50]:
        response = client.get(url, {"t": bad, "rec": "xx"})
        assert response.status_code == 200
        assert "?start=" not in response.content.decode()
    # Past the end of the recording: from the beginning.
    assert "?start=" not in client.get(url, {"t": "2:00:00"}).content.decode()


def test_korean_page_puts_the_korean_recording_first(client, archive_chapters):
    html = client.get(archive_chapters["ko"].url).content.decode()
    assert html.index('id="player-ko"') < html.index('id="player-en"')
    html = client.get(archive_chapters["en"].url).content.decode()
    assert html.index('id="player-en"') < html.index('id="player-ko"')


def test_malformed_stored_id_never_makes_a_broken_player(client, archive_summit):
    from archive.models import SessionRecording

    page = session("education")
    # Written around the form validation, as a bad import could.
    SessionRecording.objects.create(page=page, language="en", video_id="bad id!")
    html = client.get(page.url).content.decode()
    assert "<iframe" not in html
    assert "recording has not been added here yet" in html


def test_session_lists_cases_reached_through_chapters_with_the_moment(client, archive_chapters, archive_case):
    html = client.get(archive_chapters["en"].url).content.decode()
    assert archive_case["en"].url in html
    assert "Drive-through screening stations" in html
    assert "at 1:02:10 (English recording)" in html
    assert "at 1:01:40 (Korean recording)" in html
    # The Korean page links the Korean translation of the case, never the English page.
    html = client.get(archive_chapters["ko"].url).content.decode()
    assert archive_case["ko"].url in html
    assert archive_case["en"].url not in html


def test_chapter_pointing_at_the_other_language_links_the_visitors_translation(
    client, archive_chapters, archive_case
):
    page = archive_chapters["ko"]
    for chapter in page.chapters.all():
        if chapter.case_study_id:
            chapter.case_study = archive_case["en"]  # an editor picked the English case
    page.save_revision().publish()
    html = client.get(page.url).content.decode()
    assert archive_case["ko"].url in html
    assert archive_case["en"].url not in html


def test_directly_related_cases_are_listed(client, archive_summit):
    from archive.loaders import load_summit

    case = CaseStudyPageFactory(title="School devices for distance learning", areas=["education"])
    load_summit()  # links the live cases of each discussion's area
    html = client.get(session("education").url).content.decode()
    assert case.url in html and "School devices for distance learning" in html
    # Not shown in Korean: the case has no Korean translation.
    html = client.get(session("education", "ko").url).content.decode()
    assert "School devices for distance learning" not in html


def test_draft_and_private_cases_are_not_listed(client, archive_chapters, archive_case):
    archive_case["en"].unpublish()
    html = client.get(archive_chapters["en"].url).content.decode()
    assert archive_case["en"].url not in html
    assert "1:02:10" in html  # the chapter itself remains, without the link
    PageViewRestriction.objects.create(page=archive_case["ko"], restriction_type="login")
    html = client.get(archive_chapters["ko"].url).content.decode()
    assert archive_case["ko"].url not in html


def test_case_page_lists_the_sessions_and_moments(client, archive_chapters, archive_case):
    for language in ("en", "ko"):
        html = client.get(archive_case[language].url).content.decode()
        session_page = archive_chapters[language]
        assert translated("Discussed at the summit", language) in html
        assert f'href="{session_page.url}"' in html
        assert f'href="{session_page.url}?t=3730&amp;rec=en#player-en"' in html
        assert f'href="{session_page.url}?t=3700&amp;rec=ko#player-ko"' in html
        other = archive_chapters["ko" if language == "en" else "en"]
        assert other.url not in html


def test_case_page_hides_draft_and_private_sessions(client, archive_chapters, archive_case):
    archive_chapters["en"].unpublish()
    html = client.get(archive_case["en"].url).content.decode()
    assert "Discussed at the summit" not in html
    summit = archive_chapters["ko"].get_parent()
    PageViewRestriction.objects.create(page=summit, restriction_type="login")
    html = client.get(archive_case["ko"].url).content.decode()
    assert archive_chapters["ko"].url not in html


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
