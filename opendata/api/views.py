"""The read-only API: Wagtail API v2 endpoints with filters, search, capped paging and a rate limit.

Endpoints (`/api/v2/…`): `pages` (every live, public page; `?type=casestudies.CaseStudyPage`),
`cases`, `sessions`, `cities`, `areas`, `measures`, and `openapi.json` describing them.

What is never reachable: drafts (only live pages, and their published content: the page row,
never a revision), private pages (view restrictions exclude them and their subtrees), aliases of
nothing public, revisions (no endpoint exposes them).
"""

from __future__ import annotations

import re

from rest_framework.exceptions import Throttled
from rest_framework.filters import BaseFilterBackend
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.db.models import Q
from django.http import JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from wagtail.api.v2.filters import FieldsFilter, LocaleFilter, OrderingFilter, SearchFilter
from wagtail.api.v2.pagination import WagtailPagination
from wagtail.api.v2.utils import BadRequestError
from wagtail.api.v2.views import BaseAPIViewSet, PagesAPIViewSet

from archive.models import SessionKind, SessionPage
from casestudies.filters import API_FILTERS, CASE_FILTERS
from casestudies.models import CaseStudyPage, City, MeasureType, PolicyArea
from casestudies.visibility import public_cases, public_cities, public_measures, public_now
from opendata.api.fields import model_api_fields, model_api_meta_fields
from opendata.api.serializers import OpenDataBaseSerializer, OpenDataPageSerializer
from ops import ratelimit
from search import filters
from search.filters import BadFilter, Filter, FilterSet, descriptions
from search.service import BadSearchRequest

MAX_LIMIT = 100
MAX_OFFSET = 1_000_000


# ----------------------------------------------------------------------------------------------
# Shared behaviour
# ----------------------------------------------------------------------------------------------
class CappedPagination(WagtailPagination):
    """`limit` 1…100 (default 20), `offset` 0…1,000,000: anything else is a 400."""

    def paginate_queryset(self, queryset, request, view=None):
        limit_max = getattr(settings, "OPENDATA_API_LIMIT_MAX", MAX_LIMIT)
        raw_offset = request.GET.get("offset", "0")
        raw_limit = request.GET.get("limit", "20")
        if not re.fullmatch(r"[0-9]{1,9}", raw_offset.strip()):
            raise BadRequestError(f"offset must be a whole number from 0 to {MAX_OFFSET}")
        if not re.fullmatch(r"[0-9]{1,9}", raw_limit.strip()):
            raise BadRequestError(f"limit must be a whole number from 1 to {limit_max}")
        offset, limit = int(raw_offset), int(raw_limit)
        if offset > MAX_OFFSET:
            raise BadRequestError(f"offset cannot be higher than {MAX_OFFSET}")
        if limit < 1 or limit > limit_max:
            raise BadRequestError(f"limit must be from 1 to {limit_max}")
        self.view = view
        try:
            self.total_count = queryset.count()
        except DatabaseError as exc:  # e.g. a full-text query the database cannot parse
            raise BadRequestError("this search cannot be run; use words and spaces") from exc
        return queryset[offset : offset + limit]


class SafeFieldsFilter(FieldsFilter):
    """Wagtail's field filters, with a malformed value (a bad date…) a 400 instead of a 500."""

    def filter_queryset(self, request, queryset, view):
        fields = set(view.get_available_fields(queryset.model, db_fields_only=True))
        for name, value in request.GET.items():
            if name in fields and name != "locale":
                try:
                    field = queryset.model._meta.get_field(name)
                except Exception:  # noqa: BLE001, S112 - not a plain field: Wagtail decides
                    continue
                if hasattr(field, "to_python") and not field.is_relation:
                    try:
                        field.to_python(value)
                    except (ValidationError, ValueError, TypeError) as exc:
                        raise BadRequestError(f"'{value[:40]}' is not a valid value for {name}") from exc
        try:
            return super().filter_queryset(request, queryset, view)
        except (ValidationError, ValueError, TypeError) as exc:
            raise BadRequestError(f"field filter error: {exc}") from exc


def keep_api_404s(request) -> None:
    """An API 404 stays a JSON 404: without this, LocaleMiddleware would redirect it to
    `/en/api/…` (Wagtail's catch-all makes every prefixed path look valid). It only consults
    `request.urlconf` for that decision; URL reversing is not affected."""
    request.urlconf = "opendata.api.urls"


