"""Tests for search/analysis.py: Korean and English analysis for the search index.

Plain functions: no database, no Django models.  A document "matches" a query
the way the FTS5/tsquery search will match it: every query token is among the
document's index tokens.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search.analysis import (
    MAX_QUERY_TOKENS,
    MAX_TOKEN_LENGTH,
    analyze,
    analyze_query,
    autocomplete_text,
    korean_content_end,
    nori_user_dictionary_rules,
    prefix_tokens,
    to_index_text,
)

SAFE = re.compile(r"[^\W_]+")


def matches(query: str, document: str, language: str) -> bool:
    tokens = analyze_query(query, language)
    return bool(tokens) and set(tokens) <= set(analyze(document, language))


# --------------------------------------------------------------------------
# The examples the search must satisfy
# --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("query", "document"),
    [
        ("선별진료소", "선별진료소를 운영했다"),
        ("드라이브스루", "드라이브스루 선별진료소"),
        ("서울", "서울시는"),
        ("운영하다", "운영했다"),
        # the parts of a compound find it, and the whole finds it written with spaces
        ("진료소", "선별진료소를 운영했다"),
        ("스루", "드라이브스루 선별진료소"),
        ("선별진료소", "제주도는 공항에 선별 진료소를 마련했다"),
        # domain words the user dictionary fixes (mecab-ko-dic alone mis-splits them)
        ("자가격리", "자가격리자에게 생필품을 보냈다"),
        ("격리", "자가격리자에게 생필품을 보냈다"),
        ("워크스루", "워크스루 선별진료소를 설치했다"),
        ("비대면", "24시간 비대면 진료 창구를 운영했다"),
        ("해외입국자", "해외 입국자 전용 시설"),
        # verbs and adjectives by their stem, whatever the ending
        ("늘리다", "열차 운행을 늘렸다"),
        ("접종하다", "어르신부터 접종을 시작했습니다"),
        # English words inside Korean text are stemmed too
        ("COVID test", "COVID-19 testing 결과를 영어로 알려 주었다"),
    ],
)
def test_korean_queries_find_documents(query: str, document: str) -> None:
    assert matches(query, document, "ko")


@pytest.mark.parametrize(
    ("query", "document"),
    [
        ("cycling", "The city opened temporary cycle lanes."),
        ("tests", "Free testing was offered at the station."),
        ("vaccinated", "The vaccination centre opened in March."),
        ("hospitals", "The hospital added beds."),
        ("quarantine", "Travellers were quarantined for two weeks."),
        ("cities", "Each city published its data."),
        ("Café", "the cafe reopened"),
        ("COVID-19", "covid 19 cases"),
    ],
)
def test_english_stemming_pairs(query: str, document: str) -> None:
    assert matches(query, document, "en")


@pytest.mark.parametrize(
    ("query", "document"),
    [
        ("마스크", "모든 시민에게 마스크를 나눠 주었다"),
        ("가격", "자가격리자에게 생필품을 보냈다"),  # 자가격리 is not 가격 (price)
        ("cycling", "The city cut bus fares."),
    ],
)
def test_non_matches(query: str, document: str) -> None:
    language = "en" if query.isascii() else "ko"
    expected = query == "마스크"
    assert matches(query, document, language) is expected


# --------------------------------------------------------------------------
# Korean pipeline details
# --------------------------------------------------------------------------
def test_particles_and_endings_are_dropped() -> None:
    tokens = analyze("서울시는 선별진료소를 운영했다", "ko")
    for grammatical in ("는", "를", "했", "다", "하", "았"):
        assert grammatical not in tokens
    assert "운영" in tokens
    assert analyze_query("서울시는", "ko") == ["서울", "시"]


def test_compounds_are_indexed_whole_and_split_but_queried_by_parts() -> None:
    tokens = analyze("드라이브스루 선별진료소", "ko")
    for token in ("드라이브스루", "드라이브", "스루", "선별진료소", "선별", "진료소", "진료", "소"):
        assert token in tokens
    assert analyze_query("드라이브스루 선별진료소", "ko") == ["드라이브", "스루", "선별", "진료", "소"]


def test_verbs_are_indexed_by_their_lemma() -> None:
    assert "늘리" in analyze("열차 운행을 늘렸다", "ko")
    assert "늘렸" not in analyze("열차 운행을 늘렸다", "ko")


def test_latin_words_in_korean_text_are_lowercased_and_stemmed() -> None:
    tokens = analyze("COVID-19 testing centers와 cycle lanes를 늘렸다", "ko")
    assert tokens[:6] == ["covid", "19", "test", "center", "cycl", "lane"]


def test_latin_words_get_the_same_tokens_in_both_languages() -> None:
    text = "COVID-19 testing in H1N1 times: the city's cycle lanes, Café Zoë"
    assert analyze(text, "ko") == analyze(text, "en")


def test_hangul_inside_english_text_uses_the_korean_pipeline() -> None:
    tokens = analyze("Seoul (서울시는) ran drive-through 선별진료소를 sites", "en")
    assert {"seoul", "서울", "선별", "진료", "site"} <= set(tokens)
    assert "서울시는" not in tokens


def test_hanja_is_indexed_with_its_reading_and_queried_by_it() -> None:
    tokens = analyze("방역당국은 自家격리 지침을 발표했다", "ko")
    assert "自家" in tokens and "자가" in tokens
    assert analyze_query("自家", "ko") == ["자가"]
    assert matches("自家격리", "자가격리 지침", "ko")


def test_to_index_text_joins_tokens() -> None:
    text = "서울시는 드라이브스루 선별진료소를 운영했다."
    assert to_index_text(text, "ko") == " ".join(analyze(text, "ko"))
    assert to_index_text("", "ko") == ""


def test_english_stop_words_are_dropped() -> None:
    assert analyze("The city and the people of Seoul", "en") == ["citi", "peopl", "seoul"]
    assert analyze_query("NOT AND OR the", "en") == []


def test_language_codes_and_unknown_languages() -> None:
    assert analyze("운영했다", "ko-KR") == analyze("운영했다", "ko") == ["운영"]
    assert analyze("cycling", "en-gb") == ["cycl"]
    assert analyze("Cycling the lanes", "fr") == ["cycling", "the", "lanes"]  # no stemming, no stop words


def test_query_tokens_are_deduplicated_in_order() -> None:
    assert analyze_query("서울 부산 서울시 부산", "ko") == ["서울", "부산", "시"]
    assert analyze_query("tests testing tested", "en") == ["test"]


def test_index_keeps_repeated_tokens_for_term_frequency() -> None:
    assert analyze("test tests testing", "en") == ["test", "test", "test"]


# --------------------------------------------------------------------------
# Hostile input
# --------------------------------------------------------------------------
HOSTILE = [
    "",
    "   \t\n",
    '"',
    '"foo" OR bar* NEAR(a b, 5) -c d:e ^f',
    "title:서울 AND (부산 OR 대구) NOT 인천*",
    "'; DROP TABLE search_index; --",
    "\x00\x01\x02선별\x7f진료소\x1b[31m",
    "\ud800\udfff 한국어 \ufeff\u200b\u00ad",
    "🦠😷 마스크 😷",
    "ＣＯＶＩＤ－１９ ＰＣＲ검사",
    "a" * 10_000,
    "선별진료소를 " * 2_000,
    "foo_bar __init__ a-b a.b a/b",
    "ㄱㄴㄷ ㅋㅋㅋ ㅏㅓ",
    "Ελληνικά Русский עברית العربية हिन्दी 中文 日本語",
    "NEAR( OR AND NOT * ^ : - + \" ' ( )",
]


@pytest.mark.parametrize("text", HOSTILE)
@pytest.mark.parametrize("language", ["ko", "en"])
def test_hostile_queries_give_only_safe_tokens(text: str, language: str) -> None:
    start = time.perf_counter()
    tokens = analyze_query(text, language)
    assert time.perf_counter() - start < 5
    assert len(tokens) <= MAX_QUERY_TOKENS
    assert len(tokens) == len(set(tokens))
    for token in tokens:
        assert SAFE.fullmatch(token), token
        assert len(token) <= MAX_TOKEN_LENGTH
        assert token not in {"OR", "AND", "NOT", "NEAR"}
    for token in analyze(text, language):
        assert SAFE.fullmatch(token), token
    prefix = prefix_tokens(text, language)
    assert prefix.prefix is None or SAFE.fullmatch(prefix.prefix)


def _fts5() -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE idx USING fts5(body, tokenize='unicode61')")
    db.execute("INSERT INTO idx VALUES (?)", (to_index_text("서울시는 선별진료소를 운영했다 testing", "ko"),))
    return db


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_queries_are_inert_in_fts5(text: str) -> None:
    """Tokens joined by spaces, unquoted, are still a valid FTS5 query of plain terms."""
    db = _fts5()
    for language in ("ko", "en"):
        tokens = analyze_query(text, language)
        if tokens:
            db.execute("SELECT count(*) FROM idx WHERE idx MATCH ?", (" ".join(tokens),)).fetchone()


def test_queries_match_in_fts5() -> None:
    db = _fts5()
    for query in ("선별진료소", "서울", "운영하다", "tests", "진료소를 운영"):
        match = " ".join(analyze_query(query, "ko"))
        assert db.execute("SELECT count(*) FROM idx WHERE idx MATCH ?", (match,)).fetchone() == (1,)


def test_nul_does_not_truncate_korean_text() -> None:
    # mecab is C code: a NUL would end the string there.
    assert analyze_query("선별\x00진료소를 운영했다", "ko") == ["선별", "진료", "소", "운영"]


def test_long_documents_are_analysed_completely() -> None:
    text = "서울시는 선별진료소를 운영했다. " * 3_000 + "마지막 문장에만 자전거가 있다."
    tokens = analyze(text, "ko")
    assert tokens.count("운영") == 3_000
    assert "자전거" in tokens


# Hangul-heavy text with the characters that break naive analysers.
KOREAN_ALPHABET = list("선별진료소를운영했다서울시는드라이브스루가격자리이은의에 ") + list(
    " \t\n\x00\"'*():-+^ORNEAR19aZ_.,!?ㄱㅏ自家😷\u200b\ud7a3\u1100\u1161"
)
TEXT = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.sampled_from(KOREAN_ALPHABET), max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=100),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=TEXT, language=st.sampled_from(["ko", "en", "ko-KR", "xx"]))
def test_any_text_gives_safe_tokens(text: str, language: str) -> None:
    query = analyze_query(text, language)
    index = analyze(text, language)
    for token in query + index:
        assert isinstance(token, str) and token
        assert SAFE.fullmatch(token), repr(token)
    # Query tokens are always index tokens of the same text: a document
    # containing the query's words is always found.
    assert set(query) <= set(index)
    prefix = prefix_tokens(text, language)
    assert prefix.prefix is None or SAFE.fullmatch(prefix.prefix)
    if query:  # never an FTS5 syntax error, even unquoted
        _FTS5.execute("SELECT count(*) FROM idx WHERE idx MATCH ?", (" ".join(query),)).fetchone()


_FTS5 = _fts5()


@settings(max_examples=100, deadline=None)
@given(text=st.binary(max_size=200))
def test_any_bytes_decoded_leniently_are_safe(text: bytes) -> None:
    decoded = text.decode("utf-8", errors="surrogateescape")  # lone surrogates
    for token in analyze_query(decoded, "ko"):
        assert SAFE.fullmatch(token)


# --------------------------------------------------------------------------
# Autocomplete
# --------------------------------------------------------------------------
def test_prefix_tokens_latin() -> None:
    assert prefix_tokens("dri", "en") == ([], "dri")
    assert prefix_tokens("Drive THR", "en") == (["drive"], "thr")
    assert prefix_tokens("drive through ", "en") == (["drive"], None)  # "through" is a stop word
    assert prefix_tokens("", "en") == ([], None)
    # the prefix is unstemmed: it is matched against autocomplete_text
    assert prefix_tokens("cyclin", "en").prefix == "cyclin"
    assert "cycling" in autocomplete_text("Cycling lanes", "en").split()


def test_prefix_tokens_korean() -> None:
    assert prefix_tokens("선별진", "ko") == ([], "선별진")
    assert any(t.startswith("선별진") for t in autocomplete_text("선별진료소를 운영했다", "ko").split())
    assert prefix_tokens("서울시는", "ko").prefix == "서울시"  # trailing particle removed
    assert prefix_tokens("선별진료소 운영ㅎ", "ko") == (["선별", "진료", "소"], "운영")  # IME jamo dropped
    assert prefix_tokens("드라이", "ko").prefix == "드라이"


# --------------------------------------------------------------------------
# Concurrency: one MeCab per process, shared by threads
# --------------------------------------------------------------------------
def test_threads_share_the_analyser_safely() -> None:
    texts = [
        f"{city}는 드라이브스루 선별진료소를 운영했다" for city in ("서울시", "부산시", "대구시", "인천시")
    ]
    expected = [analyze(t, "ko") for t in texts]
    errors: list[str] = []

    def work() -> None:
        for _ in range(200):
            for text, want in zip(texts, expected, strict=True):
                if analyze(text, "ko") != want:
                    errors.append(text)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


# --------------------------------------------------------------------------
# Elasticsearch: the same user dictionary
# --------------------------------------------------------------------------
def test_nori_user_dictionary_rules_spell_their_words() -> None:
    rules = nori_user_dictionary_rules()
    assert "자가격리 자가 격리" in rules
    for rule in rules:
        surface, *parts = rule.split()
        assert not parts or "".join(parts) == surface


@pytest.mark.parametrize(
    ("word", "content"),
    [
        ("선별진료소를", "선별진료소"),
        ("운영했다", "운영"),
        ("서울시는", "서울시"),
        ("드라이브스루", "드라이브스루"),
        ("마스크", "마스크"),
        ("PCR검사를", "PCR검사"),
    ],
)
def test_korean_content_end_leaves_particles_and_endings_out(word: str, content: str) -> None:
    assert word[: korean_content_end(word)] == content


@given(st.text(max_size=40))
@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
def test_korean_content_end_is_always_inside_the_word(word: str) -> None:
    assert 0 <= korean_content_end(word) <= len(word)


def test_korean_highlight_marks_words_by_the_longer_parts_of_a_compound_query() -> None:
    from search.backends.database import highlight

    text = "드라이브스루 검사소를 열었고 선별진료소를 늘렸다."
    assert highlight(text, analyze_query("선별진료소", "ko"), "ko") == (
        "드라이브스루 검사소를 열었고 <mark>선별진료소</mark>를 늘렸다."
    )
    # A one-syllable query still marks what it finds.
    assert analyze_query("소", "ko") == ["소"]
    assert "<mark>검사소</mark>를" in highlight(text, ["소"], "ko")


def test_english_stemming_is_safe_across_threads():
    """gunicorn's threaded workers analyse queries in parallel: a stemmer shared by two threads
    read the other's word (IndexError, a 500 under load). Threads switching every microsecond
    stem the same words as one thread does."""
    import sys

    from search import analysis

    words = [
        f"{stem}{ending}"
        for stem in ("test", "vaccin", "quarantin", "support", "cycl")
        for ending in ("", "s", "ing", "ed", "ations", "ers", "ingly")
    ]
    expected = {word: analysis._english_stemmer().stemWord(word) for word in words}
    stem = analysis._english_token.__wrapped__  # past the cache: every call stems
    failures: list[BaseException] = []
    mismatches: list[tuple[str, str | None]] = []

    def work() -> None:
        try:
            for _round in range(300):
                for word in words:
                    got = stem(word)
                    if got != expected[word].replace("'", ""):
                        mismatches.append((word, got))
        except BaseException as error:  # noqa: BLE001 (reported below)
            failures.append(error)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=work) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert not failures and not mismatches
