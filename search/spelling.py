"""Spelling correction from the index's own vocabulary, in English and Korean.

`correct(query, language)` returns the query with its unknown words replaced by the most likely
word the index contains (`quarentine` -> `quarantine`, `transprot` -> `transport`, `마스그를` ->
`마스크를`), or None when every word is known. A word is never changed when it is in the
vocabulary of either language (as typed, or by its stem: `hotels` is known when `hotel` is), a
name or alias of a measure type or synonym, a city name, a number or a stop word.

The vocabulary (`SpellingTerm`: language, index term, number of documents; `SpellingWord`: the
written forms of each term) is kept exact by the database backend: `documents_written` and
`documents_removed` count the terms of the analysed text it writes and deletes, so nothing more
is stored per document, and `index_rebuilt` recounts everything. Each process loads it lazily
into memory and reloads it when the version token changes (`search.versions`).

Candidates are found with rapidfuzz (optimal string alignment distance, so a transposition
costs one edit), over the words of similar length: at most 1 edit for short words, 2 for longer
ones; the nearest wins, then the most frequent. Korean is compared jamo by jamo (a one-key typo
changes one jamo: 마스그 and 마스크 differ by ㄱ/ㅋ), with the particles and endings of the typed
word kept. rapidfuzz rather than symspellpy, measured on symspellpy's own 82,765-word English
list: a lookup takes ~4 ms with rapidfuzz against ~0.1 ms with SymSpell, but SymSpell needs ~2 s
and ~130 MB per process to build its index of deletions, again after every vocabulary change;
a correction is only attempted for words the index does not know (see docs/benchmarks.md).
"""

from __future__ import annotations

import logging
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import process
from rapidfuzz.distance import OSA

from search.analysis import (
    ENGLISH_STOP_WORDS,
    _english_token,
    _fold_latin,
    analyze_query,
    korean_content_end,
)
from search.versions import VersionedCache

logger = logging.getLogger(__name__)

__all__ = ["correct", "documents_removed", "documents_written", "index_rebuilt", "invalidate"]

MAX_TERM_LENGTH = 64
MAX_LOOKUPS = 6  # unknown words looked up per query (bounds the time a long query costs)
RARE_MAX = 2  # a known word in at most this many documents may be a typo itself ...
RARE_RATIO = 20  # ... when a word one edit away is in this many times more documents
RARE_MIN = 10  # (and in at least this many)

