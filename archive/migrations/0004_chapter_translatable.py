"""Chapters become translatable children (locale, translation_key): a translation's chapter shares the
original's time and case and keeps its own title. Existing chapters take their page's locale; the
chapters of the language versions of one session at the same recording and time share one key."""

import uuid

import django.db.models.deletion
from django.db import migrations, models


def fill_locale_and_key(apps, schema_editor):
    SessionChapter = apps.get_model("archive", "SessionChapter")
    keys: dict[tuple, uuid.UUID] = {}
    taken: set[tuple] = set()
    chapters = SessionChapter.objects.select_related("page").order_by("page__locale_id", "page_id", "sort_order", "pk")
    for chapter in chapters:
        locale_id = chapter.page.locale_id
        moment = (chapter.page.translation_key, chapter.language, chapter.offset)
        key = keys.setdefault(moment, uuid.uuid4())
        if (key, locale_id) in taken:  # two chapters at the same time on one page: each its own key
            key = uuid.uuid4()
        taken.add((key, locale_id))
        chapter.locale_id = locale_id
        chapter.translation_key = key
        chapter.save(update_fields=["locale", "translation_key"])


class Migration(migrations.Migration):
    dependencies = [
        ("archive", "0003_kosovo_in_countries"),
        ("wagtailcore", "0097_baselogentry_uuid_action_timestamp_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="sessionchapter",
            name="locale",
            field=models.ForeignKey(
                null=True,
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="wagtailcore.locale",
                verbose_name="locale",
            ),
        ),
        migrations.AddField(
            model_name="sessionchapter",
            name="translation_key",
            field=models.UUIDField(null=True, editable=False),
        ),
        migrations.RunPython(fill_locale_and_key, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="sessionchapter",
            name="locale",
            field=models.ForeignKey(
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="wagtailcore.locale",
                verbose_name="locale",
            ),
        ),
        migrations.AlterField(
            model_name="sessionchapter",
            name="translation_key",
            field=models.UUIDField(default=uuid.uuid4, editable=False),
        ),
        migrations.AlterUniqueTogether(
            name="sessionchapter",
            unique_together={("translation_key", "locale")},
        ),
    ]
