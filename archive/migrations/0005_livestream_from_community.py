"""LiveStream comes from community with its rows (issue 14, item 1; ops/model_moves.py).

Its state is created over the existing table (community 0003 removed it from community's state
only), the table is renamed community_livestream -> archive_livestream, its unique constraint takes
the new table's name, and its content type keeps its id (the permissions that community 0002 gave
the editorial groups go with it).
"""

import django.db.models.deletion
from django.db import migrations, models

import archive.fields
from ops.model_moves import move_content_type


class Migration(migrations.Migration):
    dependencies = [
        ("archive", "0004_chapter_translatable"),
        ("community", "0003_live_streams_and_questions_move_out"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="LiveStream",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "language",
                            models.CharField(
                                choices=[("en", "English"), ("ko", "Korean")],
                                max_length=2,
                                verbose_name="broadcast language",
                            ),
                        ),
                        ("video_id", archive.fields.YouTubeIdField(verbose_name="YouTube video id or address")),
                        (
                            "session",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="live_streams",
                                to="archive.sessionpage",
                                verbose_name="session",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "live stream",
                        "verbose_name_plural": "live streams",
                        "ordering": ["session__start", "language"],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("session", "language"), name="community_livestream_unique_language"
                            )
                        ],
                        "db_table": "community_livestream",
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name="livestream", table=None),
        migrations.RemoveConstraint(model_name="livestream", name="community_livestream_unique_language"),
        migrations.AddConstraint(
            model_name="livestream",
            constraint=models.UniqueConstraint(
                fields=("session", "language"), name="archive_livestream_unique_language"
            ),
        ),
        move_content_type("livestream", "community", "archive"),
    ]
