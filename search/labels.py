"""Names shown with search results, in the request's language whatever the thread's."""

from __future__ import annotations

import functools

from django_countries import countries

from django.utils import translation


@functools.lru_cache(maxsize=4096)
def country_name(code: str, language: str) -> str:
    """The country's name in `language` (its code when unknown). Cached: django-countries
    translates its whole list on each call, 0.1 ms a hit (docs/benchmarks.md)."""
    if not code:
        return ""
    with translation.override(language):
        return str(countries.name(code)) or code
