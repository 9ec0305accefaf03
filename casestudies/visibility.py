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

from ops.cache import kept
from ops.request_memo import forget, remember

RESTRICTED_SECTIONS = "casestudies.visibility.restricted_sections"


def restricted_sections() -> list[tuple[str, int]]:
    """(path, depth) of every page under a view restriction: each starts a section that visitors
    may not see. Read once per request (ops.request_memo: a case page asks five times), forgotten
    when a restriction is saved or deleted or a page moves (connect_signals)."""
    from wagtail.models import PageViewRestriction

    def load() -> list[tuple[str, int]]:
        return list(PageViewRestriction.objects.values_list("page__path", "page__depth"))

    # Per content generation too, for the requests that miss the page cache (ops.cache.kept: a
    # restriction saved or deleted, or a page moved, empties the page cache, on any host).
    return remember(RESTRICTED_SECTIONS, lambda: kept(RESTRICTED_SECTIONS, load))


def forget_restricted_sections(**kwargs) -> None:
    forget(RESTRICTED_SECTIONS)


def connect_signals() -> None:
    from django.db.models.signals import post_delete, post_save

    from wagtail.models import PageViewRestriction
    from wagtail.signals import post_page_move

    for signal in (post_save, post_delete):
        signal.connect(
            forget_restricted_sections,
            sender=PageViewRestriction,
            dispatch_uid=f"casestudies.visibility.restrictions.{id(signal)}",
        )
    post_page_move.connect(
        forget_restricted_sections, dispatch_uid="casestudies.visibility.restrictions.move"
    )


def public_now(pages) -> QuerySet:
    """`pages` (a page model's manager or queryset) reduced to what a visitor may see now.

    The view restrictions as Wagtail's `.public()` applies them (a restricted page and its
    descendants are left out), read once per request (restricted_sections). Expiry is excluded
    by id: `id` is a filter field of every page's search index, `expire_at` is not, so the
    result can still be searched (Wagtail's API `?search=`)."""
    from wagtail.models import Page

    expired = Page.objects.filter(expire_at__lte=timezone.now()).values("pk")
    pages = pages.all().live()
    private = Q()
    for path, depth in restricted_sections():
        private |= Q(path__startswith=path) & Q(depth__gte=depth)
    if private:
        pages = pages.exclude(private)
    return pages.exclude(pk__in=expired)


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
