"""Scale-out: two gunicorn servers, as two hosts would run them, on one database and one Redis.

A deployment grows past one machine by running more app hosts behind a proxy (docs/scaling.md).
That only works if no host keeps state the others need: here an editor publishes a case through
server A's admin, and server B, which had the old page in the (shared) page cache and its own
in-memory spelling vocabulary and synonym table, serves the new page, finds the new words, corrects
a misspelling of them and expands a new synonym, all within the time its checks allow.

The servers run the production settings (tests/scale_out_settings.py changes only what plain HTTP
on 127.0.0.1 needs) with gunicorn's configuration from deploy/gunicorn.conf.py, one worker each, on
the test's own database (SQLite: a file copy of it, as the test database lives in memory) and the
Redis at CAC_TEST_REDIS_URL (default redis://127.0.0.1:6379/3), under keys of their own. Skipped
with the reason when that Redis does not answer.
"""

from __future__ import annotations

import http.cookies
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from django.apps import apps
from django.core.management.color import no_style
from django.db import connection

from search.factories import make_case
from tests.admin_forms import case_form

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("CAC_TEST_REDIS_URL", "redis://127.0.0.1:6379/3")
START_TIMEOUT = 60.0  # seconds for a server to answer (a busy machine loads the analysers slowly)
# How long B may take to see each change: the page cache and the index are shared, so at once;
# B's in-memory vocabulary and synonyms are checked against the database on every request.
SEEN_WITHIN = 2.0


# --------------------------------------------------------------------------------------------
# Plain HTTP, cookies kept by hand (the session is all an editor needs)
# --------------------------------------------------------------------------------------------
class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


class Response:
    def __init__(self, status: int, headers, body: bytes):
        self.status = status
        self.headers = headers
        self.text = body.decode("utf-8", "replace")

    def json(self) -> dict:
        return json.loads(self.text)


# The public name the proxy passes on to every host: page cache keys contain it.
HOST = "cac.test"


