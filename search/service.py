"""The search service: the backend in use, request parsing, search, suggestions and index sync.

Parameters (stable, documented in docs and the README):

- `q`: the query, any text. Control characters are dropped, whitespace collapsed, and only the
  first `MAX_QUERY_LENGTH` characters are kept. A query with no searchable word (only stop words
  or punctuation) lists everything, like an empty one.
- the filters (`area`, `continent`, `country`, `measure`, `year`, `lang`, `evidence`, `size`,
  `type`): read by `search.filters`, one rule for every listing: repeatable or comma lists, an
  unknown or malformed value is a 400 naming the parameter and the value (`BadFilter`).
- `sort`: `relevance` (default), `newest` or `evidence`; anything else is a 400 naming the allowed values.
- `page`: a whole number from 1 to `MAX_PAGE` (else 400); `page_size`: 1 to `MAX_PAGE_SIZE`.

The database index (`search.models`) is always kept in sync, whichever backend answers queries:
it is what the service falls back to when Elasticsearch is unreachable.
"""

from __future__ import annotations

import inspect
import logging
import re
import unicodedata
from collections.abc import Iterable

from django.conf import settings
from django.core.signals import setting_changed
from django.db import transaction
from django.utils.translation import gettext as _

from search import filters
from search.types import (
    FACETS,
    MAX_PAGE_SIZE,
    MAX_QUERY_LENGTH,
    PAGE_SIZE,
    SORTS,
    BadSearchRequest,
    SearchBackend,
    SearchBackendUnavailable,
    SearchRequest,
    SearchResponse,
    Suggestion,
)

logger = logging.getLogger(__name__)

MAX_PAGE = 10_000
MAX_PAGE_ID = 2_147_483_647
SUGGEST_LIMIT = 8
LANGUAGES = filters.LANGUAGES
# The filters the search page reads (search.filters: the case facets and its own `type`), in the
# order their values are checked.
SEARCH_FILTERS = (*FACETS, "type")


# --------------------------------------------------------------------------------------------
# Backends
# --------------------------------------------------------------------------------------------
_backend: SearchBackend | None = None
_database_backend: SearchBackend | None = None


def get_database_backend() -> SearchBackend:
    global _database_backend
    if _database_backend is None:
        from search.backends.database import DatabaseSearchBackend

        _database_backend = DatabaseSearchBackend()
    return _database_backend


def _make_backend() -> SearchBackend:
    name = getattr(settings, "CAC_SEARCH_BACKEND", "database") or "database"
    if name == "database":
        return get_database_backend()
    if name == "elasticsearch":
        # Created without contacting the server (no start-up delay when it is down): a failing
        # query raises SearchBackendUnavailable and is answered from the database (see search()).
        try:
            from search.backends.elasticsearch import ElasticsearchSearchBackend

            return ElasticsearchSearchBackend()
        except Exception as exc:
            logger.warning("search: Elasticsearch unavailable (%s); using the database backend", exc)
            return get_database_backend()
    logger.warning("search: unknown CAC_SEARCH_BACKEND %r; using the database backend", name)
    return get_database_backend()


def get_backend() -> SearchBackend:
    """The backend that answers queries (created once per process)."""
    global _backend
    if _backend is None:
        _backend = _make_backend()
    return _backend


def reset_backend() -> None:
    global _backend, _database_backend
    _backend = None
    _database_backend = None


def _on_setting_changed(setting, **kwargs):
    if setting in ("CAC_SEARCH_BACKEND", "ELASTICSEARCH_URL", "DATABASES"):
        reset_backend()


setting_changed.connect(_on_setting_changed, dispatch_uid="search.service.setting_changed")


# --------------------------------------------------------------------------------------------
# Request parsing
# --------------------------------------------------------------------------------------------
def clean_query(text: str | None) -> str:
    """Drop control and unprintable characters, collapse whitespace, keep MAX_QUERY_LENGTH chars."""
    if not text:
        return ""
    text = str(text)[: MAX_QUERY_LENGTH * 4]
    kept = []
    for ch in text:
        if ch.isspace():
            kept.append(" ")
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            continue
        else:
            kept.append(ch)
    return re.sub(r" +", " ", "".join(kept)).strip()[:MAX_QUERY_LENGTH].strip()


