"""Spelling and synonym benchmark: `search.spelling.correct()` and `search.synonyms.expansions()`
over the vocabulary of 100,000 bilingual cases.

Not a timed test: a measurement whose figures go into docs/benchmarks.md ("## Spelling and
synonyms").

    .venv/bin/python bench/spelling.py                    # 100,000 cases
    .venv/bin/python bench/spelling.py --cases 10000 --runs 200
    .venv/bin/python bench/spelling.py --reuse            # measure the last run's vocabulary again

Steps, in one process (settings `cac_platform.settings.dev`, a fresh SQLite database
`/tmp/cac-bench-spelling.sqlite3`, migrated):

1. the vocabulary of `--cases` synthetic bilingual cases (`bench/synthetic.py`, the cases of
   `bench/search.py`): each case's text in each language is analysed as the index would hold it
   (`search.analysis.to_index_text`, word by word with a cache, for speed) and counted with the
   functions the database backend's hook uses (`spelling.document_terms`, `document_words`),
   written in batches of 500 documents with the hook's SQL (timed: the write cost per batch);
2. the same vocabulary grown to the size a real corpus of that many cases would have (the
   synthetic text draws from a few hundred words): `--extra` (default 80,000) more English words
   — symspellpy's English frequency list when installed, else made-up words — and as many
   made-up Korean nouns of 2 to 4 syllables;
3. for each of the two vocabularies: the load into memory (time; memory held, by tracemalloc), then
   `--runs` timed calls per query class: a correct English and Korean query (the common case:
   nothing to look up), a misspelt English word and a misspelt Korean word (one random edit of
   a vocabulary word: a letter, or a jamo), a three-word query with one typo, and
   `expansions()` of everyday queries;
4. with symspellpy installed, SymSpell on the same English words (build time, memory, lookup).
"""

from __future__ import annotations

import argparse
import functools
import gc
import os
import random
import re
import statistics
import sys
import tempfile
import time
import tracemalloc
import unicodedata
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import synthetic  # noqa: E402

DB_PATH = Path(tempfile.gettempdir()) / "cac-bench-spelling.sqlite3"
TAGS = re.compile(r"<[^>]+>")


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def percentiles(samples: list[float]) -> str:
    samples = sorted(samples)
    p50 = statistics.median(samples)
    p95 = samples[min(len(samples) - 1, int(len(samples) * 0.95))]
    return f"p50 {p50 * 1000:7.3f} ms  p95 {p95 * 1000:7.3f} ms"


def setup_django(reuse: bool = False) -> None:
    if DB_PATH.exists() and not reuse:
        DB_PATH.unlink()
    os.environ["DATABASE_URL"] = f"sqlite:///{DB_PATH}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cac_platform.settings.dev")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def case_texts(spec, language: str, measures: dict[str, tuple[str, str]]) -> tuple[str, str]:
    data = spec.en if language == "en" else spec.ko
    name, name_ko, _country, _continent = synthetic.CITIES[spec.city]
    body = " ".join(
        block["value"] if isinstance(block["value"], str) else block["value"]["text"]
        for block in _blocks(data)
    )
    names = " ".join(n for slug in spec.measures for n in measures[slug])
    raw = "\n".join(
        [
            data["title"],
            data["summary"],
            body,
            data["outcomes"],
            data["lessons_learned"],
            name,
            name_ko,
            names,
        ]
    )
    return data["title"], TAGS.sub(" ", raw)


def _blocks(data):
    import json

    return json.loads(data["body"])


def build_vocabulary(cases: int, log) -> dict:
    from django.db import connection, transaction

    from casestudies.models import MeasureType
    from search import spelling
    from search.analysis import to_index_text

    @functools.lru_cache(maxsize=500_000)
    def analysed(word: str, language: str) -> str:
        return to_index_text(word, language)

    def index_text(text: str, language: str) -> str:
        return " ".join(analysed(word, language) for word in text.split())

    measures = {
        slug: (name, name_ko)
        for slug, name, name_ko in MeasureType.objects.values_list("slug", "name", "name_ko")
    }
    measure_list = [(slug, *names) for slug, names in measures.items()]
    areas = ["quarantine", "public-transportation"]
    counts: Counter = Counter()
    words: set = set()
    pending = 0
    write_times: list[float] = []
    extract_times: list[float] = []
    t0 = time.perf_counter()

    def flush():
        nonlocal counts, words, pending
        start = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            spelling._add(cursor, counts, words)
        write_times.append(time.perf_counter() - start)
        counts, words, pending = Counter(), set(), 0

    for number, spec in enumerate(synthetic.make_cases(cases, areas, measure_list)):
        for language in ("en", "ko"):
            title, raw = case_texts(spec, language, measures)
            title_index, body_index = index_text(title, language), index_text(raw, language)
            start = time.perf_counter()
            terms = spelling.document_terms(title_index, body_index)
            counts.update((language, term) for term in terms)
            words.update((language, w, t) for w, t in spelling.document_words(raw, terms).items())
            extract_times.append(time.perf_counter() - start)
            pending += 1
        if pending >= 500:
            flush()
        if (number + 1) % 10_000 == 0:
            log(f"  {number + 1} cases ({time.perf_counter() - t0:.0f} s)")
    if pending:
        flush()
    return {
        "extract_ms_per_doc": statistics.mean(extract_times) * 1000,
        "write_ms_per_500_docs": statistics.median(write_times) * 1000,
        "build_s": time.perf_counter() - t0,
    }


