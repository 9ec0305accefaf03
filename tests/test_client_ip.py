"""Who a client is, for every limit that counts per address (issue 13, item 4): the rate limits of
search, suggest, the API and the downloads, the question form's per-address limit and the admin
lockout (django-axes). Without configuration `X-Forwarded-For` is ignored (anyone can send it);
behind trusted proxies (`CAC_TRUSTED_PROXIES` or `CAC_TRUSTED_PROXY_COUNT`) each visitor is counted
on his own, and what a visitor writes into the header himself is still ignored."""

from __future__ import annotations

import itertools

import pytest

from django.core.cache import cache
from django.test import Client

from ops.http import client_ip

# No module-wide django_db mark: the tests of client_ip() itself and of the settings need no
# database, and the others get it through `limited` (community_case), which is then built once
# for the module.

PROXY = "10.0.0.5"  # the TLS proxy every visitor comes through
VISITOR_A, VISITOR_B = "198.51.100.1", "198.51.100.2"
DIRECT = "203.0.113.9"  # a client that reaches the app without the proxy
_emails = itertools.count()


def _search(client, settings, **meta):
    return client.get("/en/search/?q=mask", **meta).status_code


def _suggest(client, settings, **meta):
    return client.get("/en/search/suggest/?q=mas", **meta).status_code


def _api(client, settings, **meta):
    return client.get("/api/v2/cases/", **meta).status_code


def _export(client, settings, **meta):
    return client.get("/en/data/cases.csv", **meta).status_code


def _question(client, settings, case=None, **meta):
    data = {
        "community_form": "question",
        "name": "Ana Lee",
        "organisation": "City of Aville",
        "city": "Aville",
        "email": f"asker{next(_emails)}@example.org",  # the per-address limit, not the per-e-mail one
        "message": "How did you staff the drive-through stations at weekends?",
        "website": "",
    }
    return client.post(case.url, data, **meta).status_code


def _login(client, settings, **meta):
    return client.post("/admin/login/", {"username": "admin", "password": "wrong"}, **meta).status_code


# name, the setting that sets its limit, the request, its answer under the limit
LIMITERS = [
    ("search", "OPENDATA_SEARCH_RATE", _search, 200),
    ("suggest", "OPENDATA_SUGGEST_RATE", _suggest, 200),
    ("api", "OPENDATA_API_RATE", _api, 200),
    ("export", "OPENDATA_EXPORT_RATE", _export, 200),
    ("question", "COMMUNITY_QUESTION_RATE_IP", _question, 303),
    ("admin lockout", "AXES_FAILURE_LIMIT", _login, 200),
]
LIMIT = 2


@pytest.fixture
def limited(settings, community_case, django_user_model):
    """`limited(name)`: a function sending one request to that limiter, whose limit is 2."""
    cache.clear()
    settings.COMMUNITY_QUESTION_RATE_EMAIL = "1000/h"
    settings.AXES_ENABLED = True
    django_user_model.objects.create_superuser("admin", "admin@example.org", "right-password")
    client = Client()

    def make(name):
        _name, setting, request, ok = next(row for row in LIMITERS if row[0] == name)
        # django-axes refuses the failure that reaches its limit, the rate limits the one after.
        setattr(settings, setting, LIMIT + 1 if setting == "AXES_FAILURE_LIMIT" else f"{LIMIT}/h")

        def send(remote, forwarded=None):
            meta = {"REMOTE_ADDR": remote}
            if forwarded is not None:
                meta["HTTP_X_FORWARDED_FOR"] = forwarded
            status = request(client, settings, case=community_case["en"], **meta)
            assert status in (ok, 429), status
            return status == 429

        return send

    yield make
    cache.clear()


NAMES = [row[0] for row in LIMITERS]


@pytest.mark.parametrize("name", NAMES)
def test_spoofed_forwarded_for_is_ignored_without_configuration(limited, name):
    send = limited(name)
    # A new forged X-Forwarded-For on every request does not make a new client.
    refused = [send(DIRECT, f"192.0.2.{n}") for n in range(LIMIT + 1)]
    assert refused == [False] * LIMIT + [True]
    assert send(VISITOR_B) is False  # another address is counted on its own


TRUSTED = {
    "by address": {"CAC_TRUSTED_PROXIES": ["10.0.0.0/24"]},
    "by count": {"CAC_TRUSTED_PROXY_COUNT": 1},
}