def _positive_int(querydict, name: str, default: int, maximum: int) -> int:
    raw = querydict.get(name)
    if raw is None or str(raw).strip() == "":
        return default
    raw = str(raw).strip()[:20]
    if not re.fullmatch(r"[0-9]{1,9}", raw) or int(raw) < 1:
        raise BadSearchRequest(
            _("“%(name)s” must be a whole number from 1 to %(max)d.") % {"name": name, "max": maximum}
        )
    value = int(raw)
    if value > maximum:
        raise BadSearchRequest(_("“%(name)s” must be at most %(max)d.") % {"name": name, "max": maximum})
    return value


def parse_request(querydict, language: str, names: Iterable[str] = SEARCH_FILTERS) -> SearchRequest:
    """A validated `SearchRequest` from GET parameters, or `BadSearchRequest` (`BadFilter` for a
    filter value). `names`: the filters read (search.filters), the search page's by default."""
    language = (language or "en").split("-")[0].lower()
    if language not in LANGUAGES:
        language = "en"

    sort = (querydict.get("sort") or "relevance").strip()
    if sort not in SORTS:
        raise BadSearchRequest(
            _("Unknown sort “%(sort)s”: use one of %(allowed)s.")
            % {"sort": clean_query(sort)[:40], "allowed": ", ".join(SORTS)}
        )
    page = _positive_int(querydict, "page", 1, MAX_PAGE)
    like = _positive_int(querydict, "like", 0, MAX_PAGE_ID) or None
    page_size = _positive_int(querydict, "page_size", PAGE_SIZE, MAX_PAGE_SIZE)
    values = filters.registered().parse(querydict, names)

    return SearchRequest(
        language=language,
        query=clean_query(querydict.get("q")),
        **{facet: values.get(facet, ()) for facet in FACETS},
        like=like,
        doc_type=values.get("type", ()),
        sort=sort,  # type: ignore[arg-type]
        page=page,
        page_size=page_size,
    )


# --------------------------------------------------------------------------------------------
# Queries
# --------------------------------------------------------------------------------------------
def search(request: SearchRequest) -> SearchResponse:
    """Answer from the active backend, or from the database when it is unavailable."""
    # "More like this" reads the neighbours stored beside the vectors, in the database.
    backend = get_database_backend() if request.like else get_backend()
    try:
        return backend.search(request)
    except SearchBackendUnavailable as exc:
        database = get_database_backend()
        if backend is database:
            raise
        logger.warning("search: %s unavailable (%s); answering from the database", backend.name, exc)
        return database.search(request)


FEW_RESULTS = 3  # at most this many results: also offer a correction of rare words


def search_with_spelling(request: SearchRequest, *, retry: bool = True) -> SearchResponse:
    """`search()`, then spelling help from the index's own words (`search.spelling`).

    Nothing found for the words as typed: with `retry`, search again with the corrected query
    and answer with those results (`corrected_from` = the query as typed, `did_you_mean` = the
    query searched); without it, or if the corrected query finds nothing either, only offer it
    (`did_you_mean`). Results found: offer a correction of unknown words (and, with few
    results, of words found in very few documents) without searching again."""
    from dataclasses import replace

    from search import spelling

    response = search(request)
    if not request.query or request.like:
        return response
    corrected = spelling.correct(request.query, request.language)
    if response.count and response.word_matches == 0 and corrected and retry:
        # Found by meaning alone, no word matched: search the corrected words, and keep that only
        # if they match words. A word unknown to the index may be a real word of the other
        # language (요양원에 군대 투입 -> 근대, "modern"): its "correction" matches nothing.
        retried = search(replace(request, query=corrected))
        if retried.word_matches:
            retried.did_you_mean, retried.corrected_from = corrected, request.query
            return retried
    if response.count:
        response.did_you_mean = corrected or spelling.correct(
            request.query, request.language, rare=response.count <= FEW_RESULTS
        )
        return response
    if corrected and retry:
        retried = search(replace(request, query=corrected))
        if retried.count:
            retried.did_you_mean, retried.corrected_from = corrected, request.query
            return retried
    response.did_you_mean = corrected if corrected and (not retry) else None
    return response


