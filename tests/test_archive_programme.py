"""The archive index: the five-day timetable, its filters, the .ics exports and the printable programme."""

import datetime
from pathlib import Path

import icalendar
import pytest

from archive.models import SessionPage

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


def day_slugs(response):
    return {day.date.isoformat(): [s.slug for s in day.sessions] for day in response.context["timetable"]}


def test_timetable_has_five_days_grouped_by_start_date_in_seoul(client, archive_summit):
    response = client.get(archive_summit["en"].url)
    assert response.status_code == 200
    days = day_slugs(response)
    assert list(days) == ["2020-06-01", "2020-06-02", "2020-06-03", "2020-06-04", "2020-06-05"]
    assert days["2020-06-01"] == ["pre-summit-day"]
    assert days["2020-06-02"] == ["mayoral-meeting"]
    assert days["2020-06-03"] == [
        "climate-environment",
        "quarantine",
        "education",
        "urban-sharing",
        "citizen-participation",
    ]
    # 23:00–00:30 KST belongs to the day it starts on, as in the printed schedule.
    assert days["2020-06-04"] == [
        "conversation-with-jared-diamond",
        "culture",
        "welfare",
        "public-transportation",
    ]
    # 07:45 KST on 5 June is still 4 June in UTC: grouping uses the summit's zone, not UTC.
    assert days["2020-06-05"] == [
        "smart-city",
        "global-summit-discussion-forum",
        "innovative-companies-ir",
        "sports",
    ]
    assert sum(len(v) for v in days.values()) == 15


def test_timetable_shows_seoul_times_and_the_zone(client, archive_summit):
    html = client.get(archive_summit["en"].url).content.decode()
    assert "All times are in Asia/Seoul (KST, UTC+09:00)." in html
    assert "07:45" in html and "23:00" in html and "00:30" in html
    assert html.count('class="session-card ') == 15
    assert html.count('class="timetable__day"') == 5


def test_korean_timetable(client, archive_summit):
    response = client.get(archive_summit["ko"].url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "6월 3일" in html
    assert "재레드 다이아몬드와의 대담" in html
    assert all(session.locale.language_code == "ko" for session in response.context["sessions"])


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"area": "welfare"}, ["welfare"]),
        ({"kind": "mayoral-meeting"}, ["mayoral-meeting"]),
        ({"kind": "discussion"}, None),  # checked below: the ten discussions
        ({"country": "CA"}, ["climate-environment"]),
        ({"country": "ca"}, ["climate-environment"]),
        ({"country": "GB", "kind": "discussion"}, ["culture", "welfare", "public-transportation"]),
        ({"area": "culture", "country": "US"}, ["culture"]),
        ({"area": "culture", "country": "NZ"}, []),
    ],
)
def test_filters(client, archive_summit, params, expected):
    response = client.get(archive_summit["en"].url, params)
    assert response.status_code == 200
    slugs = [s.slug for s in response.context["sessions"]]
    if expected is None:
        assert len(slugs) == 10
        assert all(
            SessionPage.objects.get(slug=slug, locale__language_code="en").policy_area for slug in slugs
        )
    else:
        assert slugs == expected
    assert response.context["ignored_filters"] == []


def test_filters_in_korean(client, archive_summit):
    response = client.get(archive_summit["ko"].url, {"area": "welfare"})
    assert [s.title for s in response.context["sessions"]] == ["복지 분야 토론"]
    assert "복지" in response.content.decode()


def test_recording_filter(client, archive_chapters):
    summit = archive_chapters["en"].get_parent()
    response = client.get(summit.url, {"recording": "1"})
    assert [s.slug for s in response.context["sessions"]] == ["quarantine"]
    response = client.get(summit.url, {"recording": "0"})
    assert len(response.context["sessions"]) == 14
    assert "▶" in client.get(summit.url).content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {"area": "no-such-area"},
        {"area": "x" * 5000},
        {"kind": "party"},
        {"country": "XX"},
        {"country": "USA"},
        {"country": "😀"},
        {"recording": "maybe"},
        {"page": "-1", "sort": "nonsense", "unknown": "1"},
        {"area": ["welfare", "culture"]},
    ],
)
def test_bad_filter_values_are_ignored_never_500(client, archive_summit, params):
    response = client.get(archive_summit["en"].url, params)
    assert response.status_code == 200
    known = {"area", "kind", "country", "recording"}
    if set(params) & known and not isinstance(params.get("area"), list):
        assert response.context["ignored_filters"]
        assert "not recognised" in response.content.decode()
        assert len(response.context["sessions"]) == 15


def test_control_characters_in_filters_are_dropped(client, archive_summit):
    """Query parameters lose their control characters before any view reads them
    (cac_platform.middleware): `welfare\x00` is `welfare`, a lone NUL is no filter at all."""
    url = archive_summit["en"].url
    welfare = client.get(url, {"area": "welfare"}).context["sessions"]
    response = client.get(url, {"area": "welfare\x00"})
    assert response.status_code == 200
    assert [s.pk for s in response.context["sessions"]] == [s.pk for s in welfare]
    response = client.get(url, {"kind": "\x00"})
    assert response.status_code == 200
    assert not response.context["ignored_filters"]
    assert len(response.context["sessions"]) == 15


