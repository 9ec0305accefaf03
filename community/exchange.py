"""The peer exchange: a question posted to a case page, stored for the editors' inbox, forwarded by
e-mail to the case's contact address, and answered under the case when the city agrees.

The form posts to the case page itself; an `on_serve_page` hook (inside Wagtail's own view
restriction check) handles it, so no URL of its own is needed and private cases stay private.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.http import HttpResponseRedirect
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from casestudies.models import CaseStudyPage
from ops.i18n import current_language
from ops.text import one_line

from . import ratelimit
from .forms import FORM_MARKER, FORM_MARKER_VALUE, CaseQuestionForm
from .models import CaseQuestion, QuestionStatus

REQUEST_ATTRIBUTE = "community_question_form"
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


class ForwardError(Exception):
    pass


def forward_question(question: CaseQuestion, *, user=None) -> str:
    """E-mail the question to the case's contact address (reply-to: the asker); returns the address."""
    case = question.case
    recipient = (case.contact_email or "").strip()
    if not recipient:
        raise ForwardError(_("This case has no contact e-mail address: add one to the case first."))
    base_url = getattr(settings, "WAGTAILADMIN_BASE_URL", "").rstrip("/")
    # One line each, whatever was stored before the form made them so: no forged e-mail lines.
    for name in ("name", "organisation", "city"):
        setattr(question, name, one_line(getattr(question, name)))
    with translation.override(question.language or settings.LANGUAGE_CODE):
        subject = _("[CAC Knowledge Platform] A question about “%(title)s”") % {"title": case.title}
        body = render_to_string(
            "community/email/question_forwarded.txt",
            {"question": question, "case": case, "case_url": f"{base_url}{case.url}" if case.url else ""},
        )
    EmailMessage(
        subject=" ".join(subject.split()),
        body=body,
        to=[recipient],
        reply_to=[question.email],
    ).send()
    question.forwarded_to = recipient
    question.forwarded_at = timezone.now()
    if question.status == QuestionStatus.NEW:
        question.status = QuestionStatus.FORWARDED
    question.save(update_fields=["forwarded_to", "forwarded_at", "status"])
    return recipient
