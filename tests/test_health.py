"""/healthz reports database, cache and search states without exposing secrets."""

import pytest

from django.db.utils import OperationalError

pytestmark = pytest.mark.django_db


def test_healthz_is_ok_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["cache"]["status"] == "ok"
    assert body["checks"]["search"]["backend"] in {"database", "elasticsearch"}


def test_healthz_is_503_when_the_database_is_down(client, monkeypatch):
    def broken():
        raise OperationalError("connection refused: password=hunter2")

    monkeypatch.setattr("cac_platform.health.check_database", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == {
        "status": "unavailable",
        "error": "OperationalError",
        "ms": response.json()["checks"]["database"]["ms"],
    }
    assert "hunter2" not in response.content.decode()


def test_healthz_reports_a_degraded_cache_but_still_serves(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2, "IGNORE_EXCEPTIONS": True},
        }
    }
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"]["cache"]["status"] in {"degraded", "unavailable"}
