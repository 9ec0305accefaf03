"""Issue 14 item 3: the case filters are defined once (casestudies/filters.py, read by
search/filters.py) and every listing follows one rule: repeated or comma-separated values, control
characters dropped, and an unknown or malformed value a 400 naming the parameter and the value
(HTML: in the visitor's language, with a link to the same page without it; JSON: the message and
"parameter"), never a 500 and never silently another result set."""

from __future__ import annotations

import csv
import html
import io
import re

import pytest

from django.http import QueryDict
from django.utils import translation

from casestudies.filters import API_FILTERS, CASE_FILTERS, INDEX_FILTERS, SELECTION_FILTERS
from search import filters
from search.filters import MAX_LENGTH, MAX_VALUES, BadFilter, url_without
from search.types import FACETS


def parse(query: str, names=None) -> dict[str, tuple]:
    return filters.registered().parse(QueryDict(query), names)


# --- the definition ---------------------------------------------------------------------------
def test_every_listing_reads_filters_of_the_one_definition():
    registered = filters.registered()
    for name in (*FACETS, "type", *SELECTION_FILTERS, *INDEX_FILTERS, *API_FILTERS):
        assert name in registered, name
    for name in (*INDEX_FILTERS, *API_FILTERS):
        assert CASE_FILTERS[name].condition is not None, name  # it filters case pages
    # The search page's facets, the downloads' parameters and the API's come from it.
    from opendata import selection as sel
    from opendata.api.views import CasesAPIViewSet

    assert set(SELECTION_FILTERS) <= set(sel.SEARCH_PARAMETERS)
    assert set(API_FILTERS) <= CasesAPIViewSet.known_query_parameters
    assert set(CasesAPIViewSet.extra_filters) == set(API_FILTERS)


def test_repeated_comma_separated_and_cleaned_values(opendata_cases):
    values = parse("area=quarantine,education&area=quarantine&country=kr&country=%00&year=2020,+2021&lang=KO")
    assert values["area"] == ("quarantine", "education")  # each once, in order
    assert values["country"] == ("KR",)  # any case; a value left empty by the cleaning is none
    assert values["year"] == (2020, 2021)
    assert values["lang"] == ("ko",)
    assert parse("area=&continent=+&measure=,")["area"] == ()  # empty <select> options: no filter
    assert parse("city=se%00o%1Bul")["city"] == ("seoul",)  # a control character is dropped


@pytest.mark.parametrize(
    ("query", "parameter", "value"),
    [
        ("area=nope", "area", "nope"),
        ("area=quarantine,nope", "area", "nope"),
        ("continent=atlantis", "continent", "atlantis"),
        ("country=ZZ", "country", "ZZ"),
        ("country=kor", "country", "KOR"),
        ("measure=magic", "measure", "magic"),
        ("city=atlantis%00", "city", "atlantis"),
        ("year=20x1", "year", "20x1"),
        ("year=99999", "year", "99999"),
        ("evidence=6", "evidence", "6"),
        ("size=huge", "size", "huge"),
        ("type=blog", "type", "blog"),
        ("lang=xx", "lang", "xx"),
        ("start_from=2021-02-30", "start_from", "2021-02-30"),
        ("updated_since=yesterday", "updated_since", "yesterday"),
        ("start_from=2021-01-01&start_from=2021-02-01", "start_from", "2021-02-01"),
        ("area=" + "x" * (MAX_LENGTH + 1), "area", "x" * (MAX_LENGTH + 1)),
        ("measure=" + ",".join(f"m{i}" for i in range(MAX_VALUES + 1)), "measure", f"m{MAX_VALUES}"),
    ],
)
def test_an_unknown_or_malformed_value_names_its_parameter_and_value(opendata_cases, query, parameter, value):
    with pytest.raises(BadFilter) as caught:
        parse(query)
    assert (caught.value.parameter, caught.value.value) == (parameter, value)
    assert f"“{parameter}”" in caught.value.message
    if (
        len(value) <= 60
        and "Too many" not in caught.value.message
        and "one value" not in caught.value.message
    ):
        assert f"“{value}”" in caught.value.message


def test_the_message_is_in_the_visitors_language(opendata_cases):
    with translation.override("ko"), pytest.raises(BadFilter) as caught:
        parse("continent=atlantis")
    assert caught.value.message == (
        "“continent”에 쓸 수 없는 값입니다: “atlantis”. "
        "africa, asia, europe, north-america, south-america, oceania 가운데 하나를 쓰세요."
    )


def test_a_well_formed_value_without_cases_is_an_empty_result_not_an_error(client, opendata_cases):
    assert parse("year=1999&country=JP") == {**parse(""), "year": (1999,), "country": ("JP",)}
    response = client.get("/en/cases/?year=1999")
    assert response.status_code == 200 and "No case studies match these filters." in response.content.decode()


def test_the_link_without_the_bad_value_keeps_everything_else():
    query = QueryDict("area=quarantine,nope&area=education&country=kr&page=3")
    assert url_without(query, "area", "nope") == "?area=quarantine&area=education&country=kr"
    assert url_without(query, "country", "KR") == "?area=quarantine%2Cnope&area=education"
    assert url_without(QueryDict("year=20x1"), "year", "20x1") == "?"


# --- every surface: a bad value ---------------------------------------------------------------
def text_of(response) -> str:
    return html.unescape(response.content.decode())


HTML_PAGES = ["/{lang}/cases/", "/{lang}/search/", "/{lang}/explore/"]