class SafeSearchFilter(SearchFilter):
    """Wagtail's search with the query reduced to words (a stray quote must not reach FTS syntax)."""

    def filter_queryset(self, request, queryset, view):
        raw = request.GET.get("search")
        if raw is None:
            return queryset
        text = " ".join(re.findall(r"[^\W_]+", str(raw)))[:200]
        if not text:
            return queryset
        query = request._request.GET.copy()
        query["search"] = text
        request._request.GET = query
        return super().filter_queryset(request, queryset, view)


class OpenDataMixin:
    """JSON only, rate-limited, capped paging, field lists from `opendata.api.fields`."""

    renderer_classes = [JSONRenderer]
    pagination_class = CappedPagination
    # Filters of this endpoint beyond Wagtail's own: name -> description (for OpenAPI and 400s).
    extra_filters: dict[str, str] = {}

    @classmethod
    def get_body_fields(cls, model):
        return cls._convert_api_fields(cls.body_fields + model_api_fields(model))

    @classmethod
    def get_meta_fields(cls, model):
        return cls._convert_api_fields(cls.meta_fields + model_api_meta_fields(model))

    def get_base_queryset(self):
        """Wagtail's page endpoints, with a `site` that names no site a 400 (Wagtail lets
        Site.DoesNotExist, or a port that is not a number, through as a 500)."""
        from wagtail.models import Site

        try:
            return super().get_base_queryset()
        except (Site.DoesNotExist, ValueError) as exc:
            raise BadRequestError(
                "site must be the host name (and :port) of a site of this platform"
            ) from exc

    def initial(self, request, *args, **kwargs):
        keep_api_404s(request._request)
        super().initial(request, *args, **kwargs)
        usage = ratelimit.check(request, "api")
        if usage is not None:
            raise Throttled(
                wait=max(1, int(usage.get("time_left") or 1)),
                detail=f"Too many requests: at most {ratelimit.rate_for('api')} per client.",
            )

    def find_view(self, request):
        """Wagtail's `find` redirect, to the detail URL on the request's host (not the Site's)."""
        from urllib.parse import urlsplit

        response = super().find_view(request)
        location = response.get("Location") if response.status_code in (301, 302) else None
        if location:
            parts = urlsplit(location)
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            response["Location"] = request.build_absolute_uri(path)
        return response

    def handle_exception(self, exc):
        if isinstance(exc, BadSearchRequest):  # a filter value (casestudies.filters): names it
            return Response(filters.error_json(exc, key="message"), status=400)
        response = super().handle_exception(exc)
        if isinstance(exc, Throttled) and isinstance(response.data, dict):
            response.data = {"message": str(exc.detail)}
        return response


def _check_known_parameters(view, request) -> None:
    unknown = sorted(set(request.GET) - set(view.known_query_parameters))
    if unknown:
        raise BadRequestError(
            "query parameter is not an operation or a recognised field: " + ", ".join(unknown)
        )


# ----------------------------------------------------------------------------------------------
# Case studies
# ----------------------------------------------------------------------------------------------
class CaseFilter(BaseFilterBackend):
    """The case filters of `API_FILTERS` (casestudies.filters): repeated or comma-separated, an
    unknown or malformed value a 400 `{"message", "parameter"}`."""

    def filter_queryset(self, request, queryset, view):
        values = CASE_FILTERS.parse(request.GET, API_FILTERS)
        if values["start_from"] and values["start_to"] and values["start_to"][0] < values["start_from"][0]:
            raise BadFilter("start_to", str(values["start_to"][0]), _("“start_to” is before “start_from”."))
        return CASE_FILTERS.filter(queryset, values)


class PlatformSearchFilter(BaseFilterBackend):
    """`?search=` through the platform's own search (Korean and English analysis), any filter before it."""

    def filter_queryset(self, request, queryset, view):
        from opendata import selection as sel
        from search import service
        from search.types import SearchRequest

        text = service.clean_query(request.GET.get("search", ""))
        if not text:
            return queryset
        languages = (
            [request.GET["locale"]] if request.GET.get("locale") in service.LANGUAGES else ["en", "ko"]
        )
        ids: list[int] = []
        for language in languages:
            selection = sel.Selection(request=SearchRequest(language=language, query=text))
            ids += (sel.matching_page_ids(selection) or [])[: sel.ID_CHUNK]
        return queryset.filter(pk__in=ids)


