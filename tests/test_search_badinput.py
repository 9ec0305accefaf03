"""Property test: whatever the parameters, the search page and its JSON answer 200 or 400, never 500."""

from __future__ import annotations

import datetime
import json
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ops.text import strip_controls
from search.factories import CityFactory, MeasureTypeFactory, make_case

pytestmark = pytest.mark.django_db

SYNTAX = [
    '"',
    '""',
    "*",
    "NEAR(",
    "NEAR(a b, 2)",
    "OR",
    "AND",
    "NOT",
    "-",
    ":",
    "^",
    "{title}:",
    "title:x",
    "a:*",
    "'",
    "\\",
    "%",
    "_",
    "&",
    "|",
    "!",
    "<->",
    "(",
    ")",
    "\x00",
    "\x1f",
    "\x7f",
    "\u202e",
    "\ufeff",
    "\u200b",
    "서울 Seoul 東京 Москва",
    "선별진료소를",
    "ㅅㅓ",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "🦠",
    "1e3",
    "' OR 1=1 --",
    "; DROP TABLE search_searchdocument; --",
]

syntax = st.sampled_from(SYNTAX)
words = st.one_of(syntax, st.text(max_size=30))
query = st.one_of(
    st.text(max_size=300),
    st.lists(words, max_size=12).map(" ".join),
    st.lists(words, max_size=12).map("".join),
    st.builds(
        lambda chunk, n: (chunk * n)[:10_240], st.text(min_size=1, max_size=8), st.integers(1000, 3000)
    ),
)
slugs = st.one_of(
    st.sampled_from(["quarantine", "education", "asia", "europe", "KR", "kr", "testing", "2020", ""]),
    st.text(max_size=40),
    syntax,
)
facet_values = st.lists(slugs, max_size=6).flatmap(
    lambda values: st.just(values + values[:2])  # repeated values too
)
integers = st.one_of(
    st.sampled_from(
        ["0", "-1", "abc", str(10**9), "1", "2", "", " 3", "1.5", "١", "1e3", "0x10", "+1", "10000"]
    ),
    st.integers(-(10**12), 10**12).map(str),
    st.text(max_size=12),
)
sorts = st.one_of(st.sampled_from(["relevance", "newest", "", "RELEVANCE", "oldest"]), st.text(max_size=20))
formats = st.one_of(st.sampled_from(["", "json", "html", "xml", "JSON"]), st.text(max_size=10))
accepts = st.sampled_from(
    ["", "application/json", "text/html", "*/*", "application/json, */*;q=0.1", "garbage;;q=x", "text/*"]
)

params = st.fixed_dictionaries(
    {},
    optional={
        "q": st.lists(query, min_size=1, max_size=2),
        "area": facet_values,
        "continent": facet_values,
        "country": facet_values,
        "measure": facet_values,
        "year": st.lists(integers, max_size=4),
        "type": facet_values,
        "sort": st.lists(sorts, min_size=1, max_size=2),
        "page": st.lists(integers, min_size=1, max_size=2),
        "page_size": st.lists(integers, min_size=1, max_size=1),
        "format": st.lists(formats, min_size=1, max_size=1),
    },
)

HYPOTHESIS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


@pytest.fixture
def some_cases(db):
    seoul = CityFactory(name="Seoul", name_ko="서울", slug="seoul", country="KR", continent="asia")
    testing = MeasureTypeFactory(name="Testing", name_ko="검사", slug="testing")
    make_case("Drive-through testing", summary="Cars drive through testing.", city=seoul, measures=[testing])
    make_case(
        "드라이브스루 선별진료소",
        summary="선별진료소를 운영했다.",
        language="ko",
        city=seoul,
        measures=[testing],
        start_date=datetime.date(2020, 3, 1),
    )


def _check(response, as_json: bool):
    assert response.status_code in (200, 400), response.status_code
    if as_json:
        data = json.loads(response.content)
        if response.status_code == 400:
            assert set(data) <= {"error", "parameter"} and data["error"]
        else:
            assert {
                "count",
                "page",
                "num_pages",
                "results",
                "facets",
                "did_you_mean",
                "corrected_from",
            } == set(data)
    elif response.status_code == 400:
        assert response["Content-Type"].startswith("text/html")


@HYPOTHESIS
@given(params=params, language=st.sampled_from(["en", "ko"]), accept=accepts)
def test_search_never_fails(client, some_cases, params, language, accept):
    query_string = urlencode([(key, value) for key, values in params.items() for value in values])
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    response = client.get(f"/{language}/search/?{query_string}", **headers)
    # What the view reads: control characters are dropped before any view (cac_platform.middleware).
    fmt = strip_controls(params.get("format", [""])[-1], multiline=False)
    as_json = fmt == "json" or (not fmt and response["Content-Type"].startswith("application/json"))
    _check(response, as_json)
    # The same parameters as JSON.
    json_params = {key: values for key, values in params.items() if key != "format"}
    query_string = urlencode([(k, v) for k, vs in json_params.items() for v in vs] + [("format", "json")])
    _check(client.get(f"/{language}/search/?{query_string}"), as_json=True)


@HYPOTHESIS
@given(q=st.one_of(query, st.lists(words, max_size=5).map("".join)), language=st.sampled_from(["en", "ko"]))
def test_suggest_never_fails(client, some_cases, q, language):
    response = client.get(f"/{language}/search/suggest/?{urlencode({'q': q})}")
    assert response.status_code == 200
    data = response.json()
    assert set(data) == {"query", "suggestions"}


@pytest.mark.parametrize("raw", ["%FF%FE", "%ED%A0%80", "%C0%AF", "%00", "%E2%80%AE", "a%"])
def test_undecodable_bytes_in_the_query_string(client, some_cases, raw):
    for path in ("/en/search/", "/ko/search/suggest/"):
        for extra in ("", "&format=json"):
            response = client.get(f"{path}?q={raw}&area={raw}&page=1{extra}")
            assert response.status_code in (200, 400)