def made_up_korean(rng: random.Random, n: int) -> list[str]:
    syllables = sorted({ch for noun in synthetic.KO_NOUNS for ch in noun})
    out: set[str] = set()
    while len(out) < n:
        out.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
    return sorted(out)


def english_words(n: int, rng: random.Random) -> list[str]:
    try:
        import symspellpy

        path = Path(symspellpy.__file__).parent / "frequency_dictionary_en_82_765.txt"
        words = [line.split()[0] for line in path.read_text().splitlines() if line.strip()]
        words = [w for w in words if w.isalpha() and len(w) > 1][:n]
        return words
    except ImportError:
        letters = "abcdefghijklmnopqrstuvwxyz"
        return sorted({"".join(rng.choice(letters) for _ in range(rng.randint(4, 11))) for _ in range(n)})


def grow_vocabulary(extra: int, rng: random.Random) -> int:
    """Add `extra` English and `extra` Korean words (made up or from a word list), 1-50 documents each."""
    from django.db import connection, transaction

    from search import spelling
    from search.analysis import _english_token

    counts: Counter = Counter()
    words: set = set()
    for word in english_words(extra, rng):
        term = _english_token(word)
        if term and spelling._usable(term):
            counts[("en", term)] += rng.randint(1, 50)
            words.add(("en", word, term))
    for word in made_up_korean(rng, extra):
        counts[("ko", word)] += rng.randint(1, 50)
        words.add(("ko", word, word))
    with transaction.atomic(), connection.cursor() as cursor:
        spelling._add(cursor, counts, words)
    return len(words)


JAMO_CLASSES = (
    [chr(c) for c in range(0x1100, 0x1113)],  # initial consonants
    [chr(c) for c in range(0x1161, 0x1176)],  # vowels
    [chr(c) for c in range(0x11A8, 0x11C3)],  # final consonants
)


def typo(word: str, rng: random.Random) -> str:
    """One random edit: an English letter replaced, dropped or two swapped; a Korean jamo
    replaced by another of its kind (a syllable stays a syllable), as a slip of the key does."""
    if re.match("^[\uac00-\ud7a3]+$", word):
        jamo = unicodedata.normalize("NFD", word)
        i = rng.randrange(len(jamo))
        kind = next(k for k in JAMO_CLASSES if jamo[i] in k)
        jamo = jamo[:i] + rng.choice([j for j in kind if j != jamo[i]]) + jamo[i + 1 :]
        return unicodedata.normalize("NFC", jamo)
    i = rng.randrange(len(word))
    kind = rng.choice(("replace", "drop", "swap"))
    if kind == "replace":
        return word[:i] + rng.choice("abcdefghijklmnopqrstuvwxyz") + word[i + 1 :]
    if kind == "drop" and len(word) > 4:
        return word[:i] + word[i + 1 :]
    if i + 1 < len(word):
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:-1] + "q"


def time_calls(fn, inputs: list, runs: int) -> list[float]:
    samples = []
    for k in range(runs):
        args = inputs[k % len(inputs)]
        start = time.perf_counter()
        fn(*args)
        samples.append(time.perf_counter() - start)
    return samples


