"""/healthz: can the site serve? The database must answer; cache and search may degrade."""

from __future__ import annotations

import logging
import time
import uuid

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

logger = logging.getLogger(__name__)


def _timed(check) -> dict:
    started = time.perf_counter()
    try:
        state = check()
    except Exception as exc:  # noqa: BLE001 - any failure is a state to report, never a 500
        logger.warning("health check failed: %s", exc.__class__.__name__)
        state = {"status": "unavailable", "error": exc.__class__.__name__}
    state["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return state


def check_database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"status": "ok", "vendor": connection.vendor}


def check_cache() -> dict:
    key = f"healthz:{uuid.uuid4().hex}"
    cache.set(key, "1", 5)
    ok = cache.get(key) == "1"
    cache.delete(key)
    # An unreachable Redis is ignored by the cache client: the site serves uncached.
    return {"status": "ok" if ok else "degraded"}


def check_search() -> dict:
    """The backend the search service would use now (it falls back to the database by itself)."""
    from search.service import get_backend

    backend = get_backend()
    return {"status": "ok", "backend": backend.name}


def check_vectors() -> dict:
    """Meaning search: the pages waiting for the background worker (found by words meanwhile)."""
    from search import embeddings, vectors
    from search.tasks import pending_tasks

    if not embeddings.semantic_enabled():
        return {"status": "off"}
    backlog = vectors.backlog_count()
    if backlog is None:
        return {"status": "degraded", "error": "EmbedderUnavailable"}
    return {"status": "ok", "backlog": backlog, "queued_tasks": pending_tasks()}


@never_cache
def healthz(request):
    checks = {
        "database": _timed(check_database),
        "cache": _timed(check_cache),
        "search": _timed(check_search),
        "vectors": _timed(check_vectors),
    }
    serving = checks["database"]["status"] == "ok"
    payload = {"status": "ok" if serving else "unavailable", "checks": checks}
    return JsonResponse(payload, status=200 if serving else 503)
