"""A session's media follow its original: recordings and chapters' times and cases do not depend on
language, so publishing the original copies them to every translation (chapter titles are kept).

wagtail-localize copies the same fields when a translator syncs (SessionPage.override_translatable_fields),
but only then: without this, a recording added to the English session stays missing on the Korean
one until somebody syncs. Publishing a translation takes the media again from the live original, so
a translation published from an older wagtail-localize snapshot does not drop newer media.
"""

from __future__ import annotations

import logging

from django.db import transaction

from wagtail.models import Locale, Page
from wagtail.signals import page_published
from wagtail_localize.models import TranslationSource

from .models import SessionChapter, SessionPage, SessionRecording

logger = logging.getLogger(__name__)

RECORDING_FIELDS = ("language", "video_id", "duration")
CHAPTER_FIELDS = ("language", "offset", "case_study_id")


def original_of(page: Page) -> SessionPage | None:
    """The version the others are translated from: wagtail-localize's source if there is one, else
    the page in the default language. None when it does not exist."""
    source = (
        TranslationSource.objects.filter(object_id=page.translation_key)
        .order_by("created_at")
        .values_list("locale_id", flat=True)
        .first()
    )
    locale_id = source or Locale.get_default().pk
    return SessionPage.objects.filter(translation_key=page.translation_key, locale_id=locale_id).first()


def _media(page: SessionPage) -> tuple[list[tuple], list[tuple]]:
    recordings = [tuple(getattr(r, f) for f in RECORDING_FIELDS) for r in page.recordings.all()]
    chapters = [(c.translation_key, *(getattr(c, f) for f in CHAPTER_FIELDS)) for c in page.chapters.all()]
    return recordings, chapters


def copy_media(original: SessionPage, target: SessionPage) -> bool:
    """Give `target` (in memory) the recordings and chapter times/cases of `original`; a chapter the
    target already has (same translation key) keeps its title, a new one takes the original's until
    it is translated. True when anything changed."""
    if _media(original) == _media(target):
        return False
    target.recordings = [
        SessionRecording(sort_order=index, **{f: getattr(r, f) for f in RECORDING_FIELDS})
        for index, r in enumerate(original.recordings.all())
    ]
    own = {chapter.translation_key: chapter for chapter in target.chapters.all()}
    chapters = []
    for index, chapter in enumerate(original.chapters.all()):
        mine = own.get(chapter.translation_key)
        chapters.append(
            SessionChapter(
                pk=mine.pk if mine else None,
                translation_key=chapter.translation_key,
                locale_id=target.locale_id,
                title=mine.title if mine and mine.title else chapter.title,
                sort_order=index,
                **{f: getattr(chapter, f) for f in CHAPTER_FIELDS},
            )
        )
    target.chapters = chapters
    return True


def sync_media(original: SessionPage, translation: SessionPage) -> bool:
    """Copy the media into the translation's live version (published) and into its draft, if it
    has one (saved, not published: an editor's unpublished work stays unpublished)."""
    translation = SessionPage.objects.get(pk=translation.pk)
    # Read before publishing: publishing makes the new revision the latest.
    draft = translation.get_latest_revision_as_object() if translation.has_unpublished_changes else None
    changed = False
    if translation.live and copy_media(original, translation):
        translation.save_revision(log_action=True).publish()
        changed = True
    if draft is not None and copy_media(original, draft):
        draft.save_revision(log_action=True)
        changed = True
    return changed


def on_session_published(sender, instance, **kwargs) -> None:
    original = original_of(instance)
    if original is None or not original.live:
        return
    if original.pk == instance.pk:
        targets = SessionPage.objects.filter(translation_key=original.translation_key).exclude(pk=original.pk)
    else:
        targets = [instance]
    for translation in targets:
        try:
            with transaction.atomic():  # a failed copy leaves that translation as it was
                sync_media(original, translation)
        except Exception:  # noqa: BLE001 - publishing the page itself must not fail because of it
            logger.exception(
                "archive: could not copy the media of session %s to %s", original.pk, translation.pk
            )


def connect() -> None:
    page_published.connect(on_session_published, sender=SessionPage, dispatch_uid="archive.session_media")
