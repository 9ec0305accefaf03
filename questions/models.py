"""Questions to cities: a city official asks the city behind a case study (the form under every case
page); editors forward the question by e-mail and publish the answer the city agreed to."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class QuestionStatus(models.TextChoices):
    NEW = "new", _("New")
    FORWARDED = "forwarded", _("Forwarded to the city")
    ANSWERED = "answered", _("Answered")


class CaseQuestionQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=QuestionStatus.ANSWERED, publish_answer=True).exclude(answer="")

    def for_case(self, case):
        """Questions asked on any language version of a case."""
        return self.filter(case__translation_key=case.translation_key)


class CaseQuestion(models.Model):
    """A question from a city official to the city behind a case; forwarded by an editor by e-mail.

    The asker's e-mail address is for the city's reply only: it never appears on a public page.
    """

    case = models.ForeignKey(
        "casestudies.CaseStudyPage",
        verbose_name=_("case study"),
        on_delete=models.CASCADE,
        related_name="questions",
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="en")
    name = models.CharField(_("name"), max_length=120)
    organisation = models.CharField(_("organisation"), max_length=200)
    city = models.CharField(_("city"), max_length=120)
    email = models.EmailField(_("e-mail"), max_length=254)
    message = models.TextField(_("question"), max_length=3000)
    status = models.CharField(
        _("status"), max_length=12, choices=QuestionStatus.choices, default=QuestionStatus.NEW, db_index=True
    )
    answer = models.TextField(
        _("answer"),
        max_length=5000,
        blank=True,
        help_text=_(
            "The city's answer, as it may appear under the case. Saving an answer marks the question answered."
        ),
    )
    publish_answer = models.BooleanField(
        _("publish under the case"),
        default=False,
        help_text=_("Only when the city has agreed. The asker's name and e-mail are never published."),
    )
    created_at = models.DateTimeField(_("asked at"), default=timezone.now, db_index=True)
    forwarded_at = models.DateTimeField(_("forwarded at"), null=True, blank=True)
    forwarded_to = models.EmailField(_("forwarded to"), blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    objects = CaseQuestionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("question to a city")
        verbose_name_plural = _("questions to cities")

    def __str__(self) -> str:
        text = " ".join(self.message.split())
        return text if len(text) <= 60 else f"{text[:59]}…"

    def save(self, *args, **kwargs):
        self.answer = (self.answer or "").strip()
        if self.answer and self.status != QuestionStatus.ANSWERED:
            self.status = QuestionStatus.ANSWERED
        if self.status == QuestionStatus.ANSWERED and self.answered_at is None:
            self.answered_at = timezone.now()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = set(kwargs["update_fields"]) | {"status", "answer", "answered_at"}
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        if self.publish_answer and not (self.answer or "").strip():
            raise ValidationError({"publish_answer": _("Write the answer before publishing it.")})

    @property
    def is_published(self) -> bool:
        return self.status == QuestionStatus.ANSWERED and self.publish_answer and bool(self.answer)

    @property
    def asker(self) -> str:
        return f"{self.name} ({self.organisation}, {self.city})"
