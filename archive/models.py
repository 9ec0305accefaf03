"""The summit archive: a SummitPage per event with its SessionPages, their recordings, chapters and
live streams."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django_countries import countries as all_countries
from django_countries.fields import CountryField
from modelcluster.fields import ParentalKey, ParentalManyToManyField

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.template.response import TemplateResponse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField
from wagtail.models import Orderable, Page, TranslatableMixin
from wagtail.search import index
from wagtail_localize.fields import SynchronizedField

from casestudies.models import PolicyArea
from casestudies.visibility import public_now
from ops.forms import CleanModelForm, CleanPageForm

from .fields import SecondsField, YouTubeIdField
from .forms import SessionPageForm
from .utils import DEFAULT_TIME_ZONE, is_valid_time_zone, offset_fragment, parse_youtube_id, zone

RESERVED_SESSION_SLUGS = {"calendar", "programme"}


def validate_time_zone(value: str) -> None:
    if not is_valid_time_zone(value):
        raise ValidationError(
            _("“%(value)s” is not an IANA time zone name (e.g. Asia/Seoul, Europe/Paris)."),
            code="invalid_time_zone",
            params={"value": value},
        )


class SessionKind(models.TextChoices):
    PRE_SUMMIT = "pre-summit", _("Pre-summit day")
    MAYORAL_MEETING = "mayoral-meeting", _("Mayoral meeting")
    DISCUSSION = "discussion", _("Discussion")
    CONVERSATION = "conversation", _("Conversation")
    FORUM = "forum", _("Discussion forum")
    COMPANIES_IR = "companies-ir", _("Innovative companies IR")


class RecordingLanguage(models.TextChoices):
    EN = "en", _("English")
    KO = "ko", _("Korean")


class SummitPage(RoutablePageMixin, Page):
    """One summit: its programme as a timetable, with a calendar export and a printable programme."""

    name = models.CharField(_("full name"), max_length=255)
    theme = models.CharField(_("theme"), max_length=255, blank=True)
    slogan = models.CharField(_("slogan"), max_length=120, blank=True)
    start_date = models.DateField(_("first day"))
    end_date = models.DateField(_("last day"))
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default=DEFAULT_TIME_ZONE,
        validators=[validate_time_zone],
        help_text=_("IANA name, e.g. Asia/Seoul. Session times are typed and shown in this zone."),
    )
    venue = models.CharField(_("venue"), max_length=255, blank=True)
    organiser = models.CharField(_("organiser"), max_length=200, blank=True)
    # The host city takes part in every session: its city profile lists them all.
    host_city = models.ForeignKey(
        "casestudies.City",
        verbose_name=_("host city"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="hosted_summits",
    )
    description = RichTextField(_("description"), blank=True, features=["bold", "italic", "link", "ol", "ul"])

    base_form_class = CleanPageForm  # no control characters (ops.forms)
    content_panels = Page.content_panels + [
        FieldPanel("name"),
        FieldPanel("theme"),
        FieldPanel("slogan"),
        MultiFieldPanel(
            [FieldRowPanel([FieldPanel("start_date"), FieldPanel("end_date")]), FieldPanel("time_zone")],
            heading=_("When"),
        ),
        FieldPanel("venue"),
        FieldPanel("organiser"),
        FieldPanel("host_city"),
        FieldPanel("description"),
    ]
    search_fields = Page.search_fields + [
        index.SearchField("name"),
        index.SearchField("theme"),
        index.SearchField("description"),
    ]

    parent_page_types = ["home.HomePage"]
    subpage_types = ["archive.SessionPage"]
    template = "archive/summit_page.html"

    class Meta:
        verbose_name = _("summit")
        verbose_name_plural = _("summits")

    def clean(self) -> None:
        super().clean()
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("The last day cannot be before the first day.")})

    @property
    def zone(self):
        return zone(self.time_zone)

    @property
    def zone_abbreviation(self) -> str:
        """e.g. KST, taken at noon on the first day."""
        day = self.start_date or datetime.date.today()
        return datetime.datetime.combine(day, datetime.time(12), tzinfo=self.zone).strftime("%Z")

    @property
    def utc_offset(self) -> str:
        day = self.start_date or datetime.date.today()
        offset = datetime.datetime.combine(day, datetime.time(12), tzinfo=self.zone).strftime("%z")
        return f"UTC{offset[:3]}:{offset[3:]}" if offset else "UTC"

    def days(self) -> list[datetime.date]:
        if not (self.start_date and self.end_date) or self.end_date < self.start_date:
            return []
        count = (self.end_date - self.start_date).days + 1
        return [self.start_date + datetime.timedelta(days=n) for n in range(min(count, 31))]

    def sessions(self):
        """Live, public sessions of this summit, in time order."""
        return (
            public_now(SessionPage.objects.child_of(self))
            .select_related("policy_area")
            .prefetch_related("recordings", "cities")
            .order_by("start", "path")
        )

    def session_list(self, queryset=None) -> list[SessionPage]:
        """The sessions as a list, each knowing its summit (no parent query per session)."""
        sessions = list(self.sessions() if queryset is None else queryset)
        for session in sessions:
            session.__dict__["summit"] = self
        return sessions

    # --- filters -------------------------------------------------------------------------
    def filter_sessions(self, params, sessions=None) -> tuple[list[SessionPage], dict, list[str]]:
        """Apply ?area, ?kind, ?country and ?recording. Unknown values are ignored and reported."""
        sessions = list(self.session_list() if sessions is None else sessions)
        active: dict[str, object] = {}
        ignored: list[str] = []

        area = (params.get("area") or "").strip()
        if area:
            # Compared in Python: raw input never reaches the database (NUL bytes, huge values).
            area_obj = {a.slug: a for a in PolicyArea.objects.filter(locale_id=self.locale_id)}.get(area)
            if area_obj is None:
                ignored.append("area")
            else:
                sessions = [s for s in sessions if s.policy_area_id and s.policy_area.slug == area]
                active["area"] = area_obj.display_name

        kind = (params.get("kind") or "").strip()
        if kind:
            if kind in SessionKind.values:
                sessions = [s for s in sessions if s.kind == kind]
                active["kind"] = SessionKind(kind).label
            else:
                ignored.append("kind")

        country = (params.get("country") or "").strip().upper()
        if country:
            if len(country) == 2 and country in dict(all_countries):
                sessions = [s for s in sessions if country in s.country_codes]
                active["country"] = dict(all_countries)[country]
            else:
                ignored.append("country")

        recording = (params.get("recording") or "").strip().lower()
        if recording:
            if recording in {"1", "yes", "true", "on"}:
                sessions = [s for s in sessions if s.has_recording]
                active["recording"] = _("With a recording")
            elif recording in {"0", "no", "false", "off"}:
                sessions = [s for s in sessions if not s.has_recording]
                active["recording"] = _("Without a recording")
            else:
                ignored.append("recording")
        return sessions, active, ignored

    def timetable(self, sessions) -> list[TimetableDay]:
        """One column per summit day; a session belongs to the day it starts on (in the summit's zone)."""
        by_day: dict[datetime.date, list] = {day: [] for day in self.days()}
        for session in sessions:
            by_day.setdefault(session.local_start.date(), []).append(session)
        days = sorted(by_day)
        first = self.start_date or (days[0] if days else None)
        return [
            TimetableDay(
                date=day,
                number=(day - first).days + 1 if first else 0,
                sessions=sorted(by_day[day], key=lambda s: s.start),
            )
            for day in days
        ]

    def country_choices(self, sessions) -> list[tuple[str, str]]:
        codes = {code for session in sessions for code in session.country_codes}
        names = dict(all_countries)
        return sorted(((code, names.get(code, code)) for code in codes), key=lambda pair: pair[1])

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        all_sessions = self.session_list() if self.pk else []
        sessions, active, ignored = self.filter_sessions(request.GET, all_sessions)
        context.update(
            {
                "sessions": sessions,
                "timetable": self.timetable(sessions),
                "active_filters": active,
                "ignored_filters": ignored,
                "areas": PolicyArea.objects.filter(locale_id=self.locale_id),
                "kinds": SessionKind.choices,
                "countries": self.country_choices(all_sessions),
                "total_sessions": len(all_sessions),
                "any_recording": any(session.has_recording for session in all_sessions),
            }
        )
        return context

    # --- routes --------------------------------------------------------------------------
    @path("calendar/", name="calendar")
    def calendar(self, request):
        """The whole programme as an iCalendar file (RFC 5545)."""
        from .ics import calendar_response

        return calendar_response(
            request, self, self.session_list(), filename=f"{self.slug}.ics", calendar_name=self.title
        )

    @path("programme/", name="programme")
    def programme(self, request):
        """A printable programme: every session, day by day, with topics, speakers and departments."""
        sessions = self.session_list(self.sessions().prefetch_related("speakers"))
        return TemplateResponse(
            request,
            "archive/summit_programme.html",
            {"page": self, "self": self, "timetable": self.timetable(sessions), "sessions": sessions},
        )


@dataclass
class TimetableDay:
    date: datetime.date
    number: int
    sessions: list = field(default_factory=list)


class SessionPage(RoutablePageMixin, Page):
    """One session of a summit: when, what, who, the recordings and the moments where cases come up."""

    kind = models.CharField(_("kind"), max_length=20, choices=SessionKind.choices)
    policy_area = models.ForeignKey(
        PolicyArea,
        verbose_name=_("policy area"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="summit_sessions",
        help_text=_("Required for a discussion session."),
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    topic = models.CharField(_("topic"), max_length=300, blank=True)
    description = RichTextField(_("description"), blank=True, features=["bold", "italic", "link", "ol", "ul"])
    department = models.CharField(_("organising department"), max_length=200, blank=True)
    countries = CountryField(
        _("participating countries"),
        multiple=True,
        multiple_sort=False,
        blank=True,
        help_text=_("In the order of the source documents; the first one is the main participant."),
    )
    cities = ParentalManyToManyField(
        "casestudies.City", verbose_name=_("participating cities"), blank=True, related_name="summit_sessions"
    )
    related_cases = ParentalManyToManyField(
        "casestudies.CaseStudyPage",
        verbose_name=_("related case studies"),
        blank=True,
        related_name="summit_sessions",
    )
    notes = models.TextField(
        _("notes on the sources"),
        blank=True,
        help_text=_("Where the source documents differ, and which version is kept here."),
    )

    content_panels = Page.content_panels + [
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("kind"), FieldPanel("policy_area")]),
                FieldRowPanel([FieldPanel("start"), FieldPanel("end")]),
            ],
            heading=_("What and when"),
        ),
        FieldPanel("topic"),
        FieldPanel("description"),
        FieldPanel("department"),
        MultiFieldPanel(
            [FieldPanel("countries"), FieldPanel("cities", widget=forms.SelectMultiple)],
            heading=_("Participants"),
        ),
        InlinePanel("speakers", label=_("Speakers")),
        InlinePanel("recordings", label=_("Recordings"), max_num=2),
        InlinePanel("chapters", label=_("Chapters")),
        FieldPanel("related_cases", widget=forms.SelectMultiple),
        InlinePanel("attachments", label=_("Attachments")),
        FieldPanel("notes"),
    ]
    search_fields = Page.search_fields + [
        index.SearchField("topic"),
        index.SearchField("description"),
        index.SearchField("department"),
        index.RelatedFields(
            "speakers",
            [index.SearchField("name"), index.SearchField("role"), index.SearchField("organisation")],
        ),
        index.RelatedFields("chapters", [index.SearchField("title")]),
        index.FilterField("kind"),
        index.FilterField("start"),
    ]

    # wagtail-localize: what does not depend on language is copied from the original on every sync
    # and not offered to translators: the times, kind, countries, cities and the recordings. The
    # chapters are translatable children (SessionChapter): their times and cases are copied, their
    # titles translated. archive.signals also copies the media when the original is published.
    override_translatable_fields = [
        SynchronizedField("kind", overridable=False),
        SynchronizedField("start", overridable=False),
        SynchronizedField("end", overridable=False),
        SynchronizedField("countries", overridable=False),
        SynchronizedField("cities", overridable=False),
        SynchronizedField("recordings", overridable=False),
    ]
    base_form_class = SessionPageForm
    parent_page_types = ["archive.SummitPage"]
    subpage_types: list[str] = []
    template = "archive/session_page.html"

    class Meta:
        verbose_name = _("summit session")
        verbose_name_plural = _("summit sessions")

    def clean(self) -> None:
        super().clean()
        errors = {}
        if self.start and self.end and self.end <= self.start:
            errors["end"] = _("The end must be after the start.")
        if self.kind == SessionKind.DISCUSSION and not self.policy_area_id:
            errors["policy_area"] = _("A discussion session needs its policy area.")
        if self.slug in RESERVED_SESSION_SLUGS:
            errors["slug"] = _("“%(slug)s” is reserved for the summit's own pages; choose another slug.") % {
                "slug": self.slug
            }
        if errors:
            raise ValidationError(errors)

    # --- time ----------------------------------------------------------------------------
    @cached_property
    def summit(self) -> SummitPage | None:
        parent = self.get_parent()
        if parent is None:
            return None
        parent = parent.specific
        return parent if isinstance(parent, SummitPage) else None

    @property
    def time_zone(self) -> str:
        summit = self.summit
        return summit.time_zone if summit and is_valid_time_zone(summit.time_zone) else DEFAULT_TIME_ZONE

    @property
    def local_start(self) -> datetime.datetime:
        return self.start.astimezone(zone(self.time_zone))

    @property
    def local_end(self) -> datetime.datetime:
        return self.end.astimezone(zone(self.time_zone))

    @property
    def ends_next_day(self) -> bool:
        return self.local_end.date() > self.local_start.date()

    @property
    def duration_minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)

    # --- people and places ---------------------------------------------------------------
    @property
    def country_codes(self) -> list[str]:
        return [country.code for country in self.countries]

    @property
    def first_country(self) -> str:
        codes = self.country_codes
        return codes[0] if codes else ""

    # --- recordings ----------------------------------------------------------------------
    @property
    def available_recordings(self) -> list[SessionRecording]:
        """Recordings with a usable video id (a row without an id is a recording not yet known)."""
        return [recording for recording in self.recordings.all() if recording.youtube_id]

    @property
    def has_recording(self) -> bool:
        return bool(self.available_recordings)

    def get_context(self, request, *args, **kwargs):
        # Inside the function: presenters reads the session models (a loop, issue 14 item 5).
        from .presenters import session_context

        context = super().get_context(request, *args, **kwargs)
        context.update(session_context(self, request))
        return context

    @path("calendar/", name="calendar")
    def calendar(self, request):
        """This session as an iCalendar file."""
        from .ics import calendar_response

        summit = self.summit
        filename = f"{summit.slug}-{self.slug}.ics" if summit else f"{self.slug}.ics"
        return calendar_response(request, summit, [self], filename=filename, calendar_name=self.title)


