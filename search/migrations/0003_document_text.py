"""Move the analysed text to its own table (small rows to scan for filters and facets) and build
the full-text index on it. Existing documents keep their text."""

import django.db.models.deletion
from django.db import migrations, models

OLD_SQLITE = [
    "DROP TRIGGER IF EXISTS search_document_ai",
    "DROP TRIGGER IF EXISTS search_document_ad",
    "DROP TRIGGER IF EXISTS search_document_au",
    "DROP TABLE IF EXISTS search_fts",
    "DROP TABLE IF EXISTS search_suggest_fts",
]
OLD_POSTGRES = [
    "DROP INDEX IF EXISTS search_document_vector_gin",
    "DROP INDEX IF EXISTS search_document_suggest_gin",
    "ALTER TABLE search_searchdocument DROP COLUMN IF EXISTS search_vector",
    "ALTER TABLE search_searchdocument DROP COLUMN IF EXISTS suggest_vector",
]


def drop_old_index(apps, schema_editor):
    statements = {"sqlite": OLD_SQLITE, "postgresql": OLD_POSTGRES}.get(schema_editor.connection.vendor, [])
    with schema_editor.connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def copy_text(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO search_searchdocumenttext (document_id, index_title, index_body, index_prefix) "
            "SELECT id, index_title, index_body, index_prefix FROM search_searchdocument"
        )


def install_index(apps, schema_editor):
    from search import fts

    fts.install(schema_editor.connection)
    fts.rebuild(schema_editor.connection)


def uninstall_index(apps, schema_editor):
    from search import fts

    fts.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("search", "0002_fulltext")]

    operations = [
        migrations.RunPython(drop_old_index, migrations.RunPython.noop),
        migrations.CreateModel(
            name="SearchDocumentText",
            fields=[
                (
                    "document",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="text",
                        serialize=False,
                        to="search.searchdocument",
                    ),
                ),
                ("index_title", models.TextField(blank=True)),
                ("index_body", models.TextField(blank=True)),
                ("index_prefix", models.TextField(blank=True)),
            ],
        ),
        migrations.RunPython(copy_text, migrations.RunPython.noop),
        migrations.RemoveField(model_name="searchdocument", name="index_body"),
        migrations.RemoveField(model_name="searchdocument", name="index_prefix"),
        migrations.RemoveField(model_name="searchdocument", name="index_title"),
        migrations.RunPython(install_index, uninstall_index),
    ]
