"""The full-text index: FTS5 tables and triggers on SQLite, generated tsvector columns on PostgreSQL."""

from django.db import migrations


def install(apps, schema_editor):
    from search import fts

    fts.install(schema_editor.connection)


def uninstall(apps, schema_editor):
    from search import fts

    fts.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [migrations.RunPython(install, uninstall)]
