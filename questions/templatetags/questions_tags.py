"""The questions of a case page: its published questions and answers, and the form to ask its city."""

from __future__ import annotations

from django import template
from django.template.loader import render_to_string

from ops.i18n import current_language

from ..asking import ANCHOR, REQUEST_ATTRIBUTE
from ..csrf import needs_csrf_token
from ..forms import FORM_MARKER, FORM_MARKER_VALUE, HONEYPOT_FIELD, CaseQuestionForm
from ..models import CaseQuestion

register = template.Library()


FIELDS_TEMPLATE = "questions/includes/case_question_fields.html"
# The blank form's fields per language: the same on every case page (labels, help texts and
# attributes come from the code and its translations, not from content), so made once per process.
_blank_fields: dict[str, str] = {}


def fields_html(form: CaseQuestionForm) -> str:
    """The form's fields as HTML: a sent form's (values, errors) made for it, a blank one's kept."""
    if form.is_bound:
        return render_to_string(FIELDS_TEMPLATE, {"form": form})
    language = current_language()
    if language not in _blank_fields:
        _blank_fields[language] = render_to_string(FIELDS_TEMPLATE, {"form": form})
    return _blank_fields[language]


@register.inclusion_tag("questions/includes/case_questions_block.html", takes_context=True)
def case_questions(context, case=None):
    """The published Q&A of a case (any language version) and the form to ask its city a question."""
    request = context.get("request")
    case = case or context.get("page")
    form = getattr(request, REQUEST_ATTRIBUTE, None) if request is not None else None
    questions = []
    if case is not None and getattr(case, "pk", None):
        questions = list(CaseQuestion.objects.published().for_case(case).order_by("created_at", "pk"))
    shown = form or CaseQuestionForm()
    return {
        "request": request,
        "case": case,
        "form": shown,
        "fields_html": fields_html(shown),
        "questions": questions,
        "asked": request is not None and request.GET.get("asked") == "1" and form is None,
        "anchor": ANCHOR,
        "form_marker": FORM_MARKER,
        "form_marker_value": FORM_MARKER_VALUE,
        "honeypot_field": HONEYPOT_FIELD,
        "csrf_token": context.get("csrf_token"),
        # No token for visitors without a session: the page stays cacheable (questions/csrf.py).
        "with_csrf_token": needs_csrf_token(request),
    }
