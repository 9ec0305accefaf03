"""Live sessions, with a frozen clock: on air now (home page, summit page, session page with the
live player from its LiveStream ids); before the start a countdown (KST and an ISO date-time for
the visitor's zone); after the end the recording, as the archive shows it."""

import datetime
import re
from pathlib import Path

import pytest

from django.contrib.staticfiles import finders
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from archive import live
from archive.models import LiveStream, SessionPage

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
# The quarantine session: 3 June 2020, 13:00–14:30 KST = 04:00–05:30 UTC.
START = datetime.datetime(2020, 6, 3, 4, 0, tzinfo=UTC)
END = datetime.datetime(2020, 6, 3, 5, 30, tzinfo=UTC)
DURING = START + datetime.timedelta(minutes=20)
BEFORE = START - datetime.timedelta(days=1, hours=2, minutes=3)
AFTER = datetime.datetime(2020, 6, 10, tzinfo=UTC)


@pytest.fixture
def sessions(archive_summit):
    pages = {
        code: SessionPage.objects.get(slug="quarantine", locale__language_code=code) for code in ("en", "ko")
    }
    assert pages["en"].start == START and pages["en"].end == END
    # Streams are attached to the English page; the Korean page shows them too.
    LiveStream.objects.create(session=pages["en"], language="en", video_id="liveEN_0001")
    LiveStream.objects.create(session=pages["en"], language="ko", video_id="liveKO_0001")
    return pages


def t(code, message, **params):
    """An interface string as the visitor sees it in `code` (translated or not yet)."""
    with translation.override(code):
        text = translation.gettext(message)
    return text % params if params else text


def iframe_sources(html):
    return re.findall(r'<iframe src="([^"]+)"', html)


def test_the_state_follows_the_clock_at_the_edges(sessions):
    session = sessions["en"]
    assert live.session_state(session, START - datetime.timedelta(seconds=1)) == live.UPCOMING
    assert live.session_state(session, START) == live.LIVE
    assert live.session_state(session, END - datetime.timedelta(seconds=1)) == live.LIVE
    assert live.session_state(session, END) == live.ENDED


def test_on_air_on_the_home_page_in_both_languages(client, sessions, frozen_now):
    with frozen_now(DURING):
        for code in ("en", "ko"):
            html = client.get(f"/{code}/").content.decode()
            assert '<div class="container"><section class="on-air on-air--live"' in html
            assert t(code, "On air now") in html
            assert f'href="{sessions[code].url}#live"' in html
            assert escape(sessions[code].title) in html
            assert t(code, "%(start)s–%(end)s %(zone)s", start="13:00", end="14:30", zone="KST") in html
            # Only sessions in progress: the next one (education, 15:30) is not on air.
            assert "/education/" not in html


def test_on_air_on_the_summit_page(client, sessions, archive_summit, frozen_now):
    with frozen_now(DURING):
        html = client.get(archive_summit["ko"].url).content.decode()
    assert "on-air--live" in html
    assert f'href="{sessions["ko"].url}#live"' in html


def test_the_session_page_plays_the_live_stream_in_the_visitors_language_first(client, sessions, frozen_now):
    with frozen_now(DURING):
        en = client.get(sessions["en"].url)
        ko = client.get(sessions["ko"].url)
    assert en.status_code == ko.status_code == 200
    en_html, ko_html = en.content.decode(), ko.content.decode()
    assert 'id="live"' in en_html and "On air now" in en_html
    assert "Live until 14:30 KST." in en_html
    # One player, in the page's language; the other broadcast is a link.
    assert [src for src in iframe_sources(en_html) if "live" in src] == [
        "https://www.youtube-nocookie.com/embed/liveEN_0001"
    ]
    assert [src for src in iframe_sources(ko_html) if "live" in src] == [
        "https://www.youtube-nocookie.com/embed/liveKO_0001"
    ]
    assert 'href="https://www.youtube.com/watch?v=liveKO_0001"' in en_html
    assert 'href="https://www.youtube.com/watch?v=liveEN_0001"' in ko_html
    # The site's CSP lets exactly this player in.
    assert "frame-src https://www.youtube-nocookie.com" in en["Content-Security-Policy"]


def test_a_live_session_without_a_stream_says_so(client, archive_summit, frozen_now):
    session = SessionPage.objects.get(slug="quarantine", locale__language_code="en")
    with frozen_now(DURING):
        html = client.get(session.url).content.decode()
    assert "On air now" in html
    assert "The live player of this session is not available on this site." in html


