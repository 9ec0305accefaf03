"""Live streams move to archive and questions to cities to the questions app (issue 14, item 1): they
leave community's state only. Their tables and rows stay; archive 0005 and questions 0001 take them
over (state, table name and content type: ops/model_moves.py)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("community", "0002_inbox_permissions"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="LiveStream"),
                migrations.DeleteModel(name="CaseQuestion"),
            ],
            database_operations=[],
        ),
    ]
