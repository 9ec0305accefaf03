"""The summit archive on first use (issue 12): the host city's profile lists every session, a
speaker's city its sessions; with no recording added yet, the pages say where the replays are and
the "only with a recording" filter, which could find nothing, is not offered."""

from __future__ import annotations

import re

import pytest

from archive.models import SessionPage, SessionRecording
from casestudies.models import City

pytestmark = pytest.mark.django_db


def _session_roles(html: str) -> list[str]:
    section = html[html.index("<h2>Summit sessions</h2>") :]
    section = section[: section.index("</ul>")]
    return re.findall(r"</time> · ([^<]*)</span>", section)


def test_host_city_profile_lists_every_session(client, archive_summit):
    assert archive_summit["en"].host_city == City.objects.get(slug="seoul")
    assert archive_summit["ko"].host_city_id == archive_summit["en"].host_city_id  # shared by the translation
    html = client.get("/en/cities/seoul/").content.decode()
    assert "<dt>Summit sessions</dt><dd>15</dd>" in html
    assert "took part in no summit session" not in html
    roles = _session_roles(html)
    assert len(roles) == 15 and all(role.startswith("host city") for role in roles)
    assert sum("a speaker from the city" in role for role in roles) >= 4  # Seoul's officials spoke
    ko = client.get("/ko/cities/seoul/").content.decode()
    assert "<dd>15</dd>" in ko and ko.count("개최 도시") == 15


def test_a_speakers_city_is_linked_to_the_session(client, archive_summit):
    html = client.get("/en/cities/los-angeles/").content.decode()
    roles = _session_roles(html)
    assert "a speaker from the city, participating city" in roles  # the conversation with Jared Diamond


def test_without_recordings_the_pages_say_where_the_replays_are(client, archive_summit):
    for language in ("en", "ko"):
        html = client.get(archive_summit[language].url).content.decode()
        assert 'href="https://www.youtube.com/seoullive"' in html
        assert 'href="https://www.youtube.com/seoulcityofficial"' in html
        assert 'name="recording"' not in html  # the filter would find nothing
    session = SessionPage.objects.child_of(archive_summit["ko"]).live().first()
    html = client.get(session.url).content.decode()
    assert "서울라이브(한국어)" in html and "youtube.com/seoulcityofficial" in html


def test_with_a_recording_the_filter_is_offered(client, archive_summit):
    session = SessionPage.objects.child_of(archive_summit["en"]).live().order_by("start").first()
    SessionRecording.objects.create(page=session, language="en", video_id="testEN_0001")
    html = client.get(archive_summit["en"].url).content.decode()
    assert 'name="recording"' in html
    assert "youtube.com/seoullive" not in html[: html.index('id="programme-heading"') + 400]
    filtered = client.get(archive_summit["en"].url + "?recording=1").content.decode()
    assert session.title in filtered
    # An applied filter stays visible (and removable) even where nothing has a recording.
    html = client.get(archive_summit["ko"].url + "?recording=1").content.decode()
    assert 'name="recording"' in html
