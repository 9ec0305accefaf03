"""Where the meaning vectors live, and how a query finds its nearest pages.

Vectors are stored in the database (`SearchVector`, int8, one row per page: the embedded default
and PostgreSQL alike, no extension needed) and held in each process as one int8 matrix per
content language (100,000 cases: 38 MB).

Search: a pool below `APPROXIMATE_FROM` rows (20,000; setting SEARCH_VECTOR_APPROXIMATE_FROM) is
searched exactly (usearch's int8 kernels, every row; docs/benchmarks.md). A larger pool gets an
HNSW graph (usearch, keys = row numbers): 0.2 ms instead of 16 ms per query at 100,000 rows,
recall@40 0.996 against the exact search (bench/vectors.py recall). The graph is a snapshot:
rows written in place since (marked dirty) and rows appended after it are searched exactly and
merged with the graph's answer (over-fetched by the number of dirty rows, which are dropped
from it), so a changed vector is found at once; a full reload, or 5% of the pool changed, starts
a new snapshot. Graphs are built in a background thread (exact search until ready) and saved in
SEARCH_VECTOR_INDEX_DIR (default <tmp>/cac-vectors) under a digest of the pool's ids and rows:
another process with the same rows memory-maps the file instead of building (gunicorn workers
share its pages). Any failure logs a warning and leaves the pool on exact search.

Language bias: multilingual-e5 scores a Korean query higher against loosely related Korean text
than against the closely matching English text. Each content language is therefore ranked as its
own candidate pool and the pools are fused by rank (reciprocal rank fusion), so the best English
case for a Korean query stands beside the best Korean one.

The matrices are refreshed when the table changes (checked at most every
`REFRESH_INTERVAL` seconds with one indexed aggregate): rows changed since the last look are
applied in place; a deletion reloads everything. Inside a request the version token that every
write of vectors sets (`VECTORS_KEY`, search.versions) is compared on each search as well, with the
other tokens' one query: a search page rendered after the worker wrote vectors (on any host) uses
them, as the page cache keeps what it shows, and an in-place write whose transaction began before
a later row's committed (and so left the aggregate unchanged) is still applied. Rows are re-read
with a `CHANGE_OVERLAP` margin on their `updated_at`, set by the writing worker's clock: worker
hosts' clocks must agree within it (NTP).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import numpy as np
from usearch.index import BatchMatches, Index, MetricKind
from usearch.index import search as exact_search

from django.db import transaction
from django.db.models import F

from ops.cache import clear_page_cache_on_commit
from search import embeddings, versions
from search.documents import IndexedDocument, build_documents
from search.embeddings import EmbedderUnavailable

logger = logging.getLogger(__name__)

REFRESH_INTERVAL = 2.0  # seconds between two checks for new vectors
CHANGE_OVERLAP = timedelta(seconds=10)  # rows re-read before the newest seen (late commits, clocks)
VECTORS_KEY = "vectors"  # version token of the vectors table (search.versions)
versions.watch(VECTORS_KEY)
CHUNK_ROWS = 16_384  # rows converted from int8 per step of the product (6 MB of float32)
NEIGHBOURS_STORED = 12
# Candidates per content-language pool, and how close a page must be to count as a result:
# within RELATIVE_MARGIN of the pool's best and above ABSOLUTE_FLOOR (cosine). Chosen on the
# judged query set (bench/relevance.py); see search/README.md.
POOL_SIZE = 40
RELATIVE_MARGIN = 0.05
ABSOLUTE_FLOOR = 0.75
RRF_K = 60
# A pool of the other language weighs more: its best pages otherwise lose to pages of the query's
# language that also match a word or two (bench/relevance.py, cross-language classes).
CROSS_LANGUAGE_WEIGHT = 1.5
# Approximate search (HNSW graph) for a pool of at least this many rows (setting
# SEARCH_VECTOR_APPROXIMATE_FROM): below it an exact search costs under 4 ms.
APPROXIMATE_FROM = 20_000
HNSW_CONNECTIVITY = 16
HNSW_EXPANSION = 128  # candidates explored when adding and when searching
# A new graph is built once this share of a pool (and at least REBUILD_MIN_ROWS rows) has been
# written or appended since its snapshot: those rows are searched exactly until then.
REBUILD_SHARE = 0.05
REBUILD_MIN_ROWS = 1_000
BUILD_THREADS = max(1, (os.cpu_count() or 2) // 2)  # leave the other cores to the requests


def embedding_text(document: IndexedDocument) -> str:
    """What is embedded for a page: title, summary and measure-type names (not the long body:
    cost grows with length, and the summary states what was done)."""
    parts = [document.title, document.summary, ", ".join(document.topic_names)]
    return "\n".join(part.strip() for part in parts if part and part.strip())


def text_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def approximate_from() -> int:
    from django.conf import settings

    return int(getattr(settings, "SEARCH_VECTOR_APPROXIMATE_FROM", APPROXIMATE_FROM))


def index_dir() -> Path | None:
    """Where graphs are saved for other processes (setting SEARCH_VECTOR_INDEX_DIR; "" saves none)."""
    from django.conf import settings

    configured = getattr(settings, "SEARCH_VECTOR_INDEX_DIR", None)
    if configured is None:
        return Path(tempfile.gettempdir()) / "cac-vectors"
    return Path(configured) if configured else None


class _Graph:
    """An HNSW index over rows [0, rows) of a pool as they were when its snapshot was taken.

    Rows written in place since then are `dirty`: the graph may hold their old vector, so they
    are searched exactly, like the rows appended after `rows`."""

    def __init__(self, rows: int):
        self.rows = rows
        self.dirty: frozenset[int] = frozenset()  # replaced, never mutated: readers need no lock
        self.index: Index | None = None  # set once built or restored, the last step
        self.source = ""  # "built" or "restored"
        self.failed = False

    def mark(self, rows: Iterable[int]) -> None:
        changed = {row for row in rows if row < self.rows}
        if not changed <= self.dirty:
            self.dirty = self.dirty | changed


def _exact(matrix: np.ndarray, block: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Row numbers and cosine distances of the k closest rows of `matrix`, one row per query."""
    matches = exact_search(matrix, block, k, MetricKind.Cos, exact=True, threads=1)
    shape = (len(block), -1)
    return np.asarray(matches.keys).reshape(shape), np.asarray(matches.distances).reshape(shape)


