"""In-process caches of data that lives in the database, and the token that tells them to reload.

Why: the synonym table and the spelling vocabulary are read on every search, so each process
keeps them in memory. A change writes a new random token into `SearchIndexState` (in the
writer's transaction). The process that made the change (signals, index writes) reloads at once;
every other process (another worker, another host) compares its tokens with the database's:

- inside a request, once per request, at the first use of any of them (one query reading every
  token): a page rendered after a change committed never uses the old data. Checked only every few
  seconds, a search page rendered in between with the old vocabulary would be kept by the shared
  page cache (ops.cache) for its whole timeout, on every host, after the publish had emptied it;
- outside requests (the background worker, commands), at most every `interval` seconds.

A random token, not a counter: a rolled-back change cannot leave a process believing it holds the
data of a token the database later reuses.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")


# The tokens as the current request read them: absent outside requests, None in a request that has
# not read them yet, else key -> token. Per thread, as gunicorn's threads each serve one request.
_request = threading.local()
_keys: set[str] = set()  # what a request reads in its one query (watch())


def watch(key: str) -> None:
    """Read `key` with the request's other tokens (request_tokens())."""
    _keys.add(key)


def request_started(**kwargs) -> None:
    """A request begins (Django's request_started): its first use of a cache reads the tokens."""
    _request.tokens = None


def request_finished(**kwargs) -> None:
    _request.__dict__.pop("tokens", None)


def request_tokens() -> dict[str, str] | None:
    """key -> token as read once in this request (None outside requests)."""
    if "tokens" not in _request.__dict__:
        return None
    tokens = _request.tokens
    if tokens is None:
        from search.models import SearchIndexState

        rows = SearchIndexState.objects.filter(key__in=sorted(_keys)).values_list("key", "value")
        tokens = _request.tokens = dict(rows)
    return tokens


def read_token(key: str, using: str = "default") -> str:
    from search.models import SearchIndexState

    return SearchIndexState.objects.using(using).filter(key=key).values_list("value", flat=True).first() or ""


def write_token(key: str, using: str = "default") -> str:
    from search.models import SearchIndexState

    token = secrets.token_hex(8)
    SearchIndexState.objects.using(using).update_or_create(key=key, defaults={"value": token})
    return token


class VersionedCache(Generic[T]):
    """`get()` returns `load()`'s value, loaded again when the database token changed."""

    def __init__(self, key: str, load: Callable[[], T], interval: float = 5.0):
        self.key = key
        self.load = load
        self.interval = interval
        self._lock = threading.Lock()
        self._value: T | None = None
        self._token: str | None = None
        self._checked = 0.0
        self._dirty = True
        watch(key)

    def get(self) -> T:
        tokens = request_tokens()
        if tokens is not None:
            return self._get_in_request(tokens)
        now = time.monotonic()
        value = self._value
        if value is not None and not self._dirty and now - self._checked < self.interval:
            return value
        with self._lock:
            if self._value is not None and not self._dirty and now - self._checked < self.interval:
                return self._value
            token = read_token(self.key)  # before the data: a change in between reloads next time
            if self._value is None or self._dirty or token != self._token:
                self._value = self.load()
                self._token = token
            self._checked = time.monotonic()
            self._dirty = False
            return self._value

    def _get_in_request(self, tokens: dict[str, str]) -> T:
        """The data as of this request's tokens (read before the data: a change committed in between
        reloads again at the next request)."""
        token = tokens.get(self.key, "")
        value = self._value
        if value is not None and not self._dirty and token == self._token:
            return value
        with self._lock:
            if self._value is None or self._dirty or token != self._token:
                if self._dirty:  # changed by this request: its snapshot is older than the change
                    token = tokens[self.key] = read_token(self.key)
                self._value = self.load()
                self._token = token
                self._dirty = False
            self._checked = time.monotonic()
            return self._value

    def changed(self, using: str = "default") -> None:
        """Data changed in this process (inside the caller's transaction): tell every process."""
        write_token(self.key, using)
        self._dirty = True

    def changed_safely(self, using: str = "default") -> None:
        """`changed()` from a signal: an edit must not fail because the token could not be written
        (this process then reloads on next use; others at their next check)."""
        try:
            self.changed(using)
        except Exception:  # noqa: BLE001
            logger.exception("search: could not record a change of %s", self.key)
            self.invalidate()

    def invalidate(self) -> None:
        """Reload on next use (tests; after a rollback this process cannot otherwise notice)."""
        self._dirty = True
        self._value = None
