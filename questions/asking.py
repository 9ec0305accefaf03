"""Asking: the question form posted to a case page, checked, rate-limited and stored for the editors'
inbox (questions.inbox; forwarding.py sends it on to the city).

The form posts to the case page itself; an `on_serve_page` hook (inside Wagtail's own view
restriction check, wagtail_hooks.py) handles it, so no URL of its own is needed and private cases
stay private.
"""

from __future__ import annotations

from django.http import HttpResponseRedirect
from django.utils.translation import gettext as _

from casestudies.models import CaseStudyPage
from ops.i18n import current_language

from . import ratelimit
from .forms import FORM_MARKER, FORM_MARKER_VALUE, CaseQuestionForm
from .models import CaseQuestion

REQUEST_ATTRIBUTE = "case_question_form"
ANCHOR = "ask-a-question"


def is_question_post(page, request) -> bool:
    return (
        request.method == "POST"
        and isinstance(page, CaseStudyPage)
        and request.POST.get(FORM_MARKER) == FORM_MARKER_VALUE
    )


def _thanks_url(page, request) -> str:
    return f"{page.get_url(request)}?asked=1#{ANCHOR}"


def _render_with_form(page, request, serve, args, kwargs, form, status: int):
    setattr(request, REQUEST_ATTRIBUTE, form)
    response = serve(page, request, args, kwargs)
    response.status_code = status
    return response


def handle_question(page, request, serve, args, kwargs):
    """Answer a question POST: 303 to the thanks notice, 400 with form errors, or 429 past the limit."""
    form = CaseQuestionForm(request.POST)
    usage = ratelimit.check_ip(request)
    if usage is not None:
        form.is_valid()  # keep what was typed, with its errors if any
        form.add_error(None, _("Too many questions from your address. Please try again later."))
        response = _render_with_form(page, request, serve, args, kwargs, form, 429)
        response["Retry-After"] = str(ratelimit.retry_after(usage))
        return response
    if form.is_spam:
        # A bot filled in the honeypot: it is told "thank you", and nothing is stored.
        return HttpResponseRedirect(_thanks_url(page, request), status=303)
    if not form.is_valid():
        return _render_with_form(page, request, serve, args, kwargs, form, 400)
    usage = ratelimit.check_email(request, form.cleaned_data["email"])
    if usage is not None:
        form.add_error("email", _("Too many questions from this e-mail address. Please try again later."))
        response = _render_with_form(page, request, serve, args, kwargs, form, 429)
        response["Retry-After"] = str(ratelimit.retry_after(usage))
        return response
    data = form.cleaned_data
    CaseQuestion.objects.create(
        case=page,
        language=current_language(),
        name=data["name"],
        organisation=data["organisation"],
        city=data["city"],
        email=data["email"],
        message=data["message"],
    )
    return HttpResponseRedirect(_thanks_url(page, request), status=303)
