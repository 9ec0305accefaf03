"""Store the slug lists padded with spaces (" a b "): filters find " a " without concatenating."""

from django.db import migrations

PAD = [
    "UPDATE search_searchdocument SET area_slugs = ' ' || area_slugs || ' ' "
    "WHERE area_slugs <> '' AND area_slugs NOT LIKE ' %'",
    "UPDATE search_searchdocument SET measure_slugs = ' ' || measure_slugs || ' ' "
    "WHERE measure_slugs <> '' AND measure_slugs NOT LIKE ' %'",
]
UNPAD = [
    "UPDATE search_searchdocument SET area_slugs = trim(area_slugs)",
    "UPDATE search_searchdocument SET measure_slugs = trim(measure_slugs)",
]


def run(statements):
    def operation(apps, schema_editor):
        with schema_editor.connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)

    return operation


class Migration(migrations.Migration):
    dependencies = [("search", "0004_covering_indexes")]

    operations = [migrations.RunPython(run(PAD), run(UNPAD))]
