"""The index itself: documents built from case pages, the rebuild command, taxonomy edits, backend choice."""

from __future__ import annotations

import datetime
import io
import logging

import pytest

from django.core.management import CommandError, call_command

from wagtail.rich_text import RichText

from casestudies.models import CaseStudyPage, PolicyArea
from search import service
from search.documents import build_document, build_documents, get_document_builder, iter_document_batches
from search.factories import CityFactory, MeasureTypeFactory, make_case
from search.models import (
    SearchDocument,
    SearchDocumentArea,
    SearchDocumentText,
    SearchFacetGroup,
    SearchIndexState,
    SearchSlugSet,
)
from search.types import SearchRequest

pytestmark = pytest.mark.django_db


def titles(language="en", query="", **filters):
    request = SearchRequest(language=language, query=query, page_size=100, **filters)
    return {hit.title for hit in service.search(request).hits}


def test_case_document_has_every_searchable_field(db):
    city = CityFactory(name="Seoul", name_ko="서울", slug="seoul", country="KR", continent="asia")
    measure = MeasureTypeFactory(name="Drive-in swabs", name_ko="드라이브인 검체", slug="dt-test")
    page = make_case(
        "Drive-through stations",
        summary="Cars drive through.",
        text="Swabs were taken <b>without</b> leaving the car.",
        city=city,
        areas=["quarantine", "smart-city"],
        measures=[measure],
        start_date=datetime.date(2020, 3, 1),
        outcomes="<p>Ten minutes per test.</p>",
        lessons_learned="<ul><li>Plan traffic.</li></ul>",
    )
    page.body = [
        ("paragraph", RichText("<p>Swabs were taken <b>without</b> leaving the car.</p>")),
        ("heading", {"text": "How it worked", "level": "h2"}),
        ("quote", {"text": "Fast and safe.", "attribution": "Health bureau"}),
    ]
    page.save_revision().publish()
    document = build_document(CaseStudyPage.objects.get(pk=page.pk))
    assert get_document_builder(CaseStudyPage) is not None
    assert (document.doc_type, document.language, document.title) == ("case", "en", "Drive-through stations")
    for text in (
        "Cars drive through.",
        "Swabs were taken without leaving the car.",
        "How it worked",
        "Fast and safe.",
        "Ten minutes per test.",
        "Plan traffic.",
        "Seoul",
        "서울",
        "Drive-in swabs",
        "드라이브인 검체",
    ):
        assert text in document.body_text, text
    assert "<b>" not in document.body_text and "<p>" not in document.body_text
    assert (document.city_name, document.city_name_ko, document.country, document.continent) == (
        "Seoul",
        "서울",
        "KR",
        "asia",
    )
    assert document.area_slugs == ["quarantine", "smart-city"]
    assert document.measure_slugs == ["dt-test"]
    assert (document.start_date, document.year) == (datetime.date(2020, 3, 1), 2020)
    assert document.url_path == page.url == "/en/cases/drive-through-stations/"
    assert document.published_at is not None


def test_build_documents_skips_what_must_not_be_indexed(db):
    live = make_case("Live one")
    draft = make_case("Draft one", publish=False)
    documents = build_documents([live.pk, draft.pk, live.get_parent().pk, 999_999])
    # One document per language whose searches list the page: English, and Korean (no Korean
    # version exists), both written in English.
    assert {(d.page_id, d.language, d.content_language) for d in documents} == {
        (live.pk, "en", "en"),
        (live.pk, "ko", "en"),
    }


def test_iter_document_batches(db):
    pages = [make_case(f"Case {n}") for n in range(5)]
    batches = list(iter_document_batches(batch_size=2))
    assert [len({d.page_id for d in batch}) for batch in batches] == [2, 2, 1]
    assert sorted({d.page_id for batch in batches for d in batch}) == sorted(p.pk for p in pages)