@dataclass
class _Pool:
    ids: np.ndarray  # int64 page ids
    matrix: np.ndarray  # int8, one row per id
    graph: _Graph | None = None  # answers once its index is ready
    pending: _Graph | None = None  # a newer snapshot being built (or failed: no retry)

    def __post_init__(self) -> None:
        # Page id -> row by binary search: a dict of 200,000 entries would cost ~30 MB.
        self._order = np.argsort(self.ids, kind="stable")
        self._sorted = self.ids[self._order]

    def row_of(self, page_id: int) -> int | None:
        i = int(np.searchsorted(self._sorted, page_id))
        if i < len(self._sorted) and self._sorted[i] == page_id:
            return int(self._order[i])
        return None

    def similarities(self, query: np.ndarray) -> np.ndarray:
        out = np.empty(len(self.ids), dtype=np.float32)
        for start in range(0, len(self.ids), CHUNK_ROWS):
            block = self.matrix[start : start + CHUNK_ROWS].astype(np.float32)
            out[start : start + CHUNK_ROWS] = block @ query
        return out / embeddings.QUANT_SCALE

    def stale_rows(self, graph: _Graph) -> int:
        return len(graph.dirty) + len(self.ids) - graph.rows

    def nearest(self, block: np.ndarray, k: int, exact: bool = False) -> list[list[tuple[int, float]]]:
        """For each int8 query row, the k closest pages as (page id, cosine), best first: from the
        graph when it is ready, merged with an exact search of the rows it does not know."""
        k = min(k, len(self.ids))
        graph = self.graph
        index = graph.index if graph is not None else None
        if exact or index is None or len(graph.dirty) > graph.rows // 4:
            keys, distances = _exact(self.matrix, block, k)
            return [
                [(int(self.ids[key]), 1.0 - float(d)) for key, d in zip(keys[r], distances[r], strict=True)]
                for r in range(len(block))
            ]
        dirty = graph.dirty  # one consistent set for this search
        extra = np.concatenate(
            [np.fromiter(sorted(dirty), np.int64, len(dirty)), np.arange(graph.rows, len(self.ids))]
        )
        matches = index.search(block, min(k + len(dirty), graph.rows), threads=1)
        keys = np.asarray(matches.keys).reshape(len(block), -1)
        distances = np.asarray(matches.distances).reshape(len(block), -1)
        counts = matches.counts if isinstance(matches, BatchMatches) else [len(matches.keys)]
        if len(extra):
            extra_keys, extra_distances = _exact(self.matrix[extra], block, min(k, len(extra)))
            extra_keys = extra[extra_keys]
        found = []
        for r in range(len(block)):
            n = int(counts[r])
            hits = [
                (d, key)
                for key, d in zip(keys[r, :n].tolist(), distances[r, :n].tolist(), strict=True)
                if key not in dirty
            ]
            if len(extra):
                hits.extend(zip(extra_distances[r].tolist(), extra_keys[r].tolist(), strict=True))
            hits.sort()
            found.append([(int(self.ids[key]), 1.0 - d) for d, key in hits[:k]])
        return found


