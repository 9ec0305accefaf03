"""The Elasticsearch search backend: one index per language, facets from aggregations.

Used by ``search.service`` when ``ELASTICSEARCH_URL`` is set (``CAC_SEARCH_BACKEND ==
"elasticsearch"``); it answers the same contract as the database backend
(``search.types``).  Every failure to talk to Elasticsearch - connection refused, a
timeout (2 s by default), a 5xx, a missing index - is raised as
``SearchBackendUnavailable`` so that the service can answer from the database instead.

Layout
------
- Indices: one per language, reached through an alias ``{CAC_SEARCH_INDEX_PREFIX}-{lang}``
  (``cac-en``, ``cac-ko``) that points at a versioned index ``cac-en-20250101120000000000``.
  ``rebuild()`` fills fresh versioned indices and swaps every alias in one atomic
  ``_aliases`` call; while it runs, the new index also carries the alias ``cac-en-next``
  and ``index_pages``/``remove_pages`` write to both, so edits made during a rebuild
  are not lost.
- Analysis (``build_index``): English text uses a custom analyser (standard tokenizer,
  possessive stemmer, lowercase, ASCII folding, the Snowball stop list, Porter2 stemmer)
  that mirrors ``search.analysis`` so that both backends find the same documents.
  Korean uses nori: ``nori_tokenizer`` (``decompound_mode: mixed``, the user dictionary of
  ``search.analysis.USER_DICTIONARY``), ``nori_part_of_speech`` with the stop tags of
  ``search.analysis.KOREAN_STOP_TAGS`` translated to nori's tag names (nori's defaults,
  except that IC is kept and VX/VCP/VCN are dropped, see ``NORI_STOP_TAGS``),
  ``nori_readingform`` and ``lowercase``; the same analyser is the ``search_analyzer``.
- Suggestions: ``title.suggest``, ``city_name.suggest`` and ``city_name_ko.suggest`` are
  ``search_as_you_type`` sub-fields (standard tokenizer + lowercase, no stemming: prefixes
  of the words as written).  Cities come from a terms aggregation over the documents
  (so only cities with a visible case are suggested); measure types from a terms
  aggregation over the documents' measure slugs, named and prefix-matched against the
  small ``MeasureType`` vocabulary in the database (cached for ``MEASURE_CACHE_SECONDS``).

Query building (``build_search``/``parse_response``) is pure and unit-tested without a
server; see ``tests/test_search_elasticsearch.py``.
"""

from __future__ import annotations

import html
import logging
import math
import re
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from elastic_transport import TransportError
from elasticsearch import ApiError, Elasticsearch
from elasticsearch.dsl import (
    A,
    Date,
    Document,
    Index,
    Integer,
    Keyword,
    MetaField,
    Q,
    Search,
    SearchAsYouType,
    Text,
    analyzer,
    token_filter,
    tokenizer,
)
from elasticsearch.helpers import BulkIndexError, streaming_bulk

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from search.analysis import ENGLISH_STOP_WORDS, KOREAN_STOP_TAGS, USER_DICTIONARY
from search.types import FACETS, SearchHit, SearchRequest, SearchResponse, Suggestion

logger = logging.getLogger(__name__)

__all__ = [
    "ElasticsearchSearchBackend",
    "SearchBackendUnavailable",
    "build_index",
    "build_search",
    "build_suggest",
    "document_class",
    "document_source",
    "parse_response",
    "parse_suggest_response",
]


try:  # the shared home of the exception, once search.types defines it
    from search.types import SearchBackendUnavailable
except ImportError:  # pragma: no cover - until then it lives here

    class SearchBackendUnavailable(RuntimeError):
        """Elasticsearch could not answer (down, slow, misconfigured or index missing).

        The search service catches it and answers from the database backend instead.
        """


# ==========================================================================
# Tunables
# ==========================================================================
REQUEST_TIMEOUT = 2.0  # seconds, for searches and single-page updates (the service falls back)
REBUILD_TIMEOUT = 120.0  # seconds per bulk request / admin call during a rebuild
BREAKER_SECONDS = 10.0  # after a connection failure, reads fail fast for this long
BULK_CHUNK_SIZE = 500
MAX_RESULT_WINDOW = 200_000  # index.max_result_window: deepest page reachable (from + size)
HIGHLIGHT_MAX_ANALYZED_OFFSET = 100_000  # characters of a field analysed for highlighting
BODY_FRAGMENT_SIZE = 180
MEASURE_CACHE_SECONDS = 300.0
SUGGEST_PER_KIND = 3  # cities and measure types in one suggestion list (as the database backend)
TEXT_FIELDS: tuple[str, ...] = ("title^3", "summary^2", "body_text")
# Terms-aggregation sizes: at least the size of each vocabulary, so no facet value is cut.
FACET_SIZES: dict[str, int] = {"area": 100, "continent": 20, "country": 300, "measure": 500, "year": 200}
# The index field behind each facet of search.types.FACETS (the names are the same on purpose).
FACET_FIELDS: dict[str, str] = {facet: facet for facet in FACETS}
_VERSIONED_SUFFIX_RE = re.compile(r"^\d{20}$")


