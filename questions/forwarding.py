"""Forwarding: an editor sends a question by e-mail to the case's contact address, the asker's
address as reply-to (the inbox's "Forward to the city")."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ops.text import one_line

from .models import CaseQuestion, QuestionStatus

# The log action of a forwarded question (Wagtail's history of the question; wagtail_hooks.py).
FORWARD_ACTION = "questions.forward"


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
            "questions/email/question_forwarded.txt",
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
