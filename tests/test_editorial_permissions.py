"""City editors: a city-A editor writes city-A cases and can do nothing to a city-B case, by any route.

Each test drives the real admin view (or the page action) as a city editor of city A against a
case of city B, and checks both the answer and that the database did not change.
"""

import datetime

import pytest

from django.core.exceptions import PermissionDenied
from django.urls import reverse

from wagtail.actions.copy_page import CopyPageAction
from wagtail.actions.delete_page import DeletePageAction
from wagtail.actions.move_page import MovePageAction
from wagtail.actions.publish_page_revision import PublishPageRevisionAction
from wagtail.actions.unpublish_page import UnpublishPageAction
from wagtail.models import Page, Revision, WorkflowState

from casestudies.factories import CaseStudyPageFactory, CityFactory, index_page
from casestudies.models import CaseStudyPage
from casestudies.permissions import city_id_for_user
from tests.admin_forms import case_form

from .fixtures.database import build_for_module, own_or_fresh

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(make_user, city_a):
    """A city editor of city A."""
    return make_user("alice", "City editors", city=city_a)


@pytest.fixture
def case_a(en_index, city_a):
    return CaseStudyPageFactory(title="Aville masks", slug="aville-masks", city=city_a)


def _case_b(city_b) -> CaseStudyPage:
    return CaseStudyPageFactory(title="Beetown tests", slug="beetown-tests", city=city_b)


def _build_case_b() -> CaseStudyPage:
    """The case index and case B in the editorial plugin's city_b (CityFactory finds it by slug:
    the same row)."""
    index_page("en")
    return _case_b(
        CityFactory(name="Beetown", name_ko="비시", slug="beetown", country="DE", continent="europe")
    )


@pytest.fixture(scope="class")
def _case_b_of_class(request, django_db_setup, django_db_blocker):
    """For the tests of a class: case B built once for it (in a transaction rolled back after it).
    Outside a class: None, and each test builds its own."""
    if request.cls is None:
        yield None
        return
    yield from build_for_module(django_db_blocker, _build_case_b)


@pytest.fixture
def case_b(_case_b_of_class, en_index, city_b):
    """Case B: the class's, read again for each test, or the test's own."""
    return own_or_fresh(_case_b_of_class, lambda: _case_b(city_b))


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


def assert_denied(response):
    """Wagtail answers a PermissionDenied with a redirect to the dashboard (or a 403)."""
    assert response.status_code in (302, 403), response.status_code
    if response.status_code == 302:
        assert response["Location"] in ("/admin/", reverse("wagtailadmin_home")), response["Location"]


def snapshot(page):
    page = Page.objects.get(pk=page.pk)
    return {
        "title": page.title,
        "live": page.live,
        "path": page.path,
        "revisions": Revision.objects.filter(object_id=str(page.pk)).count(),
        "locked": page.locked,
        "pages": Page.objects.count(),
        "workflows": WorkflowState.objects.count(),
    }


# --- the permission layer ------------------------------------------------------------


def test_city_editor_scope(alice, city_a, case_a, case_b):
    assert city_id_for_user(alice) == city_a.pk
    own = case_a.permissions_for_user(alice)
    other = case_b.permissions_for_user(alice)
    assert own.can_edit() and own.can_copy()
    assert not own.can_publish()  # City editors submit for review
    for check in (
        "can_edit",
        "can_delete",
        "can_publish",
        "can_unpublish",
        "can_move",
        "can_copy",
        "can_lock",
        "can_unlock",
        "can_submit_for_moderation",
        "can_view_revisions",
        "can_set_view_restrictions",
        "can_unschedule",
    ):
        assert getattr(other, check)() is False, check
    # Through a plain Page object too (Wagtail casts to the specific page).
    assert Page.objects.get(pk=case_b.pk).permissions_for_user(alice).can_edit() is False


def test_city_editor_can_only_add_under_the_index(alice, en_index, case_a):
    perms = en_index.permissions_for_user(alice)
    assert perms.can_add_subpage()
    assert not perms.can_edit()
    assert not perms.can_delete()
    assert not perms.can_move()
    # Nothing else in the tree.
    home = en_index.get_parent()
    assert not home.permissions_for_user(alice).can_edit()
    assert not home.permissions_for_user(alice).can_add_subpage()


def test_a_draft_cannot_move_a_case_out_of_scope(alice, city_a, case_b):
    """The city is checked on the database row as well as on the (draft) object asked about."""
    draft = CaseStudyPage.objects.get(pk=case_b.pk)
    draft.city = city_a
    assert draft.permissions_for_user(alice).can_edit() is False


