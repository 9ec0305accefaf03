"""The read-only API: Wagtail API v2 endpoints with filters, search, capped paging and a rate limit.

Endpoints (`/api/v2/…`): `pages` (every live, public page; `?type=casestudies.CaseStudyPage`),
`cases`, `sessions`, `cities`, `areas`, `measures`, and `openapi.json` describing them.

What is never reachable: drafts (only live pages, and their published content: the page row,
never a revision), private pages (view restrictions exclude them and their subtrees), aliases of
nothing public, revisions (no endpoint exposes them).
"""

from __future__ import annotations

import datetime
import re

from rest_framework.exceptions import Throttled
from rest_framework.filters import BaseFilterBackend
from rest_framework.renderers import JSONRenderer

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.db.models import Q
from django.http import JsonResponse
from django.urls import reverse
from django.utils.dateparse import parse_date, parse_datetime

from wagtail.api.v2.filters import FieldsFilter, LocaleFilter, OrderingFilter, SearchFilter
from wagtail.api.v2.pagination import WagtailPagination
from wagtail.api.v2.utils import BadRequestError
from wagtail.api.v2.views import BaseAPIViewSet, PagesAPIViewSet

from archive.models import SessionPage
from casestudies.models import CaseStudyPage, City, MeasureType, PolicyArea
from casestudies.visibility import public_cases, public_cities, public_measures, public_now
from opendata.api.fields import model_api_fields, model_api_meta_fields
from opendata.api.serializers import OpenDataBaseSerializer, OpenDataPageSerializer
from ops import ratelimit

MAX_LIMIT = 100
MAX_OFFSET = 1_000_000
LIST_SEPARATOR = ","


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
        response = super().handle_exception(exc)
        if isinstance(exc, Throttled) and isinstance(response.data, dict):
            response.data = {"message": str(exc.detail)}
        return response


def _values(request, name: str) -> list[str]:
    values = []
    for raw in request.GET.getlist(name):
        for value in str(raw).split(LIST_SEPARATOR):
            value = value.strip()
            if value and value not in values:
                values.append(value)
    if len(values) > 50:
        raise BadRequestError(f"too many values for {name}: at most 50")
    return values