# ==========================================================================
# Analysis
# ==========================================================================
# nori's POS tag names (Lucene org.apache.lucene.analysis.ko.POS.Tag).  mecab-ko-dic's
# fine tags map onto them: every ending (EP, EF, EC, ETN, ETM) is "E", every particle "J".
NORI_TAGS = frozenset((
    "E", "IC", "J", "MAG", "MAJ", "MM", "NA", "NNG", "NNP", "NNB", "NNBC", "NP", "NR", "SF", "SH", "SL",
    "SN", "SP", "SSC", "SSO", "SC", "SY", "SE", "UNA", "UNKNOWN", "VA", "VCN", "VCP", "VSV", "VV", "VX",
    "XPN", "XR", "XSA", "XSN", "XSV",
))  # fmt: skip
NORI_DEFAULT_STOP_TAGS: tuple[str, ...] = (
    "E", "IC", "J", "MAG", "MAJ", "MM", "SP", "SSC", "SSO", "SC", "SE",
    "XPN", "XSA", "XSN", "XSV", "UNA", "NA", "VSV",
)  # fmt: skip


def nori_stop_tags(mecab_tags: Iterable[str] = KOREAN_STOP_TAGS) -> list[str]:
    """search.analysis's stop tags in nori's tag names, so both backends drop the same words."""
    names = set()
    for tag in mecab_tags:
        name = "E" if tag.startswith("E") else "J" if tag.startswith("J") else tag
        if name in NORI_TAGS:
            names.add(name)
    return sorted(names)


def nori_user_dictionary_rules(entries=USER_DICTIONARY) -> list[str]:
    """search.analysis's user dictionary as nori rules: ``"자가격리 자가 격리"``."""
    rules = []
    for surface, _tag, expression in entries:
        parts = [part.split("/")[0] for part in expression.split("+")] if expression else []
        rules.append(" ".join([surface, *parts]) if len(parts) > 1 else surface)
    return rules


NORI_STOP_TAGS: list[str] = nori_stop_tags()

ENGLISH_TEXT = analyzer(
    "cac_english",
    tokenizer="standard",
    filter=[
        token_filter("cac_english_possessive", type="stemmer", language="possessive_english"),
        "lowercase",
        "asciifolding",
        token_filter("cac_english_stop", type="stop", stopwords=sorted(ENGLISH_STOP_WORDS)),
        token_filter("cac_english_stemmer", type="stemmer", language="porter2"),
    ],
)
KOREAN_TEXT = analyzer(
    "cac_korean",
    tokenizer=tokenizer(
        "cac_nori_mixed",
        type="nori_tokenizer",
        decompound_mode="mixed",
        discard_punctuation=True,
        user_dictionary_rules=nori_user_dictionary_rules(),
    ),
    filter=[
        token_filter("cac_nori_part_of_speech", type="nori_part_of_speech", stoptags=NORI_STOP_TAGS),
        "nori_readingform",
        "lowercase",
    ],
)
# Prefix matching on words as written (no stemming, no decompounding): "dri" -> "Drive-through",
# "선별진" -> "선별진료소를".  Shared by both languages.
SUGGEST_TEXT = analyzer("cac_suggest", tokenizer="standard", filter=["lowercase", "asciifolding"])


def text_analyzer(language: str):
    return KOREAN_TEXT if language.startswith("ko") else ENGLISH_TEXT


# ==========================================================================
# Mapping
# ==========================================================================
class PageDocument(Document):
    """Fields shared by both languages: identifiers, facets, dates and display values."""

    page_id = Integer()
    doc_type = Keyword()
    locale = Keyword()
    city_id = Integer()
    city_name = Keyword(fields={"suggest": SearchAsYouType(analyzer=SUGGEST_TEXT)})
    city_name_ko = Keyword(fields={"suggest": SearchAsYouType(analyzer=SUGGEST_TEXT)})
    country = Keyword()
    country_name = Keyword(index=False)
    continent = Keyword()
    area = Keyword(multi=True)
    measure = Keyword(multi=True)
    year = Integer()
    start_date = Date()
    published_at = Date()
    expire_at = Date()  # a page past its expiry is hidden at query time, before any unpublish job runs
    url = Keyword(index=False)

    class Meta:
        dynamic = MetaField("strict")


class EnglishPageDocument(PageDocument):
    title = Text(
        analyzer=ENGLISH_TEXT,
        fields={"suggest": SearchAsYouType(analyzer=SUGGEST_TEXT)},
    )
    summary = Text(analyzer=ENGLISH_TEXT)
    body_text = Text(analyzer=ENGLISH_TEXT)