# --- admin views against a case of another city --------------------------------------


class TestAnotherCitysCase:
    """Every route against case B, built once for the class."""

    def test_edit_get_and_post_denied(self, alice_client, case_b):
        before = snapshot(case_b)
        assert_denied(alice_client.get(f"/admin/pages/{case_b.pk}/edit/"))
        assert_denied(alice_client.post(f"/admin/pages/{case_b.pk}/edit/", case_form(case_b, title="Hacked")))
        assert snapshot(case_b) == before

    def test_publish_and_submit_through_edit_denied(self, alice_client, case_b):
        before = snapshot(case_b)
        for action in ("action-publish", "action-submit"):
            form = case_form(case_b, title="Hacked")
            form[action] = action
            assert_denied(alice_client.post(f"/admin/pages/{case_b.pk}/edit/", form))
        assert snapshot(case_b) == before

    def test_unpublish_denied(self, alice_client, case_b):
        before = snapshot(case_b)
        assert_denied(alice_client.get(f"/admin/pages/{case_b.pk}/unpublish/"))
        assert_denied(alice_client.post(f"/admin/pages/{case_b.pk}/unpublish/"))
        assert snapshot(case_b) == before

    def test_move_denied(self, alice_client, case_b, ko_index):
        before = snapshot(case_b)
        assert_denied(alice_client.get(f"/admin/pages/{case_b.pk}/move/"))
        assert_denied(alice_client.post(f"/admin/pages/{case_b.pk}/move/{ko_index.pk}/confirm/"))
        assert snapshot(case_b) == before

    def test_copy_denied(self, alice_client, case_b, en_index):
        before = snapshot(case_b)
        assert_denied(alice_client.get(f"/admin/pages/{case_b.pk}/copy/"))
        response = alice_client.post(
            f"/admin/pages/{case_b.pk}/copy/",
            {"new_title": "Copy", "new_slug": "copy", "new_parent_page": en_index.pk},
        )
        assert_denied(response)
        assert snapshot(case_b) == before
        assert not Page.objects.filter(slug="copy").exists()

    def test_delete_denied(self, alice_client, case_b):
        before = snapshot(case_b)
        assert_denied(alice_client.get(f"/admin/pages/{case_b.pk}/delete/"))
        assert_denied(alice_client.post(f"/admin/pages/{case_b.pk}/delete/"))
        assert snapshot(case_b) == before

    def test_lock_and_unlock_denied(self, alice_client, case_b):
        before = snapshot(case_b)
        assert_denied(alice_client.post(f"/admin/pages/{case_b.pk}/lock/"))
        assert_denied(alice_client.post(f"/admin/pages/{case_b.pk}/unlock/"))
        assert snapshot(case_b) == before

    def test_privacy_denied(self, alice_client, case_b):
        assert_denied(alice_client.get(f"/admin/pages/{case_b.pk}/privacy/"))

    @pytest.mark.parametrize("action", ["delete", "publish", "unpublish", "move"])
    def test_bulk_actions_leave_the_other_citys_case_alone(self, alice_client, case_b, action, ko_index):
        # An unpublished draft revision, so that a bulk publish would have something to publish.
        page = CaseStudyPage.objects.get(pk=case_b.pk)
        page.title = "Draft change"
        page.save_revision()
        before = snapshot(case_b)
        url = f"/admin/bulk/wagtailcore/page/{action}/?id={case_b.pk}&next=/admin/"
        alice_client.get(url)
        data = {"include_descendants": "on"}
        if action == "move":
            data["chooser"] = ko_index.pk
        alice_client.post(url, data)
        assert snapshot(case_b) == before
        assert Page.objects.get(pk=case_b.pk).title == "Beetown tests"

    @pytest.mark.parametrize("action", ["delete", "publish", "unpublish"])
    def test_the_same_bulk_requests_work_for_an_administrator(self, client, make_user, case_b, action):
        """Control for the test above: the requests are well-formed, only the permission differs."""
        page = CaseStudyPage.objects.get(pk=case_b.pk)
        page.title = "Draft change"
        page.save_revision()
        client.force_login(make_user("ada", "Administrators"))
        url = f"/admin/bulk/wagtailcore/page/{action}/?id={case_b.pk}&next=/admin/"
        assert client.get(url).status_code == 200
        client.post(url, {"include_descendants": "on"})
        if action == "delete":
            assert not Page.objects.filter(pk=case_b.pk).exists()
        elif action == "publish":
            assert Page.objects.get(pk=case_b.pk).title == "Draft change"
        else:
            assert not Page.objects.get(pk=case_b.pk).live

    def test_revisions_views_and_revert_denied(self, alice_client, case_b):
        page = CaseStudyPage.objects.get(pk=case_b.pk)
        first = page.latest_revision
        page.title = "Second version"
        page.save_revision().publish()
        before = snapshot(case_b)
        # The revisions index redirects to the history, which is refused.
        response = alice_client.get(f"/admin/pages/{case_b.pk}/revisions/", follow=True)
        assert response.redirect_chain[-1][0] == "/admin/"
        assert_denied(alice_client.get(f"/admin/pages/{case_b.pk}/revisions/{first.pk}/view/"))
        assert_denied(alice_client.get(f"/admin/pages/{case_b.pk}/revisions/{first.pk}/revert/"))
        assert_denied(alice_client.get(f"/admin/pages/{case_b.pk}/revisions/compare/earliest...latest/"))
        assert_denied(alice_client.get(f"/admin/pages/{case_b.pk}/history/"))
        assert_denied(alice_client.get(f"/admin/pages/{case_b.pk}/workflow_history/"))
        form = case_form(page, title=first.content["title"])
        form["revision"] = first.pk
        assert_denied(alice_client.post(f"/admin/pages/{case_b.pk}/edit/", form))
        assert snapshot(case_b) == before

    def test_draft_preview_denied(self, alice_client, case_b):
        page = CaseStudyPage.objects.get(pk=case_b.pk)
        page.title = "Secret draft"
        page.save_revision()
        assert_denied(alice_client.get(f"/admin/pages/{case_b.pk}/view_draft/"))
        response = alice_client.get(f"/admin/pages/{case_b.pk}/edit/preview/")
        assert response.status_code in (302, 403)
        assert b"Secret draft" not in response.content

    def test_usage_and_translation_routes_denied(self, alice_client, case_b, ko_index):
        assert_denied(alice_client.get(f"/admin/pages/{case_b.pk}/usage/"))
        before = snapshot(case_b)
        response = alice_client.post(
            f"/admin/localize/submit/page/{case_b.pk}/", {"locales": [ko_index.locale_id]}
        )
        assert_denied(response)
        assert snapshot(case_b) == before
        assert not CaseStudyPage.objects.filter(
            translation_key=case_b.translation_key, locale=ko_index.locale
        ).exists()

    def test_update_translations_route_denied(self, alice_client, case_b, ko_index, make_user):
        from wagtail_localize.models import TranslationSource

        # An editor translated the case earlier; the city-A editor may not sync or publish it.
        source, _ = TranslationSource.get_or_create_from_instance(CaseStudyPage.objects.get(pk=case_b.pk))
        source.create_or_update_translation(ko_index.locale, publish=False, fallback=True)
        translated = CaseStudyPage.objects.get(translation_key=case_b.translation_key, locale=ko_index.locale)
        before = snapshot(translated)
        url = f"/admin/localize/update/{source.pk}/"
        assert_denied(alice_client.get(url))
        assert_denied(alice_client.post(url, {"publish_translations": "on"}))
        assert snapshot(translated) == before
        assert not CaseStudyPage.objects.get(pk=translated.pk).live

    def test_page_actions_refuse_the_city_editor(self, alice, case_b, ko_index):
        """The programmatic route (wagtail.actions) asks the same permission layer."""
        page = CaseStudyPage.objects.get(pk=case_b.pk)
        with pytest.raises(PermissionDenied):
            DeletePageAction(page, user=alice).execute()
        with pytest.raises(PermissionDenied):
            MovePageAction(page, ko_index, user=alice).execute()
        with pytest.raises(PermissionDenied):
            CopyPageAction(page, to=ko_index, user=alice).execute()
        with pytest.raises(PermissionDenied):
            UnpublishPageAction(page, user=alice).execute()
        revision = page.save_revision()
        with pytest.raises(PermissionDenied):
            PublishPageRevisionAction(revision, user=alice).execute()