def test_rebuild_command(db):
    make_case("Alpha case", areas=["education"])
    make_case("Beta case", areas=["welfare"])
    # Simulate a lost and a stale index.
    SearchDocument.objects.filter(title="Alpha case").delete()
    stale = make_case("Gamma case")
    CaseStudyPage.objects.filter(pk=stale.pk).update(live=False)  # unpublished behind our back
    assert titles() == {"Beta case", "Gamma case"}
    out, err = io.StringIO(), io.StringIO()
    call_command("rebuild_search_index", "--batch-size", "1", stdout=out, stderr=err)
    assert titles() == {"Alpha case", "Beta case"}
    assert "database: 2 pages indexed" in out.getvalue()
    assert "100%" in err.getvalue() and "2/2" in err.getvalue()
    assert SearchDocumentArea.objects.filter(slug="education", document__language="en").count() == 1
    # Each English-only page is listed in both languages' searches.
    assert SearchDocumentText.objects.count() == SearchDocument.objects.count() == 4
    assert SearchIndexState.objects.get(key="analyzer").value.startswith("cac-analysis")


def test_rebuild_command_rejects_a_bad_batch_size(db):
    with pytest.raises(CommandError):
        call_command("rebuild_search_index", "--batch-size", "0", stdout=io.StringIO(), stderr=io.StringIO())


def test_rebuild_is_idempotent(db):
    make_case("Alpha case")
    for _ in range(2):
        call_command("rebuild_search_index", "--no-progress", stdout=io.StringIO())
    assert SearchDocument.objects.count() == 2  # listed in English and in Korean
    assert titles(query="alpha") == {"Alpha case"}


def test_city_rename_reindexes_its_cases(db):
    city = CityFactory(name="Kyiv", name_ko="키이우", slug="kyiv", country="UA", continent="europe")
    make_case("Shelters in the metro", city=city)
    assert titles(query="Kyiv") == {"Shelters in the metro"}
    city.name = "Kiev"
    city.save()
    assert titles(query="Kiev") == {"Shelters in the metro"}
    assert titles(query="Kyiv") == set()
    hit = service.search(SearchRequest(language="en", query="shelters")).hits[0]
    assert hit.city == "Kiev"


def test_measure_rename_and_delete_reindex_their_cases(db):
    measure = MeasureTypeFactory(name="Rent freeze", name_ko="임대료 동결", slug="rent-freeze")
    make_case("Housing support", measures=[measure])
    assert titles(query="freeze") == {"Housing support"}
    measure.name = "Rent moratorium"
    measure.save()
    assert titles(query="moratorium") == {"Housing support"}
    measure.delete()
    assert titles(query="moratorium") == set()
    assert titles(measure=("rent-freeze",)) == set()


def test_index_survives_a_failing_builder(db, caplog, monkeypatch):
    import search.documents as documents

    page = make_case("Fragile case")
    registration = next(r for m, r in documents._registry.items() if m is CaseStudyPage)

    def broken(page):
        raise RuntimeError("boom")

    monkeypatch.setattr(registration, "builder", broken)
    with caplog.at_level(logging.ERROR, logger="search.documents"):
        assert build_documents([page.pk]) == []
    assert "could not build the document" in caplog.text


def test_elasticsearch_unavailable_falls_back_to_the_database(db, settings, caplog):
    make_case("Fallback case")
    settings.ELASTICSEARCH_URL = "http://127.0.0.1:9"  # nothing listens there
    settings.CAC_SEARCH_BACKEND = "elasticsearch"
    service.reset_backend()
    try:
        with caplog.at_level(logging.WARNING, logger="search.service"):
            response = service.search(SearchRequest(language="en", query="fallback"))
            suggestions = service.suggest("en", "fallb")
        assert response.backend == "database"
        assert [hit.title for hit in response.hits] == ["Fallback case"]
        assert [s.label for s in suggestions] == ["Fallback case"]
        assert "answering from the database" in caplog.text
    finally:
        service.reset_backend()


