"""Issue 15 item 1: a city (or measure type) named in any script gets an ASCII slug, and every
page that links a city answers 200, in both languages. A slug in another script (made before, or
by hand) still works: the city URL accepts it instead of failing with NoReverseMatch."""

from __future__ import annotations

import csv
import importlib
import io
import re
import tempfile
from pathlib import Path

import pytest

from django.apps import apps
from django.core.management import call_command
from django.urls import reverse

from casestudies.exporter import COLUMNS
from casestudies.factories import CaseStudyPageFactory, CityFactory, index_page
from casestudies.models import CaseStudyPage, City, MeasureType
from ops.text import ascii_slug

from .fixtures.database import build_for_module, fresh

pytestmark = pytest.mark.django_db

# name, country, continent, expected slug, measure type in the same script
NAMES = [
    ("مسقط", "OM", "asia", "msqt", "حظر التجول"),
    ("Москва", "RU", "europe", "moskva", "Комендантский час"),
    ("北京", "CN", "asia", "beijing", "宵禁"),
    ("부산", "KR", "asia", "busan", "야간 통행 금지"),
    ("Hà Nội", "VN", "asia", "ha-noi", "Giới nghiêm"),
    ("मुंबई", "IN", "asia", "mumbi", "कर्फ़्यू"),
]


def test_ascii_slug_transliterates_every_script():
    for name, _country, _continent, slug, _measure in NAMES:
        assert ascii_slug(name) == slug
    assert ascii_slug("???") == ""
    assert ascii_slug("x" * 300) == "x" * 100


def _build_many_scripts() -> dict:
    """One published case per script, imported as an editor would (new cities, new measure types)."""
    index_page("en")
    index_page("ko")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for number, (name, country, continent, _slug, measure) in enumerate(NAMES):
        for locale in ("en", "ko"):
            writer.writerow(
                {
                    **{column: "" for column in COLUMNS},
                    "key": f"case-{number}",
                    "locale": locale,
                    "title": f"Curfew in {name} ({locale})",
                    "summary": f"A curfew in {name}.",
                    "city": name,
                    "country": country,
                    "continent": continent,
                    "policy_areas": "quarantine",
                    "measure_types": measure,
                    "start_date": "2020-04-01",
                }
            )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "scripts.csv"
        path.write_text(out.getvalue(), encoding="utf-8")
        call_command("import_casestudies", str(path), "--publish", stdout=io.StringIO(), stderr=io.StringIO())
    return {name: City.objects.get(name=name) for name, *_rest in NAMES}


@pytest.fixture(scope="class")
def _many_scripts_of_class(django_db_setup, django_db_blocker):
    """The import built once for the class (in a transaction rolled back after it)."""
    yield from build_for_module(django_db_blocker, _build_many_scripts)


@pytest.fixture
def many_scripts(_many_scripts_of_class, db):
    """The imported cities by name; each test reads them again."""
    return fresh(_many_scripts_of_class)


class TestImportedScripts:
    """The tests reading the imported cases, built once for the class."""

    def test_imported_cities_and_measure_types_get_ascii_slugs(self, many_scripts):
        for name, _country, _continent, slug, measure in NAMES:
            assert many_scripts[name].slug == slug
            measure_type = MeasureType.objects.get(name=measure)
            assert measure_type.slug.isascii() and measure_type.slug, measure
            assert re.fullmatch(r"[-a-z0-9_]+", measure_type.slug)

    @pytest.mark.parametrize("language", ["en", "ko"])
    def test_every_page_that_links_a_city_answers(
        self, client, many_scripts, language, opendata_no_ratelimit
    ):
        cities_page = client.get(f"/{language}/cities/")
        assert cities_page.status_code == 200
        explore = client.get(f"/{language}/explore/")
        assert explore.status_code == 200
        for name, city in many_scripts.items():
            with_language = f"/{language}/cities/{city.slug}/"
            assert f'href="{with_language}"' in cities_page.content.decode(), name
            assert client.get(with_language).status_code == 200
            for url in (
                f"/{language}/explore/?city={city.slug}",
                f"/{language}/cases/?city={city.slug}",
                f"/{language}/data/cases.csv?city={city.slug}",
                f"/{language}/feeds/cases.rss?city={city.slug}",
                f"/api/v2/cases/?city={city.slug}",
            ):
                assert client.get(url).status_code == 200, url
        for case in CaseStudyPage.objects.live().filter(locale__language_code=language):
            response = client.get(case.url)
            assert response.status_code == 200
            assert f"?city={case.city.slug}" in response.content.decode()
            for measure in case.measure_types.all():
                assert client.get(f"{case.get_parent().url}?measure={measure.slug}").status_code == 200
        assert client.get(f"/{language}/").status_code == 200
        assert client.get(f"/{language}/search/?q=curfew").status_code == 200
        sitemap = client.get("/sitemap.xml")
        assert sitemap.status_code == 200
        assert "/cities/msqt/" in sitemap.content.decode()


def test_a_city_slug_in_another_script_still_works(client, en_index):
    """A slug that is not ASCII (made before this rule, or by code) never breaks the pages."""
    muscat = CityFactory(name="Muscat", name_ko="무스카트", slug="مسقط", country="OM", continent="asia")
    CaseStudyPageFactory(title="Curfew", city=muscat, areas=["quarantine"])
    url = reverse("opendata:city", args=[muscat.slug])
    for path in ("/en/cities/", "/en/explore/", "/sitemap.xml"):
        assert client.get(path).status_code == 200, path
    assert url in client.get("/en/cities/").content.decode()
    assert client.get(url).status_code == 200


def test_a_measure_type_created_without_a_slug_gets_an_ascii_one():
    assert MeasureType.objects.create(name="야간 통행 금지").slug == "yagan-tonghaeng-geumji"
    assert MeasureType.objects.create(name="😷").slug == "mask"


def test_the_migration_makes_existing_slugs_ascii():
    migration = importlib.import_module("casestudies.migrations.0007_ascii_slugs")
    CityFactory(name="Moscow", slug="moskva", country="RU")
    moscow = CityFactory(name="Москва", slug="москва", country="RU")
    muscat = CityFactory(name="مسقط", slug="مسقط", country="OM")
    curfew = MeasureType.objects.create(name="Комендантский час", slug="комендантский-час")
    migration.forwards(apps, None)
    moscow.refresh_from_db()
    muscat.refresh_from_db()
    curfew.refresh_from_db()
    assert (moscow.slug, muscat.slug, curfew.slug) == ("moskva-2", "msqt", "komendantskiy-chas")
    assert City.objects.get(slug="moskva").name == "Moscow"  # an ASCII slug is left as it is
