"""The read-only API: endpoints, filters, search, paging, 400s, rate limit, OpenAPI, and nothing that
is not public (drafts, private pages, unpublished revisions)."""

import pytest

pytestmark = pytest.mark.django_db


def get(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, (url, response.content[:300])
    return response.json()


def ids(data):
    return {item["id"] for item in data["items"]}


@pytest.fixture
def api(client, opendata_cases, opendata_no_ratelimit):
    return client


def test_index_lists_the_endpoints(api):
    data = get(api, "/api/v2/")
    assert set(data["endpoints"]) == {
        "pages",
        "cases",
        "sessions",
        "cities",
        "areas",
        "measures",
        "inspirations",
    }
    assert data["openapi"].endswith("/api/v2/openapi.json")


def test_cases_listing_and_detail(api, opendata_cases):
    data = get(api, "/api/v2/cases/")
    public = {opendata_cases[k].pk for k in ("seoul", "paris", "nairobi", "seoul_ko")}
    assert ids(data) == public
    assert data["meta"]["total_count"] == 4
    seoul = opendata_cases["seoul"]
    item = get(api, f"/api/v2/cases/{seoul.pk}/")
    assert item["title"] == "Drive-through screening stations"
    assert item["city"]["slug"] == "seoul" and item["city"]["country"] == "KR"
    assert item["policy_areas"] == [{"slug": "quarantine", "name": "Quarantine measures"}]
    assert item["measure_types"][0]["slug"] == "testing"
    assert item["start_date"] == "2020-03-01"
    assert item["meta"]["locale"] == "en"
    assert item["meta"]["permalink"].endswith(f"/en/case/{seoul.pk}/")
    assert item["meta"]["translation_key"] == str(seoul.translation_key)


def test_drafts_and_private_pages_are_never_reachable(api, opendata_cases):
    hidden = {opendata_cases["draft"].pk, opendata_cases["private"].pk}
    for endpoint in ("cases", "pages"):
        assert not ids(get(api, f"/api/v2/{endpoint}/?limit=100")) & hidden
        for pk in hidden:
            get(api, f"/api/v2/{endpoint}/{pk}/", status=404)
    assert not ids(get(api, "/api/v2/pages/?type=casestudies.CaseStudyPage&limit=100")) & hidden
    assert not ids(get(api, "/api/v2/cases/?search=secret")) & hidden
    assert not ids(get(api, "/api/v2/pages/?search=private")) & hidden
    find = api.get("/api/v2/pages/find/?html_path=/cases/secret-draft/")
    assert find.status_code == 404


def test_unpublished_changes_stay_out(api, opendata_cases):
    """The API serves the published version, never a newer draft revision."""
    seoul = opendata_cases["seoul"]
    seoul.title = "DRAFT TITLE NOT PUBLISHED"
    seoul.save_revision()
    assert get(api, f"/api/v2/cases/{seoul.pk}/")["title"] == "Drive-through screening stations"
    assert get(api, f"/api/v2/pages/{seoul.pk}/")["title"] == "Drive-through screening stations"
    assert "DRAFT TITLE" not in api.get("/api/v2/cases/?fields=*").content.decode()


CASE_FILTERS = (
    ("area=education", {"nairobi"}),
    ("area=education,quarantine&locale=en", {"nairobi", "seoul"}),
    ("continent=europe", {"paris"}),
    ("country=kr", {"seoul", "seoul_ko"}),
    ("measure=pop-up-bike-lanes", {"paris"}),
    ("city=nairobi", {"nairobi"}),
    ("locale=ko", {"seoul_ko"}),
    ("start_from=2020-04-01", {"paris", "nairobi"}),
    ("start_from=2020-04-01&start_to=2020-04-30", {"nairobi"}),
    ("search=radio", {"nairobi"}),
    ("search=드라이브스루&locale=ko", {"seoul_ko"}),
    ("area=quarantine&search=screening", {"seoul"}),
)


def test_case_filters(api, opendata_cases):
    for query, expected in CASE_FILTERS:
        assert ids(get(api, f"/api/v2/cases/?{query}")) == {opendata_cases[key].pk for key in expected}, query


def test_updated_since(api, opendata_cases):
    from urllib.parse import quote

    from django.utils import timezone

    since = timezone.now()
    nairobi = opendata_cases["nairobi"]
    nairobi.save_revision().publish()
    assert ids(get(api, "/api/v2/cases/?updated_since=" + quote(since.isoformat()))) == {nairobi.pk}
    assert len(ids(get(api, "/api/v2/cases/?updated_since=2000-01-01"))) == 4


def test_paging(api, opendata_cases):
    first = get(api, "/api/v2/cases/?limit=2&offset=0")
    second = get(api, "/api/v2/cases/?limit=2&offset=2")
    assert len(first["items"]) == 2 and len(second["items"]) == 2
    assert not ids(first) & ids(second)
    assert get(api, "/api/v2/cases/?limit=100")["meta"]["total_count"] == 4


BAD_URLS = (
    "/api/v2/cases/?bogus=1",
    "/api/v2/cases/?limit=1000",
    "/api/v2/cases/?limit=0",
    "/api/v2/cases/?limit=abc",
    "/api/v2/cases/?offset=-1",
    "/api/v2/cases/?offset=99999999999999999999999",
    "/api/v2/cases/?start_from=2020-02-30",
    "/api/v2/cases/?start_from=yesterday",
    "/api/v2/cases/?start_from=2020-05-01&start_to=2020-04-01",
    "/api/v2/cases/?updated_since=soon",
    "/api/v2/cases/?area=not-an-area",
    "/api/v2/cases/?continent=atlantis",
    "/api/v2/cases/?country=XX",
    "/api/v2/cases/?measure=nothing",
    "/api/v2/cases/?type=casestudies.CaseStudyPage",
    "/api/v2/cases/?fields=nonexistent",
    "/api/v2/cases/?order=nonexistent",
    "/api/v2/pages/?type=nothing.Nothing",
    "/api/v2/pages/?type=casestudies.CaseStudyPage&start_date=not-a-date",
    "/api/v2/pages/?limit=500",
    "/api/v2/sessions/?kind=party",
    "/api/v2/sessions/?start_from=2020-06-31",
    "/api/v2/cities/?has_cases=maybe",
    "/api/v2/areas/?locale=fr",
    "/api/v2/measures/?search=x",
)


def test_bad_input_is_a_400_with_a_message(api):
    for url in BAD_URLS:
        assert get(api, url, status=400)["message"], url


def test_odd_search_text_never_fails(api):
    from urllib.parse import quote

    for query in ('"', "AND OR NOT", "*", "(", "NEAR(a b)", "'; DROP TABLE x; --", "\x00"):
        for endpoint in ("pages", "cases", "sessions"):
            response = api.get(f"/api/v2/{endpoint}/?search={quote(query)}")
            assert response.status_code in (200, 400), (endpoint, query, response.status_code)


def test_taxonomy_endpoints(api, opendata_cases):
    cities = get(api, "/api/v2/cities/?has_cases=true&limit=100")
    assert {item["slug"] for item in cities["items"]} >= {"seoul", "paris", "nairobi"}
    europe = get(api, "/api/v2/cities/?continent=europe&has_cases=true")
    assert [item["slug"] for item in europe["items"]] == ["paris"]
    areas = get(api, "/api/v2/areas/?locale=ko")
    assert areas["meta"]["total_count"] == 10
    measures = get(api, "/api/v2/measures/?limit=100")
    assert "testing" in {item["slug"] for item in measures["items"]}


def test_sessions_endpoint(api, archive_summit):
    data = get(api, "/api/v2/sessions/?locale=en&limit=100")
    assert data["meta"]["total_count"] == 15
    quarantine = get(api, "/api/v2/sessions/?locale=en&area=quarantine&fields=*")
    assert quarantine["items"] and all(
        item["policy_area"]["slug"] == "quarantine" for item in quarantine["items"]
    )


def test_rate_limit_answers_429_with_retry_after(api, opendata_no_ratelimit):
    opendata_no_ratelimit.OPENDATA_API_RATE = "3/h"  # an hour's window: no boundary mid-test
    for _ in range(3):
        assert api.get("/api/v2/cases/").status_code == 200
    response = api.get("/api/v2/areas/")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 3600
    assert "Too many requests" in response.json()["message"]
    assert api.get("/api/v2/cases/", REMOTE_ADDR="10.1.2.3").status_code == 200


def test_openapi_description(api):
    spec = get(api, "/api/v2/openapi.json")
    assert spec["openapi"].startswith("3.0")
    assert "CC BY 4.0" in spec["info"]["license"]["name"]
    for name in ("pages", "cases", "sessions", "cities", "areas", "measures"):
        assert f"/api/v2/{name}/" in spec["paths"]
        assert f"/api/v2/{name}/{{id}}/" in spec["paths"]
        assert "429" in spec["paths"][f"/api/v2/{name}/"]["get"]["responses"]
    params = {p["name"] for p in spec["paths"]["/api/v2/cases/"]["get"]["parameters"]}
    assert {
        "area",
        "continent",
        "country",
        "measure",
        "locale",
        "start_from",
        "start_to",
        "search",
        "limit",
        "offset",
    } <= params
    case_schema = spec["components"]["schemas"]["CaseStudyPage"]["properties"]
    assert {"title", "summary", "city", "policy_areas", "start_date"} <= set(case_schema)
    # Every $ref resolves.
    import json

    text = json.dumps(spec)
    for ref in {part.split('"')[0] for part in text.split('"$ref": "#/components/schemas/')[1:]}:
        assert ref in spec["components"]["schemas"], ref