def test_missing_elasticsearch_url_means_the_database(db, settings):
    settings.ELASTICSEARCH_URL = ""
    settings.CAC_SEARCH_BACKEND = "elasticsearch"
    service.reset_backend()
    try:
        assert service.get_backend().name == "database"
    finally:
        service.reset_backend()


def test_default_backend_is_the_database(db, settings):
    settings.CAC_SEARCH_BACKEND = "database"
    service.reset_backend()
    assert service.get_backend().name == "database"


def test_statistics_migration_analyzes_the_search_tables(db):
    """Migration 0007 refreshes the planner statistics (without them SQLite may probe FTS5 once
    per document: docs/benchmarks.md, "## Search")."""
    import importlib
    from types import SimpleNamespace

    from django.db import connection

    make_case("Statistics for the planner")
    migration = importlib.import_module("search.migrations.0007_analyze")
    migration.analyze(None, SimpleNamespace(connection=connection))  # what RunPython passes it uses
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT DISTINCT idx FROM sqlite_stat1 WHERE tbl = 'search_searchdocument'")
            assert {"search_doc_browse", "search_doc_by_id"} <= {row[0] for row in cursor.fetchall()}
        else:
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'search_searchdocument'")
            assert cursor.fetchone()[0] >= 1


# serialized_rollback, as every transactional test here: a plain flush at teardown would leave
# content types that the next serialized_rollback test then fails to restore.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_postgresql_rebuild_vacuums_the_index_tables():
    """Outside a transaction `fts.optimize` (the end of every rebuild) vacuums the index tables on
    PostgreSQL: the visibility map lets browsing and the match's join read the covering indexes
    alone. Inside one, where VACUUM cannot run, it analyses them."""
    from django.db import connection, transaction

    from search import fts

    if connection.vendor != "postgresql":
        pytest.skip("VACUUM is PostgreSQL's")
    make_case("Vacuumed after a rebuild")
    with transaction.atomic():
        fts.optimize(connection)  # ANALYZE only: no error inside the transaction
    fts.optimize(connection)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_stat_user_tables WHERE relname LIKE 'search_searchdocument%%' "
            "AND vacuum_count > 0"
        )
        vacuumed = {row[0] for row in cursor.fetchall()}
    assert {"search_searchdocument", "search_searchdocumenttext"} <= vacuumed


