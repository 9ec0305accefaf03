"""Korean retrieval quality and analyser speed/memory for search/analysis.py.

Why: the choice of a Korean analyser for the full-text index must rest on
numbers measured on our own kind of text, not on hopes.  This script compares
tokenisation schemes on a hand-judged test set (bench/data/korean_eval.json),
every scheme evaluated the same way: a document matches a query when it holds
ALL the query's tokens (AND over token sets, as the FTS5/tsquery search does).

    .venv/bin/python bench/korean_eval.py            # quality table
    .venv/bin/python bench/korean_eval.py -v         # ... and per-query misses
    .venv/bin/python bench/korean_eval.py --speed    # + speed/memory, 10,000 sentences per language
    .venv/bin/python bench/korean_eval.py --postgres postgresql://postgres@127.0.0.1:5432/test

Speed and memory are measured in fresh child processes so that one
measurement does not pollute the other.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data" / "korean_eval.json"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

_WORD = re.compile(r"[^\W_]+")
_HANGUL_RUN = re.compile(r"([\uac00-\ud7a3]+)")

Tokenizer = Callable[[str], Iterable[str]]


# --------------------------------------------------------------------------
# Schemes
# --------------------------------------------------------------------------
def unicode61_tokens(text: str) -> list[str]:
    """What FTS5's default tokenizer (and PostgreSQL's `simple`) sees: words split on spaces/punctuation."""
    return [w.casefold() for w in _WORD.findall(text)]


def bigram_tokens(text: str) -> list[str]:
    """Hangul runs as overlapping 2-syllable grams (a 1-syllable run kept whole); other runs as words."""
    out: list[str] = []
    for word in unicode61_tokens(text):
        for k, piece in enumerate(_HANGUL_RUN.split(word)):
            if not piece:
                continue
            if k % 2 and len(piece) > 1:
                out.extend(piece[i : i + 2] for i in range(len(piece) - 1))
            else:
                out.append(piece)
    return out


def mecab_surface_tokens(text: str) -> list[str]:
    """mecab morphemes as written: no decompounding, no lemma, same stop tags, lower-cased."""
    from search import analysis

    text = analysis._clean(text)
    return [
        m.surface.casefold()
        for m in analysis._mecab_parse(text)
        if not analysis._is_stop_tag(m.tag) and _WORD.fullmatch(m.surface)
    ]


def pipeline_doc(text: str) -> list[str]:
    from search.analysis import analyze

    return analyze(text, "ko")


def pipeline_query(text: str) -> list[str]:
    from search.analysis import analyze_query

    return analyze_query(text, "ko")


def reload_tagger(user_dictionary: bool) -> None:
    """Swap the process's MeCab for one with/without the user dictionary (bench only)."""
    from search import analysis

    os.environ["CAC_SEARCH_MECAB_USERDIC"] = "1" if user_dictionary else "0"
    analysis._tagger = None
    analysis._get_tagger()


# --------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------
def evaluate(data: dict, doc_tok: Tokenizer, query_tok: Tokenizer) -> dict:
    """AND-of-query-tokens retrieval over token sets; micro and macro P/R/F1."""
    docs = {d["id"]: set(doc_tok(d["text"])) for d in data["documents"]}
    tp = fp = fn = 0
    macro_p: list[float] = []
    macro_r: list[float] = []
    macro_f: list[float] = []
    empty = 0
    per_query = []
    for q in data["queries"]:
        qt = set(query_tok(q["query"]))
        hits = {d for d, toks in docs.items() if qt and qt <= toks}
        rel = set(q["relevant"])
        q_tp = len(hits & rel)
        tp += q_tp
        fp += len(hits - rel)
        fn += len(rel - hits)
        p = q_tp / len(hits) if hits else 0.0
        r = q_tp / len(rel)
        macro_p.append(p)
        macro_r.append(r)
        macro_f.append(2 * p * r / (p + r) if p + r else 0.0)
        empty += not hits
        per_query.append((q, sorted(qt), sorted(hits - rel), sorted(rel - hits)))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    n = len(data["queries"])
    return {
        "precision": precision,
        "recall": recall,
        "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        "macro_p": sum(macro_p) / n,
        "macro_r": sum(macro_r) / n,
        "macro_f1": sum(macro_f) / n,
        "no_result": empty,
        "per_query": per_query,
    }