class SessionSpeaker(Orderable):
    page = ParentalKey(SessionPage, related_name="speakers", on_delete=models.CASCADE)
    name = models.CharField(_("name"), max_length=200)
    role = models.CharField(_("role"), max_length=255, blank=True)
    organisation = models.CharField(_("organisation"), max_length=255, blank=True)
    city = models.CharField(_("city"), max_length=120, blank=True)

    panels = [
        FieldRowPanel([FieldPanel("name"), FieldPanel("role")]),
        FieldRowPanel([FieldPanel("organisation"), FieldPanel("city")]),
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("speaker")
        verbose_name_plural = _("speakers")

    def __str__(self) -> str:
        return self.name


class SessionRecording(Orderable):
    """A recording in one language: the YouTube video id (typed as an id or URL) and its length."""

    page = ParentalKey(SessionPage, related_name="recordings", on_delete=models.CASCADE)
    language = models.CharField(_("language"), max_length=2, choices=RecordingLanguage.choices)
    video_id = YouTubeIdField(
        _("YouTube video id or address"),
        blank=True,
        help_text=_("An 11-character id or a YouTube address; leave empty while the recording is unknown."),
    )
    duration = SecondsField(
        _("duration"), null=True, blank=True, help_text=_("Optional: seconds (5400) or h:mm:ss (1:30:00).")
    )

    panels = [FieldRowPanel([FieldPanel("language"), FieldPanel("video_id"), FieldPanel("duration")])]

    class Meta(Orderable.Meta):
        verbose_name = _("recording")
        verbose_name_plural = _("recordings")

    def __str__(self) -> str:
        return f"{self.get_language_display()}: {self.video_id or '—'}"

    @property
    def youtube_id(self) -> str:
        """The stored id if it is a well-formed id, else "" (never a broken player)."""
        try:
            value = parse_youtube_id(self.video_id)
        except ValueError:
            return ""
        return value if value == self.video_id else ""

    def embed_url(self, start: int = 0) -> str:
        url = f"https://www.youtube-nocookie.com/embed/{self.youtube_id}"
        return f"{url}?start={int(start)}" if start else url

    def watch_url(self, start: int = 0) -> str:
        url = f"https://www.youtube.com/watch?v={self.youtube_id}"
        return f"{url}&t={int(start)}s" if start else url


class SessionChapter(TranslatableMixin, Orderable):
    """A moment in a recording: its offset, a title and, optionally, the case study discussed there.

    Translatable (locale, translation_key): the chapter of a translation shares the original's
    offset, recording language and case, and keeps its own title (wagtail-localize translates it).
    """

    page = ParentalKey(SessionPage, related_name="chapters", on_delete=models.CASCADE)
    language = models.CharField(
        _("recording language"), max_length=2, choices=RecordingLanguage.choices, default=RecordingLanguage.EN
    )
    offset = SecondsField(
        _("offset"), help_text=_("Where the moment starts: seconds (3730) or h:mm:ss (1:02:10).")
    )
    title = models.CharField(_("title"), max_length=255)
    case_study = models.ForeignKey(
        "casestudies.CaseStudyPage",
        verbose_name=_("case study"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="session_chapters",
        help_text=_("Optional: the published case study discussed at this moment."),
    )

    panels = [
        FieldRowPanel([FieldPanel("language"), FieldPanel("offset")]),
        FieldPanel("title"),
        FieldPanel("case_study"),
    ]
    override_translatable_fields = [
        SynchronizedField("language", overridable=False),
        SynchronizedField("offset", overridable=False),
        SynchronizedField("case_study", overridable=False),
    ]

    class Meta(TranslatableMixin.Meta, Orderable.Meta):
        verbose_name = _("chapter")
        verbose_name_plural = _("chapters")

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        super().clean()
        if self.case_study_id and not self.case_study.live:
            raise ValidationError(
                {"case_study": _("This case study is a draft: publish it before linking a moment to it.")}
            )

    @property
    def fragment(self) -> str:
        return offset_fragment(self.offset or 0)

    @property
    def anchor(self) -> str:
        return f"player-{self.language}"

    @property
    def link_query(self) -> str:
        """`?t=3730&rec=en#player-en`: works without JavaScript (the server starts the player there)."""
        return f"?t={int(self.offset or 0)}&rec={self.language}#{self.anchor}"


class SessionAttachment(Orderable):
    """Slides, the adopted statement or declaration: a title, an optional document and a note."""

    page = ParentalKey(SessionPage, related_name="attachments", on_delete=models.CASCADE)
    title = models.CharField(_("title"), max_length=255)
    document = models.ForeignKey(
        "wagtaildocs.Document",
        verbose_name=_("document"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    description = models.TextField(_("description"), blank=True)

    panels = [FieldPanel("title"), FieldPanel("document"), FieldPanel("description")]

    class Meta(Orderable.Meta):
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.title


class LiveStream(models.Model):
    """The live broadcast of a session in one language: a YouTube video id (a live stream has one).

    Attached to a session page of any language: both language versions of the session show it
    (archive.live decides when a session is on air).
    """

    base_form_class = CleanModelForm  # no control characters (ops.forms)
    session = models.ForeignKey(
        SessionPage,
        verbose_name=_("session"),
        on_delete=models.CASCADE,
        related_name="live_streams",
    )
    language = models.CharField(_("broadcast language"), max_length=2, choices=RecordingLanguage.choices)
    video_id = YouTubeIdField(_("YouTube video id or address"))

    panels = [FieldPanel("session"), FieldRowPanel([FieldPanel("language"), FieldPanel("video_id")])]

    class Meta:
        ordering = ["session__start", "language"]
        constraints = [
            models.UniqueConstraint(fields=["session", "language"], name="archive_livestream_unique_language")
        ]
        verbose_name = _("live stream")
        verbose_name_plural = _("live streams")

    def __str__(self) -> str:
        title = self.session.title if self.session_id else "?"
        return f"{title} ({self.get_language_display()})"

    def clean(self) -> None:
        super().clean()
        if not self.session_id:
            return
        clash = LiveStream.objects.filter(
            session__translation_key=self.session.translation_key, language=self.language
        ).exclude(pk=self.pk)
        if clash.exists():
            raise ValidationError(
                {
                    "language": _(
                        "This session already has a live stream in this language (in one of its translations)."
                    )
                }
            )

    @property
    def embed_url(self) -> str:
        return f"https://www.youtube-nocookie.com/embed/{self.video_id}"

    @property
    def watch_url(self) -> str:
        return f"https://www.youtube.com/watch?v={self.video_id}"
