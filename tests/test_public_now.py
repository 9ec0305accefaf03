"""One rule for what a visitor sees now (issue 13, items 9, 10 and 11): live, not past its expiry
date, not under a view restriction (its own or an ancestor's). Every public view, feed, download,
API endpoint, the sitemap and the permalinks answer by it; cities and measure types that only
drafts (or expired cases) use do not exist for the public."""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path

import pytest

from django.utils import timezone

from wagtail.models import PageViewRestriction

from archive.models import SessionKind, SessionPage, SummitPage
from casestudies.factories import CaseStudyPageFactory, CityFactory, MeasureTypeFactory, home_page, index_page
from casestudies.models import CaseStudyPage
from casestudies.visibility import (
    is_public_now,
    public_cities,
    public_measures,
    public_now,
    public_now_in_one_query,
)
from search.filters import BadFilter

from .fixtures.database import own_or_fresh, shared_for_module

# No module-wide django_db mark: the code check needs no database, and every other test asks for
# `world`, which is then built once for the module.
ROOT = Path(__file__).resolve().parent.parent


def _build_world() -> dict:
    index_page("en")
    index_page("ko")
    visible_city = CityFactory(name="Openville", slug="openville")
    expired_city = CityFactory(name="Expirington", slug="expirington")
    draft_city = CityFactory(name="Draftburg", slug="draftburg")
    visible_measure = MeasureTypeFactory(name="Open measure", slug="openmeasure")
    expired_measure = MeasureTypeFactory(name="Lapsed measure", slug="lapsedmeasure")
    draft_measure = MeasureTypeFactory(name="Secret measure", slug="secretmeasure")
    visible = CaseStudyPageFactory(
        title="Visible case Qwopa", slug="visible-qwopa", city=visible_city, measures=[visible_measure]
    )
    expired = CaseStudyPageFactory(
        title="Expired case Zyxel", slug="expired-zyxel", city=expired_city, measures=[expired_measure]
    )
    # Published with an expiry date that has since passed (as the search index learns it too).
    expired.expire_at = timezone.now() - datetime.timedelta(hours=1)
    expired.save_revision().publish()
    expired.refresh_from_db()
    assert expired.live and not expired.expired
    draft = CaseStudyPageFactory(
        title="Draft case Vorpal", slug="draft-vorpal", city=draft_city, measures=[draft_measure]
    )
    draft.unpublish()
    summit = SummitPage(
        title="Summit",
        slug="summit",
        name="Summit",
        start_date=datetime.date(2020, 6, 1),
        end_date=datetime.date(2020, 6, 5),
        time_zone="Asia/Seoul",
    )
    home_page("en").add_child(instance=summit)
    summit.save_revision().publish()
    session = SessionPage(
        title="Session Plenary",
        slug="plenary",
        kind=SessionKind.CONVERSATION,
        start=datetime.datetime(2020, 6, 2, 1, 0, tzinfo=datetime.UTC),
        end=datetime.datetime(2020, 6, 2, 2, 0, tzinfo=datetime.UTC),
    )
    summit.add_child(instance=session)
    session.related_cases.set([visible, expired])
    session.save_revision().publish()
    return {"visible": visible, "expired": expired, "draft": draft, "session": session}


@pytest.fixture(scope="module")
def _world_module(request, django_db_setup, django_db_blocker):
    """The world built once for the module (in a transaction rolled back after it), unless a test
    of the module commits or uses the database without it: then None, and each test builds its own."""
    yield from shared_for_module(request, django_db_blocker, "world", _build_world)


@pytest.fixture
def world(_world_module, db):
    """A public case, an expired one (past `expire_at`, publish_scheduled not yet run) and a draft,
    each with a city and a measure type of its own; a session linked to the public and the expired
    case. Each test gets its own copies of the pages, read again."""
    return own_or_fresh(_world_module, _build_world)


