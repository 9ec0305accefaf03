"""The case-study knowledge model: taxonomy snippets, measure-type tags and the case pages."""

from __future__ import annotations

import threading

from django_countries.fields import Country, CountryField
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from taggit.models import ItemBase, TagBase

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.core.signals import request_started
from django.db import models
from django.db.models import Count
from django.db.models.signals import post_delete, post_save
from django.http import Http404
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Orderable, Page, TranslatableMixin
from wagtail.search import index
from wagtail_localize.fields import SynchronizedField

from editorial.forms import CityScopedCaseStudyPageForm
from ops.forms import CleanModelForm, CleanPageForm
from ops.i18n import current_language, is_korean
from ops.text import ascii_slug
from search.related import similar_pages

from .blocks import CaseStudyBodyBlock, TimelineBlock
from .city_forms import CityForm
from .visibility import public_cases, public_cities, public_measures, public_now

CASES_PER_PAGE = 12


class Continent(models.TextChoices):
    AFRICA = "africa", _("Africa")
    ASIA = "asia", _("Asia")
    EUROPE = "europe", _("Europe")
    NORTH_AMERICA = "north-america", _("North America")
    SOUTH_AMERICA = "south-america", _("South America")
    OCEANIA = "oceania", _("Oceania")


class PolicyArea(TranslatableMixin, models.Model):
    """One of the summit's ten policy areas; the slug is stable across languages."""

    base_form_class = CleanModelForm  # no control characters (ops.forms)
    name = models.CharField(_("name"), max_length=80)
    slug = models.SlugField(_("slug"), max_length=40)
    description = models.CharField(_("description"), max_length=200)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    panels = [FieldPanel("name"), FieldPanel("slug"), FieldPanel("description"), FieldPanel("sort_order")]

    class Meta(TranslatableMixin.Meta):
        ordering = ["sort_order", "name"]
        unique_together = [("translation_key", "locale"), ("slug", "locale")]
        verbose_name = _("policy area")
        verbose_name_plural = _("policy areas")

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        """The name in the visitor's language, whichever locale row a page links to."""
        return localized_area(self).name

    @property
    def display_description(self) -> str:
        return localized_area(self).description


# The ten areas of the visitor's language, read once per request (a page shows dozens of badges;
# `.localized` costs two queries each). Forgotten when a request starts and when an area changes.
_areas_of_language = threading.local()


def localized_area(area: PolicyArea) -> PolicyArea:
    language = get_supported_content_language_variant(get_language() or settings.LANGUAGE_CODE)
    table = getattr(_areas_of_language, "table", None)
    if table is None or table[0] != language:
        rows = PolicyArea.objects.filter(locale__language_code=language)
        table = (language, {row.translation_key: row for row in rows})
        _areas_of_language.table = table
    return table[1].get(area.translation_key, area)


def forget_localized_areas(**kwargs) -> None:
    _areas_of_language.table = None


request_started.connect(forget_localized_areas, dispatch_uid="casestudies.forget_localized_areas.request")
post_save.connect(
    forget_localized_areas, sender=PolicyArea, dispatch_uid="casestudies.forget_localized_areas.save"
)
post_delete.connect(
    forget_localized_areas, sender=PolicyArea, dispatch_uid="casestudies.forget_localized_areas.delete"
)


