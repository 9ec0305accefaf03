"""City and measure-type slugs in another script (made by imports before slugs were ASCII) become
transliterated ASCII slugs, unique as before; names are left as they are."""

from anyascii import anyascii

from django.db import migrations
from django.utils.text import slugify


def _ascii_slug(text: str, max_length: int) -> str:
    return slugify(anyascii(text or ""))[:max_length].strip("-")


def forwards(apps, schema_editor):
    for model_name, fallback, max_length in (("City", "city", 90), ("MeasureType", "measure", 90)):
        model = apps.get_model("casestudies", model_name)
        taken = set(model.objects.values_list("slug", flat=True))
        for item in model.objects.order_by("pk"):
            if item.slug.isascii():
                continue
            base = _ascii_slug(item.slug, max_length) or _ascii_slug(item.name, max_length) or fallback
            slug, counter = base, 2
            while slug in taken:
                slug = f"{base}-{counter}"
                counter += 1
            taken.add(slug)
            item.slug = slug
            item.save(update_fields=["slug"])


class Migration(migrations.Migration):
    dependencies = [("casestudies", "0006_measure_type_aliases")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
