"""SQLite: the full-text table gets the document's language, so a search matches one language's
rows only (each language's rows hold the measure-type names of both languages, and a page
without a translation is listed, with the same text, in both). The text table repeats the
document's language for it; the full-text table is rebuilt from the text table here (a few
minutes at 100,000 cases). PostgreSQL: the column is filled, nothing else changes.
"""

from django.db import migrations, models

TEXT = "search_searchdocumenttext"


def fill_language(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {TEXT} SET language = (SELECT d.language FROM search_searchdocument d "  # noqa: S608
            f"WHERE d.id = {TEXT}.document_id)"
        )


def install_language_layout(apps, schema_editor):
    from search import fts

    if schema_editor.connection.vendor == "sqlite":
        fts.install(schema_editor.connection)  # drops the old layout, fills the new one


def restore_old_layout(apps, schema_editor):
    from search import fts

    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for statement in fts.SQLITE_UNINSTALL + fts.SQLITE_INSTALL_BEFORE_LANGUAGE:
            cursor.execute(statement)
    fts.rebuild(connection)


class Migration(migrations.Migration):
    dependencies = [("search", "0012_postgres_text_storage")]

    operations = [
        migrations.AddField(
            model_name="searchdocumenttext",
            name="language",
            field=models.CharField(blank=True, default="", max_length=8),
        ),
        migrations.RunPython(fill_language, migrations.RunPython.noop, elidable=False),
        # Backwards, the old layout comes back before the column goes: SQLite checks the
        # triggers against the table when it drops a column.
        migrations.RunPython(install_language_layout, restore_old_layout, elidable=False),
    ]
