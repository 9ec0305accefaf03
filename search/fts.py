"""Vendor-specific full-text structures over `search_searchdocumenttext` (see search/models.py).

The rowid of the FTS5 tables is the document id (`document_id`, the primary key of the text
table), so a match joins `search_searchdocument` directly, never the (large) text rows.

Idempotent: migration 0003 calls `install`, and so does `rebuild_search_index` (a later
migration that makes SQLite remake the text table would drop the triggers; rebuilding restores
them). Any change here needs a migration that uninstalls the old structures.
"""

from __future__ import annotations

TEXT_TABLE = "search_searchdocumenttext"
FTS_TABLE = "search_fts"
SUGGEST_TABLE = "search_suggest_fts"

# FTS5 over the pre-analysed text: unicode61 only splits on the spaces the analyser put there.
SQLITE_INSTALL = [
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
]

SQLITE_UNINSTALL = [
    "DROP TRIGGER IF EXISTS search_text_ai",
    "DROP TRIGGER IF EXISTS search_text_ad",
    "DROP TRIGGER IF EXISTS search_text_au",
    "DROP TABLE IF EXISTS search_fts",
    "DROP TABLE IF EXISTS search_suggest_fts",
]

# 'simple' keeps the analyser's tokens as they are; title weighs A, body B.
POSTGRES_INSTALL = [
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

POSTGRES_UNINSTALL = [
    "DROP INDEX IF EXISTS search_text_vector_gin",
    "DROP INDEX IF EXISTS search_text_suggest_gin",
    "ALTER TABLE search_searchdocumenttext DROP COLUMN IF EXISTS search_vector",
    "ALTER TABLE search_searchdocumenttext DROP COLUMN IF EXISTS suggest_vector",
]


def _run(connection, statements) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def is_installed(connection) -> bool:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT COUNT(*) FROM sqlite_master WHERE name IN "
                "('search_fts', 'search_suggest_fts', 'search_text_ai', 'search_text_ad', 'search_text_au')"
            )
            return cursor.fetchone()[0] == 5
        cursor.execute(
            "SELECT COUNT(*) FROM pg_indexes WHERE tablename = 'search_searchdocumenttext' "
            "AND indexname IN ('search_text_vector_gin', 'search_text_suggest_gin')"
        )
        return cursor.fetchone()[0] == 2


def install(connection) -> None:
    """Create the full-text structures for this connection's vendor (no-op when they exist)."""
    if connection.vendor not in ("sqlite", "postgresql"):  # pragma: no cover - settings allow only these
        raise NotImplementedError(f"search: no full-text index for {connection.vendor}")
    if is_installed(connection):  # PostgreSQL's ALTER TABLE would fail on pending trigger events
        return
    _run(connection, SQLITE_INSTALL if connection.vendor == "sqlite" else POSTGRES_INSTALL)


def uninstall(connection) -> None:
    if connection.vendor == "sqlite":
        _run(connection, SQLITE_UNINSTALL)
    elif connection.vendor == "postgresql":
        _run(connection, POSTGRES_UNINSTALL)


def rebuild(connection) -> None:
    """Re-derive the SQLite full-text index from the text table (after changes made without triggers)."""
    if connection.vendor == "sqlite":
        _run(
            connection,
            [
                "INSERT INTO search_fts(search_fts) VALUES ('rebuild')",
                "INSERT INTO search_suggest_fts(search_suggest_fts) VALUES ('rebuild')",
            ],
        )


def optimize(connection) -> None:
    """Merge the FTS5 b-trees after a bulk rebuild (faster queries); refresh planner statistics
    (and on PostgreSQL, outside a transaction, vacuum)."""
    if connection.vendor == "sqlite":
        _run(
            connection,
            [
                "INSERT INTO search_fts(search_fts) VALUES ('optimize')",
                "INSERT INTO search_suggest_fts(search_suggest_fts) VALUES ('optimize')",
                "ANALYZE search_searchdocument",
                "ANALYZE search_searchdocumentarea",
                "ANALYZE search_searchdocumentmeasure",
            ],
        )
    elif connection.vendor == "postgresql":
        # VACUUM also sets the visibility map, without which the covering indexes cannot be read
        # alone (index-only scans: browsing and the match's join). It cannot run inside a
        # transaction; there ANALYZE does, and autovacuum comes later.
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        tables = (
            "search_searchdocument",
            TEXT_TABLE,
            "search_searchdocumentarea",
            "search_searchdocumentmeasure",
        )
        _run(connection, [f"{command} {table}" for table in tables])
