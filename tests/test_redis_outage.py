"""Redis unreachable (issue 13, item 15): the outage is logged once per interval with a count,
not a full traceback per cache call (about 4,800 error lines in 25 s before)."""

from __future__ import annotations

import logging

import pytest

from django.conf import settings as django_settings

from ops.outage import OncePerInterval
from tests.test_faults import CLOSED_PORT, redis_caches


def _outage_filter() -> OncePerInterval:
    (found,) = [f for f in logging.getLogger("django_redis.cache").filters if isinstance(f, OncePerInterval)]
    return found


# Pages, search, suggestions, the API, downloads, feeds, the health check: every cache user.
URLS = [
    "/en/",
    "/en/cases/",
    "/ko/",
    "/en/search/?q=mask",
    "/en/search/suggest/?q=mas",
    "/api/v2/cases/",
    "/en/data/cases.csv",
    "/en/data/cases.json",
    "/en/feeds/cases.rss",
    "/en/explore/",
    "/healthz",
]


@pytest.mark.django_db
def test_an_unreachable_redis_is_one_line_per_interval(client, settings, en_index, caplog):
    settings.DJANGO_REDIS_IGNORE_EXCEPTIONS = True
    settings.DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True  # as the settings do when CACHE_URL is Redis
    settings.CACHES = redis_caches(CLOSED_PORT)
    settings.CAC_PAGE_CACHE_SECONDS = 300
    _outage_filter().reset()
    caplog.set_level(logging.INFO)
    for _ in range(3):
        for url in URLS:
            assert client.get(url).status_code == 200, url
    records = [r for r in caplog.records if r.name.startswith("django_redis")]
    assert len(records) == 1
    (record,) = records
    assert record.exc_info is None and record.exc_text is None
    message = record.getMessage()
    assert message.startswith("Redis unreachable (ConnectionError: ")
    assert "1 cache call(s) failed in the last 60 s" in message
    # No other logger printed a traceback for it either.
    assert [r.name for r in caplog.records if r.exc_info] == []


def test_the_next_interval_reports_how_many_calls_failed(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr("ops.outage.time.monotonic", lambda: clock[0])
    outage = OncePerInterval(interval=60)
    logger = logging.getLogger("tests.redis_outage")

    def fail() -> logging.LogRecord:
        try:
            try:
                raise ConnectionRefusedError(111, "Connection refused")
            except OSError as exc:
                raise RuntimeError("Exception ignored") from exc
        except RuntimeError:
            import sys

            return logger.makeRecord(
                logger.name, logging.ERROR, __file__, 1, "Exception ignored", (), sys.exc_info()
            )

    passed = [record for record in (fail() for _ in range(500)) if outage.filter(record)]
    assert len(passed) == 1
    clock[0] += 30
    assert not any(outage.filter(fail()) for _ in range(200))
    clock[0] += 31
    record = fail()
    assert outage.filter(record)
    assert record.getMessage() == (
        "Redis unreachable (ConnectionRefusedError: [Errno 111] Connection refused): "
        "700 cache call(s) failed in the last 60 s; serving uncached"
    )


def test_the_settings_put_the_filter_on_django_redis():
    config = django_settings.LOGGING
    assert config["loggers"]["django_redis.cache"]["filters"] == ["redis_outage"]
    assert config["filters"]["redis_outage"]["()"] == "ops.outage.OncePerInterval"