def suggest(language: str, prefix: str, limit: int = SUGGEST_LIMIT) -> list[Suggestion]:
    prefix = clean_query(prefix)[:100]
    if not prefix:
        return []
    backend = get_backend()
    try:
        return backend.suggest(language, prefix, limit)
    except SearchBackendUnavailable as exc:
        database = get_database_backend()
        if backend is database:
            raise
        logger.warning("search: %s unavailable (%s); suggesting from the database", backend.name, exc)
        return database.suggest(language, prefix, limit)


# --------------------------------------------------------------------------------------------
# Index sync (called by search.signals and the rebuild command)
# --------------------------------------------------------------------------------------------
def _other_backend() -> SearchBackend | None:
    backend = get_backend()
    return None if backend is get_database_backend() else backend


def index_pages(page_ids: Iterable[int]) -> None:
    """(Re)index these pages everywhere: live, public ones are written, the others removed.

    Their translations are re-indexed with them: whether a page is also listed in another
    language depends on whether its translation there is live. The database index is written at
    once, in the current transaction; another backend (Elasticsearch) is told after the
    transaction commits, and the background worker computes the meaning vectors.
    """
    from search.documents import translation_group_ids
    from search.tasks import schedule_embedding

    ids = translation_group_ids(page_ids)
    if not ids:
        return
    get_database_backend().index_pages(ids)
    other = _other_backend()
    if other is not None:
        transaction.on_commit(lambda: _safely(other.index_pages, ids))
    schedule_embedding(ids)


def remove_pages(page_ids: Iterable[int]) -> None:
    """Take these pages out of the index; their translations may now be listed in their place."""
    from search.documents import translation_group_ids

    ids = list(dict.fromkeys(int(pk) for pk in page_ids))
    if not ids:
        return
    get_database_backend().remove_pages(ids)
    other = _other_backend()
    if other is not None:
        transaction.on_commit(lambda: _safely(other.remove_pages, ids))
    # Their translations may now be listed in their place. Only the translations are written:
    # the pages leaving may still be live (Wagtail unpublishes in pre_delete) and must not come
    # back into the index.
    siblings = [pk for pk in translation_group_ids(ids) if pk not in set(ids)]
    if siblings:
        get_database_backend().index_pages(siblings, leaving=ids)
        if other is not None:
            transaction.on_commit(lambda: _safely(other.index_pages, siblings))
        from search.tasks import schedule_embedding

        schedule_embedding(siblings)


def pages_deleted(page_ids: Iterable[int], translation_keys: Iterable[object] = ()) -> None:
    """Pages deleted from the database: their rows went with them (CASCADE); tell other backends,
    and re-index the translations left behind (they may now be listed in their place)."""
    from wagtail.models import Page

    ids = list(dict.fromkeys(int(pk) for pk in page_ids))
    other = _other_backend()
    if ids and other is not None:
        transaction.on_commit(lambda: _safely(other.remove_pages, ids))
    keys = [key for key in translation_keys if key]
    if not keys:
        return

    def reindex_translations() -> None:
        # After the deletion has committed: during it, the collector would not know new rows.
        siblings = (
            Page.objects.filter(translation_key__in=keys).exclude(pk__in=ids).values_list("pk", flat=True)
        )
        _safely(index_pages, list(siblings))

    transaction.on_commit(reindex_translations)


def _safely(method, ids):
    try:
        method(ids)
    except Exception:
        logger.exception("search: %s failed for pages %s", getattr(method, "__name__", method), ids[:20])


def rebuild(progress=None, batch_size: int = 500, backends: str = "all") -> dict[str, int]:
    """Rebuild the database index and, unless `backends="database"`, the active other backend."""
    counts = {}
    if backends in ("all", "database"):
        counts["database"] = get_database_backend().rebuild(progress=progress, batch_size=batch_size)
    other = _other_backend()
    if other is not None and backends in ("all", other.name):
        if "batch_size" in inspect.signature(other.rebuild).parameters:
            counts[other.name] = other.rebuild(progress=progress, batch_size=batch_size)
        else:
            counts[other.name] = other.rebuild(progress=progress)
    return counts
