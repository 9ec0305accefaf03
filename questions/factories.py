"""Factories for questions tests: `CaseQuestionFactory(case=<CaseStudyPage>, ...)` asks in the case's
language, as an official of Aville, unless told otherwise."""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from .models import CaseQuestion


class CaseQuestionFactory(DjangoModelFactory):
    class Meta:
        model = CaseQuestion

    case = None  # required: the case the question is about
    language = factory.LazyAttribute(lambda question: question.case.locale.language_code)
    name = "Ana Lee"
    organisation = "City of Aville"
    city = "Aville"
    email = "ana@example.org"
    message = "How did you staff the drive-through stations?"
