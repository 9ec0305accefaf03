"""What a city editor sees of other cities' case studies in the admin's listings.

A city editor may look at other cities' cases in listings and do nothing to them
(`casestudies.permissions`). Their drafts are not theirs to read: in every listing (the page
explorer, the case-study listing, search, the admin API behind the page chooser and the
explorer menu) another city's case shows its published title, never its draft title, and a case
of another city that has never been published is not listed at all (where Wagtail offers a hook:
explorer, chooser, admin API, case listing) or listed without a title (the admin page search).

The explorer and the API ask the page for its display title without the request, so the user of
the admin request is kept in a context variable for that (set by `AdminUserMiddleware`).
"""

from __future__ import annotations

from contextvars import ContextVar

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from casestudies.permissions import city_id_for_user

_admin_user: ContextVar = ContextVar("editorial_admin_user", default=None)


class AdminUserMiddleware:
    """Keeps the user of an admin request where `display_title` can find it (after authentication)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/admin/"):
            return self.get_response(request)
        token = _admin_user.set(getattr(request, "user", None))
        try:
            return self.get_response(request)
        finally:
            _admin_user.reset(token)


def out_of_scope(page, user=None) -> bool:
    """Whether `page` is a case study of another city than the city editor's (of this request)."""
    city_id = city_id_for_user(user if user is not None else _admin_user.get())
    return city_id is not None and getattr(page, "city_id", city_id) != city_id


def display_title(page) -> str | None:
    """For a city editor, another city's case by its published title, or, never published, by no
    title at all (the admin's page search has no hook to leave it out); None: the usual title."""
    if not out_of_scope(page):
        return None
    if page.first_published_at is None:
        return _("(a draft of another city)")
    return page.title


def without_other_cities_drafts(queryset: QuerySet, user) -> QuerySet:
    """`queryset` (any pages) without the never-published case studies of other cities than the
    city editor's; unchanged for anyone else."""
    city_id = city_id_for_user(user)
    if city_id is None:
        return queryset
    from casestudies.models import CaseStudyPage

    hidden = CaseStudyPage.objects.filter(~Q(city_id=city_id) | Q(city__isnull=True), live=False)
    return queryset.exclude(pk__in=hidden.filter(first_published_at__isnull=True).values("pk"))
