"""PostgreSQL: keep the text table's rows narrow, with the long columns compressed out of line.

A search reads every matching row of `search_searchdocumenttext` through the GIN index and only
its short title (whether the title holds a query word); the body and its tsvector are read for
the ranked rows alone. With the body inline (rows of about 1.7 kB) the table's heap was 335 MB at
100,000 cases; with the long columns moved out of line above 512 bytes it is 70 MB, and a word in
most documents reads a fifth of the pages (docs/benchmarks.md, "PostgreSQL at 100,000 cases"). lz4, where the server has it, decompresses
several times faster than the default pglz. Rows written before this migration keep their old
layout until `rebuild_search_index` rewrites them. SQLite: nothing to do.
"""

from django.db import migrations

TABLE = "search_searchdocumenttext"


def narrow_rows(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {TABLE} SET (toast_tuple_target = 512)")
        cursor.execute(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
        )
        row = cursor.fetchone()
        if row and row[0]:
            for column in ("index_body", "search_vector"):
                cursor.execute(f"ALTER TABLE {TABLE} ALTER COLUMN {column} SET COMPRESSION lz4")


def widen_rows(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {TABLE} RESET (toast_tuple_target)")
        for column in ("index_body", "search_vector"):
            cursor.execute(f"ALTER TABLE {TABLE} ALTER COLUMN {column} SET COMPRESSION default")


class Migration(migrations.Migration):
    dependencies = [("search", "0011_facet_group_indexes")]

    operations = [migrations.RunPython(narrow_rows, widen_rows, elidable=False)]