class City(index.Indexed, models.Model):
    """A city; its country and continent come with it, so a case needs only the city."""

    # No control characters (ops.forms); slug and continent filled from name and country.
    base_form_class = CityForm
    name = models.CharField(_("name (English)"), max_length=100)
    # Empty until someone writes it (an import knows only one name): the Korean pages show the
    # English name meanwhile, and the missing-translation report lists the city.
    name_ko = models.CharField(_("name (Korean)"), max_length=100, blank=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    country = CountryField(_("country"))
    continent = models.CharField(_("continent"), max_length=20, choices=Continent.choices)
    latitude = models.DecimalField(_("latitude"), max_digits=8, decimal_places=5, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=8, decimal_places=5, null=True, blank=True)
    # Where the coordinates came from: "editor" (typed in the admin), "geonames:<id>" (filled from
    # the bundled gazetteer, casestudies.gazetteer), or empty (none, or from before this was kept).
    coordinates_source = models.CharField(
        _("source of the coordinates"),
        max_length=40,
        blank=True,
        help_text=_(
            "Filled in by itself: “editor” when coordinates are typed here, “geonames:” and the place's "
            "number when they come from the GeoNames gazetteer. The gazetteer never replaces an editor's."
        ),
    )
    aliases = models.TextField(
        _("other spellings"),
        blank=True,
        help_text=_(
            "One per line: other names of this city (without accents, another case…), which the import recognises."
        ),
    )

    panels = [
        FieldRowPanel([FieldPanel("name"), FieldPanel("name_ko")]),
        FieldPanel("slug"),
        FieldRowPanel([FieldPanel("country"), FieldPanel("continent")]),
        FieldRowPanel([FieldPanel("latitude"), FieldPanel("longitude")]),
        FieldPanel("coordinates_source", read_only=True),
        FieldPanel("aliases"),
    ]
    search_fields = [
        index.SearchField("name"),
        index.SearchField("name_ko"),
        index.AutocompleteField("name"),
        index.AutocompleteField("name_ko"),
        index.FilterField("continent"),
    ]

    class Meta:
        ordering = ["name"]
        verbose_name = _("city")
        verbose_name_plural = _("cities")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.latitude is not None and not -90 <= self.latitude <= 90:
            raise ValidationError({"latitude": _("Latitude must be between -90 and 90.")})
        if self.longitude is not None and not -180 <= self.longitude <= 180:
            raise ValidationError({"longitude": _("Longitude must be between -180 and 180.")})

    @property
    def display_name(self) -> str:
        return self.name_ko if is_korean() and self.name_ko else self.name

    @property
    def alias_list(self) -> list[str]:
        return [line.strip() for line in (self.aliases or "").splitlines() if line.strip()]

    @property
    def country_name(self) -> str:
        return str(self.country.name)


class MeasureType(TagBase):
    """A kind of measure, from a curated vocabulary cross-referenced with the trackers' codes."""

    # Editors pick from the curated list; new types come through the snippet or an import.
    free_tagging = False

    base_form_class = CleanModelForm  # no control characters (ops.forms)
    name_ko = models.CharField(_("name (Korean)"), max_length=100, blank=True)
    description = models.CharField(_("description (English)"), max_length=250, blank=True)
    description_ko = models.CharField(_("description (Korean)"), max_length=250, blank=True)
    phsm_code = models.CharField(
        _("WHO PHSM code"), max_length=12, blank=True, help_text=_("e.g. 3.2.1 for contact tracing")
    )
    oxcgrt_code = models.CharField(
        _("OxCGRT indicator"), max_length=4, blank=True, help_text=_("e.g. H3 for contact tracing")
    )
    # Synonyms for search (search.synonyms): the everyday words officials type for this measure.
    aliases = models.TextField(
        _("other names (English)"),
        blank=True,
        help_text=_("Words people search with for this measure, one per line, e.g. drive-thru, SMEs."),
    )
    aliases_ko = models.TextField(
        _("other names (Korean)"),
        blank=True,
        help_text=_("Korean words people search with for this measure, one per line, e.g. 어르신."),
    )

    panels = [
        FieldRowPanel([FieldPanel("name"), FieldPanel("name_ko")]),
        FieldPanel("slug"),
        FieldPanel("description"),
        FieldPanel("description_ko"),
        FieldRowPanel([FieldPanel("phsm_code"), FieldPanel("oxcgrt_code")]),
        FieldRowPanel(
            [FieldPanel("aliases"), FieldPanel("aliases_ko")], heading=_("Other names (for search)")
        ),
    ]

    class Meta:
        ordering = ["name"]
        verbose_name = _("measure type")
        verbose_name_plural = _("measure types")

    @property
    def display_name(self) -> str:
        return self.name_ko if is_korean() and self.name_ko else self.name

    def clean(self) -> None:
        """Aliases are stored one per line, cleaned: no empty or repeated line (a repeat of the
        name included), no control characters; a line search cannot use is a form error."""
        from search.synonyms import clean_phrase_fields

        super().clean()
        names = [(self.name or "", "en"), (self.name_ko or "", "ko")]
        clean_phrase_fields(self, (("aliases", "en"), ("aliases_ko", "ko")), taken=names)

    def slugify(self, tag, i=None):
        """Taggit's slug for a new measure type, ASCII in any script (ops.text.ascii_slug)."""
        slug = ascii_slug(tag) or "measure"
        return f"{slug}_{i}" if i is not None else slug


class TaggedCaseStudy(ItemBase):
    tag = models.ForeignKey(MeasureType, related_name="tagged_cases", on_delete=models.CASCADE)
    content_object = ParentalKey(
        "casestudies.CaseStudyPage", related_name="tagged_measures", on_delete=models.CASCADE
    )


def live_cases():
    """Case studies a visitor may see now (casestudies.visibility), in the active language."""
    return public_cases(current_language())


class CaseStudyIndexPage(Page):
    """Lists the case studies beneath it, newest first, with simple taxonomy filters."""

    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])

    base_form_class = CleanPageForm  # no control characters (ops.forms)
    content_panels = Page.content_panels + [FieldPanel("intro")]
    subpage_types = ["casestudies.CaseStudyPage"]
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("case study index")

    def permissions_for_user(self, user):
        # City editors may add cases here and nothing else (editorial.permissions).
        from editorial.permissions import CaseStudyIndexPermissionTester

        return CaseStudyIndexPermissionTester(user, self)

    def filtered_cases(self, params):
        """Apply the ?area, ?continent, ?country, ?city, ?measure and ?year filters (the search
        page's, so one link works on both); unknown values are a 404."""
        cases = (
            public_now(CaseStudyPage.objects.child_of(self))
            .select_related("city")
            .prefetch_related("policy_areas", "measure_types")
            .order_by("-start_date", "-pk")
        )
        active = {}
        area = params.get("area")
        if area:
            if not PolicyArea.objects.filter(slug=area).exists():
                raise Http404(_("Unknown policy area."))
            # Subqueries on the link tables rather than joins: no duplicate rows, so no DISTINCT
            # over the whole page rows (a third of the cost of the page at 10,000 cases).
            links = CaseStudyPage.policy_areas.through.objects.filter(policyarea__slug=area)
            cases = cases.filter(pk__in=links.values("casestudypage_id"))
            active["area"] = PolicyArea.objects.filter(slug=area).first().localized
        continent = params.get("continent")
        if continent:
            if continent not in Continent.values:
                raise Http404(_("Unknown continent."))
            cases = cases.filter(city__continent=continent)
            active["continent"] = Continent(continent).label
        country = (params.get("country") or "").upper()
        if country:
            if not City.objects.filter(country=country).exists():
                raise Http404(_("Unknown country."))
            cases = cases.filter(city__country=country)
            active["country"] = Country(country).name
        city = params.get("city")
        if city:
            city_obj = public_cities().filter(slug=city).first()
            if city_obj is None:
                raise Http404(_("Unknown city."))
            cases = cases.filter(city=city_obj)
            active["city"] = city_obj
        measure = params.get("measure")
        if measure:
            measure_obj = public_measures().filter(slug=measure).first()
            if measure_obj is None:
                raise Http404(_("Unknown measure type."))
            tagged = TaggedCaseStudy.objects.filter(tag=measure_obj)
            cases = cases.filter(pk__in=tagged.values("content_object_id"))
            active["measure"] = measure_obj
        year = params.get("year")
        if year:
            if not (year.isascii() and year.isdigit() and len(year) == 4):
                raise Http404(_("Unknown year."))
            cases = cases.filter(start_date__year=int(year))
            active["year"] = year
        return cases, active

    def filter_choices(self) -> dict:
        """The values the index's filters offer: only those some live case here has."""
        cases = public_now(CaseStudyPage.objects.child_of(self))
        cities = City.objects.filter(cases__in=cases)
        codes = set(cities.values_list("country", flat=True))
        measures = MeasureType.objects.filter(tagged_cases__content_object__in=cases).distinct()
        return {
            "countries": sorted(((code, str(Country(code).name)) for code in codes), key=lambda c: c[1]),
            "measures": sorted(measures, key=lambda m: m.display_name.casefold()),
            "years": sorted({d.year for d in cases.dates("start_date", "year")}, reverse=True),
        }

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        cases, active = self.filtered_cases(request.GET)
        paginator = Paginator(cases, CASES_PER_PAGE)
        context["cases"] = paginator.get_page(request.GET.get("page"))
        context["active_filters"] = active
        context["areas"] = PolicyArea.objects.filter(locale=self.locale)
        context["continents"] = Continent.choices
        context.update(self.filter_choices())
        query = request.GET.copy()
        query.pop("page", None)
        context["filter_query"] = query.urlencode()
        return context


