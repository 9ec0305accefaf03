"""iCalendar (RFC 5545) export of a summit or of one session, written by hand: no run-time dependency."""

from __future__ import annotations

import datetime
import html

from django.http import HttpResponse
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.http import content_disposition_header
from django.utils.text import normalize_newlines

from ops.i18n import current_language

PRODID = "-//CAC Knowledge Platform//Summit archive//EN"
UID_DOMAIN = "cac-knowledge-platform"


def escape_text(value: str) -> str:
    """TEXT escaping (RFC 5545 §3.3.11): backslash, semicolon, comma and newlines."""
    value = normalize_newlines(str(value or "")).strip()
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def fold(line: str) -> str:
    """Fold a content line at 75 octets without splitting a UTF-8 character (RFC 5545 §3.1)."""
    pieces = []
    current = ""
    size = 0
    limit = 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            pieces.append(current)
            current = " "
            size = 1
        current += char
        size += width
    pieces.append(current)
    return "\r\n".join(pieces)


def utc_stamp(value: datetime.datetime) -> str:
    return value.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")


def plain(markup: str) -> str:
    text = str(markup or "").replace("</p>", "</p>\n\n").replace("<br/>", "\n").replace("<br>", "\n")
    text = html.unescape(strip_tags(text))
    return "\n".join(line.strip() for line in text.strip().splitlines())


def session_event(request, summit, session) -> list[str]:
    stamp = session.last_published_at or session.latest_revision_created_at or timezone.now()
    description_parts = [session.topic, plain(session.description)]
    speakers = [speaker.name for speaker in session.speakers.all()]
    if speakers:
        description_parts.append(", ".join(speakers))
    url = request.build_absolute_uri(session.url) if session.url else ""
    if url:
        description_parts.append(url)
    lines = [
        "BEGIN:VEVENT",
        f"UID:session-{session.translation_key}@{UID_DOMAIN}",
        f"DTSTAMP:{utc_stamp(stamp)}",
        f"DTSTART:{utc_stamp(session.start)}",
        f"DTEND:{utc_stamp(session.end)}",
        f"SUMMARY:{escape_text(session.title)}",
        f"DESCRIPTION:{escape_text(chr(10).join(part for part in description_parts if part))}",
        f"CATEGORIES:{escape_text(session.get_kind_display())}",
        "STATUS:CONFIRMED",
        "TRANSP:OPAQUE",
    ]
    if summit is not None and summit.venue:
        lines.append(f"LOCATION:{escape_text(summit.venue)}")
    if url:
        lines.append(f"URL:{url}")
    lines.append("END:VEVENT")
    return lines


def build_calendar(request, summit, sessions, calendar_name: str) -> str:
    language = current_language()
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME;LANGUAGE={language}:{escape_text(calendar_name)}",
    ]
    if summit is not None and summit.time_zone:
        lines.append(f"X-WR-TIMEZONE:{summit.time_zone}")
    for session in sessions:
        lines.extend(session_event(request, summit, session))
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)


def calendar_response(request, summit, sessions, *, filename: str, calendar_name: str) -> HttpResponse:
    body = build_calendar(request, summit, sessions, calendar_name)
    response = HttpResponse(body.encode("utf-8"), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response
