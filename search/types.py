"""The search service's contract: what a request asks and what every backend answers.

Both backends (database and Elasticsearch) take a `SearchRequest` and return a `SearchResponse`;
the views, the JSON form, the exports and the contract tests speak only these types.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal, Protocol

FACETS: tuple[str, ...] = ("area", "continent", "country", "measure", "year", "lang", "evidence", "size")
# evidence: strongest evidence first (casestudies.evidence), then newest.
SORTS: tuple[str, ...] = ("relevance", "newest", "evidence")
DOC_TYPES: tuple[str, ...] = ("case", "session")
PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_QUERY_LENGTH = 500  # characters kept from q; the rest is ignored, never an error


class BadSearchRequest(ValueError):
    """A malformed parameter: the view answers 400 with `message` (`search.filters.BadFilter`
    for a filter value, which also names the parameter)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class SearchBackendUnavailable(RuntimeError):
    """A backend could not answer (down, slow, misconfigured, index missing).

    Raised by a backend's `search`/`suggest`; the search service then answers from the database
    backend, whose index is always kept in sync, and logs a warning.
    """


@dataclass(frozen=True)
class SearchRequest:
    """A parsed, validated search: every value is already known to be well-formed."""

    language: str  # "en" | "ko"
    # Free text, already cleaned (search.service.clean_query). A query with no searchable word
    # (only stop words or punctuation) behaves like an empty one: browse mode, everything.
    query: str = ""
    area: tuple[str, ...] = ()  # policy-area slugs (OR within, AND across facets)
    continent: tuple[str, ...] = ()
    country: tuple[str, ...] = ()  # ISO 3166-1 alpha-2, upper case
    measure: tuple[str, ...] = ()  # measure-type slugs
    year: tuple[int, ...] = ()
    # Languages the results are written in ("en", "ko"); () = every language. A case with a
    # translation in the request's language is listed once, in that language.
    lang: tuple[str, ...] = ()
    evidence: tuple[int, ...] = ()  # evidence levels 1-5 (the case's strongest outcome's)
    size: tuple[str, ...] = ()  # city population bands (casestudies.evidence.SizeBand)
    # "More like this": the pages nearest in meaning to this page id (the query is then ignored).
    like: int | None = None
    doc_type: tuple[str, ...] = ()  # () means every type
    sort: Literal["relevance", "newest", "evidence"] = "relevance"
    page: int = 1
    page_size: int = PAGE_SIZE

    def filters(self) -> dict[str, tuple]:
        return {name: getattr(self, name) for name in FACETS}

    def without(self, facet: str) -> SearchRequest:
        """The same request with one facet's own selection removed (disjunctive facet counts)."""
        from dataclasses import replace

        return replace(self, **{facet: ()})


@dataclass
class SearchHit:
    page_id: int
    doc_type: str
    title: str
    url: str
    locale: str
    city: str  # display name in the request's language
    country: str  # ISO alpha-2
    country_name: str
    continent: str
    policy_areas: list[str]  # slugs
    measure_types: list[str]  # slugs
    start_date: date | None
    summary: str
    highlight: str  # summary (or a fragment) with matches wrapped in <mark>, HTML-escaped otherwise
    score: float | None
    # The language the result is written in (= locale), and whether that is the request's own
    # language (False: found across languages, shown in its original language with a label).
    language: str = ""
    translated: bool = True
    evidence: int | None = None  # the case's evidence level, 1-5
    size: str = ""  # its city's population band


@dataclass
class SearchResponse:
    count: int
    page: int
    num_pages: int
    hits: list[SearchHit]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)  # facet -> value -> count
    backend: str = "database"
    # Spelling (search.service.search_with_spelling): a corrected query worth offering ("Did you
    # mean …?"); when the results are for it, `corrected_from` is the query as typed.
    did_you_mean: str | None = None
    corrected_from: str | None = None
    # How many of the results match the query's words (the rest were found by meaning alone);
    # None when the backend does not tell.
    word_matches: int | None = None


@dataclass
class Suggestion:
    kind: Literal["case", "session", "city", "measure"]
    label: str
    url: str
    value: str  # what to put in the box, or the facet value for a city/measure


class SearchBackend(Protocol):
    name: str

    def search(self, request: SearchRequest) -> SearchResponse: ...

    def suggest(self, language: str, prefix: str, limit: int = 8) -> list[Suggestion]: ...

    def index_pages(self, page_ids: list[int]) -> None:
        """(Re)index these pages if live and public, remove them from the index otherwise."""
        ...

    def remove_pages(self, page_ids: list[int]) -> None: ...

    def rebuild(self, progress=None) -> int:
        """Rebuild the whole index from the database; returns the number of documents indexed.

        `progress(done, total)` (optional) is called as batches complete. A backend may also
        accept `batch_size: int` (pages per batch); `rebuild_search_index --batch-size` passes it
        when the signature has it. Documents come from `search.documents.iter_document_batches`.
        """
        ...
