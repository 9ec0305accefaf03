"""Bad input in the admin is a form error, never a crash or half-written data."""

import pytest

from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from casestudies.factories import CityFactory
from casestudies.models import CaseStudyPage, PolicyArea

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("editor", "editor@example.org", "pw")
    client.force_login(user)
    return client


def case_form(**overrides):
    data = {
        "title": "Pop-up bike lanes",
        "slug": "pop-up-bike-lanes",
        "summary": "Temporary cycle lanes on main roads.",
        "city": CityFactory().pk,
        "measure_types": "",
        "start_date": "2020-05-01",
        "end_date": "",
        "body": streamfield([]),
        "timeline": streamfield([]),
        "outcomes": rich_text(""),
        "lessons_learned": rich_text(""),
        "sources": inline_formset([]),
        "outcome_evidence": inline_formset([]),
        "inspired_by": inline_formset([]),
        "contact_organisation": "",
        "contact_email": "",
        "contact_person": "",
    }
    areas = overrides.pop("policy_areas", None)
    data.update(overrides)
    form = nested_form_data(data)
    # A multiple choice posts a list: nested_form_data would flatten it into numbered keys.
    if areas is None:
        areas = [PolicyArea.objects.get(slug="public-transportation", locale__language_code="en").pk]
    form["policy_areas"] = areas
    return form


def add_url(en_index):
    return f"/admin/pages/add/casestudies/casestudypage/{en_index.pk}/"


def test_valid_case_is_created(admin_client, en_index):
    response = admin_client.post(add_url(en_index), case_form())
    assert response.status_code == 302
    assert CaseStudyPage.objects.filter(slug="pop-up-bike-lanes").exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("city", ""),
        ("policy_areas", []),
        ("summary", "x" * 301),
        ("end_date", "2020-01-01"),
        ("start_date", "not a date"),
        ("contact_email", "not-an-email"),
    ],
)
@pytest.mark.parametrize("action", ["draft", "publish"])
def test_bad_case_is_a_form_error(admin_client, en_index, field, value, action):
    form = case_form(**{field: value})
    if action == "publish":
        form["action-publish"] = "action-publish"
    response = admin_client.post(add_url(en_index), form)
    assert response.status_code == 200  # the form again, with its errors
    assert field in response.context["form"].errors
    assert not CaseStudyPage.objects.filter(slug="pop-up-bike-lanes").exists()
