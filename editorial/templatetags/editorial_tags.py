"""Public-page template tags of the editorial app."""

from __future__ import annotations

from django import template
from django.conf import settings

from wagtail.models import Page

register = template.Library()


def source_changed(page):
    """For a wagtail-localize translation whose source page was published after the translation
    was last synchronised: {"source": the source page, "synced_at", "published_at"}; else None."""
    if page is None or not getattr(page, "pk", None) or not page.translation_key:
        return None
    from wagtail_localize.models import Translation

    translation = (
        Translation.objects.filter(
            source__object_id=page.translation_key, target_locale_id=page.locale_id, enabled=True
        )
        .exclude(source__locale_id=page.locale_id)
        .select_related("source")
        .first()
    )
    if translation is None:
        return None
    source = (
        Page.objects.live()
        .filter(translation_key=page.translation_key, locale_id=translation.source.locale_id)
        .select_related("locale")
        .first()
    )
    if source is None or source.last_published_at is None:
        return None
    synced_at = translation.source.last_updated_at
    if source.last_published_at <= synced_at:
        return None
    return {"source": source, "synced_at": synced_at, "published_at": source.last_published_at}


@register.simple_tag
def translation_source_changed(page):
    return source_changed(page)


@register.filter
def language_name(code: str) -> str:
    return str(dict(settings.LANGUAGES).get(code, code))