# --------------------------------------------------------------------------------------------
# HNSW graphs: built in the background, saved for the other processes
# --------------------------------------------------------------------------------------------
def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text)


def _digest(ids: np.ndarray, matrix: np.ndarray) -> str:
    """The pool's contents and the graph's parameters (blake2b: ~45 ms for 100,000 rows)."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"hnsw {HNSW_CONNECTIVITY} {HNSW_EXPANSION} {matrix.shape}".encode())
    digest.update(np.ascontiguousarray(ids, dtype=np.int64).data)
    digest.update(np.ascontiguousarray(matrix).data)
    return digest.hexdigest()


def _file_digest(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, lambda: hashlib.blake2b(digest_size=16)).hexdigest()


def _build_hnsw(matrix: np.ndarray) -> Index:
    index = Index(
        ndim=matrix.shape[1],
        metric=MetricKind.Cos,
        dtype="i8",
        connectivity=HNSW_CONNECTIVITY,
        expansion_add=HNSW_EXPANSION,
        expansion_search=HNSW_EXPANSION,
    )
    index.add(np.arange(len(matrix), dtype=np.uint64), matrix, threads=BUILD_THREADS)
    return index


def _restore_hnsw(path: Path, matrix: np.ndarray) -> Index:
    """The saved graph, memory-mapped (the processes share its pages); raises if the file is not
    the one written for these rows (checksum, size, a sample of its vectors)."""
    expected = path.with_suffix(".b2").read_text(encoding="ascii").strip()
    if _file_digest(path) != expected:
        raise ValueError("checksum mismatch")
    index = Index.restore(str(path), view=True)
    if index is None or index.size != len(matrix) or index.ndim != matrix.shape[1]:
        raise ValueError("not a graph of these rows")
    sample = np.unique(np.linspace(0, len(matrix) - 1, min(len(matrix), 16)).astype(np.uint64))
    if not np.array_equal(np.vstack(index.get(sample)), matrix[sample.astype(np.int64)]):
        raise ValueError("vectors differ from the rows")
    index.expansion_search = HNSW_EXPANSION  # not saved with the file
    return index


def _save_hnsw(index: Index, path: Path) -> None:
    """Write atomically (a temporary name, then os.replace), checksum first, then the graph."""
    tag = f"{os.getpid()}.{threading.get_ident()}.part"
    checksum = path.with_suffix(".b2")
    part, checksum_part = (p.with_name(f"{p.name}.{tag}") for p in (path, checksum))
    try:
        index.save(str(part))
        checksum_part.write_text(_file_digest(part), encoding="ascii")
        os.replace(checksum_part, checksum)
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)
        checksum_part.unlink(missing_ok=True)


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """One process builds a graph while the others wait for its file (gunicorn workers start
    together); without fcntl or a writable directory each process builds its own."""
    try:
        import fcntl

        handle = open(path, "a+b")  # noqa: SIM115 (held for the block)
    except (ImportError, OSError):
        yield
        return
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        handle.close()


def load_or_build_graph(model: str, language: str, ids: np.ndarray, matrix: np.ndarray) -> tuple[Index, str]:
    """The HNSW graph of these rows, restored from the cache directory when a process has saved
    it, else built (and saved, replacing older files of the same model and language)."""
    directory = index_dir()
    if directory is not None:
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            logger.warning("vector index directory %s unusable (%s): graph kept in memory", directory, error)
            directory = None
    if directory is None:
        return _build_hnsw(matrix), "built"
    prefix = f"{_slug(model)}.{_slug(language)}"
    path = directory / f"{prefix}.{_digest(ids, matrix)}.usearch"
    with _file_lock(directory / f"{prefix}.lock"):
        if path.exists():
            try:
                return _restore_hnsw(path, matrix), "restored"
            except Exception as error:  # any unreadable file is rebuilt
                logger.warning("vector graph %s unreadable (%s): building it again", path, error)
                path.unlink(missing_ok=True)
        index = _build_hnsw(matrix)
        try:
            _save_hnsw(index, path)
            for old in directory.glob(f"{prefix}.*"):
                # Older graphs, and what a process killed while saving left behind.
                current = old.name.startswith(f"{path.stem}.")
                if old.suffix == ".part" or (old.suffix in (".usearch", ".b2") and not current):
                    old.unlink(missing_ok=True)
            index = _restore_hnsw(path, matrix)  # the shared, memory-mapped copy
        except Exception as error:  # disk full, read-only: the built graph serves
            logger.warning("vector graph not saved to %s (%s): kept in this process", path, error)
        return index, "built"


class VectorIndex:
    """The vectors of one database, per content language, in this process's memory."""

    def __init__(self, using: str = "default"):
        self.using = using
        self._lock = threading.Lock()
        self._pools: dict[str, _Pool] = {}
        self._model: str | None = None
        self._seen: tuple[int, object] | None = None  # (count, newest updated_at) last loaded
        self._token: str | None = None  # VECTORS_KEY as a request read it at the last check
        self._checked_at = 0.0
        self._builders: list[threading.Thread] = []

    # ----------------------------------------------------------------------------------------
    def _state(self, model: str) -> tuple[int, object]:
        from django.db.models import Count, Max

        from search.models import SearchVector

        state = (
            SearchVector.objects.using(self.using)
            .filter(model=model)
            .aggregate(n=Count("pk"), t=Max("updated_at"))
        )
        return state["n"], state["t"]

    def _load_all(self, model: str) -> None:
        """Read every vector of `model` into one preallocated int8 matrix per language (no list of
        row objects on the way: 200,000 vectors would otherwise leave ~120 MB of Python objects)."""
        from django.db.models import Count

        from search.models import SearchVector

        vectors = SearchVector.objects.using(self.using).filter(model=model)
        sizes = dict(vectors.values_list("language").annotate(n=Count("pk")).order_by())
        dimension = embeddings.get_embedder().dimension
        ids = {language: np.empty(n, dtype=np.int64) for language, n in sizes.items()}
        matrices = {language: np.empty((n, dimension), dtype=np.int8) for language, n in sizes.items()}
        filled = dict.fromkeys(sizes, 0)
        rows = vectors.values_list("page_id", "language", "vector")
        for page_id, language, vector in rows.iterator(chunk_size=2000):
            row = filled.get(language)
            if row is None or row >= len(ids[language]):  # written meanwhile: the next refresh has it
                continue
            ids[language][row] = page_id
            matrices[language][row] = np.frombuffer(vector, dtype=np.int8)
            filled[language] = row + 1
        self._pools = {
            language: _Pool(ids[language][: filled[language]], matrices[language][: filled[language]])
            for language in sizes
        }

    def _apply_changes(self, model: str, since) -> None:
        """Apply rows updated since `since` (CHANGE_OVERLAP before it: re-applying is harmless)."""
        from search.models import SearchVector

        rows = (
            SearchVector.objects.using(self.using)
            .filter(model=model, updated_at__gte=since - CHANGE_OVERLAP)
            .values_list("page_id", "language", "vector")
        )
        writes: dict[str, list[tuple[int, np.ndarray]]] = {}
        additions: dict[str, tuple[list[int], list[np.ndarray]]] = {}
        for page_id, language, data in rows:
            vector = embeddings.from_bytes(data)
            where = self._where(page_id)
            if where is not None and where[0] == language:
                # Only a different vector counts: the overlap re-reads rows already applied.
                if not np.array_equal(self._pools[language].matrix[where[1]], vector):
                    writes.setdefault(language, []).append((where[1], vector))
                continue
            if where is not None:  # the page changed language: rebuild from scratch
                self._load_all(model)
                return
            ids, vectors = additions.setdefault(language, ([], []))
            ids.append(page_id)
            vectors.append(vector)
        for language, changes in writes.items():
            pool = self._pools[language]
            for graph in (pool.graph, pool.pending):  # before the write: never a stale answer
                if graph is not None:
                    graph.mark(row for row, _vector in changes)
            for row, vector in changes:
                pool.matrix[row] = vector
        for language, (ids, vectors) in additions.items():
            pool = self._pools.get(language)
            new_ids = np.asarray(ids, dtype=np.int64)
            new_matrix = np.vstack(vectors).astype(np.int8)
            if pool is None:
                self._pools[language] = _Pool(new_ids, new_matrix)
            else:  # rows past the graph's snapshot are searched exactly
                self._pools[language] = _Pool(
                    np.concatenate([pool.ids, new_ids]),
                    np.vstack([pool.matrix, new_matrix]),
                    graph=pool.graph,
                    pending=pool.pending,
                )

    def refresh(self, model: str, force: bool = False, wait: bool = True) -> None:
        """Bring the matrices up to date: `force` reloads everything; `wait=False` checks now
        instead of at most every REFRESH_INTERVAL seconds."""
        now = time.monotonic()
        tokens = versions.request_tokens()
        token = tokens.get(VECTORS_KEY, "") if tokens is not None else self._token
        recent = wait and self._model == model and now - self._checked_at < REFRESH_INTERVAL
        if recent and not force and token == self._token:
            return
        with self._lock:
            state = self._state(model)
            if force or self._model != model or self._seen is None:
                self._load_all(model)
            elif state != self._seen or token != self._token:
                count, newest = state
                if newest is not None and self._seen[1] is not None:
                    self._apply_changes(model, self._seen[1])
                if self.size() != count:  # something was deleted (or missed): start again
                    self._load_all(model)
            self._model, self._seen, self._checked_at, self._token = model, state, now, token
            self._plan_graphs(model)

    # ----------------------------------------------------------------------------------------
    def _plan_graphs(self, model: str) -> None:
        """Start building a graph for each pool that has reached approximate_from() rows and has
        none, or whose graph misses too many rows; exact search answers meanwhile."""
        threshold = approximate_from()
        self._builders = [builder for builder in self._builders if builder.is_alive()]
        for language, pool in self._pools.items():
            if len(pool.ids) < max(threshold, 1) or pool.pending is not None:
                continue
            current = pool.graph
            if current is not None:
                if current.index is None:  # being built, or failed: wait for the next reload
                    continue
                if pool.stale_rows(current) < max(REBUILD_MIN_ROWS, REBUILD_SHARE * len(pool.ids)):
                    continue
            graph = _Graph(len(pool.ids))
            if current is None:
                pool.graph = graph
            else:
                pool.pending = graph
            builder = threading.Thread(
                target=self._prepare_graph,
                args=(model, language, pool, graph),
                name=f"vector-graph-{language}",
                daemon=True,
            )
            self._builders.append(builder)
            builder.start()

    def _prepare_graph(self, model: str, language: str, pool: _Pool, graph: _Graph) -> None:
        """Background thread: restore or build the graph of the pool's first `graph.rows` rows.

        The rows are copied first so that the file's name matches what the graph holds; a row
        written meanwhile is already marked dirty, so its copied value never answers."""
        try:
            ids = pool.ids[: graph.rows].copy()
            matrix = pool.matrix[: graph.rows].copy()
            graph.index, graph.source = load_or_build_graph(model, language, ids, matrix)
        except Exception:  # any usearch or disk error: exact search stays
            graph.failed = True
            logger.warning("vector graph for %s not built: exact search stays", language, exc_info=True)
            return
        with self._lock:
            current = self._pools.get(language)
            if current is not None and current.pending is graph:
                current.graph, current.pending = graph, None

    def graph_sources(self) -> dict[str, str]:
        """How each pool is searched now: "built" or "restored" (a graph), else "exact"."""
        return {
            language: pool.graph.source
            if pool.graph is not None and pool.graph.index is not None
            else "exact"
            for language, pool in self._pools.items()
        }

    def wait_for_graphs(self, timeout: float | None = None) -> None:
        """Wait until the graphs being built are ready (tests, benchmarks)."""
        for builder in list(self._builders):
            builder.join(timeout)
        self._builders = [builder for builder in self._builders if builder.is_alive()]

    # ----------------------------------------------------------------------------------------
    def mark_stale(self) -> None:
        """Check the table at the next query (this process has just written vectors)."""
        self._checked_at = 0.0

    def size(self) -> int:
        return sum(len(pool.ids) for pool in self._pools.values())

    def _where(self, page_id: int) -> tuple[str, int] | None:
        for language, pool in self._pools.items():
            row = pool.row_of(page_id)
            if row is not None:
                return language, row
        return None

    def memory_bytes(self) -> int:
        return sum(pool.matrix.nbytes + pool.ids.nbytes for pool in self._pools.values())

    def vector_of(self, page_id: int) -> np.ndarray | None:
        where = self._where(page_id)
        if where is None:
            return None
        return self._pools[where[0]].matrix[where[1]].astype(np.float32) / embeddings.QUANT_SCALE

    def nearest_many(self, queries: np.ndarray, per_language: int) -> list[list[tuple[int, float]]]:
        """For each row of `queries`, its `per_language` closest pages of every language (one
        search per language for the whole block)."""
        pools = self._pools
        block = embeddings.quantise(np.asarray(queries, dtype=np.float32).reshape(len(queries), -1))
        found: list[list[tuple[int, float]]] = [[] for _ in range(len(block))]
        for pool in list(pools.values()):
            if not len(pool.ids):
                continue
            for row, hits in enumerate(pool.nearest(block, per_language)):
                found[row].extend(hits)
        return found

    def nearest(self, query: np.ndarray, per_language: int) -> dict[str, list[tuple[int, float]]]:
        """The `per_language` closest pages of each content language, best first, with cosines.

        Exact int8 search (usearch's SIMD kernels: no float copy of the matrix, about 5x faster
        than numpy; docs/benchmarks.md) below approximate_from() rows, the pool's HNSW graph
        above it once ready (module docstring)."""
        pools = self._pools  # one consistent snapshot even if a refresh swaps it meanwhile
        quantised = embeddings.quantise(np.asarray(query, dtype=np.float32).reshape(1, -1))
        found: dict[str, list[tuple[int, float]]] = {}
        for language, pool in list(pools.items()):
            if not len(pool.ids):
                continue
            found[language] = pool.nearest(quantised, per_language)[0]
        return found