def test_active_filters_show_removable_chips(client, archive_summit):
    html = client.get(archive_summit["en"].url, {"area": "welfare", "kind": "discussion"}).content.decode()
    assert 'class="chip"' in html
    assert "?kind=discussion" in html  # removing the area keeps the kind


# --- iCalendar --------------------------------------------------------------------------------
def parse_calendar(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert response.content.endswith(b"\r\n")
    for line in response.content.split(b"\r\n"):
        assert len(line) <= 75, line  # folded
    return icalendar.Calendar.from_ical(response.content)


def test_whole_summit_calendar(client, archive_summit):
    response = client.get(f"{archive_summit['en'].url}calendar/")
    assert 'filename="cac-global-summit-2020.ics"' in response["Content-Disposition"]
    calendar = parse_calendar(response)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 15
    by_summary = {str(event["SUMMARY"]): event for event in events}
    smart = by_summary["Discussion on Smart City"]
    assert smart["DTSTART"].dt == datetime.datetime(2020, 6, 4, 22, 45, tzinfo=UTC)
    assert smart["DTEND"].dt == datetime.datetime(2020, 6, 5, 0, 0, tzinfo=UTC)
    transport = by_summary["Discussion on Public Transportation"]
    assert transport["DTSTART"].dt == datetime.datetime(2020, 6, 4, 14, 0, tzinfo=UTC)
    assert transport["DTEND"].dt == datetime.datetime(2020, 6, 4, 15, 30, tzinfo=UTC)
    climate = by_summary["Discussion on Climate & Environment"]
    assert climate["DTEND"].dt == datetime.datetime(2020, 6, 3, 2, 10, tzinfo=UTC)  # 11:10 KST
    uids = {str(event["UID"]) for event in events}
    assert len(uids) == 15
    for event in events:
        assert str(event["URL"]).startswith("http://testserver/en/cac-global-summit-2020/")
        assert event["DTSTART"].dt.tzinfo is not None and event["DTSTART"].dt.utcoffset().total_seconds() == 0
        assert event["DESCRIPTION"]
        assert event["DTSTAMP"]
    assert "Samuel Bowles" in str(climate["DESCRIPTION"])
    assert "&#x27;" not in response.content.decode() and "&quot;" not in response.content.decode()


def test_calendar_uids_are_stable_and_shared_by_translations(client, archive_summit):
    from archive.loaders import load_summit

    first = parse_calendar(client.get(f"{archive_summit['en'].url}calendar/"))
    load_summit()
    second = parse_calendar(client.get(f"{archive_summit['en'].url}calendar/"))
    korean = parse_calendar(client.get(f"{archive_summit['ko'].url}calendar/"))
    uids = lambda cal: sorted(str(e["UID"]) for e in cal.walk("VEVENT"))  # noqa: E731
    assert uids(first) == uids(second) == uids(korean)


def test_korean_calendar(client, archive_summit):
    calendar = parse_calendar(client.get(f"{archive_summit['ko'].url}calendar/"))
    summaries = {str(event["SUMMARY"]) for event in calendar.walk("VEVENT")}
    assert "도시정부 시장회의" in summaries
    assert len(summaries) == 15


def test_single_session_calendar(client, archive_summit):
    page = SessionPage.objects.get(slug="mayoral-meeting", locale__language_code="en")
    response = client.get(f"{page.url}calendar/")
    assert 'filename="cac-global-summit-2020-mayoral-meeting.ics"' in response["Content-Disposition"]
    events = list(parse_calendar(response).walk("VEVENT"))
    assert len(events) == 1
    event = events[0]
    assert str(event["SUMMARY"]) == "Mayoral Meeting"
    assert event["DTSTART"].dt == datetime.datetime(2020, 6, 2, 13, 0, tzinfo=UTC)
    assert event["DTEND"].dt == datetime.datetime(2020, 6, 2, 14, 30, tzinfo=UTC)
    assert str(event["URL"]) == f"http://testserver{page.url}"
    assert "Moscow" in str(event["DESCRIPTION"])  # commas and quotes survive the escaping
    assert str(event["LOCATION"]).startswith("Online")


def test_calendar_of_a_draft_session_is_not_served(client, archive_summit):
    page = SessionPage.objects.get(slug="sports", locale__language_code="en")
    page.unpublish()
    assert client.get(f"{page.url}calendar/").status_code == 404
    calendar = parse_calendar(client.get(f"{archive_summit['en'].url}calendar/"))
    assert len(list(calendar.walk("VEVENT"))) == 14


# --- printable programme ----------------------------------------------------------------------
@pytest.mark.parametrize("language", ["en", "ko"])
def test_printable_programme(client, archive_summit, language):
    response = client.get(f"{archive_summit[language].url}programme/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "archive/archive.css" in html  # holds the @media print rules
    assert html.count("<tr>") == 15 + 5  # a header row per day and a row per session
    assert "Asia/Seoul" in html
    if language == "ko":
        assert "박원순" in html and "서울연구원" in html
    else:
        assert "Park Won-soon (Mayor of Seoul)" in html and "Seoul Institute" in html


def test_print_stylesheet_exists():
    from django.contrib.staticfiles import finders

    css = Path(finders.find("archive/archive.css")).read_text(encoding="utf-8")
    assert "@media print" in css
    assert "@page" in css
