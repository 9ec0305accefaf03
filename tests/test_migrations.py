"""Migrations apply to a database with content: the project's apps are taken back to their first
migration, content is written with the models of that time, and everything migrates forward.

Taking the apps back renders the model states of every migration (about half of the test's time):
on SQLite in memory the database at the first migrations is saved by the first run of this code,
under the migrated database's key, and copied in by later runs (tests/fixtures/database.py,
`saved_between_runs`). A changed migration, model or package changes the key: the first run after
it migrates back for real, as PostgreSQL and `CAC_TEST_DB_CACHE=off` always do."""

from __future__ import annotations

import datetime
import uuid

import pytest

from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from casestudies.models import CaseStudyPage, MeasureType, PolicyArea
from search import service
from search.types import SearchRequest
from tests.fixtures.database import applied_state_apps, migrated_to, saved_between_runs

# casestudies 0001 comes before every other app's first migration: taken back to it, the others
# are unapplied; the search index then comes in with its own first migration.
FIRST_CASES = [("casestudies", "0001_initial")]
FIRST_SEARCH = [("search", "0001_initial")]


def write_first_case(apps) -> int:
    """A case with its city and source, as casestudies 0001 shaped them."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    Locale = apps.get_model("wagtailcore", "Locale")
    Page = apps.get_model("wagtailcore", "Page")
    City = apps.get_model("casestudies", "City")
    CaseStudyIndexPage = apps.get_model("casestudies", "CaseStudyIndexPage")
    CaseStudyPage = apps.get_model("casestudies", "CaseStudyPage")
    CaseStudySource = apps.get_model("casestudies", "CaseStudySource")

    english = Locale.objects.get(language_code="en")
    home = Page.objects.get(depth=2, locale=english)
    city = City.objects.create(
        name="Daegu",
        name_ko="대구",
        slug="daegu",
        country="KR",
        continent="asia",
        latitude=35.87,
        longitude=128.6,
    )

    def page(model, *, parent, slug, title, **fields):
        content_type, _ = ContentType.objects.get_or_create(
            app_label=model._meta.app_label, model=model._meta.model_name
        )
        created = model.objects.create(
            title=title,
            draft_title=title,
            slug=slug,
            content_type=content_type,
            path=f"{parent.path}{parent.numchild + 1:04d}",
            depth=parent.depth + 1,
            numchild=0,
            url_path=f"{parent.url_path}{slug}/",
            locale=english,
            translation_key=uuid.uuid4(),
            live=True,
            first_published_at=datetime.datetime(2020, 6, 1, tzinfo=datetime.UTC),
            last_published_at=datetime.datetime(2020, 6, 1, tzinfo=datetime.UTC),
            **fields,
        )
        Page.objects.filter(pk=parent.pk).update(numchild=parent.numchild + 1)
        parent.numchild += 1
        return created

    index = page(CaseStudyIndexPage, parent=home, slug="cases", title="Case studies")
    index_as_page = Page.objects.get(pk=index.pk)
    case = page(
        CaseStudyPage,
        parent=index_as_page,
        slug="residential-treatment-centres",
        title="Residential treatment centres",
        summary="Mild patients were cared for outside hospitals.",
        start_date=datetime.date(2020, 3, 2),
        body="[]",
        city=city,
    )
    CaseStudySource.objects.create(
        page=case, sort_order=0, title="Daegu city", url="https://www.daegu.go.kr/"
    )
    return case.pk


def write_first_search_document(apps, case_id: int) -> None:
    """The case's search document, as search 0001 shaped it (slugs unpadded, text in the row)."""
    CaseStudyPage = apps.get_model("casestudies", "CaseStudyPage")
    SearchDocument = apps.get_model("search", "SearchDocument")
    SearchDocumentArea = apps.get_model("search", "SearchDocumentArea")
    case = CaseStudyPage.objects.get(pk=case_id)
    document = SearchDocument.objects.create(
        page_id=case.pk,
        language="en",
        doc_type="case",
        title=case.title,
        summary=case.summary,
        url="/en/cases/residential-treatment-centres/",
        city_id=case.city_id,
        city_name="Daegu",
        city_name_ko="대구",
        country="KR",
        continent="asia",
        start_date=case.start_date,
        year=2020,
        published_at=case.last_published_at,
        area_slugs="quarantine",
        measure_slugs="",
        index_title="residenti treatment centr",
        index_body="mild patient care outsid hospit",
        index_prefix="residential treatment centres daegu",
    )
    SearchDocumentArea.objects.create(document=document, slug="quarantine")


# Flushes the tables afterwards; serialized_rollback restores the migrations' locales, homes and areas.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_populated_database_migrates_from_the_first_migrations_forward(client):
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    saved_between_runs("first-migrations", lambda: migrated_to(FIRST_CASES))
    case_id = write_first_case(applied_state_apps())
    write_first_search_document(migrated_to(FIRST_SEARCH).apps, case_id)
    migrated_to(latest)
    service.reset_backend()

    case = CaseStudyPage.objects.get(slug="residential-treatment-centres")
    assert case.live
    assert case.city.name_ko == "대구"
    assert [source.title for source in case.sources.all()] == ["Daegu city"]
    # The data migrations that came later ran over the existing content.
    assert PolicyArea.objects.filter(locale__language_code="en").count() == 10
    assert MeasureType.objects.count() >= 30
    # The search index kept the document: its text moved tables and its slugs were padded.
    found = service.search(SearchRequest(language="en", query="hospitals"))
    assert [hit.title for hit in found.hits] == ["Residential treatment centres"]
    assert found.facets["area"] == {"quarantine": 1}
    assert service.search(SearchRequest(language="en", area=("quarantine",))).count == 1
    # And the page still renders.
    response = client.get(case.url)
    assert response.status_code == 200
    assert "Mild patients were cared for outside hospitals." in response.content.decode()
