"""What a visitor may see now: the one rule every public view, feed, download and API uses.

A page is *public now* when it is live, not past its expiry date (`expire_at`: hidden from the
moment it passes, not only once `publish_scheduled` has unpublished it) and not under a view
restriction (its own or an ancestor's: Wagtail's `.public()`). The taxonomy a visitor may see
follows from it: a city or a measure type exists for the public only while public content uses it,
so one made by a draft (an import creates unknown cities and measures) reveals nothing.

Querysets only (no models imported at module level), so that every app can use it.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Length, Substr
from django.utils import timezone


def public_now(pages) -> QuerySet:
    """`pages` (a page model's manager or queryset) reduced to what a visitor may see now.

    Expiry is excluded by id: `id` is a filter field of every page's search index, `expire_at` is
    not, so the result can still be searched (Wagtail's API `?search=`)."""
    from wagtail.models import Page

    expired = Page.objects.filter(expire_at__lte=timezone.now()).values("pk")
    return pages.all().live().public().exclude(pk__in=expired)


def public_now_in_one_query(pages) -> QuerySet:
    """`public_now(pages)` in one SQL statement: the view restrictions are read by a subquery
    (a restriction on the page or an ancestor), not beforehand as Wagtail's `.public()` does.

    For a lookup that must cost one query, such as the case filters' check of measure types
    (casestudies.filters), which the search page makes on every request that names one. The
    same rule: tests/test_case_filters.py compares the two."""
    from wagtail.models import PageViewRestriction

    # A restriction on a page whose path starts the outer page's path (the page or an ancestor).
    restricted = PageViewRestriction.objects.filter(
        page__path=Substr(OuterRef("path"), 1, Length("page__path"))
    )
    return pages.all().live().exclude(Exists(restricted)).exclude(expire_at__lte=timezone.now())


def is_public_now(page) -> bool:
    """The same rule for one page (one query for its restrictions)."""
    if not page.live or (page.expire_at is not None and page.expire_at <= timezone.now()):
        return False
    return not page.get_view_restrictions().exists()


def public_cases(language: str | None = None) -> QuerySet:
    """Case studies public now, in `language` or in every language."""
    from casestudies.models import CaseStudyPage

    cases = public_now(CaseStudyPage.objects)
    return cases.filter(locale__language_code=language) if language else cases


def public_cities() -> QuerySet:
    """Cities of a public case, a public session or a public summit (its host), in any language."""
    from casestudies.models import City

    used = Q(pk__in=public_cases().values("city_id"))
    try:
        from archive.models import SessionPage, SummitPage
    except ImportError:  # the archive app not installed
        pass
    else:
        used |= Q(pk__in=public_now(SessionPage.objects).values("cities"))
        used |= Q(pk__in=public_now(SummitPage.objects).values("host_city"))
    return City.objects.filter(used)


def public_measures() -> QuerySet:
    """Measure types of a public case (in any language)."""
    from casestudies.models import MeasureType, TaggedCaseStudy

    used = TaggedCaseStudy.objects.filter(content_object__in=public_cases().values("pk")).values("tag_id")
    return MeasureType.objects.filter(pk__in=used)
