"""Models that moved between apps keep their rows (issue 14, item 1; ops/model_moves.py):
ImportedCase (editorial -> casestudies), LiveStream (community -> archive) and CaseQuestion
(community -> questions). A database written before the moves migrates with its rows, their
content types (so permissions and log entries still resolve) and the log's action names; migrating
back gives the old tables again; and a backup taken before the moves restores after them."""

from __future__ import annotations

import dataclasses
import datetime
import gzip
import io
import json
import tarfile
import uuid
from collections.abc import Iterator

import pytest

from django.apps import apps as django_apps
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from wagtail.models import ModelLogEntry

from archive.models import LiveStream, SessionPage, SummitPage
from casestudies.factories import CaseStudyPageFactory
from casestudies.models import ImportedCase
from home.models import HomePage
from ops.model_moves import MOVED_MODELS
from questions.models import CaseQuestion
from tests.fixtures.database import applied_state_apps, migrated_rows_back, migrated_to

# The last migrations before the moves: going back to them unapplies the moves and nothing else.
BEFORE_THE_MOVES = [
    ("questions", None),
    ("archive", "0004_chapter_translatable"),
    ("casestudies", "0013_page_expire_at_index"),
    ("community", "0002_inbox_permissions"),
    ("editorial", "0005_pending_import_source"),
]
MOVED_TABLES = {
    "before": {"editorial_importedcase", "community_livestream", "community_casequestion"},
    "after": {"casestudies_importedcase", "archive_livestream", "questions_casequestion"},
}
UTC = datetime.UTC


def migrate(targets) -> None:
    migrated_to(targets)
    # Content types are read from the database again, and cached again: with an empty cache, the next
    # test's serialized rollback would create rows on the fly (signal handlers) before restoring its own.
    ContentType.objects.clear_cache()
    ContentType.objects.get_for_models(*django_apps.get_models(), for_concrete_models=False)


def latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def moved_tables() -> set[str]:
    tables = set(connection.introspection.table_names())
    return tables & (MOVED_TABLES["before"] | MOVED_TABLES["after"])


def a_case_and_a_session(name: str = "Mask vending machines"):
    """A case and a session, written with today's models (their tables do not move)."""
    slug = name.lower().replace(" ", "-")
    case = CaseStudyPageFactory(title=name, slug=slug)
    home = HomePage.objects.get(locale__language_code="en")
    summit = home.add_child(
        instance=SummitPage(
            title=f"Summit of {name}",
            slug=f"summit-{slug}",
            name="CAC Global Summit",
            start_date=datetime.date(2020, 6, 1),
            end_date=datetime.date(2020, 6, 5),
        )
    )
    session = summit.add_child(
        instance=SessionPage(
            title="Forum",
            slug="forum",
            kind="forum",
            start=datetime.datetime(2020, 6, 3, 4, tzinfo=UTC),
            end=datetime.datetime(2020, 6, 3, 5, tzinfo=UTC),
        )
    )
    return case, session


def write_before_the_moves(apps, case, session) -> dict:
    """The three models' rows as their old apps held them, a user permission on one of them and the
    inbox's log entry of a forwarded question."""
    ContentType_ = apps.get_model("contenttypes", "ContentType")
    Permission_ = apps.get_model("auth", "Permission")
    User_ = apps.get_model("auth", "User")
    ModelLogEntry_ = apps.get_model("wagtailcore", "ModelLogEntry")
    imported = apps.get_model("editorial", "ImportedCase").objects.create(
        key="seoul-masks", translation_key=case.translation_key
    )
    stream = apps.get_model("community", "LiveStream").objects.create(
        session_id=session.pk, language="en", video_id="liveEN_0001"
    )
    question = apps.get_model("community", "CaseQuestion").objects.create(
        case_id=case.pk,
        language="en",
        name="Ana Lee",
        organisation="City of Aville",
        city="Aville",
        email="ana@example.org",
        message="How did you refill the machines?",
        status="forwarded",
    )
    content_types = {
        model: ContentType_.objects.get(app_label=app, model=model)
        for app, model in (
            ("editorial", "importedcase"),
            ("community", "livestream"),
            ("community", "casequestion"),
        )
    }
    auditor = User_.objects.create(username="auditor")
    auditor.user_permissions.add(
        Permission_.objects.get(content_type=content_types["importedcase"], codename="view_importedcase")
    )
    ModelLogEntry_.objects.create(
        content_type=content_types["casequestion"],
        object_id=str(question.pk),
        label="How did you refill the machines?",
        action="community.question.forward",
        timestamp=datetime.datetime(2026, 11, 30, tzinfo=UTC),
    )
    return {
        "imported": imported.pk,
        "stream": stream.pk,
        "question": question.pk,
        "content_types": {model: content_type.pk for model, content_type in content_types.items()},
    }


