"""One text progress bar for the management commands (the importer and the search index rebuild).

On a terminal it redraws one line in place; elsewhere (logs, CI, a pipe) it writes a line every 10 %
and the last one, so a log is not flooded.
"""

from __future__ import annotations

import time
from typing import TextIO

from django.core.management.base import OutputWrapper


class ProgressBar:
    """Call it with (done, total); finish() ends the terminal line.

    The stream is a command's own `self.stderr` (an OutputWrapper: what call_command(stderr=...) was
    given, or the real stderr) or any text stream with write() and flush().
    """

    def __init__(self, stream: OutputWrapper | TextIO, label: str = "", width: int = 30, unit: str = "pages"):
        self.stream = stream
        self.label = label
        self.width = width
        self.unit = unit
        self.started = time.monotonic()
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.last_percent = -1

    def __call__(self, done: int, total: int) -> None:
        percent = 100 if total <= 0 else min(100, done * 100 // total)
        if not self.tty and percent < 100 and percent - self.last_percent < 10 and done:
            return
        self.last_percent = percent
        filled = self.width * percent // 100
        elapsed = time.monotonic() - self.started
        rate = done / elapsed if elapsed > 0 else 0.0
        label = f"{self.label} " if self.label else ""
        line = (
            f"{label}[{'#' * filled}{'.' * (self.width - filled)}] {percent:3d}% "
            f"{done}/{total} {self.unit}, {rate:.0f} {self.unit}/s"
        )
        self._write(("\r" + line) if self.tty else (line + "\n"))

    def finish(self) -> None:
        if self.tty and self.last_percent >= 0:
            self._write("\n")

    def _write(self, text: str) -> None:
        if isinstance(self.stream, OutputWrapper):
            # As written: no ending added, and not coloured as an error (a command's stderr style).
            self.stream.write(text, style_func=str, ending="")
        else:
            self.stream.write(text)
        self.stream.flush()
