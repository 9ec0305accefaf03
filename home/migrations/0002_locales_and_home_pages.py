"""Bilingual from the first migration: the en and ko locales and a home page in each."""

import uuid

from django.db import migrations

HOME_TITLES = {"en": "Cities Against COVID-19", "ko": "코로나19에 맞선 도시들"}


def create_locales_and_home(apps, schema_editor):
    ContentType = apps.get_model("contenttypes.ContentType")
    Locale = apps.get_model("wagtailcore.Locale")
    Page = apps.get_model("wagtailcore.Page")
    Site = apps.get_model("wagtailcore.Site")
    HomePage = apps.get_model("home.HomePage")

    locales = {code: Locale.objects.get_or_create(language_code=code)[0] for code in ("en", "ko")}

    # Replace Wagtail's placeholder "Welcome" page (and its site) with our home pages.
    page_type = ContentType.objects.get(model="page", app_label="wagtailcore")
    Page.objects.filter(content_type=page_type, depth=2).delete()
    home_type, _ = ContentType.objects.get_or_create(model="homepage", app_label="home")

    translation_key = uuid.uuid4()
    homes = {}
    for position, code in enumerate(("en", "ko"), start=1):
        slug = "home" if code == "en" else "home-ko"
        homes[code] = HomePage.objects.create(
            title=HOME_TITLES[code],
            draft_title=HOME_TITLES[code],
            slug=slug,
            content_type=home_type,
            path=f"0001{position:04d}",
            depth=2,
            numchild=0,
            url_path=f"/{slug}/",
            locale=locales[code],
            translation_key=translation_key,
            live=True,
        )
    Page.objects.filter(depth=1).update(numchild=2)
    Site.objects.create(
        hostname="localhost", root_page=homes["en"], is_default_site=True, site_name="CAC Knowledge Platform"
    )


def remove_home(apps, schema_editor):
    apps.get_model("home.HomePage").objects.filter(depth=2).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("home", "0001_initial"),
        ("wagtailcore", "0097_baselogentry_uuid_action_timestamp_indexes"),
    ]

    operations = [migrations.RunPython(create_locales_and_home, remove_home)]
