"""Questions to cities come from community with their rows (issue 14, item 1; ops/model_moves.py).

CaseQuestion's state is created over the existing table (community 0003 removed it from community's
state only), the table is renamed community_casequestion -> questions_casequestion, its content type
keeps its id (the inbox permissions that community 0002 gave the editorial groups go with it), and
the history of forwarded questions takes the action's new name.
"""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

from ops.model_moves import move_content_type

OLD_FORWARD_ACTION = "community.question.forward"
FORWARD_ACTION = "questions.forward"


def rename_forward_action(old: str, new: str):
    def rename(apps, schema_editor):
        ModelLogEntry = apps.get_model("wagtailcore", "ModelLogEntry")
        ModelLogEntry.objects.using(schema_editor.connection.alias).filter(action=old).update(action=new)

    return rename


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("casestudies", "0013_page_expire_at_index"),
        ("community", "0003_live_streams_and_questions_move_out"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("wagtailcore", "0097_baselogentry_uuid_action_timestamp_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="CaseQuestion",
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
                                default="en",
                                max_length=8,
                                verbose_name="language",
                            ),
                        ),
                        ("name", models.CharField(max_length=120, verbose_name="name")),
                        ("organisation", models.CharField(max_length=200, verbose_name="organisation")),
                        ("city", models.CharField(max_length=120, verbose_name="city")),
                        ("email", models.EmailField(max_length=254, verbose_name="e-mail")),
                        ("message", models.TextField(max_length=3000, verbose_name="question")),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("new", "New"),
                                    ("forwarded", "Forwarded to the city"),
                                    ("answered", "Answered"),
                                ],
                                db_index=True,
                                default="new",
                                max_length=12,
                                verbose_name="status",
                            ),
                        ),
                        (
                            "answer",
                            models.TextField(
                                blank=True,
                                help_text="The city's answer, as it may appear under the case. Saving an answer marks the question answered.",
                                max_length=5000,
                                verbose_name="answer",
                            ),
                        ),
                        (
                            "publish_answer",
                            models.BooleanField(
                                default=False,
                                help_text="Only when the city has agreed. The asker's name and e-mail are never published.",
                                verbose_name="publish under the case",
                            ),
                        ),
                        (
                            "created_at",
                            models.DateTimeField(
                                db_index=True, default=django.utils.timezone.now, verbose_name="asked at"
                            ),
                        ),
                        ("forwarded_at", models.DateTimeField(blank=True, null=True, verbose_name="forwarded at")),
                        ("forwarded_to", models.EmailField(blank=True, max_length=254, verbose_name="forwarded to")),
                        ("answered_at", models.DateTimeField(blank=True, null=True, verbose_name="answered at")),
                        (
                            "case",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="questions",
                                to="casestudies.casestudypage",
                                verbose_name="case study",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "question to a city",
                        "verbose_name_plural": "questions to cities",
                        "ordering": ["-created_at", "-pk"],
                        "db_table": "community_casequestion",
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name="casequestion", table=None),
        move_content_type("casequestion", "community", "questions"),
        migrations.RunPython(
            rename_forward_action(OLD_FORWARD_ACTION, FORWARD_ACTION),
            rename_forward_action(FORWARD_ACTION, OLD_FORWARD_ACTION),
        ),
    ]
