"""A session's media follow its original (issue 12 item 16): a recording and chapters added to the
English session appear on the Korean one, with the chapter titles the Korean page already has, and
a Korean session made by wagtail-localize says when its original changed, as case pages do."""

from __future__ import annotations

import datetime

import pytest

from django.utils import timezone

from wagtail.models import Locale
from wagtail_localize.fields import get_translatable_fields
from wagtail_localize.models import StringSegment, StringTranslation, Translation, TranslationSource

from archive.models import SessionChapter, SessionPage, SessionRecording

pytestmark = pytest.mark.django_db

VIDEO = "testEN_0001"


def sessions(archive_summit, slug="quarantine") -> tuple[SessionPage, SessionPage]:
    return tuple(SessionPage.objects.get(slug=slug, locale__language_code=code) for code in ("en", "ko"))


def add_media(page: SessionPage, chapters: list[tuple[int, str]]) -> SessionPage:
    page = SessionPage.objects.get(pk=page.pk)
    page.recordings = [SessionRecording(language="en", video_id=VIDEO, duration=5400)]
    page.chapters = [SessionChapter(language="en", offset=offset, title=title) for offset, title in chapters]
    page.save_revision().publish()
    return SessionPage.objects.get(pk=page.pk)


def chapter_rows(page: SessionPage) -> list[tuple]:
    return [
        (c.offset, c.title, c.language, c.case_study_id, c.locale.language_code)
        for c in SessionPage.objects.get(pk=page.pk).chapters.select_related("locale")
    ]


def test_localize_shares_the_media_and_translates_chapter_titles():
    session = {field.field_name: field for field in get_translatable_fields(SessionPage)}
    for name in ("recordings", "start", "end", "kind", "countries", "cities"):
        assert type(session[name]).__name__ == "SynchronizedField", name
        assert not session[name].is_overridable(SessionPage()), name
    assert type(session["chapters"]).__name__ == "TranslatableField"
    chapter = {field.field_name: field for field in get_translatable_fields(SessionChapter)}
    assert type(chapter["title"]).__name__ == "TranslatableField"
    for name in ("offset", "language", "case_study"):
        assert type(chapter[name]).__name__ == "SynchronizedField", name


def test_media_added_to_the_english_session_appear_on_the_korean_one(client, archive_summit, archive_case):
    en, ko = sessions(archive_summit)
    en = add_media(en, [(0, "Opening"), (3730, "Drive-through testing")])
    SessionChapter.objects.filter(page=en, offset=3730).update(case_study=archive_case["en"])
    en.save_revision().publish()

    ko = SessionPage.objects.get(pk=ko.pk)
    assert [(r.language, r.video_id, r.duration) for r in ko.recordings.all()] == [("en", VIDEO, 5400)]
    assert chapter_rows(ko) == [
        (0, "Opening", "en", None, "ko"),  # the English title until it is translated
        (3730, "Drive-through testing", "en", archive_case["en"].pk, "ko"),
    ]
    assert [c.translation_key for c in ko.chapters.all()] == [c.translation_key for c in en.chapters.all()]
    assert not ko.has_unpublished_changes

    html = client.get(ko.url).content.decode()
    assert f"youtube-nocookie.com/embed/{VIDEO}" in html
    assert "?t=3730&amp;rec=en#player-en" in html
    assert archive_case["ko"].url in html  # the chapter's case, in Korean


def test_translated_chapter_titles_stay_while_times_follow(archive_summit):
    en, ko = sessions(archive_summit)
    en = add_media(en, [(0, "Opening"), (3730, "Testing")])
    SessionChapter.objects.filter(page__pk=ko.pk, offset=0).update(title="개회")

    en = SessionPage.objects.get(pk=en.pk)
    chapters = list(en.chapters.all())
    chapters[0].offset = 15  # the opening really starts 15 s in
    en.chapters = [chapters[0]]  # and the second chapter is removed
    en.save_revision().publish()

    assert chapter_rows(ko) == [(15, "개회", "en", None, "ko")]


