"""Review before publishing: groups and permissions from migrations, the workflow, the dashboard,
scheduled publishing and revisions (compare, revert). The filters of the admin listing of case
studies are in tests/test_editorial_listing.py."""

import datetime

import pytest

from django.contrib.auth.models import Group
from django.core.management import call_command
from django.utils import timezone

from wagtail.models import GroupPagePermission, Page, Revision, TaskState, Workflow, WorkflowState

from archive.factories import summit_with_session
from casestudies.factories import CaseStudyPageFactory, CityFactory
from casestudies.models import CaseStudyPage, MeasureType, PolicyArea
from editorial.roles import WORKFLOW_NAME
from tests.admin_forms import case_form, submit_for_review

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(make_user):
    return make_user("eddie", "Editors")


@pytest.fixture
def reviewer(make_user):
    return make_user("rita", "Reviewers")


@pytest.fixture
def case(en_index):
    return CaseStudyPageFactory(title="Mask vending machines", slug="mask-vending", areas=["quarantine"])


def login(client, user):
    client.force_login(user)
    return client


def submit(client, page, **overrides):
    return submit_for_review(client, page, **overrides)


# --- groups, permissions and the workflow, by migration ------------------------------


def test_groups_and_page_permissions():
    root = Page.get_first_root_node()

    def page_perms(name):
        return set(
            GroupPagePermission.objects.filter(group__name=name, page=root).values_list(
                "permission__codename", flat=True
            )
        )

    assert page_perms("Editors") == {"add_page", "change_page", "lock_page", "unlock_page"}
    assert page_perms("Reviewers") == {"add_page", "change_page", "publish_page", "lock_page", "unlock_page"}
    assert "bulk_delete_page" in page_perms("Administrators")
    assert page_perms("City editors") == set()
    assert not Group.objects.filter(name="Moderators").exists()  # Wagtail's default became Reviewers

    def model_perms(name):
        return set(Group.objects.get(name=name).permissions.values_list("codename", flat=True))

    for name in ("Editors", "Reviewers", "City editors", "Administrators"):
        assert {"access_admin", "submit_translation"} <= model_perms(name)
    assert {"add_city", "change_city", "add_measuretype", "change_measuretype"} <= model_perms("Editors")
    assert not any("policyarea" in codename for codename in model_perms("Editors"))
    assert not any("policyarea" in codename for codename in model_perms("Reviewers"))
    assert {"add_policyarea", "change_policyarea", "delete_policyarea"} <= model_perms("Administrators")
    assert {"import_casestudies"} <= model_perms("Editors") & model_perms("Reviewers")
    assert "import_casestudies" not in model_perms("City editors")


def test_city_editors_get_add_and_change_on_every_case_index(en_index, ko_index):
    for index in (en_index, ko_index):
        codenames = set(
            GroupPagePermission.objects.filter(group__name="City editors", page=index).values_list(
                "permission__codename", flat=True
            )
        )
        assert codenames == {"add_page", "change_page"}


def test_one_workflow_reviews_cases_and_sessions(case):
    summit = summit_with_session()["summit"]
    workflow = Workflow.objects.get(name=WORKFLOW_NAME)
    assert workflow.active
    task = workflow.tasks.get().specific
    assert list(task.groups.values_list("name", flat=True)) == ["Reviewers"]
    assert case.get_workflow() == workflow
    session = summit["en"].get_children().first()
    assert session.get_workflow() == workflow
    assert summit["ko"].get_children().first().get_workflow() == workflow


def test_the_roles_setup_is_idempotent():
    from django.apps import apps

    from editorial.roles import configure_roles

    before = GroupPagePermission.objects.count(), Workflow.objects.count(), Group.objects.count()
    configure_roles(apps)
    assert (GroupPagePermission.objects.count(), Workflow.objects.count(), Group.objects.count()) == before


# --- submit, review, approve / reject ------------------------------------------------


def test_editor_cannot_publish_but_submits(client, editor, case):
    login(client, editor)
    form = case_form(case, title="Published by an editor?")
    form["action-publish"] = "action-publish"
    client.post(f"/admin/pages/{case.pk}/edit/", form)
    assert CaseStudyPage.objects.get(pk=case.pk).title == "Mask vending machines"

    page = submit(client, case, title="Mask vending machines, second version")
    assert page.workflow_in_progress
    assert page.title == "Mask vending machines"  # live version unchanged
    assert page.get_latest_revision_as_object().title == "Mask vending machines, second version"


