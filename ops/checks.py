"""System checks of the deployment (`manage.py check --deploy`)."""

from __future__ import annotations

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.caches, deploy=True)
def page_cache_is_shared(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """The page cache in local memory is one per worker process: a publish empties only the copy of
    the process that served it, and the others show the old page until their copy expires."""
    backend = settings.CACHES.get(settings.CACHE_MIDDLEWARE_ALIAS, {}).get("BACKEND", "")
    if settings.CAC_PAGE_CACHE_SECONDS > 0 and "locmem" in backend:
        return [
            checks.Warning(
                "The page cache is on (PAGE_CACHE_SECONDS) in local memory: each worker process keeps "
                "its own pages, and a publish empties only one of them.",
                hint="Set CACHE_URL to a Redis server shared by every worker and host, or PAGE_CACHE_SECONDS=0.",
                id="ops.W001",
            )
        ]
    return []
