"""Each numbered list's slugs in a table (search.models.SearchSlugSetMember); browsing's
covering indexes led by the facet numbers instead of the slug text (a facet count adds the
lists up per slug in the database, and seeks only the entries passing another facet's filter);
the matches' index narrowed to the numbers (filters are tested on them)."""

import django.db.models.deletion
from django.db import migrations, models


def write_the_members(apps, schema_editor):
    """The lists numbered so far get their slugs (new lists get them when numbered)."""
    slug_set = apps.get_model("search", "SearchSlugSet")
    member = apps.get_model("search", "SearchSlugSetMember")
    database = schema_editor.connection.alias
    rows = slug_set.objects.using(database).values_list("pk", "slugs").iterator(chunk_size=2000)
    batch = []
    for pk, slugs in rows:
        batch += [member(slug_set_id=pk, slug=slug) for slug in set(slugs.split())]
        if len(batch) >= 5000:
            member.objects.using(database).bulk_create(batch, ignore_conflicts=True)
            batch = []
    member.objects.using(database).bulk_create(batch, ignore_conflicts=True)
    with schema_editor.connection.cursor() as cursor:  # statistics for the new indexes
        cursor.execute("ANALYZE search_searchdocument")
        cursor.execute("ANALYZE search_searchslugsetmember")


class Migration(migrations.Migration):
    dependencies = [
        ("casestudies", "0014_importedcase_from_editorial"),
        ("search", "0015_slug_sets"),
        ("wagtailcore", "0097_baselogentry_uuid_action_timestamp_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="SearchSlugSetMember",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("slug", models.CharField(max_length=100)),
            ],
        ),
        migrations.RemoveIndex(
            model_name="searchdocument",
            name="search_doc_groups",
        ),
        migrations.RemoveIndex(
            model_name="searchdocument",
            name="search_doc_areas",
        ),
        migrations.RemoveIndex(
            model_name="searchdocument",
            name="search_doc_measures",
        ),
        migrations.AddIndex(
            model_name="searchdocument",
            index=models.Index(
                fields=["language", "facet_group", "area_set", "measure_set", "doc_type", "expire_at"],
                name="search_doc_by_group",
            ),
        ),
        migrations.AddIndex(
            model_name="searchdocument",
            index=models.Index(
                fields=["language", "area_set", "facet_group", "measure_set", "doc_type", "expire_at"],
                name="search_doc_by_areas",
            ),
        ),
        migrations.AddIndex(
            model_name="searchdocument",
            index=models.Index(
                fields=["language", "measure_set", "facet_group", "area_set", "doc_type", "expire_at"],
                name="search_doc_by_measures",
            ),
        ),
        migrations.AddField(
            model_name="searchslugsetmember",
            name="slug_set",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="members", to="search.searchslugset"
            ),
        ),
        migrations.AddIndex(
            model_name="searchslugsetmember",
            index=models.Index(fields=["slug", "slug_set"], name="search_slug_member_by_slug"),
        ),
        migrations.AddConstraint(
            model_name="searchslugsetmember",
            constraint=models.UniqueConstraint(fields=("slug_set", "slug"), name="search_slug_member_unique"),
        ),
        migrations.RemoveIndex(
            model_name="searchdocument",
            name="search_doc_by_id",
        ),
        migrations.AddIndex(
            model_name="searchdocument",
            index=models.Index(
                fields=[
                    "id",
                    "language",
                    "expire_at",
                    "doc_type",
                    "page",
                    "start_date",
                    "evidence",
                    "facet_group",
                    "area_set",
                    "measure_set",
                ],
                name="search_doc_by_id",
            ),
        ),
        migrations.RunPython(write_the_members, migrations.RunPython.noop),
    ]
