"""City editors: what they may do is decided here, for every admin route that asks a page.

Wagtail asks `page.permissions_for_user(user)` in the edit, publish, unpublish, move, copy,
delete, lock, revisions, compare, revert, history, preview, usage and workflow views, in the
bulk actions, in the page actions (`wagtail.actions.*`) and in wagtail-localize's translation
editor. `CaseStudyPage` and `CaseStudyIndexPage` return the testers below, so a city editor
(a user with a `CityEditor` link) can:

- on a case study of their own city: everything their groups grant (add/change: edit, save
  drafts, submit for review, copy, delete their own drafts);
- on a case study of another city: nothing but look at it in listings (no edit, draft preview,
  revisions, publish, unpublish, move, copy, delete, lock or workflow submission);
- on a case-study index: add a case beneath it, nothing else.

The city a page belongs to is checked both on the object asked about (which may be a draft
revision) and on the database row, so a draft cannot take a case out of its city's scope.
"""

from __future__ import annotations

from functools import wraps

from wagtail.models import PagePermissionTester

from editorial.models import CityEditor

_CACHE_ATTR = "_editorial_city_id"
# Set on case pages read from the database by a listing (editorial.listing): their stored city, so
# that the scope check of each row's actions does not read it again (once per action otherwise).
STORED_CITY_ATTR = "_editorial_stored_city_id"
_UNKNOWN = object()


def city_id_for_user(user) -> int | None:
    """The city a user is scoped to, or None (not a city editor, a superuser or anonymous)."""
    if user is None or not getattr(user, "is_authenticated", False) or user.is_superuser:
        return None
    if not hasattr(user, _CACHE_ATTR):
        city_id = CityEditor.objects.filter(user_id=user.pk).values_list("city_id", flat=True).first()
        setattr(user, _CACHE_ATTR, city_id)
    return getattr(user, _CACHE_ATTR)


def is_city_editor(user) -> bool:
    return city_id_for_user(user) is not None


def forget_city(user) -> None:
    """Drop the cached scope (after a `CityEditor` link of this user object changed)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def _denied_when_out_of_scope(method):
    @wraps(method)
    def checked(self, *args, **kwargs):
        if self.out_of_scope:
            return False
        return method(self, *args, **kwargs)

    return checked


class _ScopedTester(PagePermissionTester):
    """Every action is refused when `out_of_scope`; otherwise Wagtail's own rules apply."""

    out_of_scope = False

    can_edit = _denied_when_out_of_scope(PagePermissionTester.can_edit)
    can_delete = _denied_when_out_of_scope(PagePermissionTester.can_delete)
    can_unpublish = _denied_when_out_of_scope(PagePermissionTester.can_unpublish)
    can_publish = _denied_when_out_of_scope(PagePermissionTester.can_publish)
    can_submit_for_moderation = _denied_when_out_of_scope(PagePermissionTester.can_submit_for_moderation)
    can_set_view_restrictions = _denied_when_out_of_scope(PagePermissionTester.can_set_view_restrictions)
    can_unschedule = _denied_when_out_of_scope(PagePermissionTester.can_unschedule)
    can_lock = _denied_when_out_of_scope(PagePermissionTester.can_lock)
    can_unlock = _denied_when_out_of_scope(PagePermissionTester.can_unlock)
    can_reorder_children = _denied_when_out_of_scope(PagePermissionTester.can_reorder_children)
    can_move = _denied_when_out_of_scope(PagePermissionTester.can_move)
    can_copy = _denied_when_out_of_scope(PagePermissionTester.can_copy)
    can_move_to = _denied_when_out_of_scope(PagePermissionTester.can_move_to)
    can_copy_to = _denied_when_out_of_scope(PagePermissionTester.can_copy_to)
    can_view_revisions = _denied_when_out_of_scope(PagePermissionTester.can_view_revisions)


class CaseStudyPermissionTester(_ScopedTester):
    """A city editor acts only on the case studies of their own city."""

    def __init__(self, user, page):
        super().__init__(user, page)
        city_id = city_id_for_user(user)
        if city_id is None:
            return
        cities = {page.city_id}
        if page.pk:
            stored = page.__dict__.get(STORED_CITY_ATTR, _UNKNOWN)
            if stored is _UNKNOWN:
                # type(page) is CaseStudyPage (whose permissions_for_user makes this tester): named
                # so, this module need not import casestudies.models, which imports it (no loop).
                stored = type(page).objects.filter(pk=page.pk).values_list("city_id", flat=True).first()
            cities.add(stored)
        self.out_of_scope = cities != {city_id}

    def can_delete(self, ignore_bulk=False):
        """Wagtail's rule, without its query where the answer is known: a user who may change but
        not publish may delete a page whose subtree has no live page; a case has no subpages
        (`subpage_types = []`, numchild 0), so its subtree is itself and the rule is `not live`.
        (Wagtail asks the database for the live descendants twice per row of every listing.)"""
        if self.out_of_scope:
            return False
        if (
            self.page.pk
            and self.page.numchild == 0
            and self.user.is_active
            and not self.user.is_superuser
            and not self.page_is_root
            and "change" in self.permissions
            and "publish" not in self.permissions
        ):
            return not self.page.live
        return super().can_delete(ignore_bulk=ignore_bulk)

    def can_add_subpage(self):
        return False if self.out_of_scope else super().can_add_subpage()

    def can_publish_subpage(self):
        return False if self.out_of_scope else super().can_publish_subpage()


class CaseStudyIndexPermissionTester(_ScopedTester):
    """A city editor may add cases beneath a case-study index, and do nothing to the index itself."""

    def __init__(self, user, page):
        super().__init__(user, page)
        self.out_of_scope = is_city_editor(user)

    # Adding (and publishing, should a group grant it) beneath the index stays as Wagtail decides;
    # the new case's city is limited to the editor's own by the page form.
