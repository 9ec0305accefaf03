"""RSS and Atom feeds of new and updated case studies, per language and per selection; valid for feedparser."""

import feedparser
import pytest

pytestmark = pytest.mark.django_db


def parse(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.content[:200]
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    return response, feed


@pytest.mark.parametrize("fmt,version", [("rss", "rss20"), ("atom", "atom10")])
def test_feeds_parse_and_list_only_public_cases(client, opendata_cases, fmt, version):
    response, feed = parse(client, f"/en/feeds/cases.{fmt}")
    assert feed.version == version
    assert response["Content-Type"].startswith(f"application/{fmt}+xml")
    titles = {entry.title for entry in feed.entries}
    assert titles == {
        "Drive-through screening stations",
        "Coronapistes: pop-up bike lanes",
        "Radio lessons for pupils",
    }
    assert feed.feed.get("language", "en").startswith("en")
    assert "CC BY 4.0" in feed.feed.get("rights", "")
    seoul = opendata_cases["seoul"]
    entry = next(e for e in feed.entries if e.title == "Drive-through screening stations")
    assert entry.link.endswith(seoul.url)
    assert entry.id.endswith(f"/en/case/{seoul.pk}/")
    assert entry.get("updated_parsed") or entry.get("published_parsed")
    assert "Quarantine measures" in [tag.term for tag in entry.get("tags", [])]


def test_korean_feed(client, opendata_cases):
    _response, feed = parse(client, "/ko/feeds/cases.atom")
    assert [entry.title for entry in feed.entries] == ["드라이브스루 선별진료소"]
    assert feed.feed.get("language") == "ko"


def test_feed_per_area_and_per_country(client, opendata_cases):
    _r, by_area = parse(client, "/en/feeds/cases.rss?area=education")
    assert [e.title for e in by_area.entries] == ["Radio lessons for pupils"]
    assert "Education" in by_area.feed.title
    _r, by_country = parse(client, "/en/feeds/cases.atom?country=FR")
    assert [e.title for e in by_country.entries] == ["Coronapistes: pop-up bike lanes"]
    assert "France" in by_country.feed.title


def test_an_updated_case_comes_first(client, opendata_cases):
    nairobi = opendata_cases["nairobi"]
    nairobi.summary = "Lessons on the radio, now also on TV."
    nairobi.save_revision().publish()
    _r, feed = parse(client, "/en/feeds/cases.atom")
    assert feed.entries[0].title == "Radio lessons for pupils"


def test_an_empty_feed_is_valid(client, opendata_cases):
    _r, feed = parse(client, "/en/feeds/cases.rss?year=1999")
    assert feed.entries == []


@pytest.mark.parametrize("query", ["bogus=1", "sort=oldest", "page=-1", "city=atlantis"])
def test_bad_parameters_are_a_400(client, opendata_cases, query):
    response = client.get(f"/en/feeds/cases.atom?{query}")
    assert response.status_code == 400
    assert response.json()["error"]


def test_pages_link_their_feeds(client, opendata_cases):
    html = client.get("/en/").content.decode()
    assert 'type="application/rss+xml"' in html and 'href="/en/feeds/cases.rss"' in html
    assert 'type="application/atom+xml"' in html
    search = client.get("/en/search/?area=education").content.decode()
    assert 'href="/en/feeds/cases.atom?area=education"' in search
