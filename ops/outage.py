"""An unreachable Redis, logged once per interval with a count rather than a traceback per call.

django-redis logs every cache call it had to ignore (`IGNORE_EXCEPTIONS`) with a full traceback:
with Redis down, each request makes several calls (page cache, rate limits, downloads), and the
log drowned in thousands of identical tracebacks a minute. This filter, on django-redis's logger,
lets one line through per interval: what failed (the exception's type and message, no traceback)
and how many calls failed since the previous line. The site keeps serving (uncached) meanwhile.
"""

from __future__ import annotations

import logging
import threading
import time

DEFAULT_INTERVAL = 60.0  # seconds


class OncePerInterval(logging.Filter):
    """Lets the first record of each interval through, rewritten to one line with the count of
    records since the last one it let through; drops the others."""

    def __init__(self, name: str = "", interval: float = DEFAULT_INTERVAL):
        super().__init__(name)
        self.interval = float(interval)
        self._lock = threading.Lock()
        self._last: float | None = None
        self._count = 0

    def reset(self) -> None:
        with self._lock:
            self._last, self._count = None, 0

    def filter(self, record: logging.LogRecord) -> bool:
        now = time.monotonic()
        with self._lock:
            self._count += 1
            if self._last is not None and now - self._last < self.interval:
                return False
            count, self._count, self._last = self._count, 0, now
        error = record.exc_info[1] if record.exc_info else None
        cause = getattr(error, "__cause__", None) or error
        reason = f"{type(cause).__name__}: {cause}" if cause is not None else record.getMessage()
        record.msg = "Redis unreachable (%s): %d cache call(s) failed in the last %d s; serving uncached"
        record.args = (reason, count, round(self.interval))
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        return True