_indexes: dict[str, VectorIndex] = {}


def get_index(using: str = "default") -> VectorIndex:
    index = _indexes.get(using)
    if index is None:
        index = _indexes.setdefault(using, VectorIndex(using))
    return index


def reset() -> None:
    _indexes.clear()


# --------------------------------------------------------------------------------------------
# Queries
# --------------------------------------------------------------------------------------------
def semantic_ranks(query: str, language: str = "", using: str = "default") -> dict[int, float]:
    """Page id -> reciprocal-rank score of the pages close in meaning to `query`.

    Each content language is a pool of its own (see the module docstring); inside a pool a page
    counts if it is within RELATIVE_MARGIN of the pool's best and above ABSOLUTE_FLOOR. Raises
    EmbedderUnavailable (the caller answers with words alone).
    """
    model = embeddings.model_name()
    vector = embeddings.embed_query(query)
    index = get_index(using)
    index.refresh(model)
    return fuse_pools(index.nearest(vector, POOL_SIZE), language)


def fuse_pools(pools: dict[str, list[tuple[int, float]]], language: str = "") -> dict[int, float]:
    """Page id -> reciprocal-rank score from one pool per content language ((page id, cosine),
    best first). Inside a pool a page counts when within RELATIVE_MARGIN of the pool's best and
    above ABSOLUTE_FLOOR; a pool of another language than `language` weighs
    CROSS_LANGUAGE_WEIGHT (none when `language` is empty). Shared by both backends."""
    scores: dict[int, float] = {}
    for pool_language, hits in pools.items():
        if not hits:
            continue
        weight = CROSS_LANGUAGE_WEIGHT if language and pool_language != language else 1.0
        bar = max(ABSOLUTE_FLOOR, hits[0][1] - RELATIVE_MARGIN)
        for rank, (page_id, similarity) in enumerate(hits, start=1):
            if similarity < bar:
                break
            scores[page_id] = scores.get(page_id, 0.0) + weight / (RRF_K + rank)
    return scores