def _urls(world) -> list[tuple[str, int]]:
    """Every public place that lists, counts, links or serves case studies, with its answer."""
    visible, expired, session = world["visible"], world["expired"], world["session"]
    return [
        ("/en/", 200),
        ("/en/cases/", 200),
        ("/en/cases/?area=quarantine", 200),
        (visible.url, 200),  # its related cases
        (session.url, 200),  # a session's related cases
        ("/en/cities/", 200),
        ("/en/cities/openville/", 200),
        ("/en/explore/", 200),
        ("/en/search/?q=case", 200),
        ("/en/data/cases.csv", 200),
        ("/en/data/cases.json", 200),
        ("/en/data/cases.jsonl", 200),
        ("/en/feeds/cases.rss", 200),
        ("/en/feeds/cases.atom", 200),
        ("/sitemap.xml", 200),
        ("/api/v2/cases/", 200),
        ("/api/v2/cases/?fields=*", 200),
        ("/api/v2/pages/", 200),
        ("/api/v2/pages/?type=casestudies.CaseStudyPage", 200),
        (f"/api/v2/sessions/{session.pk}/", 200),
        ("/api/v2/cities/", 200),
        ("/api/v2/cities/?has_cases=true", 200),
        ("/api/v2/measures/", 200),
        (f"/en/case/{visible.pk}/cite.bib", 200),
        # The expired case itself, wherever it is asked for.
        (expired.url, 404),
        (f"/en/case/{expired.pk}/", 404),
        (f"/en/case/{expired.pk}/cite.bib", 404),
        (f"/en/case/{expired.pk}/cite.ris", 404),
        (f"/api/v2/cases/{expired.pk}/", 404),
        (f"/api/v2/pages/{expired.pk}/", 404),
        # Cities and measure types that only an expired case or a draft uses: as unknown as a typo.
        ("/en/cities/expirington/", 404),
        ("/en/cities/draftburg/", 404),
        ("/en/cities/no-such-city/", 404),
        ("/en/cases/?city=draftburg", 400),
        ("/en/cases/?measure=secretmeasure", 400),
        ("/en/cases/?measure=lapsedmeasure", 400),
        ("/en/search/?measure=secretmeasure", 400),
        ("/en/search/?format=json&measure=lapsedmeasure", 400),
        ("/api/v2/cases/?city=draftburg", 400),
        ("/api/v2/cases/?measure=secretmeasure", 400),
        ("/api/v2/sessions/?city=expirington", 400),
        ("/en/data/cases.csv?city=draftburg", 400),
        ("/en/feeds/cases.rss?city=expirington", 400),
    ]


HIDDEN = ("Zyxel", "zyxel", "Vorpal", "vorpal", "Expirington", "expirington", "Draftburg", "draftburg")
HIDDEN += ("Lapsed measure", "lapsedmeasure", "Secret measure", "secretmeasure")


def test_nothing_expired_or_draft_shows_anywhere(client, world):
    leaks, statuses = {}, {}
    for url, status in _urls(world):
        response = client.get(url)
        statuses[url] = response.status_code
        if response.status_code != status:
            continue
        body = b"".join(response.streaming_content) if response.streaming else response.content
        text = body.decode()
        # What the request itself names may be echoed (a 400's message, a 404's links): not a leak.
        found = [word for word in HIDDEN if word in text and word.lower() not in url.lower()]
        if found:
            leaks[url] = found
    assert statuses == dict(_urls(world))
    assert leaks == {}


def test_the_listings_still_show_what_is_public(client, world):
    """The same places name the public case, its city and measure (the rule hides, it does not empty)."""
    visible = world["visible"]
    for url in ("/en/", "/en/cases/", world["session"].url, "/en/cities/", "/sitemap.xml"):
        text = client.get(url).content.decode()
        assert "Qwopa" in text or "qwopa" in text or "openville" in text, url
    cases = client.get("/api/v2/cases/").json()
    assert [item["id"] for item in cases["items"]] == [visible.pk]
    pages = client.get("/api/v2/pages/?type=casestudies.CaseStudyPage").json()
    assert [item["id"] for item in pages["items"]] == [visible.pk]
    session = client.get(f"/api/v2/sessions/{world['session'].pk}/").json()
    assert session["related_cases"] == [visible.pk]
    assert [c["slug"] for c in client.get("/api/v2/cities/").json()["items"]] == ["openville"]
    assert [c["slug"] for c in client.get("/api/v2/cities/?has_cases=true").json()["items"]] == ["openville"]
    assert [m["slug"] for m in client.get("/api/v2/measures/").json()["items"]] == ["openmeasure"]
    assert client.get(f"/en/case/{visible.pk}/").status_code == 302


def test_a_draft_only_city_is_as_unknown_as_a_city_that_does_not_exist(client, world):
    draft, missing = client.get("/en/cities/draftburg/"), client.get("/en/cities/no-such-city/")
    assert draft.status_code == missing.status_code == 404
    api_draft = client.get("/api/v2/cases/?city=draftburg")
    api_missing = client.get("/api/v2/cases/?city=nosuchcity")
    assert api_draft.status_code == api_missing.status_code == 400
    assert api_draft.json()["message"].replace("draftburg", "X") == api_missing.json()["message"].replace(
        "nosuchcity", "X"
    )


def test_a_city_of_a_public_session_keeps_its_profile(client, world):
    world["session"].cities.add(CityFactory(name="Talkton", slug="talkton"))
    world["session"].save_revision().publish()
    assert client.get("/en/cities/talkton/").status_code == 200
    assert "talkton" in [c["slug"] for c in client.get("/api/v2/cities/").json()["items"]]
    assert "talkton" not in [c["slug"] for c in client.get("/api/v2/cities/?has_cases=true").json()["items"]]
    assert "talkton" in [c["slug"] for c in client.get("/api/v2/cities/?has_cases=false").json()["items"]]