@dataclasses.dataclass
class RoundTrip:
    """What one migration round trip over the moves left, and what was read on the way (below)."""

    tables_at_start: set[str]
    tables_before: set[str]  # with the moves unapplied
    # Rows written with today's models, then read back with the models before the moves.
    today: dict
    read_before: dict
    # Rows written with the models before the moves, to be read after them.
    case: object
    session: object
    old: dict


@pytest.fixture(scope="class")
def round_trip(django_db_setup, django_db_blocker) -> Iterator[RoundTrip]:
    """One round trip over the moves for the class's tests (each took its own, 8 s): migrating back
    to BEFORE_THE_MOVES and forward again, with rows of both kinds on board, in a case and a session
    of their own each. Migrations run outside a transaction: the rows are committed, and afterwards
    the tables hold the migrations' rows again (as tests/fixtures/database.py's
    _migrated_rows_back_after_commits does after a module whose tests commit)."""
    with django_db_blocker.unblock():
        if not hasattr(connection, "_test_serialized_contents"):
            connection._test_serialized_contents = connection.creation.serialize_db_to_string()
        leaves = latest()
        tables_at_start = moved_tables()
        # test_the_moves_migrate_back's rows, written with today's models.
        case, session = a_case_and_a_session("Masks from vending machines")
        imported = ImportedCase.objects.create(key="vending-masks", translation_key=case.translation_key)
        stream = LiveStream.objects.create(session=session, language="ko", video_id="liveKO_0001")
        question = CaseQuestion.objects.create(
            case=case, name="Ana", organisation="Aville", city="Aville", email="a@example.org", message="How?"
        )
        ModelLogEntry.objects.log_action(instance=question, action="questions.forward")
        today = {
            "imported": imported.pk,
            "stream": stream.pk,
            "question": question.pk,
            "content_types": {
                model: ContentType.objects.get_for_model(model).pk
                for model in (ImportedCase, LiveStream, CaseQuestion)
            },
        }
        # test_rows_written_before_the_moves_are_read_after_them's case and session.
        old_case, old_session = a_case_and_a_session()

        migrate(BEFORE_THE_MOVES)

        tables_before = moved_tables()
        apps = applied_state_apps()
        read_before = {
            "imported": list(apps.get_model("editorial", "ImportedCase").objects.values_list("pk", "key")),
            "streams": list(apps.get_model("community", "LiveStream").objects.values_list("pk", "video_id")),
            "questions": list(
                apps.get_model("community", "CaseQuestion").objects.values_list("pk", "message")
            ),
            "content_types": {
                model: list(
                    apps.get_model("contenttypes", "ContentType")
                    .objects.filter(app_label=app, model=model)
                    .values_list("pk", flat=True)
                )
                for app, model in (
                    ("editorial", "importedcase"),
                    ("community", "livestream"),
                    ("community", "casequestion"),
                )
            },
            "actions": list(
                apps.get_model("wagtailcore", "ModelLogEntry")
                .objects.filter(object_id=str(question.pk))
                .values_list("action", flat=True)
            ),
        }
        old = write_before_the_moves(apps, old_case, old_session)

        migrate(leaves)
    try:
        yield RoundTrip(
            tables_at_start=tables_at_start,
            tables_before=tables_before,
            today=today,
            read_before=read_before,
            case=old_case,
            session=old_session,
            old=old,
        )
    finally:
        with django_db_blocker.unblock():
            migrated_rows_back()


