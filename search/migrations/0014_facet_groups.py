"""Facet groups: each document's combination of single-valued facet values, numbered, so that a
search counts those facets with a GROUP BY of one integer (search.models.SearchFacetGroup)."""

from django.db import migrations, models

FILL = [
    "INSERT INTO search_searchfacetgroup (continent, country, year, content_language, evidence, size) "
    "SELECT DISTINCT continent, country, COALESCE(year, 0), content_language, COALESCE(evidence, 0), size "
    "FROM search_searchdocument",
    "UPDATE search_searchdocument SET facet_group = (SELECT g.id FROM search_searchfacetgroup g "
    "WHERE g.continent = search_searchdocument.continent AND g.country = search_searchdocument.country "
    "AND g.year = COALESCE(search_searchdocument.year, 0) "
    "AND g.content_language = search_searchdocument.content_language "
    "AND g.evidence = COALESCE(search_searchdocument.evidence, 0) AND g.size = search_searchdocument.size)",
    "ANALYZE search_searchdocument",  # statistics for the new covering index
]


def number_the_groups(apps, schema_editor):
    """The documents already indexed get their facet group (new ones get it when written)."""
    with schema_editor.connection.cursor() as cursor:
        for statement in FILL:
            cursor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("casestudies", "0014_importedcase_from_editorial"),
        ("search", "0013_words_per_language"),
        ("wagtailcore", "0097_baselogentry_uuid_action_timestamp_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="SearchFacetGroup",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("continent", models.CharField(blank=True, max_length=20)),
                ("country", models.CharField(blank=True, max_length=2)),
                ("year", models.PositiveSmallIntegerField(default=0)),
                ("content_language", models.CharField(blank=True, max_length=8)),
                ("evidence", models.PositiveSmallIntegerField(default=0)),
                ("size", models.CharField(blank=True, max_length=10)),
            ],
        ),
        migrations.RemoveIndex(
            model_name="searchdocument",
            name="search_doc_by_id",
        ),
        migrations.AddField(
            model_name="searchdocument",
            name="facet_group",
            field=models.PositiveIntegerField(default=0, verbose_name="facet group"),
        ),
        migrations.AddIndex(
            model_name="searchdocument",
            index=models.Index(
                fields=[
                    "id",
                    "language",
                    "start_date",
                    "page",
                    "facet_group",
                    "doc_type",
                    "expire_at",
                    "content_language",
                    "continent",
                    "country",
                    "year",
                    "area_slugs",
                    "measure_slugs",
                    "evidence",
                    "size",
                ],
                name="search_doc_by_id",
            ),
        ),
        migrations.AddConstraint(
            model_name="searchfacetgroup",
            constraint=models.UniqueConstraint(
                fields=("continent", "country", "year", "content_language", "evidence", "size"),
                name="search_facet_group_unique",
            ),
        ),
        migrations.RunPython(number_the_groups, migrations.RunPython.noop),
    ]