def test_a_korean_draft_stays_a_draft(archive_summit):
    en, ko = sessions(archive_summit)
    ko = SessionPage.objects.get(pk=ko.pk)
    live_title = ko.title
    ko.title = "초안 제목"
    ko.save_revision()  # an editor's unpublished work

    add_media(en, [(0, "Opening")])

    ko = SessionPage.objects.get(pk=ko.pk)
    assert ko.title == live_title and ko.recordings.count() == 1  # live: the media, not the draft
    assert ko.has_unpublished_changes
    draft = ko.get_latest_revision_as_object()
    assert draft.title == "초안 제목"
    assert [c.offset for c in draft.chapters.all()] == [0]
    assert [r.video_id for r in draft.recordings.all()] == [VIDEO]


def test_publishing_the_korean_page_does_not_drop_newer_media(archive_summit):
    en, ko = sessions(archive_summit)
    ko = SessionPage.objects.get(pk=ko.pk)
    stale = ko.get_latest_revision_as_object()  # e.g. a translation made before the recording existed
    add_media(en, [(0, "Opening")])
    stale.save_revision().publish()
    assert SessionPage.objects.get(pk=ko.pk).recordings.count() == 1
    assert [row[0] for row in chapter_rows(ko)] == [0]


def _localize_translation(page: SessionPage, locale: Locale, django_capture_on_commit_callbacks):
    source, _ = TranslationSource.get_or_create_from_instance(page)
    translation = Translation.objects.create(source=source, target_locale=locale)
    with django_capture_on_commit_callbacks(execute=True):
        translation.save_target(publish=True)
    return source, translation


def test_wagtail_localize_translates_chapter_titles_and_keeps_their_times(
    archive_summit, django_capture_on_commit_callbacks
):
    ko_locale = Locale.objects.get(language_code="ko")
    en, demo_ko = sessions(archive_summit)
    en = add_media(en, [(0, "Opening")])
    en = en.copy(to=archive_summit["en"], update_attrs={"slug": "quarantine-2", "title": "Quarantine II"})
    en = SessionPage.objects.get(pk=en.pk)
    assert [c.offset for c in en.chapters.all()] == [0]
    source, translation = _localize_translation(en, ko_locale, django_capture_on_commit_callbacks)

    segment = StringSegment.objects.get(source=source, string__data="Opening")
    StringTranslation.objects.create(
        translation_of=segment.string,
        locale=ko_locale,
        context=segment.context,
        data="개회",
        translation_type="manual",
    )
    with django_capture_on_commit_callbacks(execute=True):
        translation.save_target(publish=True)

    ko = SessionPage.objects.get(translation_key=en.translation_key, locale=ko_locale)
    assert chapter_rows(ko) == [(0, "개회", "en", None, "ko")]
    assert [r.video_id for r in ko.recordings.all()] == [VIDEO]


def test_the_korean_session_says_when_its_original_changed(
    client, archive_summit, django_capture_on_commit_callbacks
):
    ko_locale = Locale.objects.get(language_code="ko")
    en, _ = sessions(archive_summit)
    en = en.copy(to=archive_summit["en"], update_attrs={"slug": "quarantine-3", "title": "Quarantine III"})
    en = SessionPage.objects.get(pk=en.pk)
    en.save_revision().publish()
    source, _ = _localize_translation(en, ko_locale, django_capture_on_commit_callbacks)
    ko = SessionPage.objects.get(translation_key=en.translation_key, locale=ko_locale)
    assert "data-translation-outdated" not in client.get(ko.url).content.decode()

    add_media(en, [(0, "Opening")])
    SessionPage.objects.filter(pk=en.pk).update(
        last_published_at=timezone.now() + datetime.timedelta(seconds=1)
    )
    html = client.get(ko.url).content.decode()
    assert "data-translation-outdated" in html
    assert f'href="{en.url}"' in html
    assert f"youtube-nocookie.com/embed/{VIDEO}" in html  # the media are there already
    assert "data-translation-outdated" not in client.get(en.url).content.decode()


def test_a_failed_copy_does_not_stop_the_original_being_published(archive_summit, monkeypatch, caplog):
    from archive import signals

    def broken(original, target):
        raise RuntimeError("disk full")

    monkeypatch.setattr(signals, "copy_media", broken)
    en, ko = sessions(archive_summit)
    en = add_media(en, [(0, "Opening")])
    assert en.live and en.recordings.count() == 1  # published
    assert SessionPage.objects.get(pk=ko.pk).recordings.count() == 0  # the translation as it was
    assert "could not copy the media" in caplog.text
