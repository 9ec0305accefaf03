"""sitemap.xml with both languages' alternates; Open Graph and schema.org JSON-LD on case and session pages."""

import json
import re
import xml.etree.ElementTree as ET
from html import unescape

import pytest

pytestmark = pytest.mark.django_db

NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9", "xhtml": "http://www.w3.org/1999/xhtml"}


def sitemap(client) -> dict[str, dict[str, str]]:
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    root = ET.fromstring(response.content)  # noqa: S314 - our own test response
    out = {}
    for url in root.findall("sm:url", NS):
        loc = url.find("sm:loc", NS).text
        out[loc] = {link.get("hreflang"): link.get("href") for link in url.findall("xhtml:link", NS)}
    return out


def test_sitemap_lists_both_languages_with_alternates(client, opendata_cases):
    urls = sitemap(client)
    seoul, seoul_ko = opendata_cases["seoul"], opendata_cases["seoul_ko"]
    en = next(loc for loc in urls if loc.endswith(seoul.url))
    ko = next(loc for loc in urls if loc.endswith(seoul_ko.url))
    assert urls[en]["ko"] == ko and urls[en]["en"] == en and urls[en]["x-default"] == en
    assert urls[ko]["en"] == en
    # The open-data pages, in both languages.
    assert any(loc.endswith("/en/explore/") for loc in urls) and any(
        loc.endswith("/ko/explore/") for loc in urls
    )
    assert any(loc.endswith("/ko/cities/seoul/") for loc in urls)


def test_sitemap_leaves_out_drafts_and_private_pages(client, opendata_cases):
    text = client.get("/sitemap.xml").content.decode()
    assert "secret-draft" not in text and "private-case" not in text


def head(html: str) -> str:
    return html.split("</head>")[0]


def json_ld(html: str) -> list[dict]:
    return [
        json.loads(m) for m in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    ]


def meta(html: str, prop: str) -> list[str]:
    found = re.findall(rf'<meta property="{re.escape(prop)}" content="([^"]*)">', html)
    return [unescape(value) for value in found]


def test_case_page_has_open_graph_and_article_json_ld(client, opendata_cases):
    case = opendata_cases["seoul"]
    html = head(client.get(case.url).content.decode())
    assert meta(html, "og:type") == ["article"]
    assert meta(html, "og:title") == ["Drive-through screening stations"]
    assert meta(html, "og:url")[0].endswith(case.url)
    assert meta(html, "og:locale") == ["en_US"] and meta(html, "og:locale:alternate") == ["ko_KR"]
    assert meta(html, "article:section") == ["Quarantine measures"]
    [data] = json_ld(html)
    assert data["@context"] == "https://schema.org" and data["@type"] == "Article"
    assert data["headline"] == "Drive-through screening stations"
    assert data["inLanguage"] == "en"
    assert data["author"] == {"@type": "Organization", "name": "Seoul Metropolitan Government"}
    assert data["contentLocation"]["name"] == "Seoul"
    assert data["contentLocation"]["address"]["addressCountry"] == "KR"
    assert data["temporalCoverage"] == "2020-03-01/.."
    assert data["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert data["identifier"].endswith(f"/en/case/{case.pk}/")


def test_json_ld_cannot_break_out_of_its_script(client, opendata_cases):
    case = opendata_cases["paris"]
    case.summary = "</script><script>alert(1)</script>"
    case.save_revision().publish()
    html = head(client.get(case.url).content.decode())
    assert "<script>alert(1)" not in html
    assert json_ld(html)[0]["description"] == "</script><script>alert(1)</script>"


def test_korean_case_page_metadata(client, opendata_cases):
    html = head(client.get(opendata_cases["seoul_ko"].url).content.decode())
    assert meta(html, "og:locale") == ["ko_KR"]
    assert json_ld(html)[0]["inLanguage"] == "ko"


def test_session_page_has_event_json_ld(client, opendata_cases):
    # opendata_cases too, as every test of the module asks for it: the cases are then built once
    # for the module instead of once per test (the session is what is checked).
    from archive.factories import summit_with_session

    session = summit_with_session(title="Discussion on Quarantine Measures")["session"]["en"]
    html = head(client.get(session.url).content.decode())
    [data] = json_ld(html)
    assert data["@type"] == "Event"
    assert data["name"] == session.title
    assert data["startDate"].startswith("2020-06-") and data["endDate"].startswith("2020-06-")
    assert data["eventAttendanceMode"] == "https://schema.org/OnlineEventAttendanceMode"
    assert data["superEvent"]["@type"] == "Event"
    assert meta(html, "og:title") == [session.title]


def test_other_pages_have_open_graph_without_json_ld(client, opendata_cases):
    html = head(client.get("/en/").content.decode())
    assert meta(html, "og:type") == ["website"]
    assert json_ld(html) == []
