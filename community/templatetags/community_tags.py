"""Community template tags: on a session page, the companies that presented in it (an IR session) and
the media items about it."""

from __future__ import annotations

from django import template

from archive.models import SessionKind, SessionPage
from casestudies.visibility import public_now
from ops.i18n import current_language

from ..models import CompanyPage, MediaItemPage

register = template.Library()


@register.inclusion_tag("community/includes/session_companies_and_media_block.html", takes_context=True)
def session_companies_and_media(context, session=None):
    """The companies of an IR session and the media items about a session, in the visitor's language."""
    session = session or context.get("page")
    if not isinstance(session, SessionPage):
        return {}
    language = current_language()
    companies = []
    if session.kind == SessionKind.COMPANIES_IR:
        companies = list(
            public_now(CompanyPage.objects)
            .filter(ir_session__translation_key=session.translation_key, locale__language_code=language)
            .order_by("title")
        )
    media = list(
        public_now(MediaItemPage.objects)
        .filter(related_sessions__translation_key=session.translation_key, locale__language_code=language)
        .distinct()
        .order_by("-date")[:5]
    )
    return {"request": context.get("request"), "companies": companies, "media_items": media}
