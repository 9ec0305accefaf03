"""The text rows carry their document's numbers (search.models.TEXT_COPIED_COLUMNS).

PostgreSQL's full-text index finds text rows; a search then probed the documents' index once per
match for the numbers its filters, counts and order need (100,000 probes for a word in every
case: docs/benchmarks.md). Read from the text row it visits anyway, they cost nothing more.
Copied here from the documents; the search index writes both rows together from now on.

SQLite remakes the text table to add the columns, which drops the full-text triggers on it: the
copy runs without them (the indexed text does not change) and `fts.install` puts them back.
"""

from django.db import migrations, models

COLUMNS = ("page_id", "doc_type", "expire_at", "start_date", "evidence", "facet_group", "area_set", "measure_set")
TEXT = "search_searchdocumenttext"
DOC = "search_searchdocument"


def copy_numbers(apps, schema_editor):
    from search import fts

    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            assignments = ", ".join(f"{column} = d.{column}" for column in COLUMNS)
            cursor.execute(f"UPDATE {TEXT} t SET {assignments} FROM {DOC} d WHERE d.id = t.document_id")
            return
        for name, kind in fts._sqlite_names().items():
            if kind == "trigger":
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        assignments = ", ".join(
            f"{column} = (SELECT d.{column} FROM {DOC} d WHERE d.id = {TEXT}.document_id)" for column in COLUMNS
        )
        cursor.execute(f"UPDATE {TEXT} SET {assignments}")
    fts.install(connection)


class Migration(migrations.Migration):

    dependencies = [
        ('search', '0017_postgres_browse_order'),
    ]

    operations = [
        migrations.AddField(
            model_name='searchdocumenttext',
            name='area_set',
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='searchdocumenttext',
            name='doc_type',
            field=models.CharField(blank=True, max_length=10),
        ),
        migrations.AddField(
            model_name='searchdocumenttext',
            name='evidence',
            field=models.PositiveSmallIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='searchdocumenttext',
            name='expire_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='searchdocumenttext',
            name='facet_group',
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='searchdocumenttext',
            name='measure_set',
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='searchdocumenttext',
            name='page_id',
            field=models.IntegerField(default=0),
        ),
        migrations.AddField(
            model_name='searchdocumenttext',
            name='start_date',
            field=models.DateField(blank=True, null=True),
        ),
        migrations.RunPython(copy_numbers, migrations.RunPython.noop),
    ]
