"""Editors and reviewers work the questions inbox (view, change: forward and answer) and the live
streams; administrators may also delete questions. Nobody adds a question in the admin."""

from django.db import migrations

GRANTS = {
    "Editors": [
        ("casequestion", ("view", "change")),
        ("livestream", ("add", "change", "delete", "view")),
    ],
    "Reviewers": [
        ("casequestion", ("view", "change")),
        ("livestream", ("add", "change", "delete", "view")),
    ],
    "Administrators": [
        ("casequestion", ("view", "change", "delete")),
        ("livestream", ("add", "change", "delete", "view")),
    ],
}


def grant(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    for group_name, specs in GRANTS.items():
        group = Group.objects.filter(name=group_name).first()
        if group is None:
            continue
        for model, actions in specs:
            content_type, _ = ContentType.objects.get_or_create(app_label="community", model=model)
            for action in actions:
                codename = f"{action}_{model}"
                permission, _ = Permission.objects.get_or_create(
                    content_type=content_type,
                    codename=codename,
                    defaults={"name": f"Can {action} {model}"},
                )
                group.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("community", "0001_initial"),
        ("editorial", "0002_roles_and_workflow"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
