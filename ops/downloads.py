"""Generated downloads kept as files, one folder per content generation, and streamed from there.

A full download of 10,000 cases is tens of megabytes and about 6 s of CPU: too big for the page
cache (kept in memory or Redis), and ten concurrent requests for it took up to 58 s when each made
its own. Here the first request writes the file (others asking for the same one meanwhile wait for
it instead of making it again: a lock file), and every request streams it from disk in blocks.

The folder of a file is named after the content generation of the page cache (`ops.cache`), which
changes whenever content is published, unpublished, moved or deleted: a new generation starts a
new folder (old ones are deleted once unused), so a download never outlives the content it shows. With
the page cache off (`PAGE_CACHE_SECONDS=0`) or unreachable there is no generation: downloads are
streamed as they are made, as before. Files live in `CAC_DOWNLOAD_CACHE_DIR` (env
`DOWNLOAD_CACHE_DIR`), one per host; at most `MAX_FILES` per generation (distinct selections beyond
that are streamed without being kept), so that many different queries cannot fill the disk.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from django.conf import settings

from .cache import content_generation

logger = logging.getLogger(__name__)

BLOCK_SIZE = 64 * 1024
MAX_FILES = 500
FORGET_AFTER = 600  # seconds


def cache_dir() -> Path:
    configured = getattr(settings, "CAC_DOWNLOAD_CACHE_DIR", "")
    return Path(configured) if configured else Path(tempfile.gettempdir()) / "cac-downloads"


def _encoded(chunks: Iterable[str]) -> Iterator[bytes]:
    for chunk in chunks:
        yield chunk.encode()


def _blocks(file) -> Iterator[bytes]:
    with file:
        while block := file.read(BLOCK_SIZE):
            yield block


def _forget_other_generations(root: Path, keep: str) -> None:
    """Folders of other generations that nothing was written to for `FORGET_AFTER` seconds go (a
    file being streamed from one stays readable until closed). Not at once: with the local-memory
    cache each worker process has its own generation, and would delete the others' files."""
    now = time.time()
    for folder in root.iterdir():
        try:
            if folder.name != keep and folder.is_dir() and now - folder.stat().st_mtime > FORGET_AFTER:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:  # another worker removed it first
            continue


def kept_download(name: str, produce: Callable[[], Iterable[str]]) -> Iterator[bytes]:
    """The download `name` (a file name, unique per selection, format, language and day) as bytes:
    from its file when this content generation has it, else made by `produce()` (text chunks),
    written to the file and streamed from it."""
    generation = content_generation()
    if generation is None:
        return _encoded(produce())
    return _from_file(name, generation, produce)


def _from_file(name: str, generation: str, produce: Callable[[], Iterable[str]]) -> Iterator[bytes]:
    folder = cache_dir() / generation
    path = folder / name
    try:
        return _blocks(path.open("rb"))
    except FileNotFoundError:
        pass
    try:
        new = not folder.exists()
        folder.mkdir(parents=True, exist_ok=True)
        if new:
            _forget_other_generations(folder.parent, generation)
        lock = (folder / f".{name}.lock").open("a")
    except OSError:
        logger.warning("download cache folder %s unusable: streaming without keeping", folder, exc_info=True)
        return _encoded(produce())
    return _write_then_stream(path, lock, generation, produce)


def _write_then_stream(path: Path, lock, generation: str, produce) -> Iterator[bytes]:
    with lock:
        # Another request (any worker on this host) writing the same file: wait for it.
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            kept = path.open("rb")
        except FileNotFoundError:
            kept = None
        if kept is None:
            if len(os.listdir(path.parent)) >= 2 * MAX_FILES:  # a file and its lock each
                yield from _encoded(produce())
                return
            written = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed by _blocks
                dir=path.parent, prefix=".", suffix=".part", delete=False
            )
            try:
                for chunk in produce():
                    written.write(chunk.encode())
                written.flush()
            except BaseException:
                written.close()
                Path(written.name).unlink(missing_ok=True)
                raise
            try:
                if content_generation() == generation:  # nothing was published meanwhile
                    os.replace(written.name, path)
                else:
                    os.unlink(written.name)
            except OSError:  # the generation's folder went meanwhile: serve it all the same
                Path(written.name).unlink(missing_ok=True)
            written.seek(0)
            kept = written
    yield from _blocks(kept)
