"""Issue 13: hostile input never answers 500 (on SQLite and on PostgreSQL, which refuses NUL in
text). Table-driven over the endpoints the attack found; tests/test_input_fuzz.py sends
hypothesis-generated values to every URL pattern."""

from __future__ import annotations

import json

import pytest

from django.http import QueryDict

from cac_platform.middleware import clean_query_dict
from ops.text import one_line, strip_controls

# --- the one cleaning step --------------------------------------------------------------------


def test_strip_controls_keeps_text_and_drops_controls():
    assert strip_controls("a\x00b\x0cc\x1b[31md\x7fe\x85f\ufffeg") == "abc[31mdefg"
    assert strip_controls("line one\r\nline two\rthree\tfour") == "line one\nline two\nthree\tfour"
    assert one_line("Bob\r\nBcc: x@evil.example") == "Bob Bcc: x@evil.example"
    # Letters of every script, and joiners that some scripts need, are text, not controls.
    text = "서울 مسقط Москва 北京 Hà Nội मुंबई\u200d"
    assert strip_controls(text) == text == one_line(text)


def test_clean_query_dict_drops_controls_from_names_and_values():
    query = QueryDict("city=se%00oul&area=a%0Ab&q=x&%00page=2&city=%00")
    cleaned = clean_query_dict(query)
    assert cleaned.getlist("city") == ["seoul", ""]
    assert cleaned["area"] == "a b"
    assert cleaned["q"] == "x"
    assert cleaned["page"] == "2"
    assert not cleaned._mutable  # like request.GET
    clean = QueryDict("city=seoul&q=a+b")
    assert clean_query_dict(clean) is clean


# --- every endpoint the attack found ----------------------------------------------------------
NUL_URLS = [
    "/en/cases/?city=%00",
    "/en/cases/?measure=%00",
    "/en/cases/?area=%00",
    "/en/cases/?continent=%00&page=%00",
    "/en/data/cases.json?city=a%00",
    "/en/data/cases.csv?city=%00&area=%00&measure=%00",
    "/en/feeds/cases.rss?city=%00",
    "/en/feeds/cases.atom?city=%00&q=%00",
    "/en/explore/?city=%00&measure=%00&area=%00",
    "/en/search/?q=%00&area=%00&city=%00",
    "/en/search/suggest/?q=%00",
    "/api/v2/cases/?city=%00",
    "/api/v2/cases/?area=%00",
    "/api/v2/cases/?measure=%00",
    "/api/v2/cases/?locale=%00",
    "/api/v2/cases/?search=%00&order=%00",
    "/api/v2/sessions/?city=%00",
    "/api/v2/pages/?locale=%00",
    "/api/v2/pages/?type=%00",
    "/api/v2/pages/?slug=%00",
    "/api/v2/pages/find/?html_path=%00",
    "/api/v2/cities/?search=%00&country=%00",
    "/api/v2/areas/?locale=%00",
    "/api/v2/cases/?site=%00",
    "/api/v2/pages/?site=nowhere.example:port",
    "/api/v2/measures/?order=%00",
    "/en/cities/?%00=%00",
    "/ko/cases/?city=%01%02%1b",
]


@pytest.mark.parametrize("url", NUL_URLS)
def test_nul_and_control_characters_are_never_a_500(client, opendata_cases, opendata_no_ratelimit, url):
    response = client.get(url)
    assert response.status_code in (200, 302, 400, 404), (url, response.status_code)
    if response.status_code == 400:
        content = response.content.decode()
        body = json.loads(content) if response["Content-Type"].startswith("application/json") else None
        assert body is None or body.get("error") or body.get("message"), content[:200]


