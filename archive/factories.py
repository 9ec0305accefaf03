"""Factories for archive tests: a summit and its sessions, live, with exactly the fields a test names
(not the demo data, which archive.loaders loads whole). `SummitPageFactory()` hangs under the English
home page; `SessionPageFactory(parent=summit)` under a summit; `translation(page, "ko", title=...)`
publishes a page's Korean version (its parent's must exist)."""

from __future__ import annotations

import datetime
import zoneinfo

import factory
from wagtail_factories import PageFactory

from wagtail.models import Locale, Page

from casestudies.factories import home_page
from casestudies.models import PolicyArea

from .models import SessionKind, SessionPage, SummitPage

SEOUL = zoneinfo.ZoneInfo("Asia/Seoul")


class SummitPageFactory(PageFactory):
    """A live five-day summit in Seoul's time zone."""

    class Meta:
        model = SummitPage
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Test Summit {n}")
    slug = factory.Sequence(lambda n: f"test-summit-{n}")
    name = factory.LazyAttribute(lambda summit: f"{summit.title}: cities against COVID-19")
    start_date = datetime.date(2020, 6, 1)
    end_date = datetime.date(2020, 6, 5)
    time_zone = "Asia/Seoul"
    parent = factory.LazyFunction(lambda: home_page("en"))

    @factory.post_generation
    def publish(obj, create, extracted, **kwargs):
        if create:
            obj.save_revision().publish()


class SessionPageFactory(PageFactory):
    """A live ninety-minute discussion (of quarantine unless `policy_area=` says otherwise) on the
    summit's third day at 13:00 in Seoul; pass `parent=<SummitPage>`."""

    class Meta:
        model = SessionPage
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Session {n}")
    slug = factory.Sequence(lambda n: f"session-{n}")
    kind = SessionKind.DISCUSSION
    # A discussion needs its policy area: quarantine, in the summit's language, unless given.
    policy_area = factory.LazyAttribute(
        lambda session: (
            PolicyArea.objects.get(slug="quarantine", locale=session.parent.locale)
            if session.kind == SessionKind.DISCUSSION
            else None
        )
    )
    start = datetime.datetime(2020, 6, 3, 13, 0, tzinfo=SEOUL)
    end = factory.LazyAttribute(lambda session: session.start + datetime.timedelta(minutes=90))
    parent = None  # required: the summit

    @factory.post_generation
    def publish(obj, create, extracted, **kwargs):
        if create:
            obj.save_revision().publish()


def translation(page: Page, language_code: str, **fields) -> Page:
    """The page's translation into the language, with these fields, published (as an editor would
    after translating it); the parent's translation must exist."""
    translated = page.copy_for_translation(Locale.objects.get(language_code=language_code)).specific
    for name, value in fields.items():
        setattr(translated, name, value)
    translated.save_revision().publish()
    return type(translated).objects.get(pk=translated.pk)


def summit_with_session(**session_fields) -> dict[str, dict[str, Page]]:
    """A summit and one session (a quarantine discussion unless `session_fields` say otherwise),
    each in English and, translated, in Korean: {"summit": {"en": …, "ko": …}, "session": {…}}."""
    summit = SummitPageFactory()
    summit_ko = translation(summit, "ko")
    session = SessionPageFactory(parent=summit, **session_fields)
    session_ko = translation(session, "ko")
    # Read again: the summits' in-memory copies still count no children.
    return {
        "summit": {"en": SummitPage.objects.get(pk=summit.pk), "ko": SummitPage.objects.get(pk=summit_ko.pk)},
        "session": {"en": SessionPage.objects.get(pk=session.pk), "ko": session_ko},
    }
