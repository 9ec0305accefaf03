"""Whole-page cache for anonymous visitors, emptied whenever content changes.

Django's cache middleware does the caching (keys vary on URL, language and the Vary headers);
these subclasses decide who is served from it (anonymous visitors of public pages only) and the
signal handlers empty it on every publish, unpublish, move, delete or taxonomy change, so a visitor
never sees a page that was taken down.

The cache is emptied after the change commits, once per transaction: emptied before the commit, a
visitor's request in between would store the old page again for the whole timeout; and an import
of a thousand cases in one transaction empties it once, not a thousand times.

A request that misses the cache notes the content generation (a value that changes whenever the
cache is emptied) before it reads any content, and after storing its page reads it again: changed,
the cache was emptied meanwhile (by a publish on this host or another, which it cannot see coming)
and the page it stored may show the old content, so it deletes it. Emptying deletes the generation
first, then the pages, so whichever comes first, the stored page goes: the request sees the new
generation, or the emptying finds the page. Hits cost nothing more; a miss, two cache reads.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.middleware.cache import FetchFromCacheMiddleware, UpdateCacheMiddleware
from django.utils.cache import learn_cache_key

from wagtail.signals import page_published, page_unpublished, post_page_move

from ops import request_memo

T = TypeVar("T")

logger = logging.getLogger(__name__)

UNCACHED_PREFIXES = ("/admin/", "/django-admin/", "/healthz", "/api/", "/documents/")
# Cookies that mean the page may be personal: a logged-in editor, a flash message.
PERSONAL_COOKIES = ("messages",)
# Apps whose saved rows show on public pages (a published answer shows under its case: questions).
CONTENT_APPS = {"home", "casestudies", "archive", "community", "questions", "wagtailcore", "taggit"}


def page_cache_enabled() -> bool:
    return settings.CAC_PAGE_CACHE_SECONDS > 0


def is_cacheable_request(request) -> bool:
    if not page_cache_enabled() or request.path.startswith(UNCACHED_PREFIXES):
        return False
    cookies = request.COOKIES
    return settings.SESSION_COOKIE_NAME not in cookies and not any(
        name in cookies for name in PERSONAL_COOKIES
    )


class UpdatePageCacheMiddleware(UpdateCacheMiddleware):
    """Stores responses that FetchPageCacheMiddleware marked as cacheable, unless the cache was
    emptied while they were made (module docstring)."""

    def process_response(self, request, response):
        generation = getattr(request, "page_cache_generation", None)
        response = super().process_response(request, response)
        if generation is not None and content_generation() != generation:
            try:
                self.cache.delete(
                    learn_cache_key(request, response, self.page_timeout, self.key_prefix, self.cache)
                )
            except Exception:  # noqa: BLE001 - a broken cache is "not cached", never an error
                logger.warning("could not drop a page made before the cache was emptied", exc_info=True)
        return response

    @property
    def page_timeout(self) -> int:
        return settings.CAC_PAGE_CACHE_SECONDS

    @page_timeout.setter
    def page_timeout(self, value) -> None:
        """The setting decides (Django's __init__ assigns None here)."""


class FetchPageCacheMiddleware(FetchFromCacheMiddleware):
    def process_request(self, request):
        if not is_cacheable_request(request):
            request._cache_update_cache = False
            return None
        response = super().process_request(request)
        if response is None and request._cache_update_cache:  # a miss: made now, maybe stored
            request.page_cache_generation = generation = content_generation()
            request_memo.remember(GENERATION_OF_REQUEST, lambda: generation)  # for kept()
        return response


def clear_page_cache(**kwargs) -> None:
    try:
        cache = caches[settings.CACHE_MIDDLEWARE_ALIAS]
        if hasattr(cache, "delete_pattern"):  # django-redis: only the page keys, not rate limits
            # The generation first: the pattern's deletion is not atomic, and a page stored behind
            # it must be seen as made before the emptying (module docstring).
            cache.delete(CONTENT_GENERATION_KEY)
            cache.delete_pattern("*")
        else:
            cache.clear()
    except Exception:  # noqa: BLE001 - an unreachable cache must never block publishing
        logger.warning("could not empty the page cache", exc_info=True)


# Per thread, as connections and transactions are: bumped each time the cache is emptied, so the
# other callbacks queued by the same transaction see it has been done.
_emptied = threading.local()


def clear_page_cache_on_commit(**kwargs) -> None:
    """Empty the page cache when the current transaction commits (at once outside one)."""
    generation = getattr(_emptied, "generation", 0)

    def clear_once() -> None:
        if getattr(_emptied, "generation", 0) == generation:
            _emptied.generation = generation + 1
            clear_page_cache()

    transaction.on_commit(clear_once)


# --------------------------------------------------------------------------------------------
# The content generation: what generated files (downloads, ops.downloads) are kept under
# --------------------------------------------------------------------------------------------
CONTENT_GENERATION_KEY = "content-generation"


def content_generation() -> str | None:
    """A random value that lives until the page cache is next emptied (None: cache off or
    unreachable): a page made on a miss, and a generated file, are kept only if it is the same
    after they were stored as before they were made."""
    if not page_cache_enabled():
        return None
    cache = caches[settings.CACHE_MIDDLEWARE_ALIAS]
    try:
        value = cache.get(CONTENT_GENERATION_KEY)
        if value is None:
            cache.add(CONTENT_GENERATION_KEY, uuid.uuid4().hex, timeout=None)
            value = cache.get(CONTENT_GENERATION_KEY)
        return value
    except Exception:  # noqa: BLE001 - a broken cache means "not cached", never an error
        return None


# --------------------------------------------------------------------------------------------
# What every page of a generation shares, kept in each process (kept())
# --------------------------------------------------------------------------------------------
GENERATION_OF_REQUEST = "ops.cache.generation"
# (generation, key) -> (until, value); only the current generation's entries are kept.
_kept: dict[tuple, tuple[float, object]] = {}
_kept_lock = threading.Lock()


def kept(key, compute: Callable[[], T], until: Callable[[T], float | None] | None = None) -> T:
    """`compute()`'s value, kept in this process for the requests that missed the page cache
    under the same content generation (ops.cache: it changes whenever anything visitors see
    changes, on any host, and a page made under it is stored only if it has not changed).

    For what many pages show alike and read from content (the header's menu, the view
    restrictions, the area names): each miss would read it again, though the pages the cache
    holds were all made with one value per generation. A value is made again under a new
    generation, after the page cache's timeout, or at `until(value)` (a timestamp: a page that
    expires, which no event announces), whichever comes first. Outside such a request (page
    cache off, a signed-in editor, a command), `compute()` runs every time."""
    generation = request_memo.peek(GENERATION_OF_REQUEST)
    if generation is None:
        return compute()
    now = time.time()
    entry = _kept.get((generation, key))
    if entry is not None and now < entry[0]:
        return entry[1]
    value = compute()
    ends = now + settings.CAC_PAGE_CACHE_SECONDS
    if until is not None:
        ends = min(ends, until(value) or ends)
    with _kept_lock:  # gunicorn's threads share the dict: no iteration while another inserts
        for old in [k for k in _kept if k[0] != generation]:  # an older generation's: never asked again
            del _kept[old]
        _kept[(generation, key)] = (ends, value)
    return value


def forget_kept() -> None:
    """Tests: start from nothing kept."""
    with _kept_lock:
        _kept.clear()


def _content_changed(sender, **kwargs) -> None:
    if sender._meta.app_label in CONTENT_APPS and sender._meta.model_name not in {"revision", "pagelogentry"}:
        clear_page_cache_on_commit()


def connect_signals() -> None:
    for signal in (page_published, page_unpublished, post_page_move):
        signal.connect(clear_page_cache_on_commit, dispatch_uid=f"ops-page-cache-{id(signal)}")
    post_save.connect(_content_changed, dispatch_uid="ops-page-cache-save")
    post_delete.connect(_content_changed, dispatch_uid="ops-page-cache-delete")
