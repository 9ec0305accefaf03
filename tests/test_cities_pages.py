"""The pages that list cities, over cities named in seven scripts: `/cities/` a page at a time, by
country and by first letter in any script, in English and Korean; the map's clusters and the list
under it. (The letters, the clustering and the gazetteer themselves: test_cities_at_scale.)"""

from __future__ import annotations

import pytest

from casestudies.factories import index_page
from casestudies.models import City
from opendata import views
from search.factories import CityFactory, make_case

from .fixtures.database import own_or_fresh, shared_for_module

pytestmark = pytest.mark.django_db

# Names as the trackers' rows bring them: in their own script, in the English name field.
SCRIPTS = [
    ("مسقط", "", "muscat", "OM", "asia"),  # Arabic
    ("Москва", "모스크바", "moskva", "RU", "europe"),  # Cyrillic
    ("北京", "베이징", "beijing", "CN", "asia"),  # Chinese
    ("서울", "서울", "seoul", "KR", "asia"),  # Korean
    ("Busan", "부산", "busan", "KR", "asia"),
    ("Łódź", "우치", "lodz", "PL", "europe"),
    ("Madrid", "마드리드", "madrid", "ES", "europe"),
]


def _build_cities() -> dict[str, City]:
    index_page("en")
    index_page("ko")
    made = {}
    for number, (name, name_ko, slug, country, continent) in enumerate(SCRIPTS):
        city = CityFactory(name=name, name_ko=name_ko, slug=slug, country=country, continent=continent)
        make_case(f"Measure {number}", city=city)
        make_case(f"조치 {number}", city=city, language="ko", slug=f"ko-{number}")
        made[slug] = city
    return made


@pytest.fixture(scope="module")
def _cities_module(request, django_db_setup, django_db_blocker):
    """The cities built once for the module (in a transaction rolled back after it), unless a test
    of the module commits or does without them: then None, and each test builds its own."""
    yield from shared_for_module(request, django_db_blocker, "cities", _build_cities)


@pytest.fixture
def cities(_cities_module, db):
    """Seven cities, one per script (and two in Korea), each with an English and a Korean case;
    each test gets its own copies of the instances, read again."""
    return own_or_fresh(_cities_module, _build_cities)


def listed(html: str) -> list[str]:
    """The city slugs in the order the page lists them."""
    import re

    return re.findall(r'<li><a href="/(?:en|ko)/cities/([^/]+)/">', html)


# -- /cities/ ------------------------------------------------------------------------------------
def test_every_script_is_listed_with_a_working_link(client, cities):
    response = client.get("/en/cities/")
    assert response.status_code == 200
    html = response.content.decode()
    assert sorted(listed(html)) == sorted(cities)
    for slug in cities:
        assert client.get(f"/en/cities/{slug}/").status_code == 200
    # The letter bar offers the letters present, Latin first, then Hangul.
    bar = html[html.index('class="od-letters"') : html.index("</nav>", html.index('class="od-letters"'))]
    assert [label for label in ("B", "L", "M", "ㅅ") if f">{label}</a>" in bar] == ["B", "L", "M", "ㅅ"]
    assert ">ㄱ</a>" not in bar and ">Z</a>" not in bar  # no empty letters


def test_letter_filter_groups_other_scripts_by_their_transliteration(client, cities):
    html = client.get("/en/cities/?letter=M").content.decode()
    assert sorted(listed(html)) == ["madrid", "moskva", "muscat"]
    assert "starting with M" in html
    html = client.get("/en/cities/?letter=ㅅ").content.decode()
    assert listed(html) == ["seoul"]


def test_the_korean_page_lists_korean_names_under_their_consonant(client, cities):
    html = client.get("/ko/cities/?letter=ㅂ").content.decode()
    assert sorted(listed(html)) == ["beijing", "busan"]  # 베이징, 부산
    html = client.get("/ko/cities/?letter=M").content.decode()
    assert listed(html) == ["muscat"]  # no Korean name yet: shown (and listed) by its own


def test_country_filter(client, cities):
    html = client.get("/en/cities/?country=kr").content.decode()
    assert sorted(listed(html)) == ["busan", "seoul"]
    assert "2 cities in South Korea" in html
    assert '<option value="KR" selected>' in html
    html = client.get("/en/cities/?country=KR&letter=B").content.decode()
    assert listed(html) == ["busan"]


@pytest.mark.parametrize(
    "query", ["country=ZZ", "country=%00", "letter=AB", "letter=%E2%80%8B", "letter=&country="]
)
def test_unknown_country_or_letter_is_ignored(client, cities, query):
    response = client.get(f"/en/cities/?{query}")
    assert response.status_code == 200
    assert sorted(listed(response.content.decode())) == sorted(cities)


