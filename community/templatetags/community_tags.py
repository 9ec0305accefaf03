"""Community template tags: the question form and Q&A of a case, "on air now", a session's live
status (player or countdown), the companies of an IR session and the media items about a session."""

from __future__ import annotations

from django import template
from django.utils import timezone

from archive.models import SessionKind, SessionPage, SummitPage
from casestudies.visibility import public_now
from ops.i18n import current_language

from .. import live
from ..csrf import needs_csrf_token
from ..exchange import ANCHOR, REQUEST_ATTRIBUTE
from ..forms import FORM_MARKER, FORM_MARKER_VALUE, HONEYPOT_FIELD, CaseQuestionForm
from ..models import CaseQuestion, CompanyPage, MediaItemPage

register = template.Library()


@register.inclusion_tag("community/includes/case_exchange_block.html", takes_context=True)
def case_exchange(context, case=None):
    """The published Q&A of a case (any language version) and the form to ask its city a question."""
    request = context.get("request")
    case = case or context.get("page")
    form = getattr(request, REQUEST_ATTRIBUTE, None) if request is not None else None
    questions = []
    if case is not None and getattr(case, "pk", None):
        questions = list(CaseQuestion.objects.published().for_case(case).order_by("created_at", "pk"))
    return {
        "request": request,
        "case": case,
        "form": form or CaseQuestionForm(),
        "questions": questions,
        "asked": request is not None and request.GET.get("asked") == "1" and form is None,
        "anchor": ANCHOR,
        "form_marker": FORM_MARKER,
        "form_marker_value": FORM_MARKER_VALUE,
        "honeypot_field": HONEYPOT_FIELD,
        "csrf_token": context.get("csrf_token"),
        # No token for visitors without a session: the page stays cacheable (community/csrf.py).
        "with_csrf_token": needs_csrf_token(request),
    }


@register.inclusion_tag("community/includes/on_air_block.html", takes_context=True)
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


@register.inclusion_tag("community/includes/session_status_block.html", takes_context=True)
def session_status(context, session=None):
    """On a session page: the live player, or the countdown before it starts; after its end, the
    archive's recordings section does the work. Also the companies of an IR session and the media
    items about the session."""
    session = session or context.get("page")
    if not isinstance(session, SessionPage):
        return {"status": None}
    status = live.session_status(session)
    companies = []
    if session.kind == SessionKind.COMPANIES_IR:
        companies = list(
            public_now(CompanyPage.objects)
            .filter(
                ir_session__translation_key=session.translation_key,
                locale__language_code=current_language(),
            )
            .order_by("title")
        )
    media = list(
        public_now(MediaItemPage.objects)
        .filter(
            related_sessions__translation_key=session.translation_key,
            locale__language_code=current_language(),
        )
        .distinct()
        .order_by("-date")[:5]
    )
    return {
        "request": context.get("request"),
        "status": status,
        "session": session,
        "companies": companies,
        "media_items": media,
        "zone_name": session.time_zone,
        "now": status.now,
    }


@register.filter
def seconds_to_start(session) -> int:
    return max(0, int((session.start - timezone.now()).total_seconds()))
