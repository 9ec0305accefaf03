"""Vendor-specific full-text structures over `search_searchdocumenttext` (see search/models.py).

SQLite: one FTS5 table of words per language (`words_table`) and one of title prefixes for
suggestions. The rowid of the FTS5 tables is the document id (`document_id`, the primary key of the text
table), so a match joins `search_searchdocument` directly, never the (large) text rows.

PostgreSQL: generated `tsvector` columns on the text table, one partial GIN index of words per
language (`vector_index`) and one of title prefixes for suggestions.

Idempotent: migration 0003 calls `install`, and so does `rebuild_search_index` (a later
migration that makes SQLite remake the text table would drop the triggers; rebuilding restores
them). Any change here needs a migration that uninstalls the old structures.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

TEXT_TABLE = "search_searchdocumenttext"
DOC_TABLE = "search_searchdocument"
SUGGEST_TABLE = "search_suggest_fts"
_WORDS_PREFIX = "search_fts_"


def languages() -> list[str]:
    """The languages a search is asked in: one full-text table each (the visitor's language)."""
    codes = [code for code, _name in settings.WAGTAIL_CONTENT_LANGUAGES]
    for code in codes:  # they are written into the SQL of the tables and triggers
        if not re.fullmatch(r"[A-Za-z0-9_-]+", code):
            raise ImproperlyConfigured(f"search: language code {code!r} is not a plain code")
    return codes


def words_table(language: str) -> str:
    """The FTS5 table of the documents listed in `language` (SQLite).

    One table per language: a search scores only its language's rows. With one table, every
    match in the other language (a measure type's name is in both languages' documents) was
    scored by bm25 and probed in the documents before the language filter dropped it; an FTS5
    column filter on the language cost more than it saved (docs/benchmarks.md).
    """
    return _WORDS_PREFIX + "".join(ch if ch.isalnum() else "_" for ch in language.lower())


def _sqlite_words(language: str) -> list[str]:
    """One language's table and the triggers that keep it in step with the text table (whose
    `language` column is the document's: a trigger reading the documents table would break
    SQLite's rebuild of that table in later migrations).

    Contentless: the text stays in the text table alone (FTS5 only needs it to delete, and the
    triggers pass it); bm25 needs only the index."""
    table, suffix = words_table(language), words_table(language)[len(_WORDS_PREFIX) :]
    quoted = f"'{language}'"  # a code from settings, checked by languages()
    delete = (
        f"INSERT INTO {table}({table}, rowid, index_title, index_body) "
        "SELECT 'delete', old.document_id, old.index_title, old.index_body"
    )
    insert = f"INSERT INTO {table}(rowid, index_title, index_body) SELECT new.document_id, new.index_title, new.index_body"
    return [
        f"""CREATE VIRTUAL TABLE IF NOT EXISTS {table} USING fts5(
        index_title, index_body, content='', tokenize='unicode61'
    )""",
        f"CREATE TRIGGER IF NOT EXISTS search_words_ai_{suffix} AFTER INSERT ON {TEXT_TABLE} "
        f"WHEN new.language = {quoted} BEGIN {insert}; END",
        f"CREATE TRIGGER IF NOT EXISTS search_words_ad_{suffix} AFTER DELETE ON {TEXT_TABLE} "
        f"WHEN old.language = {quoted} BEGIN {delete}; END",
        # One trigger for both halves, deleting first: the same rowid cannot be in a table twice.
        f"CREATE TRIGGER IF NOT EXISTS search_words_au_{suffix} AFTER UPDATE ON {TEXT_TABLE} BEGIN "
        f"{delete} WHERE old.language = {quoted}; {insert} WHERE new.language = {quoted}; END",
    ]


def _fill_words(language: str) -> list[str]:
    """Index again every text of `language` (a contentless table has no `rebuild`)."""
    table = words_table(language)
    return [
        f"INSERT INTO {table}({table}) VALUES ('delete-all')",
        f"INSERT INTO {table}(rowid, index_title, index_body) SELECT document_id, index_title, index_body "
        f"FROM {TEXT_TABLE} WHERE language = '{language}'",
    ]


# FTS5 over the pre-analysed text: unicode61 only splits on the spaces the analyser put there.
# Suggestions keep one table for every language (they filter by language in the documents).
SQLITE_SUGGEST = [
    """CREATE VIRTUAL TABLE IF NOT EXISTS search_suggest_fts USING fts5(
        index_prefix, content='search_searchdocumenttext', content_rowid='document_id',
        tokenize='unicode61', prefix='1 2 3'
    )""",
    """CREATE TRIGGER IF NOT EXISTS search_text_ai AFTER INSERT ON search_searchdocumenttext BEGIN
        INSERT INTO search_suggest_fts(rowid, index_prefix) VALUES (new.document_id, new.index_prefix);
    END""",
    """CREATE TRIGGER IF NOT EXISTS search_text_ad AFTER DELETE ON search_searchdocumenttext BEGIN
        INSERT INTO search_suggest_fts(search_suggest_fts, rowid, index_prefix)
            VALUES ('delete', old.document_id, old.index_prefix);
    END""",
    """CREATE TRIGGER IF NOT EXISTS search_text_au AFTER UPDATE ON search_searchdocumenttext BEGIN
        INSERT INTO search_suggest_fts(search_suggest_fts, rowid, index_prefix)
            VALUES ('delete', old.document_id, old.index_prefix);
        INSERT INTO search_suggest_fts(rowid, index_prefix) VALUES (new.document_id, new.index_prefix);
    END""",
]


def _sqlite_install() -> list[str]:
    return [
        *SQLITE_SUGGEST,
        *(statement for language in languages() for statement in _sqlite_words(language)),
    ]


def _sqlite_names() -> dict[str, str]:
    """name -> type of every SQLite structure `install` makes."""
    names = {
        SUGGEST_TABLE: "table",
        "search_text_ai": "trigger",
        "search_text_ad": "trigger",
        "search_text_au": "trigger",
    }
    for language in languages():
        suffix = words_table(language)[len(_WORDS_PREFIX) :]
        names[words_table(language)] = "table"
        names.update({f"search_words_{event}_{suffix}": "trigger" for event in ("ai", "ad", "au")})
    return names


def _sqlite_existing(connection) -> list[tuple[str, str]]:
    """(type, name) of every full-text structure there is, whatever the languages in settings (and
    the single `search_fts` table of the migrations before search 0013)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT type, name, tbl_name, sql FROM sqlite_master")
        rows = cursor.fetchall()
    found = []
    for kind, name, table, sql in rows:
        if (kind == "trigger" and table == TEXT_TABLE) or (
            kind == "table"
            and (name in (SUGGEST_TABLE, "search_fts") or name.startswith(_WORDS_PREFIX))
            and (sql or "").upper().startswith("CREATE VIRTUAL")
        ):
            found.append((kind, name))
    return found


# 'simple' keeps the analyser's tokens as they are; title weighs A, body B.
_POSTGRES_COLUMNS = [
    """ALTER TABLE search_searchdocumenttext
    ADD COLUMN IF NOT EXISTS search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple'::regconfig, coalesce(index_title, '')), 'A')
        || setweight(to_tsvector('simple'::regconfig, coalesce(index_body, '')), 'B')
    ) STORED""",
    """ALTER TABLE search_searchdocumenttext
    ADD COLUMN IF NOT EXISTS suggest_vector tsvector GENERATED ALWAYS AS (
        to_tsvector('simple'::regconfig, coalesce(index_prefix, ''))
    ) STORED""",
]
_POSTGRES_SUGGEST_INDEX = "search_text_suggest_gin"
# The one GIN index of every language's words, before search 0019.
_POSTGRES_SHARED_INDEX = "search_text_vector_gin"
_POSTGRES_WORDS_PREFIX = "search_text_vector_gin_"


def vector_index(language: str) -> str:
    """PostgreSQL's GIN index of the words of the documents listed in `language`.

    One partial index per language, for the reason of SQLite's table per language: a search
    is asked in one language, and a word of both (a measure type's name, `cancel`) found the
    other language's rows in the shared index, each visited in the table before the language
    test dropped it (2,189 of 5,334 rows for `cancel` at 100,000 cases: docs/benchmarks.md)."""
    return _POSTGRES_WORDS_PREFIX + words_table(language)[len(_WORDS_PREFIX) :]


def _postgres_install() -> list[str]:
    return [
        *_POSTGRES_COLUMNS,
        *(
            f"CREATE INDEX IF NOT EXISTS {vector_index(language)} ON {TEXT_TABLE} "
            f"USING GIN (search_vector) WHERE language = '{language}'"
            for language in languages()
        ),
        f"CREATE INDEX IF NOT EXISTS {_POSTGRES_SUGGEST_INDEX} ON {TEXT_TABLE} USING GIN (suggest_vector)",
    ]


def _postgres_indexes(connection) -> set[str]:
    """The names of the full-text indexes there are, whatever the languages in settings."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = %s AND indexname LIKE %s",
            [TEXT_TABLE, "search\\_text\\_%\\_gin%"],
        )
        return {row[0] for row in cursor.fetchall()}


