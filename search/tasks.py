"""Background work of the search: meaning vectors are computed outside the request and the import.

Tasks run through django-tasks (the backport of Django's own task framework): in the embedded
default and in production the database backend (`django_tasks_db`), worked by
`python manage.py db_worker` (started by `make run`, `make serve` and the container's worker
service). No extra service is needed: the queue is a table of the site's own database.

Until the worker has embedded a page it is found by its words; /healthz reports the backlog.
"""

from __future__ import annotations

import logging

from django_tasks import task

from django.db import transaction

logger = logging.getLogger(__name__)


@task(queue_name="search")
def embed_pages_task(page_ids: list[int]) -> int:
    """Embed these pages (those whose vector is missing or out of date)."""
    from search import embeddings, vectors

    try:
        written = vectors.embed_pages(page_ids)
    except embeddings.EmbedderUnavailable as exc:
        logger.warning("search: vectors not computed for %d pages (%s)", len(page_ids), exc)
        return 0
    copy_vectors_to_other_backend(page_ids)
    return written


def copy_vectors_to_other_backend(page_ids: list[int]) -> None:
    """Elasticsearch keeps its own copy of the vectors: give it the new ones."""
    from search import service

    other = service._other_backend()
    update = getattr(other, "index_vectors", None)
    if update is None:
        return
    try:
        update(list(page_ids))
    except Exception:
        logger.warning(
            "search: %s did not take the vectors of %d pages", other.name, len(page_ids), exc_info=True
        )


@task(queue_name="search")
def embed_backlog_task(limit: int = 5000) -> int:
    """Embed pages the index lists without a current vector (after a rebuild, or a worker outage)."""
    from search import embeddings, vectors

    try:
        return vectors.embed_backlog(limit=limit)
    except embeddings.EmbedderUnavailable as exc:
        logger.warning("search: backlog not embedded (%s)", exc)
        return 0


def schedule_embedding(page_ids: list[int]) -> None:
    """Ask the worker, once the current transaction commits, to embed these pages.

    Never blocks or fails the caller: publishing and importing go on if the queue is unusable
    (the pages stay in the backlog, which the next `embed_backlog_task` or rebuild picks up).
    """
    from search.embeddings import semantic_enabled

    if not page_ids or not semantic_enabled():
        return
    ids = list(dict.fromkeys(int(pk) for pk in page_ids))

    def enqueue() -> None:
        try:
            for start in range(0, len(ids), 200):
                embed_pages_task.enqueue(ids[start : start + 200])
        except Exception:
            logger.warning("search: could not queue vectors for %d pages", len(ids), exc_info=True)

    transaction.on_commit(enqueue)


def pending_tasks() -> int | None:
    """Tasks of the search queue not yet finished (None when the queue is not a database table)."""
    from django.conf import settings

    if "django_tasks_db" not in settings.TASKS.get("default", {}).get("BACKEND", ""):
        return None
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(queue_name="search", status__in=["READY", "RUNNING"]).count()