def measure(label: str, runs: int, rng: random.Random, log) -> None:
    from search import spelling, synonyms
    from search.models import SpellingTerm, SpellingWord

    spelling.invalidate()
    synonyms.invalidate()
    gc.collect()
    start = time.perf_counter()
    vocab = spelling._cache.get()
    load_s = time.perf_counter() - start
    # The memory the vocabulary holds: loaded again under tracemalloc (Python objects only;
    # rapidfuzz keeps nothing between calls).
    spelling.invalidate()
    vocab = None
    gc.collect()
    tracemalloc.start()
    vocab = spelling._cache.get()
    added = tracemalloc.get_traced_memory()[0] / 2**20
    tracemalloc.stop()
    sizes = {lang: len(vocab.words[lang]) for lang in ("en", "ko")}
    log(
        f"\n### {label}: {SpellingTerm.objects.count():,} terms, {SpellingWord.objects.count():,} written forms "
        f"(en {sizes['en']:,}, ko {sizes['ko']:,})"
    )
    log(f"load into memory: {load_s:.2f} s, {added:.0f} MB of Python objects")

    en_words = [w for w in vocab.words["en"] if len(w) >= 6 and w.isalpha()]
    ko_words = [w for w in vocab.words["ko"] if len(w) >= 3]
    known_en = [(" ".join(rng.sample(en_words, 3)), "en") for _ in range(50)]
    known_ko = [(" ".join(rng.sample(ko_words, 2)) + "를", "ko") for _ in range(50)]
    typos_en = [
        (t, "en") for t in (typo(rng.choice(en_words), rng) for _ in range(200)) if not vocab.known(t)
    ]
    typos_ko = [
        (t, "ko") for t in (typo(rng.choice(ko_words), rng) for _ in range(200)) if not vocab.known(t)
    ]
    mixed = [
        (f"{rng.choice(en_words)} {typo(rng.choice(en_words), rng)} {rng.choice(en_words)}", "en")
        for _ in range(50)
    ]
    classes = [
        ("correct(): correct English query (3 words)", known_en),
        ("correct(): correct Korean query (2 words + particle)", known_ko),
        ("correct(): misspelt English word", typos_en),
        ("correct(): misspelt Korean word", typos_ko),
        ("correct(): 3 English words, one misspelt", mixed),
    ]
    for name, inputs in classes:
        for args in inputs[:5]:
            spelling.correct(*args)  # warm caches (mecab, stems)
        samples = time_calls(spelling.correct, inputs, runs)
        fixed = sum(1 for args in inputs if spelling.correct(*args))
        log(f"{name:55s} {percentiles(samples)}   ({fixed}/{len(inputs)} inputs changed)")
    queries = [
        ("SMEs", "en"),
        ("seniors", "en"),
        ("how did cities protect older people living alone", "en"),
        ("drive-thru testing for SMEs", "en"),
        ("wifi on buses for remote learners", "en"),
        ("어르신들을 위한 도시락 배달", "ko"),
        ("마스크를 착용한 시민", "ko"),
        ("quarantine hotels", "en"),
    ]
    for args in queries:
        synonyms.expansions(*args)
    log(
        f"{'expansions(): everyday queries (8, en and ko)':55s} {percentiles(time_calls(synonyms.expansions, queries, runs))}"
    )


def measure_symspell(runs: int, rng: random.Random, log) -> None:
    try:
        import symspellpy
    except ImportError:
        log("\nsymspellpy is not installed: no comparison")
        return
    from search import spelling

    vocab = spelling._cache.get()
    counts = {w: vocab.count(w) for w in vocab.words["en"]}
    gc.collect()
    start = time.perf_counter()
    sym = symspellpy.SymSpell(max_dictionary_edit_distance=2)
    for word, count in counts.items():
        sym.create_dictionary_entry(word, max(count, 1))
    build_s = time.perf_counter() - start
    before = rss_mb()
    del sym
    gc.collect()
    added = before - rss_mb()  # what freeing the index gives back (a lower bound of its size)
    sym = symspellpy.SymSpell(max_dictionary_edit_distance=2)
    for word, count in counts.items():
        sym.create_dictionary_entry(word, max(count, 1))
    words = [w for w in counts if len(w) >= 6]
    inputs = [(typo(rng.choice(words), rng),) for _ in range(200)]
    samples = time_calls(lambda q: sym.lookup(q, symspellpy.Verbosity.TOP, 2), inputs, runs)
    log(f"\n### SymSpell (symspellpy) on the same {len(counts):,} English words")
    log(
        f"build: {build_s:.2f} s, {added:.0f} MB resident given back when freed; "
        f"lookup of a misspelt word: {percentiles(samples)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--extra", type=int, default=80_000)
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--reuse", action="store_true", help="measure the vocabulary the last run left")
    args = parser.parse_args()

    def log(message: str) -> None:
        print(message, flush=True)

    rng = random.Random(args.seed)
    log(f"migrating {DB_PATH} ...")
    setup_django(args.reuse)
    if args.reuse:
        measure("the vocabulary of the last run", args.runs, rng, log)
        measure_symspell(args.runs, rng, log)
        return
    log(f"vocabulary of {args.cases:,} synthetic bilingual cases ...")
    built = build_vocabulary(args.cases, log)
    log(
        f"built in {built['build_s']:.0f} s; the hook's counting {built['extract_ms_per_doc']:.2f} ms per document, "
        f"its SQL {built['write_ms_per_500_docs']:.0f} ms per batch of 500 documents (median)"
    )
    measure(f"{args.cases:,} synthetic cases", args.runs, rng, log)
    added = grow_vocabulary(args.extra, rng)
    log(f"\n(+{added:,} words: the size of a real corpus)")
    measure(f"{args.cases:,} cases, real-size vocabulary", args.runs, rng, log)
    measure_symspell(args.runs, rng, log)


if __name__ == "__main__":
    main()