class KoreanPageDocument(PageDocument):
    title = Text(
        analyzer=KOREAN_TEXT,
        search_analyzer=KOREAN_TEXT,
        fields={"suggest": SearchAsYouType(analyzer=SUGGEST_TEXT)},
    )
    summary = Text(analyzer=KOREAN_TEXT, search_analyzer=KOREAN_TEXT)
    body_text = Text(analyzer=KOREAN_TEXT, search_analyzer=KOREAN_TEXT)


def document_class(language: str) -> type[PageDocument]:
    return KoreanPageDocument if language.startswith("ko") else EnglishPageDocument


def build_index(language: str, name: str, *, aliases: Iterable[str] = ()) -> Index:
    """The index definition (settings, analysis, mapping) of one language; ``.to_dict()`` is the body."""
    index = Index(name)
    index.settings(
        number_of_shards=1,
        auto_expand_replicas="0-1",
        max_result_window=MAX_RESULT_WINDOW,
    )
    index.document(document_class(language))
    for alias in aliases:
        index.aliases(**{alias: {}})
    return index


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value else None


def _country_name(code: str, language: str) -> str:
    if not code:
        return ""
    from django_countries import countries

    with translation.override(language):
        return str(countries.name(code)) or code


def document_source(doc) -> dict[str, Any]:
    """An ``IndexedDocument`` (search.documents) as the ``_source`` of its Elasticsearch document."""
    country_name = getattr(doc, "country_name", None) or _country_name(doc.country or "", doc.language)
    return {
        "page_id": doc.page_id,
        "doc_type": doc.doc_type,
        "locale": doc.language,
        "title": doc.title or "",
        "summary": doc.summary or "",
        "body_text": doc.body_text or "",
        "city_id": doc.city_id,
        "city_name": doc.city_name or None,
        "city_name_ko": doc.city_name_ko or None,
        "country": doc.country or None,
        "country_name": country_name or None,
        "continent": doc.continent or None,
        "area": list(doc.area_slugs or ()),
        "measure": list(doc.measure_slugs or ()),
        "year": doc.year,
        "start_date": _iso(doc.start_date),
        "published_at": _iso(doc.published_at),
        "url": doc.url_path,
        "expire_at": _iso(getattr(doc, "expire_at", None)),
    }


# ==========================================================================
# Query building (pure: no client, no database)
# ==========================================================================
def _facet_filter(facet: str, values: Iterable) -> Q:
    return Q("terms", **{FACET_FIELDS[facet]: list(values)})


def not_expired() -> Q:
    """No expiry date, or one still ahead (rounded to the minute so the filter stays cacheable)."""
    return Q(
        "bool",
        should=[Q("bool", must_not=[Q("exists", field="expire_at")]), Q("range", expire_at={"gt": "now/m"})],
        minimum_should_match=1,
    )


def base_filters(request: SearchRequest) -> list[Q]:
    """What always narrows a search (results and every facet count): language, visibility, type."""
    filters = [Q("term", locale=request.language), not_expired()]
    if request.doc_type:
        filters.append(Q("terms", doc_type=list(request.doc_type)))
    return filters


_UNSAFE_CHARS_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def clean_text(text: str) -> str:
    """Control characters and lone surrogates (not valid UTF-8: Elasticsearch would answer 400) as spaces."""
    return " ".join(_UNSAFE_CHARS_RE.sub(" ", text or "").split())


def text_query(query: str) -> Q:
    """Every word must occur, in any of the fields (``cross_fields``: the same analyser everywhere).

    The text is never parsed as query syntax: quotes, ``*``, ``OR``, ``-``, ``:`` are just text.
    """
    return Q(
        "multi_match",
        query=query,
        fields=list(TEXT_FIELDS),
        type="cross_fields",
        operator="and",
        # Only stop words ("the", "of"): list everything, as the database backend does.
        zero_terms_query="all",
    )