def _run(connection, statements) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def is_installed(connection) -> bool:
    if connection.vendor == "sqlite":
        existing = {name for _kind, name in _sqlite_existing(connection)}
        return set(_sqlite_names()) <= existing and "search_fts" not in existing
    wanted = {_POSTGRES_SUGGEST_INDEX, *(vector_index(language) for language in languages())}
    existing = _postgres_indexes(connection)
    return wanted <= existing and _POSTGRES_SHARED_INDEX not in existing


def install(connection) -> None:
    """Create the full-text structures for this connection's vendor (no-op when they exist).

    On SQLite a full-text table made here is filled from the text already there (`rebuild`): a
    later delete of a text row it never held would corrupt it."""
    if connection.vendor not in ("sqlite", "postgresql"):  # pragma: no cover - settings allow only these
        raise NotImplementedError(f"search: no full-text index for {connection.vendor}")
    if is_installed(connection):  # PostgreSQL's ALTER TABLE would fail on pending trigger events
        return
    if connection.vendor == "postgresql":
        _run(connection, [*_postgres_install(), f"DROP INDEX IF EXISTS {_POSTGRES_SHARED_INDEX}"])
        return
    existing = {name for _kind, name in _sqlite_existing(connection)}
    if "search_fts" in existing:  # the one table of every language, before search 0013
        uninstall(connection)
        existing = set()
    _run(connection, _sqlite_install())
    statements = (
        []
        if SUGGEST_TABLE in existing
        else [f"INSERT INTO {SUGGEST_TABLE}({SUGGEST_TABLE}) VALUES ('rebuild')"]
    )
    for language in languages():
        if words_table(language) not in existing:
            statements += _fill_words(language)
    _run(connection, statements)


