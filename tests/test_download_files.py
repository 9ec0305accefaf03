"""Downloads kept as files per content generation and streamed from them (issue 13, item 13).

Full downloads at 10,000 cases were over the 4-million-character cap of the page cache, so they
were made again for every request (about 6 s of CPU each; 10 concurrent JSON downloads took up to
58 s). Now the first request writes the file, concurrent ones wait for it, all stream it."""

from __future__ import annotations

import os
import threading
import time

import pytest

from django.core.cache import caches

from ops import downloads
from ops.cache import clear_page_cache, content_generation


@pytest.fixture
def kept(settings, tmp_path):
    """The page cache on (a content generation exists) and the download folder in tmp_path."""
    settings.CAC_PAGE_CACHE_SECONDS = 300
    settings.CAC_DOWNLOAD_CACHE_DIR = str(tmp_path)
    caches["pages"].clear()
    yield tmp_path
    caches["pages"].clear()


def read(stream) -> str:
    return b"".join(stream).decode()


def files(root) -> list[str]:
    return sorted(p.name for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))


class Producer:
    """Counts how often the download is made; optional pause per chunk."""

    def __init__(self, chunks: list[str], pause: float = 0.0, on_chunk=None):
        self.chunks, self.pause, self.on_chunk, self.calls = chunks, pause, on_chunk, 0
        self._lock = threading.Lock()

    def __call__(self):
        with self._lock:
            self.calls += 1
        for n, chunk in enumerate(self.chunks):
            if self.pause:
                time.sleep(self.pause)
            if self.on_chunk:
                self.on_chunk(n)
            yield chunk


def test_a_download_above_the_old_four_million_character_cap_is_made_once(kept):
    big = ["ü" * 100_000 + "\n"] * 45  # 4.5 million characters, 9 MB of UTF-8
    produce = Producer(big)
    first = read(downloads.kept_download("all.json", produce))
    second = read(downloads.kept_download("all.json", produce))
    assert first == second == "".join(big)
    assert produce.calls == 1
    assert files(kept) == ["all.json"]


def test_concurrent_requests_wait_for_the_one_writing(kept):
    produce = Producer([f"row {n}\n" for n in range(20)], pause=0.02)
    results: list[str] = []

    def fetch():
        results.append(read(downloads.kept_download("cases.csv", produce)))

    threads = [threading.Thread(target=fetch) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert produce.calls == 1
    assert len(results) == 10 and len(set(results)) == 1


def test_a_publish_starts_a_new_generation(kept):
    assert read(downloads.kept_download("cases.csv", Producer(["old\n"]))) == "old\n"
    old_generation = content_generation()
    clear_page_cache()  # what every publish, unpublish, move or delete does after its commit
    assert content_generation() != old_generation
    assert read(downloads.kept_download("cases.csv", Producer(["new\n"]))) == "new\n"
    assert {p.name for p in kept.iterdir()} == {old_generation, content_generation()}
    # Old generations' folders go once nothing has been written to them for a while.
    old = kept / old_generation
    past = time.time() - downloads.FORGET_AFTER - 1
    os.utime(old, (past, past))
    clear_page_cache()
    read(downloads.kept_download("cases.csv", Producer(["newer\n"])))
    assert not old.exists()


def test_a_file_written_while_content_changed_is_sent_but_not_kept(kept):
    produce = Producer(["a\n", "b\n", "c\n"], on_chunk=lambda n: n == 1 and clear_page_cache())
    assert read(downloads.kept_download("cases.csv", produce)) == "a\nb\nc\n"
    assert files(kept) == []
    assert read(downloads.kept_download("cases.csv", produce)) == "a\nb\nc\n"
    assert produce.calls == 2


def test_a_failure_while_writing_keeps_nothing(kept):
    def broken():
        yield "a\n"
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        read(downloads.kept_download("cases.csv", broken))
    assert [p for p in kept.rglob("*") if p.is_file() and not p.name.endswith(".lock")] == []
    assert read(downloads.kept_download("cases.csv", Producer(["ok\n"]))) == "ok\n"


def test_at_most_max_files_selections_are_kept(kept, monkeypatch):
    monkeypatch.setattr(downloads, "MAX_FILES", 3)
    for n in range(5):
        assert read(downloads.kept_download(f"q{n}.csv", Producer([f"{n}\n"]))) == f"{n}\n"
    assert len(files(kept)) == 3


def test_without_the_page_cache_nothing_is_written(settings, tmp_path):
    settings.CAC_PAGE_CACHE_SECONDS = 0
    settings.CAC_DOWNLOAD_CACHE_DIR = str(tmp_path)
    produce = Producer(["x\n"])
    assert read(downloads.kept_download("cases.csv", produce)) == "x\n"
    assert read(downloads.kept_download("cases.csv", produce)) == "x\n"
    assert produce.calls == 2
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fmt", ["csv", "json", "jsonl"])
def test_the_download_views_stream_the_kept_file(
    client, opendata_cases, opendata_no_ratelimit, kept, monkeypatch, fmt
):
    from opendata import exports

    made = []
    original = exports.iter_rows
    monkeypatch.setattr(exports, "iter_rows", lambda *a, **k: made.append(1) or original(*a, **k))
    first = client.get(f"/en/data/cases.{fmt}")
    body = b"".join(first.streaming_content)
    second = client.get(f"/en/data/cases.{fmt}")
    assert first.streaming and second.streaming
    assert b"".join(second.streaming_content) == body
    assert made == [1]
    assert second["Content-Disposition"] == first["Content-Disposition"]
    assert files(kept) and all(name.endswith(f".{fmt}") for name in files(kept))