_LATIN_RE = re.compile(r"[A-Za-z\u00c0-\u024f]+")
_QUERY_WORD_RE = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")
_HANGUL_SYLLABLES_RE = re.compile("^[\uac00-\ud7a3]+$")
_HANGUL_RE = re.compile("[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
_DIGIT_RE = re.compile(r"\d")


# --------------------------------------------------------------------------------------------
# What a document contributes
# --------------------------------------------------------------------------------------------
def _usable(term: str) -> bool:
    return 1 < len(term) <= MAX_TERM_LENGTH and not _DIGIT_RE.search(term)


def document_terms(title_index: str, body_index: str) -> set[str]:
    """The distinct index terms of a document's analysed title and body (numbers left out)."""
    return {term for term in (*title_index.split(), *body_index.split()) if _usable(term)}


def document_words(raw_text: str, terms: set[str]) -> dict[str, str]:
    """Written form -> term: Latin words as typed (folded, unstemmed) whose stem is one of the
    document's terms, and the Korean terms themselves (Korean is not stemmed)."""
    words = {term: term for term in terms if _HANGUL_RE.search(term)}
    for match in _LATIN_RE.finditer(raw_text or ""):
        word = _fold_latin(match.group())
        if len(word) < 2 or word in ENGLISH_STOP_WORDS or len(word) > MAX_TERM_LENGTH:
            continue
        stem = _english_token(word)
        if stem and stem in terms:
            words.setdefault(word, stem)
    return words


# --------------------------------------------------------------------------------------------
# Keeping the vocabulary in step with the index (called by DatabaseSearchBackend)
# --------------------------------------------------------------------------------------------
def _tables() -> tuple[str, str]:
    from search.models import SpellingTerm, SpellingWord

    return SpellingTerm._meta.db_table, SpellingWord._meta.db_table


def _add(cursor, counts: Counter, words: set[tuple[str, str, str]]) -> None:
    term_table, word_table = _tables()
    # Sorted: concurrent writers lock rows in the same order (no deadlock on PostgreSQL).
    cursor.executemany(
        f"INSERT INTO {term_table} (language, term, doc_count) VALUES (%s, %s, %s) "  # noqa: S608
        f"ON CONFLICT (language, term) DO UPDATE SET doc_count = {term_table}.doc_count + excluded.doc_count",
        [(language, term, count) for (language, term), count in sorted(counts.items())],
    )
    cursor.executemany(
        f"INSERT INTO {word_table} (language, word, term) VALUES (%s, %s, %s) "  # noqa: S608
        "ON CONFLICT (language, word) DO NOTHING",
        sorted(words),
    )


def _subtract(cursor, counts: Counter) -> None:
    term_table, word_table = _tables()
    keys = sorted(counts)
    cursor.executemany(
        f"UPDATE {term_table} SET doc_count = doc_count - %s WHERE language = %s AND term = %s",  # noqa: S608
        [(counts[key], *key) for key in keys],
    )
    gone = f"SELECT 1 FROM {term_table} WHERE language = %s AND term = %s AND doc_count <= 0"  # noqa: S608
    cursor.executemany(
        f"DELETE FROM {word_table} WHERE language = %s AND term = %s AND EXISTS ({gone})",  # noqa: S608
        [(*key, *key) for key in keys],
    )
    cursor.executemany(
        f"DELETE FROM {term_table} WHERE language = %s AND term = %s AND doc_count <= 0",  # noqa: S608
        keys,
    )


def documents_written(using: str, documents: Sequence, texts: Sequence[tuple[str, str, str]]) -> None:
    """Count the terms of documents just written (`texts`: their analysed title, body, prefix),
    in the writer's transaction. Their previous versions went through `documents_removed`."""
    from django.db import connections

    counts: Counter = Counter()
    words: set[tuple[str, str, str]] = set()
    for document, (title_index, body_index, _prefix) in zip(documents, texts, strict=True):
        terms = document_terms(title_index, body_index)
        counts.update((document.language, term) for term in terms)
        raw = document.body_text or document.title
        words.update((document.language, word, term) for word, term in document_words(raw, terms).items())
    if counts:
        with connections[using].cursor() as cursor:
            _add(cursor, counts, words)
    _cache.changed(using)


def _count_removed(rows: Iterable[tuple[str, str, str]]) -> Counter:
    counts: Counter = Counter()
    for language, title_index, body_index in rows:
        counts.update((language, term) for term in document_terms(title_index or "", body_index or ""))
    return counts


def documents_removed(connection, page_ids: list[int]) -> None:
    """Uncount the documents of these pages, before the backend deletes them."""
    from search.models import SearchDocument, SearchDocumentText

    doc, text = SearchDocument._meta.db_table, SearchDocumentText._meta.db_table
    marks = ", ".join(["%s"] * len(page_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT d.language, t.index_title, t.index_body FROM {text} t "  # noqa: S608
            f"JOIN {doc} d ON d.id = t.document_id WHERE d.page_id IN ({marks})",
            page_ids,
        )
        counts = _count_removed(cursor.fetchall())
        if counts:
            _subtract(cursor, counts)
    if counts:
        _cache.changed(connection.alias)


def _document_deleted(sender, instance, using="default", **kwargs) -> None:
    """A document deleted through the ORM (with its page): uncount it, and delete its analysed
    text now, so that the backend's `documents_removed`, which the same page deletion may call
    (the unpublish signal), cannot count it out twice."""
    from django.db import connections

    from search.models import SearchDocumentText

    text = SearchDocumentText._meta.db_table
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"SELECT index_title, index_body FROM {text} WHERE document_id = %s",  # noqa: S608
            [instance.pk],
        )
        counts = _count_removed((instance.language, title, body) for title, body in cursor.fetchall())
        if not counts:
            return
        _subtract(cursor, counts)
        cursor.execute(f"DELETE FROM {text} WHERE document_id = %s", [instance.pk])  # noqa: S608
    _cache.changed(using)


def index_rebuilt(using: str = "default", batch_size: int = 2000) -> None:
    """Recount every term from the index (heals any drift) and drop words of vanished terms."""
    from django.db import connections, transaction

    from search.models import SearchDocumentText

    term_table, word_table = _tables()
    rows = (
        SearchDocumentText.objects.using(using)
        .values_list("document__language", "index_title", "index_body")
        .iterator(chunk_size=batch_size)
    )
    counts = _count_removed(rows)
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        cursor.execute(f"DELETE FROM {term_table}")  # noqa: S608
        _add(cursor, counts, set())
        cursor.execute(
            f"DELETE FROM {word_table} WHERE NOT EXISTS (SELECT 1 FROM {term_table} t "  # noqa: S608
            f"WHERE t.language = {word_table}.language AND t.term = {word_table}.term)"
        )
        _cache.changed(using)


# --------------------------------------------------------------------------------------------
# The vocabulary in memory
# --------------------------------------------------------------------------------------------
def _jamo(text: str) -> str:
    """Hangul syllables decomposed into their jamo (마스크 -> ᄆ ᅡ ᄉ ᅳ ᄏ ᅳ)."""
    return unicodedata.normalize("NFD", text)


@dataclass
class _Pool:
    """Candidate words of one language, bucketed by script, length (jamo length for Korean)
    and, for a first pass, first letter (or jamo)."""

    counts: dict[str, int] = field(default_factory=dict)  # written form -> documents
    # key -> compared strings (jamo for Korean) and the written forms, in step; keys are
    # (Korean?, length) and (Korean?, length, first character)
    buckets: dict[tuple, list[str]] = field(default_factory=dict)
    originals: dict[tuple, list[str]] = field(default_factory=dict)

    def add(self, word: str, count: int) -> None:
        if word in self.counts:
            self.counts[word] = max(self.counts[word], count)
            return
        self.counts[word] = count
        korean = bool(_HANGUL_SYLLABLES_RE.match(word))
        compared = _jamo(word) if korean else word
        keys = [(korean, len(compared)), (korean, len(compared), compared[0])]
        if len(compared) > 1:
            keys.append((korean, len(compared), "2", compared[1]))
        for key in keys:
            self.buckets.setdefault(key, []).append(compared)
            self.originals.setdefault(key, []).append(word)

    def _scan(self, compared: str, max_distance: int, exclude: frozenset[str], first: bool):
        best = None
        length = len(compared)
        korean = "\u1100" <= compared[:1] <= "\u11ff"
        for size in range(max(1, length - max_distance), length + max_distance + 1):
            if first:
                # same first letter; first letter dropped (its second is our first); a letter
                # added before it, or the first two swapped (its first is our second)
                keys = [(korean, size, compared[0]), (korean, size, "2", compared[0])]
                if length > 1:
                    keys.append((korean, size, compared[1]))
            else:
                keys = [(korean, size)]
            for key in keys:
                bucket = self.buckets.get(key)
                if not bucket:
                    continue
                originals = self.originals[key]
                for _choice, distance, index in process.extract_iter(
                    compared, bucket, scorer=OSA.distance, score_cutoff=max_distance
                ):
                    word = originals[index]
                    if distance == 0 or word in exclude:
                        continue
                    candidate = (distance, -self.counts[word], word)
                    if best is None or candidate < best:
                        best = candidate
        return best

    def nearest(self, compared: str, max_distance: int, exclude: frozenset[str] = frozenset()):
        """(distance, -count, word) of the best candidate within `max_distance`, or None.

        First the words a slip at the start of the word could give (same first letter, or the
        first letter dropped, doubled or swapped: about a tenth of the words): one edit away
        there is taken. Otherwise every word of the script within reach of the length."""
        if not compared:
            return None
        best = self._scan(compared, max_distance, exclude, first=True)
        if best is not None and best[0] == 1:
            return best
        found = self._scan(compared, max_distance, exclude, first=False)
        return found if best is None or (found is not None and found < best) else best


@dataclass
class _Vocabulary:
    terms: dict[str, dict[str, int]]  # language -> term -> documents
    words: dict[str, dict[str, str]]  # language -> written form -> term
    pools: dict[str, _Pool]  # language -> candidates ("names": names, aliases, cities)
    protected: frozenset[str]  # folded words never changed: names, aliases, synonyms, cities

    def known(self, word: str) -> bool:
        return any(word in self.words[lang] or word in self.terms[lang] for lang in self.terms)

    def term_known(self, term: str) -> bool:
        return any(term in terms for terms in self.terms.values())

    def count(self, word: str) -> int:
        best = 0
        for lang, words in self.words.items():
            term = words.get(word, word)
            best = max(best, self.terms[lang].get(term, 0))
        return best


LANGUAGES = ("en", "ko")


def _name_words() -> set[str]:
    from casestudies.models import City
    from search import synonyms

    words = set(synonyms.phrases())
    for name, name_ko in City.objects.values_list("name", "name_ko"):
        for text in (name, name_ko):
            words.update(_fold_latin(word) for word in _QUERY_WORD_RE.findall(text or ""))
    return {word for word in words if word}


def _load() -> _Vocabulary:
    from search.models import SpellingTerm, SpellingWord

    terms: dict[str, dict[str, int]] = {lang: {} for lang in LANGUAGES}
    for language, term, count in SpellingTerm.objects.filter(doc_count__gt=0).values_list(
        "language", "term", "doc_count"
    ):
        terms.setdefault(language, {})[term] = count
    words: dict[str, dict[str, str]] = {lang: {} for lang in terms}
    pools = {lang: _Pool() for lang in terms}
    for language, word, term in SpellingWord.objects.values_list("language", "word", "term"):
        count = terms.get(language, {}).get(term)
        if count:
            words[language][word] = term
            pools[language].add(word, count)
    names = _name_words()
    pools["names"] = _Pool()
    for word in names:
        if _usable(word) and (word.isalpha()):
            pools["names"].add(word, 1)
    return _Vocabulary(terms, words, pools, frozenset(names))


_cache: VersionedCache[_Vocabulary] = VersionedCache("spelling", _load)


def invalidate(**kwargs) -> None:
    _cache.invalidate()


def _names_changed(sender, using="default", **kwargs) -> None:
    _cache.changed_safely(using)


def connect() -> None:
    """Signals (called from ready()): documents deleted with their page; names that changed."""
    from django.db.models.signals import post_delete, post_save, pre_delete

    from casestudies.models import City, MeasureType
    from search.models import SearchDocument, SynonymGroup

    pre_delete.connect(_document_deleted, sender=SearchDocument, dispatch_uid="search.spelling.document")
    for model in (City, MeasureType, SynonymGroup):
        post_save.connect(_names_changed, sender=model, dispatch_uid=f"search.spelling.save.{model.__name__}")
        post_delete.connect(
            _names_changed, sender=model, dispatch_uid=f"search.spelling.delete.{model.__name__}"
        )


# --------------------------------------------------------------------------------------------
# Correction
# --------------------------------------------------------------------------------------------
def _max_distance(compared: str, korean: bool) -> int:
    if korean:
        return 1 if len(compared) <= 6 else 2  # two syllables have at most 6 jamo
    return 1 if len(compared) <= 5 else 2


def _with_case(typed: str, word: str) -> str:
    if typed.isupper() and len(typed) > 1:
        return word.upper()
    if typed[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


class _Budget:
    """Nearest-word searches left for this query (the only costly step): at most `left`, and
    none once `seconds` have gone by."""

    def __init__(self, left: int, seconds: float = 0.05):
        self.left = left
        self.deadline = time.monotonic() + seconds

    def take(self) -> bool:
        self.left -= 1
        if time.monotonic() > self.deadline:
            self.left = 0
            return False
        return self.left >= 0


def _best(
    vocab: _Vocabulary, compared: str, korean: bool, language: str, budget: _Budget, exclude=frozenset()
):
    if not budget.take():
        return None
    max_distance = _max_distance(compared, korean)
    other = [lang for lang in LANGUAGES if lang != language]
    for pools in ([language, "names"], other):
        found = [
            vocab.pools[name].nearest(compared, max_distance, exclude)
            for name in pools
            if name in vocab.pools
        ]
        found = [f for f in found if f is not None]
        if found:
            return min(found)
    return None


def _correct_latin(vocab: _Vocabulary, typed: str, language: str, rare: bool, budget: _Budget) -> str | None:
    word = _fold_latin(typed).replace("'", "").replace("\u2019", "")
    if len(word) < 3 or not word.isalpha() or word in ENGLISH_STOP_WORDS or word in vocab.protected:
        return None
    stem = _english_token(word)
    if vocab.known(word) or (stem and vocab.term_known(stem)):
        if not rare:
            return None
        count = vocab.count(word)
        if count > RARE_MAX:
            return None
        found = _best(vocab, word, False, language, budget, exclude=frozenset({word}))
        if not found or found[0] != 1 or -found[1] < max(RARE_RATIO * max(count, 1), RARE_MIN):
            return None
        return _with_case(typed, found[2])
    found = _best(vocab, word, False, language, budget)
    return _with_case(typed, found[2]) if found else None


def _korean_known(vocab: _Vocabulary, content: str) -> bool:
    if vocab.known(content) or content in vocab.protected:
        return True
    # A compound the documents write apart (자가격리지원): known when each part is, and no part
    # is a single syllable (a typo often leaves one: 선별진로소 -> 선별, 진로, 소).
    parts = analyze_query(content, "ko")
    return bool(parts) and all(len(part) > 1 and vocab.term_known(part) for part in parts)


def _correct_korean(vocab: _Vocabulary, typed: str, language: str, rare: bool, budget: _Budget) -> str | None:
    end = korean_content_end(typed)
    content, tail = typed[:end], typed[end:]
    # mecab may read the end of a misspelt word as a particle (마스그 -> 마스 + 그): the whole
    # word is tried too, and the nearer candidate wins (the split one on a tie).
    splits = [(content, tail)] if len(content) >= 2 else []
    if tail:
        splits.append((typed, ""))
    splits = [(c, t) for c, t in splits if _HANGUL_SYLLABLES_RE.match(c)]
    if not splits:
        return None
    if any(_korean_known(vocab, c) for c, _t in splits):
        if (
            not rare
            or not vocab.known(content)
            or content in vocab.protected
            or vocab.count(content) > RARE_MAX
        ):
            return None
        found = _best(vocab, _jamo(content), True, language, budget, exclude=frozenset({content}))
        count = vocab.count(content)
        if not found or found[0] != 1 or -found[1] < max(RARE_RATIO * max(count, 1), RARE_MIN):
            return None
        return found[2] + tail
    best = None
    for order, (c, t) in enumerate(splits):
        if best is not None and best[0][0] == 1:
            break  # one jamo away with the particle kept: the whole word cannot do better
        found = _best(vocab, _jamo(c), True, language, budget)
        if found and len(found[2]) >= 2 and (best is None or (found[0], order) < (best[0][0], best[1])):
            best = (found, order, t)
    return best[0][2] + best[2] if best else None


def correct(query: str, language: str, *, rare: bool = False) -> str | None:
    """`query` with each unknown word replaced by the most likely word of the index, or None
    when there is nothing to correct. With `rare=True`, a known word found in very few documents
    is also replaced when a word one edit away is far more common (for "Did you mean", never for
    an automatic retry). Never raises."""
    try:
        return _correct(query or "", language, rare)
    except Exception:  # noqa: BLE001 - a suggestion must never break a search
        logger.exception("search.spelling: correction failed")
        return None


def _correct(query: str, language: str, rare: bool) -> str | None:
    language = language if language in LANGUAGES else "en"
    matches = list(_QUERY_WORD_RE.finditer(query))
    if not matches:
        return None
    vocab = _cache.get()
    budget = _Budget(MAX_LOOKUPS)
    out: list[str] = []
    last = 0
    changed = False
    for match in matches:
        typed = match.group()
        replacement = None
        if budget.left > 0 and not _DIGIT_RE.search(typed):
            if _HANGUL_SYLLABLES_RE.match(typed):
                replacement = _correct_korean(vocab, typed, language, rare, budget)
            elif _LATIN_RE.fullmatch(typed.replace("'", "").replace("\u2019", "")):
                replacement = _correct_latin(vocab, typed, language, rare, budget)
        out.append(query[last : match.start()])
        if replacement and replacement != typed:
            out.append(replacement)
            changed = True
        else:
            out.append(typed)
        last = match.end()
    out.append(query[last:])
    return "".join(out) if changed else None