def test_postgresql_reads_browsing_pages_from_an_index_in_their_order(db):
    """Browsing lists newest first, undated last. PostgreSQL sorts NULL last in an ascending
    index, so search 0017 builds the browse index in that order: a page is the first entries of
    the language, not a sort of all of them (40 ms at 100,000 cases)."""
    from django.db import connection, transaction

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's index order")
    make_case("Dated", start_date=datetime.date(2021, 5, 1))
    make_case("Undated", start_date=None)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")  # a sort only where no index gives the order
        cursor.execute(
            "EXPLAIN SELECT d.id, d.page_id FROM search_searchdocument d WHERE d.language = 'en' "
            "ORDER BY d.start_date DESC NULLS LAST, d.page_id DESC LIMIT 20"
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "search_doc_browse" in plan and "Sort" not in plan, plan
    assert [hit.title for hit in service.search(SearchRequest(language="en")).hits] == ["Dated", "Undated"]


def test_a_search_starts_from_the_full_text_match(db):
    """On SQLite the join order is pinned (CROSS JOIN): FTS5 first, then one index probe per match,
    whatever the statistics say."""
    from django.db import connection

    from search.analysis import analyze_query
    from search.backends.database import DatabaseSearchBackend

    if connection.vendor != "sqlite":
        pytest.skip("SQLite query plans")
    make_case("Planner test", areas=["quarantine"])
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM sqlite_stat1 WHERE tbl LIKE 'search_%'")
        cursor.execute("ANALYZE sqlite_schema")  # forget the statistics loaded so far
    backend = DatabaseSearchBackend()
    request = SearchRequest(language="en", query="planner", area=("quarantine",))
    sql, params = backend._statement(request, analyze_query(request.query, "en"))
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        plan = [row[-1] for row in cursor.fetchall()]
    scans = [step for step in plan if step.startswith(("SCAN", "SEARCH"))]
    assert scans[0].startswith("SCAN search_fts_en VIRTUAL TABLE"), plan
    assert "search_doc_browse" not in " ".join(plan), plan


def _postgresql_plan(request: SearchRequest) -> str:
    """EXPLAIN of the search statement for `request`, planned as `_fetch` runs it."""
    from django.db import connection

    from search.analysis import analyze_query
    from search.backends.database import PLANNER_SETTINGS, DatabaseSearchBackend, term_groups
    from search.synonyms import expansions

    tokens = analyze_query(request.query, request.language)
    groups = term_groups(request.query, request.language, tokens, expansions(request.query, request.language))
    sql, params = DatabaseSearchBackend()._statement(request, groups)
    with connection.cursor() as cursor:
        for name, value in PLANNER_SETTINGS.items():
            cursor.execute(f"SET LOCAL {name} = {value}")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def _copied_numbers(page_id: int) -> list[tuple[tuple, tuple]]:
    """(the document's numbers, its text row's copy) for each document of the page."""
    from search.models import TEXT_COPIED_COLUMNS

    return [
        (
            tuple(getattr(text.document, column) for column in TEXT_COPIED_COLUMNS),
            tuple(getattr(text, column) for column in TEXT_COPIED_COLUMNS),
        )
        for text in SearchDocumentText.objects.filter(document__page_id=page_id).select_related("document")
    ]


def test_text_rows_carry_their_documents_numbers(db):
    """PostgreSQL's searches read a match's filters, counts and order from its text row: the row
    holds its document's numbers after every write, an edit included."""
    page = make_case("Lantern walk", areas=["quarantine"], start_date=datetime.date(2020, 4, 2))
    before = _copied_numbers(page.pk)
    assert before and all(document == text for document, text in before)
    assert before[0][1][0] == page.pk  # page_id, not a default

    page = CaseStudyPage.objects.get(pk=page.pk)
    page.start_date = datetime.date(2021, 6, 9)
    page.policy_areas.set(PolicyArea.objects.filter(slug="education", locale=page.locale))
    page.save_revision().publish()
    after = _copied_numbers(page.pk)
    assert after and all(document == text for document, text in after)
    assert after[0][1] != before[0][1]  # the start date and the area list changed


def test_postgresql_search_reads_matches_from_their_text_rows_alone(db):
    """PostgreSQL: the matches of a search are never joined to the documents' index one by one
    (100,000 probes for a word in every case): one word, two words, with a filter."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL query plans")
    make_case("Planner lantern test", areas=["quarantine"])
    for request in (
        SearchRequest(language="en", query="lantern"),
        SearchRequest(language="en", query="lantern planner", area=("quarantine",)),
    ):
        plan = _postgresql_plan(request)
        assert "search_searchdocumenttext" in plan, plan
        assert "search_doc_by_id" not in plan and "search_searchdocument " not in plan, plan
        assert service.search(request).count == 1


def test_postgresql_ranking_reads_each_ranked_rows_words_by_address(db):
    """PostgreSQL: the ranking window reads each ranked row's tsvector again by the address its
    lookup found (a TID scan), not by a descent of the text rows' primary key per row; and the
    better match by words still comes first."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL query plans")
    make_case(
        "Lantern walk in the old town",
        summary="A lantern walk, lantern by lantern, for the lantern festival.",
    )
    make_case("Evening walk", summary="A walk with one lantern.")
    for request in (
        SearchRequest(language="en", query="lantern", sort="relevance"),
        SearchRequest(language="en", query="lantern walk", sort="relevance"),
    ):
        plan = _postgresql_plan(request)
        assert "Tid Scan on search_searchdocumenttext" in plan, plan
        assert "search_searchdocumenttext_pkey" not in plan, plan
        assert service.search(request).hits[0].title == "Lantern walk in the old town"


