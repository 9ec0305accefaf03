"""Groups (Editors, Reviewers, City editors, Administrators), their permissions and the review workflow."""

from django.db import migrations


def forwards(apps, schema_editor):
    from editorial.roles import configure_roles

    configure_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("editorial", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("wagtailcore", "0097_baselogentry_uuid_action_timestamp_indexes"),
        ("wagtailadmin", "0006_formstate"),
        ("wagtailimages", "0027_image_description"),
        ("wagtaildocs", "0014_alter_document_file_size"),
        ("wagtailredirects", "0008_add_verbose_name_plural"),
        ("wagtail_localize", "0016_rename_page_revision_translationlog_revision"),
        ("casestudies", "0003_measure_types"),
        ("home", "0002_locales_and_home_pages"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