def test_pages_keep_the_filters(client, cities, monkeypatch):
    monkeypatch.setattr(views, "CITIES_PER_PAGE", 2)
    first = client.get("/en/cities/?letter=M").content.decode()
    assert listed(first) == ["madrid", "moskva"]
    assert "Page 1 of 2" in first and 'href="?letter=M&amp;page=2"' in first
    second = client.get("/en/cities/?letter=M&page=2").content.decode()
    assert listed(second) == ["muscat"]
    everything = []
    for number in (1, 2, 3, 4):
        everything += listed(client.get(f"/en/cities/?page={number}").content.decode())
    assert sorted(everything) == sorted(cities) and len(everything) == len(set(everything))
    assert (
        "page="
        not in client.get("/en/cities/?page=2")
        .content.decode()
        .split('class="od-letters"')[1]
        .split("</nav>")[0]
    )


@pytest.mark.parametrize("page", ["abc", "0", "-1", "1.5", "١", "9" * 30])
def test_a_malformed_page_is_a_400_with_a_message(client, cities, page):
    response = client.get("/en/cities/", {"page": page})
    assert response.status_code == 400
    assert "must be a whole number" in response.content.decode()


def test_a_page_past_the_last_is_a_404_with_a_message(client, cities, monkeypatch):
    monkeypatch.setattr(views, "CITIES_PER_PAGE", 5)
    response = client.get("/en/cities/?page=3")
    assert response.status_code == 404
    assert "There are only 2 pages of cities." in response.content.decode()
    response = client.get("/ko/cities/?page=3")
    assert "도시 목록은 2페이지까지만 있습니다." in response.content.decode()


def test_the_language_switch_keeps_the_filters(client, cities):
    html = client.get("/en/cities/?country=KR&letter=B").content.decode()
    switcher = html[html.index('class="language-switcher"') :]
    assert 'href="/ko/cities/?country=KR&amp;letter=B"' in switcher


def test_the_page_in_korean(client, cities):
    html = client.get("/ko/cities/?country=KR").content.decode()
    assert "대한민국의 도시 2곳" in html or "한국의 도시 2곳" in html
    assert "첫 글자" in html and "전체" in html


# -- map -------------------------------------------------------------------------------------------
def test_the_map_draws_nearby_cities_as_one_numbered_cluster(client, cities):
    seoul, busan = cities["seoul"], cities["busan"]
    City.objects.filter(pk=seoul.pk).update(latitude=37.5665, longitude=126.978)
    City.objects.filter(pk=busan.pk).update(latitude=35.1796, longitude=129.0756)  # 3° away: one cluster
    City.objects.filter(slug="madrid").update(latitude=40.4168, longitude=-3.7038)
    City.objects.exclude(slug__in=["seoul", "busan", "madrid"]).update(latitude=None, longitude=None)
    html = client.get("/en/explore/").content.decode()
    svg = html[html.index('<svg class="od-map__svg"') : html.index("</svg>", html.index("od-map__svg"))]
    assert svg.count('class="od-cluster"') == 1 and svg.count('class="od-marker"') == 1
    assert 'href="/en/cities/?country=KR"' in svg  # one country: its cities
    assert 'data-cluster="2"' in svg and ">2</text>" in svg
    assert 'data-city="madrid"' in svg
    assert "GeoNames" in html and "CC BY 4.0" in html
    ko = client.get("/ko/explore/").content.decode()
    assert "숫자가 적힌 원은" in ko and "도시 2곳" in ko


def test_the_list_under_the_map_is_capped_and_points_to_the_cities_page(client, cities, monkeypatch):
    monkeypatch.setattr(views, "MAP_LIST_LENGTH", 3)
    html = client.get("/en/explore/").content.decode()
    table = html[html.index('id="map-list"') : html.index("</details>", html.index('id="map-list"'))]
    assert table.count('<tr><th scope="row">') == 3
    assert "7 cities as a list" in table and 'href="/en/cities/"' in table


def test_each_city_shows_its_number_of_cases(client, cities):
    make_case("Another measure", city=cities["madrid"])
    html = client.get("/en/cities/?letter=M").content.decode()
    madrid = html[html.index('href="/en/cities/madrid/"') :].split("</li>")[0]
    assert "2 cases" in madrid
    moskva = html[html.index('href="/en/cities/moskva/"') :].split("</li>")[0]
    assert "1 case" in moskva
