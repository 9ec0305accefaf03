"""Moving a model from one app to another with its rows: the step that keeps its content type.

A move is a pair of migrations. The old app's removes the model from its state only
(`SeparateDatabaseAndState`, no database operation), so the table and its rows stay. The new app's,
depending on it, adds the model to its state with `db_table` set to the old table, renames the table
(`AlterModelTable`) and, last, runs `move_content_type`.

Permissions given to groups and users, Django's and Wagtail's log entries and Wagtail's reference
index point to a model's content type by id. `move_content_type` renames the old row's `app_label`
(same id), so they all still resolve; creating a fresh content type instead (what `post_migrate` would
do) would leave them on a stale row. Reversible: backwards, the row takes the old label again.

A model's admin pages (a snippet's, a model viewset's) take their address from its app label or
viewset name: `moved_admin_pages` keeps the old addresses working (bookmarks, links in e-mails), by
a permanent redirect to the same page under the new address.

A backup names each row's model (`app_label.model`): `MOVED_MODELS` lets a backup taken before a move
restore after it (ops.backup).
"""

from __future__ import annotations

from django.db import migrations
from django.http import HttpResponsePermanentRedirect
from django.urls import URLPattern, re_path

from .http import local_path

# Every model moved between apps, old label -> new label (issue 14, item 1), with the log actions renamed
# with them. Add a line here with each move.
MOVED_MODELS = {
    "editorial.importedcase": "casestudies.importedcase",
    "community.livestream": "archive.livestream",
    "community.casequestion": "questions.casequestion",
}
RENAMED_LOG_ACTIONS = {"community.question.forward": "questions.forward"}


def _relabel(apps, schema_editor, model: str, from_app: str, to_app: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    content_types = ContentType.objects.db_manager(schema_editor.connection.alias)
    moved = content_types.filter(app_label=from_app, model=model).first()
    if moved is None:
        return  # nothing refers to the model yet: post_migrate creates its content type
    # A row under the new label was made before its model's rows could be saved under it: on the fly
    # (ContentType.get_for_model) by code that ran before this migration, or by post_migrate after
    # migrating back part of the way. Only its default permissions hang on it; they go with it.
    content_types.filter(app_label=to_app, model=model).delete()
    moved.app_label = to_app
    moved.save(update_fields=["app_label"])


def move_content_type(model: str, from_app: str, to_app: str) -> migrations.RunPython:
    """The migration operation that moves `model`'s content type from `from_app` to `to_app`."""

    def forwards(apps, schema_editor):
        _relabel(apps, schema_editor, model, from_app, to_app)

    def backwards(apps, schema_editor):
        _relabel(apps, schema_editor, model, to_app, from_app)

    return migrations.RunPython(forwards, backwards)


def moved_admin_pages(old_prefix: str, new_prefix: str) -> URLPattern:
    """An admin URL pattern (for Wagtail's `register_admin_urls` hook) sending every address under
    `<admin>/<old_prefix>/` to the same address, query included, under `<admin>/<new_prefix>/`."""
    old, new = f"/{old_prefix.strip('/')}/", f"/{new_prefix.strip('/')}/"

    def redirect(request, rest=""):
        return HttpResponsePermanentRedirect(local_path(request).replace(old, new, 1))

    return re_path(rf"^{old_prefix.strip('/')}/(?P<rest>.*)$", redirect)