def test_explorer_offers_no_action_on_the_other_citys_case(alice_client, en_index, case_a, case_b):
    response = alice_client.get(f"/admin/pages/{en_index.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f"/admin/pages/{case_a.pk}/edit/" in html
    assert f"/admin/pages/{case_b.pk}/edit/" not in html
    assert f"/admin/pages/{case_b.pk}/delete/" not in html


# --- what a city editor may do -------------------------------------------------------


def test_city_editor_edits_and_submits_own_case(alice_client, case_a):
    response = alice_client.get(f"/admin/pages/{case_a.pk}/edit/")
    assert response.status_code == 200
    form = case_form(case_a, title="Aville masks, updated")
    form["action-submit"] = "action-submit"
    response = alice_client.post(f"/admin/pages/{case_a.pk}/edit/", form)
    assert response.status_code == 302
    page = CaseStudyPage.objects.get(pk=case_a.pk)
    assert page.get_latest_revision_as_object().title == "Aville masks, updated"
    assert page.title == "Aville masks"  # still the published version: a reviewer must approve
    assert page.workflow_in_progress


def test_city_editor_cannot_publish_own_case_directly(alice_client, case_a):
    form = case_form(case_a, title="Published by a city editor")
    form["action-publish"] = "action-publish"
    alice_client.post(f"/admin/pages/{case_a.pk}/edit/", form)
    assert CaseStudyPage.objects.get(pk=case_a.pk).title == "Aville masks"


def test_city_editor_creates_cases_only_for_own_city(alice_client, en_index, city_a, city_b):
    url = f"/admin/pages/add/casestudies/casestudypage/{en_index.pk}/"
    response = alice_client.get(url)
    assert response.status_code == 200
    choices = list(response.context["form"].fields["city"].queryset)
    assert choices == [city_a]

    template = CaseStudyPage(title="New", slug="new-case", summary="s", start_date=datetime.date(2020, 4, 1))
    template.city = city_b
    response = alice_client.post(url, case_form(template, city=city_b.pk))
    assert response.status_code == 200
    assert "city" in response.context["form"].errors
    assert not CaseStudyPage.objects.filter(slug="new-case").exists()

    template.city = city_a
    response = alice_client.post(url, case_form(template, city=city_a.pk))
    assert response.status_code == 302
    created = CaseStudyPage.objects.get(slug="new-case")
    assert created.city == city_a and not created.live


def test_city_editor_cannot_edit_other_pages(alice_client, en_index):
    home = en_index.get_parent()
    assert_denied(alice_client.get(f"/admin/pages/{home.pk}/edit/"))
    assert_denied(alice_client.get(f"/admin/pages/{en_index.pk}/edit/"))


def test_editors_are_not_scoped(make_user, case_a, case_b):
    editor = make_user("ed", "Editors")
    assert case_b.permissions_for_user(editor).can_edit()
    assert not case_b.permissions_for_user(editor).can_publish()
    reviewer = make_user("rev", "Reviewers")
    assert case_b.permissions_for_user(reviewer).can_publish()


# --- anonymous visitors --------------------------------------------------------------


def test_anonymous_reaches_no_admin_or_draft_content(client, case_b, en_index):
    page = CaseStudyPage.objects.get(pk=case_b.pk)
    revision = page.latest_revision
    page.title = "Secret draft"
    page.save_revision()
    draft = CaseStudyPageFactory(title="Draft only", slug="draft-only", city=case_b.city)
    draft.unpublish()

    for url in (
        "/admin/",
        f"/admin/pages/{case_b.pk}/edit/",
        f"/admin/pages/{case_b.pk}/view_draft/",
        f"/admin/pages/{case_b.pk}/edit/preview/",
        f"/admin/pages/{case_b.pk}/revisions/",
        f"/admin/pages/{case_b.pk}/revisions/{revision.pk}/view/",
        f"/admin/pages/{case_b.pk}/revisions/compare/earliest...latest/",
        f"/admin/pages/{case_b.pk}/history/",
        f"/admin/pages/{en_index.pk}/",
        "/admin/api/main/pages/",
        f"/admin/localize/submit/page/{case_b.pk}/",
        "/admin/editorial/import/",
        "/admin/reports/missing-translations/",
    ):
        response = client.get(url)
        assert response.status_code in (302, 401, 403), url
        if response.status_code == 302:
            assert "/admin/login/" in response["Location"], url
        assert b"Secret draft" not in response.content

    assert client.get("/en/cases/draft-only/").status_code == 404
    public = client.get("/en/cases/beetown-tests/")
    assert public.status_code == 200
    assert b"Secret draft" not in public.content


def test_administrators_assign_a_city_in_the_admin(client, make_user, city_a, en_index, city_b):
    admin = make_user("ada", "Administrators")
    bob = make_user("bob", "City editors")
    client.force_login(admin)
    assert client.get("/admin/snippets/editorial/cityeditor/").status_code == 200
    response = client.post("/admin/snippets/editorial/cityeditor/add/", {"user": bob.pk, "city": city_a.pk})
    assert response.status_code == 302
    other = CaseStudyPageFactory(title="Beetown case", city=city_b)
    assert not other.permissions_for_user(type(bob).objects.get(pk=bob.pk)).can_edit()
    client.force_login(make_user("eddie", "Editors"))
    assert client.get("/admin/snippets/editorial/cityeditor/").status_code in (302, 403)
