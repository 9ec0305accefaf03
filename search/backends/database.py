"""The database search backend: SQLite FTS5 or PostgreSQL full-text over `search.models`.

One search costs two SQL statements, whatever the filters:

1. one statement that returns, as one UNION ALL, the ids of the requested page, the count and
   the disjunctive facet counts (see `_statement`). With query words it materialises the
   candidates once (a `MATERIALIZED` CTE holding id, facet columns, filter flags and the word
   and meaning scores of every matching document in the language) and scans it; when
   browsing, the page comes straight from the browse index (newest first, stopping after the
   page) and each count from one scan of the language's entries in a covering index: nothing is
   materialised;
2. one ORM query for the rows of those (at most `page_size`) documents.

The highlight is computed in Python for the hits of the page only.

SQL is assembled from constants (table names, column lists, `%s` placeholders): every value a
visitor sends travels as a parameter, and the full-text terms are analyser tokens (letters and
digits only), quoted for FTS5 / tsquery on top; hence the `noqa: S608` marks.
"""

from __future__ import annotations

import contextlib
import functools
import html
import logging
import math
import re
from collections.abc import Iterable

from django.db import DatabaseError, connections, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from search import fts, spelling, vectors
from search.analysis import (
    MAX_QUERY_TOKENS,
    analyze,
    analyze_query,
    autocomplete_text,
    korean_content_end,
    prefix_tokens,
    to_index_text,
    word_tokens,
)
from search.documents import IndexedDocument, build_documents, count_indexable, iter_document_batches
from search.embeddings import EmbedderUnavailable, semantic_enabled
from search.labels import country_name
from search.models import (
    TEXT_COPIED_COLUMNS,
    SearchDocument,
    SearchDocumentArea,
    SearchDocumentMeasure,
    SearchDocumentText,
    SearchFacetGroup,
    SearchSlugSet,
    SearchSlugSetMember,
)
from search.related import stored_neighbours
from search.synonyms import Expansion, expansions, named_measures
from search.types import FACETS, SearchHit, SearchRequest, SearchResponse, Suggestion

logger = logging.getLogger(__name__)

DOC = SearchDocument._meta.db_table
AREA = SearchDocumentArea._meta.db_table
MEASURE = SearchDocumentMeasure._meta.db_table
TEXT = SearchDocumentText._meta.db_table

# bm25 column weights on SQLite (title, body); PostgreSQL uses setweight A/B and ts_rank_cd.
TITLE_WEIGHT = 4.0
BODY_WEIGHT = 1.0
# Suggestions: how many of the newest prefix matches are ranked.
SUGGEST_CANDIDATES = 200
# Reciprocal rank fusion constant (the usual 60): rank r of a list adds 1 / (RRF_K + r).
RRF_K = vectors.RRF_K
# How many results by words are ranked for the fusion (see `_ranked`).
LEXICAL_WINDOW = 1000
# A case tagged with a measure type the query names (an alias or synonym: "SMEs", "drive-thru")
# gains half the score of a first rank in the fusion: the query's words may match many texts,
# the tag says what the case is about. Half, measured on bench/relevance.py (hybrid nDCG@10
# 0.803 without, 0.823 / 0.834 / 0.839 with a quarter / half / whole first rank; the whole one
# pushed Korean-only answers of English queries out of the first five: docs/benchmarks.md).
TAGGED_BONUS = 0.5 / (RRF_K + 1)
# PostgreSQL, for the search statement only (`_fetch`): no sequential scan of the text table (the
# planner prefers one for a word in most documents, not knowing that each row's tsvector is then
# detoasted: 0.8 s at 100,000 cases against 0.1 s through the GIN index); enough work_mem for the
# candidates' hash and sorts of 100,000 rows to stay in memory; no parallel workers (the planner
# misjudges how many documents a word groups into and picked a parallel sort where one hash is
# faster, and on a busy server each search has a core at most anyway).
PLANNER_SETTINGS = {"enable_seqscan": "off", "work_mem": "'32MB'", "max_parallel_workers_per_gather": "0"}
# The facets with one value per document, counted by one GROUP BY pass over their columns, and
# those with several (a padded slug list), counted by one pass each.
SINGLE_VALUED = ("continent", "country", "year", "lang", "evidence", "size")
GROUPED_COLUMNS = ("continent", "country", "year", "content_language", "evidence", "size")
MULTI_VALUED = ("area", "measure")
_NO_GROUP = ", ".join(["NULL"] * len(GROUPED_COLUMNS))
FACET_GROUP = SearchFacetGroup._meta.db_table
SLUG_MEMBER = SearchSlugSetMember._meta.db_table
# PostgreSQL: what a match carries from the text row its full-text lookup visits (search.models:
# the document's language and numbers), so that no match probes the documents' index.
_CARRIED = ("language", *TEXT_COPIED_COLUMNS)


def _carried(alias: str = "") -> str:
    return ", ".join(f"{alias}.{column}" if alias else column for column in _CARRIED)


# GROUPED_COLUMNS of a facet group (g), a missing year or evidence level back to NULL.
_GROUP_VALUES = "g.continent, g.country, NULLIF(g.year, 0), g.content_language, NULLIF(g.evidence, 0), g.size"

# The order of each sort without words to rank by (ties: newest start date, then page id).
SORT_ORDERS = {
    "newest": "start_date DESC NULLS LAST, page_id DESC",
    "evidence": "evidence DESC NULLS LAST, start_date DESC NULLS LAST, page_id DESC",
}

_WORD_RE = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")
_TRAILING_WORD_RE = re.compile(r"[^\W_]+$")


def _indexed(name: str, vendor: str) -> str:
    """SQLite: scan this covering index of the documents (search.models), in its order, whatever
    the planner statistics say. PostgreSQL has no such hint (nor needs one: see PLANNER_SETTINGS)."""
    return f" INDEXED BY search_doc_{name}" if vendor == "sqlite" else ""


def _placeholders(values: Iterable) -> str:
    return ", ".join(["%s"] * len(list(values)))


def _fts5_phrase(token: str, prefix: bool = False) -> str:
    """One FTS5 string: quoted (so no operator or column syntax can leak) and optionally a prefix."""
    quoted = '"' + token.replace('"', '""') + '"'
    return quoted + " *" if prefix else quoted


def _tsquery_term(token: str, prefix: bool = False) -> str:
    quoted = "'" + token.replace("\\", "").replace("'", "''") + "'"
    return quoted + ":*" if prefix else quoted


def _padded(slugs: Iterable[str]) -> str:
    slugs = [slug for slug in slugs if slug and " " not in slug]
    return f" {' '.join(slugs)} " if slugs else ""


# A term group matches a document when one of its alternatives does (every token of it): one
# word of the query, or a word and its synonyms.
TermGroup = tuple[tuple[str, ...], ...]


_HANGUL_RE = re.compile("[\uac00-\ud7a3]")


@functools.lru_cache(maxsize=4096)
def _phrase_tokens(phrase: str, language: str) -> tuple[str, ...]:
    """A synonym's tokens, analysed as the documents written in its language are."""
    return tuple(analyze_query(phrase, "ko" if _HANGUL_RE.search(phrase) else language))


