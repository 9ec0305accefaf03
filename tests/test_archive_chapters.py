"""A session's player and chapters, and the links both ways between the session and the case its
chapters point to. The summit, the case and the chapters are written once for the module (in a
transaction rolled back after it): every test here reads them, and what a test changes is rolled
back with its savepoint."""

import pytest

from django.utils import translation

from wagtail.models import PageViewRestriction

from .fixtures.archive import build_archive_case, build_archive_chapters
from .fixtures.database import build_for_module, fresh

pytestmark = pytest.mark.django_db


def translated(message: str, language: str) -> str:
    """The interface string as a visitor of that language sees it."""
    with translation.override(language):
        return translation.gettext(message)


@pytest.fixture(scope="module")
def _chapters_module(_archive_summit_module, django_db_blocker):
    def build() -> dict:
        case = build_archive_case()
        return {"case": case, "sessions": build_archive_chapters(case)}

    yield from build_for_module(django_db_blocker, build)


# The plugin's archive_case and archive_chapters (tests/fixtures/archive.py), written once for the
# module instead of once per test.
@pytest.fixture
def archive_case(_chapters_module, archive_summit):
    """A live quarantine case in Seoul, in English and (as its translation) in Korean."""
    return fresh(_chapters_module["case"])


@pytest.fixture
def archive_chapters(_chapters_module, archive_summit):
    """The quarantine session (both languages) with an English and a Korean recording and chapters;
    the case is reached only through chapters (it did not exist when the summit was loaded)."""
    return fresh(_chapters_module["sessions"])


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