def build_search(request: SearchRequest, index_name: str) -> Search:
    """The Elasticsearch request for a SearchRequest.

    - query: ``multi_match`` over title^3, summary^2, body (all words required), or
      ``match_all`` in browse mode; language and doc_type in ``bool.filter``;
    - facet selections in ``post_filter`` (OR within a facet, AND across facets), so that
      they narrow the hits but not the aggregations;
    - one ``filter`` aggregation per facet holding the selections of every OTHER facet,
      with a ``terms`` aggregation inside: disjunctive counts;
    - sort by relevance (_score, newest start date, page id) or newest;
    - ``from``/``size`` pagination; pages beyond ``MAX_RESULT_WINDOW`` come back empty
      (still with the count and facets) instead of an error;
    - highlight of summary (whole) and body (one fragment) in ``<mark>``, HTML-escaped.
    """
    query = clean_text(request.query)
    search = Search(index=index_name).extra(track_total_hits=True)
    must = [text_query(query)] if query else [Q("match_all")]
    search = search.query(Q("bool", must=must, filter=base_filters(request)))

    selections = {
        facet: _facet_filter(facet, values) for facet, values in request.filters().items() if values
    }
    if selections:
        search = search.post_filter(Q("bool", filter=list(selections.values())))
    for facet in FACETS:
        others = [q for name, q in selections.items() if name != facet]
        facet_scope = Q("bool", filter=others) if others else Q("match_all")
        search.aggs.bucket(f"facet_{facet}", A("filter", filter=facet_scope)).bucket(
            "counts",
            A(
                "terms",
                field=FACET_FIELDS[facet],
                size=FACET_SIZES[facet],
                order=[{"_count": "desc"}, {"_key": "asc"}],
            ),
        )

    # The database backend's order: score, then newest start date (undated last), then page id.
    newest = [{"start_date": {"order": "desc", "missing": "_last"}}, {"page_id": {"order": "desc"}}]
    if request.sort == "newest" or not query:
        search = search.sort(*newest)
        if query:
            search = search.extra(track_scores=True)
    else:
        search = search.sort("_score", *newest)

    size = max(0, int(request.page_size))
    start = (max(1, int(request.page)) - 1) * size
    if start + size > MAX_RESULT_WINDOW:
        search = search.extra(from_=0, size=0)
    else:
        search = search.extra(from_=start, size=size)

    search = search.source(excludes=["body_text"])
    if query:
        search = search.highlight_options(
            pre_tags=["<mark>"],
            post_tags=["</mark>"],
            encoder="html",
            max_analyzed_offset=HIGHLIGHT_MAX_ANALYZED_OFFSET,
        )
        search = search.highlight("summary", number_of_fragments=0)
        search = search.highlight(
            "body_text", fragment_size=BODY_FRAGMENT_SIZE, number_of_fragments=1, no_match_size=0
        )
    return search


def _raw(resp) -> dict[str, Any]:
    """A response as a plain dict: accepts a dict, an ObjectApiResponse or a DSL Response."""
    if isinstance(resp, dict):
        return resp
    if hasattr(resp, "to_dict"):
        return resp.to_dict()
    if hasattr(resp, "body"):
        return resp.body
    return dict(resp)


def _parse_date(value) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def city_label(source: dict[str, Any], language: str) -> str:
    name, name_ko = source.get("city_name") or "", source.get("city_name_ko") or ""
    return (name_ko or name) if language.startswith("ko") else (name or name_ko)


def _hit(raw_hit: dict[str, Any], language: str) -> SearchHit:
    src = raw_hit.get("_source") or {}
    highlight = raw_hit.get("highlight") or {}
    summary = src.get("summary") or ""
    if highlight.get("summary"):
        marked = " … ".join(highlight["summary"])
    elif highlight.get("body_text"):
        marked = highlight["body_text"][0]
    else:
        marked = html.escape(summary)
    # Adjacent matches (Korean compound parts: 선별|진료소) read as one word: one <mark>.
    marked = marked.replace("</mark><mark>", "")
    score = raw_hit.get("_score")
    return SearchHit(
        page_id=int(src.get("page_id") or raw_hit.get("_id")),
        doc_type=src.get("doc_type") or "case",
        title=src.get("title") or "",
        url=src.get("url") or "",
        locale=src.get("locale") or language,
        city=city_label(src, language),
        country=src.get("country") or "",
        country_name=src.get("country_name") or src.get("country") or "",
        continent=src.get("continent") or "",
        policy_areas=list(src.get("area") or []),
        measure_types=list(src.get("measure") or []),
        start_date=_parse_date(src.get("start_date")),
        summary=summary,
        highlight=marked,
        score=float(score) if score is not None else None,
    )


def parse_response(resp, request: SearchRequest) -> SearchResponse:
    """A search response (raw dict, client response or DSL ``Response``) as a SearchResponse."""
    raw = _raw(resp)
    hits = raw.get("hits") or {}
    total = hits.get("total") or 0
    count = int(total.get("value", 0) if isinstance(total, dict) else total)
    page_size = max(1, int(request.page_size))
    aggregations = raw.get("aggregations") or {}
    facets: dict[str, dict[str, int]] = {}
    for facet in FACETS:
        buckets = ((aggregations.get(f"facet_{facet}") or {}).get("counts") or {}).get("buckets") or []
        counts = {str(b["key"]): int(b["doc_count"]) for b in buckets if b.get("doc_count")}
        for selected in getattr(request, facet):
            counts.setdefault(str(selected), 0)  # a selection always shows, even when nothing is left
        facets[facet] = dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
    return SearchResponse(
        count=count,
        page=int(request.page),
        num_pages=max(1, math.ceil(count / page_size)),
        hits=[_hit(h, request.language) for h in hits.get("hits") or []],
        facets=facets,
        backend="elasticsearch",
    )


# --------------------------------------------------------------------------
# Suggestions
# --------------------------------------------------------------------------
def _prefix_query(prefix: str, field: str) -> Q:
    return Q(
        "multi_match",
        query=prefix,
        type="bool_prefix",
        operator="and",
        fields=[field, f"{field}._2gram", f"{field}._3gram"],
    )


