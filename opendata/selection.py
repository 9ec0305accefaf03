"""Which case studies a search/browse view shows, as querysets that stream (exports, feeds, charts).

Everything here takes the search page's own parameters, parsed by `search.service.parse_request`
(q, area, continent, country, measure, year, type), plus `city` (a city slug, as the case index's
browse links use). The matching set is read from the search index's denormalised
`SearchDocument` rows (live, public, unexpired pages only, kept in sync on every publish), and the
pages are read back with `.live().public()` on top: nothing that is not public can come out.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, replace

from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from search import service
from search.service import BadSearchRequest
from search.types import SearchRequest

# Parameters a machine-facing view (export, feed) accepts; anything else is a 400.
SEARCH_PARAMETERS = ("q", "area", "continent", "country", "measure", "year", "type", "sort")
# Accepted and ignored: a download link built from a search page's URL carries them along.
PAGING_PARAMETERS = ("page", "page_size", "format")
EXTRA_PARAMETERS = ("city",)


@dataclass(frozen=True)
class Selection:
    """A parsed search request plus the browse-only `city` filter."""

    request: SearchRequest
    city: object | None = None  # casestudies.models.City

    @property
    def language(self) -> str:
        return self.request.language

    def is_filtered(self) -> bool:
        r = self.request
        return bool(
            r.query or r.area or r.continent or r.country or r.measure or r.year or r.doc_type or self.city
        )


def parse_selection(
    querydict, language: str, *, strict: bool = True, allowed: tuple[str, ...] = ()
) -> Selection:
    """A `Selection` from GET parameters; `BadSearchRequest` (→ 400) on a malformed one.

    `strict`: unknown parameter names are an error too (exports, feeds: a typo must not silently
    export everything).
    """
    from casestudies.models import City

    if strict:
        known = set(SEARCH_PARAMETERS + PAGING_PARAMETERS + EXTRA_PARAMETERS + tuple(allowed))
        unknown = sorted(name for name in querydict if name not in known)
        if unknown:
            raise BadSearchRequest(
                _("Unknown parameter “%(name)s”: use %(allowed)s.")
                % {
                    "name": service.clean_query(unknown[0])[:40],
                    "allowed": ", ".join(SEARCH_PARAMETERS + EXTRA_PARAMETERS),
                }
            )
    # Exports and charts cover every match: paging of the search page does not apply, but a
    # malformed value is still a malformed value.
    request = service.parse_request(querydict, language)
    city = None
    slug = (querydict.get("city") or "").strip()
    if slug:
        city = City.objects.filter(slug=slug[:100]).first()
        if city is None:
            raise BadSearchRequest(_("Unknown city “%(city)s”.") % {"city": service.clean_query(slug)[:60]})
    return Selection(request=request, city=city)


def _fts_document_ids(request: SearchRequest) -> RawSQL | None:
    """SQL of the ids of the documents matching the words of `q` (None: no searchable word).

    Uses the database backend's own matching SQL, so the words match exactly as on the search
    page (same analyser, same index).
    """
    from search.analysis import analyze_query

    if not request.query.strip():
        return None
    tokens = analyze_query(request.query, request.language)
    if not tokens:
        return None
    backend = service.get_database_backend()
    # The backend's own matching SQL (first two items: SQL and params), so that words match
    # exactly as on the search page. (A public method for this in search would be better.)
    # Facet filters are applied by `documents()`: the matching set is asked for without them.
    plain = replace(request, area=(), measure=(), continent=(), country=(), year=())
    kwargs = {"flags": False} if "flags" in inspect.signature(backend._base).parameters else {}
    base = backend._base(plain, tokens, **kwargs)
    base_sql, params = base[0], base[1]
    return RawSQL(f"SELECT fts_m.id FROM ({base_sql}) fts_m", params)  # noqa: S608, S611 - constant SQL, %s params


def documents(selection: Selection) -> QuerySet:
    """The matching `SearchDocument` rows of case studies (a lazy queryset)."""
    from search.models import SearchDocument, SearchDocumentArea, SearchDocumentMeasure

    request = selection.request
    queryset = SearchDocument.objects.filter(language=request.language, doc_type="case").filter(
        Q(expire_at__isnull=True) | Q(expire_at__gt=timezone.now())
    )
    if request.doc_type and "case" not in request.doc_type:
        return queryset.none()
    if request.area:
        queryset = queryset.filter(
            id__in=SearchDocumentArea.objects.filter(slug__in=request.area).values("document_id")
        )
    if request.measure:
        queryset = queryset.filter(
            id__in=SearchDocumentMeasure.objects.filter(slug__in=request.measure).values("document_id")
        )
    if request.continent:
        queryset = queryset.filter(continent__in=request.continent)
    if request.country:
        queryset = queryset.filter(country__in=request.country)
    if request.year:
        queryset = queryset.filter(year__in=request.year)
    if selection.city is not None:
        queryset = queryset.filter(city_id=selection.city.pk)
    matching = _fts_document_ids(request)
    if matching is not None:
        queryset = queryset.filter(id__in=matching)
    return queryset


def cases(selection: Selection, prefetch: bool = True) -> QuerySet:
    """The live, public case pages of the selection, newest first, ready to stream."""
    from django.db.models import Prefetch

    from casestudies.models import CaseStudyPage, TaggedCaseStudy

    queryset = (
        CaseStudyPage.objects.live()
        .public()
        .filter(pk__in=documents(selection).values("page_id"))
        .select_related("city", "locale")
        .order_by("-start_date", "-pk")
    )
    if prefetch:
        queryset = queryset.prefetch_related(
            "policy_areas",
            Prefetch("tagged_measures", queryset=TaggedCaseStudy.objects.select_related("tag")),
            "sources",
        )
    return queryset