def test_reviewer_sees_the_task_on_the_dashboard_and_approves(client, editor, reviewer, case):
    submit(login(client, editor), case, title="Reviewed title")
    client.logout()
    login(client, reviewer)
    dashboard = client.get("/admin/")
    assert dashboard.status_code == 200
    html = dashboard.content.decode()
    assert "Awaiting your review" in html
    assert "Reviewed title" in html
    # Wagtail's own panel offers the approve action.
    task_state = TaskState.objects.get(workflow_state__object_id=str(case.pk), status="in_progress")
    response = client.post(
        f"/admin/pages/workflow/action/{case.pk}/approve/{task_state.pk}/", {"comment": "Fine."}
    )
    assert response.status_code in (200, 302)
    page = CaseStudyPage.objects.get(pk=case.pk)
    assert page.live and page.title == "Reviewed title"
    assert not page.workflow_in_progress
    assert TaskState.objects.get(pk=task_state.pk).comment == "Fine."


def test_reviewer_rejects_with_a_comment(client, editor, reviewer, case):
    submit(login(client, editor), case, title="Needs work")
    login(client, reviewer)
    task_state = TaskState.objects.get(workflow_state__object_id=str(case.pk), status="in_progress")
    client.post(
        f"/admin/pages/workflow/action/{case.pk}/reject/{task_state.pk}/", {"comment": "Add sources."}
    )
    state = WorkflowState.objects.get(object_id=str(case.pk))
    assert state.status == WorkflowState.STATUS_NEEDS_CHANGES
    assert TaskState.objects.get(pk=task_state.pk).comment == "Add sources."
    assert CaseStudyPage.objects.get(pk=case.pk).title == "Mask vending machines"


def test_editor_cannot_approve(client, editor, case):
    submit(login(client, editor), case, title="Self-approved?")
    task_state = TaskState.objects.get(workflow_state__object_id=str(case.pk), status="in_progress")
    client.post(f"/admin/pages/workflow/action/{case.pk}/approve/{task_state.pk}/", {"comment": ""})
    assert CaseStudyPage.objects.get(pk=case.pk).title == "Mask vending machines"
    assert "Awaiting your review" not in client.get("/admin/").content.decode()


# --- scheduled publishing ----------------------------------------------------------


def test_publish_scheduled_makes_an_approved_revision_live(case):
    page = CaseStudyPage.objects.get(pk=case.pk)
    page.title = "Goes live later"
    past = timezone.now() - datetime.timedelta(minutes=5)
    revision = page.save_revision(approved_go_live_at=past)
    assert CaseStudyPage.objects.get(pk=case.pk).title == "Mask vending machines"
    call_command("publish_scheduled", verbosity=0)
    page = CaseStudyPage.objects.get(pk=case.pk)
    assert page.title == "Goes live later"
    assert page.live_revision_id == revision.pk


def test_future_go_live_waits_for_its_time(case):
    page = CaseStudyPage.objects.get(pk=case.pk)
    page.title = "Not yet"
    page.go_live_at = timezone.now() + datetime.timedelta(days=1)
    page.save_revision().publish()
    call_command("publish_scheduled", verbosity=0)
    assert CaseStudyPage.objects.get(pk=case.pk).title == "Mask vending machines"


def test_publish_scheduled_unpublishes_expired_pages(client, case):
    assert client.get("/en/cases/mask-vending/").status_code == 200
    CaseStudyPage.objects.filter(pk=case.pk).update(expire_at=timezone.now() - datetime.timedelta(minutes=1))
    call_command("publish_scheduled", verbosity=0)
    page = CaseStudyPage.objects.get(pk=case.pk)
    assert not page.live and page.expired
    assert client.get("/en/cases/mask-vending/").status_code == 404


# --- revisions ---------------------------------------------------------------------


def test_every_change_is_a_revision_that_can_be_compared_and_reverted(client, reviewer, case):
    login(client, reviewer)
    first = CaseStudyPage.objects.get(pk=case.pk).latest_revision
    count = Revision.objects.filter(object_id=str(case.pk)).count()
    form = case_form(case, title="Changed title")
    client.post(f"/admin/pages/{case.pk}/edit/", form)
    assert Revision.objects.filter(object_id=str(case.pk)).count() == count + 1
    latest = CaseStudyPage.objects.get(pk=case.pk).latest_revision

    compare = client.get(f"/admin/pages/{case.pk}/revisions/compare/{first.pk}...{latest.pk}/")
    assert compare.status_code == 200
    assert "Changed title" in compare.content.decode()

    revert = client.get(f"/admin/pages/{case.pk}/revisions/{first.pk}/revert/")
    assert revert.status_code == 200
    assert revert.context["form"].initial["title"] == "Mask vending machines"
    form = case_form(case, title="Mask vending machines")
    form["revision"] = first.pk
    form["action-publish"] = "action-publish"
    response = client.post(f"/admin/pages/{case.pk}/edit/", form)
    assert response.status_code == 302
    page = CaseStudyPage.objects.get(pk=case.pk)
    assert page.title == "Mask vending machines" and page.live
    assert Revision.objects.filter(object_id=str(case.pk)).count() == count + 2
    assert page.get_latest_revision().content["title"] == "Mask vending machines"


