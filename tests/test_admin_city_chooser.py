"""The city chooser: an "Add city" tab, a plain empty message, slug and continent filled in."""

from __future__ import annotations

import json

import pytest

from django.utils import translation

from wagtail.users.models import UserProfile

from casestudies.city_forms import continent_for_country
from casestudies.factories import CityFactory
from casestudies.models import City

pytestmark = pytest.mark.django_db

CHOOSE = "/admin/snippets/choose/casestudies/city/"
RESULTS = "/admin/snippets/choose/casestudies/city/results/"
CREATE = "/admin/snippets/choose/casestudies/city/create/"
ADD = "/admin/snippets/casestudies/city/add/"


@pytest.fixture
def editor(client, make_user):
    user = make_user("eddie", "Editors")
    client.force_login(user)
    return user


def modal_html(response) -> str:
    assert response.status_code == 200
    return json.loads(response.content)["html"]


def test_chooser_offers_add_city(client, editor):
    html = modal_html(client.get(CHOOSE))
    assert "Add city" in html
    assert f'action="{CREATE}' in html
    assert 'name="name"' in html and 'name="country"' in html


def test_no_match_message_names_cities(client, editor, city_a):
    html = client.get(RESULTS, {"q": "Busan"}).content.decode()
    assert "Sorry, no snippets match" not in html
    assert "No city is called" in html and "Busan" in html and "Add city" in html


def test_no_match_message_in_korean(client, editor, city_a):
    with translation.override("ko"):
        expected = translation.gettext(
            'No city is called "<em>%(search_query)s</em>". Check the spelling, or add the city in the '
            '"Add city" tab.'
        )
    assert "No city is called" not in expected
    profile = UserProfile.get_for_user(editor)
    profile.preferred_language = "ko"
    profile.save()
    html = client.get(RESULTS, {"q": "Busan"}).content.decode()
    assert expected % {"search_query": "Busan"} in html


def test_add_city_from_the_chooser_fills_slug_and_continent(client, editor):
    response = client.post(CREATE, {"name": "Busan", "name_ko": "부산", "country": "KR", "continent": ""})
    assert response.status_code == 200
    assert json.loads(response.content)["step"] == "chosen"
    city = City.objects.get(name="Busan")
    assert (city.slug, city.continent, city.name_ko) == ("busan", "asia", "부산")


def test_slug_is_ascii_and_unique(client, editor):
    CityFactory(name="Busan", slug="busan", country="KR", continent="asia")
    client.post(CREATE, {"name": "부산", "name_ko": "", "country": "AU", "continent": ""})
    city = City.objects.get(name="부산")
    assert city.slug == "busan-au" and city.continent == "oceania"


def test_a_given_continent_is_kept(client, editor):
    client.post(CREATE, {"name": "Istanbul", "country": "TR", "continent": "europe"})
    assert City.objects.get(name="Istanbul").continent == "europe"


def test_country_without_continent_is_a_form_error(client, editor):
    response = client.post(CREATE, {"name": "McMurdo", "country": "AQ", "continent": ""})
    assert json.loads(response.content)["step"] != "chosen"
    assert "Choose the continent" in json.loads(response.content)["htmlFragment"]
    assert not City.objects.filter(name="McMurdo").exists()


def test_snippet_add_form_fills_slug_and_continent(client, editor):
    response = client.post(
        ADD, {"name": "Hà Nội", "name_ko": "하노이", "slug": "", "country": "VN", "continent": ""}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    city = City.objects.get(name="Hà Nội")
    assert (city.slug, city.continent) == ("ha-noi", "asia")


def test_editing_keeps_the_slug_when_left_empty(client, editor, city_b):
    url = f"/admin/snippets/casestudies/city/edit/{city_b.pk}/"
    response = client.post(
        url,
        {"name": "Beetown Renamed", "name_ko": "비시", "slug": "", "country": "DE", "continent": "europe"},
    )
    assert response.status_code == 302
    city_b.refresh_from_db()
    assert (city_b.name, city_b.slug) == ("Beetown Renamed", "beetown")


@pytest.mark.parametrize(
    ("code", "continent"),
    [
        ("KR", "asia"),
        ("DE", "europe"),
        ("BR", "south-america"),
        ("US", "north-america"),
        ("NG", "africa"),
        ("NZ", "oceania"),
        ("XK", "europe"),
        ("kr", "asia"),
        ("AQ", ""),
        ("ZZ", ""),
    ],
)
def test_continent_for_country(code, continent):
    assert continent_for_country(code) == continent


def test_no_cities_yet_message(client, editor):
    html = client.get(RESULTS).content.decode()
    assert 'There are no cities yet: add the first one in the "Add city" tab.' in html
    assert "snippets" not in html