@pytest.mark.parametrize("page", HTML_PAGES)
def test_html_pages_answer_400_with_the_message_and_a_link_without_the_value(client, opendata_cases, page):
    url = page.format(lang="en")
    response = client.get(f"{url}?continent=asia&area=quarantine,nope&page=2")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    text = text_of(response)
    assert (
        "Unknown value “nope” for “area”. Use the slug of a policy area, e.g. quarantine or education."
        in text
    )
    assert f'href="{url}?continent=asia&area=quarantine"' in text
    assert "Show this page without “nope”" in text
    # Nothing of a result set: no list, no count, no chart.
    assert 'class="case-card' not in text and "search-result__title" not in text and "od-charts" not in text
    korean = text_of(client.get(f"{page.format(lang='ko')}?area=nope"))
    assert "“area”에 쓸 수 없는 값입니다: “nope”." in korean
    assert "“nope” 없이 이 페이지 보기" in korean


@pytest.mark.parametrize(
    "url",
    ["/en/search/?format=json&area=nope", "/en/data/cases.csv?area=nope", "/en/data/cases.json?area=nope"]
    + ["/en/feeds/cases.rss?area=nope", "/en/feeds/cases.atom?area=nope"],
)
def test_json_answers_name_the_parameter(client, opendata_cases, opendata_no_ratelimit, url):
    response = client.get(url)
    assert response.status_code == 400
    body = response.json()
    assert body["parameter"] == "area"
    assert body["error"].startswith("Unknown value “nope” for “area”.")


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/api/v2/cases/?area=nope", "area"),
        ("/api/v2/cases/?year=20x1", "year"),
        ("/api/v2/cases/?start_from=2021-01-02&start_to=2021-01-01", "start_to"),
        ("/api/v2/sessions/?kind=party", "kind"),
        ("/api/v2/sessions/?country=ZZ", "country"),
        ("/api/v2/cities/?country=ZZ", "country"),
    ],
)
def test_the_api_answers_400_json_naming_the_parameter(
    client, opendata_cases, opendata_no_ratelimit, url, parameter
):
    response = client.get(url)
    assert response.status_code == 400
    body = response.json()
    assert body["parameter"] == parameter and f"“{parameter}”" in body["message"]


# --- every surface: good values still filter, and alike -----------------------------------------
def titles_on_the_case_index(client, query: str) -> set[str]:
    response = client.get(f"/en/cases/?{query}")
    assert response.status_code == 200
    return set(re.findall(r'case-card__title"><a href="[^"]*">([^<]*)<', text_of(response)))


def titles_of_the_search(client, query: str) -> set[str]:
    response = client.get(f"/en/search/?format=json&type=case&{query}")
    assert response.status_code == 200
    return {hit["title"] for hit in response.json()["results"]}


def titles_of_the_download(client, query: str) -> set[str]:
    response = client.get(f"/en/data/cases.csv?{query}")
    assert response.status_code == 200
    return {
        row["title"] for row in csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode()))
    }


def titles_of_the_api(client, query: str) -> set[str]:
    response = client.get(f"/api/v2/cases/?locale=en&{query}")
    assert response.status_code == 200
    return {item["title"] for item in response.json()["items"]}


def total_of_explore(client, query: str) -> int:
    response = client.get(f"/en/explore/?{query}")
    assert response.status_code == 200
    return int(re.search(r'id="od-total">(\d+) case', text_of(response)).group(1))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("area=quarantine,education", {"Drive-through screening stations", "Radio lessons for pupils"}),
        ("area=quarantine&area=education", {"Drive-through screening stations", "Radio lessons for pupils"}),
        ("continent=europe,africa&country=fr", {"Coronapistes: pop-up bike lanes"}),
        ("measure=testing", {"Drive-through screening stations"}),
        ("year=2020&area=education", {"Radio lessons for pupils"}),
        ("country=KE&measure=testing", set()),
    ],
)
def test_the_same_filters_give_the_same_cases_everywhere(
    client, opendata_cases, opendata_no_ratelimit, query, expected
):
    assert titles_on_the_case_index(client, query) == expected
    assert titles_of_the_search(client, query) == expected
    assert titles_of_the_download(client, query) == expected
    assert titles_of_the_api(client, query) == expected
    assert total_of_explore(client, query) == len(expected)


def test_the_case_index_takes_city_and_shows_a_chip_per_value(client, opendata_cases):
    assert titles_on_the_case_index(client, "city=seoul,paris") == {
        "Drive-through screening stations",
        "Coronapistes: pop-up bike lanes",
    }
    text = text_of(client.get("/en/cases/?area=quarantine,education&country=kr"))
    chips = re.findall(r'<a class="chip" href="([^"]*)">([^<]*) <span', text)
    assert chips == [  # each removes its own value only
        ("?area=education&country=kr", "Quarantine measures"),
        ("?area=quarantine&country=kr", "Education"),
        ("?area=quarantine%2Ceducation", "South Korea"),
    ]
    assert "Filters (3)" in text


def test_downloads_of_a_listing_keep_every_filter(rf):
    """The download and feed links of a listing carry all of its filters (`evidence` and `size`
    were left out before: a download had more cases than the page)."""
    from opendata.templatetags.opendata_tags import selection_query

    request = rf.get("/en/cases/?size=gt5m&evidence=3,4&area=quarantine&page=2&sort=evidence&utm_source=x")
    assert selection_query(request) == "?size=gt5m&evidence=3%2C4&area=quarantine"
