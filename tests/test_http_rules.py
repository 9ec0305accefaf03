"""Smaller rules of issue 13, item 16: HEAD is answered wherever GET is; one framing rule (CSP
`frame-ancestors` and `X-Frame-Options` agree); a sign-in without a safe `next` goes home; DEBUG
cannot be turned on in production; a city editor's admin listings (explorer, case listing, admin
API) show other cities' cases by their published titles and leave out their never-published drafts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from django.conf import settings as django_settings
from django.test import Client
from django.utils import translation

from wagtail.models import PageViewRestriction

from casestudies.factories import CaseStudyPageFactory
from casestudies.models import CaseStudyPage
from tests.test_csrf_scope import every_url_pattern

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent


# --- HEAD ------------------------------------------------------------------------------------
def _public_urls(opendata_cases) -> list[str]:
    """A sample URL of every public URL pattern (both languages), plus real ones with content."""
    case = CaseStudyPage.objects.filter(live=True).first()
    samples = [url for url in every_url_pattern() if not url.startswith(("/admin/", "/django-admin/"))]
    real = [
        "/en/",
        "/ko/",
        "/en/cases/",
        case.url,
        f"/en/case/{case.pk}/",
        f"/en/case/{case.pk}/cite.bib",
        f"/en/case/{case.pk}/cite.ris",
        f"/en/cities/{case.city.slug}/",
        "/en/search/?q=masks",
        "/en/search/suggest/?q=mas",
        "/api/v2/cases/",
        f"/api/v2/cases/{case.pk}/",
    ]
    downloads = [f"/{lang}/data/cases.{fmt}" for lang in ("en", "ko") for fmt in ("csv", "json", "jsonl")]
    feeds = [f"/{lang}/feeds/cases.{fmt}" for lang in ("en", "ko") for fmt in ("rss", "atom")]
    return samples + real + downloads + feeds


def test_head_is_answered_wherever_get_is(client, opendata_cases, opendata_no_ratelimit, settings):
    settings.OPENDATA_EXPORT_RATE = settings.OPENDATA_API_RATE = "100000/m"
    differences = {}
    urls = _public_urls(opendata_cases)
    assert "/en/data/cases.csv" in urls and "/ko/feeds/cases.rss" in urls
    for url in urls:
        with translation.override("en"):
            get = client.get(url).status_code
            head = client.head(url)
        if head.status_code != get or head.status_code == 405:
            differences[url] = (get, head.status_code)
        assert not head.content, url
    assert differences == {}


def test_head_on_a_download_does_not_make_it(client, opendata_cases, opendata_no_ratelimit, monkeypatch):
    from opendata import exports

    def never(*args, **kwargs):
        raise AssertionError("a HEAD request made the file")

    monkeypatch.setattr(exports, "iter_rows", never)
    for fmt in ("csv", "json", "jsonl"):
        response = client.head(f"/en/data/cases.{fmt}")
        assert response.status_code == 200
        assert response["Content-Type"] == exports.FORMATS[fmt]
        assert response["Content-Disposition"].startswith("attachment;")


# --- framing ---------------------------------------------------------------------------------
FRAMING = {"DENY": "'none'", "SAMEORIGIN": "'self'"}


def test_one_framing_rule_in_the_settings():
    ancestors = django_settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["frame-ancestors"]
    assert ancestors == [FRAMING[django_settings.X_FRAME_OPTIONS]]


def test_production_settings_frame_nothing():
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.X_FRAME_OPTIONS, *settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['frame-ancestors'], "
        "settings.DEBUG)"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cac_platform.settings.production",
        "SECRET_KEY": "x" * 50,
        "DEBUG": "1",  # what the README warns about: production does not take it
    }
    result = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.split() == ["DENY", "'none'", "False"], result.stderr


@pytest.mark.parametrize(
    "url", ["/en/", "/en/cases/", "/en/search/?q=x", "/en/explore/", "/en/cities/", "/ko/"]
)
def test_public_pages_send_the_same_framing_rule_twice(client, en_index, ko_index, url):
    response = client.get(url)
    directives = dict(
        (part.strip().split(" ", 1) + [""])[:2] for part in response["Content-Security-Policy"].split(";")
    )
    assert response["X-Frame-Options"] == "DENY"
    assert directives["frame-ancestors"] == FRAMING[response["X-Frame-Options"]]


# --- sign-in redirects -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "next_url", [None, "", "https://evil.example/", "//evil.example/", "/\\evil.example"]
)
def test_a_sign_in_without_a_safe_next_goes_home(django_user_model, next_url):
    django_user_model.objects.create_user("reader", "reader@example.org", "pw-long-enough")
    client = Client()
    data = {"username": "reader", "password": "pw-long-enough"}
    if next_url is not None:
        data["next"] = next_url
    response = client.post("/en/_util/login/", data)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/", HTTP_ACCEPT_LANGUAGE="ko").status_code == 302  # then the home page


def test_a_safe_next_is_still_followed(django_user_model, en_index):
    django_user_model.objects.create_user("reader", "reader@example.org", "pw-long-enough")
    response = Client().post(
        "/en/_util/login/", {"username": "reader", "password": "pw-long-enough", "next": "/en/cases/"}
    )
    assert response["Location"] == "/en/cases/"


def test_a_page_password_with_a_bad_return_address_goes_home(client, en_index):
    restriction = PageViewRestriction.objects.create(page=en_index, restriction_type="password", password="x")
    response = client.post(
        f"/en/_util/authenticate_with_password/{restriction.pk}/{en_index.pk}/",
        {"password": "x", "return_url": "https://evil.example/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/"


# --- a city editor's admin listings ------------------------------------------------------------
@pytest.fixture
def cases(en_index, city_a, city_b):
    """Alice's city has a case with a draft change; the other city has a live case with a draft
    change ("Secret draft") and a case that was never published ("Never published")."""
    own = CaseStudyPageFactory(title="Aville masks", slug="aville-masks", city=city_a)
    own.title = "Aville masks, draft"
    own.save_revision()
    other = CaseStudyPageFactory(title="Beetown tests", slug="beetown-tests", city=city_b)
    other.title = "Secret draft"
    other.save_revision()
    never = CaseStudyPageFactory(title="Never published", slug="never-published", city=city_b)
    never.unpublish()
    CaseStudyPage.objects.filter(pk=never.pk).update(first_published_at=None, last_published_at=None)
    return {"own": own, "other": other, "never": never, "index": en_index}


def _listings(cases) -> list[str]:
    index = cases["index"].pk
    return [
        f"/admin/pages/{index}/",
        f"/admin/pages/{index}/?ordering=title",
        "/admin/pages/search/?q=published",
        "/admin/pages/search/?q=tests",
        "/admin/case_studies/",
        "/admin/case_studies/results/",
        f"/admin/api/main/pages/?child_of={index}",
        f"/admin/api/main/pages/?child_of={index}&for_explorer=1",
        "/admin/api/main/pages/",
        "/admin/api/main/pages/?search=tests",
        f"/admin/api/main/pages/{cases['other'].pk}/",
    ]


def test_a_city_editor_never_reads_another_citys_drafts(client, make_user, city_a, cases):
    client.force_login(make_user("alice", "City editors", city=city_a))
    leaks = {}
    for url in _listings(cases):
        response = client.get(url)
        assert response.status_code == 200, url
        text = response.content.decode()
        found = [title for title in ("Secret draft", "Never published") if title in text]
        if found:
            leaks[url] = found
    assert leaks == {}
    # What she may see: the other city's case by its published title, her own drafts as drafts.
    listing = client.get(f"/admin/pages/{cases['index'].pk}/").content.decode()
    assert "Beetown tests" in listing and "Aville masks, draft" in listing
    api = client.get(f"/admin/api/main/pages/?child_of={cases['index'].pk}").json()
    titles = {item["id"]: item["admin_display_title"] for item in api["items"]}
    assert titles == {cases["own"].pk: "Aville masks, draft", cases["other"].pk: "Beetown tests"}
    detail = client.get(f"/admin/api/main/pages/{cases['never'].pk}/")  # a 404 (LocaleMiddleware adds /en/)
    assert detail.status_code in (302, 404) and b"Never published" not in detail.content
    assert (
        client.get(f"/admin/api/main/pages/{cases['other'].pk}/").json()["admin_display_title"]
        == "Beetown tests"
    )
    # Where a listing has no hook to leave it out (the admin's page search), it has no title.
    from editorial.scope import _admin_user

    token = _admin_user.set(make_user("alice2", "City editors", city=city_a))
    try:
        never = CaseStudyPage.objects.get(pk=cases["never"].pk)
        assert never.get_admin_display_title() == "(a draft of another city)"
        assert CaseStudyPage.objects.get(pk=cases["other"].pk).get_admin_display_title() == "Beetown tests"
        assert (
            CaseStudyPage.objects.get(pk=cases["own"].pk).get_admin_display_title() == "Aville masks, draft"
        )
    finally:
        _admin_user.reset(token)


def test_other_editors_still_see_every_draft(client, make_user, cases):
    client.force_login(make_user("eddie", "Editors"))
    listing = client.get(f"/admin/pages/{cases['index'].pk}/").content.decode()
    assert "Secret draft" in listing and "Never published" in listing
    api = client.get(f"/admin/api/main/pages/?child_of={cases['index'].pk}").json()
    assert {item["admin_display_title"] for item in api["items"]} == {
        "Aville masks, draft",
        "Secret draft",
        "Never published",
    }


# --- 404s that LocaleMiddleware redirects -------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "redirected"),
    [
        ("/nowhere/", True),
        ("/nowhere", True),
        ("/cases/?city=seoul", True),
        ("/admin/pages/9223372036854775808/", True),
        ("/admin/pages/9223372036854775808/edit/", True),
        ("/documents/9223372036854775808/x.pdf", False),  # /en/documents/… is no path either
        ("/en/nowhere/", False),
    ],
)
def test_a_404_that_becomes_a_language_redirect_is_the_same_redirect(
    client, make_user, en_index, ko_index, monkeypatch, path, redirected
):
    """cac_platform.errors: a 404 of a path without a language prefix that LocaleMiddleware turns
    into a redirect is the same response (status, Location, Vary, language, body) as when the site's
    404 page was made for it first, anonymous and signed in; a 404 that reaches the visitor is still
    the site's 404 page."""
    from cac_platform import errors

    admin = make_user("root", superuser=True)

    def responses():
        answers, rendered = [], set()
        for user in (None, admin):
            if user is not None:
                client.force_login(user)
            response = client.get(path, HTTP_ACCEPT_LANGUAGE="ko")
            answers.append(
                (
                    response.status_code,
                    response.get("Location"),
                    response.get("Vary"),
                    response.get("Content-Language"),
                    response.content,
                )
            )
            rendered.update(template.name for template in response.templates)
            client.logout()
        return answers, "404.html" in rendered

    answers, rendered = responses()
    if redirected:
        assert all(status in (301, 302) for status, *_ in answers), answers
        assert not rendered  # the 404 page is not made for nothing
    else:
        assert all(status == 404 for status, *_ in answers), answers
        assert rendered
    monkeypatch.setattr(errors, "replaced_by_locale_redirect", lambda request: False)
    assert responses() == (answers, True)  # Django's 404 page made (and replaced): the same answers
