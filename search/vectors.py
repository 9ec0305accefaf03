"""Where the meaning vectors live, and how a query finds its nearest pages.

Vectors are stored in the database (`SearchVector`, int8, one row per page: the embedded default
and PostgreSQL alike, no extension needed) and held in each process as one int8 matrix per
content language (100,000 cases: 38 MB). A query is compared with every vector by an exact int8
search (usearch; docs/benchmarks.md), so no approximate index can miss a page and a filter never
has to be pushed into one.

Language bias: multilingual-e5 scores a Korean query higher against loosely related Korean text
than against the closely matching English text. Each content language is therefore ranked as its
own candidate pool and the pools are fused by rank (reciprocal rank fusion), so the best English
case for a Korean query stands beside the best Korean one.

The matrices are refreshed when the table changes (checked at most every
`REFRESH_INTERVAL` seconds with one indexed aggregate): rows changed since the last look are
applied in place; a deletion reloads everything.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from usearch.index import MetricKind
from usearch.index import search as exact_search

from django.db import transaction
from django.db.models import F

from search import embeddings
from search.documents import IndexedDocument, build_documents
from search.embeddings import EmbedderUnavailable

logger = logging.getLogger(__name__)

REFRESH_INTERVAL = 2.0  # seconds between two checks for new vectors
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


def embedding_text(document: IndexedDocument) -> str:
    """What is embedded for a page: title, summary and measure-type names (not the long body:
    cost grows with length, and the summary states what was done)."""
    parts = [document.title, document.summary, ", ".join(document.topic_names)]
    return "\n".join(part.strip() for part in parts if part and part.strip())


def text_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()


@dataclass
class _Pool:
    ids: np.ndarray  # int64 page ids
    matrix: np.ndarray  # int8, one row per id

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


class VectorIndex:
    """The vectors of one database, per content language, in this process's memory."""

    def __init__(self, using: str = "default"):
        self.using = using
        self._lock = threading.Lock()
        self._pools: dict[str, _Pool] = {}
        self._model: str | None = None
        self._seen: tuple[int, object] | None = None  # (count, newest updated_at) last loaded
        self._checked_at = 0.0

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
        """Apply rows updated since `since` (a few seconds of overlap: re-applying is harmless)."""
        from search.models import SearchVector

        rows = (
            SearchVector.objects.using(self.using)
            .filter(model=model, updated_at__gte=since - timedelta(seconds=10))
            .values_list("page_id", "language", "vector")
        )
        additions: dict[str, tuple[list[int], list[np.ndarray]]] = {}
        for page_id, language, data in rows:
            vector = embeddings.from_bytes(data)
            where = self._where(page_id)
            if where is not None and where[0] == language:
                self._pools[language].matrix[where[1]] = vector
                continue
            if where is not None:  # the page changed language: rebuild from scratch
                self._load_all(model)
                return
            ids, vectors = additions.setdefault(language, ([], []))
            ids.append(page_id)
            vectors.append(vector)
        for language, (ids, vectors) in additions.items():
            pool = self._pools.get(language)
            new_ids = np.asarray(ids, dtype=np.int64)
            new_matrix = np.vstack(vectors).astype(np.int8)
            if pool is None:
                self._pools[language] = _Pool(new_ids, new_matrix)
            else:
                self._pools[language] = _Pool(
                    np.concatenate([pool.ids, new_ids]), np.vstack([pool.matrix, new_matrix])
                )

    def refresh(self, model: str, force: bool = False, wait: bool = True) -> None:
        """Bring the matrices up to date: `force` reloads everything; `wait=False` checks now
        instead of at most every REFRESH_INTERVAL seconds."""
        now = time.monotonic()
        recent = wait and self._model == model and now - self._checked_at < REFRESH_INTERVAL
        if recent and not force:
            return
        with self._lock:
            state = self._state(model)
            if force or self._model != model or self._seen is None:
                self._load_all(model)
            elif state != self._seen:
                count, newest = state
                if newest is not None and self._seen[1] is not None:
                    self._apply_changes(model, self._seen[1])
                if self.size() != count:  # something was deleted (or missed): start again
                    self._load_all(model)
            self._model, self._seen, self._checked_at = model, state, now

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
        exact int8 search per language for the whole block)."""
        pools = self._pools
        block = embeddings.quantise(np.asarray(queries, dtype=np.float32).reshape(len(queries), -1))
        found: list[list[tuple[int, float]]] = [[] for _ in range(len(block))]
        for pool in pools.values():
            if not len(pool.ids):
                continue
            k = min(per_language, len(pool.ids))
            matches = exact_search(pool.matrix, block, k, MetricKind.Cos, exact=True, threads=1)
            keys = np.asarray(matches.keys).reshape(len(block), -1)
            distances = np.asarray(matches.distances).reshape(len(block), -1)
            for row in range(len(block)):
                found[row].extend(
                    (int(pool.ids[key]), 1.0 - float(distance))
                    for key, distance in zip(keys[row], distances[row], strict=True)
                )
        return found

    def nearest(self, query: np.ndarray, per_language: int) -> dict[str, list[tuple[int, float]]]:
        """The `per_language` closest pages of each content language, best first, with cosines.

        An exact search over the int8 rows (usearch's SIMD kernels: no float copy of the
        matrix, about 5x faster than numpy converting it chunk by chunk; docs/benchmarks.md)."""
        pools = self._pools  # one consistent snapshot even if a refresh swaps it meanwhile
        quantised = embeddings.quantise(np.asarray(query, dtype=np.float32).reshape(1, -1))[0]
        found: dict[str, list[tuple[int, float]]] = {}
        for language, pool in pools.items():
            if not len(pool.ids):
                continue
            k = min(per_language, len(pool.ids))
            matches = exact_search(pool.matrix, quantised, k, MetricKind.Cos, exact=True, threads=1)
            keys = np.asarray(matches.keys).reshape(-1)
            distances = np.asarray(matches.distances).reshape(-1)
            found[language] = [
                (int(pool.ids[key]), 1.0 - float(distance))
                for key, distance in zip(keys, distances, strict=True)
            ]
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
    return written
