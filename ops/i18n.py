"""The visitor's current language, in one place for every app (issue 14: it had five copies)."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import get_language


def current_language() -> str:
    """The active language's base code ("en", "ko"), or the site's default language.

    The default stands in when no language is active (e.g. a management command) or when the active one
    is not one of the site's LANGUAGES, so callers can use the answer as a locale or index key as it is.
    """
    language = (get_language() or settings.LANGUAGE_CODE).split("-")[0]
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE.split("-")[0]


def is_korean() -> bool:
    """True when pages should show their Korean text (names that have a Korean form)."""
    return current_language() == "ko"