class Browser:
    """Requests to one server, as the proxy forwards them (the public host name); cookies it sets
    are sent back (none for an anonymous visitor)."""

    def __init__(self, base: str):
        self.base = base
        self.cookies: dict[str, str] = {}

    def request(self, path: str, data: dict | None = None) -> Response:
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body)  # noqa: S310 (a local test server)
        request.add_header("Host", HOST)
        if self.cookies:
            request.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        try:
            with _opener.open(request, timeout=30) as answer:
                response = Response(answer.status, answer.headers, answer.read())
        except urllib.error.HTTPError as error:
            response = Response(error.code, error.headers, error.read())
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in http.cookies.SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response

    def log_in(self, username: str, password: str) -> None:
        form = self.request("/admin/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
        answer = self.request(
            "/admin/login/", {"username": username, "password": password, "csrfmiddlewaretoken": token}
        )
        assert answer.status == 302 and "sessionid" in self.cookies, answer.text[:500]

    def csrf_token(self) -> str:
        return self.cookies["csrftoken"]


def search(browser: Browser, query: str) -> dict:
    answer = browser.request("/en/search/?" + urllib.parse.urlencode({"q": query, "format": "json"}))
    assert answer.status == 200, answer.text[:500]
    return answer.json()


def seen_within(check: Callable[[], bool], timeout: float) -> tuple[float, int]:
    """Seconds until `check()` held and how many tries it took (polled); fails after `timeout`."""
    started, tries = time.monotonic(), 0
    while True:
        tries += 1
        if check():
            return time.monotonic() - started, tries
        if time.monotonic() - started > timeout:
            pytest.fail(f"not seen within {timeout} s ({tries} tries)")
        time.sleep(0.05)


# --------------------------------------------------------------------------------------------
# The shared services
# --------------------------------------------------------------------------------------------
@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of this test's own on the Redis server; its keys are deleted afterwards."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.skip(f"needs Redis at {REDIS_URL} (CAC_TEST_REDIS_URL): {error}")
    prefix = f"scale-out-{uuid.uuid4().hex[:12]}"
    try:
        yield prefix
    finally:
        for key in client.scan_iter(f"{prefix}*"):
            client.delete(key)
        client.close()


def shared_database_url(folder: Path) -> str:
    """A URL of the test's database for other processes: PostgreSQL's test database itself; on
    SQLite (an in-memory database) a file copy of it, which the servers then share."""
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    assert connection.vendor == "sqlite"
    path = folder / "site.sqlite3"
    connection.ensure_connection()
    with sqlite3.connect(path) as copy:
        connection.connection.backup(copy)
    return f"sqlite:///{path}"


@contextmanager
def gunicorn_servers(names: list[str], database_url: str, redis_prefix: str, folder: Path) -> Iterator[dict]:
    """One gunicorn per name (deploy/gunicorn.conf.py, one worker, a port of its own), each with
    its own folders as a host would have, all on `database_url` and the Redis; yields name -> URL."""
    servers: dict[str, tuple[subprocess.Popen, Path]] = {}
    try:
        for name in names:
            host = folder / name
            host.mkdir()
            env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
            env.pop("ELASTICSEARCH_URL", None)  # the database search: the index lives in the database
            env.update(
                DJANGO_SETTINGS_MODULE="tests.scale_out_settings",
                SECRET_KEY="scale-out-test-key",
                DATABASE_URL=database_url,
                CACHE_URL=REDIS_URL,
                SCALE_OUT_CACHE_PREFIX=redis_prefix,
                ALLOWED_HOSTS=HOST,
                BIND="127.0.0.1:0",
                WEB_CONCURRENCY="1",
                SEMANTIC_SEARCH="0",  # no model to load: meaning search has its own tests
                LOG_FORMAT="plain",
                LOG_LEVEL="WARNING",
                MEDIA_ROOT=str(folder / "media"),  # shared storage (S3 in a real deployment)
                DOWNLOAD_CACHE_DIR=str(host / "downloads"),
                SEARCH_VECTOR_INDEX_DIR=str(host / "vectors"),
                STATIC_ROOT=str(host / "static"),
            )
            log = host / "gunicorn.log"
            process = subprocess.Popen(  # noqa: S603 (our own interpreter and settings)
                [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "cac_platform.wsgi"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,  # the access log
                stderr=log.open("wb"),
            )
            servers[name] = (process, log)
        yield {name: _wait_until_serving(process, log) for name, (process, log) in servers.items()}
    finally:
        for process, _log in servers.values():
            process.terminate()
        for process, _log in servers.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def continue_sequences() -> None:
    """PostgreSQL: every sequence continues after its table's keys. serialized_rollback restores
    rows with their keys and leaves the sequences as an earlier test left them (a backup restore's
    flush sets them back to 1), so the servers' inserts would collide with restored rows."""
    statements = connection.ops.sequence_reset_sql(no_style(), apps.get_models())
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def server_log(host: Path) -> str:
    """The end of a host's gunicorn log (its tracebacks), for a failing assertion's message."""
    return (host / "gunicorn.log").read_text(errors="replace")[-4000:]


def _wait_until_serving(process: subprocess.Popen, log: Path) -> str:
    deadline = time.monotonic() + START_TIMEOUT
    base = None
    while time.monotonic() < deadline and process.poll() is None:
        if base is None:
            found = re.search(rb"Listening at: (http://127\.0\.0\.1:\d+)", log.read_bytes())
            base = found.group(1).decode() if found else None
        if base is not None:
            try:
                if Browser(base).request("/healthz").status == 200:
                    return base
            except OSError:
                pass
        time.sleep(0.1)
    pytest.fail(
        f"gunicorn did not serve within {START_TIMEOUT} s:\n{log.read_text(errors='replace')[-3000:]}"
    )


# --------------------------------------------------------------------------------------------
# The test
# --------------------------------------------------------------------------------------------
OLD_TITLE = "Mask distribution at subway stations"
NEW_TITLE = "Mask distribution by the zephyrine courier network"


# Committed data, for the servers to see; serialized_rollback restores the migrations' content.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_publish_on_one_server_is_seen_on_the_other(en_index, make_user, redis_prefix, tmp_path, capsys):
    continue_sequences()
    case = make_case(OLD_TITLE, summary="Free masks handed out at every subway station.")
    make_user("publisher", superuser=True)
    database_url = shared_database_url(tmp_path)

    started = time.monotonic()
    with gunicorn_servers(["a", "b"], database_url, redis_prefix, tmp_path) as servers:
        serving = time.monotonic() - started
        editor, visitor = Browser(servers["a"]), Browser(servers["b"])
        # B caches the page and its search answers, and loads its own vocabulary and synonyms;
        # it keeps the download as a file of its own. Nothing knows the new words yet.
        assert OLD_TITLE in visitor.request(case.url).text
        again = visitor.request(case.url)
        assert OLD_TITLE in again.text and again.headers["Age"] is not None  # from the page cache
        from_a = Browser(servers["a"]).request(case.url)
        assert OLD_TITLE in from_a.text and from_a.headers["Age"] is not None  # one cache for both
        assert search(visitor, "zephyrine")["count"] == 0
        assert search(visitor, "zephyrene")["did_you_mean"] is None
        assert search(visitor, "velocipede")["count"] == 0
        assert OLD_TITLE in visitor.request("/en/data/cases.csv").text
        assert list((tmp_path / "b" / "downloads").glob("*/*.csv"))  # kept on B's disk

        # An editor publishes the new title through A's admin, then adds a synonym group there.
        editor.log_in("publisher", "pw")
        form = case_form(case, title=NEW_TITLE)
        form.update({"action-publish": "action-publish", "csrfmiddlewaretoken": editor.csrf_token()})
        published = editor.request(f"/admin/pages/{case.pk}/edit/", form)
        assert published.status == 302, server_log(tmp_path / "a")
        page = seen_within(lambda: NEW_TITLE in visitor.request(case.url).text, SEEN_WITHIN)
        found = seen_within(lambda: search(visitor, "zephyrine")["count"] == 1, SEEN_WITHIN)
        corrected = seen_within(
            lambda: search(visitor, "zephyrene")["did_you_mean"] == "zephyrine", SEEN_WITHIN
        )
        download = seen_within(lambda: NEW_TITLE in visitor.request("/en/data/cases.csv").text, SEEN_WITHIN)
        assert search(visitor, "zephyrene")["results"][0]["title"] == NEW_TITLE

        added = editor.request(
            "/admin/snippets/search/synonymgroup/add/",
            {"terms": "velocipede\nzephyrine", "terms_ko": "", "csrfmiddlewaretoken": editor.csrf_token()},
        )
        assert added.status == 302, server_log(tmp_path / "a")
        expanded = seen_within(lambda: search(visitor, "velocipede")["count"] == 1, SEEN_WITHIN)

    with capsys.disabled():
        figures = ", ".join(
            f"{name} {seconds * 1000:.0f} ms ({tries} {'try' if tries == 1 else 'tries'})"
            for name, (seconds, tries) in {
                "page": page,
                "words": found,
                "spelling": corrected,
                "download": download,
                "synonym": expanded,
            }.items()
        )
        print(f"\nscale-out: two servers serving in {serving:.1f} s; B after the publish on A: {figures}")