# --------------------------------------------------------------------------------------------
# Computing vectors (the background worker, rebuild_search_index)
# --------------------------------------------------------------------------------------------
def backlog_queryset(using: str = "default", model: str | None = None):
    """Pages listed in the index whose vector is missing, out of date, or made by another model."""
    from django.db.models import Exists, F, OuterRef

    from search.models import SearchDocument, SearchVector

    if model is None:
        model = embeddings.model_name()
    current = SearchVector.objects.using(using).filter(
        page_id=OuterRef("page_id"), model=model, text_hash=OuterRef("embed_hash")
    )
    return (
        SearchDocument.objects.using(using)
        .filter(language=F("content_language"))
        .exclude(Exists(current))
        .values_list("page_id", flat=True)
    )


def backlog_count(using: str = "default") -> int | None:
    """How many pages wait for a vector (None when no embedder is configured or it is broken)."""
    try:
        model = embeddings.model_name()
    except EmbedderUnavailable:
        return None
    return backlog_queryset(using, model).count()


def embed_pages(page_ids: Iterable[int], using: str = "default", neighbours: bool = True) -> int:
    """Compute and store the vectors of these pages when missing or out of date; returns how many
    were written. Pages no longer listed lose their vector. Neighbours are stored as well."""
    from search.models import SearchVector

    ids = list(dict.fromkeys(int(pk) for pk in page_ids))
    if not ids:
        return 0
    model = embeddings.model_name()
    documents = [d for d in build_documents(ids) if d.language == d.content_language]
    listed = {d.page_id for d in documents}
    existing = {
        pk: (vector_model, digest)
        for pk, vector_model, digest in SearchVector.objects.using(using)
        .filter(page_id__in=ids)
        .values_list("page_id", "model", "text_hash")
    }
    todo = []
    for document in documents:
        text = embedding_text(document)
        digest = text_hash(text)
        if existing.get(document.page_id) != (model, digest):
            todo.append((document, text, digest))
    vectors = embeddings.embed_passages([text for _d, text, _h in todo]) if todo else np.zeros((0, 1))
    with transaction.atomic(using=using):
        gone = [pk for pk in ids if pk not in listed and pk in existing]
        if gone:
            SearchVector.objects.using(using).filter(page_id__in=gone).delete()
        if gone or todo:  # every process's searches use them from their next request
            versions.write_token(VECTORS_KEY, using)
        for (document, _text, digest), vector in zip(todo, vectors, strict=True):
            SearchVector.objects.using(using).update_or_create(
                page_id=document.page_id,
                defaults={
                    "language": document.content_language,
                    "model": model,
                    "text_hash": digest,
                    "vector": embeddings.to_bytes(vector),
                },
            )
    get_index(using).mark_stale()
    if todo and neighbours:
        store_neighbours([d.page_id for d, _t, _h in todo], using=using)
        # The page cache kept search pages and related cases made without these vectors.
        clear_page_cache_on_commit()
    return len(todo)


