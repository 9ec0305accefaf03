"""The question form's CSRF exemption covers a case page's question form and nothing else
(issue 13, item 5): a cookie-less POST carrying `community_form=question` to any other URL, the
admin login, password reset and a private page's password form included, still needs a token."""

from __future__ import annotations

import re
import uuid

import pytest

from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.utils import translation

from wagtail.models import Page, PageViewRestriction
from wagtail.views import serve as wagtail_serve

from archive.factories import summit_with_session
from casestudies.models import CaseStudyPage
from questions.models import CaseQuestion

# No module-wide django_db mark: the URL walk and the origin rules need no database, and the
# other tests get it through community_case, which is then built once for the module.

QUESTION = {
    "community_form": "question",
    "name": "Ana Lee",
    "organisation": "City of Aville",
    "city": "Aville",
    "email": "ana@example.org",
    "message": "How did you staff the drive-through stations at weekends?",
    "website": "",
    # What a login, password-reset or page-password form would need besides the token.
    "username": "admin",
    "password": "guess",
    "email_address": "admin@example.org",
    "return_url": "/en/",
}

_SAMPLE = {"int": "1", "uuid": str(uuid.UUID(int=1))}


def _sample_route(route: str) -> str:
    """A URL that the pattern (route or regex syntax) matches, with `1` for every parameter."""
    url = re.sub(r"\(\?P<\w+>([\w-]+)(?:\|[^)]*)?\)", r"\1", route)  # a group of alternatives: the first
    url = re.sub(r"\(\?P<\w+>[^)]*\)|\([^)]*\)|\[[^]]*\][+*]?", "1", url)
    url = re.sub(r"<(?:(\w+):)?\w+>", lambda m: _SAMPLE.get(m.group(1) or "str", "1"), url)
    return "/" + url.replace("^", "").replace("$", "").replace("\\", "")


def _routes(patterns, prefix: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern) and pattern.callback is not wagtail_serve:
            yield prefix + str(pattern.pattern)


def every_url_pattern() -> list[str]:
    """A sample URL of every URL pattern of the site in both languages (Wagtail's page view aside:
    its URLs are the pages, tested one by one below)."""
    urls = set()
    for route in _routes(get_resolver().url_patterns):
        urls.add(_sample_route(route))
        if route.startswith("en/"):
            urls.add(_sample_route("ko/" + route[3:]))
    return sorted(urls)


def _view(url: str):
    path = url.split("?")[0]
    with translation.override("ko" if path.startswith("/ko/") else "en"):
        return resolve(path).func


def _needs_token(url: str) -> bool:
    # Django REST framework's API views are csrf_exempt themselves (they take no cookies).
    return not getattr(_view(url), "csrf_exempt", False)


def test_the_url_walk_covers_the_site():
    urls = every_url_pattern()
    for url in urls:
        _view(url)  # every sample URL reaches its view (Resolver404 otherwise)
    urls = [url for url in urls if _needs_token(url)]
    # The admin (hundreds of views), the admin login and password reset, the page password form.
    assert len(urls) > 300
    for expected in ("/admin/login/", "/admin/password_reset/", "/django-admin/login/", "/en/search/"):
        assert expected in urls
    assert any(url.startswith("/en/_util/authenticate_with_password/") for url in urls)


def test_a_question_marker_exempts_no_other_view(community_case):
    """Every URL pattern whose view takes a CSRF token refuses the cookie-less marked POST with 403."""
    client = Client(enforce_csrf_checks=True)
    accepted = {}
    for url in every_url_pattern():
        if not _needs_token(url):
            continue
        response = client.post(
            url, QUESTION, HTTP_ORIGIN="http://testserver", HTTP_SEC_FETCH_SITE="same-origin"
        )
        if response.status_code != 403:
            accepted[url] = response.status_code
    assert accepted == {}
    assert CaseQuestion.objects.count() == 0


def test_no_page_but_a_case_page_is_exempt(community_case):
    """Wagtail pages of every type (home, indexes, summit, sessions…): only case pages take the form."""
    summit_with_session()  # a summit and a session, in both languages
    client = Client(enforce_csrf_checks=True)
    pages = Page.objects.live().exclude(depth=1).specific()
    statuses = {}
    for page in pages:
        response = client.post(page.url, QUESTION, HTTP_ORIGIN="http://testserver")
        statuses[type(page).__name__, page.url] = response.status_code
    others = {key: status for key, status in statuses.items() if key[0] != "CaseStudyPage"}
    assert len({kind for kind, _url in others}) >= 4
    assert set(others.values()) == {403}, others
    cases = {key: status for key, status in statuses.items() if key[0] == "CaseStudyPage"}
    assert set(cases.values()) == {303}
    assert CaseQuestion.objects.count() == len(cases)


@pytest.mark.parametrize(
    "url",
    ["/admin/login/", "/admin/password_reset/", "/django-admin/login/", "/en/_util/login/"],
)
def test_the_attacks_of_the_report_are_refused(client, community_case, url):
    attacker = Client(enforce_csrf_checks=True)
    assert attacker.post(url, QUESTION).status_code == 403


def test_a_private_case_page_password_form_needs_its_token(community_case):
    case = community_case["en"]
    restriction = PageViewRestriction.objects.create(page=case, restriction_type="password", password="x")
    url = f"/en/_util/authenticate_with_password/{restriction.pk}/{case.pk}/"
    assert Client(enforce_csrf_checks=True).post(url, {**QUESTION, "password": "x"}).status_code == 403


def test_a_case_page_question_is_still_accepted_without_a_token(community_case):
    client = Client(enforce_csrf_checks=True)
    for case in community_case.values():
        assert isinstance(case, CaseStudyPage)
        assert client.post(case.url, QUESTION).status_code == 303
        assert client.post(case.url, QUESTION, HTTP_ORIGIN="https://attacker.example").status_code == 403
        assert client.post(case.url, QUESTION, HTTP_ORIGIN="null").status_code == 403
    assert CaseQuestion.objects.count() == 2


@pytest.mark.parametrize(
    ("origin", "trusted", "same"),
    [
        ("http://testserver", [], True),
        ("https://testserver", [], False),  # the scheme counts
        ("http://testserver.evil.example", [], False),
        ("https://cac.example.org", ["https://cac.example.org"], True),
        ("https://www.cac.example.org", ["https://*.cac.example.org"], True),
        ("https://cac.example.org", ["https://*.cac.example.org"], True),
        ("https://evilcac.example.org", ["https://*.cac.example.org"], False),
        ("http://www.cac.example.org", ["https://*.cac.example.org"], False),
        ("null", ["https://cac.example.org"], False),
        ("http://[::1", [], False),  # malformed
    ],
)
def test_the_origin_check_follows_djangos_rules(rf, settings, origin, trusted, same):
    from questions.csrf import is_same_origin

    settings.CSRF_TRUSTED_ORIGINS = trusted
    assert is_same_origin(rf.post("/en/"), origin) is same
