"""bench/relevance.py: its metric functions on known values, and a well-formed judged set.

The benchmark itself (figures) runs by hand: docs/benchmarks.md, "Relevance".
"""

import json
import math

import pytest

from bench import relevance
from bench.relevance import dcg, first_per_group, ndcg_at_k, success_at_k


# --- metrics ---------------------------------------------------------------------------------
def test_success_at_k_needs_a_grade_2_case_within_k():
    judgments = {"a": 2, "b": 1}
    assert success_at_k(["x", "y", "z", "w", "a"], judgments, 5) == 1.0
    assert success_at_k(["x", "y", "z", "w", "v", "a"], judgments, 5) == 0.0  # 6th is too late
    assert success_at_k(["b", "x"], judgments, 5) == 0.0  # related only is not an answer
    assert success_at_k([], judgments, 5) == 0.0


def test_dcg_uses_exponential_gain_and_log2_discount():
    assert dcg([2]) == 3.0
    assert dcg([2, 1]) == pytest.approx(3 + 1 / math.log2(3))
    assert dcg([0, 2]) == pytest.approx(3 / math.log2(3))
    assert dcg([]) == 0.0


def test_ndcg_at_k_known_values():
    judgments = {"a": 2, "b": 1}
    assert ndcg_at_k(["a", "b"], judgments, 10) == 1.0
    ideal = 3 + 1 / math.log2(3)
    assert ndcg_at_k(["b", "a"], judgments, 10) == pytest.approx((1 + 3 / math.log2(3)) / ideal)
    assert ndcg_at_k(["x", "a"], judgments, 10) == pytest.approx((3 / math.log2(3)) / ideal)
    assert ndcg_at_k(["x", "y"], judgments, 10) == 0.0
    assert ndcg_at_k(["x", "a"], judgments, 1) == 0.0  # cut at k
    assert ndcg_at_k(["a"], {}, 10) == 0.0  # nothing judged: 0, not a division by zero


def test_ndcg_ideal_is_cut_at_k_too():
    judgments = {"a": 2, "b": 2, "c": 2}
    assert ndcg_at_k(["a"], judgments, 1) == 1.0


def test_a_case_and_its_translation_count_once():
    group = {"p1": "seoul", "p2": "seoul", "p3": "paris"}
    assert first_per_group(["p2", "p3", "p1", "p9"], group) == ["seoul", "paris", "p9"]
    judgments = {"seoul": 2, "paris": 1}
    ranked = first_per_group(["p1", "p2", "p3"], group)
    assert ndcg_at_k(ranked, judgments, 10) == 1.0  # the duplicate does not push paris down


# --- the judged set --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def queries():
    return relevance.load_queries()


@pytest.fixture(scope="module")
def languages():
    return relevance.corpus_languages()


def test_every_class_has_at_least_ten_queries(queries):
    counts = {name: 0 for name in relevance.CLASSES}
    for query in queries:
        assert query["class"] in counts, query["id"]
        counts[query["class"]] += 1
    assert min(counts.values()) >= 10, counts
    assert len(queries) >= 100


def test_queries_are_well_formed(queries):
    ids = [q["id"] for q in queries]
    assert len(ids) == len(set(ids))
    texts = [(q["language"], q["query"].casefold()) for q in queries]
    assert len(texts) == len(set(texts)), "a query appears twice"
    for query in queries:
        assert query["language"] in ("en", "ko"), query["id"]
        assert query["query"].strip(), query["id"]
        assert set(query["judgments"].values()) <= {1, 2}, query["id"]
        assert 2 in query["judgments"].values(), f"{query['id']} has no case that answers it"


def test_every_judged_case_exists_in_the_corpus(queries, languages):
    missing = {(q["id"], key) for q in queries for key in q["judgments"] if key not in languages}
    assert not missing


def test_query_language_matches_its_class(queries):
    expected = {"en": "en", "ko": "ko", "ko_to_en": "ko", "en_to_ko": "en"}
    for query in queries:
        if query["class"] in expected:
            assert query["language"] == expected[query["class"]], query["id"]
    for name in ("typo", "synonym", "question", "exact"):
        assert {q["language"] for q in queries if q["class"] == name} == {"en", "ko"}, name


def test_cross_language_answers_exist_only_in_the_other_language(queries, languages):
    other = {"ko_to_en": {"en"}, "en_to_ko": {"ko"}}
    for query in queries:
        if query["class"] in other:
            answers = [key for key, grade in query["judgments"].items() if grade == 2]
            assert all(languages[key] == other[query["class"]] for key in answers), query["id"]


def test_one_language_queries_have_an_answer_in_their_language(queries, languages):
    """`en`, `ko` and `exact` queries can be answered without crossing languages (lexical can)."""
    for query in queries:
        if query["class"] in ("en", "ko", "exact"):
            answers = [key for key, grade in query["judgments"].items() if grade == 2]
            assert any(query["language"] in languages[key] for key in answers), query["id"]


def test_corpus_is_written_in_one_language_per_case(languages):
    lines = relevance.CORPUS.read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines if line.strip()]
    keys = [row["key"] for row in rows]
    assert len(keys) == len(set(keys)), "a corpus case has two rows"
    by_locale = {locale: sum(1 for row in rows if row["locale"] == locale) for locale in ("en", "ko")}
    assert by_locale["en"] >= 35 and by_locale["ko"] >= 15, by_locale
    demo = json.loads(relevance.DEMO_CASES.read_text(encoding="utf-8"))
    assert not set(keys) & {row["key"] for row in demo}, "a corpus key would update a demo case"
    cities = {row["name_en"] for row in json.loads(relevance.CITIES.read_text(encoding="utf-8"))}
    cities |= {row["name_ko"] for row in json.loads(relevance.CITIES.read_text(encoding="utf-8"))}
    demo_cities = json.loads(
        (relevance.ROOT / "casestudies" / "demo_data" / "cities.json").read_text("utf-8")
    )
    cities |= {row["name_en"] for row in demo_cities} | {row["name_ko"] for row in demo_cities}
    assert {row["city"] for row in rows} <= cities, "a corpus city has no entry with both names"
    areas = {area for row in rows for area in row["policy_areas"]}
    assert len(areas) == 10, sorted(areas)


@pytest.mark.django_db
def test_the_corpus_imports_without_errors():
    """The corpus is in the import format: `prepare` (validation only) finds no error."""
    from wagtail.models import Locale

    from casestudies.imports import prepare
    from casestudies.loaders import DemoLoader
    from casestudies.models import CaseStudyIndexPage
    from home.models import HomePage

    en_home = HomePage.objects.get(locale__language_code="en")
    index = CaseStudyIndexPage(title="Case studies", slug="cases")
    en_home.add_child(instance=index)
    index.copy_for_translation(Locale.objects.get(language_code="ko"))
    DemoLoader().cities()  # the demo's cities, as load_demo creates them
    relevance.create_cities()
    plan = prepare(relevance.CORPUS.read_bytes(), "jsonl", publish=True)
    assert len(plan.rows) == 60
    assert plan.counts["create"] == 60
    assert not plan.new_measures, "measure types must come from the curated list"
    assert not plan.new_cities, "every city must exist with both names (bench/relevance/cities.json)"
