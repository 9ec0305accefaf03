"""PostgreSQL: one GIN index of words per language instead of one for all (search.fts.vector_index).

A search is asked in one language and reads that language's text rows only; with one index, a
word written in both languages' documents found the other language's rows too, each visited in
the table before the language test dropped it (docs/benchmarks.md). SQLite: nothing to do (its
full-text tables are per language since search 0013).
"""

from django.db import migrations

TABLE = "search_searchdocumenttext"


def per_language(apps, schema_editor):
    from search import fts

    if schema_editor.connection.vendor == "postgresql":
        fts.install(schema_editor.connection)


def one_for_all(apps, schema_editor):
    from search import fts

    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS search_text_vector_gin ON {TABLE} USING GIN (search_vector)")
    for language in fts.languages():
        schema_editor.execute(f"DROP INDEX IF EXISTS {fts.vector_index(language)}")


class Migration(migrations.Migration):
    dependencies = [("search", "0018_text_carries_numbers")]

    operations = [migrations.RunPython(per_language, one_for_all)]