class CasesAPIViewSet(OpenDataMixin, PagesAPIViewSet):
    name = "cases"
    base_serializer_class = OpenDataPageSerializer
    filter_backends = [CaseFilter, OrderingFilter, LocaleFilter, PlatformSearchFilter]
    known_query_parameters = frozenset(
        ["limit", "offset", "fields", "order", "search", "locale", "format", "_", *API_FILTERS]
    )
    extra_filters = descriptions(CASE_FILTERS.only(API_FILTERS))
    listing_default_fields = PagesAPIViewSet.listing_default_fields + [
        "summary",
        "city",
        "policy_areas",
        "measure_types",
        "start_date",
        "end_date",
        "last_published_at",
        "permalink",
    ]

    model = CaseStudyPage

    def get_base_queryset(self):
        return public_now(super().get_base_queryset())

    def check_query_parameters(self, queryset):
        _check_known_parameters(self, self.request)

    def get_queryset(self):
        return (
            self.model.objects.filter(pk__in=self.get_base_queryset().values_list("pk", flat=True))
            .select_related("city", "locale")
            .prefetch_related("policy_areas", "tagged_measures__tag", "sources")
            .order_by("id")
        )


SESSION_KIND = Filter(
    "kind",
    title=_("Session kind"),
    expected=_("Use one of %(values)s."),
    choices=lambda: SessionKind.values,
)
# The sessions' filters: the case filters' area, country, city and dates, and their kind.
SESSION_FILTERS = FilterSet(
    [
        *CASE_FILTERS.only(("area",)),
        SESSION_KIND,
        *CASE_FILTERS.only(("country", "city", "start_from", "start_to")),
    ]
)


class SessionFilter(BaseFilterBackend):
    """By the case filters' rule (casestudies.filters); the conditions are the sessions' own."""

    def filter_queryset(self, request, queryset, view):
        values = SESSION_FILTERS.parse(request.GET)
        if values["area"]:
            queryset = queryset.filter(policy_area__slug__in=values["area"])
        if values["kind"]:
            queryset = queryset.filter(kind__in=values["kind"])
        if values["country"]:
            condition = Q()
            for code in values["country"]:
                condition |= Q(countries__contains=code)
            queryset = queryset.filter(condition)
        if values["city"]:
            queryset = queryset.filter(cities__slug__in=values["city"]).distinct()
        if values["start_from"]:
            queryset = queryset.filter(start__date__gte=values["start_from"][0])
        if values["start_to"]:
            queryset = queryset.filter(start__date__lte=values["start_to"][0])
        return queryset


class SessionsAPIViewSet(OpenDataMixin, PagesAPIViewSet):
    base_serializer_class = OpenDataPageSerializer
    name = "sessions"
    filter_backends = [SessionFilter, OrderingFilter, LocaleFilter, SafeSearchFilter]
    known_query_parameters = frozenset(
        ["limit", "offset", "fields", "order", "search", "search_operator", "locale", "format", "_"]
        + ["area", "kind", "country", "city", "start_from", "start_to"]
    )
    extra_filters = descriptions(SESSION_FILTERS)
    listing_default_fields = PagesAPIViewSet.listing_default_fields + ["kind", "policy_area", "start", "end"]

    model = SessionPage

    def get_base_queryset(self):
        return public_now(super().get_base_queryset())

    def check_query_parameters(self, queryset):
        _check_known_parameters(self, self.request)

    def get_queryset(self):
        return self.model.objects.filter(
            pk__in=self.get_base_queryset().values_list("pk", flat=True)
        ).order_by("start", "id")


class OpenDataPagesAPIViewSet(OpenDataMixin, PagesAPIViewSet):
    """Every live, public page (Wagtail's `pages` endpoint), with the fields above per type."""

    base_serializer_class = OpenDataPageSerializer

    filter_backends = [SafeFieldsFilter] + PagesAPIViewSet.filter_backends[1:-1] + [SafeSearchFilter]

    def get_base_queryset(self):
        return public_now(super().get_base_queryset())


