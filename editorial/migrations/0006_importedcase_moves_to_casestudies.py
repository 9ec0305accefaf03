"""ImportedCase moves to casestudies (issue 14, item 1): it leaves editorial's state only. Its table and
rows stay; casestudies 0014 takes them over (state, table name and content type)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("editorial", "0005_pending_import_source"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ImportedCase")],
            database_operations=[],
        ),
    ]
