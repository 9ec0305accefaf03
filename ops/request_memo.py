"""Values computed at most once per request: what several parts of one page ask for alike.

A page asks the same question several times (which pages are under a view restriction: each
"public now" query of a case page, five of them; the home page of the visitor's language: the
logo link and the menu). `remember(key, compute)` answers the first call of a request with
`compute()` and the later ones with that value; the values are forgotten when the request
starts and when it finishes, so nothing outlives the request (no state kept per process or host:
docs/scaling.md). Outside a request (commands, the background worker, tests without the client)
nothing is kept: `compute()` runs on every call.

A write that would change a remembered value in the middle of a request (an admin view that
adds a view restriction, then lists pages) calls `forget(key)`: the caller that owns the key
connects the model's signals to it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

# Per thread, as gunicorn's threads each serve one request: None outside requests.
_local = threading.local()


def remember(key: str, compute: Callable[[], T]) -> T:
    """`compute()`, once per request under `key` (every time outside requests)."""
    store = getattr(_local, "store", None)
    if store is None:
        return compute()
    try:
        return store[key]
    except KeyError:
        value = store[key] = compute()
        return value


def peek(key: str, default=None):
    """The value remembered under `key` in this request, or `default`."""
    store = getattr(_local, "store", None)
    return default if store is None else store.get(key, default)


def forget(key: str) -> None:
    """The value of `key` is computed again at its next use in this request."""
    store = getattr(_local, "store", None)
    if store is not None:
        store.pop(key, None)


def request_started(**kwargs) -> None:
    _local.store = {}


def request_finished(**kwargs) -> None:
    _local.store = None


def connect_signals() -> None:
    from django.core.signals import request_finished as finished
    from django.core.signals import request_started as started

    started.connect(request_started, dispatch_uid="ops.request_memo.started")
    finished.connect(request_finished, dispatch_uid="ops.request_memo.finished")