@pytest.mark.parametrize(
    "path",
    ["/en/cases/", "/en/data/cases.csv", "/en/feeds/cases.rss", "/en/explore/", "/api/v2/cases/"],
)
def test_a_control_character_is_dropped_not_guessed(client, opendata_cases, opendata_no_ratelimit, path):
    """`city=se%00oul` is `city=seoul`: the character is dropped, the rest is validated as usual."""
    clean = client.get(f"{path}?city=seoul")
    dirty = client.get(f"{path}?city=se%00o%1Bul")
    assert clean.status_code == dirty.status_code == 200
    if path == "/api/v2/cases/":
        assert dirty.json()["meta"]["total_count"] == clean.json()["meta"]["total_count"] == 2  # en, ko
    elif path == "/en/data/cases.csv":
        assert b"".join(dirty.streaming_content) == b"".join(clean.streaming_content)


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/en/data/cases.json?city=atlantis%00", 400),
        ("/en/feeds/cases.rss?city=atlantis%00", 400),
        ("/en/explore/?city=atlantis%00", 400),
        ("/api/v2/cases/?city=atlantis%00", 400),
        ("/api/v2/sessions/?city=atlantis%00", 400),
        ("/api/v2/areas/?locale=xx%00", 400),
        ("/en/cases/?city=atlantis%00", 400),
    ],
)
def test_what_names_nothing_after_cleaning_is_refused_with_a_message(
    client, opendata_cases, opendata_no_ratelimit, url, status
):
    response = client.get(url)
    assert response.status_code == status
    text = response.content.decode()
    assert "\x00" not in text and "\\u0000" not in text
    if response["Content-Type"].startswith("application/json"):
        body = response.json()
        assert "atlantis" in (body.get("error") or body.get("message")) or "locale" in body["message"]
    else:
        assert "Unknown city" in text or "atlantis" in text


# --- integer path parameters (item 7) -----------------------------------------------------------
def _filled(route, number: str) -> str:
    values = {}
    for kind, name in route.parameters:
        if kind == "int":
            values[name] = number
        elif kind.startswith("choice:"):
            values[name] = kind.split(":", 1)[1].split("|")[0]
        else:
            values[name] = "x/" if kind == "path" else "x"
    return route.url(values)


def _integer_routes(public_only: bool):
    from tests.url_patterns import all_routes, public_routes

    routes = public_routes() if public_only else all_routes()
    return [route for route in routes if any(kind == "int" for kind, _name in route.parameters)]


@pytest.mark.parametrize("number", [str(2**63), "99999999999999999999999", "9" * 5000])
def test_huge_integers_in_any_path_are_a_404(client, django_user_model, opendata_cases, number):
    """Every URL pattern with an integer (ours, Wagtail's, the admin's), anonymous and as a
    superuser: SQLite raised OverflowError past 2**63 - 1."""
    routes = _integer_routes(public_only=False)
    assert len(routes) > 100
    admin = django_user_model.objects.create_superuser("root", "root@example.org", "pw")
    for logged_in in (False, True):
        if logged_in:
            client.force_login(admin)
        for route in routes:
            response = client.get(_filled(route, number))
            assert response.status_code in (301, 302, 404), (route.template, response.status_code)
    client.logout()
    for route in _integer_routes(public_only=True):
        url = _filled(route, number)
        response = client.get(url, follow=True)
        assert response.status_code == 404, url
        if url.startswith("/api/") and len(number) < 4300:
            # (Past 4,300 digits Django's int converter itself refuses the path: a plain 404.)
            assert response.json()["message"] == "Nothing on this site has this number."


def test_the_largest_database_integer_is_an_ordinary_404(client, opendata_cases):
    for route in _integer_routes(public_only=True):
        url = _filled(route, str(2**63 - 1))
        assert client.get(url, follow=True).status_code == 404, url


@pytest.mark.parametrize("url", ["/en/case/{pk}/", "/en/case/{pk}/cite.bib", "/api/v2/cases/{pk}/"])
def test_real_numbers_still_work(client, opendata_cases, opendata_no_ratelimit, url):
    assert client.get(url.format(pk=opendata_cases["seoul"].pk)).status_code in (200, 302)


@pytest.mark.parametrize("site", ["nowhere.example", "localhost:http", "a%00b"])
def test_an_api_site_that_names_no_site_is_a_400(client, opendata_cases, opendata_no_ratelimit, site):
    """Found by tests/test_input_fuzz.py: Wagtail let Site.DoesNotExist through as a 500."""
    for endpoint in ("cases", "sessions", "pages"):
        response = client.get(f"/api/v2/{endpoint}/?site={site}")
        assert response.status_code == 400, endpoint
        assert "site must be the host name" in response.json()["message"]
