"""Faults, simulated: Elasticsearch, Redis and PostgreSQL down or hanging, on the page and on the JSON.

A "closed port" is a port where nothing listens (connection refused at once); a "hung server"
accepts connections and never answers (the client must give up on its own timeout).
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest

from django.conf import settings
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection

from search import service
from search.backends.elasticsearch import ElasticsearchSearchBackend
from search.factories import make_case
from tests.test_search_elasticsearch import FakeCluster, fake_node_class

CLOSED_PORT = 9  # discard: nothing listens there on these machines


class HungServer:
    """Accepts TCP connections and never answers: a stopped server behind a live socket."""

    def __init__(self):
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(16)
        self.port = self.socket.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self._stopping = False
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self):
        while not self._stopping:
            try:
                conn, _ = self.socket.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def close(self):
        self._stopping = True
        self.socket.close()
        for conn in self.accepted:
            conn.close()


@pytest.fixture
def hung_server():
    server = HungServer()
    yield server
    server.close()


# --------------------------------------------------------------------------------------------
# Elasticsearch
# --------------------------------------------------------------------------------------------
@pytest.fixture
def elasticsearch_at(settings):
    """Point the search service at an Elasticsearch URL; restore the database backend afterwards."""

    def point(url: str, timeout: float = 2.0):
        settings.ELASTICSEARCH_URL = url
        settings.CAC_SEARCH_BACKEND = "elasticsearch"
        settings.CAC_SEARCH_ES_TIMEOUT = timeout
        service.reset_backend()
        return service.get_backend()

    yield point
    service.reset_backend()


@pytest.mark.django_db
@pytest.mark.parametrize("fault", ["closed port", "hung server"])
def test_search_page_and_json_answer_from_the_database_when_elasticsearch_fails(
    client, elasticsearch_at, hung_server, caplog, fault
):
    make_case("Drive-through screening stations")
    port = CLOSED_PORT if fault == "closed port" else hung_server.port
    backend = elasticsearch_at(f"http://127.0.0.1:{port}", timeout=0.5)
    assert backend.name == "elasticsearch"

    with caplog.at_level(logging.WARNING, logger="search.service"):
        page = client.get("/en/search/", {"q": "screening"})
        data = client.get("/en/search/", {"q": "screening", "format": "json"})
        suggestions = client.get("/en/search/suggest/", {"q": "screen"})

    assert page.status_code == 200
    assert "Drive-through screening stations" in page.content.decode()
    assert data.status_code == 200
    assert [hit["title"] for hit in data.json()["results"]] == ["Drive-through screening stations"]
    assert suggestions.status_code == 200
    assert "Drive-through screening stations" in suggestions.content.decode()
    assert "answering from the database" in caplog.text
    if fault == "hung server":
        # One connection timed out; the breaker then answered the next requests without waiting.
        assert len(hung_server.accepted) == 1


@pytest.mark.django_db
def test_pages_published_while_elasticsearch_is_down_are_caught_up_by_the_rebuild(
    client, settings, django_capture_on_commit_callbacks, caplog
):
    cluster = FakeCluster()
    settings.CAC_SEARCH_BACKEND = "elasticsearch"
    backend = ElasticsearchSearchBackend(
        "http://elasticsearch.test:9200",
        index_prefix="cac",
        languages=["en", "ko"],
        node_class=fake_node_class(cluster),
    )
    service.reset_backend()
    service._backend = backend
    try:
        backend.rebuild()
        assert cluster.docs("cac-en") == {}

        cluster.status_override = (503, {"error": "unavailable", "status": 503})
        with (
            caplog.at_level(logging.ERROR, logger="search.service"),
            django_capture_on_commit_callbacks(execute=True),
        ):
            case = make_case("Published during the outage")
        assert "failed for pages" in caplog.text
        # The database index took the page at once: searching still finds it.
        data = client.get("/en/search/", {"q": "outage", "format": "json"}).json()
        assert [hit["title"] for hit in data["results"]] == ["Published during the outage"]

        cluster.status_override = None
        call_command("rebuild_search_index", verbosity=0)
        assert str(case.pk) in {str(key) for key in cluster.docs("cac-en")}
    finally:
        service.reset_backend()


# --------------------------------------------------------------------------------------------
# Redis
# --------------------------------------------------------------------------------------------
def redis_caches(port: int) -> dict:
    # Short timeouts (production waits 0.5 s): a hung server makes every cache call of a request
    # wait its whole timeout, about fifty of them in the test below; what is tested is that the
    # pages are served all the same, not how long the client waits.
    options = {"SOCKET_CONNECT_TIMEOUT": 0.05, "SOCKET_TIMEOUT": 0.05, "IGNORE_EXCEPTIONS": True}
    location = f"redis://127.0.0.1:{port}/0"
    redis = {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": location, "OPTIONS": options}
    return {"default": redis, "pages": {**redis, "KEY_PREFIX": "pages"}}


@pytest.mark.django_db
@pytest.mark.parametrize("fault", ["closed port", "hung server"])
def test_the_site_serves_uncached_when_redis_fails(client, settings, en_index, hung_server, fault):
    make_case("Mask distribution by pharmacies")
    port = CLOSED_PORT if fault == "closed port" else hung_server.port
    settings.CACHES = redis_caches(port)
    settings.CAC_PAGE_CACHE_SECONDS = 300
    settings.OPENDATA_API_RATE = "1000/m"
    assert caches["pages"].get("anything") is None  # the broken cache answers "miss", never raises

    for _ in range(2):  # a second visit would be a cache hit if the cache worked
        home = client.get("/en/")
        index = client.get(en_index.url)
        assert home.status_code == 200
        assert index.status_code == 200
        assert "Mask distribution by pharmacies" in index.content.decode()
    data = client.get("/en/search/", {"q": "pharmacies", "format": "json"})
    assert data.status_code == 200
    assert data.json()["count"] == 1
    api = client.get("/api/v2/cases/")
    assert api.status_code == 200
    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.json()["checks"]["cache"]["status"] in {"degraded", "unavailable"}


# --------------------------------------------------------------------------------------------
# PostgreSQL
# --------------------------------------------------------------------------------------------
SERVER_APPLICATION_NAME = f"cac-fault-test-{os.getpid()}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 (a local test server)
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.fixture
def gunicorn_on_test_database():
    """One gunicorn worker (one thread, so one connection kept between requests, as CONN_MAX_AGE
    does in production) serving the test database. Django's live server would not do: it closes
    its connections after every request."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL): SQLite has no server to restart")
    db = connection.settings_dict
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cac_platform.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "CONN_MAX_AGE": "600",
        # libpq names the server's connections, so that only they are ended (the test process may
        # hold other connections of its own, e.g. from a browser test's context).
        "PGAPPNAME": SERVER_APPLICATION_NAME,
    }
    server = subprocess.Popen(  # noqa: S603 (fixed arguments)
        [
            sys.executable,
            "-m",
            "gunicorn",
            "cac_platform.wsgi:application",
            "--workers",
            "1",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=settings.BASE_DIR,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if get(base + "/healthz")[0] in (200, 503):
                    break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("gunicorn did not start")
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


# Committed data, for the server process to see; serialized_rollback restores the migrations' content.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_requests_recover_after_postgresql_drops_the_connections(gunicorn_on_test_database, en_index):
    """PostgreSQL ends every connection, as a restart does. The next request checks its kept
    connection first (CONN_HEALTH_CHECKS), reconnects and answers: no app restart, and not even
    one failed request once the server is back."""
    import psycopg

    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True
    make_case("Contact tracing with card records")
    url = gunicorn_on_test_database + en_index.url
    assert get(url)[0] == 200

    db = connection.settings_dict
    with psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"],
        dbname="postgres",
        autocommit=True,
    ) as admin:
        ended = admin.execute(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = %s AND application_name = %s",
            [db["NAME"], SERVER_APPLICATION_NAME],
        ).fetchone()[0]
    assert ended >= 1, "the server held no connection to end"

    status, body = get(url)
    assert status == 200
    assert "Contact tracing with card records" in body
    assert get(gunicorn_on_test_database + "/healthz")[0] == 200
