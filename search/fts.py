"""Vendor-specific full-text structures over `search_searchdocument` (see search/models.py).

Idempotent: migration 0002 calls `install`, and so does `rebuild_search_index` (a later
migration that makes SQLite remake the table would drop the triggers; rebuilding restores them).
"""

from __future__ import annotations

TABLE = "search_searchdocument"
FTS_TABLE = "search_fts"
SUGGEST_TABLE = "search_suggest_fts"

# FTS5 over the pre-analysed text: unicode61 only splits on the spaces the analyser put there.
SQLITE_INSTALL = [
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

SQLITE_UNINSTALL = [
    "DROP TRIGGER IF EXISTS search_document_ai",
    "DROP TRIGGER IF EXISTS search_document_ad",
    "DROP TRIGGER IF EXISTS search_document_au",
    "DROP TABLE IF EXISTS search_fts",
    "DROP TABLE IF EXISTS search_suggest_fts",
]

# 'simple' keeps the analyser's tokens as they are; title weighs A, body B.
POSTGRES_INSTALL = [
    """ALTER TABLE search_searchdocument
    ADD COLUMN IF NOT EXISTS search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple'::regconfig, coalesce(index_title, '')), 'A')
        || setweight(to_tsvector('simple'::regconfig, coalesce(index_body, '')), 'B')
    ) STORED""",
    """ALTER TABLE search_searchdocument
    ADD COLUMN IF NOT EXISTS suggest_vector tsvector GENERATED ALWAYS AS (
        to_tsvector('simple'::regconfig, coalesce(index_prefix, ''))
    ) STORED""",
    "CREATE INDEX IF NOT EXISTS search_document_vector_gin"
    " ON search_searchdocument USING GIN (search_vector)",
    "CREATE INDEX IF NOT EXISTS search_document_suggest_gin"
    " ON search_searchdocument USING GIN (suggest_vector)",
]

POSTGRES_UNINSTALL = [
    "DROP INDEX IF EXISTS search_document_vector_gin",
    "DROP INDEX IF EXISTS search_document_suggest_gin",
    "ALTER TABLE search_searchdocument DROP COLUMN IF EXISTS search_vector",
    "ALTER TABLE search_searchdocument DROP COLUMN IF EXISTS suggest_vector",
]


def _run(connection, statements) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def install(connection) -> None:
    """Create the full-text structures for this connection's vendor (no-op when they exist)."""
    if connection.vendor == "sqlite":
        _run(connection, SQLITE_INSTALL)
    elif connection.vendor == "postgresql":
        if not is_installed(connection):  # ALTER TABLE would wait for (or fail on) pending triggers
            _run(connection, POSTGRES_INSTALL)
    else:  # pragma: no cover - settings only allow SQLite and PostgreSQL
        raise NotImplementedError(f"search: no full-text index for {connection.vendor}")


def is_installed(connection) -> bool:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT COUNT(*) FROM sqlite_master WHERE name IN "
                "('search_fts', 'search_suggest_fts', 'search_document_ai', 'search_document_ad', "
                "'search_document_au')"
            )
            return cursor.fetchone()[0] == 5
        cursor.execute(
            "SELECT COUNT(*) FROM pg_indexes WHERE tablename = 'search_searchdocument' "
            "AND indexname IN ('search_document_vector_gin', 'search_document_suggest_gin')"
        )
        return cursor.fetchone()[0] == 2


def uninstall(connection) -> None:
    if connection.vendor == "sqlite":
        _run(connection, SQLITE_UNINSTALL)
    elif connection.vendor == "postgresql":
        _run(connection, POSTGRES_UNINSTALL)


def rebuild(connection) -> None:
    """Re-derive the full-text index from the table (after bulk changes made without triggers)."""
    if connection.vendor == "sqlite":
        _run(
            connection,
            [
                "INSERT INTO search_fts(search_fts) VALUES ('rebuild')",
                "INSERT INTO search_suggest_fts(search_suggest_fts) VALUES ('rebuild')",
            ],
        )


def optimize(connection) -> None:
    """Merge the FTS5 b-trees after a bulk rebuild (faster queries); ANALYZE for the planner."""
    if connection.vendor == "sqlite":
        _run(
            connection,
            [
                "INSERT INTO search_fts(search_fts) VALUES ('optimize')",
                "INSERT INTO search_suggest_fts(search_suggest_fts) VALUES ('optimize')",
                "ANALYZE",
            ],
        )
    elif connection.vendor == "postgresql":
        _run(connection, ["ANALYZE search_searchdocument"])
