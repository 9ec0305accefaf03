"""Backup and restore of the whole site: database content (portable JSON) and media files.

The dump is database-neutral (Django's JSON serialiser), so a backup taken on SQLite restores on
PostgreSQL and back. Every row keeps its primary key, content types and permissions included, so no
natural key is needed (some of Wagtail's are not serialisable). Derived data is left out and rebuilt:
search indexes, sessions, login attempts.
"""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, transaction

from .model_moves import MOVED_MODELS, RENAMED_LOG_ACTIONS

# Rebuilt after a restore, or per-request state: not content.
EXCLUDED_MODELS = {
    "sessions.session",
    "admin.logentry",
    "wagtailsearch.indexentry",
    "modelsearch.indexentry",
    "axes.accessattempt",
    "axes.accesslog",
    "axes.accessfailurelog",
}
EXCLUDED_APPS = {"cacsearch", "search", "django_tasks"}
FORMAT_VERSION = 1


def _models_to_dump():
    """Content models, ordered like dumpdata orders them (dependencies first)."""
    wanted = [
        model
        for model in apps.get_models()
        if not model._meta.proxy
        and model._meta.managed
        and model._meta.label_lower not in EXCLUDED_MODELS
        and model._meta.app_label not in EXCLUDED_APPS
    ]
    app_list = {}
    for model in wanted:
        app_list.setdefault(apps.get_app_config(model._meta.app_label), []).append(model)
    return serializers.sort_dependencies(app_list.items(), allow_cycles=True)


def create_backup(target: Path, log: Callable[[str], None] = print) -> Path:
    """Write `target` (a .tar.gz) holding data.json.gz, the media files and a manifest."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    data = io.BytesIO()
    with gzip.GzipFile(fileobj=data, mode="wb") as stream, transaction.atomic():
        text = io.TextIOWrapper(stream, encoding="utf-8")
        text.write("[")
        first = True
        for model in _models_to_dump():
            queryset = model._default_manager.order_by("pk")
            count = 0
            for obj in queryset.iterator(chunk_size=500):
                chunk = serializers.serialize("json", [obj])[1:-1]
                text.write(("" if first else ",") + chunk)
                first = False
                count += 1
            counts[model._meta.label_lower] = count
        text.write("]")
        text.flush()
        text.detach()
    manifest = {
        "format": FORMAT_VERSION,
        "created": datetime.now(UTC).isoformat(),
        "database_vendor": connection.vendor,
        "counts": counts,
    }
    media_root = Path(settings.MEDIA_ROOT)
    with tarfile.open(target, "w:gz") as archive:
        for name, payload in (
            ("manifest.json", json.dumps(manifest, indent=2).encode()),
            ("data.json.gz", data.getvalue()),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            archive.addfile(info, io.BytesIO(payload))
        if media_root.exists():
            archive.add(media_root, arcname="media")
    log(f"Backup written to {target}: {sum(counts.values())} objects.")
    return target


def _after_moves(rows: list[dict]) -> list[dict]:
    """The rows of a backup with the models that moved between apps since it was taken under their new
    labels (ops.model_moves): the row's model, its content type's app label, its log actions."""
    for row in rows:
        row["model"] = MOVED_MODELS.get(row["model"], row["model"])
        fields = row["fields"]
        if row["model"] == "contenttypes.contenttype":
            label = MOVED_MODELS.get(f"{fields['app_label']}.{fields['model']}")
            if label is not None:
                fields["app_label"] = label.partition(".")[0]
        elif row["model"] == "wagtailcore.modellogentry":
            fields["action"] = RENAMED_LOG_ACTIONS.get(fields["action"], fields["action"])
    return rows


def _database_is_empty() -> bool:
    from wagtail.models import Page

    # A freshly migrated database holds only the migrations' rows: the root, two home pages.
    return Page.objects.filter(depth__gt=2).count() == 0


def restore_backup(source: Path, log: Callable[[str], None] = print, force: bool = False) -> dict[str, int]:
    """Load a backup into this (migrated) database, replacing its content, and restore media."""
    source = Path(source)
    if not force and not _database_is_empty():
        raise ValueError("The database already has content; restore into an empty database or use --force.")
    with tarfile.open(source, "r:gz") as archive:
        manifest = json.load(archive.extractfile("manifest.json"))
        if manifest.get("format") != FORMAT_VERSION:
            raise ValueError(f"Unsupported backup format {manifest.get('format')!r}.")
        payload = gzip.decompress(archive.extractfile("data.json.gz").read())
        media_members = [m for m in archive.getmembers() if m.name.startswith("media/")]
        media_root = Path(settings.MEDIA_ROOT)
        for member in media_members:
            relative = Path(member.name).relative_to("media")
            if member.isdir() or ".." in relative.parts:
                continue
            destination = media_root / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(archive.extractfile(member).read())
    with transaction.atomic():
        # Empty every table, content types included: the dump brings them back with their keys.
        call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=True)
        objects = list(serializers.deserialize("python", _after_moves(json.loads(payload))))
        loaded_models = set()
        for obj in objects:
            obj.save()
            loaded_models.add(type(obj.object))
        # PostgreSQL sequences must continue after the restored keys (as loaddata does).
        statements = connection.ops.sequence_reset_sql(no_style(), list(loaded_models))
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
    # Content type ids changed under this process: forget the cached ones and load the restored ones.
    ContentType.objects.clear_cache()
    ContentType.objects.get_for_models(*apps.get_models(), for_concrete_models=False)
    call_command("rebuild_search_index", verbosity=0)
    log(f"Restored {len(objects)} objects from {source}.")
    return manifest["counts"]
