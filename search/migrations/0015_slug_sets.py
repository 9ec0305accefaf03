"""Slug sets: each document's list of policy areas and of measure types, numbered, so that a
search counts those facets with a GROUP BY of one integer (search.models.SearchSlugSet)."""

from django.db import migrations, models

FILL = [
    *(
        f"INSERT INTO search_searchslugset (kind, slugs) SELECT DISTINCT '{kind}', {kind}_slugs "
        f"FROM search_searchdocument WHERE {kind}_slugs <> ''"
        for kind in ("area", "measure")
    ),
    "UPDATE search_searchdocument SET "
    "area_set = COALESCE((SELECT s.id FROM search_searchslugset s WHERE s.kind = 'area' "
    "AND s.slugs = search_searchdocument.area_slugs), 0), "
    "measure_set = COALESCE((SELECT s.id FROM search_searchslugset s WHERE s.kind = 'measure' "
    "AND s.slugs = search_searchdocument.measure_slugs), 0)",
    "ANALYZE search_searchdocument",  # statistics for the new covering index
]


def number_the_lists(apps, schema_editor):
    """The documents already indexed get their lists' numbers (new ones get them when written)."""
    with schema_editor.connection.cursor() as cursor:
        for statement in FILL:
            cursor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("casestudies", "0014_importedcase_from_editorial"),
        ("search", "0014_facet_groups"),
        ("wagtailcore", "0097_baselogentry_uuid_action_timestamp_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="SearchSlugSet",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("kind", models.CharField(max_length=8)),
                ("slugs", models.TextField()),
            ],
        ),
        migrations.RemoveIndex(
            model_name="searchdocument",
            name="search_doc_by_id",
        ),
        migrations.AddField(
            model_name="searchdocument",
            name="area_set",
            field=models.PositiveIntegerField(default=0, verbose_name="policy area list"),
        ),
        migrations.AddField(
            model_name="searchdocument",
            name="measure_set",
            field=models.PositiveIntegerField(default=0, verbose_name="measure type list"),
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
                    "area_set",
                    "measure_set",
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
            model_name="searchslugset",
            constraint=models.UniqueConstraint(fields=("kind", "slugs"), name="search_slug_set_unique"),
        ),
        migrations.RunPython(number_the_lists, migrations.RunPython.noop),
    ]