def term_groups(
    query: str, language: str, tokens: list[str] | None = None, found: list[Expansion] | None = None
) -> list[TermGroup]:
    """The query's terms as groups of alternatives: a word or phrase that names a measure type or
    a thesaurus entry (search.synonyms) is one group with its synonyms in both languages, each
    analysed in its own language, so "SMEs" also finds "small businesses" and "소상공인"; a
    written Korean word that analysis splits is one group of all its parts
    (`_korean_word_parts`); every other analysed token is a group of its own. `found`: the
    query's expansions, when the caller already has them."""
    if tokens is None:
        tokens = analyze_query(query, language) if query.strip() else []
    groups: list[TermGroup] = []
    covered: set[str] = set()
    if found is None:
        found = expansions(query, language) if tokens else []
    for expansion in found if tokens else []:
        matched = tuple(analyze_query(expansion.matched, language))
        if not matched:
            continue
        alternatives = [matched] + [_phrase_tokens(phrase, "en") for phrase in expansion.alternatives]
        groups.append(tuple(dict.fromkeys(alternative for alternative in alternatives if alternative))[:24])
        covered.update(matched)
    words = _korean_word_parts(query, language)
    token_set = set(tokens)
    word_of: dict[str, list[tuple[str, ...]]] = {}  # token -> the words it is the first part of
    for parts in words:
        if len(parts) > 1 and token_set.issuperset(parts) and not covered.intersection(parts):
            word_of.setdefault(parts[0], []).append(parts)
    alone = {parts[0] for parts in words if len(parts) == 1}  # also written as a word of its own
    in_words = {token for split in word_of.values() for parts in split for token in parts}
    for token in dict.fromkeys(tokens):
        groups.extend((parts,) for parts in word_of.get(token, ()))
        if token in covered or (token in in_words and token not in alone):
            continue
        groups.append(((token,),))
    return groups


def _korean_word_parts(query: str, language: str) -> list[tuple[str, ...]]:
    """The tokens of each written Korean word of the query (보조금 -> 보조, 금; 선별진료소를 ->
    선별, 진료, 소; 지원 -> 지원), in query order.

    A word's parts are one term group, all required: the index holds every part of a word it
    holds, so a document with the word still matches, while a document holding only a
    one-syllable part (금, 선, 표 are in a third of Korean texts) is no longer a match for a
    group of its own: those were noise in the results, and on PostgreSQL every such match
    was a row to count."""
    if not _HANGUL_RE.search(query):
        return []
    words: list[tuple[str, ...]] = []
    # A query's tokens stop at MAX_QUERY_TOKENS, so later words cannot form a group: a pasted
    # page of text is not analysed word by word.
    for word in list(dict.fromkeys(query.split()))[:MAX_QUERY_TOKENS]:
        if not _HANGUL_RE.search(word):
            continue
        parts = word_tokens(word, language)
        if parts and parts not in words:
            words.append(parts)
    return words


def minimum_should_match(groups: int) -> int:
    """How many of the query's term groups a document must match (soft AND): all of one or two
    words' worth of query would empty results on one missing word; a long question needs about
    half of its content words."""
    if groups <= 2:
        return 1
    if groups <= 4:
        return groups - 1
    return max(2, math.ceil(groups * 0.5))


def _fts5_group(group: TermGroup) -> str:
    alternatives = [
        "(" + " AND ".join(_fts5_phrase(token) for token in alternative) + ")" for alternative in group
    ]
    return " OR ".join(alternatives)


# Up to this many term groups, the documents matching enough of them are found by FTS5 alone.
PARTITIONED_GROUPS = 4


def _fts5_partitions(groups: list[TermGroup]) -> list[tuple[str, int]]:
    """The documents matching enough term groups as disjoint FTS5 queries, each with how many
    groups its documents match: every group; then (when fewer are needed) every group but one,
    and not that one. Each document comes from exactly one query, so no GROUP BY has to count
    the groups per document (a sort of every match: the cost of a query matching nearly
    everything). [] for longer queries, whose combinations grow too fast."""
    n = len(groups)
    if not n or n > PARTITIONED_GROUPS:
        return []
    expressions = [f"({_fts5_group(group)})" for group in groups]
    partitions = [(" AND ".join(expressions), n)]
    if minimum_should_match(n) < n:  # one group may be missing (n = 2: one of two)
        for missing in range(n):
            others = " AND ".join(e for i, e in enumerate(expressions) if i != missing)
            partitions.append((f"({others}) NOT {expressions[missing]}", n - 1))
    return partitions


def _tsquery_group(group: TermGroup) -> str:
    alternatives = [
        "(" + " & ".join(_tsquery_term(token) for token in alternative) + ")" for alternative in group
    ]
    return " | ".join(alternatives)


@functools.lru_cache(maxsize=50_000)
def _slug_set(slugs: str) -> frozenset[str]:
    """The slugs of a stored (padded) slug list, each once."""
    return frozenset(str(slugs).split())


@functools.lru_cache(maxsize=50_000)
def _word_tokens(word: str, language: str) -> frozenset[str]:
    return frozenset(analyze(word, language))


def highlight(text: str, query_tokens: Iterable[str], language: str) -> str:
    """`text` HTML-escaped, with each word whose analysed tokens meet the query's wrapped in <mark>
    (a Korean word without its particle or ending)."""
    wanted = frozenset(query_tokens)
    if language == "ko":
        # A one-syllable part of a compound query (선별진료소 -> 선별, 진료, 소) would mark every
        # word ending in it (검사소): mark by the longer parts when the query has any.
        wanted = frozenset(token for token in wanted if len(token) > 1) or wanted
    if not text:
        return ""
    if not wanted:
        return html.escape(text)
    out: list[str] = []
    last = 0
    for match in _WORD_RE.finditer(text):
        word = match.group()
        if _word_tokens(word, language) & wanted:
            # Korean: the particle or ending written onto the word stays outside the mark.
            end = korean_content_end(word) if language == "ko" else len(word)
            out.append(html.escape(text[last : match.start()]))
            out.append(f"<mark>{html.escape(word[:end])}</mark>{html.escape(word[end:])}")
            last = match.end()
    out.append(html.escape(text[last:]))
    return "".join(out)


# Browsing's covering indexes (search.models), by the number that leads each.
_BY_NUMBER = {"facet_group": "by_group", "area_set": "by_areas", "measure_set": "by_measures"}
# Which filter a browsing count seeks by, when it has several: the one expected to pass the
# fewest documents. A place or a city size passes a small share of the cases; a policy area or a
# measure type a tenth or less; a year or the language of the content about half.
_NARROW_FACETS = ("continent", "country", "evidence", "size")


def _driving_column(request: SearchRequest, filters: dict[str, tuple[str, list]], strict: bool) -> str | None:
    """The number a count seeks by (an index led by it), or None to scan in GROUP BY order.
    `strict`: the facet groups must pass every single-valued filter, not all but one."""
    narrow_places = strict and "facet_group" in filters and any(getattr(request, f) for f in _NARROW_FACETS)
    for column in ("facet_group" if narrow_places else "", "measure_set", "area_set", "facet_group"):
        if column in filters:
            return column
    return None


def _meaning_values(semantic: dict[int, float], vendor: str) -> tuple[str, list]:
    """The meaning candidates as a VALUES list of (page id, fused score), and its parameters."""
    pairs = sorted(semantic.items())
    row = "(%s, %s)" if vendor == "sqlite" else "(CAST(%s AS bigint), CAST(%s AS double precision))"
    return f"VALUES {', '.join([row] * len(pairs))}", [value for pair in pairs for value in pair]


def _group_condition(request: SearchRequest, facets: list[str], failing: int = 0) -> tuple[str, list]:
    """The document's facet group fails at most `failing` of these single-valued filters."""
    tests, params = [], []
    for facet in facets:
        values = getattr(request, facet)
        column = "content_language" if facet == "lang" else facet
        tests.append(f"g.{column} IN ({_placeholders(values)})")
        params += list(values)
    if failing:
        passing = " + ".join(f"(CASE WHEN {test} THEN 1 ELSE 0 END)" for test in tests)
        where = f"{passing} >= {len(facets) - failing}"
    else:
        where = " AND ".join(tests)
    return f"d.facet_group IN (SELECT g.id FROM {FACET_GROUP} g WHERE {where})", params  # noqa: S608


