"""SQLite: one full-text table of words per language instead of one for all.

A search is asked in one language and searches that language's documents only. With one table,
every match in the other language (measure-type names are written in both languages' documents)
was scored and looked up in the documents before the language filter dropped it: a third of the
work of a query whose words are in a measure type's name (docs/benchmarks.md, "## Search").
The text rows carry their document's language, which the tables' triggers read (a trigger reading
the documents table would break SQLite's rebuild of that table in later migrations). The new
tables are filled from the text already indexed. PostgreSQL: the column only.
"""

import importlib

from django.db import migrations, models


def copy_languages(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "UPDATE search_searchdocumenttext SET language = (SELECT d.language FROM search_searchdocument d "
            "WHERE d.id = search_searchdocumenttext.document_id)"
        )


def split_by_language(apps, schema_editor):
    from search import fts

    if schema_editor.connection.vendor == "sqlite":
        fts.uninstall(schema_editor.connection)
        fts.install(schema_editor.connection)
        fts.optimize(schema_editor.connection)  # one b-tree per table, as after a rebuild


def one_table(apps, schema_editor):
    from search import fts

    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return
    fts.uninstall(connection)
    before = importlib.import_module("search.migrations.0003_document_text")
    with connection.cursor() as cursor:
        for statement in before.SQLITE_INDEX:
            cursor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("search", "0012_postgres_text_storage")]

    operations = [
        migrations.AddField(
            model_name="searchdocumenttext",
            name="language",
            field=models.CharField(blank=True, default="", max_length=10),
        ),
        migrations.RunPython(copy_languages, migrations.RunPython.noop),
        migrations.RunPython(split_by_language, one_table),
    ]
