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


# SQLite's full-text structures as this migration made them (one table of words for every
# language; search 0013 splits it by language). Written out here, not taken from search.fts, whose
# structures need columns added later.
SQLITE_INDEX = [
    """CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(
        index_title, index_body, content='search_searchdocumenttext', content_rowid='document_id',
        tokenize='unicode61'
    )""",
    """CREATE VIRTUAL TABLE IF NOT EXISTS search_suggest_fts USING fts5(
        index_prefix, content='search_searchdocumenttext', content_rowid='document_id',
        tokenize='unicode61', prefix='1 2 3'
    )""",
    """CREATE TRIGGER IF NOT EXISTS search_text_ai AFTER INSERT ON search_searchdocumenttext BEGIN
        INSERT INTO search_fts(rowid, index_title, index_body)
            VALUES (new.document_id, new.index_title, new.index_body);
        INSERT INTO search_suggest_fts(rowid, index_prefix) VALUES (new.document_id, new.index_prefix);
    END""",
    """CREATE TRIGGER IF NOT EXISTS search_text_ad AFTER DELETE ON search_searchdocumenttext BEGIN
        INSERT INTO search_fts(search_fts, rowid, index_title, index_body)
            VALUES ('delete', old.document_id, old.index_title, old.index_body);
        INSERT INTO search_suggest_fts(search_suggest_fts, rowid, index_prefix)
            VALUES ('delete', old.document_id, old.index_prefix);
    END""",
    """CREATE TRIGGER IF NOT EXISTS search_text_au AFTER UPDATE ON search_searchdocumenttext BEGIN
        INSERT INTO search_fts(search_fts, rowid, index_title, index_body)
            VALUES ('delete', old.document_id, old.index_title, old.index_body);
        INSERT INTO search_suggest_fts(search_suggest_fts, rowid, index_prefix)
            VALUES ('delete', old.document_id, old.index_prefix);
        INSERT INTO search_fts(rowid, index_title, index_body)
            VALUES (new.document_id, new.index_title, new.index_body);
        INSERT INTO search_suggest_fts(rowid, index_prefix) VALUES (new.document_id, new.index_prefix);
    END""",
    "INSERT INTO search_fts(search_fts) VALUES ('rebuild')",
    "INSERT INTO search_suggest_fts(search_suggest_fts) VALUES ('rebuild')",
]


# PostgreSQL's structures as they were made here (search.fts has changed them since: search 0019).
POSTGRES_INDEX = [
    """ALTER TABLE search_searchdocumenttext
    ADD COLUMN IF NOT EXISTS search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple'::regconfig, coalesce(index_title, '')), 'A')
        || setweight(to_tsvector('simple'::regconfig, coalesce(index_body, '')), 'B')
    ) STORED""",
    """ALTER TABLE search_searchdocumenttext
    ADD COLUMN IF NOT EXISTS suggest_vector tsvector GENERATED ALWAYS AS (
        to_tsvector('simple'::regconfig, coalesce(index_prefix, ''))
    ) STORED""",
    "CREATE INDEX IF NOT EXISTS search_text_vector_gin ON search_searchdocumenttext USING GIN (search_vector)",
    "CREATE INDEX IF NOT EXISTS search_text_suggest_gin ON search_searchdocumenttext USING GIN (suggest_vector)",
]


def install_index(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for statement in SQLITE_INDEX if connection.vendor == "sqlite" else POSTGRES_INDEX:
            cursor.execute(statement)


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