def _date(request, name: str) -> datetime.date | None:
    raw = (request.GET.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = parse_date(raw)
    except ValueError:
        value = None
    if value is None:
        raise BadRequestError(f"{name} must be a date as YYYY-MM-DD, not '{raw[:40]}'")
    return value


def _datetime(request, name: str) -> datetime.datetime | None:
    raw = (request.GET.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = parse_datetime(raw)
        if value is None:
            day = parse_date(raw)
            value = datetime.datetime.combine(day, datetime.time()) if day else None
    except ValueError:
        value = None
    if value is None:
        raise BadRequestError(f"{name} must be an ISO 8601 date or date-time, not '{raw[:40]}'")
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    return value


def _known(values: list[str], known: set[str], name: str) -> list[str]:
    unknown = [value for value in values if value not in known]
    if unknown:
        raise BadRequestError(f"unknown {name}: {unknown[0][:60]}")
    return values


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
    def filter_queryset(self, request, queryset, view):
        from django_countries import countries

        from casestudies.evidence import EVIDENCE_VALUES, SIZE_VALUES, size_q
        from casestudies.models import Continent, PolicyArea

        areas = _values(request, "area")
        if areas:
            _known(
                areas, set(PolicyArea.objects.filter(slug__in=areas).values_list("slug", flat=True)), "area"
            )
            queryset = queryset.filter(policy_areas__slug__in=areas)
        continents = _known(_values(request, "continent"), set(Continent.values), "continent")
        if continents:
            queryset = queryset.filter(city__continent__in=continents)
        country_values = [value.upper() for value in _values(request, "country")]
        if country_values:
            _known(country_values, {code for code, _name in countries}, "country")
            queryset = queryset.filter(city__country__in=country_values)
        measures = _values(request, "measure")
        if measures:
            _known(
                measures,
                set(public_measures().filter(slug__in=measures).values_list("slug", flat=True)),
                "measure",
            )
            queryset = queryset.filter(tagged_measures__tag__slug__in=measures)
        cities = _values(request, "city")
        if cities:
            _known(
                cities, set(public_cities().filter(slug__in=cities).values_list("slug", flat=True)), "city"
            )
            queryset = queryset.filter(city__slug__in=cities)
        start_from, start_to = _date(request, "start_from"), _date(request, "start_to")
        if start_from and start_to and start_to < start_from:
            raise BadRequestError("start_to is before start_from")
        if start_from:
            queryset = queryset.filter(start_date__gte=start_from)
        if start_to:
            queryset = queryset.filter(start_date__lte=start_to)
        updated_since = _datetime(request, "updated_since")
        if updated_since:
            queryset = queryset.filter(last_published_at__gte=updated_since)
        levels = _known(_values(request, "evidence"), set(EVIDENCE_VALUES), "evidence")
        if levels:
            queryset = queryset.filter(evidence_level__in=[int(level) for level in levels])
        sizes = _known(_values(request, "size"), set(SIZE_VALUES), "size")
        if sizes:
            queryset = queryset.filter(size_q(sizes))
        return queryset.distinct() if (areas or measures) else queryset


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
        ["limit", "offset", "fields", "order", "search", "locale", "format", "_"]
        + ["area", "continent", "country", "measure", "city", "start_from", "start_to", "updated_since"]
        + ["evidence", "size"]
    )
    extra_filters = {
        "area": "policy-area slug(s), comma-separated or repeated (any of them)",
        "continent": "continent slug(s): africa, asia, europe, north-america, south-america, oceania",
        "country": "ISO 3166-1 alpha-2 code(s)",
        "measure": "measure-type slug(s)",
        "city": "city slug(s)",
        "start_from": "started on or after this date (YYYY-MM-DD)",
        "start_to": "started on or before this date (YYYY-MM-DD)",
        "updated_since": "last published at or after this date or date-time (ISO 8601)",
        "evidence": "evidence level(s) 1-5 (the case's strongest outcome's)",
        "size": "city population band(s): lt100k, 100k-1m, 1m-5m, gt5m",
    }
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


class SessionFilter(BaseFilterBackend):
    def filter_queryset(self, request, queryset, view):
        from django_countries import countries

        from casestudies.models import PolicyArea

        areas = _values(request, "area")
        if areas:
            _known(
                areas, set(PolicyArea.objects.filter(slug__in=areas).values_list("slug", flat=True)), "area"
            )
            queryset = queryset.filter(policy_area__slug__in=areas)
        kinds = _values(request, "kind")
        if kinds:
            from archive.models import SessionKind

            _known(kinds, set(SessionKind.values), "kind")
            queryset = queryset.filter(kind__in=kinds)
        country_values = [value.upper() for value in _values(request, "country")]
        if country_values:
            _known(country_values, {code for code, _name in countries}, "country")
            condition = Q()
            for code in country_values:
                condition |= Q(countries__contains=code)
            queryset = queryset.filter(condition)
        cities = _values(request, "city")
        if cities:
            _known(
                cities, set(public_cities().filter(slug__in=cities).values_list("slug", flat=True)), "city"
            )
            queryset = queryset.filter(cities__slug__in=cities).distinct()
        start_from, start_to = _date(request, "start_from"), _date(request, "start_to")
        if start_from:
            queryset = queryset.filter(start__date__gte=start_from)
        if start_to:
            queryset = queryset.filter(start__date__lte=start_to)
        return queryset


class SessionsAPIViewSet(OpenDataMixin, PagesAPIViewSet):
    base_serializer_class = OpenDataPageSerializer
    name = "sessions"
    filter_backends = [SessionFilter, OrderingFilter, LocaleFilter, SafeSearchFilter]
    known_query_parameters = frozenset(
        ["limit", "offset", "fields", "order", "search", "search_operator", "locale", "format", "_"]
        + ["area", "kind", "country", "city", "start_from", "start_to"]
    )
    extra_filters = {
        "area": "policy-area slug(s)",
        "kind": "session kind(s), e.g. discussion",
        "country": "participating country code(s)",
        "city": "participating city slug(s)",
        "start_from": "starts on or after this date (YYYY-MM-DD)",
        "start_to": "starts on or before this date (YYYY-MM-DD)",
    }
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
        "continent": "continent slug(s)",
        "country": "ISO 3166-1 alpha-2 code(s)",
        "search": "part of the English or Korean name",
        "has_cases": "true: only cities with a published case study",
    }

    model = City

    def get_queryset(self):
        """Cities that public content uses (casestudies.visibility): none that only drafts use."""
        return public_cities().order_by("id")

    def filter_taxonomy(self, request, queryset):
        from casestudies.models import Continent

        continents = _known(_values(request, "continent"), set(Continent.values), "continent")
        if continents:
            queryset = queryset.filter(continent__in=continents)
        country_values = [value.upper() for value in _values(request, "country")]
        if country_values:
            queryset = queryset.filter(country__in=country_values)
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