class TestOneRoundTrip:
    """Rows of both kinds over one round trip (the class's fixture); each test reads its own."""

    def test_rows_written_before_the_moves_are_read_after_them(self, round_trip, admin_client, make_user):
        case, session, old = round_trip.case, round_trip.session, round_trip.old
        assert round_trip.tables_at_start == MOVED_TABLES["after"]
        assert round_trip.tables_before == MOVED_TABLES["before"]

        assert moved_tables() == MOVED_TABLES["after"]
        imported = ImportedCase.objects.get(pk=old["imported"])
        assert (imported.key, imported.translation_key) == ("seoul-masks", case.translation_key)
        stream = LiveStream.objects.get(pk=old["stream"])
        assert (stream.session_id, stream.video_id) == (session.pk, "liveEN_0001")
        assert list(session.live_streams.all()) == [stream]
        question = CaseQuestion.objects.get(pk=old["question"])
        assert question.case_id == case.pk and question.message == "How did you refill the machines?"
        assert list(case.questions.all()) == [question]
        # Each content type kept its id under the new app label; no row is left under the old one.
        for model, label in (
            (ImportedCase, "editorial"),
            (LiveStream, "community"),
            (CaseQuestion, "community"),
        ):
            content_type = ContentType.objects.get(
                app_label=model._meta.app_label, model=model._meta.model_name
            )
            assert content_type.pk == old["content_types"][model._meta.model_name]
            assert not ContentType.objects.filter(app_label=label, model=model._meta.model_name).exists()
        # So the permissions given before the move still hold: a user's, and the groups' (community 0002).
        assert User.objects.get(username="auditor").has_perm("casestudies.view_importedcase")
        editor = make_user("erin", "Editors")
        assert editor.has_perm("archive.change_livestream")
        assert editor.has_perm("questions.change_casequestion")
        assert (
            Group.objects.get(name="Administrators")
            .permissions.filter(codename="delete_casequestion")
            .exists()
        )
        assert not Permission.objects.filter(
            content_type__app_label="community", codename__endswith="livestream"
        )
        # The question's history still shows its forwarding, under the action's new name.
        entry = ModelLogEntry.objects.get(object_id=str(question.pk))
        assert (entry.action, entry.content_type.model_class()) == ("questions.forward", CaseQuestion)
        assert entry.message == "Forwarded to the city"
        history = admin_client.get(reverse("questions:history", args=[question.pk]))
        assert "Forwarded to the city" in history.content.decode()

    def test_the_moves_migrate_back(self, round_trip, db):
        today, read_before = round_trip.today, round_trip.read_before
        # With the moves unapplied, the old tables hold the rows written with today's models (and
        # only those: the other test's rows are written after this was read).
        assert round_trip.tables_before == MOVED_TABLES["before"]
        assert read_before["imported"] == [(today["imported"], "vending-masks")]
        assert read_before["streams"] == [(today["stream"], "liveKO_0001")]
        assert read_before["questions"] == [(today["question"], "How?")]
        assert read_before["content_types"] == {
            "importedcase": [today["content_types"][ImportedCase]],
            "livestream": [today["content_types"][LiveStream]],
            "casequestion": [today["content_types"][CaseQuestion]],
        }
        assert read_before["actions"] == ["community.question.forward"]

        # Forward again, each row is back once, under its model's new app (beside the other test's).
        assert list(ImportedCase.objects.filter(key="vending-masks").values_list("pk", flat=True)) == [
            today["imported"]
        ]
        assert list(LiveStream.objects.filter(video_id="liveKO_0001").values_list("pk", flat=True)) == [
            today["stream"]
        ]
        assert list(CaseQuestion.objects.filter(message="How?").values_list("pk", flat=True)) == [
            today["question"]
        ]
        assert ImportedCase.objects.count() == LiveStream.objects.count() == CaseQuestion.objects.count() == 2


def _rewrite_as_before_the_moves(archive_path) -> None:
    """Give a backup the labels it would have had before the moves (models, content types, actions)."""
    old_labels = {new: old for old, new in MOVED_MODELS.items()}
    with tarfile.open(archive_path, "r:gz") as archive:
        members = {
            member.name: archive.extractfile(member).read()
            for member in archive.getmembers()
            if member.isfile()
        }
    rows = json.loads(gzip.decompress(members["data.json.gz"]))
    for row in rows:
        row["model"] = old_labels.get(row["model"], row["model"])
        fields = row["fields"]
        if row["model"] == "contenttypes.contenttype":
            old = old_labels.get(f"{fields['app_label']}.{fields['model']}")
            if old is not None:
                fields["app_label"] = old.partition(".")[0]
        if row["model"] == "wagtailcore.modellogentry" and fields["action"] == "questions.forward":
            fields["action"] = "community.question.forward"
    assert {"editorial.importedcase", "community.livestream", "community.casequestion"} <= {
        row["model"] for row in rows
    }
    members["data.json.gz"] = gzip.compress(json.dumps(rows).encode())
    with tarfile.open(archive_path, "w:gz") as archive:
        for name, payload in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            archive.addfile(info, io.BytesIO(payload))


# The restore flushes the database: transactional, with the migrations' rows restored afterwards.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_backup_taken_before_the_moves_restores_after_them(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    case, session = a_case_and_a_session()
    key = uuid.uuid4()
    ImportedCase.objects.create(key="seoul-masks", translation_key=key)
    LiveStream.objects.create(session=session, language="en", video_id="liveEN_0001")
    question = CaseQuestion.objects.create(
        case=case, name="Ana", organisation="Aville", city="Aville", email="a@example.org", message="How?"
    )
    ModelLogEntry.objects.log_action(instance=question, action="questions.forward")
    archive_path = tmp_path / "backup.tar.gz"
    call_command("backup", str(archive_path), stdout=io.StringIO())
    _rewrite_as_before_the_moves(archive_path)

    call_command("restore", str(archive_path), force=True, stdout=io.StringIO())

    assert ImportedCase.objects.get().translation_key == key
    assert LiveStream.objects.get().session_id == session.pk
    restored = CaseQuestion.objects.get()
    assert restored.case_id == case.pk
    entry = ModelLogEntry.objects.get(object_id=str(restored.pk))
    assert (entry.action, entry.content_type.model_class()) == ("questions.forward", CaseQuestion)
    assert not ContentType.objects.filter(
        app_label__in=["community", "editorial"], model__in=["importedcase", "livestream", "casequestion"]
    ).exists()
