"""The summit platform's own pages besides cases and sessions: the companies showcase, the media
archive and the related-links page (live streams are the archive's; questions to cities are the
questions app's: see README.md)."""

from __future__ import annotations

from modelcluster.fields import ParentalManyToManyField

from django import forms
from django.core.paginator import Paginator
from django.db import models
from django.utils.translation import gettext_lazy as _

from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index
from wagtail_localize.fields import SynchronizedField

from archive.models import SessionKind, SessionPage
from archive.presenters import localized_live
from casestudies.models import CaseStudyPage
from casestudies.visibility import public_now
from ops.forms import CleanPageForm
from ops.i18n import current_language

from .blocks import MediaBlock, RelatedLinksBlock

MEDIA_PER_PAGE = 20


def _clean_param(params, name: str) -> str:
    """One query parameter, trimmed and bounded: raw input never reaches the database."""
    value = params.get(name) or ""
    return value.strip()[:100] if isinstance(value, str) else ""


# --- innovative companies ---------------------------------------------------------------------
class FieldOfBusiness(models.TextChoices):
    """Stable slugs: they appear in filter URLs (?field=untact-it) in both languages."""

    UNTACT_IT = "untact-it", _("Untact (contact-free) IT")
    MEDICINE = "medicine-medical-devices", _("Medicine and medical devices")
    OTHER = "other", _("Other fields")


class CompanyIndexPage(Page):
    """The "Innovative Companies IR" showcase: the companies, filterable by field of business."""

    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])

    base_form_class = CleanPageForm  # no control characters (ops.forms)
    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["home.HomePage"]
    subpage_types = ["community.CompanyPage"]
    max_count_per_parent = 1
    template = "community/company_index_page.html"

    class Meta:
        verbose_name = _("companies showcase")
        verbose_name_plural = _("companies showcases")

    def companies(self):
        return (
            public_now(CompanyPage.objects.child_of(self))
            .select_related("logo", "ir_session")
            .order_by("title")
        )

    def filter_companies(self, params):
        """?field=<slug>: an unknown field is ignored (and reported), never an error."""
        companies = self.companies()
        field = _clean_param(params, "field")
        active, ignored = None, []
        if field:
            if field in FieldOfBusiness.values:
                companies = companies.filter(field_of_business=field)
                active = FieldOfBusiness(field)
            else:
                ignored.append("field")
        return companies, active, ignored

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        companies, active, ignored = self.filter_companies(request.GET)
        counts = {
            row["field_of_business"]: row["n"]
            for row in self.companies().order_by().values("field_of_business").annotate(n=models.Count("pk"))
        }
        context.update(
            {
                "companies": companies,
                "active_field": active,
                "ignored_filters": ignored,
                "fields": [
                    {"value": value, "label": label, "count": counts.get(value, 0)}
                    for value, label in FieldOfBusiness.choices
                ],
                "total_companies": sum(counts.values()),
            }
        )
        return context