def uninstall(connection) -> None:
    if connection.vendor == "sqlite":
        order = {"trigger": 0, "table": 1}
        found = sorted(_sqlite_existing(connection), key=lambda row: order[row[0]])
        _run(connection, [f"DROP {kind.upper()} IF EXISTS {name}" for kind, name in found])
    elif connection.vendor == "postgresql":
        indexes = sorted(_postgres_indexes(connection))
        _run(
            connection,
            [
                *(f"DROP INDEX IF EXISTS {name}" for name in indexes),
                f"ALTER TABLE {TEXT_TABLE} DROP COLUMN IF EXISTS search_vector",
                f"ALTER TABLE {TEXT_TABLE} DROP COLUMN IF EXISTS suggest_vector",
            ],
        )


def _sqlite_tables() -> list[str]:
    return [SUGGEST_TABLE, *(words_table(language) for language in languages())]


def rebuild(connection) -> None:
    """Re-derive the SQLite full-text index from the text table (after changes made without triggers)."""
    if connection.vendor == "sqlite":
        statements = [f"INSERT INTO {SUGGEST_TABLE}({SUGGEST_TABLE}) VALUES ('rebuild')"]
        _run(connection, statements + [sql for language in languages() for sql in _fill_words(language)])


def optimize(connection) -> None:
    """Merge the FTS5 b-trees after a bulk rebuild (faster queries); refresh planner statistics
    (and on PostgreSQL, outside a transaction, vacuum)."""
    if connection.vendor == "sqlite":
        _run(
            connection,
            [
                *(f"INSERT INTO {table}({table}) VALUES ('optimize')" for table in _sqlite_tables()),
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