def test_a_case_without_city_does_not_empty_has_cases_false(client, world):
    cityless = CaseStudyPageFactory(title="Cityless")
    CaseStudyPage.objects.filter(pk=cityless.pk).update(city=None)  # the column allows it (imports)
    world["session"].cities.add(CityFactory(name="Talkton", slug="talkton"))
    world["session"].save_revision().publish()
    slugs = [c["slug"] for c in client.get("/api/v2/cities/?has_cases=false").json()["items"]]
    assert slugs == ["talkton"]


def test_a_restriction_on_the_case_index_empties_the_home_counts(client, world, en_index):
    """Item 10: the home page's per-area counts follow a view restriction on an ancestor."""
    before = {area.slug: area.case_count for area in client.get("/en/").context["areas"]}
    assert before["quarantine"] == 1  # the visible case; the expired one and the draft never count
    PageViewRestriction.objects.create(page=en_index, restriction_type="password", password="x")
    response = client.get("/en/")
    after = {area.slug: area.case_count for area in response.context["areas"]}
    assert after["quarantine"] == 0
    assert list(response.context["latest_cases"]) == []
    assert client.get("/api/v2/cases/").json()["meta"]["total_count"] == 0
    assert [c["slug"] for c in client.get("/api/v2/cities/").json()["items"]] == []


def test_the_rule_itself(world, en_index):
    visible, expired, draft = world["visible"], world["expired"], world["draft"]
    assert list(public_now(CaseStudyPage.objects)) == [visible]
    assert [is_public_now(page) for page in (visible, expired, draft)] == [True, False, False]
    assert list(public_cities().values_list("slug", flat=True)) == ["openville"]
    assert list(public_measures().values_list("slug", flat=True)) == ["openmeasure"]
    # An expiry date in the future hides nothing yet.
    CaseStudyPage.objects.filter(pk=visible.pk).update(expire_at=timezone.now() + datetime.timedelta(days=1))
    assert list(public_now(CaseStudyPage.objects)) == [visible]
    PageViewRestriction.objects.create(page=en_index, restriction_type="login")
    visible.refresh_from_db()
    assert not is_public_now(visible)
    assert list(public_now(CaseStudyPage.objects)) == []


# Where visitors' querysets are built; the editorial admin, loaders and benchmarks see drafts on purpose.
PUBLIC_CODE = ["home", "casestudies", "archive", "opendata", "community", "questions"]
ALLOWED = {"casestudies/visibility.py", "casestudies/exporter.py", "archive/loaders.py"}


def test_no_view_builds_its_own_idea_of_public():
    """`.live()…public()` outside the rule is how the expired pages came to show: it must not return."""
    offenders = []
    for app in PUBLIC_CODE:
        for path in (ROOT / app).rglob("*.py"):
            relative = path.relative_to(ROOT).as_posix()
            if "migrations" in path.parts or relative in ALLOWED:
                continue
            code = path.read_text(encoding="utf-8")
            if re.search(r"\.live\(\)\s*\.public\(\)|\.public\(\)\s*\.live\(\)|live=True", code):
                offenders.append(relative)
    assert offenders == []


def test_the_api_json_never_carries_an_expired_id(client, world):
    expired = world["expired"].pk
    for url in ("/api/v2/cases/?fields=*", "/api/v2/pages/?fields=*", "/api/v2/sessions/?fields=*"):
        payload = client.get(url).json()
        ids = [item["id"] for item in payload["items"]]
        assert expired not in ids, url
        assert json.dumps(payload).count(f'"related_cases": [{expired}') == 0


def _parse(query: str) -> dict[str, tuple]:
    from django.http import QueryDict

    from search import filters

    return filters.registered().parse(QueryDict(query))


def test_draft_only_and_restricted_measure_types_are_unknown(world, en_index, ko_index):
    """The measure check is one statement (`public_now_in_one_query`): the same rule as
    `public_now`, whose view restrictions are read beforehand. (`world` too, as every database
    test of the module asks for it: it is then built once for the module, and its expired and
    draft cases are more for the two to agree on.)"""
    public, expired, draft, own, under = (
        MeasureTypeFactory(slug=slug) for slug in ("pub", "exp", "dra", "own", "und")
    )
    CaseStudyPageFactory(slug="public-case", measures=[public])
    lapsed = CaseStudyPageFactory(slug="lapsed-case", measures=[expired])
    lapsed.expire_at = timezone.now() - datetime.timedelta(hours=1)
    lapsed.save_revision().publish()
    CaseStudyPageFactory(slug="draft-case", measures=[draft]).unpublish()
    restricted = CaseStudyPageFactory(slug="restricted-case", measures=[own])
    PageViewRestriction.objects.create(page=restricted, restriction_type="password", password="x")
    CaseStudyPageFactory(slug="under-case", measures=[under], parent=ko_index)
    PageViewRestriction.objects.create(page=ko_index, restriction_type="password", password="x")

    assert set(public_now_in_one_query(CaseStudyPage.objects)) == set(public_now(CaseStudyPage.objects))
    assert _parse("measure=pub")["measure"] == ("pub",)
    for slug in ("exp", "dra", "own", "und"):
        with pytest.raises(BadFilter):
            _parse(f"measure={slug}")