def test_revisions_are_not_public(client, case):
    revision = CaseStudyPage.objects.get(pk=case.pk).latest_revision
    response = client.get(f"/admin/pages/{case.pk}/revisions/{revision.pk}/view/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert client.get(f"/en/cases/mask-vending/?revision={revision.pk}").status_code == 200  # ignored


# --- the dashboard and the listing ----------------------------------------------------


def test_dashboard_panels(client, editor, reviewer, en_index):
    CaseStudyPageFactory(title="Quarantine live", areas=["quarantine"])
    waiting = CaseStudyPageFactory(title="Welfare pending", areas=["welfare"])
    waiting.unpublish()
    submit(login(client, editor), waiting)
    response = login(client, reviewer).get("/admin/")
    html = response.content.decode()
    assert "Case studies per policy area" in html
    assert 'data-area="quarantine"' in html
    panel = next(p for p in response.context["panels"] if p.name == "editorial_cases_per_area")
    rows = {
        row["area"].slug: row for row in panel.get_context_data({"request": response.wsgi_request})["areas"]
    }
    assert rows["quarantine"]["live"] == 1 and rows["quarantine"]["total"] == 1
    assert rows["welfare"]["in_review"] == 1 and rows["welfare"]["live"] == 0
    assert len(rows) == 10
    assert "Case studies awaiting review" in html
    assert 'data-awaiting-count="1"' in html


def test_dashboard_panels_hidden_from_users_without_page_permissions(client, make_user):
    user = make_user("nobody")
    from django.contrib.auth.models import Permission

    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    html = login(client, user).get("/admin/").content.decode()
    assert "Case studies per policy area" not in html


# --- measure types: autocomplete, no free tagging ---------------------------------


def test_measure_types_autocomplete_and_no_free_tagging(client, reviewer, case):
    assert MeasureType.objects.filter(name="Mask distribution").exists()  # from the curated list
    login(client, reviewer)
    response = client.get(f"/admin/pages/{case.pk}/edit/")
    html = response.content.decode()
    assert "/admin/tag-autocomplete/casestudies/measuretype/" in html
    assert "&quot;autocompleteOnly&quot;: true" in html or '"autocompleteOnly": true' in html
    autocomplete = client.get("/admin/tag-autocomplete/casestudies/measuretype/?term=mask")
    assert "Mask distribution" in autocomplete.content.decode()

    before = MeasureType.objects.count()
    form = case_form(case, measure_types='"Mask distribution", "Invented measure"')
    form["action-publish"] = "action-publish"
    response = client.post(f"/admin/pages/{case.pk}/edit/", form)
    assert MeasureType.objects.count() == before  # unknown names are not created
    # ... nor silently dropped (issue 12): the save is refused, with the name in the message.
    assert response.status_code == 200 and "Invented measure" in str(response.context["form"].errors)
    assert list(CaseStudyPage.objects.get(pk=case.pk).measure_types.all()) == []
    form = case_form(case, measure_types='"Mask distribution"')
    form["action-publish"] = "action-publish"
    client.post(f"/admin/pages/{case.pk}/edit/", form)
    assert [m.name for m in CaseStudyPage.objects.get(pk=case.pk).measure_types.all()] == [
        "Mask distribution"
    ]


def test_policy_areas_are_not_editable_by_editors(client, editor):
    login(client, editor)
    area = PolicyArea.objects.first()
    response = client.get(f"/admin/snippets/casestudies/policyarea/edit/{area.pk}/")
    assert response.status_code in (302, 403)
    city = CityFactory()
    assert client.get(f"/admin/snippets/casestudies/city/edit/{city.pk}/").status_code == 200


def test_reviewer_sees_the_evidence_level_of_the_submitted_revision(client, editor, reviewer, case):
    """Issue 16: the level an editor set is in the review panel and in the review preview."""
    from django.urls import reverse

    from wagtail.test.utils.form_data import inline_formset

    outcomes = inline_formset(
        [{"indicator": "Infections at clinics", "result_value": "", "level": "4", "source_url": ""}]
    )
    submit(login(client, editor), case, outcome_evidence=outcomes)
    client.logout()
    login(client, reviewer)
    html = client.get("/admin/").content.decode()
    assert "4 · Compared" in html  # the "awaiting review" panel: the submitted revision's level
    task_state = TaskState.objects.get(workflow_state__object_id=str(case.pk), status="in_progress")
    preview = client.get(reverse("wagtailadmin_pages:workflow_preview", args=[case.pk, task_state.task_id]))
    assert preview.status_code == 200
    assert "Evidence level 4 of 5" in preview.content.decode()
