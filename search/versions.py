"""In-process caches of data that lives in the database, and the token that tells them to reload.

Why: the synonym table and the spelling vocabulary are read on every search, so each process
keeps them in memory. A change writes a new random token into `SearchIndexState` (in the
writer's transaction); a process compares its token with the database's at most every
`interval` seconds, so a search costs no database round trip in the common case and another
worker sees a change within seconds. The process that made the change (signals, index writes)
reloads at once. A random token, not a counter: a rolled-back change cannot leave a process
believing it holds the data of a token the database later reuses.
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

    def get(self) -> T:
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
