"""Live sessions in templates: "on air now" (all summits, or one summit's page) and a session page's
live player or countdown (archive.live decides the state from the clock)."""

from __future__ import annotations

from django import template
from django.utils import timezone

from ops.i18n import current_language

from .. import live
from ..models import SessionPage, SummitPage

register = template.Library()


@register.inclusion_tag("archive/includes/on_air_block.html", takes_context=True)
def on_air(context):
    """Sessions on air now (and the next one within a week): all summits, or this summit only."""
    page = context.get("page")
    summit = page if isinstance(page, SummitPage) else None
    now = timezone.now()
    language = current_language()
    sessions = live.live_sessions(language, summit=summit, now=now)
    upcoming = None if sessions else live.next_session(language, summit=summit, now=now)
    return {
        "request": context.get("request"),
        "sessions": sessions,
        "upcoming": upcoming,
        "summit": summit,
        "now": now,
    }


@register.inclusion_tag("archive/includes/session_live_block.html", takes_context=True)
def session_live(context, session=None):
    """On a session page: the live player, or the countdown before it starts; after its end, the
    recordings section does the work."""
    session = session or context.get("page")
    if not isinstance(session, SessionPage):
        return {"status": None}
    status = live.session_status(session)
    return {
        "request": context.get("request"),
        "status": status,
        "session": session,
        "zone_name": session.time_zone,
        "now": status.now,
    }
