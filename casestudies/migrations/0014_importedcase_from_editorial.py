"""ImportedCase comes from editorial with its rows (issue 14, item 1; ops/model_moves.py).

Its state is created over the existing table (editorial 0006 removed it from editorial's state only),
the table is renamed editorial_importedcase -> casestudies_importedcase, and its content type keeps
its id under the new app label.
"""

from django.db import migrations, models

from ops.model_moves import move_content_type


class Migration(migrations.Migration):
    dependencies = [
        ("casestudies", "0013_page_expire_at_index"),
        ("editorial", "0006_importedcase_moves_to_casestudies"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ImportedCase",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("key", models.CharField(max_length=100, unique=True, verbose_name="import key")),
                        ("translation_key", models.UUIDField(unique=True, verbose_name="translation key")),
                        ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created at")),
                    ],
                    options={
                        "verbose_name": "imported case",
                        "verbose_name_plural": "imported cases",
                        "db_table": "editorial_importedcase",
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name="importedcase", table=None),
        move_content_type("importedcase", "editorial", "casestudies"),
    ]
