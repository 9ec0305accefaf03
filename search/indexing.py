"""Pause the per-page search indexing while a bulk writer works, then index its pages once.

A bulk writer (the case importer) would otherwise have every saved or published page indexed one at a
time by the signal handlers: Wagtail's search backends (modelsearch's `post_save` handler) and the
site's own index (`search.signals.on_page_published`). `paused()` is the one public way to turn them off,
so that no other app disconnects search's handlers by their `dispatch_uid` strings (issue 14, item 2).

Signals are process-wide: this is meant for a management command and for admin requests served one at a
time per process (gunicorn's sync workers).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator

from django.db.models import Model
from django.db.models.signals import post_save

from modelsearch import signal_handlers as modelsearch_signals
from modelsearch.backends import get_search_backends
from wagtail.signals import page_published

from search import service, signals

BATCH = 500


class PausedIndexing:
    """What `paused()` yields: index pages now with `index()`; pages saved meanwhile wait for the exit."""

    def __init__(self) -> None:
        self.touched: dict[int, Model] = {}  # pk -> the page saved or published while paused
        self.indexed: set[int] = set()

    def index(self, pages: Iterable[Model]) -> None:
        """Index these pages at once (in the current transaction), in batches, in both indexes:
        Wagtail's search backends (the admin's search) and the site's own (`search.service`)."""
        pages = list(pages)
        backends = list(get_search_backends(with_auto_update=True))
        for start in range(0, len(pages), BATCH):
            batch = pages[start : start + BATCH]
            by_model: dict[type[Model], list[Model]] = {}
            for page in batch:
                by_model.setdefault(type(page), []).append(page)
            for backend in backends:
                for model, objects in by_model.items():
                    backend.add_bulk(model, objects)
            service.index_pages([page.pk for page in batch])
        self.indexed.update(page.pk for page in pages)

    def _touch(self, sender, instance, **kwargs) -> None:
        self.touched[instance.pk] = instance

    def pending(self) -> list[Model]:
        """Pages saved or published while paused and not indexed since."""
        return [page for pk, page in self.touched.items() if pk not in self.indexed]


@contextlib.contextmanager
def paused(*models: type[Model]) -> Iterator[PausedIndexing]:
    """Per-page indexing off inside: Wagtail's search backends for `models` (saves of other models are
    indexed as usual) and the site index for every published page. On a normal exit the pages saved or
    published inside are indexed once (except those already given to `index()`); after an exception
    nothing is indexed, as the caller's transaction is being rolled back. Either way the handlers are
    connected again."""
    state = PausedIndexing()
    reconnect = []
    for model in models:
        if post_save.disconnect(modelsearch_signals.post_save_signal_handler, sender=model):
            reconnect.append((post_save, modelsearch_signals.post_save_signal_handler, model, None))
        post_save.connect(state._touch, sender=model, weak=False)
    if page_published.disconnect(dispatch_uid=signals.PAGE_PUBLISHED_UID):
        reconnect.append((page_published, signals.on_page_published, None, signals.PAGE_PUBLISHED_UID))
    page_published.connect(state._touch, weak=False)
    completed = False
    try:
        yield state
        completed = True
    finally:
        page_published.disconnect(state._touch)
        for model in models:
            post_save.disconnect(state._touch, sender=model)
        for signal, handler, sender, uid in reconnect:
            signal.connect(handler, sender=sender, dispatch_uid=uid)
    if completed:
        state.index(state.pending())