class CaseStudySource(Orderable):
    page = ParentalKey("casestudies.CaseStudyPage", related_name="sources", on_delete=models.CASCADE)
    title = models.CharField(_("title"), max_length=255)
    # News and social-media links are often longer than 500 characters (issue 15).
    url = models.URLField(_("URL"), max_length=2000)

    panels = [FieldPanel("title"), FieldPanel("url")]

    def __str__(self) -> str:
        return self.title


class CaseStudyPage(Page):
    """One city's measure against COVID-19: what was done, what came of it, and where to ask."""

    summary = models.TextField(
        _("summary"), max_length=300, help_text=_("Plain text, at most 300 characters.")
    )
    city = models.ForeignKey(
        City, verbose_name=_("city"), null=True, blank=False, on_delete=models.PROTECT, related_name="cases"
    )
    policy_areas = ParentalManyToManyField(PolicyArea, verbose_name=_("policy areas"), related_name="cases")
    measure_types = ClusterTaggableManager(
        verbose_name=_("measure types"), through=TaggedCaseStudy, blank=True
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    # An empty end date alone says nothing: the page says "ongoing" only when an editor says so.
    ongoing = models.BooleanField(
        _("still running"),
        default=False,
        help_text=_("Tick when the measure is still in force; leave the end date empty then."),
    )
    publication_date = models.DateField(
        _("publication date"),
        null=True,
        blank=True,
        help_text=_(
            "When this case was first published (e.g. on the original CAC platform): the date in its "
            "citation. Empty: the date it was first published here."
        ),
    )
    body = StreamField(CaseStudyBodyBlock(), verbose_name=_("what was done"), blank=True)
    # The measure's start, changes and end (e.g. a tracker's updates of one policy, casestudies.tracker).
    timeline = StreamField(
        TimelineBlock(),
        verbose_name=_("timeline"),
        blank=True,
        help_text=_("The measure's start, changes and end, oldest first."),
    )
    outcomes = RichTextField(_("outcomes"), blank=True, features=["bold", "italic", "link", "ol", "ul"])
    lessons_learned = RichTextField(
        _("lessons learned"), blank=True, features=["bold", "italic", "link", "ol", "ul"]
    )
    contact_organisation = models.CharField(_("contact organisation"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_person = models.CharField(_("contact person"), max_length=120, blank=True)

    content_panels = Page.content_panels + [
        FieldPanel("summary"),
        MultiFieldPanel(
            [
                FieldPanel("city"),
                FieldPanel("policy_areas", widget=forms.CheckboxSelectMultiple),
                FieldPanel("measure_types"),
                FieldRowPanel([FieldPanel("start_date"), FieldPanel("end_date"), FieldPanel("ongoing")]),
                FieldPanel("publication_date"),
            ],
            heading=_("Where, what and when"),
        ),
        FieldPanel("body"),
        FieldPanel("timeline"),
        FieldPanel("outcomes"),
        FieldPanel("lessons_learned"),
        InlinePanel("sources", label=_("Sources")),
        MultiFieldPanel(
            [FieldPanel("contact_organisation"), FieldPanel("contact_email"), FieldPanel("contact_person")],
            heading=_("Contact"),
        ),
    ]

    search_fields = Page.search_fields + [
        index.SearchField("summary"),
        index.SearchField("body"),
        index.SearchField("outcomes"),
        index.SearchField("lessons_learned"),
        index.RelatedFields("city", [index.SearchField("name"), index.SearchField("name_ko")]),
        index.FilterField("start_date"),
        index.FilterField("city"),
    ]

    # The case form, with the city limited to a city editor's own (editorial.forms).
    base_form_class = CityScopedCaseStudyPageForm
    # wagtail-localize: a translation shares its city, areas, measure types, dates, sources and
    # contact e-mail with the original (copied on every sync, not offered to translators).
    override_translatable_fields = [
        SynchronizedField("city", overridable=False),
        SynchronizedField("policy_areas", overridable=False),
        SynchronizedField("measure_types", overridable=False),
        SynchronizedField("tagged_measures", overridable=False),
        SynchronizedField("start_date", overridable=False),
        SynchronizedField("end_date", overridable=False),
        SynchronizedField("ongoing", overridable=False),
        SynchronizedField("publication_date", overridable=False),
        SynchronizedField("sources", overridable=False),
        SynchronizedField("contact_email", overridable=False),
    ]
    parent_page_types = ["casestudies.CaseStudyIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("case study")
        verbose_name_plural = _("case studies")

    def permissions_for_user(self, user):
        # A city editor acts only on the cases of their own city (editorial.permissions).
        from editorial.permissions import CaseStudyPermissionTester

        return CaseStudyPermissionTester(user, self)

    def get_admin_display_title(self):
        # Another city's case shows a city editor its published title, not its draft's (editorial.scope).
        from editorial.scope import display_title

        return display_title(self) or super().get_admin_display_title()

    def clean(self) -> None:
        super().clean()
        if len(self.summary or "") > 300:
            raise ValidationError({"summary": _("The summary must be at most 300 characters.")})
        if self.end_date and self.start_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("The end date cannot be before the start date.")})
        if self.ongoing and self.end_date:
            raise ValidationError(
                {"ongoing": _("A measure with an end date is not still running: clear one of the two.")}
            )

    @property
    def country(self):
        return self.city.country if self.city_id else None

    @property
    def continent(self) -> str:
        return self.city.continent if self.city_id else ""

    def related_cases(self, limit: int = 4) -> list[CaseStudyPage]:
        """The cases nearest in meaning (stored when this case's vector was computed, in the
        visitor's language where translated); until the worker has embedded it, those sharing
        its measure types and areas."""
        if self.pk:
            by_meaning = similar_pages(
                self, limit, CaseStudyPage.objects.select_related("city", "locale").order_by()
            )
            if by_meaning:
                return by_meaning
        return self.related_by_taxonomy(limit)

    def related_by_taxonomy(self, limit: int = 4) -> list[CaseStudyPage]:
        """Live cases sharing this case's areas or measure types, most shared first.

        Ranked by shared measure types, then shared areas, then the newest start date. The shares
        are counted on the two link tables alone (a page id and a count per row), then the pages
        are read tier by tier (same counts), best tier first, until `limit` are found: counting
        on the joined page rows grouped the whole language's cases (about 100 ms of PostgreSQL
        per case page at 10,000 cases); this takes a few milliseconds.
        """
        # Works on a saved page and on an unsaved preview (in-memory cluster relations) alike.
        area_slugs = [area.slug for area in self.policy_areas.all()]
        measure_ids = [measure.pk for measure in self.measure_types.all()]
        shares: dict[int, list[int]] = {}
        if measure_ids:
            measures = (
                TaggedCaseStudy.objects.filter(
                    tag_id__in=measure_ids, content_object__locale_id=self.locale_id
                )
                .values_list("content_object_id")
                .annotate(n=Count("tag_id", distinct=True))
                .order_by()
            )
            for pk, count in measures:
                shares.setdefault(pk, [0, 0])[0] = count
        if area_slugs:
            links = CaseStudyPage.policy_areas.through.objects
            areas = (
                links.filter(policyarea__slug__in=area_slugs, casestudypage__locale_id=self.locale_id)
                .values_list("casestudypage_id")
                .annotate(n=Count("policyarea_id", distinct=True))
                .order_by()
            )
            for pk, count in areas:
                shares.setdefault(pk, [0, 0])[1] = count
        shares.pop(self.pk, None)
        tiers: dict[tuple[int, int], list[int]] = {}
        for pk, (measures_shared, areas_shared) in shares.items():
            tiers.setdefault((measures_shared, areas_shared), []).append(pk)
        visible = public_now(CaseStudyPage.objects).select_related("city").order_by("-start_date", "-pk")
        found: list[CaseStudyPage] = []
        for key in sorted(tiers, reverse=True):
            if len(found) >= limit:
                break
            found.extend(visible.filter(pk__in=tiers[key])[: limit - len(found)])
        return found

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["related_cases"] = self.related_cases()
        context["index_page"] = self.get_parent().specific
        return context
