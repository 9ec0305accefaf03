"""Refresh the planner statistics of the search tables.

Migrations 0004 and 0006 created the covering indexes `search_doc_browse` and `search_doc_by_id`
without refreshing the statistics; a site that only ran `migrate` has none for them, and SQLite
may then start a search from the document index and probe FTS5 once per document (see
docs/benchmarks.md, "## Search"). `rebuild_search_index` refreshes them too (`search.fts.optimize`).
"""

from django.db import migrations

TABLES = (
    "search_searchdocument",
    "search_searchdocumenttext",
    "search_searchdocumentarea",
    "search_searchdocumentmeasure",
)


def analyze(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor not in ("sqlite", "postgresql"):  # pragma: no cover - settings allow only these
        return
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"ANALYZE {table}")


class Migration(migrations.Migration):
    dependencies = [("search", "0006_page_in_covering_indexes")]

    operations = [migrations.RunPython(analyze, migrations.RunPython.noop)]