def build_suggest(language: str, prefix: str, index_name: str, limit: int = 8) -> Search:
    """Titles matching the prefix (hits), cities matching it and the measure slugs in use (aggs).

    A title matches when every word of the prefix starts a word of the title
    (``search_as_you_type``), or when the words match as in a search (stemmed, Korean
    compounds split), e.g. ``진료소`` finds ``선별진료소``.
    """
    prefix = clean_text(prefix)
    locale = Q("bool", filter=[Q("term", locale=language), not_expired()])
    title = Q(
        "bool",
        should=[
            _prefix_query(prefix, "title.suggest"),
            Q("match", title={"query": prefix, "operator": "and"}),
        ],
        minimum_should_match=1,
    )
    search = Search(index=index_name).query(Q("bool", must=[title], filter=[locale]))
    search = search.source(["page_id", "doc_type", "title", "url"]).extra(size=max(0, limit))
    city = Q(
        "bool",
        should=[_prefix_query(prefix, "city_name.suggest"), _prefix_query(prefix, "city_name_ko.suggest")],
        minimum_should_match=1,
    )
    everything = search.aggs.bucket("all", A("global"))
    everything.bucket("cities", A("filter", filter=Q("bool", filter=[locale, city]))).bucket(
        "ids", A("terms", field="city_id", size=max(1, limit))
    ).bucket(
        "city",
        A(
            "top_hits",
            size=1,
            _source={"includes": ["city_name", "city_name_ko", "country", "country_name"]},
        ),
    )
    everything.bucket("measures", A("filter", filter=locale)).bucket(
        "slugs", A("terms", field="measure", size=FACET_SIZES["measure"])
    )
    return search


def _search_url(language: str, **params) -> str:
    from urllib.parse import urlencode

    try:
        with translation.override(language):
            path = reverse("search")
    except NoReverseMatch:
        path = f"/{language}/search/"
    return f"{path}?{urlencode(params)}" if params else path


def _starts_a_word(prefix: str, label: str) -> bool:
    prefix, label = prefix.casefold().strip(), label.casefold()
    if not prefix:
        return False
    if label.startswith(prefix):
        return True
    return any(word.startswith(prefix) for word in re.split(r"[\s\-/(),]+", label))


def parse_suggest_response(
    resp,
    language: str,
    prefix: str,
    measure_names: dict[str, tuple[str, str]],
    limit: int = 8,
) -> list[Suggestion]:
    """Titles first, then up to 3 cities and up to 3 measure types; at most ``limit`` in all.

    The same shape as the database backend's answer.  ``measure_names`` maps a measure
    slug to its (English, Korean) names.
    """
    raw = _raw(resp)
    aggs = (raw.get("aggregations") or {}).get("all") or {}
    short = min(SUGGEST_PER_KIND, limit)
    cities: list[Suggestion] = []
    for bucket in ((aggs.get("cities") or {}).get("ids") or {}).get("buckets") or []:
        top = (((bucket.get("city") or {}).get("hits") or {}).get("hits") or [{}])[0]
        source = top.get("_source") or {}
        name = city_label(source, language)
        if name and len(cities) < short:
            country = source.get("country_name") or source.get("country") or ""
            label = f"{name}, {country}" if country else name
            cities.append(Suggestion(kind="city", label=label, url=_search_url(language, q=name), value=name))

    measures: list[Suggestion] = []
    for bucket in ((aggs.get("measures") or {}).get("slugs") or {}).get("buckets") or []:
        slug = str(bucket["key"])
        name, name_ko = measure_names.get(slug, (slug, ""))
        if _starts_a_word(prefix, name) or (name_ko and _starts_a_word(prefix, name_ko)):
            label = (name_ko or name) if language.startswith("ko") else name
            measures.append(
                Suggestion(kind="measure", label=label, url=_search_url(language, measure=slug), value=slug)
            )
    measures = sorted(measures, key=lambda s: s.label.casefold())[:short]

    titles: list[Suggestion] = []
    for hit in (raw.get("hits") or {}).get("hits") or []:
        src = hit.get("_source") or {}
        kind = "session" if src.get("doc_type") == "session" else "case"
        title = src.get("title") or ""
        titles.append(Suggestion(kind=kind, label=title, url=src.get("url") or "", value=title))
    titles = titles[: max(limit - len(cities) - len(measures), 0) or 1]
    return (titles + cities + measures)[:limit]


# ==========================================================================
# The backend
# ==========================================================================
_ES_ERRORS = (ApiError, TransportError, BulkIndexError)


