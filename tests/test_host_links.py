"""Links the site builds from a request (language switcher, hreflang, og:url) stay on the site's host,
whatever host-like prefix the request line's path carries (issue 13, item 6)."""

from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest

from django.test import override_settings

ATTACKER = "evil.example"
# Paths a browser (or a request line) reads as another host: `//host/…`, `/\host/…` and more slashes.
HOSTILE_PATHS = [
    f"//{ATTACKER}/en/search/",
    f"//{ATTACKER}/ko/cases/?area=quarantine",
    f"///{ATTACKER}/en/",
    f"/\\{ATTACKER}/en/search/",
    f"/\\/{ATTACKER}/ko/search/",
]


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("href", "src", "action"):
            if attrs.get(name):
                self.urls.append(attrs[name])
        if tag == "meta" and (attrs.get("property") or "").startswith("og:") and attrs.get("content"):
            self.urls.append(attrs["content"])


def _hosts_linked(html: str, base: str) -> set[str]:
    parser = _Links()
    parser.feed(html)
    return {urlsplit(urljoin(base, _as_browsers_read(url))).hostname or "" for url in parser.urls}


def _as_browsers_read(url: str) -> str:
    """Browsers read a backslash as a slash and any run of two or more leading slashes as `//`."""
    url = url.replace("\\", "/")
    return "//" + url.lstrip("/") if url.startswith("//") else url


@pytest.mark.django_db
@pytest.mark.parametrize("path", HOSTILE_PATHS)
@override_settings(ALLOWED_HOSTS=["cac.example.org"])
def test_no_link_names_a_host_from_the_request_line(client, en_index, ko_index, path):
    path_info, _, query = path.partition("?")
    response = client.get("/", PATH_INFO=path_info, QUERY_STRING=query, HTTP_HOST="cac.example.org")
    assert response.status_code == 404
    html = response.content.decode()
    hosts = _hosts_linked(html, "https://cac.example.org/")
    assert ATTACKER not in hosts, sorted(hosts)
    # The switcher, the alternates and og:url are all still there, on the site's own host.
    assert 'hreflang="ko"' in html
    assert 'rel="alternate" hreflang="en" href="http://cac.example.org/' in html
    assert '<meta property="og:url" content="http://cac.example.org/' in html


@pytest.mark.django_db
def test_ordinary_pages_keep_their_language_links(client, en_index, ko_index):
    response = client.get("/en/search/?q=mask", HTTP_HOST="testserver")
    html = response.content.decode()
    assert 'href="/ko/search/?q=mask"' in html
    assert '<meta property="og:url" content="http://testserver/en/search/">' in html
