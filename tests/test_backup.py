"""A backup restores into an empty database with the same pages, revisions, translations, taxonomy
and files (on SQLite, and on PostgreSQL when the suite runs there)."""

import pytest

from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command

from wagtail.documents.models import Document
from wagtail.models import Locale, Page, Revision

from casestudies.factories import CaseStudyPageFactory, MeasureTypeFactory, index_page
from casestudies.models import City, MeasureType, PolicyArea


def snapshot():
    pages = sorted(
        Page.objects.values_list(
            "id", "path", "url_path", "title", "live", "locale__language_code", "translation_key"
        )
    )
    return {
        "pages": pages,
        "specific": sorted((p.pk, type(p).__name__) for p in Page.objects.specific()),
        "revisions": Revision.objects.count(),
        "areas": sorted(PolicyArea.objects.values_list("slug", "locale__language_code", "name")),
        "cities": sorted(City.objects.values_list("slug", "name_ko", "country")),
        "measures": sorted(MeasureType.objects.values_list("slug", "name_ko", "oxcgrt_code")),
        "documents": sorted(Document.objects.values_list("title", "file")),
    }


# The restore flushes the database: transactional, with the migrations' rows restored afterwards.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_backup_then_restore_into_an_empty_database(tmp_path, settings, client):
    settings.MEDIA_ROOT = tmp_path / "media"
    measure = MeasureTypeFactory(name="Mask vending machines", slug="mask-vending-machines")
    case = CaseStudyPageFactory(title="Masks for every household", measures=[measure], areas=["welfare"])
    index_page("ko")
    translation = case.copy_for_translation(Locale.objects.get(language_code="ko"))
    translation.title = "모든 가구에 마스크"
    translation.save_revision().publish()
    case.title = "Masks for every household, revised"
    case.save_revision().publish()
    Document.objects.create(
        title="Guidelines", file=ContentFile(b"%PDF-1.4 guidelines", name="guidelines.pdf")
    )
    before = snapshot()
    stored_file = Document.objects.get().file.name

    archive = tmp_path / "backup.tar.gz"
    call_command("backup", str(archive))
    with pytest.raises(CommandError, match="already has content"):
        call_command("restore", str(archive))

    call_command("flush", interactive=False, verbosity=0)
    (settings.MEDIA_ROOT / stored_file).unlink()
    call_command("restore", str(archive))

    assert snapshot() == before
    assert (settings.MEDIA_ROOT / stored_file).read_bytes() == b"%PDF-1.4 guidelines"
    restored = Page.objects.get(pk=case.pk).specific
    assert restored.measure_types.get().slug == "mask-vending-machines"
    assert client.get(restored.url).status_code == 200
    assert client.get(Page.objects.get(pk=translation.pk).url).status_code == 200


def test_restore_rejects_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="No backup"):
        call_command("restore", str(tmp_path / "nothing.tar.gz"))
