"""Which sessions are on air: a session is live while start <= now < end (times are stored in UTC).

Before its start a session shows a countdown (the server renders the start in the summit's zone and
as an ISO date-time; static/archive/live.js turns it into a countdown in the visitor's zone); after its
end the archive shows the recording.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.utils import timezone

from archive.models import SessionPage
from casestudies.visibility import public_now
from ops.i18n import current_language

from .models import LiveStream

UPCOMING, LIVE, ENDED = "upcoming", "live", "ended"
# How far ahead the home page and the summit page announce the next session.
NEXT_SESSION_WITHIN = datetime.timedelta(days=7)


def session_state(session, now: datetime.datetime | None = None) -> str:
    now = now or timezone.now()
    if now < session.start:
        return UPCOMING
    if now < session.end:
        return LIVE
    return ENDED


def streams_for(session, language: str | None = None) -> list[LiveStream]:
    """The live streams of a session (of any of its translations), the visitor's language first."""
    language = language or current_language()
    streams = LiveStream.objects.filter(session__translation_key=session.translation_key)
    return sorted(streams, key=lambda stream: (stream.language != language, stream.language))


def _sessions(language: str, summit=None):
    sessions = public_now(SessionPage.objects.filter(locale__language_code=language))
    if summit is not None:
        sessions = sessions.child_of(summit)
    return sessions


def live_sessions(language: str | None = None, summit=None, now=None) -> list[SessionPage]:
    now = now or timezone.now()
    return list(
        _sessions(language or current_language(), summit)
        .filter(start__lte=now, end__gt=now)
        .order_by("start", "path")
    )


def next_session(language: str | None = None, summit=None, now=None, within=NEXT_SESSION_WITHIN):
    now = now or timezone.now()
    return (
        _sessions(language or current_language(), summit)
        .filter(start__gt=now, start__lte=now + within)
        .order_by("start", "path")
        .first()
    )


@dataclass
class SessionStatus:
    session: SessionPage
    state: str
    now: datetime.datetime
    streams: list[LiveStream] = field(default_factory=list)

    @property
    def is_live(self) -> bool:
        return self.state == LIVE

    @property
    def is_upcoming(self) -> bool:
        return self.state == UPCOMING

    @property
    def is_ended(self) -> bool:
        return self.state == ENDED

    @property
    def seconds_to_start(self) -> int:
        return max(0, int((self.session.start - self.now).total_seconds()))


def session_status(session, now=None) -> SessionStatus:
    now = now or timezone.now()
    state = session_state(session, now)
    streams = streams_for(session) if state == LIVE else []
    return SessionStatus(session=session, state=state, now=now, streams=streams)
