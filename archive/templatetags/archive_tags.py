"""Archive template tags: the "discussed at the summit" panel of a case page, and offsets."""

from __future__ import annotations

from django import template

from ..presenters import sessions_for_case
from ..utils import format_offset, offset_fragment

register = template.Library()


@register.inclusion_tag("archive/includes/case_sessions.html", takes_context=True)
def case_sessions(context, case=None):
    """The sessions (live, public, in the visitor's language) and the exact moments that discussed a case."""
    case = case or context.get("page")
    return {"entries": sessions_for_case(case), "request": context.get("request")}


@register.filter
def offset_label(seconds) -> str:
    try:
        return format_offset(int(seconds))
    except (TypeError, ValueError):
        return ""


@register.filter
def offset_hms(seconds) -> str:
    try:
        return offset_fragment(int(seconds))
    except (TypeError, ValueError):
        return ""
