"""The explore page (charts and map following the search filters) and the city profiles."""

import re

import pytest

from opendata import charts, geo


def chart_values(html: str, chart_id: str) -> dict[str, int]:
    figure = html.split(f'id="{chart_id}"')[1].split("</figure>")[0]
    return {key: int(value) for key, value in re.findall(r'data-key="([^"]+)" data-value="(\d+)"', figure)}


def test_explore_charts_count_the_matching_cases(client, opendata_cases):
    response = client.get("/en/explore/")
    assert response.status_code == 200
    html = response.content.decode()
    areas = chart_values(html, "chart-areas")
    assert len(areas) == 10
    assert areas["quarantine"] == 1 and areas["education"] == 1 and areas["public-transportation"] == 1
    assert chart_values(html, "chart-continents") == {
        "africa": 1,
        "asia": 1,
        "europe": 1,
        "north-america": 0,
        "south-america": 0,
        "oceania": 0,
    }
    months = chart_values(html, "chart-months")
    assert months == {"2020-03": 1, "2020-04": 1, "2020-05": 1}
    assert html.count('role="img"') >= 3
    assert "<table" in html and "<desc" in html


def test_explore_follows_the_filters(client, opendata_cases):
    html = client.get("/en/explore/?continent=europe").content.decode()
    assert chart_values(html, "chart-continents")["europe"] == 1
    assert chart_values(html, "chart-continents")["asia"] == 0
    assert chart_values(html, "chart-areas")["quarantine"] == 0
    assert 'data-city="paris"' in html and 'data-city="seoul"' not in html
    assert "/en/data/cases.csv?continent=europe" in html
    assert "/en/feeds/cases.atom?continent=europe" in html


def test_explore_never_counts_drafts_or_private_cases(client, opendata_cases):
    html = client.get("/en/explore/?country=KR").content.decode()
    assert chart_values(html, "chart-areas")["quarantine"] == 1  # the draft in Seoul is not counted


def test_explore_bad_parameter_is_a_400_page(client, opendata_cases):
    response = client.get("/en/explore/?page=abc")
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()


def test_explore_in_korean(client, opendata_cases):
    html = client.get("/ko/explore/").content.decode()
    assert chart_values(html, "chart-continents")["asia"] == 1
    assert 'data-city="seoul"' in html


def test_map_circles_sized_by_sqrt_and_placed_by_coordinates(client, opendata_cases):
    html = client.get("/en/explore/").content.decode()
    x, y = geo.project(126.978, 37.5665)
    assert f'cx="{x:g}" cy="{y:g}"' in html
    assert 'href="/en/cities/seoul/"' in html
    assert "/static/opendata/world.svg" in html
    assert geo.radius(4, 4) == pytest.approx(2 * geo.radius(1, 4) - 3, abs=0.01)  # r - 3 ∝ √n


def test_map_projection():
    assert geo.project(-180, geo.NORTH) == (0, 0)
    assert geo.project(180, geo.SOUTH) == (geo.WIDTH, geo.HEIGHT)
    assert geo.project(0, 0)[0] == geo.WIDTH / 2


def test_world_outline_ships_as_a_static_asset():
    from pathlib import Path

    svg = (Path(geo.__file__).parent / "static" / "opendata" / "world.svg").read_text()
    assert "Natural Earth" in svg and f'viewBox="0 0 {geo.WIDTH:g} {geo.HEIGHT:g}"' in svg
    assert "http" not in svg.split("-->")[1]  # no external reference


def test_month_axis_and_nice_max():
    import datetime

    bars = charts.month_bars({datetime.date(2020, 11, 1): 2, datetime.date(2021, 2, 1): 1})
    assert [bar.key for bar in bars] == ["2020-11", "2020-12", "2021-01", "2021-02"]
    assert [bar.value for bar in bars] == [2, 0, 0, 1]
    assert [charts.nice_max(n) for n in (0, 1, 3, 7, 13, 60, 101)] == [1, 1, 5, 10, 20, 100, 200]


def test_city_profile(client, opendata_cases, archive_summit):
    response = client.get("/en/cities/seoul/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Seoul</h1>" in html
    assert "Drive-through screening stations" in html and "Secret draft plan" not in html
    assert 'id="area-quarantine"' in html
    assert "/en/data/cases.csv?city=seoul" in html
    # Sessions Seoul took part in (the summit loader links them to the seoul city if it exists).
    from archive.models import SessionPage

    for session in SessionPage.objects.live().filter(locale__language_code="en", cities__slug="seoul"):
        assert session.title in html
    # The other language's version of the same page.
    assert 'href="/ko/cities/seoul/"' in html
    ko = client.get("/ko/cities/seoul/").content.decode()
    assert "<h1>서울</h1>" in ko and "드라이브스루 선별진료소" in ko


def test_city_index_and_unknown_city(client, opendata_cases):
    html = client.get("/en/cities/").content.decode()
    assert 'href="/en/cities/nairobi/"' in html
    assert client.get("/en/cities/atlantis/").status_code == 404


def test_axis_ticks_are_whole_and_even():
    assert charts.ticks(1) == [0, 1]
    assert charts.ticks(2) == [0, 1, 2]
    assert charts.ticks(5) == [0, 1, 2, 3, 4, 5]
    assert charts.ticks(20) == [0, 4, 8, 12, 16, 20]
    assert charts.ticks(200) == [0, 40, 80, 120, 160, 200]
