"""Pages close in meaning to a page: its related cases and the search page's "more like this".

The neighbours are ranked once, when the page's vector is computed (search.vectors.store_neighbours:
nearest by meaning, boosted by shared measure types and areas, in every language), and read here
with a few indexed lookups, so a case page never ranks candidates per request.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from wagtail.models import Page

from casestudies.visibility import public_now
from search.models import SearchVector


def stored_neighbours(page_id: int) -> list[int]:
    """The stored neighbour ids of a page, best first ([] until the worker has embedded it)."""
    found = SearchVector.objects.filter(page_id=page_id).values_list("neighbours", flat=True).first()
    return [int(pk) for pk in found or [] if isinstance(pk, int)]


def similar_pages(page: Page, limit: int = 4, queryset: QuerySet | None = None) -> list[Page]:
    """Up to `limit` live, public pages nearest in meaning to `page`, one per translation group,
    each in the page's language where a translation exists (else in its own language, with
    `shown_in_other_language` set for the template's label)."""
    neighbours = stored_neighbours(page.pk)
    if not neighbours:
        return []
    queryset = public_now(queryset if queryset is not None else Page.objects.all())
    # The neighbours and their translations in the page's language, in one query.
    their_keys = Page.objects.filter(pk__in=neighbours).values("translation_key")
    # (The key condition on top, not under the OR: PostgreSQL then joins on the translation key's
    # index instead of testing every page.)
    rows = list(
        queryset.filter(Q(translation_key__in=their_keys), Q(pk__in=neighbours) | Q(locale_id=page.locale_id))
    )
    wanted = set(neighbours)
    candidates = {row.pk: row for row in rows if row.pk in wanted}
    local = {row.translation_key: row for row in rows if row.locale_id == page.locale_id}
    found: list[Page] = []
    seen = {page.translation_key}
    for pk in neighbours:
        candidate = candidates.get(pk)
        if candidate is None or candidate.translation_key in seen:
            continue
        seen.add(candidate.translation_key)
        shown = local.get(candidate.translation_key, candidate)
        shown.shown_in_other_language = shown.locale_id != page.locale_id
        found.append(shown)
        if len(found) >= limit:
            break
    return found
