"""The case-study listing in the admin: filterable by policy area, continent, city, locale and status."""

from __future__ import annotations

import logging

import django_filters

from django import forms
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import IntegerField, Q, prefetch_related_objects
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wagtail.admin.filters import LocaleFilter
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.pages.listing import IndexView, PageFilterSet
from wagtail.admin.viewsets.pages import PageListingViewSet
from wagtail.models import Page, Revision, WorkflowState

from casestudies.evidence import EvidenceLevel, evidence_label
from casestudies.models import CaseStudyPage, City, Continent, PolicyArea

from .scope import without_other_cities_drafts

logger = logging.getLogger(__name__)


def area_choices():
    """One choice per area slug, named in the default language (every locale row shares the slug)."""
    areas = PolicyArea.objects.filter(locale__language_code=settings.LANGUAGE_CODE).order_by("sort_order")
    return [(area.slug, area.name) for area in areas]


NO_EVIDENCE = "none"


def evidence_choices():
    """Levels 1–5 (the case's strongest outcome's, as published) and "not graded"."""
    return [(str(level), evidence_label(level)) for level in EvidenceLevel.values] + [
        (NO_EVIDENCE, _("Not graded"))
    ]


def locale_choices():
    return list(settings.WAGTAIL_CONTENT_LANGUAGES)


class Status:
    LIVE = "live"
    DRAFT = "draft"
    CHANGED = "changed"
    IN_REVIEW = "in_review"
    SCHEDULED = "scheduled"
    EXPIRED = "expired"

    choices = [
        (LIVE, _("Live")),
        (CHANGED, _("Live with unpublished changes")),
        (DRAFT, _("Draft (never published)")),
        (IN_REVIEW, _("In review")),
        (SCHEDULED, _("Scheduled")),
        (EXPIRED, _("Expired")),
    ]


def _page_ids(queryset):
    """`object_id` (text) of page workflow states or revisions, as page ids for a subquery."""
    return (
        queryset.filter(base_content_type=ContentType.objects.get_for_model(Page))
        .annotate(page_id=Cast("object_id", IntegerField()))
        .values("page_id")
    )


def filter_status(queryset, value: str):
    if value == Status.LIVE:
        return queryset.filter(live=True)
    if value == Status.CHANGED:
        return queryset.filter(live=True, has_unpublished_changes=True)
    if value == Status.DRAFT:
        return queryset.filter(live=False, first_published_at__isnull=True, expired=False)
    if value == Status.IN_REVIEW:
        return queryset.filter(pk__in=_page_ids(WorkflowState.objects.active()))
    if value == Status.SCHEDULED:
        scheduled = Revision.objects.filter(approved_go_live_at__isnull=False)
        return queryset.filter(Q(go_live_at__gt=timezone.now()) | Q(pk__in=_page_ids(scheduled)))
    if value == Status.EXPIRED:
        return queryset.filter(expired=True)
    return queryset


class CaseStudyFilterSet(PageFilterSet):
    policy_area = django_filters.MultipleChoiceFilter(
        label=_("Policy area"),
        choices=area_choices,
        method="filter_policy_area",
        widget=forms.CheckboxSelectMultiple,
    )
    continent = django_filters.ChoiceFilter(
        label=_("Continent"),
        choices=Continent.choices,
        field_name="city__continent",
        empty_label=_("Any"),
    )
    city = django_filters.ModelChoiceFilter(
        label=_("City"),
        queryset=City.objects.order_by("name"),
        field_name="city",
        empty_label=_("Any"),
    )
    evidence = django_filters.MultipleChoiceFilter(
        label=_("Evidence level"),
        choices=evidence_choices,
        method="filter_evidence",
        widget=forms.CheckboxSelectMultiple,
    )
    locale = LocaleFilter(label=_("Locale"), choices=locale_choices, empty_label=_("Any"))
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=Status.choices, method="filter_status", empty_label=_("Any")
    )

    class Meta:
        model = CaseStudyPage
        fields = []

    def filter_policy_area(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(policy_areas__slug__in=value).distinct()

    def filter_status(self, queryset, name, value):
        return filter_status(queryset, value)

    def filter_evidence(self, queryset, name, value):
        if not value:
            return queryset
        levels = [int(level) for level in value if level != NO_EVIDENCE]
        condition = Q(evidence_level__in=levels)
        if NO_EVIDENCE in value:
            condition |= Q(evidence_level__isnull=True)
        return queryset.filter(condition)


class EvidenceColumn(Column):
    def get_value(self, instance):
        return evidence_label(getattr(instance, "evidence_level", None)) or "–"


class CityColumn(Column):
    def get_value(self, instance):
        city = getattr(instance, "city", None)
        return city.name if city else ""


# The public search's hits taken into the admin search (word matches only), per language.
MAX_SEARCH_HITS = 1000


def public_search_page_ids(query: str) -> set[int]:
    """Pages the public search finds for `query`, in either language (same analysis: stemming,
    Korean morphemes, synonyms), so that `masks` finds in the admin what it finds on the site."""
    from search import service  # noqa: PLC0415 - the search app loads its backends lazily

    text = service.clean_query(query)
    if not text:
        return set()
    ids: set[int] = set()
    for language in ("en", "ko"):
        page = 1
        while len(ids) < MAX_SEARCH_HITS:
            request = service.SearchRequest(
                language=language,
                query=text,
                lang=(language,),
                doc_type=("case",),
                page=page,
                page_size=service.MAX_PAGE_SIZE,
            )
            try:
                response = service.search(request)
            except Exception:  # noqa: BLE001 - the admin search still answers from Wagtail's index
                logger.warning("admin search: the public search failed for %r", text, exc_info=True)
                return ids
            hits = response.hits
            if response.word_matches is not None:
                # Hits past the word matches were found by meaning alone: not a search for the word.
                hits = hits[: max(0, response.word_matches - (page - 1) * service.MAX_PAGE_SIZE)]
            ids.update(hit.page_id for hit in hits)
            if page >= response.num_pages or len(hits) < len(response.hits):
                break
            page += 1
    return ids


class CaseStudyIndexView(IndexView):
    def get_base_queryset(self):
        queryset = without_other_cities_drafts(super().get_base_queryset(), self.request.user)
        return queryset.select_related("city")

    def search_queryset(self, queryset):
        """Wagtail's title autocomplete (drafts too) or the public search's hits (stemmed words)."""
        if not self.is_searching:
            return queryset
        autocomplete_ids = [page.pk for page in queryset.autocomplete(self.search_query)]
        ids = set(autocomplete_ids) | public_search_page_ids(self.search_query)
        return queryset.filter(pk__in=ids)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # `.specific()` fetches the rows again without the base queryset's select_related:
        # one query for the page's cities instead of one per row (the City column).
        prefetch_related_objects(list(context["object_list"]), "city")
        return context

    def order_queryset(self, queryset):
        # The union above has no relevance order: the listing's default order applies.
        if self.is_searching and not self.is_explicitly_ordered:
            return queryset.order_by("-latest_revision_created_at", "-pk")
        return super().order_queryset(queryset)


class CaseStudyListingViewSet(PageListingViewSet):
    index_view_class = CaseStudyIndexView
    model = CaseStudyPage
    icon = "doc-full-inverse"
    menu_label = _("Case studies")
    menu_order = 150
    add_to_admin_menu = True
    filterset_class = CaseStudyFilterSet
    columns = [
        *PageListingViewSet.columns,
        CityColumn("city", label=_("City"), sort_key="city__name", width="14%"),
        EvidenceColumn("evidence_level", label=_("Evidence"), sort_key="evidence_level", width="12%"),
    ]