def test_postgresql_indexes_each_languages_words_apart(db):
    """PostgreSQL: one partial GIN index of words per language (search 0019), and a search in a
    language looks its words up in that language's index alone."""
    from django.db import connection

    from search import fts

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL indexes")
    names = fts._postgres_indexes(connection)
    assert {fts.vector_index("en"), fts.vector_index("ko")} <= names
    assert "search_text_vector_gin" not in names  # the shared index of every language is gone
    fts.uninstall(connection)  # before any row is written: ALTER TABLE refuses pending FK checks
    assert not fts.is_installed(connection)
    fts.install(connection)
    assert fts.is_installed(connection) and fts._postgres_indexes(connection) == names

    make_case("Lantern walk")
    for language, other in (("en", "ko"), ("ko", "en")):
        plan = _postgresql_plan(SearchRequest(language=language, query="lantern walk"))
        assert fts.vector_index(language) in plan and fts.vector_index(other) not in plan, plan
    assert service.search(SearchRequest(language="en", query="lantern walk")).count == 1


def test_deleting_a_translated_case_lists_its_translation_in_its_place(db):
    from wagtail.models import Page

    english = make_case("Alpha case")
    korean = make_case("알파 사례", language="ko", translation_key=english.translation_key)
    assert set(SearchDocument.objects.values_list("page_id", "language")) == {
        (english.pk, "en"),
        (korean.pk, "ko"),
    }
    Page.objects.get(pk=english.pk).delete()
    # Nothing of the deleted page is written back while it is being deleted (it is still live in
    # pre_delete, when Wagtail unpublishes it); its translation now stands for it in English.
    assert set(SearchDocument.objects.values_list("page_id", "language", "content_language")) == {
        (korean.pk, "ko", "ko"),
        (korean.pk, "en", "ko"),
    }
    Page.objects.get(pk=korean.pk).delete()
    assert not SearchDocument.objects.exists()


def _full_text_rows(connection, language: str) -> set[int]:
    """The document ids in a language's FTS5 table, after FTS5's own check that its index
    agrees with its content (a stray 'delete' corrupts it and fails the check)."""
    from search import fts

    table = fts.words_table(language)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table}({table}) VALUES ('integrity-check')")  # noqa: S608
        cursor.execute(f"SELECT rowid FROM {table} WHERE {table} MATCH %s", ["lantern"])  # noqa: S608
        return {row[0] for row in cursor.fetchall()}


def test_sqlite_indexes_each_language_in_its_own_full_text_table(db):
    """A search scores only its language's rows: each document's words are in the table of the
    language it is listed in, and stay right through edits and removal."""
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's FTS5 tables")
    page = make_case("Lantern festival", summary="Paper lanterns along the river.")
    listed = dict(SearchDocument.objects.filter(page_id=page.pk).values_list("language", "id"))
    assert set(listed) == {"en", "ko"}  # an English case is listed in Korean too, in English
    for language, doc_id in listed.items():
        other = "ko" if language == "en" else "en"
        assert _full_text_rows(connection, language) == {doc_id}
        assert doc_id not in _full_text_rows(connection, other)
    assert titles("en", "lantern") == titles("ko", "lantern") == {"Lantern festival"}

    page.title = "River festival"
    page.summary = "Boats along the river."
    page.save_revision().publish()
    assert _full_text_rows(connection, "en") == _full_text_rows(connection, "ko") == set()
    assert titles("en", "boats") == titles("ko", "boats") == {"River festival"}

    page.unpublish()
    assert titles("en", "boats") == titles("ko", "boats") == set()
    assert _full_text_rows(connection, "en") == _full_text_rows(connection, "ko") == set()