def _list_condition(facet: str, values: tuple[str, ...]) -> tuple[str, list]:
    """The document's list of areas (or measure types) holds one of `values`."""
    sql = f"d.{facet}_set IN (SELECT s.slug_set_id FROM {SLUG_MEMBER} s WHERE s.slug IN ({_placeholders(values)}))"  # noqa: S608
    return sql, list(values)


def _per_slug(facet: str, per_list: str) -> str:
    """A facet's count rows ('area' or 'measure', slug, n) from `per_list`'s (sid, n) rows: the
    count per numbered list of slugs (none: 0, left out) added up per slug in the database (a
    query matching every case has ~13,000 measure-type lists)."""
    return (
        f"SELECT '{facet}', {_NO_GROUP}, s.slug, NULL, CAST(SUM(x.n) AS bigint), NULL, NULL "  # noqa: S608
        f"FROM ({per_list}) x "
        f"JOIN {SLUG_MEMBER} s ON s.slug_set_id = x.sid GROUP BY s.slug"
    )


class DatabaseSearchBackend:
    """`search.types.SearchBackend` over the SQL database (SQLite FTS5 or PostgreSQL tsvector)."""

    name = "database"

    def __init__(self, using: str = "default"):
        self.using = using

    @property
    def connection(self):
        return connections[self.using]

    @property
    def vendor(self) -> str:
        return self.connection.vendor

    # ----------------------------------------------------------------------------------------
    # Search
    # ----------------------------------------------------------------------------------------
    def _condition(self, facet: str, values: tuple) -> tuple[str, list]:
        """True when a document passes this facet's filter (one of `values`)."""
        if facet in ("area", "measure"):
            # Multi-valued: the stored slugs (" a b ", padded) contain one of the values as a word.
            find = "instr(d.{column}, %s) > 0" if self.vendor == "sqlite" else "strpos(d.{column}, %s) > 0"
            condition = " OR ".join(find.format(column=f"{facet}_slugs") for _ in values)
            return f"({condition})", [f" {value} " for value in values]
        column = "content_language" if facet == "lang" else facet
        return f"d.{column} IN ({_placeholders(values)})", list(values)

    def _flag(self, request: SearchRequest, facet: str) -> tuple[str, list]:
        """1 when a document passes this facet's filter, else 0 (an integer on both vendors),
        from its numbers (facet group, lists): the matches read them from a narrow index."""
        if facet in MULTI_VALUED:
            condition, params = _list_condition(facet, getattr(request, facet))
        else:
            condition, params = _group_condition(request, [facet])
        return f"(CASE WHEN {condition} THEN 1 ELSE 0 END)", params

    def _visible(self, request: SearchRequest) -> tuple[list[str], list]:
        """The conditions every document of a search meets: language, not expired, type."""
        where = ["d.language = %s", "(d.expire_at IS NULL OR d.expire_at > %s)"]
        params: list = [request.language, timezone.now()]
        if request.doc_type:
            where.append(f"d.doc_type IN ({_placeholders(request.doc_type)})")
            params += request.doc_type
        return where, params

    def _matching(
        self,
        request: SearchRequest,
        groups: list[TermGroup],
        active: list[str],
        semantic: dict[int, float],
        named_measures: tuple[str, ...] = (),
    ) -> tuple[str, str, list]:
        """The documents a search starts from, with what the facets need: (ctes, select, params).

        The full-text match in the request's language, plus
        the pages close in meaning (`semantic`: page id -> reciprocal-rank score), visible
        documents only, each row with a 0/1 flag per active filter (`f_<facet>`) and their sum
        (`f_sum`). With n active filters a row counts for the results when f_sum = n, and for
        facet F's counts when every filter but F's passes (f_sum - f_F = n - 1): the
        disjunctive rule. Rows failing two filters or more count nowhere, so they are left out.

        Words are a soft AND (`_candidates`): a document matching more of the query's terms
        ranks higher, and one missing term does not drop it. The score fuses the rank by words
        with the meaning score by reciprocal rank fusion (search/README.md); `tagged` is 1 for a
        document tagged with one of `named_measures` (TAGGED_BONUS).

        The documents' numbers come from the narrow index `search_doc_by_id`, one probe per
        candidate, on SQLite (FTS5 gives ids only); on PostgreSQL from the text rows the GIN
        lookups visit anyway (`_carried`), with no join at all.
        """
        flags = [(facet, *self._flag(request, facet)) for facet in active]
        # The single-valued facets' values come from the document's facet group (`_match_statement`).
        columns = [
            "d.id",
            "d.page_id",
            "d.facet_group",
            "d.area_set",
            "d.measure_set",
            "d.start_date",
            "d.evidence",
        ]
        select_params: list = []
        if named_measures:
            tagged, select_params = _list_condition("measure", named_measures)
            columns.append(f"(CASE WHEN {tagged} THEN 1 ELSE 0 END) AS tagged")
        else:
            columns.append("0 AS tagged")
        for facet, expression, values in flags:
            columns.append(f"{expression} AS f_{facet}")
            select_params += values
        total = " + ".join(expression for _facet, expression, _values in flags) or "0"
        columns.append(f"{total} AS f_sum")
        for _facet, _expression, values in flags:
            select_params += values

        where, where_params = self._visible(request)
        if len(flags) > 1:
            where.append(f"{total} >= {len(flags) - 1}")
            for _facet, _expression, values in flags:
                where_params += values

        ctes, params = self._candidates(request, groups, semantic)
        if self.vendor == "sqlite":
            # CROSS JOIN: SQLite never reorders it, so the candidates drive the join (one probe of
            # the narrow covering index per candidate), whatever the planner statistics say.
            source = f"cand c CROSS JOIN {DOC} d INDEXED BY search_doc_by_id ON d.id = c.id"
            scores = "c.hits, c.lscore, c.sscore"
        else:  # the candidates carry the documents' columns (_carried)
            source, scores = "cand d", "d.hits, d.lscore, d.sscore, d.tid"
        sql = f"SELECT {', '.join(columns)}, {scores} FROM {source} WHERE {' AND '.join(where)}"  # noqa: S608
        params += select_params + where_params
        return ", ".join(ctes) + ", ", sql, params

    def _candidates(
        self, request: SearchRequest, groups: list[TermGroup], semantic: dict[int, float]
    ) -> tuple[list[str], list]:
        """CTEs ending in `cand` (id, hits, lscore, sscore): the documents matching at least
        `minimum_should_match(n)` of the n term groups (hits: groups matched; lscore: the
        sum of the groups' bm25 / ts_rank_cd), and the meaning candidates (sscore: their fused
        rank score; hits 0 and lscore NULL when their words fall short)."""
        ctes: list[str] = []
        params: list = []
        parts: list[str] = []  # rows (id, g: groups matched, s: word score, v: meaning score)
        needed = minimum_should_match(len(groups))
        sqlite = self.vendor == "sqlite"
        if sqlite:
            # One FTS5 query per group: bm25() only works in the query of its MATCH.
            table = fts.words_table(request.language)
            bm25 = f"-bm25({table}, {TITLE_WEIGHT}, {BODY_WEIGHT})"
            match = f"FROM {table} WHERE {table} MATCH %s"  # noqa: S608 - a table name from settings
            partitions = _fts5_partitions(groups)
            if partitions:
                return self._partitioned_candidates(request, partitions, semantic)
            parts += [f"SELECT rowid AS id, 1 AS g, {bm25} AS s, 0.0 AS v {match}" for _group in groups]
            params += [_fts5_group(group) for group in groups]
        elif groups:
            # PostgreSQL: one GIN lookup per group, counted per document below. Nothing reads the
            # documents' tsvectors here (each read detoasts kilobytes: the cost of ranking every
            # match); `s` is only whether the title holds the group, which orders the candidates
            # that `_ranked` ranks by ts_rank_cd (its window only).
            for group in groups:
                in_title = " OR ".join(
                    "("
                    + " AND ".join(["strpos(' ' || t.index_title || ' ', %s) > 0"] * len(alternative))
                    + ")"
                    for alternative in group
                )
                parts.append(
                    # Integers and double precision: numeric would make every sort and sum slower.
                    # `tid`: where the text row is, so that `_ranked` reads its tsvector again by
                    # address (a TID scan), not by a descent of the primary key per ranked row.
                    f"SELECT t.document_id AS id, 1 AS g, CASE WHEN {in_title} THEN 1 ELSE 0 END AS s, "  # noqa: S608
                    f"CAST(0 AS double precision) AS v, t.ctid AS tid, {_carried('t')} FROM {TEXT} t "
                    # The text row's language (the document's): the other language's matches
                    # never reach the GROUP BY or the ranking window.
                    "WHERE t.search_vector @@ to_tsquery('simple', %s) AND t.language = %s"
                )
                params += [f" {token} " for alternative in group for token in alternative]
                params += [_tsquery_group(group), request.language]
            if len(groups) == 1 and not semantic:
                cand = (
                    f"SELECT id, g AS hits, s AS lscore, v AS sscore, tid, {_carried()} FROM ({parts[0]}) u"  # noqa: S608
                )
                # Not materialised: `m` reads the matches straight from the lookup.
                ctes.append(f"cand AS NOT MATERIALIZED ({cand})")
                return ctes, params
            if len(groups) == 1:
                return self._one_group_and_meaning(
                    request, parts[0], params, semantic, _tsquery_group(groups[0])
                )
        if semantic:
            values, sem_params = _meaning_values(semantic, self.vendor)
            ctes.append(f"sem(page_id, s) AS ({values})")
            parts.append(
                f"SELECT d2.id AS id, 0 AS g, {'NULL' if sqlite else 'CAST(NULL AS integer)'} AS s, "  # noqa: S608
                f"sem.s AS v{'' if sqlite else ', CAST(NULL AS tid), ' + _carried('d2')} FROM sem {'CROSS JOIN' if sqlite else 'JOIN'} {DOC} d2 "
                "ON d2.page_id = sem.page_id AND d2.language = %s"
            )
            params.append(request.language)
        else:
            sem_params = []
        union = " UNION ALL ".join(parts)
        # The groups each document matched, counted in one GROUP BY (SQLite: the bm25 of each
        # group add up; PostgreSQL: whether any group is in the title).
        enough = "SUM(g) >= %s"
        # PostgreSQL: a document's carried columns are the same in every row of it.
        carried = "" if sqlite else ", " + _carried()
        ctes.append(
            f"cand AS MATERIALIZED (SELECT id, CASE WHEN {enough} THEN SUM(g) ELSE 0 END AS hits, "  # noqa: S608
            f"CASE WHEN {enough} THEN {'SUM' if sqlite else 'MAX'}(s) END AS lscore, SUM(v) AS sscore"
            f"{'' if sqlite else ', MAX(tid) AS tid'}{carried} "
            f"FROM ({union}) u GROUP BY id{carried} HAVING {enough} OR SUM(v) > 0)"
        )
        return ctes, [*sem_params, needed, needed, *params, needed]

    def _one_group_and_meaning(
        self, request: SearchRequest, lexical: str, params: list, semantic: dict[int, float], query: str
    ) -> tuple[list[str], list]:
        """PostgreSQL, one term group and meaning candidates: each match once, as it comes from
        the GIN lookup, its meaning score looked up among the few candidates (a hashed `IN`,
        then the score of those in it), and the candidates that match no words (each checked
        against its own text row). A GROUP BY over every match (the general case) hashed 100,000
        rows for a word in nearly every case and left the planner expecting 111 of them; a copy
        of the matches joined to the candidates cost 140 ms more than the words alone
        (docs/benchmarks.md)."""
        values, sem_params = _meaning_values(semantic, self.vendor)
        ctes = [
            f"sem(page_id, s) AS ({values})",
            f"semd AS MATERIALIZED (SELECT d2.id AS id, sem.s AS s, {_carried('d2')} FROM sem JOIN {DOC} d2 "  # noqa: S608
            "ON d2.page_id = sem.page_id AND d2.language = %s)",
            "cand AS NOT MATERIALIZED (SELECT lex.id, lex.g AS hits, lex.s AS lscore, "  # noqa: S608
            "CASE WHEN lex.id IN (SELECT id FROM semd) THEN (SELECT semd.s FROM semd WHERE semd.id = lex.id) "
            f"ELSE 0 END AS sscore, lex.tid, {_carried('lex')} FROM ({lexical}) lex "
            f"UNION ALL SELECT semd.id, 0, CAST(NULL AS integer), semd.s, CAST(NULL AS tid), {_carried('semd')} "
            "FROM semd "
            f"WHERE NOT EXISTS (SELECT 1 FROM {TEXT} x WHERE x.document_id = semd.id "
            "AND x.search_vector @@ to_tsquery('simple', %s)))",
        ]
        return ctes, [*sem_params, request.language, *params, query]

    def _partitioned_candidates(
        self, request: SearchRequest, partitions: list[tuple[str, int]], semantic: dict[int, float]
    ) -> tuple[list[str], list]:
        """SQLite, a short query (`_fts5_partitions`): `cand` is the disjoint FTS5 matches, each
        meaning candidate's score joined to its row, and the meaning candidates that match
        no partition (NOT IN builds a lookup of the matches once: asking FTS5 about each
        candidate's rowid cost more)."""
        table = fts.words_table(request.language)
        bm25 = f"-bm25({table}, {TITLE_WEIGHT}, {BODY_WEIGHT})"
        lexical = " UNION ALL ".join(
            f"SELECT rowid AS id, {hits} AS hits, {bm25} AS lscore FROM {table} "  # noqa: S608
            f"WHERE {table} MATCH %s"
            for _expression, hits in partitions
        )
        params: list = [expression for expression, _hits in partitions]
        if not semantic:
            cand = f"SELECT id, hits, lscore, 0.0 AS sscore FROM ({lexical}) u"  # noqa: S608
            # Not materialised: `m` reads the matches straight from FTS5 (a query matching every
            # case would otherwise copy 100,000 rows once more).
            return [f"cand AS NOT MATERIALIZED ({cand})"], params
        values, sem_params = _meaning_values(semantic, self.vendor)
        sem = (
            f"sem_in(page_id, s) AS ({values}), "  # noqa: S608
            f"sem AS MATERIALIZED (SELECT d2.id AS id, sem_in.s AS s FROM sem_in CROSS JOIN {DOC} d2 "
            "ON d2.page_id = sem_in.page_id AND d2.language = %s)"
        )
        sem_params.append(request.language)
        cand = (
            # Not materialised: `m` reads it as it goes (the matches are already copied in lex).
            # IN builds a lookup of the few meaning candidates once; a join to them would scan them
            # once per word match.
            "cand AS NOT MATERIALIZED (SELECT lex.id, lex.hits, lex.lscore, CASE WHEN lex.id IN (SELECT id FROM sem) "  # noqa: S608
            "THEN (SELECT sem.s FROM sem WHERE sem.id = lex.id) ELSE 0.0 END AS sscore "
            "FROM lex UNION ALL SELECT sem.id, 0, NULL, sem.s FROM sem "
            # The meaning candidates that match words, found by one pass over the matches (a
            # lookup of the few candidates): NOT IN over every match would build an index of all.
            "WHERE sem.id NOT IN (SELECT lex.id FROM lex WHERE lex.id IN (SELECT id FROM sem)))"
        )
        return [sem, f"lex AS MATERIALIZED ({lexical})", cand], [*sem_params, *params]

    def _statement(
        self,
        request: SearchRequest,
        groups: list[TermGroup],
        semantic: dict[int, float] | None = None,
        named_measures: tuple[str, ...] = (),
    ) -> tuple[str, list]:
        """The one statement that answers a search: the page of hits, the count and the facets,
        as one UNION ALL of rows (kind, continent, country, year, lang, evidence, size, slugs,
        words, n, id, score):

        - `hit`: the requested page, numbered in order (n, id, score);
        - `group`: how many rows (n) count for the single-valued facets (SINGLE_VALUED) per
          combination of their values: the rows that pass every filter (the results: their sum
          is the count) and those failing exactly one of those facets' filters (they count for
          that facet only: the disjunctive rule; `search` tells them apart by their values).
          With words, `words` is 1 for the rows that match words (the others come from meaning
          alone);
        - `area`, `measure`: how many rows count for that facet per combination of slugs
          (`slugs`, at most a few hundred for areas); `search` splits them into slugs.

        One GROUP BY pass gives the count and six facets. Ties are broken as in every backend:
        newest start date (undated last), then page id.
        """
        active = [facet for facet in FACETS if getattr(request, facet)]
        order = SORT_ORDERS.get(request.sort, SORT_ORDERS["newest"])
        if (groups or semantic) and request.sort == "relevance":
            order = "score DESC, start_date DESC NULLS LAST, page_id DESC"
        # Browsing scans covering indexes directly. On PostgreSQL those are index-only scans once
        # (auto)vacuum has set the table's visibility map: 150 -> 60-120 ms at 100,000 cases
        # against materialising the language's documents (docs/benchmarks.md).
        if groups or semantic:
            return self._match_statement(request, groups, active, order, semantic or {}, named_measures)
        return self._browse_statement(request, active, order)

    @staticmethod
    def _hit_part(page_sql: str, order: str) -> str:
        return (
            "SELECT 'hit' AS kind, NULL AS continent, NULL AS country, NULL AS year, NULL AS lang, "  # noqa: S608
            "NULL AS evidence, NULL AS size, NULL AS slugs, NULL AS words, "
            f"ROW_NUMBER() OVER (ORDER BY {order}) AS n, h.id AS id, "
            f"h.score AS score FROM ({page_sql}) h"
        )

    def _ranked(
        self, request: SearchRequest, results: str, groups: list[TermGroup], by_score: bool
    ) -> tuple[str, str, list]:
        """The results with their fused score: (top CTE, results select, params).

        Reciprocal rank fusion needs each result's rank by words, but only the first ranks
        matter: a result outside the meaning candidates scores by its word rank alone, so a page
        ordered by score comes from the first `offset + page size` by words and the meaning
        candidates. Those are ranked among the first LEXICAL_WINDOW by words (a top-N sort: no
        window over every match, which costs the most when a query matches nearly everything);
        a result ranked by words beyond the window counts as ranked just after it (at most
        1 / (60 + window + 1) too much: below the gap between two meaning ranks). Sorted by
        date, every result carries that score.

        PostgreSQL ranks by ts_rank_cd, which reads (detoasts) each document's tsvector: about
        10 microseconds a document, a second for a query matching 100,000 (docs/benchmarks.md).
        So the window itself is chosen without it, by groups matched, then whether the title
        holds one, then newest, and only its rows are ranked: a query matching at most the
        window (on a site of up to 1,000 cases, every query) is ranked exactly as on SQLite.
        The results after the window follow it by groups matched, then newest."""
        sqlite = self.vendor == "sqlite"
        deep = request.page * request.page_size > LEXICAL_WINDOW
        # SQLite's window grows with the page asked for (bm25 is already there). PostgreSQL's
        # stays: grown, it would let new rows outrank those already shown on earlier pages.
        window = max(LEXICAL_WINDOW, request.page * request.page_size) if sqlite else LEXICAL_WINDOW
        weight = f"(m.hits * 1.0 / {max(len(groups), 1)})"
        order = "m.hits DESC, m.lscore DESC, m.page_id DESC"
        words = f"m.id, m.page_id, m.hits, m.lscore, m.sscore, m.tagged, m.start_date, m.evidence{'' if sqlite else ', m.tid'} FROM m WHERE {results}"
        if sqlite or not groups:  # bm25 is already there; or nothing to rank
            ranked = f"SELECT {words} AND m.lscore IS NOT NULL ORDER BY {order} LIMIT %s"  # noqa: S608
            params: list = [window]
        else:
            query = " | ".join(f"({_tsquery_group(group)})" for group in groups)
            ranked = (
                # The first candidates (lscore: a group is in the title), then ts_rank_cd for those.
                "SELECT r.id, r.page_id, r.hits, ts_rank_cd(x.search_vector, to_tsquery('simple', %s)) "  # noqa: S608
                f"AS lscore, r.sscore, r.tagged, r.start_date, r.evidence FROM (SELECT {words} AND m.lscore IS NOT NULL "
                f"ORDER BY {order} LIMIT %s) r JOIN {TEXT} x ON x.ctid = r.tid "
                "ORDER BY r.hits DESC, lscore DESC, r.page_id DESC LIMIT %s"
            )
            params = [query, window, window]
        top = (
            ", top AS MATERIALIZED (SELECT t.id, t.page_id, t.start_date, t.evidence, "  # noqa: S608
            f"t.sscore + t.tagged * {TAGGED_BONUS} + "
            f"{weight.replace('m.', 't.')} / ({RRF_K} + ROW_NUMBER() OVER (ORDER BY "
            f"{order.replace('m.', 't.')})) AS score FROM ({ranked}) t)"
        )
        beyond = (
            f"(CASE WHEN m.lscore IS NULL THEN 0.0 ELSE {weight} / ({RRF_K} + {window} + 1) END) "
            f"+ m.sscore + m.tagged * {TAGGED_BONUS}"
        )
        if by_score and (sqlite or not deep):
            select = (
                # top carries what the page needs: joined back to m, SQLite would scan m per row.
                "SELECT top.id, top.page_id, top.score, top.start_date, top.evidence FROM top "  # noqa: S608
                f"UNION ALL SELECT m.id, m.page_id, {beyond}, m.start_date, m.evidence FROM m "
                f"WHERE {results} AND (m.sscore > 0 OR m.tagged = 1) AND m.id NOT IN (SELECT id FROM top)"
            )
        else:
            select = (
                f"SELECT m.id, m.page_id, COALESCE(top.score, {beyond}) AS score, m.start_date, m.evidence "  # noqa: S608
                f"FROM m LEFT JOIN top ON top.id = m.id WHERE {results}"
            )
        return top, select, params

    def _match_statement(
        self,
        request: SearchRequest,
        groups: list[TermGroup],
        active: list[str],
        order: str,
        semantic: dict[int, float],
        named_measures: tuple[str, ...] = (),
    ) -> tuple[str, list]:
        """Every part scans `m`, the match materialised once (`_matching`)."""
        n = len(active)
        ctes, m_sql, params = self._matching(request, groups, active, semantic, named_measures)

        def where(skip: str | None = None) -> str:
            if not active:
                return "1 = 1"
            if skip in active:
                return f"m.f_sum - m.f_{skip} = {n - 1}"
            return f"m.f_sum = {n}"

        top_cte, results, top_params = self._ranked(request, where(), groups, order.startswith("score"))
        statement = f"WITH {ctes}m AS MATERIALIZED ({m_sql}){top_cte}"
        params += top_params
        page = f"SELECT * FROM ({results}) r ORDER BY {order} LIMIT %s OFFSET %s"  # noqa: S608
        params += [request.page_size, (request.page - 1) * request.page_size]

        # m holds no row failing two filters (see _matching); the groups leave out those failing
        # the area or measure filter, which count for that facet only (a row failing the
        # language filter is told apart by its language, as the single-valued facets).
        multi = [f"m.f_{facet} = 1" for facet in MULTI_VALUED if facet in active]
        words = "CASE WHEN m.hits > 0 THEN 1 ELSE 0 END" if groups else "NULL"
        # Counted per facet group (one integer: a sort on one key, not six), then the few groups
        # take their values from the group table.
        parts = [
            self._hit_part(page, order),
            f"SELECT 'group', {_GROUP_VALUES}, NULL, x.words, x.n, NULL, NULL FROM ("  # noqa: S608
            f"SELECT m.facet_group AS fg, {words} AS words, COUNT(*) AS n FROM m "
            f"WHERE {' AND '.join(multi) or '1 = 1'} GROUP BY m.facet_group{', ' + words if groups else ''}"
            f") x JOIN {FACET_GROUP} g ON g.id = x.fg",
        ]
        for facet in MULTI_VALUED:
            parts.append(
                _per_slug(
                    facet,
                    f"SELECT m.{facet}_set AS sid, COUNT(*) AS n FROM m "  # noqa: S608
                    f"WHERE {where(facet)} AND m.{facet}_set <> 0 GROUP BY m.{facet}_set",
                )
            )
        return f"{statement} " + " UNION ALL ".join(parts), params

    def _browse_statement(self, request: SearchRequest, active: list[str], order: str) -> tuple[str, list]:
        """Browsing (no query words): nothing is materialised. The page comes straight
        from the browse index (`search_doc_browse`: language, start date, page, ...), which
        yields the documents newest first, so the scan stops after the page. Each count groups
        by one number (facet group, area list, measure-type list) in a covering index led by a
        number (search.models): it seeks only the entries whose number passes one of the other
        facets' filters (`_driving_column`), or, with none, scans the language's entries in
        its GROUP BY order. Either way no temporary B-tree sorts 100,000 rows."""
        visible, visible_params = self._visible(request)
        conditions = {facet: self._condition(facet, getattr(request, facet)) for facet in active}
        page_where = " AND ".join([*visible, *(conditions[facet][0] for facet in active)])
        params = visible_params + [value for facet in active for value in conditions[facet][1]]
        page = (
            f"SELECT d.id, d.page_id, NULL AS score, d.start_date, d.evidence FROM {DOC} d{_indexed('browse', self.vendor)} "  # noqa: S608
            f"WHERE {page_where} ORDER BY d.{order.replace(', ', ', d.')} LIMIT %s OFFSET %s"
        )
        params += [request.page_size, (request.page - 1) * request.page_size]
        parts = [self._hit_part(page, order)]

        single = [facet for facet in active if facet in SINGLE_VALUED]
        multi = [facet for facet in active if facet in MULTI_VALUED]

        def counted(grouped: str, filters: dict[str, tuple[str, list]]) -> str:
            """One language's visible documents passing `filters` (column -> condition), as
            (number, n) rows grouped by the `grouped` number."""
            driving = _driving_column(request, filters, strict=grouped != "facet_group") or grouped
            where = [*visible, *(sql for sql, _params in filters.values()), f"d.{grouped} <> 0"]
            params.extend(visible_params + [value for _sql, values in filters.values() for value in values])
            return (
                f"SELECT d.{grouped} AS sid, COUNT(*) AS n FROM {DOC} d{_indexed(_BY_NUMBER[driving], self.vendor)} "  # noqa: S608
                f"WHERE {' AND '.join(where)} GROUP BY d.{grouped}"
            )

        # The groups: every filter but the single-valued ones, and of those at most one failing
        # (which one follows from the group's values).
        filters = {f"{facet}_set": _list_condition(facet, getattr(request, facet)) for facet in multi}
        if len(single) > 1:
            filters["facet_group"] = _group_condition(request, single, failing=1)
        parts.append(
            f"SELECT 'group', {_GROUP_VALUES}, NULL, NULL, x.n, NULL, NULL FROM ("  # noqa: S608
            f"{counted('facet_group', filters)}) x JOIN {FACET_GROUP} g ON g.id = x.sid"
        )
        for facet in MULTI_VALUED:
            filters = {f"{other}_set": _list_condition(other, getattr(request, other)) for other in multi}
            filters.pop(f"{facet}_set", None)
            if single:
                filters["facet_group"] = _group_condition(request, single, failing=0)
            parts.append(_per_slug(facet, counted(f"{facet}_set", filters)))
        return " UNION ALL ".join(parts), params

    def _semantic(self, request: SearchRequest) -> dict[int, float]:
        """Pages close in meaning to the query (page id -> fused rank score), or {} when meaning
        search is off or unavailable: the search then answers by words, with a logged warning."""
        if not request.query.strip() or not semantic_enabled():
            return {}
        try:
            return vectors.semantic_ranks(request.query, request.language, using=self.using)
        except EmbedderUnavailable as exc:
            logger.warning("search: meaning search unavailable (%s); answering by words", exc)
        except Exception:
            logger.warning("search: meaning search failed; answering by words", exc_info=True)
        return {}

    def _fetch(self, sql: str, params: list) -> list[tuple]:
        """Run the search statement; on PostgreSQL with its planner settings (PLANNER_SETTINGS),
        set before it and reset after it in the same round trip, so that nothing else on the
        connection plans with them and a search stays two statements."""
        with self.connection.cursor() as cursor:
            if self.vendor != "postgresql":
                cursor.execute(sql, params)
                return cursor.fetchall()
            sets = [f"SET {name} = {value}" for name, value in PLANNER_SETTINGS.items()]
            resets = [f"RESET {name}" for name in PLANNER_SETTINGS]
            try:
                if self.connection.settings_dict.get("OPTIONS", {}).get("server_side_binding"):
                    # Server-side binding takes one statement per round trip.
                    for statement in sets:
                        cursor.execute(statement)
                    cursor.execute(sql, params)
                    rows = cursor.fetchall()
                    for statement in resets:
                        cursor.execute(statement)
                    return rows
                # Django's default, client-side binding: one round trip holds them all.
                cursor.execute("; ".join([*sets, sql, *resets]), params)
                for _setting in sets:
                    cursor.nextset()
                return cursor.fetchall()
            except DatabaseError:
                with contextlib.suppress(DatabaseError):  # in an aborted transaction its rollback does it
                    cursor.execute("; ".join(f"RESET {name}" for name in PLANNER_SETTINGS))
                raise

    def search(self, request: SearchRequest) -> SearchResponse:
        if request.like:
            tokens, groups, found = [], [], []
            semantic = {
                pk: 1.0 / (RRF_K + rank) for rank, pk in enumerate(stored_neighbours(request.like), 1)
            }
            if not semantic:  # nothing stored (yet): no results rather than everything
                semantic = {0: 0.0}
        else:
            tokens = analyze_query(request.query, request.language) if request.query.strip() else []
            found = expansions(request.query, request.language) if tokens else []
            groups = term_groups(request.query, request.language, tokens, found)
            semantic = self._semantic(request) if groups else {}
        named = named_measures(found) if groups else ()
        sql, params = self._statement(request, groups, semantic, named)
        rows = self._fetch(sql, params)

        count = 0
        word_matches = 0
        hits_order: list[tuple[int, int, float | None]] = []
        facets: dict[str, dict[str, int]] = {facet: {} for facet in FACETS}
        selected = [(facet, {str(value) for value in getattr(request, facet)}) for facet in SINGLE_VALUED]
        for kind, *values, slugs, words, n, doc_id, score in rows:
            if kind == "hit":
                hits_order.append((n, doc_id, score))
            elif kind == "group":
                # Rows of one combination of the single-valued facets' values that fail at most
                # one of their filters: which one follows from the values. They count for the
                # results when none fails, else for the failing filter's facet only.
                keys = [None if value is None or value == "" else str(value) for value in values]
                failing = [
                    i for i, (_facet, chosen) in enumerate(selected) if chosen and keys[i] not in chosen
                ]
                if not failing:
                    count += n
                    if words:
                        word_matches += n
                    counted = range(len(selected))
                else:
                    counted = failing if len(failing) == 1 else ()
                for i in counted:
                    if keys[i] is not None:
                        counts = facets[selected[i][0]]
                        counts[keys[i]] = counts.get(keys[i], 0) + n
            else:  # a combination of area or measure slugs: count each slug
                counts = facets[kind]
                for slug in _slug_set(slugs):
                    counts[slug] = counts.get(slug, 0) + n
        for facet in FACETS:
            counts = facets[facet]
            for selected in getattr(request, facet):
                counts.setdefault(str(selected), 0)
            facets[facet] = dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))

        hits_order.sort()
        hits = self._hits([(doc_id, score) for _n, doc_id, score in hits_order], request, tokens)
        num_pages = max(1, math.ceil(count / request.page_size))
        return SearchResponse(
            count=count,
            page=request.page,
            num_pages=num_pages,
            hits=hits,
            facets=facets,
            backend=self.name,
            word_matches=word_matches if groups else None,
        )

    def _hits(
        self, ranked: list[tuple[int, float | None]], request: SearchRequest, tokens
    ) -> list[SearchHit]:
        if not ranked:
            return []

        rows = {
            doc.pk: doc
            for doc in SearchDocument.objects.using(self.using).filter(
                pk__in=[doc_id for doc_id, _score in ranked]
            )
        }
        hits = []
        for doc_id, score in ranked:
            doc = rows.get(doc_id)
            if doc is None:  # removed between the two statements
                continue
            city = doc.city_name_ko if request.language == "ko" and doc.city_name_ko else doc.city_name
            hits.append(
                SearchHit(
                    page_id=doc.page_id,
                    doc_type=doc.doc_type,
                    title=doc.title,
                    url=doc.url,
                    locale=doc.content_language or doc.language,
                    city=city,
                    country=doc.country,
                    country_name=country_name(doc.country, request.language),
                    continent=doc.continent,
                    policy_areas=doc.area_slugs.split(),
                    measure_types=doc.measure_slugs.split(),
                    start_date=doc.start_date,
                    summary=doc.summary,
                    highlight=highlight(doc.summary, tokens, doc.content_language or request.language),
                    score=float(score) if score is not None else None,
                    language=doc.content_language or doc.language,
                    translated=(doc.content_language or doc.language) == request.language,
                    evidence=doc.evidence,
                    size=doc.size,
                )
            )
        return hits

    # ----------------------------------------------------------------------------------------
    # Suggestions
    # ----------------------------------------------------------------------------------------
    def _prefix_terms(self, language: str, text: str) -> list[tuple[str, bool]]:
        """(term, is_prefix) pairs: the finished words unstemmed, the word being typed as a prefix."""
        parsed = prefix_tokens(text, language)
        head = text
        if parsed.prefix is not None:
            trailing = _TRAILING_WORD_RE.search(text)
            head = text[: trailing.start()] if trailing else text
        terms = [(token, True) for token in dict.fromkeys(autocomplete_text(head, language).split())]
        if parsed.prefix:
            terms.append((parsed.prefix, True))
        return terms[:8]

    def _suggest_pages(self, language: str, text: str, limit: int) -> list[Suggestion]:
        terms = self._prefix_terms(language, text)
        if not terms:
            return []
        # Titles written in the visitor's language only: autocomplete completes what they type.
        visible = "d.language = %s AND d.content_language = d.language AND (d.expire_at IS NULL OR d.expire_at > %s)"
        # Ranking every title that starts with "d" would cost more than the whole search: rank
        # the most recent CANDIDATES matches only (the index yields them newest first, cheaply).
        if self.vendor == "sqlite":
            match = " ".join(_fts5_phrase(term, prefix) for term, prefix in terms)
            sql = (
                f"SELECT title, url, doc_type FROM (SELECT d.id, d.title, d.url, d.doc_type, "  # noqa: S608
                f"d.start_date, {fts.SUGGEST_TABLE}.rank AS r FROM {fts.SUGGEST_TABLE} "
                f"CROSS JOIN {DOC} d ON d.id = {fts.SUGGEST_TABLE}.rowid "
                f"WHERE {fts.SUGGEST_TABLE} MATCH %s AND {visible} "
                f"ORDER BY {fts.SUGGEST_TABLE}.rowid DESC LIMIT {SUGGEST_CANDIDATES}) c "
                f"ORDER BY r, start_date DESC, id DESC LIMIT %s"
            )
        else:
            match = " & ".join(_tsquery_term(term, prefix) for term, prefix in terms)
            sql = (
                f"SELECT title, url, doc_type FROM (SELECT d.id, d.title, d.url, d.doc_type, "  # noqa: S608
                f"d.start_date, ts_rank(t.suggest_vector, q.query) AS r "
                f"FROM {TEXT} t JOIN {DOC} d ON d.id = t.document_id "
                f"CROSS JOIN to_tsquery('simple', %s) AS q(query) "
                f"WHERE t.suggest_vector @@ q.query AND {visible} "
                f"ORDER BY d.id DESC LIMIT {SUGGEST_CANDIDATES}) c "
                f"ORDER BY r DESC, start_date DESC NULLS LAST, id DESC LIMIT %s"
            )
        with self.connection.cursor() as cursor:
            cursor.execute(sql, [match, language, timezone.now(), limit])
            rows = cursor.fetchall()
        return [
            Suggestion(kind=doc_type if doc_type in ("case", "session") else "case", label=t, url=u, value=t)
            for t, u, doc_type in rows
        ]

    def suggest(self, language: str, prefix: str, limit: int = 8) -> list[Suggestion]:
        from django.urls import reverse
        from django.utils.http import urlencode
        from django.utils.translation import override

        from casestudies.models import City, MeasureType

        text = " ".join(prefix.split())
        if not text or limit <= 0:
            return []
        now = timezone.now()
        visible_docs = SearchDocument.objects.using(self.using).filter(
            Q(expire_at__isnull=True) | Q(expire_at__gt=now), language=language
        )
        with override(language):
            search_url = reverse("search")
        suggestions: list[Suggestion] = []
        short = min(3, limit)

        cities = (
            City.objects.using(self.using)
            .filter(
                Q(name__istartswith=text)
                | Q(name_ko__istartswith=text)
                # another spelling (one per line): "Timis" suggests Timișoara
                | Q(aliases__istartswith=text)
                | Q(aliases__icontains=f"\n{text}")
            )
            .filter(Exists(visible_docs.filter(city_id=OuterRef("pk"))))
            .order_by("name")[:short]
        )
        for city in cities:
            name = city.name_ko if language == "ko" and city.name_ko else city.name
            with override(language):
                label = f"{name}, {city.country.name}"
            suggestions.append(
                Suggestion(kind="city", label=label, url=f"{search_url}?{urlencode({'q': name})}", value=name)
            )

        measures = (
            MeasureType.objects.using(self.using)
            .filter(
                Q(name__istartswith=text)
                | Q(name_ko__istartswith=text)
                | Q(name__icontains=f" {text}")
                | Q(name__icontains=f"-{text}")
                | Q(name_ko__icontains=f" {text}")
            )
            .filter(
                Exists(
                    SearchDocumentMeasure.objects.using(self.using).filter(
                        Q(document__expire_at__isnull=True) | Q(document__expire_at__gt=now),
                        slug=OuterRef("slug"),
                        document__language=language,
                    )
                )
            )
            .order_by("name")[:short]
        )
        for measure in measures:
            name = measure.name_ko if language == "ko" and measure.name_ko else measure.name
            url = f"{search_url}?{urlencode({'measure': measure.slug})}"
            suggestions.append(Suggestion(kind="measure", label=name, url=url, value=measure.slug))

        pages = self._suggest_pages(language, text, max(limit - len(suggestions), 0) or 1)
        # Pages first (what people type for), then cities and measure types; at most `limit`.
        combined = pages + suggestions
        return combined[:limit]

    # ----------------------------------------------------------------------------------------
    # Indexing
    # ----------------------------------------------------------------------------------------
    @staticmethod
    def _row(document: IndexedDocument) -> SearchDocument:
        return SearchDocument(
            page_id=document.page_id,
            language=document.language,
            content_language=document.content_language,
            embed_hash=vectors.text_hash(vectors.embedding_text(document)),
            doc_type=document.doc_type,
            title=document.title[:255],
            summary=document.summary,
            url=document.url_path[:500],
            city_id=document.city_id,
            city_name=document.city_name[:100],
            city_name_ko=document.city_name_ko[:100],
            country=document.country[:2],
            continent=document.continent[:20],
            start_date=document.start_date,
            year=document.year,
            published_at=document.published_at,
            expire_at=document.expire_at,
            # Padded (" a b "): a filter finds " a " as a whole word without concatenating.
            area_slugs=_padded(document.area_slugs),
            measure_slugs=_padded(document.measure_slugs),
            evidence=document.evidence,
            size=document.size,
        )

    @staticmethod
    def _text(document: IndexedDocument) -> tuple[str, str, str]:
        language = document.content_language
        return (
            to_index_text(document.title, language),
            to_index_text(document.body_text or document.title, language),
            autocomplete_text(document.title, language),
        )

    def _write(self, page_ids: list[int], documents: list[IndexedDocument]) -> None:
        # Analysed outside the transaction, once per page (a page listed in two languages has
        # one text).
        analysed: dict[int, tuple[str, str, str]] = {}
        for document in documents:
            if document.page_id not in analysed:
                analysed[document.page_id] = self._text(document)
        texts = [analysed[document.page_id] for document in documents]
        rows = [self._row(document) for document in documents]
        with transaction.atomic(using=self.using):
            keys = [SearchFacetGroup.key_of(row) for row in rows]
            groups = SearchFacetGroup.ids_for(set(keys), self.using)
            area_sets = SearchSlugSet.ids_for("area", {row.area_slugs for row in rows}, self.using)
            measure_sets = SearchSlugSet.ids_for("measure", {row.measure_slugs for row in rows}, self.using)
            for row, key in zip(rows, keys, strict=True):
                row.facet_group = groups[key]
                row.area_set, row.measure_set = area_sets[row.area_slugs], measure_sets[row.measure_slugs]
            self._delete(page_ids)
            created = SearchDocument.objects.using(self.using).bulk_create(rows)
            text_rows, areas, measures = [], [], []
            for row, document, (title, body, prefix) in zip(created, documents, texts, strict=True):
                text_rows.append(
                    SearchDocumentText(
                        document_id=row.pk,
                        language=row.language,
                        index_title=title,
                        index_body=body,
                        index_prefix=prefix,
                        **{column: getattr(row, column) for column in TEXT_COPIED_COLUMNS},
                    )
                )
                areas.extend(SearchDocumentArea(document_id=row.pk, slug=s[:40]) for s in document.area_slugs)
                measures.extend(
                    SearchDocumentMeasure(document_id=row.pk, slug=s[:100]) for s in document.measure_slugs
                )
            SearchDocumentText.objects.using(self.using).bulk_create(text_rows)
            SearchDocumentArea.objects.using(self.using).bulk_create(areas)
            SearchDocumentMeasure.objects.using(self.using).bulk_create(measures)
            spelling.documents_written(self.using, documents, texts)

    def _delete(self, page_ids: list[int]) -> None:
        if not page_ids:
            return
        spelling.documents_removed(self.connection, page_ids)
        marks = _placeholders(page_ids)
        docs = f"SELECT id FROM {DOC} WHERE page_id IN ({marks})"  # noqa: S608
        with self.connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {TEXT} WHERE document_id IN ({docs})", page_ids)  # noqa: S608
            cursor.execute(f"DELETE FROM {AREA} WHERE document_id IN ({docs})", page_ids)  # noqa: S608
            cursor.execute(f"DELETE FROM {MEASURE} WHERE document_id IN ({docs})", page_ids)  # noqa: S608
            cursor.execute(f"DELETE FROM {DOC} WHERE page_id IN ({marks})", page_ids)  # noqa: S608

    def index_pages(self, page_ids: list[int], leaving: Iterable[int] = ()) -> None:
        ids = list(dict.fromkeys(int(pk) for pk in page_ids))
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            self._write(chunk, build_documents(chunk, leaving=leaving))

    def index_documents(self, documents: list[IndexedDocument]) -> None:
        """Write already-built documents (replacing any row of the same page)."""
        self._write([document.page_id for document in documents], documents)

    def remove_pages(self, page_ids: list[int]) -> None:
        with transaction.atomic(using=self.using):
            self._delete([int(pk) for pk in page_ids])

    def rebuild(self, progress=None, batch_size: int = 500) -> int:
        """Re-index every page batch by batch (the index keeps answering meanwhile), then drop the
        documents of pages that no longer belong. `progress(done, total)` is called per batch."""
        from search.analysis import analyzer_signature
        from search.documents import indexable_pages
        from search.models import SearchIndexState

        fts.install(self.connection)
        total = count_indexable()
        done = 0
        seen: set[int] = set()
        if progress:
            progress(0, total)
        for documents in iter_document_batches(batch_size):
            self.index_documents(documents)
            pages = {document.page_id for document in documents}
            seen.update(pages)
            done += len(pages)
            if progress:
                progress(done, max(total, done))
        # Documents not rewritten by this rebuild: stale, unless their page was published meanwhile.
        candidates = set(SearchDocument.objects.using(self.using).values_list("page_id", flat=True)) - seen
        candidates_list = sorted(candidates)
        for start in range(0, len(candidates_list), 500):
            chunk = candidates_list[start : start + 500]
            keep = set(indexable_pages().filter(pk__in=chunk).values_list("pk", flat=True))
            self.remove_pages([pk for pk in chunk if pk not in keep])
        spelling.index_rebuilt(self.using)
        fts.optimize(self.connection)
        SearchIndexState.objects.using(self.using).update_or_create(
            key="analyzer", defaults={"value": analyzer_signature()}
        )
        return done