class CompanyPage(Page):
    """One company: its name (the title; the Korean name is the Korean translation's title), its
    field, what it offers cities, how to reach it, and the IR session it presented in."""

    field_of_business = models.CharField(
        _("field of business"), max_length=40, choices=FieldOfBusiness.choices
    )
    summary = models.TextField(
        _("summary"), max_length=300, help_text=_("What the company does, in one or two sentences.")
    )
    offers_cities = RichTextField(
        _("what it offers cities"), blank=True, features=["bold", "italic", "link", "ol", "ul"]
    )
    website = models.URLField(_("website"), max_length=300, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    logo = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("logo"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    ir_session = models.ForeignKey(
        "archive.SessionPage",
        verbose_name=_("IR session"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="presenting_companies",
        limit_choices_to={"kind": SessionKind.COMPANIES_IR},
        help_text=_("The Innovative Companies IR session the company presented in."),
    )
    fictional = models.BooleanField(
        _("fictional demo company"),
        default=False,
        help_text=_("Demo content: the page says that this company is invented."),
    )

    base_form_class = CleanPageForm  # no control characters (ops.forms)
    content_panels = Page.content_panels + [
        FieldPanel("field_of_business"),
        FieldPanel("summary"),
        FieldPanel("offers_cities"),
        MultiFieldPanel(
            [FieldRowPanel([FieldPanel("website"), FieldPanel("contact_email")]), FieldPanel("logo")],
            heading=_("Contact"),
        ),
        FieldPanel("ir_session"),
        FieldPanel("fictional"),
    ]
    search_fields = Page.search_fields + [
        index.SearchField("summary"),
        index.SearchField("offers_cities"),
        index.FilterField("field_of_business"),
    ]
    override_translatable_fields = [
        SynchronizedField("field_of_business", overridable=False),
        SynchronizedField("website", overridable=False),
        SynchronizedField("contact_email", overridable=False),
        SynchronizedField("logo", overridable=False),
        SynchronizedField("fictional", overridable=False),
    ]
    parent_page_types = ["community.CompanyIndexPage"]
    subpage_types: list[str] = []
    template = "community/company_page.html"

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")

    @property
    def field_label(self) -> str:
        try:
            return FieldOfBusiness(self.field_of_business).label
        except ValueError:
            return ""

    @property
    def session(self):
        """The IR session in the visitor's language (live), whichever translation the link points to."""
        if not self.ir_session_id:
            return None
        return (
            public_now(SessionPage.objects)
            .filter(translation_key=self.ir_session.translation_key, locale__language_code=current_language())
            .first()
        )

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["index_page"] = self.get_parent().specific
        context["ir_session"] = self.session
        return context


# --- media archive ----------------------------------------------------------------------------
class MediaKind(models.TextChoices):
    PRESS_RELEASE = "press-release", _("Press release")
    PHOTO = "photo", _("Photos")
    DOCUMENT = "document", _("Document")
    VIDEO = "video", _("Video")


class DatePrecision(models.TextChoices):
    DAY = "day", _("Day")
    MONTH = "month", _("Month only")
    YEAR = "year", _("Year only")


class MediaIndexPage(Page):
    """The media archive: press releases, photos, documents and videos, newest first."""

    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])

    base_form_class = CleanPageForm  # no control characters (ops.forms)
    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["home.HomePage"]
    subpage_types = ["community.MediaItemPage"]
    max_count_per_parent = 1
    template = "community/media_index_page.html"

    class Meta:
        verbose_name = _("media archive")
        verbose_name_plural = _("media archives")

    def items(self):
        return public_now(MediaItemPage.objects.child_of(self)).order_by("-date", "-pk")

    def filter_items(self, params):
        """?kind=<kind> and ?year=<yyyy>: unknown values are ignored (and reported)."""
        items = self.items()
        active: dict[str, str] = {}
        ignored: list[str] = []
        kind = _clean_param(params, "kind")
        if kind:
            if kind in MediaKind.values:
                items = items.filter(kind=kind)
                active["kind"] = MediaKind(kind).label
            else:
                ignored.append("kind")
        year = _clean_param(params, "year")
        if year:
            if year.isascii() and year.isdigit() and len(year) == 4:
                items = items.filter(date__year=int(year))
                active["year"] = year
            else:
                ignored.append("year")
        return items, active, ignored

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        items, active, ignored = self.filter_items(request.GET)
        paginator = Paginator(items, MEDIA_PER_PAGE)
        page = paginator.get_page(request.GET.get("page"))
        counts = {
            row["kind"]: row["n"]
            for row in self.items().order_by().values("kind").annotate(n=models.Count("pk"))
        }
        years = sorted({d.year for d in self.items().values_list("date", flat=True) if d}, reverse=True)
        context.update(
            {
                "items": page,
                "active_filters": active,
                "ignored_filters": ignored,
                "kinds": [
                    {"value": value, "label": label, "count": counts.get(value, 0)}
                    for value, label in MediaKind.choices
                ],
                "years": years,
                "total_items": sum(counts.values()),
            }
        )
        return context


class MediaItemPage(Page):
    """A press release, a photo set, a document or a video about the summit or the platform."""

    date = models.DateField(_("date"))
    date_precision = models.CharField(
        _("date precision"),
        max_length=5,
        choices=DatePrecision.choices,
        default=DatePrecision.DAY,
        help_text=_("When the source gives only the month (e.g. a monthly newsletter), say so here."),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=MediaKind.choices)
    summary = models.TextField(
        _("summary"), max_length=400, help_text=_("Plain text, at most 400 characters.")
    )
    body = RichTextField(_("text"), blank=True, features=["h2", "h3", "bold", "italic", "link", "ol", "ul"])
    media = StreamField(MediaBlock(), verbose_name=_("images, documents and videos"), blank=True)
    source = models.CharField(
        _("source"), max_length=255, blank=True, help_text=_("Who published the original, and when.")
    )
    source_url = models.URLField(_("source address"), max_length=500, blank=True)
    related_sessions = ParentalManyToManyField(
        "archive.SessionPage", verbose_name=_("related sessions"), blank=True, related_name="media_items"
    )
    related_cases = ParentalManyToManyField(
        "casestudies.CaseStudyPage",
        verbose_name=_("related case studies"),
        blank=True,
        related_name="media_items",
    )

    base_form_class = CleanPageForm  # no control characters (ops.forms)
    content_panels = Page.content_panels + [
        FieldRowPanel([FieldPanel("kind"), FieldPanel("date"), FieldPanel("date_precision")]),
        FieldPanel("summary"),
        FieldPanel("body"),
        FieldPanel("media"),
        MultiFieldPanel([FieldPanel("source"), FieldPanel("source_url")], heading=_("Source")),
        FieldPanel("related_sessions", widget=forms.SelectMultiple),
        FieldPanel("related_cases", widget=forms.SelectMultiple),
    ]
    search_fields = Page.search_fields + [
        index.SearchField("summary"),
        index.SearchField("body"),
        index.FilterField("kind"),
        index.FilterField("date"),
    ]
    override_translatable_fields = [
        SynchronizedField("date", overridable=False),
        SynchronizedField("date_precision", overridable=False),
        SynchronizedField("kind", overridable=False),
        SynchronizedField("source_url", overridable=False),
        SynchronizedField("related_sessions", overridable=False),
        SynchronizedField("related_cases", overridable=False),
    ]
    parent_page_types = ["community.MediaIndexPage"]
    subpage_types: list[str] = []
    template = "community/media_item_page.html"

    class Meta:
        verbose_name = _("media item")
        verbose_name_plural = _("media items")

    @property
    def kind_label(self) -> str:
        try:
            return MediaKind(self.kind).label
        except ValueError:
            return ""

    def localized_sessions(self):
        sessions = list(self.related_sessions.all())
        found = localized_live(SessionPage, sessions)
        return sorted(found.values(), key=lambda s: s.start)

    def localized_cases(self):
        found = localized_live(CaseStudyPage, list(self.related_cases.all()))
        return sorted(found.values(), key=lambda c: c.title)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["index_page"] = self.get_parent().specific
        context["sessions"] = self.localized_sessions()
        context["cases"] = self.localized_cases()
        return context


# --- related links ----------------------------------------------------------------------------
class RelatedLinksPage(Page):
    """Related platforms: Seoul's COVID-19 information platform and the trackers the codes come from."""

    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])
    links = StreamField(RelatedLinksBlock(), verbose_name=_("links"), blank=True)

    base_form_class = CleanPageForm  # no control characters (ops.forms)
    content_panels = Page.content_panels + [FieldPanel("intro"), FieldPanel("links")]
    parent_page_types = ["home.HomePage"]
    subpage_types: list[str] = []
    max_count_per_parent = 1
    template = "community/related_links_page.html"

    class Meta:
        verbose_name = _("related links page")
        verbose_name_plural = _("related links pages")