def test_sqlite_install_fills_a_new_full_text_table_from_the_indexed_text(db):
    """Installing the tables on a database whose text is already indexed (a migration, a language
    added) fills them, so that later edits and deletes keep them consistent."""
    from django.db import connection

    from search import fts

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's FTS5 tables")
    page = make_case("Lantern festival", summary="Paper lanterns along the river.")
    fts.uninstall(connection)
    assert not fts.is_installed(connection)
    fts.install(connection)
    assert fts.is_installed(connection)
    assert titles("en", "lantern") == {"Lantern festival"}
    page.unpublish()
    assert _full_text_rows(connection, "en") == set()
    assert titles("en", "lantern") == set()


def test_documents_with_the_same_facet_values_share_one_facet_group(db):
    """Single-valued facets are counted per facet group: one row per combination of values,
    reused by every document with that combination, and counted back to the right values."""
    seoul = CityFactory(name="Seoul", slug="seoul", country="KR", continent="asia")
    lima = CityFactory(name="Lima", slug="lima", country="PE", continent="south-america")
    make_case("Lantern walk", city=seoul, start_date=datetime.date(2020, 4, 1))
    make_case("Lantern fair", city=seoul, start_date=datetime.date(2020, 9, 1))
    make_case("Lantern market", city=lima, start_date=datetime.date(2021, 2, 1))
    english = SearchDocument.objects.filter(language="en", title__startswith="Lantern")
    group_of = dict(english.values_list("title", "facet_group"))
    assert group_of["Lantern walk"] == group_of["Lantern fair"] != group_of["Lantern market"]
    walk = SearchFacetGroup.objects.get(pk=group_of["Lantern walk"])
    assert (walk.continent, walk.country, walk.year, walk.content_language) == ("asia", "KR", 2020, "en")
    assert SearchFacetGroup.ids_for({SearchFacetGroup.key_of(english.get(title="Lantern fair"))}) == {
        SearchFacetGroup.key_of(english.get(title="Lantern fair")): walk.pk
    }

    response = service.search(SearchRequest(language="en", query="lantern"))
    assert response.count == 3
    assert response.facets["country"] == {"KR": 2, "PE": 1}
    assert response.facets["year"] == {"2020": 2, "2021": 1}
    assert response.facets["continent"] == {"asia": 2, "south-america": 1}
    # Disjunctive: the country filter narrows the results and the other facets, not its own.
    response = service.search(SearchRequest(language="en", query="lantern", country=("PE",)))
    assert response.count == 1
    assert response.facets["country"] == {"KR": 2, "PE": 1}
    assert response.facets["year"] == {"2021": 1}


def test_a_facet_group_keeps_a_missing_year_and_evidence_level_apart(db):
    """A missing year or evidence level is stored as 0 in the group (so the unique constraint
    holds) and counted as missing, never as a year 0."""
    key = ("asia", "KR", 0, "en", 0, "")
    first = SearchFacetGroup.ids_for({key})
    assert SearchFacetGroup.ids_for({key}) == first  # numbered once
    assert SearchFacetGroup.objects.filter(country="KR", year=0).count() == 1
    page = make_case("Lantern walk")
    SearchDocument.objects.filter(page_id=page.pk).update(year=None, evidence=None, facet_group=first[key])
    SearchDocument.objects.filter(page_id=page.pk).update(country="KR", continent="asia")
    # The text row carries the document's numbers (PostgreSQL's searches read them there).
    SearchDocumentText.objects.filter(document__page_id=page.pk).update(evidence=None, facet_group=first[key])
    response = service.search(SearchRequest(language="en", query="lantern"))
    assert response.count == 1
    assert response.facets["year"] == {}
    assert response.facets["evidence"] == {}
    assert response.facets["country"] == {"KR": 1}


