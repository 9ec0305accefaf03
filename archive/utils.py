"""Small pure helpers: YouTube ids, recording offsets, time zones. No network, no database."""

from __future__ import annotations

import re
from functools import cache
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

YOUTUBE_ID_RE = re.compile(r"^[A-Za-z0-9_-]{11}$")
YOUTUBE_HOSTS = {"youtube.com", "m.youtube.com", "music.youtube.com", "youtube-nocookie.com"}
YOUTUBE_PATH_PREFIXES = {"embed", "shorts", "live", "v", "e"}
# Offsets: "3730", "1:02:10", "62:10", "1h02m10s", "62m", "10s".
HMS_RE = re.compile(r"^(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?(?:(?P<s>\d+)s?)?$")
MAX_OFFSET = 100 * 3600  # a recording longer than 100 hours is a typing mistake
DEFAULT_TIME_ZONE = "Asia/Seoul"


def parse_youtube_id(value: str | None) -> str:
    """The 11-character video id in a YouTube id or URL; "" for empty input; ValueError otherwise.

    Accepted: `dQw4w9WgXcQ`, `https://www.youtube.com/watch?v=…`, `https://youtu.be/…`,
    `youtube.com/embed/…`, `/shorts/…`, `/live/…` and the youtube-nocookie.com embed address.
    """
    value = (value or "").strip()
    if not value:
        return ""
    if YOUTUBE_ID_RE.match(value):
        return value
    has_scheme = "://" in value
    parsed = urlsplit(value if has_scheme else f"https://{value}")
    if parsed.scheme not in {"http", "https"}:
        raise ValueError("not a YouTube address")
    host = (parsed.hostname or "").lower()
    if host.startswith("www."):
        host = host[4:]
    candidate = ""
    if host == "youtu.be":
        candidate = parsed.path.strip("/").split("/")[0]
    elif host in YOUTUBE_HOSTS:
        parts = [part for part in parsed.path.split("/") if part]
        if parts == ["watch"]:
            candidate = (parse_qs(parsed.query).get("v") or [""])[0]
        elif len(parts) >= 2 and parts[0] in YOUTUBE_PATH_PREFIXES:
            candidate = parts[1]
    if YOUTUBE_ID_RE.match(candidate):
        return candidate
    raise ValueError("not a YouTube address")


def parse_offset(value) -> int | None:
    """Seconds from `3730`, `1:02:10`, `62:10` or `1h02m10s`; None for empty input; ValueError otherwise."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("not a time offset")
    if isinstance(value, int):
        seconds = value
    else:
        text = str(value).strip().lower().replace(" ", "")
        if not text:
            return None
        if ":" in text:
            parts = text.split(":")
            if len(parts) > 3 or not all(part.isdigit() for part in parts):
                raise ValueError("not a time offset")
            numbers = [int(part) for part in parts]
            if any(number >= 60 for number in numbers[1:]):
                raise ValueError("minutes and seconds must be below 60")
            seconds = 0
            for number in numbers:
                seconds = seconds * 60 + number
        else:
            match = HMS_RE.match(text)
            if not match or not any(match.groupdict().values()):
                raise ValueError("not a time offset")
            seconds = int(match["h"] or 0) * 3600 + int(match["m"] or 0) * 60 + int(match["s"] or 0)
    if seconds < 0 or seconds > MAX_OFFSET:
        raise ValueError("offset out of range")
    return seconds


def format_offset(seconds: int | None) -> str:
    """`1:02:10` or `2:05` (the way video players show a position)."""
    if seconds is None:
        return ""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def offset_fragment(seconds: int) -> str:
    """`1h02m10s`: the deep-link form (`#t=1h02m10s`)."""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m{secs:02d}s"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


@cache
def _known_time_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def is_valid_time_zone(name: str) -> bool:
    if not name or name not in _known_time_zones():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def zone(name: str | None) -> ZoneInfo:
    """The ZoneInfo for an IANA name, Asia/Seoul when the name is empty or unknown."""
    if name and is_valid_time_zone(name):
        return ZoneInfo(name)
    return ZoneInfo(DEFAULT_TIME_ZONE)