def test_before_the_start_a_countdown(client, sessions, frozen_now):
    with frozen_now(BEFORE):
        html = client.get(sessions["en"].url).content.decode()
    assert 'id="live"' in html
    assert "Not started yet" in html
    assert 'data-countdown data-start="2020-06-03T04:00:00+00:00"' in html
    assert "June 3, 2020 13:00</time>" in html
    assert '<abbr title="Asia/Seoul">KST</abbr>' in html
    # Without JavaScript the remaining time is in the page already.
    assert re.search(r"data-countdown-remaining>1\xa0day, 2\xa0hours</strong>", html)
    assert '<script src="/static/archive/live.js" defer></script>' in html
    # The archive already shows the visitor's time of the session: no second line here.
    assert "data-countdown-local" not in html
    assert "youtube-nocookie.com/embed/live" not in html
    assert "On air now" not in html


def test_the_home_page_announces_the_next_session(client, sessions, frozen_now):
    with frozen_now(BEFORE):
        html = client.get("/ko/").content.decode()
    assert "on-air--live" not in html
    assert '<section class="on-air"' in html
    # The next session after BEFORE (2 June, 01:57 UTC) is the mayoral meeting at 22:00 KST.
    mayoral = SessionPage.objects.get(slug="mayoral-meeting", locale__language_code="ko")
    assert f'href="{mayoral.url}"' in html
    assert 'data-start="2020-06-02T13:00:00+00:00"' in html
    assert "data-countdown-local" in html


def test_after_the_end_nothing_live_and_no_countdown(client, sessions, frozen_now):
    with frozen_now(AFTER):
        session_html = client.get(sessions["en"].url).content.decode()
        home_html = client.get("/en/").content.decode()
    for html in (session_html, home_html):
        assert "On air now" not in html
        assert "data-countdown" not in html
        assert "youtube-nocookie.com/embed/live" not in html
    # The archive's recordings section is where the visitor goes now.
    assert 'id="recordings-heading"' in session_html


def test_no_inline_script_in_the_live_parts(client, sessions, frozen_now):
    for moment in (BEFORE, DURING):
        with frozen_now(moment):
            for url in ("/en/", sessions["en"].url):
                html = client.get(url).content.decode()
                # Executable scripts come from files; JSON-LD data blocks are not scripts.
                assert not re.search(
                    r"<script(?![^>]*\b(?:src=|type=\"application/ld\+json\"))[^>]*>", html
                ), url


def test_the_countdown_script_is_a_static_file():
    path = finders.find("archive/live.js")
    assert path
    source = Path(path).read_text(encoding="utf-8")
    assert "data-countdown" in source and "Intl.DateTimeFormat" in source


def test_one_stream_per_language_across_translations(sessions):
    duplicate = LiveStream(session=sessions["ko"], language="en", video_id="otherID_001")
    with pytest.raises(ValidationError) as error:
        duplicate.full_clean()
    assert "language" in error.value.message_dict


def test_a_stream_needs_a_youtube_id(sessions):
    stream = LiveStream(session=sessions["en"], language="en", video_id="<script>")
    with pytest.raises(ValidationError):
        stream.full_clean()


def test_live_streams_are_edited_as_snippets(admin_client, archive_summit):
    session = SessionPage.objects.get(slug="quarantine", locale__language_code="en")
    url = reverse("wagtailsnippets_archive_livestream:add")
    response = admin_client.post(url, {"session": session.pk, "language": "en", "video_id": "not a video"})
    assert response.status_code == 200
    assert LiveStream.objects.count() == 0
    response = admin_client.post(
        url, {"session": session.pk, "language": "en", "video_id": "https://youtu.be/liveEN_0001"}
    )
    assert response.status_code == 302
    assert LiveStream.objects.get().video_id == "liveEN_0001"
    assert admin_client.get(reverse("wagtailsnippets_archive_livestream:list")).status_code == 200


def test_the_live_stream_snippets_keep_their_old_addresses(admin_client):
    """Live streams were community snippets (/admin/snippets/community/livestream/) before."""
    response = admin_client.get("/admin/snippets/community/livestream/add/")
    assert response.status_code == 301
    assert response["Location"] == reverse("wagtailsnippets_archive_livestream:add")
