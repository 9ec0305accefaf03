"""Downloads of a search/browse view: CSV, JSON and JSON Lines, same parameters as the search page,
only live public content, licence and citation carried, empty results valid, bad input a 400."""

import csv
import io
import json

import pytest

from casestudies.imports import prepare
from opendata.rows import COLUMNS, EXPORT_COLUMNS, IMPORT_COLUMNS

pytestmark = pytest.mark.django_db
# Every test here reads opendata_cases, which is then built once for the module; the export of an
# empty database is in tests/test_opendata_exports_empty.py.


def body(response) -> str:
    assert response.streaming, "exports are streamed"
    return b"".join(response.streaming_content).decode("utf-8")


def csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(body(response))))


def test_csv_has_the_import_columns_then_url_date_licence_citation(
    client, opendata_cases, opendata_no_ratelimit
):
    response = client.get("/en/data/cases.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert 'rel="license"' in response["Link"]
    rows = csv_rows(response)
    assert list(rows[0]) == list(COLUMNS)
    assert list(COLUMNS[: len(IMPORT_COLUMNS)]) == list(IMPORT_COLUMNS)
    titles = [row["title"] for row in rows]
    # Newest start first; English only; no draft, no private case.
    assert titles == [
        "Coronapistes: pop-up bike lanes",
        "Radio lessons for pupils",
        "Drive-through screening stations",
    ]
    seoul = rows[-1]
    case = opendata_cases["seoul"]
    assert seoul["key"] == "drive-through"  # the external key: the import key, else the English slug
    assert seoul["locale"] == "en"
    assert seoul["city"] == "Seoul" and seoul["country"] == "KR" and seoul["continent"] == "asia"
    assert seoul["policy_areas"] == "quarantine"
    assert seoul["measure_types"] == "Testing"
    assert seoul["start_date"] == "2020-03-01" and seoul["end_date"] == ""
    assert seoul["contact_email"] == "covid@seoul.example"
    assert seoul["url"].endswith("/en/cases/drive-through/")
    assert seoul["last_published_at"].startswith(str(case.last_published_at.year))
    assert seoul["licence"] == "CC BY 4.0"
    assert (
        "Seoul Metropolitan Government" in seoul["citation"] and f"/en/case/{case.pk}/" in seoul["citation"]
    )
    paris = rows[0]
    assert paris["policy_areas"] == "climate-environment; public-transportation"


def test_same_parameters_as_the_search_page(client, opendata_cases, opendata_no_ratelimit):
    def titles(query):
        return [row["title"] for row in csv_rows(client.get(f"/en/data/cases.csv?{query}"))]

    assert titles("area=education") == ["Radio lessons for pupils"]
    assert titles("continent=europe") == ["Coronapistes: pop-up bike lanes"]
    assert titles("country=kr") == ["Drive-through screening stations"]
    assert titles("measure=testing") == ["Drive-through screening stations"]
    assert titles("area=education&area=quarantine") == [
        "Radio lessons for pupils",
        "Drive-through screening stations",
    ]
    assert titles("q=radio") == ["Radio lessons for pupils"]
    assert titles("year=2019") == []
    assert titles("type=session") == []
    assert titles("city=paris") == ["Coronapistes: pop-up bike lanes"]
    # The search page's paging parameters are accepted and ignored: an export has every match.
    assert len(titles("page=2&page_size=1&sort=newest")) == 3
    # A draft or private case is found by none of its words.
    assert titles("q=secret") == []
    assert titles("q=private") == []


def test_korean_export_has_the_korean_cases(client, opendata_cases, opendata_no_ratelimit):
    rows = csv_rows(client.get("/ko/data/cases.csv"))
    assert [row["title"] for row in rows] == ["드라이브스루 선별진료소"]
    assert rows[0]["locale"] == "ko"
    assert rows[0]["key"] == "drive-through"  # one key for both languages: translations


def test_json_carries_licence_citation_and_rows(client, opendata_cases, opendata_no_ratelimit):
    response = client.get("/en/data/cases.json?area=quarantine")
    assert response["Content-Type"].startswith("application/json")
    data = json.loads(body(response))
    assert data["licence"].startswith("Case study texts: CC BY 4.0, CAC Knowledge Platform")
    assert data["licence_url"] == "https://creativecommons.org/licenses/by/4.0/"
    assert "[Data set]" in data["citation"] and "area=quarantine" in data["citation"]
    assert data["parameters"] == {"area": ["quarantine"]}
    assert data["columns"] == list(COLUMNS)
    assert data["count"] == 1
    assert [row["title"] for row in data["results"]] == ["Drive-through screening stations"]


def test_jsonl_is_one_object_per_line(client, opendata_cases, opendata_no_ratelimit):
    response = client.get("/en/data/cases.jsonl")
    assert response["Content-Type"].startswith("application/x-ndjson")
    lines = body(response).splitlines()
    rows = [json.loads(line) for line in lines]
    assert len(rows) == 3
    assert all(list(row) == list(COLUMNS) for row in rows)


@pytest.mark.parametrize("fmt", ["csv", "json", "jsonl"])
def test_an_empty_result_is_a_valid_empty_file(client, opendata_cases, opendata_no_ratelimit, fmt):
    response = client.get(f"/en/data/cases.{fmt}?year=1999")
    assert response.status_code == 200
    text = body(response)
    if fmt == "csv":
        assert text.strip() == ",".join(COLUMNS)
        assert csv_rows(client.get(f"/en/data/cases.{fmt}?year=1999")) == []
    elif fmt == "json":
        data = json.loads(text)
        assert data["results"] == [] and data["count"] == 0
    else:
        assert text == ""


BAD_QUERIES = (
    "bogus=1",
    "page=abc",
    "page=0",
    "page_size=100000",
    "sort=random",
    "city=atlantis",
    "area=" + "&area=".join(f"a{i}" for i in range(60)),
    "q=%00",
)


def test_bad_parameters_are_a_400_with_a_message(client, opendata_cases, opendata_no_ratelimit):
    opendata_no_ratelimit.OPENDATA_EXPORT_RATE = "1000/m"
    for query in BAD_QUERIES:
        for fmt in ("csv", "json", "jsonl"):
            response = client.get(f"/en/data/cases.{fmt}?{query}")
            if query == "q=%00":  # a control character is dropped, never an error
                assert response.status_code == 200
                continue
            assert response.status_code == 400, (fmt, query)
            assert response.json()["error"]


def test_unknown_values_are_a_400_like_the_search_page(client, opendata_cases, opendata_no_ratelimit):
    # An unknown slug names nothing: a 400 naming it, as on the search page (ignored before).
    response = client.get("/en/data/cases.csv?area=not-an-area")
    assert response.status_code == 400
    assert response.json()["parameter"] == "area" and "not-an-area" in response.json()["error"]


def test_exports_are_rate_limited_with_retry_after(client, opendata_cases, opendata_no_ratelimit):
    opendata_no_ratelimit.OPENDATA_EXPORT_RATE = "2/h"  # an hour's window: no boundary mid-test
    assert client.get("/en/data/cases.csv").status_code == 200
    assert client.get("/en/data/cases.json").status_code == 200
    response = client.get("/en/data/cases.jsonl")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 3600
    # Another client (IP address) has its own count.
    assert client.get("/en/data/cases.csv", REMOTE_ADDR="10.0.0.9").status_code == 200


def test_queries_do_not_grow_with_the_rows(client, opendata_cases, opendata_no_ratelimit):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        body(client.get("/en/data/cases.csv?year=2020&area=education"))
    with CaptureQueriesContext(connection) as more:
        body(client.get("/en/data/cases.csv?year=2020"))
    # One row, then three rows (and one filter fewer): no query per row.
    assert len(more) <= len(few)


def test_streamed_in_chunks(client, opendata_cases, opendata_no_ratelimit, monkeypatch):
    """Rows are read with .iterator(chunk_size): the queryset is never loaded whole."""
    from django.db.models.query import QuerySet

    calls = []
    original = QuerySet.iterator

    def spy(self, chunk_size=None):
        calls.append(chunk_size)
        return original(self, chunk_size=chunk_size)

    monkeypatch.setattr(QuerySet, "iterator", spy)
    body(client.get("/en/data/cases.csv"))
    assert calls and all(size for size in calls)


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_an_export_reimports_as_it_is_without_changes(client, opendata_cases, opendata_no_ratelimit, fmt):
    """The export-only columns (url, date, licence, citation) are accepted and ignored by the import."""
    data = body(client.get(f"/en/data/cases.{fmt}")).encode()
    first = data.decode().splitlines()[0]
    assert all(column in first for column in EXPORT_COLUMNS)
    plan = prepare(data, fmt, publish=True)
    assert plan.counts == {"create": 0, "update": 0, "publish": 0, "unchanged": 3}


@pytest.mark.parametrize("page", ["/en/search/", "/en/cases/"])
def test_search_and_index_pages_offer_their_selection_as_data(
    client, opendata_cases, opendata_no_ratelimit, page
):
    """The download links carry the page's filters, and following one gives exactly its cases."""
    import re
    from html import unescape

    html = client.get(page, {"area": "education", "page": "1"}).content.decode()
    links = {unescape(href) for href in re.findall(r'href="(/en/data/cases\.[a-z]+[^"]*)"', html)}
    assert {link.split("?")[0] for link in links} == {
        "/en/data/cases.csv",
        "/en/data/cases.json",
        "/en/data/cases.jsonl",
    }
    csv_link = next(link for link in links if link.startswith("/en/data/cases.csv"))
    assert "page=" not in csv_link
    assert [row["title"] for row in csv_rows(client.get(csv_link))] == ["Radio lessons for pupils"]
