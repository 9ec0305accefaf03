"""The case-study listing in the admin: filterable by policy area, continent, city, locale and status."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from urllib.parse import urlencode

import django_filters

from django import forms
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import IntegerField, Q, QuerySet, prefetch_related_objects
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from wagtail import hooks as wagtail_hooks
from wagtail.admin.filters import LocaleFilter
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.pages.listing import IndexView, PageFilterSet
from wagtail.admin.viewsets.pages import PageListingViewSet
from wagtail.admin.widgets.button import Button
from wagtail.models import Locale, Page, Revision, WorkflowState
from wagtail.query import PageQuerySet
from wagtail_localize.models import TranslationSource

from casestudies.evidence import EvidenceLevel, evidence_label
from casestudies.models import CaseStudyPage, City, Continent, PolicyArea
from casestudies.permissions import STORED_CITY_ATTR

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


# --- wagtail-localize's row actions, answered for all rows at once ----------------------------
# wagtail-localize adds "Translate this page" and "Sync translated pages" to each row's menu and asks
# the database twice per row which of them apply. The listing answers both for all its rows in two
# queries (annotate_translation_state); `translation_buttons` replaces wagtail-localize's hook and
# builds the same buttons from those answers (rows without them: wagtail-localize's own hook).
TRANSLATION_STATE_ATTR = "_editorial_translation_state"
# wagtail-localize's own texts (its catalog translates them), not marked for this project's.
TRANSLATE_LABEL = "Translate this page"
SYNC_LABEL = "Sync translated pages"


@dataclass(frozen=True)
class TranslationState:
    has_locale_to_translate_to: bool
    source_id: int | None  # the page's TranslationSource, when it has enabled translations


def annotate_translation_state(pages: list[Page]) -> None:
    """What wagtail-localize's row menu needs for each page, in two queries for all pages."""
    if not pages:
        return
    keys = {page.translation_key for page in pages}
    locales = set(Locale.objects.values_list("pk", flat=True))
    translated: dict = {}
    for key, locale_id in Page.objects.filter(translation_key__in=keys, alias_of__isnull=True).values_list(
        "translation_key", "locale_id"
    ):
        translated.setdefault(key, set()).add(locale_id)
    sources = {
        (key, locale_id): pk
        for pk, key, locale_id in TranslationSource.objects.filter(
            object_id__in=keys, translations__enabled=True
        )
        .values_list("pk", "object_id", "locale_id")
        .distinct()
    }
    for page in pages:
        page.__dict__[TRANSLATION_STATE_ATTR] = TranslationState(
            has_locale_to_translate_to=bool(locales - translated.get(page.translation_key, set())),
            source_id=sources.get((page.translation_key, page.locale_id)),
        )


def annotate_listed_pages(pages: list) -> None:
    """What the row actions of a listing need, read for all its rows at once: each case's stored
    city (the city editor's scope check) and the state of wagtail-localize's row menu."""
    pages = [page for page in pages if isinstance(page, Page)]
    for page in pages:  # read from the database just now: the scope check need not read it again
        if isinstance(page, CaseStudyPage):
            page.__dict__[STORED_CITY_ATTR] = page.city_id
    annotate_translation_state(pages)


class ListedPageQuerySet(PageQuerySet):
    """A page queryset whose fetched rows are annotated for their row actions (annotate_listed_pages):
    the explorer's pages, through the `construct_explorer_page_queryset` hook."""

    def _fetch_all(self) -> None:
        fresh = self._result_cache is None
        super()._fetch_all()
        if fresh:
            annotate_listed_pages(self._result_cache)


def listed(queryset: QuerySet) -> QuerySet:
    """`queryset` (a page queryset) whose rows get annotated when fetched."""
    if not isinstance(queryset, PageQuerySet):
        return queryset
    clone = queryset._chain()
    clone.__class__ = _listed_class(type(queryset))
    return clone


@functools.cache
def _listed_class(klass: type[PageQuerySet]) -> type[PageQuerySet]:
    return (
        klass
        if issubclass(klass, ListedPageQuerySet)
        else type(f"Listed{klass.__name__}", (ListedPageQuerySet, klass), {})
    )


_localize_buttons = None  # wagtail-localize's hook, once replaced (rows the listing did not annotate)


def translation_buttons(page: Page, user, view_name=None, next_url=None):
    """wagtail_localize.wagtail_hooks.page_listing_more_buttons, from the listing's answers."""
    state = page.__dict__.get(TRANSLATION_STATE_ATTR)
    if state is None:
        if _localize_buttons is not None:
            yield from _localize_buttons(page, user, view_name=view_name, next_url=next_url)
        return
    if page.is_root() or not user.has_perm("wagtail_localize.submit_translation"):
        return
    if state.has_locale_to_translate_to:
        url = reverse("wagtail_localize:submit_page_translation", args=[page.alias_of_id or page.id])
        yield Button(gettext(TRANSLATE_LABEL), url, priority=60, icon_name="wagtail-localize-language")
    if state.source_id is not None:
        url = reverse("wagtail_localize:update_translations", args=[state.source_id])
        if next_url is not None:
            url += "?" + urlencode({"next": next_url})
        yield Button(gettext(SYNC_LABEL), url, priority=60, icon_name="resubmit")


def use_listing_translation_buttons() -> None:
    """Put `translation_buttons` in the place of wagtail-localize's row-menu hook (same order).

    Called at the end of editorial.wagtail_hooks: importing wagtail-localize's hooks module registers
    its hooks, which must come after this app's (its admin URLs answer first)."""
    global _localize_buttons
    from wagtail_localize import wagtail_hooks as localize_hooks  # noqa: PLC0415 - hook order, see above

    _localize_buttons = localize_hooks.page_listing_more_buttons
    hook_name = "register_page_listing_more_buttons"
    registered = wagtail_hooks._hooks.get(hook_name, [])  # no public API replaces a registered hook
    wagtail_hooks._hooks[hook_name] = [
        (translation_buttons if fn is _localize_buttons else fn, order) for fn, order in registered
    ]


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
        pages = list(context["object_list"])
        # `.specific()` fetches the rows again without the base queryset's select_related:
        # one query for the page's cities instead of one per row (the City column).
        prefetch_related_objects(pages, "city")
        annotate_listed_pages(pages)
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