def quality(verbose: bool) -> None:
    data = json.loads(DATA.read_text(encoding="utf-8"))
    print(
        f"Test set: {len(data['documents'])} documents, {len(data['queries'])} queries, "
        f"{sum(len(q['relevant']) for q in data['queries'])} relevant pairs (hand-judged)."
    )
    print("Match rule: a document matches when it holds every query token (AND over token sets).\n")

    from search.analysis import analyze

    reload_tagger(True)
    schemes: list[tuple[str, Tokenizer, Tokenizer]] = [
        ("(1) mecab pipeline (index mixed, query parts)", pipeline_doc, pipeline_query),
        ("(1b) same, query also mixed (whole + parts)", pipeline_doc, lambda t: analyze(t, "ko")),
        ("(2) whitespace / unicode61 (FTS5 default)", unicode61_tokens, unicode61_tokens),
        ("(3) Hangul bigrams", bigram_tokens, bigram_tokens),
        ("(4) mecab surfaces, no decompounding", mecab_surface_tokens, mecab_surface_tokens),
    ]
    results = [(name, evaluate(data, d, q)) for name, d, q in schemes]
    reload_tagger(False)
    results.insert(
        1, ("(1c) mecab pipeline without user dictionary", evaluate(data, pipeline_doc, pipeline_query))
    )
    results.append(
        (
            "(4b) mecab surfaces, no user dictionary",
            evaluate(data, mecab_surface_tokens, mecab_surface_tokens),
        )
    )
    reload_tagger(True)

    header = "| scheme | precision | recall | F1 | macro P | macro R | macro F1 | queries with no hit |"
    print(header)
    print("|" + " --- |" * 8)
    for name, r in results:
        print(
            f"| {name} | {r['precision']:.3f} | {r['recall']:.3f} | {r['f1']:.3f} | "
            f"{r['macro_p']:.3f} | {r['macro_r']:.3f} | {r['macro_f1']:.3f} | {r['no_result']} |"
        )
    print(
        "\nprecision/recall/F1: micro (pooled over all queries); macro: mean per query, "
        "a query with no hit counting precision 0."
    )
    if verbose:
        for name, r in results:
            print(f"\n== {name}")
            for q, qt, false_pos, missed in r["per_query"]:
                if false_pos or missed:
                    print(f"  {q['id']} {q['query']!r} tokens={qt} false+={false_pos} missed={missed}")


# --------------------------------------------------------------------------
# The real engines: FTS5 unicode61 and PostgreSQL `simple` over the stored text
# --------------------------------------------------------------------------
def engines(postgres_url: str | None) -> None:
    """Index to_index_text() in the real engines and check they agree with the token sets.

    Why: the whole design rests on the engines' own tokenizers leaving our
    pre-analysed tokens intact, and on query tokens being inert in their
    query languages (FTS5 barewords, tsquery lexemes).
    """
    import sqlite3

    from search.analysis import analyze, analyze_query, to_index_text

    data = json.loads(DATA.read_text(encoding="utf-8"))
    docs = data["documents"]
    expected = {}
    for q in data["queries"]:
        qt = set(analyze_query(q["query"], "ko"))
        expected[q["id"]] = {d["id"] for d in docs if qt and qt <= set(analyze(d["text"], "ko"))}

    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE idx USING fts5(doc_id UNINDEXED, body, tokenize='unicode61')")
    db.executemany("INSERT INTO idx VALUES (?, ?)", [(d["id"], to_index_text(d["text"], "ko")) for d in docs])
    same_quoted = same_bare = 0
    for q in data["queries"]:
        tokens = analyze_query(q["query"], "ko")
        quoted = " AND ".join(f'"{t}"' for t in tokens)
        bare = " ".join(tokens)  # implicit AND; safe because tokens are plain lower-case words
        got_q = {r[0] for r in db.execute("SELECT doc_id FROM idx WHERE idx MATCH ?", (quoted,))}
        got_b = {r[0] for r in db.execute("SELECT doc_id FROM idx WHERE idx MATCH ?", (bare,))}
        same_quoted += got_q == expected[q["id"]]
        same_bare += got_b == expected[q["id"]]
    n = len(data["queries"])
    print(
        f"\nSQLite {sqlite3.sqlite_version} FTS5 unicode61 over to_index_text(): "
        f"{same_quoted}/{n} queries (quoted tokens) and {same_bare}/{n} (bare tokens) "
        "return exactly the token-set result."
    )
    if not postgres_url:
        print("PostgreSQL: skipped (pass --postgres URL).")
        return
    import psycopg

    with psycopg.connect(postgres_url, connect_timeout=5) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
        ctype = conn.execute("SELECT current_setting('lc_ctype')").fetchone()[0]
        conn.execute("CREATE TEMP TABLE idx (doc_id text, body tsvector)")
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO idx VALUES (%s, to_tsvector('simple', %s))",
                [(d["id"], to_index_text(d["text"], "ko")) for d in docs],
            )
        same = 0
        for q in data["queries"]:
            tokens = analyze_query(q["query"], "ko")
            rows = conn.execute(
                "SELECT doc_id FROM idx WHERE body @@ to_tsquery('simple', %s)", (" & ".join(tokens),)
            ).fetchall()
            same += {r[0] for r in rows} == expected[q["id"]]
        print(
            f"PostgreSQL {version} (lc_ctype {ctype}) tsvector 'simple': {same}/{n} queries "
            "return exactly the token-set result."
        )


