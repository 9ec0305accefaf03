"""Which case studies a search/browse view shows, as querysets that stream (exports, feeds, charts).

Everything here takes the search page's own parameters (`q`, `sort`, `page`, `page_size`, parsed
by `search.service.parse_request`) and the case filters of `SELECTION_FILTERS`
(casestudies.filters: the search page's, plus `city`), with their rule: an unknown or malformed
value is a `BadFilter` (400). Filters apply to the case pages themselves (public now, as
`casestudies.visibility` says, and not aliases: the rules of the search index), each by its
`condition` in casestudies.filters, and the words of `q` are matched by the search service through
its public contract, so that they match exactly as on the search page whichever backend answers:
nothing that is not public can come out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from casestudies.filters import CASE_FILTERS, SELECTION_FILTERS
from casestudies.visibility import public_now
from search import service
from search.service import BadSearchRequest
from search.types import FACETS, MAX_PAGE_SIZE, SearchRequest

# Parameters a machine-facing view (export, feed) accepts; anything else is a 400.
SEARCH_PARAMETERS = ("q", "sort", *SELECTION_FILTERS)
# Accepted and ignored: a download link built from a search page's URL carries them along.
PAGING_PARAMETERS = ("page", "page_size", "format")


@dataclass(frozen=True)
class Selection:
    """A parsed search request plus the case filters' values (name -> values: the request's
    facets and the browse-only `city`)."""

    request: SearchRequest
    values: Mapping[str, tuple] = field(default_factory=dict)

    @property
    def language(self) -> str:
        return self.request.language

    def case_filters(self) -> dict[str, tuple]:
        """The case filters applied (name -> values), those of the request's facets included."""
        values = {name: getattr(self.request, name) for name in FACETS if name in CASE_FILTERS}
        values.update({name: chosen for name, chosen in self.values.items() if name in CASE_FILTERS})
        return {name: chosen for name, chosen in values.items() if chosen}

    def filter_count(self) -> int:
        """How many filter values (and words) are applied: the "Filters (n)" toggle on phones."""
        return sum(len(chosen) for chosen in self.case_filters().values()) + bool(self.request.query)

    def is_filtered(self) -> bool:
        return bool(self.request.query or self.request.doc_type or self.case_filters())


def parse_selection(
    querydict, language: str, *, strict: bool = True, allowed: tuple[str, ...] = ()
) -> Selection:
    """A `Selection` from GET parameters; `BadSearchRequest` (→ 400) on a malformed one
    (`BadFilter` for a filter value).

    `strict`: unknown parameter names are an error too (exports, feeds: a typo must not silently
    export everything).
    """
    if strict:
        known = set(SEARCH_PARAMETERS + PAGING_PARAMETERS + tuple(allowed))
        unknown = sorted(name for name in querydict if name not in known)
        if unknown:
            raise BadSearchRequest(
                _("Unknown parameter “%(name)s”: use %(allowed)s.")
                % {"name": service.clean_query(unknown[0])[:40], "allowed": ", ".join(SEARCH_PARAMETERS)}
            )
    # Exports and charts cover every match: paging of the search page does not apply, but a
    # malformed value is still a malformed value.
    request = service.parse_request(querydict, language, SELECTION_FILTERS)
    others = [name for name in SELECTION_FILTERS if name in CASE_FILTERS and name not in FACETS]
    return Selection(request=request, values=CASE_FILTERS.parse(querydict, others))


# Words (`q`) are matched by the search service itself, whichever backend answers, page by page
# of its public contract; at most this many matches (100 pages of 100) are considered.
MAX_QUERY_MATCHES = 10_000
ID_CHUNK = 5_000  # ids per `pk__in` (well under SQLite's 32,766 variables)


def matching_page_ids(selection: Selection) -> list[int] | None:
    """Ids of the case pages matching the words of `q`, newest start first, as the search service
    finds them (same analysis, same backend as the search page); None when there are no words.

    The other filters are sent along, so that only their intersection travels.
    """
    request = selection.request
    if not request.query.strip():
        return None
    if request.doc_type and "case" not in request.doc_type:
        return []
    cache = selection.__dict__.setdefault("_matching_ids", {})
    if "ids" in cache:
        return cache["ids"]
    base = replace(request, doc_type=("case",), sort="newest", page_size=MAX_PAGE_SIZE, page=1)
    ids: list[int] = []
    for number in range(1, MAX_QUERY_MATCHES // MAX_PAGE_SIZE + 1):
        response = service.search(replace(base, page=number))
        ids.extend(hit.page_id for hit in response.hits if hit.doc_type == "case")
        if number >= response.num_pages or not response.hits:
            break
    cache["ids"] = ids
    return ids


def base_cases(selection: Selection) -> QuerySet:
    """Live, public, unexpired case pages (not aliases) of the language, filtered by everything
    but the words: the same rules as the search index, read from the pages themselves."""
    from casestudies.models import CaseStudyPage

    request = selection.request
    queryset = public_now(
        CaseStudyPage.objects.filter(locale__language_code=request.language, alias_of__isnull=True)
    )
    if request.doc_type and "case" not in request.doc_type:
        return queryset.none()
    return CASE_FILTERS.filter(queryset, selection.case_filters())


def case_querysets(selection: Selection) -> list[QuerySet]:
    """The selection as one queryset, or (with words) one per chunk of matching ids."""
    queryset = base_cases(selection)
    ids = matching_page_ids(selection)
    if ids is None:
        return [queryset]
    if not ids:
        return [queryset.none()]
    return [queryset.filter(pk__in=ids[i : i + ID_CHUNK]) for i in range(0, len(ids), ID_CHUNK)]


def _ordered(queryset: QuerySet, prefetch: bool) -> QuerySet:
    from django.db.models import Prefetch

    from casestudies.models import TaggedCaseStudy

    queryset = queryset.select_related("city", "locale").order_by("-start_date", "-pk")
    if prefetch:
        queryset = queryset.prefetch_related(
            "policy_areas",
            Prefetch("tagged_measures", queryset=TaggedCaseStudy.objects.select_related("tag")),
            "sources",
        )
    return queryset


def iter_cases(selection: Selection, chunk_size: int = 500, prefetch: bool = False):
    """Every case of the selection, newest start first, read `chunk_size` at a time."""
    for queryset in case_querysets(selection):
        yield from _ordered(queryset, prefetch).iterator(chunk_size=chunk_size)


def cases(selection: Selection, prefetch: bool = True) -> QuerySet:
    """The selection as one queryset (with words: at most the first `ID_CHUNK` matches)."""
    return _ordered(case_querysets(selection)[0], prefetch)


def count(selection: Selection) -> int:
    return sum(queryset.count() for queryset in case_querysets(selection))