def store_neighbours(page_ids: list[int], using: str = "default") -> None:
    """Each page's nearest pages by meaning, boosted by shared measure types and areas, stored
    so that a case page reads its related cases instead of ranking candidates per request."""
    from search.models import SearchDocument, SearchVector

    model = embeddings.model_name()
    index = get_index(using)
    index.refresh(model, wait=False)
    taxonomy = {
        page_id: (set(areas.split()), set(measures.split()), key)
        for page_id, areas, measures, key in SearchDocument.objects.using(using)
        .filter(language=F("content_language"))
        .values_list("page_id", "area_slugs", "measure_slugs", "page__translation_key")
    }
    wanted = [(pk, index.vector_of(pk)) for pk in page_ids if pk in taxonomy]
    wanted = [(pk, vector) for pk, vector in wanted if vector is not None]
    for start in range(0, len(wanted), 256):
        block = wanted[start : start + 256]
        candidates = index.nearest_many(np.vstack([vector for _pk, vector in block]), 50)
        with transaction.atomic(using=using):
            for (page_id, _vector), hits in zip(block, candidates, strict=True):
                areas, measures, key = taxonomy[page_id]
                scored = []
                for other, similarity in hits:
                    info = taxonomy.get(other)
                    if other == page_id or info is None or info[2] == key:
                        continue
                    boost = 0.02 * len(measures & info[1]) + 0.01 * len(areas & info[0])
                    scored.append((similarity + boost, other))
                scored.sort(reverse=True)
                SearchVector.objects.using(using).filter(page_id=page_id).update(
                    neighbours=[other for _score, other in scored[:NEIGHBOURS_STORED]]
                )


def embed_backlog(
    batch_size: int = 32,
    progress: Callable[[int, int], None] | None = None,
    using: str = "default",
    limit: int | None = None,
) -> int:
    """Embed every page of the backlog in batches; safe to interrupt and run again (it resumes
    from what is still missing). Returns the number of vectors written."""
    model = embeddings.model_name()
    pending = list(backlog_queryset(using, model).order_by("page_id").distinct())
    if limit is not None:
        pending = pending[:limit]
    total, done = len(pending), 0
    if progress:
        progress(0, total)
    written = 0
    for start in range(0, total, batch_size):
        chunk = pending[start : start + batch_size]
        written += embed_pages(chunk, using=using, neighbours=False)
        done += len(chunk)
        if progress:
            progress(done, total)
    # Neighbours once every vector exists (a page embedded early would miss the later ones).
    for start in range(0, len(pending), 1000):
        store_neighbours(pending[start : start + 1000], using=using)
    if written:
        clear_page_cache_on_commit()  # once for the whole backlog, not per batch
    return written