# --------------------------------------------------------------------------
# Speed and memory
# --------------------------------------------------------------------------
def _split(words: str) -> list[str]:
    return words.split()


KO_CITIES = _split(
    "서울시 부산시 대구시 인천시 광주시 대전시 울산시 세종시 수원시 창원시"
    " 고양시 용인시 성남시 청주시 전주시 제주도 경기도 강원도 포항시 김해시"
)
KO_TIMES = [
    "지난해 3월부터",
    "2021년 겨울에",
    "확진자가 늘어나자",
    "4차 유행이 시작되자",
    "설 연휴를 앞두고",
    "개학을 앞두고",
    "거리두기가 완화된 뒤에도",
    "오미크론 변이가 퍼지자",
    "여름 휴가철을 맞아",
    "정부 지침에 따라",
]
KO_OBJECTS = [
    "드라이브스루 선별진료소를",
    "워크스루 선별진료소를",
    "임시선별검사소를",
    "생활치료센터를",
    "재택치료 상담센터를",
    "백신 예방접종센터를",
    "임시 자전거 도로를",
    "공공배달앱을",
    "안심콜 출입관리 서비스를",
    "자가격리자 지원 전담팀을",
    "소상공인 긴급 지원 창구를",
    "비대면 진료 상담 창구를",
    "해외입국자 전용 격리시설을",
    "다국어 콜센터를",
    "긴급돌봄 교실을",
    "방역패스 점검반을",
    "마스크 무료 배부처를",
    "음압병상과 중환자 병상을",
]
KO_VERBS = [
    "운영했다.",
    "설치했습니다.",
    "확대하기로 했다.",
    "열어 시민들의 불편을 덜었다.",
    "마련하고 홍보에 나섰다.",
    "늘려 대기 시간을 크게 줄였다.",
    "새로 만들어 24시간 운영하고 있다.",
    "신속하게 도입해 좋은 평가를 받았다.",
    "운영하며 주민들의 건강 상태를 매일 확인했다.",
    "추가로 지정하고 예산을 지원했다.",
]
KO_TAILS = [
    "",
    " 시민들은 마스크를 쓰고 길게 줄을 섰다.",
    " 검사 결과는 다음 날 문자로 알려 주었다.",
    " 이용자 만족도는 90%를 넘었다.",
    " 시는 앞으로도 방역 수칙을 지켜 달라고 당부했다.",
    "",
]
EN_CITIES = _split(
    "Seoul Busan Daegu Incheon Gwangju Daejeon Milan Lisbon Bogota Paris"
    " Taipei Auckland Toronto Nairobi Lagos Jakarta Hanoi Lima Oslo Vienna"
)
EN_TIMES = [
    "in March 2020",
    "during the second wave",
    "after cases surged",
    "ahead of the holidays",
    "when schools reopened",
    "as the Omicron variant spread",
    "under national guidelines",
    "throughout the summer",
]
EN_OBJECTS = [
    "drive-through testing centres",
    "walk-through screening clinics",
    "temporary cycle lanes",
    "community treatment centres",
    "mobile vaccination units",
    "a public delivery app for small businesses",
    "quarantine support teams",
    "contact-tracing call centres",
    "free mask distribution points",
    "emergency childcare classrooms",
    "negative-pressure isolation wards",
    "multilingual helplines for migrants",
]
EN_VERBS = [
    "opened",
    "expanded",
    "was operating",
    "introduced",
    "has been funding",
    "rapidly deployed",
    "tested the idea of",
    "quietly closed",
]
EN_TAILS = [
    ".",
    ", cutting waiting times by half.",
    ", and residents queued wearing masks.",
    ", with results sent by text message the next day.",
    "; satisfaction among users exceeded 90%.",
]


