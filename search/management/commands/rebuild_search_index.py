"""Rebuild the search index from the database, with a progress bar on stderr."""

from __future__ import annotations

import sys
import time

from django.core.management.base import BaseCommand, CommandError

from search import service


class ProgressBar:
    """A one-line text progress bar; redrawn in place on a terminal, sparse lines otherwise."""

    def __init__(self, stream, label: str, width: int = 30):
        self.stream = stream
        self.label = label
        self.width = width
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
        line = (
            f"{self.label} [{'#' * filled}{'.' * (self.width - filled)}] {percent:3d}% "
            f"{done}/{total} pages, {rate:.0f}/s"
        )
        self.stream.write(("\r" + line) if self.tty else (line + "\n"))
        self.stream.flush()

    def finish(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


class Command(BaseCommand):
    help = "Rebuild the search index (database, and Elasticsearch when configured) from the pages."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500, help="pages per batch (default 500)")
        parser.add_argument(
            "--backend",
            choices=["all", "database", "elasticsearch"],
            default="all",
            help="which index to rebuild (default: the database index and the active backend)",
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, batch_size, backend, no_progress, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        stream = self.stderr._out if hasattr(self.stderr, "_out") else sys.stderr
        bars: list[ProgressBar] = []

        def progress(done, total):
            if no_progress:
                return
            if not bars or (done == 0 and bars[-1].last_percent >= 0):
                if bars:
                    bars[-1].finish()
                bars.append(ProgressBar(stream, "Indexing"))
            bars[-1](done, total)

        started = time.monotonic()
        counts = service.rebuild(progress=progress, batch_size=batch_size, backends=backend)
        if bars:
            bars[-1].finish()
        elapsed = time.monotonic() - started
        for name, count in counts.items():
            self.stdout.write(f"{name}: {count} pages indexed")
        self.stdout.write(f"done in {elapsed:.1f} s")
