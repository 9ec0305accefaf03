"""Shared fixtures. Each team keeps its fixtures in its own marked block."""

import os
import shutil

import pytest

# Playwright's sync API runs an event loop in the test thread; Django's ORM must still be usable there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# --- foundation fixtures -------------------------------------------------------------
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def browser():
    """Headless Debian Chromium through Playwright; skipped (or failed in CI) when missing."""
    if not os.path.exists(CHROMIUM):
        message = "Chromium is not installed (apt-get install chromium)"
        if os.environ.get("CAC_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture
def en_index(db):
    from casestudies.factories import index_page

    return index_page("en")


@pytest.fixture
def ko_index(db):
    from casestudies.factories import index_page

    return index_page("ko")
# --- end foundation fixtures ---------------------------------------------------------


# --- elasticsearch fixtures ----------------------------------------------------------
# Integration tests against a real Elasticsearch (with the analysis-nori plugin) at
# ELASTICSEARCH_URL. Without one they are skipped with the reason; with
# CAC_REQUIRE_ELASTICSEARCH=1 (CI) they fail instead. Each test gets its own index prefix,
# deleted afterwards.
_elasticsearch_state: dict = {}


def _elasticsearch_unavailable(reason: str):
    if os.environ.get("CAC_REQUIRE_ELASTICSEARCH") == "1":
        pytest.fail(f"CAC_REQUIRE_ELASTICSEARCH=1 but {reason}")
    pytest.skip(reason)


def _elasticsearch_problem(url: str) -> str | None:
    """Why the server at `url` cannot run the tests (checked once per session), or None."""
    if "problem" not in _elasticsearch_state:
        from elasticsearch import Elasticsearch

        problem = None
        try:
            client = Elasticsearch(url, request_timeout=10, max_retries=0)
            client.info()
            plugins = client.cat.plugins(format="json").body
            if not any(row.get("component") == "analysis-nori" for row in plugins):
                problem = f"Elasticsearch at {url} lacks the analysis-nori plugin"
        except Exception as exc:  # noqa: BLE001 - any failure means "no usable server"
            problem = f"Elasticsearch at {url} does not answer: {exc}"
        _elasticsearch_state["problem"] = problem
    return _elasticsearch_state["problem"]


@pytest.fixture
def elasticsearch_backend():
    """An ElasticsearchSearchBackend on fresh, uniquely named indices; refreshes on every write."""
    import uuid

    url = os.environ.get("ELASTICSEARCH_URL", "")
    if not url:
        _elasticsearch_unavailable("ELASTICSEARCH_URL is not set (needs Elasticsearch with analysis-nori)")
    problem = _elasticsearch_problem(url)
    if problem:
        _elasticsearch_unavailable(problem)
    from search.backends.elasticsearch import ElasticsearchSearchBackend

    backend = ElasticsearchSearchBackend(
        url,
        index_prefix=f"cac-test-{uuid.uuid4().hex[:12]}",
        request_timeout=30,
        refresh=True,
        breaker_seconds=0,
    )
    try:
        yield backend
    finally:
        client = backend.client.options(ignore_status=404)
        names = list(client.indices.get(index=f"{backend.index_prefix}-*").body or {})
        if names:  # by name: clusters refuse wildcard deletes (action.destructive_requires_name)
            client.indices.delete(index=",".join(names))


# --- end elasticsearch fixtures ------------------------------------------------------