def sentences(language: str, n: int = 10_000, seed: int = 20261124) -> list[str]:
    """Deterministic, varied sentences in the style of the case studies."""
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        if language == "ko":
            out.append(
                f"{rnd.choice(KO_CITIES)}는 {rnd.choice(KO_TIMES)} {rnd.choice(KO_OBJECTS)} "
                f"{rnd.choice(KO_VERBS)}{rnd.choice(KO_TAILS)}"
            )
        else:
            out.append(
                f"{rnd.choice(EN_CITIES)} {rnd.choice(EN_VERBS)} {rnd.choice(EN_OBJECTS)} "
                f"{rnd.choice(EN_TIMES)}{rnd.choice(EN_TAILS)}"
            )
    return out


def _status_kib() -> dict[str, int]:
    out = {}
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
                out[key] = int(value.split()[0])
    return out


def speed_child(mode: str) -> None:
    """Runs in a fresh interpreter: load, then analyse 10,000 sentences.

    mode "ko-cold" points the user-dictionary cache at an empty directory, so
    that loading includes compiling it (what the first process on a new
    machine pays).
    """
    language = mode.split("-")[0]
    cold_dir = None
    if mode == "ko-cold":
        import tempfile

        cold_dir = tempfile.mkdtemp(prefix="cac-mecab-cold-")
        os.environ["CAC_SEARCH_MECAB_CACHE"] = cold_dir
    corpus = sentences(language)
    chars = sum(map(len, corpus))
    base = _status_kib()
    t0 = time.perf_counter()
    from search import analysis

    analysis.warm_up((language,))
    load_s = time.perf_counter() - t0
    loaded = _status_kib()
    t0 = time.perf_counter()
    n_tokens = 0
    for s in corpus:
        n_tokens += len(analysis.to_index_text(s, language).split())
    run_s = time.perf_counter() - t0
    after = _status_kib()
    t0 = time.perf_counter()
    for s in corpus[:2000]:
        analysis.analyze_query(s, language)
    query_s = (time.perf_counter() - t0) / 2000
    if cold_dir:
        import shutil

        shutil.rmtree(cold_dir, ignore_errors=True)
    mib = 1024
    print(
        json.dumps(
            {
                "mode": mode,
                "sentences": len(corpus),
                "avg_chars": chars / len(corpus),
                "tokens": n_tokens,
                "load_s": load_s,
                "sentences_per_s": len(corpus) / run_s,
                "query_ms": query_s * 1000,
                "rss_load_mib": (loaded["VmRSS"] - base["VmRSS"]) / mib,
                "rss_after_mib": (after["VmRSS"] - base["VmRSS"]) / mib,
                "anon_after_mib": (after["RssAnon"] - base["RssAnon"]) / mib,
                "file_after_mib": (after["RssFile"] - base["RssFile"]) / mib,
                "peak_delta_mib": (after["VmHWM"] - base["VmRSS"]) / mib,
                "baseline_rss_mib": base["VmRSS"] / mib,
            }
        )
    )


def speed() -> None:
    print(
        "\nSpeed and memory: a fresh process per row, one core, to_index_text() per sentence; "
        "RSS deltas against the process before `import search.analysis` "
        "(file = mmapped dictionary pages, shared between worker processes):\n"
    )
    print(
        "| run | sentences | avg chars | load | sentences/s | query analysis | RSS after load | "
        "RSS after 10,000 (anon + file) | peak |"
    )
    print("|" + " --- |" * 9)
    for mode in ("ko", "ko-cold", "en"):
        out = subprocess.run(
            [sys.executable, __file__, "--speed-child", mode],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        r = json.loads(out.strip().splitlines()[-1])
        print(
            f"| {mode} | {r['sentences']:,} | {r['avg_chars']:.0f} | {r['load_s']:.2f} s | "
            f"{r['sentences_per_s']:,.0f} | {r['query_ms']:.2f} ms | +{r['rss_load_mib']:.1f} MiB | "
            f"+{r['rss_after_mib']:.1f} MiB ({r['anon_after_mib']:.1f} + {r['file_after_mib']:.1f}) | "
            f"+{r['peak_delta_mib']:.1f} MiB |"
        )
    print(f"\n(baseline interpreter RSS before import: {r['baseline_rss_mib']:.1f} MiB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="list false hits and misses per query")
    parser.add_argument("--speed", action="store_true", help="also measure speed and memory")
    parser.add_argument("--postgres", metavar="URL", help="also check PostgreSQL at this URL")
    parser.add_argument("--speed-child", choices=("ko", "ko-cold", "en"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.speed_child:
        speed_child(args.speed_child)
        return
    quality(args.verbose)
    engines(args.postgres)
    if args.speed:
        speed()


if __name__ == "__main__":
    main()
