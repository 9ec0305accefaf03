"""Rebuild the search index from the database, with a progress bar on stderr."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from ops.progress import ProgressBar
from search import service


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
        parser.add_argument(
            "--vectors",
            choices=["now", "queue", "skip"],
            default="now",
            help=(
                "meaning vectors of the pages lacking a current one: computed here in batches "
                "(default; an interrupted run resumes where it stopped), left to the background "
                "worker, or skipped"
            ),
        )
        parser.add_argument("--vector-batch-size", type=int, default=32, help="passages per embedding batch")

    def handle(self, *args, batch_size, backend, no_progress, vectors, vector_batch_size, **options):
        if batch_size < 1 or vector_batch_size < 1:
            raise CommandError("--batch-size and --vector-batch-size must be at least 1")
        stream = self.stderr
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
        for name, count in counts.items():
            self.stdout.write(f"{name}: {count} pages indexed")
        self._vectors(vectors, vector_batch_size, stream, no_progress)
        self.stdout.write(f"done in {time.monotonic() - started:.1f} s")

    def _vectors(self, mode: str, batch_size: int, stream, no_progress: bool) -> None:
        from search import embeddings
        from search import vectors as vector_store
        from search.tasks import copy_vectors_to_other_backend, embed_backlog_task

        if mode == "skip" or not embeddings.semantic_enabled():
            return
        try:
            if mode == "queue":
                waiting = vector_store.backlog_count()
                embed_backlog_task.enqueue(limit=max(waiting or 0, 1))
                self.stdout.write(f"vectors: {waiting} pages queued for the background worker")
                return
            bar = None if no_progress else ProgressBar(stream, "Vectors", unit="pages")
            started = time.monotonic()
            pending = list(vector_store.backlog_queryset().distinct())
            written = vector_store.embed_backlog(batch_size=batch_size, progress=bar)
            copy_vectors_to_other_backend(pending)
            if bar is not None:
                bar.finish()
            self.stdout.write(f"vectors: {written} pages embedded in {time.monotonic() - started:.1f} s")
        except embeddings.EmbedderUnavailable as exc:
            self.stderr.write(f"vectors: not computed ({exc}); search answers by words until they are")
