"""The demo loaders build the bilingual site from real 2020 cases (each app its own content, through one
`load_demo` command), and a second run changes nothing."""

import io
import json
from pathlib import Path

import pytest

from django.core.management import call_command

from wagtail.models import Page, Revision

from archive.models import SummitPage
from casestudies.loaders import DATA_DIR
from casestudies.models import CaseStudyIndexPage, Continent
from community.models import CompanyIndexPage, MediaIndexPage, RelatedLinksPage
from home.loaders import ABOUT, HOME_INTRO
from home.loaders import load_demo as load_home_demo
from home.models import HomePage, StandardPage

from .fixtures.database import build_for_module

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo_rows():
    return json.loads((DATA_DIR / "cases.json").read_text(encoding="utf-8"))


def test_demo_data_spans_every_area_and_continent(demo_rows):
    cities = {row["key"]: row for row in json.loads((DATA_DIR / "cities.json").read_text(encoding="utf-8"))}
    assert len(demo_rows) >= 30
    areas = {slug for row in demo_rows for slug in row["policy_areas"]}
    continents = {cities[row["city"]]["continent"] for row in demo_rows}
    assert len(areas) == 10
    assert continents == set(Continent.values)
    for row in demo_rows:
        assert row["sources"], row["key"]
        assert row["start_date"].startswith(("2019", "2020")), row["key"]
        if row["city"] == "seoul":
            assert row.get("ko"), f"Seoul case {row['key']} lacks a Korean translation"


def _load_demo_command() -> None:
    call_command("load_demo", stdout=io.StringIO())


@pytest.fixture(scope="class")
def demo_loaded_once(django_db_setup, django_db_blocker):
    """The command's first run into the migrated database, once for the class: on SQLite in memory
    built once per worker and saved between runs of the same code and tests that day
    (tests/fixtures/database.py); elsewhere run here, in a transaction rolled back after the class."""
    yield from build_for_module(django_db_blocker, _load_demo_command, reusable=True)


@pytest.mark.usefixtures("demo_loaded_once")
class TestTheCommand:
    def test_load_demo_command_loads_every_apps_content_and_runs_twice(self, client):
        """What the first run loaded (the class's fixture); then a second run, here, changes nothing."""
        for code in ("en", "ko"):
            home = HomePage.objects.get(locale__language_code=code)
            assert home.intro == HOME_INTRO[code]
            # Each app's pages, in the menu in the loaders' order.
            menu = list(home.get_children().live().in_menu().specific())
            assert [type(page) for page in menu] == [
                CaseStudyIndexPage,
                StandardPage,
                SummitPage,
                CompanyIndexPage,
                MediaIndexPage,
                RelatedLinksPage,
            ]
            assert menu[1].title == ABOUT[code][0]
            assert client.get(menu[1].url).status_code == 200
        pages, revisions = Page.objects.count(), Revision.objects.count()
        out = io.StringIO()
        call_command("load_demo", stdout=out)
        assert (Page.objects.count(), Revision.objects.count()) == (pages, revisions)
        lines = out.getvalue().splitlines()
        assert lines[0] == "Case studies: 0 pages created, 0 translated, 0 cities created, 0 cases judged."
        assert lines[1] == "Home: 0 pages created, 0 translated."
        assert lines[2].startswith("Summit: 0 pages created, 0 translated, 0 updated,")
        assert lines[3].startswith("Community: 0 pages created, 0 translated,")
        assert lines[-1] == "Demo content ready."


CALLS = []


def first_loader(stdout=None):
    CALLS.append(("first", stdout))


def second_loader(stdout=None):
    CALLS.append(("second", stdout))
    stdout.write("second loaded")


def test_load_demo_calls_each_apps_loader_in_the_settings_order(settings):
    settings.DEMO_LOADERS = [f"{__name__}.second_loader", f"{__name__}.first_loader"]
    CALLS.clear()
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert [name for name, _ in CALLS] == ["second", "first"]
    assert all(stdout is not None for _, stdout in CALLS)
    assert out.getvalue().splitlines() == ["second loaded", "Demo content ready."]


def test_the_home_loader_writes_the_introduction_and_the_about_page_once(client):
    stats = load_home_demo()
    assert stats == {"pages": 1, "translations": 1}
    about = {
        code: StandardPage.objects.get(slug="about", locale__language_code=code) for code in ("en", "ko")
    }
    assert about["ko"].translation_key == about["en"].translation_key
    for code, page in about.items():
        assert page.live and page.show_in_menus
        assert page.introduction == ABOUT[code][2]
        assert HomePage.objects.get(locale__language_code=code).intro == HOME_INTRO[code]
        assert ABOUT[code][3][0] in client.get(page.url).content.decode()
    revisions = Revision.objects.count()
    assert load_home_demo() == {"pages": 0, "translations": 0}
    assert Revision.objects.count() == revisions


def test_curated_measure_types_carry_tracker_codes():
    from casestudies.models import MeasureType

    assert MeasureType.objects.count() >= 30
    tracing = MeasureType.objects.get(slug="contact-tracing")
    assert (tracing.oxcgrt_code, tracing.phsm_code.startswith("3.")) == ("H3", True)
    assert tracing.name_ko
    assert Path(DATA_DIR).exists()