def test_documents_with_the_same_area_list_share_one_slug_set(db):
    """Area and measure-type facets are counted per numbered list, then split into slugs."""
    masks = MeasureTypeFactory(slug="masks")
    make_case("Lantern walk", areas=["quarantine", "smart-city"], measures=[masks])
    make_case("Lantern fair", areas=["quarantine", "smart-city"])
    make_case("Lantern market", areas=["quarantine"])
    english = dict(
        SearchDocument.objects.filter(language="en", title__startswith="Lantern").values_list(
            "title", "area_set"
        )
    )
    assert english["Lantern walk"] == english["Lantern fair"] != english["Lantern market"]
    assert SearchSlugSet.objects.get(pk=english["Lantern walk"]).slugs.split() == ["quarantine", "smart-city"]
    assert SearchDocument.objects.get(language="en", title="Lantern fair").measure_set == 0  # no list
    assert SearchSlugSet.ids_for("area", {" quarantine "})[" quarantine "] == english["Lantern market"]

    response = service.search(SearchRequest(language="en", query="lantern"))
    assert response.facets["area"] == {"quarantine": 3, "smart-city": 2}
    assert response.facets["measure"] == {"masks": 1}
    response = service.search(SearchRequest(language="en", query="lantern", area=("smart-city",)))
    assert response.count == 2
    assert response.facets["area"] == {"quarantine": 3, "smart-city": 2}  # its own filter: disjunctive
    assert response.facets["measure"] == {"masks": 1}


def test_a_new_slug_list_has_its_slugs_written_once(db):
    """The facet counts add lists up per slug, and filters find lists by slug, through the
    members table: a list without its members would vanish from both."""
    from search.models import SearchSlugSetMember

    make_case("Kite day", areas=["sports", "education"])
    make_case("Kite fair", areas=["education", "sports"])  # another order, the same list
    (area_set,) = set(
        SearchDocument.objects.filter(title__startswith="Kite").values_list("area_set", flat=True)
    )
    members = SearchSlugSetMember.objects.filter(slug_set_id=area_set)
    assert sorted(members.values_list("slug", flat=True)) == ["education", "sports"]
    again = SearchSlugSet.ids_for("area", {SearchSlugSet.objects.get(pk=area_set).slugs})
    assert area_set in again.values() and members.count() == 2
    assert titles(area=("sports",)) == {"Kite day", "Kite fair"}
    assert service.search(SearchRequest(language="en")).facets["area"] == {"education": 2, "sports": 2}


@pytest.mark.parametrize(
    ("filters", "seeks"),
    [
        # Every count but its own facet's seeks by another filter's numbers (a place: the groups).
        ({"area": ("quarantine",), "continent": ("europe",)}, {"by_areas", "by_group"}),
        ({"measure": ("testing",), "year": (2021,)}, {"by_measures", "by_group"}),
        ({"area": ("education",), "country": ("KR",)}, {"by_areas", "by_group"}),
    ],
)
def test_browsing_counts_seek_only_the_entries_passing_another_filter(db, filters, seeks):
    """SQLite: with two filters, no browsing count scans the language's every entry (100,000 at
    the benchmark's size): each seeks the index led by another filter's numbers (IN the facet
    groups or lists that pass it)."""
    from django.db import connection

    from search.backends.database import DatabaseSearchBackend

    if connection.vendor != "sqlite":
        pytest.skip("SQLite query plans")
    make_case("Planner test", areas=["quarantine"])
    backend = DatabaseSearchBackend()
    sql, params = backend._statement(SearchRequest(language="en", **filters), [])
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        plan = [row[-1] for row in cursor.fetchall()]
    counts = [step for step in plan if "search_doc_by_" in step]
    assert len(counts) == 3, plan
    assert all(step.startswith("SEARCH d USING COVERING INDEX") for step in counts), plan
    assert all("_set=?" in step or "facet_group=?" in step for step in counts), plan
    assert {step.split("search_doc_")[1].split()[0] for step in counts} == seeks, plan
