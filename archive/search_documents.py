"""Sessions in the search service: one `IndexedDocument` (doc_type "session") per live session page."""

from __future__ import annotations

from search.documents import IndexedDocument, page_url, register_document_builder, rich_text

from .models import SessionPage


def _prepare_sessions(queryset):
    return queryset.select_related("policy_area").prefetch_related("speakers", "chapters")


@register_document_builder(SessionPage, prepare=_prepare_sessions)
def session_document(page: SessionPage) -> IndexedDocument:
    speakers = [
        " ".join(part for part in (speaker.name, speaker.role, speaker.organisation) if part)
        for speaker in page.speakers.all()
    ]
    chapters = [chapter.title for chapter in page.chapters.all() if chapter.title]
    parts = (page.title, page.topic, rich_text(page.description), "\n".join(speakers), "\n".join(chapters))
    body_text = "\n".join(part for part in parts if part)
    return IndexedDocument(
        page_id=page.pk,
        doc_type="session",
        language=page.locale.language_code,
        title=page.title,
        summary=page.topic or "",
        body_text=body_text,
        country=page.first_country,
        area_slugs=[page.policy_area.slug] if page.policy_area_id else [],
        start_date=page.local_start.date() if page.start else None,
        published_at=page.last_published_at or page.first_published_at,
        url_path=page_url(page),
        expire_at=page.expire_at,
    )
