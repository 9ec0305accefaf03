"""The first full-text index (on search_searchdocument itself); replaced by 0003. Frozen SQL."""

from django.db import migrations

SQLITE = [
    """CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(
        index_title, index_body, content='search_searchdocument', content_rowid='id', tokenize='unicode61'
    )""",
    """CREATE VIRTUAL TABLE IF NOT EXISTS search_suggest_fts USING fts5(
        index_prefix, content='search_searchdocument', content_rowid='id', tokenize='unicode61',
        prefix='1 2 3'
    )""",
    """CREATE TRIGGER IF NOT EXISTS search_document_ai AFTER INSERT ON search_searchdocument BEGIN
        INSERT INTO search_fts(rowid, index_title, index_body)
            VALUES (new.id, new.index_title, new.index_body);
        INSERT INTO search_suggest_fts(rowid, index_prefix) VALUES (new.id, new.index_prefix);
    END""",
    """CREATE TRIGGER IF NOT EXISTS search_document_ad AFTER DELETE ON search_searchdocument BEGIN
        INSERT INTO search_fts(search_fts, rowid, index_title, index_body)
            VALUES ('delete', old.id, old.index_title, old.index_body);
        INSERT INTO search_suggest_fts(search_suggest_fts, rowid, index_prefix)
            VALUES ('delete', old.id, old.index_prefix);
    END""",
    """CREATE TRIGGER IF NOT EXISTS search_document_au AFTER UPDATE ON search_searchdocument BEGIN
        INSERT INTO search_fts(search_fts, rowid, index_title, index_body)
            VALUES ('delete', old.id, old.index_title, old.index_body);
        INSERT INTO search_suggest_fts(search_suggest_fts, rowid, index_prefix)
            VALUES ('delete', old.id, old.index_prefix);
        INSERT INTO search_fts(rowid, index_title, index_body)
            VALUES (new.id, new.index_title, new.index_body);
        INSERT INTO search_suggest_fts(rowid, index_prefix) VALUES (new.id, new.index_prefix);
    END""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS search_document_ai",
    "DROP TRIGGER IF EXISTS search_document_ad",
    "DROP TRIGGER IF EXISTS search_document_au",
    "DROP TABLE IF EXISTS search_fts",
    "DROP TABLE IF EXISTS search_suggest_fts",
]
POSTGRES = [
    """ALTER TABLE search_searchdocument
    ADD COLUMN IF NOT EXISTS search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple'::regconfig, coalesce(index_title, '')), 'A')
        || setweight(to_tsvector('simple'::regconfig, coalesce(index_body, '')), 'B')
    ) STORED""",
    """ALTER TABLE search_searchdocument
    ADD COLUMN IF NOT EXISTS suggest_vector tsvector GENERATED ALWAYS AS (
        to_tsvector('simple'::regconfig, coalesce(index_prefix, ''))
    ) STORED""",
    "CREATE INDEX IF NOT EXISTS search_document_vector_gin ON search_searchdocument USING GIN (search_vector)",
    "CREATE INDEX IF NOT EXISTS search_document_suggest_gin ON search_searchdocument USING GIN (suggest_vector)",
]
POSTGRES_REVERSE = [
    "DROP INDEX IF EXISTS search_document_vector_gin",
    "DROP INDEX IF EXISTS search_document_suggest_gin",
    "ALTER TABLE search_searchdocument DROP COLUMN IF EXISTS search_vector",
    "ALTER TABLE search_searchdocument DROP COLUMN IF EXISTS suggest_vector",
]


def run(statements_by_vendor):
    def operation(apps, schema_editor):
        statements = statements_by_vendor.get(schema_editor.connection.vendor, [])
        with schema_editor.connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)

    return operation


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [
        migrations.RunPython(
            run({"sqlite": SQLITE, "postgresql": POSTGRES}),
            run({"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE}),
        )
    ]
