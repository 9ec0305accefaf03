"""Search by meaning over large pools: approximate search through HNSW graphs (a tiny threshold
here), kept in step with changed vectors, saved, restored, rebuilt, and compared with the exact
search. The cross-language search itself is in tests/test_search_semantic.py."""

from __future__ import annotations

import datetime
import logging

import numpy as np
import pytest

from django.test import override_settings

from wagtail.models import Page

from search import embeddings, vectors
from search.models import SearchVector

from .fixtures.database import shared_for_module
from .fixtures.search import MEANING_SEARCH

pytestmark = pytest.mark.usefixtures("meaning_search")


# ------------------------------------------------------------------------------------------------
# Approximate search: HNSW graphs over large pools (a tiny threshold here)
# ------------------------------------------------------------------------------------------------
SYNTHETIC = "synthetic-e5"  # the model name of the synthetic vectors


def clustered_vectors(n: int, seed: int) -> np.ndarray:
    """Unit vectors around 20 centres: neighbours as dense as real cases', unlike random ones."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((20, 384)).astype(np.float32)
    rows = centres[rng.integers(0, 20, n)] + 0.35 * rng.standard_normal((n, 384)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def add_vector_pages(vectors_: np.ndarray, language: str = "en") -> list[int]:
    root = Page.get_first_root_node()
    start = Page.objects.count()
    ids = []
    for n, row in enumerate(vectors_):
        page = root.add_child(instance=Page(title=f"Vector page {start + n}", slug=f"vector-{start + n}"))
        SearchVector.objects.create(
            page_id=page.pk,
            language=language,
            model=SYNTHETIC,
            text_hash="x",
            vector=embeddings.to_bytes(row),
        )
        ids.append(page.pk)
    return ids


@pytest.fixture
def graph_settings(settings, tmp_path):
    settings.SEARCH_VECTOR_APPROXIMATE_FROM = 50
    settings.SEARCH_VECTOR_INDEX_DIR = str(tmp_path / "graphs")
    return tmp_path / "graphs"


def _build_large_pool() -> tuple[list[int], np.ndarray]:
    matrix = clustered_vectors(330, seed=1)
    ids = add_vector_pages(matrix[:300]) + add_vector_pages(matrix[300:], "ko")
    return ids, matrix


@pytest.fixture(scope="module")
def _large_pool_module(request, django_db_setup, django_db_blocker):
    """The 330 pages and vectors, written once for the module (rolled back after it) with meaning
    search on, as `meaning_search` has it for each test."""

    def build():
        with override_settings(**MEANING_SEARCH):
            return _build_large_pool()

    yield from shared_for_module(request, django_db_blocker, "large_pool", build)


@pytest.fixture
def large_pool(_large_pool_module, db, graph_settings):
    """300 English vectors (above the threshold: a graph) and 30 Korean ones (exact)."""
    ids, matrix = _large_pool_module or _build_large_pool()
    return list(ids), matrix.copy()


def ready_index() -> vectors.VectorIndex:
    index = vectors.VectorIndex()
    index.refresh(SYNTHETIC)
    index.wait_for_graphs()
    return index


def exact_answer(
    index: vectors.VectorIndex, query: np.ndarray, language: str = "en"
) -> list[tuple[int, float]]:
    block = embeddings.quantise(query.reshape(1, -1))
    return index._pools[language].nearest(block, vectors.POOL_SIZE, exact=True)[0]


def test_a_large_pool_answers_from_its_graph_like_the_exact_search(large_pool, monkeypatch):
    ids, matrix = large_pool
    index = ready_index()
    english, korean = index._pools["en"], index._pools["ko"]
    assert english.graph is not None and english.graph.index is not None
    assert english.graph.source == "built" and english.graph.rows == 300
    assert korean.graph is None  # 30 rows: below the threshold, exact
    searched: list[int] = []
    real_exact = vectors._exact
    monkeypatch.setattr(vectors, "_exact", lambda m, b, k: searched.append(len(m)) or real_exact(m, b, k))
    rng = np.random.default_rng(5)
    for row in rng.choice(300, size=20, replace=False):
        query = matrix[row] + 0.3 * clustered_vectors(1, seed=int(row))[0]
        query /= np.linalg.norm(query)
        searched.clear()
        found = index.nearest(query, vectors.POOL_SIZE)
        assert searched == [30]  # only the Korean pool was searched row by row
        exact = exact_answer(index, query)
        approximate = found["en"]
        assert len(approximate) == vectors.POOL_SIZE
        assert [s for _p, s in approximate] == sorted((s for _p, s in approximate), reverse=True)
        assert len({p for p, _s in approximate[:10]} & {p for p, _s in exact[:10]}) >= 9
        cosines = dict(exact)
        assert all(abs(cosines[p] - s) < 1e-5 for p, s in approximate if p in cosines)
        assert found["ko"] == exact_answer(index, query, "ko")
        many = index.nearest_many(query.reshape(1, -1), vectors.POOL_SIZE)[0]
        assert many == approximate + found["ko"]


def test_changed_and_added_vectors_are_found_before_the_graph_is_rebuilt(large_pool):
    ids, matrix = large_pool
    index = ready_index()
    graph = index._pools["en"].graph
    moved, old = ids[7], matrix[7]
    elsewhere, added = clustered_vectors(2, seed=99)
    row = SearchVector.objects.get(page_id=moved)
    row.vector = embeddings.to_bytes(elsewhere)
    row.save()
    (new_page,) = add_vector_pages(added.reshape(1, -1))
    index.refresh(SYNTHETIC, wait=False)
    top, cosine = index.nearest(elsewhere, vectors.POOL_SIZE)["en"][0]
    assert top == moved and cosine > 0.99
    assert index.nearest(added, vectors.POOL_SIZE)["en"][0][0] == new_page
    pool = index._pools["en"]
    assert pool.graph is graph and pool.pending is None  # the same snapshot, not rebuilt
    # The moved page's row in the pool (the rows come in the database's order, not the ids').
    (moved_row,) = np.flatnonzero(pool.ids == moved)
    assert graph.dirty == {moved_row} and (graph.rows, len(pool.ids)) == (300, 301)
    # The page's old vector, still in the graph, no longer finds it (its neighbours do).
    hits = index.nearest(old, vectors.POOL_SIZE)["en"]
    assert moved not in [p for p, _s in hits[:10]] and hits[0][1] > 0.8
    assert all(s < 0.5 for p, s in hits if p == moved)
    assert index.nearest_many(elsewhere.reshape(1, -1), 1)[0][0][0] == moved


def test_a_graph_saved_by_one_process_is_restored_by_the_next(large_pool, graph_settings, monkeypatch):
    ids, matrix = large_pool
    first = ready_index()
    saved = sorted(path.name for path in graph_settings.iterdir() if path.suffix in (".usearch", ".b2"))
    assert len(saved) == 2 and first._pools["en"].graph.source == "built"

    def no_build(matrix):
        raise AssertionError("built instead of restored")

    monkeypatch.setattr(vectors, "_build_hnsw", no_build)
    second = ready_index()
    assert second._pools["en"].graph.source == "restored"
    query = matrix[11]
    assert second.nearest(query, vectors.POOL_SIZE) == first.nearest(query, vectors.POOL_SIZE)
    # Other rows, another file; the old one is removed once the new one is saved.
    monkeypatch.undo()
    (graph_settings / f"{saved[0]}.123.456.part").write_bytes(b"left by a killed process")
    SearchVector.objects.filter(page_id=ids[0]).delete()
    second.refresh(SYNTHETIC, wait=False)  # a deletion: everything reloaded, a new snapshot
    second.wait_for_graphs()
    assert second._pools["en"].graph.source == "built" and second._pools["en"].graph.rows == 299
    now = sorted(path.name for path in graph_settings.iterdir() if path.suffix != ".lock")
    assert len(now) == 2 and not set(now) & set(saved)


def test_a_corrupt_graph_file_is_rebuilt_with_exact_search_meanwhile(large_pool, graph_settings, caplog):
    ids, matrix = large_pool
    ready_index()
    (path,) = graph_settings.glob("*.usearch")
    path.write_bytes(path.read_bytes()[:1000] + b"\0" * 5000)  # truncated, checksum wrong
    with caplog.at_level(logging.WARNING, logger="search"):
        index = ready_index()
    assert any("unreadable" in record.getMessage() for record in caplog.records)
    assert index._pools["en"].graph.source == "built"
    assert index.nearest(matrix[3], 1)["en"][0][0] == ids[3]
    assert vectors._restore_hnsw(path, index._pools["en"].matrix) is not None  # written again


def test_a_failing_build_leaves_the_pool_on_exact_search(large_pool, monkeypatch, caplog):
    ids, matrix = large_pool

    def broken(matrix):
        raise RuntimeError("usearch failed")

    monkeypatch.setattr(vectors, "_build_hnsw", broken)
    with caplog.at_level(logging.WARNING, logger="search"):
        index = ready_index()
    graph = index._pools["en"].graph
    assert graph.failed and graph.index is None
    assert any("exact search stays" in record.getMessage() for record in caplog.records)
    assert index.nearest(matrix[3], vectors.POOL_SIZE)["en"] == exact_answer(index, matrix[3])
    index.refresh(SYNTHETIC, wait=False)
    assert index._pools["en"].graph is graph  # no retry on every refresh


def test_an_unsaved_graph_still_serves_this_process(large_pool, graph_settings, monkeypatch, caplog):
    ids, matrix = large_pool

    def disk_full(index, path):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(vectors, "_save_hnsw", disk_full)
    with caplog.at_level(logging.WARNING, logger="search"):
        index = ready_index()
    assert any("not saved" in record.getMessage() for record in caplog.records)
    assert index._pools["en"].graph.index is not None
    assert not list(graph_settings.glob("*.usearch"))
    assert index.nearest(matrix[3], 1)["en"][0][0] == ids[3]


def test_no_query_waits_for_a_graph(large_pool, monkeypatch):
    import threading

    ids, matrix = large_pool
    release = threading.Event()
    real_build = vectors._build_hnsw

    def slow_build(matrix):
        assert release.wait(30)
        return real_build(matrix)

    monkeypatch.setattr(vectors, "_build_hnsw", slow_build)
    index = vectors.VectorIndex()
    index.refresh(SYNTHETIC)  # returns while the graph is being built
    assert index._pools["en"].graph.index is None
    assert index.nearest(matrix[5], vectors.POOL_SIZE)["en"] == exact_answer(index, matrix[5])
    release.set()
    index.wait_for_graphs()
    assert index._pools["en"].graph.index is not None


def test_many_changes_start_a_new_graph(large_pool, monkeypatch):
    ids, matrix = large_pool
    monkeypatch.setattr(vectors, "REBUILD_MIN_ROWS", 10)
    index = ready_index()
    graph = index._pools["en"].graph
    add_vector_pages(clustered_vectors(20, seed=3))  # 20 of 320 rows: over 5%
    index.refresh(SYNTHETIC, wait=False)
    index.wait_for_graphs()
    pool = index._pools["en"]
    assert pool.graph is not graph and pool.pending is None
    assert pool.graph.rows == 320 and not pool.graph.dirty


def test_in_a_request_vectors_another_process_wrote_are_used_at_once(large_pool):
    """Inside a request the version token is compared on every search, not every REFRESH_INTERVAL
    seconds; and the write is applied even though its row is older than the newest one (its
    transaction began before another's that committed first): the aggregate alone cannot see it."""
    from django.db.models import Max

    from search import versions

    ids, _matrix = large_pool
    index = ready_index()
    elsewhere = clustered_vectors(1, seed=77)[0]
    newest = SearchVector.objects.aggregate(t=Max("updated_at"))["t"]
    SearchVector.objects.filter(page_id=ids[3]).update(
        vector=embeddings.to_bytes(elsewhere), updated_at=newest - datetime.timedelta(seconds=1)
    )
    versions.write_token(vectors.VECTORS_KEY)  # what the other process's write did
    index.refresh(SYNTHETIC)  # outside a request: not checked again yet
    assert index.nearest(elsewhere, 1)["en"][0][0] != ids[3]
    versions.request_started()
    try:
        index.refresh(SYNTHETIC)
        assert index.nearest(elsewhere, 1)["en"][0][0] == ids[3]
    finally:
        versions.request_finished()


def test_the_recall_benchmark_compares_both_searches(large_pool):
    from bench.vectors import recall_report

    report = recall_report(ready_index(), sample=30, seed=1)
    assert report["en"]["graph"] == "built" and report["en"]["recall"] >= 0.9
    assert report["ko"]["graph"] == "exact" and report["ko"]["recall"] == 1.0
    assert report["en"]["exact_ms"] > 0 and report["en"]["approximate_ms"] > 0