@pytest.mark.parametrize("config", TRUSTED)
@pytest.mark.parametrize("name", NAMES)
def test_behind_a_trusted_proxy_each_visitor_is_counted_on_his_own(limited, settings, name, config):
    for key, value in TRUSTED[config].items():
        setattr(settings, key, value)
    send = limited(name)
    refused = [send(PROXY, VISITOR_A) for _ in range(LIMIT + 1)]
    assert refused == [False] * LIMIT + [True]
    # Visitor B comes through the same proxy and is not locked out by A.
    assert send(PROXY, VISITOR_B) is False
    # A cannot escape by writing addresses of his own in front of what the proxy appends.
    assert send(PROXY, f"192.0.2.77, {VISITOR_A}") is True


@pytest.mark.parametrize("name", NAMES)
def test_a_client_bypassing_the_trusted_proxy_cannot_forge_an_address(limited, settings, name):
    settings.CAC_TRUSTED_PROXIES = ["10.0.0.0/24"]
    send = limited(name)
    refused = [send(DIRECT, f"192.0.2.{n}") for n in range(LIMIT + 1)]
    assert refused == [False] * LIMIT + [True]


@pytest.mark.parametrize(
    ("proxies", "count", "remote", "forwarded", "expected"),
    [
        # Default: the connection's address, whatever the header says.
        ((), 0, "203.0.113.9", "198.51.100.1", "203.0.113.9"),
        ((), 0, "2001:db8::1", None, "2001:db8::1"),
        # Trusted addresses: read from the right, skipping trusted proxies.
        (("10.0.0.0/8",), 0, "10.0.0.5", "198.51.100.1", "198.51.100.1"),
        (("10.0.0.0/8",), 0, "10.0.0.5", "6.6.6.6, 198.51.100.1, 10.1.2.3", "198.51.100.1"),
        (("10.0.0.0/8",), 0, "10.0.0.5", "198.51.100.1:4711", "198.51.100.1"),
        (("10.0.0.0/8",), 0, "10.0.0.5", "[2001:db8::7]:443", "2001:db8::7"),
        (("10.0.0.0/8",), 0, "10.0.0.5", "::ffff:198.51.100.1", "198.51.100.1"),
        (("10.0.0.0/8",), 0, "10.0.0.5", "", "10.0.0.5"),
        (("10.0.0.0/8",), 0, "10.0.0.5", "unknown", "10.0.0.5"),
        (("10.0.0.0/8",), 0, "203.0.113.9", "198.51.100.1", "203.0.113.9"),  # not from the proxy
        (("10.0.0.5/32", "2001:db8:ffff::/48"), 0, "2001:db8:ffff::2", "198.51.100.1", "198.51.100.1"),
        # A count: the N-th entry from the right.
        ((), 1, "10.0.0.5", "6.6.6.6, 198.51.100.1", "198.51.100.1"),
        ((), 2, "10.0.0.5", "6.6.6.6, 198.51.100.1, 172.16.0.9", "198.51.100.1"),
        ((), 2, "10.0.0.5", "198.51.100.1", "10.0.0.5"),  # fewer entries than proxies
        ((), 1, "10.0.0.5", "not-an-address", "10.0.0.5"),
    ],
)
def test_client_ip(rf, settings, proxies, count, remote, forwarded, expected):
    settings.CAC_TRUSTED_PROXIES = list(proxies)
    settings.CAC_TRUSTED_PROXY_COUNT = count
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    assert client_ip(rf.get("/", **meta)) == expected


def test_the_settings_come_from_the_environment():
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.CAC_TRUSTED_PROXIES, settings.CAC_TRUSTED_PROXY_COUNT)"
    )

    def run(**env):
        environ = {**os.environ, "DJANGO_SETTINGS_MODULE": "cac_platform.settings.dev", **env}
        cwd = Path(__file__).resolve().parent.parent
        return subprocess.run(  # noqa: S603 - our own interpreter and code
            [sys.executable, "-c", code], cwd=cwd, env=environ, capture_output=True, text=True, timeout=60
        )

    result = run(TRUSTED_PROXIES="10.0.0.5, 2001:db8::/32", TRUSTED_PROXY_COUNT="0")
    assert result.stdout.strip() == "['10.0.0.5/32', '2001:db8::/32'] 0", result.stderr
    # A typo is an error at start, never a proxy list that trusts something else.
    result = run(TRUSTED_PROXIES="10.0.0.0/8,proxy.internal")
    assert result.returncode != 0
    assert "proxy.internal" in result.stderr