def _is_outage(exc: BaseException) -> bool:
    """Connection trouble, timeouts and server errors open the breaker; a 400 or 404 does not."""
    if isinstance(exc, TransportError):
        return True
    status = getattr(exc, "status_code", None) or getattr(getattr(exc, "meta", None), "status", None)
    return isinstance(status, int) and (status >= 500 or status == 429)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, BulkIndexError):
        first = exc.errors[0] if exc.errors else {}
        return f"{len(exc.errors)} document(s) failed, first: {first}"
    if isinstance(exc, ApiError) and getattr(exc, "meta", None) is not None and exc.meta.status == 404:
        return f"{exc} (index missing? run the search index rebuild)"
    return str(exc) or type(exc).__name__


class ElasticsearchSearchBackend:
    """SearchBackend on Elasticsearch; every Elasticsearch failure raises SearchBackendUnavailable."""

    name = "elasticsearch"

    def __init__(
        self,
        url: str | None = None,
        *,
        client: Elasticsearch | None = None,
        index_prefix: str | None = None,
        languages: Iterable[str] | None = None,
        request_timeout: float | None = None,
        refresh_on_write: bool | str = False,
        breaker_seconds: float = BREAKER_SECONDS,
        **client_options: Any,
    ) -> None:
        """``client_options`` go to ``Elasticsearch()`` (e.g. ``ca_certs``, ``api_key``, ``node_class``)."""
        self.url = url if url is not None else getattr(settings, "ELASTICSEARCH_URL", "")
        self.request_timeout = (
            request_timeout
            if request_timeout is not None
            else float(getattr(settings, "CAC_SEARCH_ES_TIMEOUT", REQUEST_TIMEOUT))
        )
        if client is None:
            if not self.url:
                raise SearchBackendUnavailable("ELASTICSEARCH_URL is not set")
            options = {"request_timeout": self.request_timeout, "max_retries": 0, "retry_on_timeout": False}
            client = Elasticsearch(self.url, **{**options, **client_options})
        self.client = client
        prefix = (
            index_prefix if index_prefix is not None else getattr(settings, "CAC_SEARCH_INDEX_PREFIX", "cac")
        )
        self.index_prefix = (prefix or "cac").lower()
        if languages is None:
            languages = [
                code for code, _name in getattr(settings, "WAGTAIL_CONTENT_LANGUAGES", settings.LANGUAGES)
            ]
        self.languages = tuple(languages)
        # Writes: False (default: visible within the index's refresh interval, ~1 s), True or "wait_for".
        self.refresh_on_write = refresh_on_write
        self.breaker_seconds = breaker_seconds
        self._broken_until = 0.0
        self._measure_cache: tuple[float, dict[str, tuple[str, str]]] | None = None

    # ---- names -------------------------------------------------------------
    def alias(self, language: str) -> str:
        return f"{self.index_prefix}-{language}"

    def next_alias(self, language: str) -> str:
        return f"{self.index_prefix}-{language}-next"

    def new_index_name(self, language: str) -> str:
        return f"{self.alias(language)}-{datetime.now():%Y%m%d%H%M%S%f}"

    def _language_of(self, language: str) -> str:
        code = (language or "").split("-")[0].lower()
        if code not in self.languages:
            raise SearchBackendUnavailable(f"no Elasticsearch index for language {language!r}")
        return code

    # ---- errors ------------------------------------------------------------
    @contextmanager
    def _guard(self, what: str, *, read: bool):
        if read and time.monotonic() < self._broken_until:
            raise SearchBackendUnavailable(f"Elasticsearch {what}: skipped, it failed moments ago")
        try:
            yield
        except _ES_ERRORS as exc:
            if read and _is_outage(exc):
                self._broken_until = time.monotonic() + self.breaker_seconds
            logger.warning("search: Elasticsearch %s failed: %s", what, _describe(exc))
            raise SearchBackendUnavailable(f"Elasticsearch {what} failed: {_describe(exc)}") from exc

    # ---- reads -------------------------------------------------------------
    def search(self, request: SearchRequest) -> SearchResponse:
        language = self._language_of(request.language)
        body = build_search(request, self.alias(language)).to_dict()
        with self._guard("search", read=True):
            raw = self.client.search(index=self.alias(language), body=body)
        return parse_response(raw, request)

    def suggest(self, language: str, prefix: str, limit: int = 8) -> list[Suggestion]:
        prefix = clean_text(prefix)[:100]
        if not prefix or limit <= 0:
            return []
        language = self._language_of(language)
        body = build_suggest(language, prefix, self.alias(language), limit).to_dict()
        with self._guard("suggest", read=True):
            raw = _raw(self.client.search(index=self.alias(language), body=body))
        buckets = (((raw.get("aggregations") or {}).get("all") or {}).get("measures") or {}).get(
            "slugs"
        ) or {}
        in_use = {str(bucket["key"]) for bucket in buckets.get("buckets") or []}
        names = self.measure_names()
        if not in_use <= names.keys():  # a measure type newer than the cache
            names = self.measure_names(fresh=True)
        return parse_suggest_response(raw, language, prefix, names, limit)

    def health(self) -> dict[str, Any]:
        """For /healthz: "ok" when every language's alias answers, else "degraded"; never raises,
        never shows the URL (it may hold credentials)."""
        try:
            with self._guard("health check", read=True):
                present = self._aliases(self.client, [self.alias(language) for language in self.languages])
        except SearchBackendUnavailable as exc:
            return {"status": "degraded", "error": type(exc.__cause__ or exc).__name__}
        missing = [self.alias(language) for language in self.languages if self.alias(language) not in present]
        return {"status": "degraded", "missing_indices": missing} if missing else {"status": "ok"}

    def measure_names(self, *, fresh: bool = False) -> dict[str, tuple[str, str]]:
        """slug -> (English name, Korean name) of every measure type; cached briefly."""
        now = time.monotonic()
        cached = self._measure_cache
        if cached and not fresh and now - cached[0] < MEASURE_CACHE_SECONDS:
            return cached[1]
        from casestudies.models import MeasureType

        names = {
            slug: (name, name_ko or "")
            for slug, name, name_ko in MeasureType.objects.values_list("slug", "name", "name_ko")
        }
        self._measure_cache = (now, names)
        return names

    # ---- index administration ----------------------------------------------
    def _aliases(self, client, names: list[str]) -> dict[str, list[str]]:
        """alias -> indices it points at (absent aliases are left out)."""
        result: dict[str, list[str]] = {}
        if not names:
            return result
        found = client.options(ignore_status=404).indices.get_alias(name=names)
        body = found.body if hasattr(found, "body") else found
        # With some names missing, the 404 body still lists the ones found, next to "error"/"status".
        for index_name, info in (body if isinstance(body, dict) else {}).items():
            if not isinstance(info, dict):
                continue
            for alias in info.get("aliases") or {}:
                if alias in names:
                    result.setdefault(alias, []).append(index_name)
        return result

    def _create_index(self, client, language: str, aliases: Iterable[str] = (), **settings_overrides) -> str:
        name = self.new_index_name(language)
        index = build_index(language, name, aliases=aliases)
        if settings_overrides:
            index.settings(**settings_overrides)
        client.indices.create(index=name, body=index.to_dict())
        return name

    def ensure_indices(self, languages: Iterable[str] | None = None) -> None:
        """Create the aliased index of each language that has none yet (first use)."""
        with self._guard("index creation", read=False):
            for language in languages or self.languages:
                alias = self.alias(language)
                if alias in self._aliases(self.client, [alias]):
                    continue
                if self.client.indices.exists(index=alias):
                    raise SearchBackendUnavailable(
                        f"{alias!r} is an index, not an alias: run the rebuild to replace it"
                    )
                self._create_index(self.client, language, aliases=[alias])

    def _write_targets(self, languages: Iterable[str], *, create: bool) -> dict[str, list[str]]:
        """language -> the names to write to: its alias, and its rebuild's "-next" alias if one runs."""
        languages = list(languages)
        names = [n for lang in languages for n in (self.alias(lang), self.next_alias(lang))]
        present = self._aliases(self.client, names)
        targets: dict[str, list[str]] = {}
        for language in languages:
            if self.alias(language) not in present:
                if not create:
                    continue
                self.ensure_indices([language])
            targets[language] = [self.alias(language)]
            if self.next_alias(language) in present:
                targets[language].append(self.next_alias(language))
        return targets

    def _bulk(self, client, actions: Iterable[dict]) -> int:
        done = 0
        for ok, _item in streaming_bulk(
            client,
            actions,
            chunk_size=BULK_CHUNK_SIZE,
            refresh=self.refresh_on_write,
            ignore_status=(404,),  # deleting a document that is not there is fine
            raise_on_error=True,
        ):
            done += ok
        return done

    def refresh(self) -> None:
        """Make every write so far visible to searches now (tests; Elasticsearch does it within ~1 s)."""
        with self._guard("refresh", read=False):
            names = [self.alias(language) for language in self.languages]
            self.client.options(ignore_status=404).indices.refresh(
                index=",".join(names), ignore_unavailable=True, allow_no_indices=True
            )

    # ---- writes ------------------------------------------------------------
    def index_pages(self, page_ids: list[int]) -> None:
        """(Re)index these pages if indexable (search.documents decides), delete them otherwise."""
        ids = sorted({int(pk) for pk in page_ids})
        if not ids:
            return
        from search.documents import build_documents

        documents = [doc for doc in build_documents(ids) if doc.language in self.languages]
        indexed = {doc.page_id for doc in documents}
        gone = [pk for pk in ids if pk not in indexed]
        with self._guard("indexing", read=False):
            targets = self._write_targets({doc.language for doc in documents}, create=True)
            actions = self._index_actions(documents, targets)
            if gone:
                actions.extend(self._delete_actions(gone))
            self._bulk(self.client, actions)

    def index_documents(self, documents: list) -> None:
        """Write already-built ``IndexedDocument``s (as the database backend's method of that name)."""
        documents = [doc for doc in documents if doc.language in self.languages]
        if not documents:
            return
        with self._guard("indexing", read=False):
            targets = self._write_targets({doc.language for doc in documents}, create=True)
            self._bulk(self.client, self._index_actions(documents, targets))

    def _index_actions(self, documents: list, targets: dict[str, list[str]]) -> list[dict]:
        actions = []
        for doc in documents:
            source = document_source(doc)
            for target in targets.get(doc.language, []):
                actions.append(
                    {"_op_type": "index", "_index": target, "_id": str(doc.page_id), "_source": source}
                )
        return actions

    def remove_pages(self, page_ids: list[int]) -> None:
        ids = sorted({int(pk) for pk in page_ids})
        if not ids:
            return
        with self._guard("removal", read=False):
            self._bulk(self.client, self._delete_actions(ids))

    def _delete_actions(self, ids: list[int]) -> list[dict]:
        """Deletions from every language's index (and running rebuild); absent indices are skipped."""
        targets = self._write_targets(self.languages, create=False)
        return [
            {"_op_type": "delete", "_index": target, "_id": str(pk)}
            for names in targets.values()
            for target in names
            for pk in ids
        ]

    def rebuild(
        self, progress: Callable[[int, int], Any] | None = None, batch_size: int = BULK_CHUNK_SIZE
    ) -> int:
        """Index every indexable page into fresh indices, then swap the aliases atomically.

        ``progress(done, total)`` is called before the first and after each batch of
        ``batch_size`` pages, with the documents built so far and
        ``search.documents.count_indexable()`` (as the database backend does).
        Returns the number of documents indexed.  While it runs, each new index also
        carries the ``-next`` alias, which ``index_pages``/``remove_pages`` write to as
        well.  On failure the new indices are deleted and the old ones stay in service.
        """
        from search.documents import count_indexable, iter_document_batches

        client = self.client.options(request_timeout=REBUILD_TIMEOUT)
        created: dict[str, str] = {}
        total = count_indexable()
        indexed = 0
        try:
            with self._guard("rebuild", read=False):
                for language in self.languages:
                    created[language] = self._create_index(
                        client,
                        language,
                        aliases=[self.next_alias(language)],
                        refresh_interval="-1",
                    )
                done = 0
                if progress is not None:
                    progress(0, total)
                for batch in iter_document_batches(max(1, int(batch_size))):
                    actions = [
                        {
                            "_op_type": "index",
                            "_index": created[doc.language],
                            "_id": str(doc.page_id),
                            "_source": document_source(doc),
                        }
                        for doc in batch
                        if doc.language in created
                    ]
                    for ok, _item in streaming_bulk(
                        client, actions, chunk_size=BULK_CHUNK_SIZE, max_retries=2, raise_on_error=True
                    ):
                        indexed += ok
                    done += len(batch)
                    if progress is not None:
                        progress(done, max(total, done))
                for name in created.values():
                    client.indices.put_settings(index=name, settings={"index": {"refresh_interval": None}})
                    client.indices.refresh(index=name)
                self._swap_aliases(client, created)
        except BaseException:
            self._drop(client, created.values())
            raise
        return indexed

    def _swap_aliases(self, client, created: dict[str, str]) -> None:
        """Point every alias at its new index in one atomic call; drop the old indices."""
        names = [n for lang in created for n in (self.alias(lang), self.next_alias(lang))]
        present = self._aliases(client, names)
        actions: list[dict] = []
        old: set[str] = set()
        for language, new in created.items():
            alias = self.alias(language)
            for index_name in present.get(alias, []):
                actions.append({"remove": {"index": index_name, "alias": alias}})
                old.add(index_name)
            if alias not in present and client.indices.exists(index=alias):
                # A concrete index squats the alias name (e.g. auto-created): replace it atomically.
                actions.append({"remove_index": {"index": alias}})
            actions.append({"add": {"index": new, "alias": alias}})
            actions.append({"remove": {"index": new, "alias": self.next_alias(language)}})
        client.indices.update_aliases(actions=actions)
        # Leftovers of earlier failed rebuilds: versioned indices that no alias points at.
        for language, new in created.items():
            found = client.options(ignore_status=404).indices.get(index=f"{self.alias(language)}-*")
            body = found.body if hasattr(found, "body") else found
            for index_name, info in (body or {}).items():
                suffix = index_name[len(self.alias(language)) + 1 :]
                if (
                    index_name != new
                    and _VERSIONED_SUFFIX_RE.match(suffix)
                    and not (info or {}).get("aliases")
                ):
                    old.add(index_name)
        self._drop(client, old - set(created.values()))

    def _drop(self, client, names: Iterable[str]) -> None:
        for name in names:
            try:
                client.options(ignore_status=404).indices.delete(index=name)
            except _ES_ERRORS as exc:  # pragma: no cover - best effort cleanup
                logger.warning("search: could not delete index %s: %s", name, exc)