# ----------------------------------------------------------------------------------------------
# Taxonomy
# ----------------------------------------------------------------------------------------------
class TaxonomyFilter(BaseFilterBackend):
    def filter_queryset(self, request, queryset, view):
        return view.filter_taxonomy(request, queryset)


class SnippetAPIViewSet(OpenDataMixin, BaseAPIViewSet):
    base_serializer_class = OpenDataBaseSerializer
    filter_backends = [TaxonomyFilter, OrderingFilter]
    known_query_parameters = frozenset(["limit", "offset", "fields", "order", "format", "_"])
    listing_default_fields = BaseAPIViewSet.listing_default_fields

    def check_query_parameters(self, queryset):
        _check_known_parameters(self, self.request)

    def filter_taxonomy(self, request, queryset):
        return queryset

    @classmethod
    def get_listing_default_fields(cls, model):
        return cls.get_available_fields(model)


class CitiesAPIViewSet(SnippetAPIViewSet):
    name = "cities"
    known_query_parameters = SnippetAPIViewSet.known_query_parameters | {
        "continent",
        "country",
        "search",
        "has_cases",
    }
    extra_filters = {
        **descriptions(CASE_FILTERS.only(("continent", "country"))),
        "search": "part of the English or Korean name",
        "has_cases": "true: only cities with a published case study",
    }

    model = City

    def get_queryset(self):
        """Cities that public content uses (casestudies.visibility): none that only drafts use."""
        return public_cities().order_by("id")

    def filter_taxonomy(self, request, queryset):
        values = CASE_FILTERS.parse(request.GET, ("continent", "country"))
        if values["continent"]:
            queryset = queryset.filter(continent__in=values["continent"])
        if values["country"]:
            queryset = queryset.filter(country__in=values["country"])
        text = (request.GET.get("search") or "").strip()[:100]
        if text:
            queryset = queryset.filter(Q(name__icontains=text) | Q(name_ko__icontains=text))
        has_cases = (request.GET.get("has_cases") or "").strip().lower()
        if has_cases:
            if has_cases not in ("true", "false", "1", "0"):
                raise BadRequestError("has_cases must be true or false")
            with_cases = public_cases().filter(city__isnull=False).values("city_id")
            queryset = (
                queryset.filter(pk__in=with_cases)
                if has_cases in ("true", "1")
                else queryset.exclude(pk__in=with_cases)
            )
        return queryset


class AreasAPIViewSet(SnippetAPIViewSet):
    name = "areas"
    known_query_parameters = SnippetAPIViewSet.known_query_parameters | {"locale"}
    extra_filters = {"locale": "en or ko"}

    model = PolicyArea

    def get_queryset(self):
        return self.model.objects.select_related("locale").order_by("sort_order", "id")

    def filter_taxonomy(self, request, queryset):
        locale = (request.GET.get("locale") or "").strip()
        if locale:
            if locale not in dict(settings.LANGUAGES):
                raise BadRequestError("locale must be one of: " + ", ".join(dict(settings.LANGUAGES)))
            queryset = queryset.filter(locale__language_code=locale)
        return queryset


class MeasuresAPIViewSet(SnippetAPIViewSet):
    name = "measures"

    model = MeasureType

    def get_queryset(self):
        """Measure types of public cases: none that only drafts use."""
        return public_measures().order_by("id")


# Order matters: Wagtail links an object to the first endpoint whose model it is an instance of.
ENDPOINTS = {
    "cases": CasesAPIViewSet,
    "sessions": SessionsAPIViewSet,
    "pages": OpenDataPagesAPIViewSet,
    "cities": CitiesAPIViewSet,
    "areas": AreasAPIViewSet,
    "measures": MeasuresAPIViewSet,
}


@ratelimit.limited("api")
def api_index(request):
    keep_api_404s(request)
    return JsonResponse(
        {
            "endpoints": {
                **{
                    name: request.build_absolute_uri(reverse(f"wagtailapi:{name}:listing"))
                    for name in ENDPOINTS
                },
                "inspirations": request.build_absolute_uri(reverse("opendata_inspirations")),
            },
            "openapi": request.build_absolute_uri(reverse("opendata_openapi")),
            "licence": "Case study texts: CC BY 4.0, CAC Knowledge Platform",
        }
    )
