"""The case-study demo loader (casestudies.loaders.load_demo) builds the bilingual site from real
2020 cases, judged with sourced figures, their Korean pages naming their organisation in Korean,
and a second run changes nothing. The demo is loaded once for the module (in a transaction rolled
back after it; on SQLite in memory, by the first run of the day of this code and copied in by later
runs: tests/fixtures/database.py); each test runs in a savepoint inside it.
tests/test_demo_content.py checks the demo data and runs the `load_demo` command of every app."""

import json
import re

import pytest

from wagtail.models import Locale, Page, PageLogEntry, Revision

from casestudies.loaders import DATA_DIR, load_demo
from casestudies.models import CaseStudyPage, City, PolicyArea

from .fixtures.database import build_for_module


@pytest.fixture(scope="module")
def _demo_cases_module(django_db_setup, django_db_blocker):
    yield from build_for_module(django_db_blocker, load_demo, reusable=True)


@pytest.fixture
def demo_cases(_demo_cases_module, db):
    """What the first run of the case-study demo loader reported (the cases are in the database)."""
    return _demo_cases_module


@pytest.fixture(scope="module")
def demo_rows():
    return json.loads((DATA_DIR / "cases.json").read_text(encoding="utf-8"))


def test_load_demo_builds_the_bilingual_site_and_is_idempotent(client, demo_rows, demo_cases):
    live_en = CaseStudyPage.objects.live().filter(locale__language_code="en")
    live_ko = CaseStudyPage.objects.live().filter(locale__language_code="ko")
    assert live_en.count() == len(demo_rows)
    seoul_keys = {row["key"] for row in demo_rows if row["city"] == "seoul"}
    assert seoul_keys <= set(live_ko.values_list("slug", flat=True))
    # The Korean translation keeps the city, areas and measure types of its source.
    source = live_en.get(slug=sorted(seoul_keys)[0])
    translation = live_ko.get(translation_key=source.translation_key)
    assert translation.city == source.city == City.objects.get(slug="seoul")
    assert {a.slug for a in translation.policy_areas.all()} == {a.slug for a in source.policy_areas.all()}
    assert set(translation.measure_types.values_list("slug", flat=True)) == set(
        source.measure_types.values_list("slug", flat=True)
    )
    counts = (
        Page.objects.count(),
        Revision.objects.count(),
        City.objects.count(),
        PolicyArea.objects.count(),
    )
    stats = load_demo()
    assert stats == {"pages": 0, "translations": 0, "cities": 0, "graded": 0}
    assert (
        Page.objects.count(),
        Revision.objects.count(),
        City.objects.count(),
        PolicyArea.objects.count(),
    ) == counts
    assert client.get(translation.url).status_code == 200
    assert client.get(source.url).status_code == 200


def test_demo_cases_are_judged_with_sourced_figures(client, demo_cases):
    """Issue 16: at least 15 cases with a graded outcome, 10 with costs or staff, each outcome's
    source one of its case's sources, and drive-through testing spreading from Seoul abroad."""
    from django.db.models import Q

    en = CaseStudyPage.objects.live().filter(locale__language_code="en")
    graded = en.filter(outcome_evidence__isnull=False).distinct()
    assert graded.count() >= 15
    assert en.filter(Q(cost_amount__isnull=False) | ~Q(staff="")).count() >= 10
    for case in graded:
        urls = {source.url for source in case.sources.all()}
        for outcome in case.outcome_evidence.all():
            assert outcome.source_url in urls, (case.slug, outcome.indicator)
            assert case.evidence_level >= outcome.level
    seoul = en.get(slug="seoul-drive-through-screening")
    spread = seoul.spread()
    assert {a.city.slug for a in spread.adoptions} >= {"los-angeles", "seoul"}
    assert spread.city_count == 1  # Los Angeles; the walk-through station is Seoul's own
    html = client.get(seoul.url).content.decode()
    assert "Copied by 1 city" in html and "<svg" in html
    ko = CaseStudyPage.objects.get(translation_key=seoul.translation_key, locale__language_code="ko")
    assert "효과가 있었나요?" in client.get(ko.url).content.decode()
    # Every city of the demo has a population (GeoNames, offline), so the size facet has values.
    assert not City.objects.filter(population__isnull=True).exists()


def test_the_demo_gives_korean_pages_a_korean_contact_organisation(client, demo_cases):
    ko = CaseStudyPage.objects.get(slug="seoul-drive-through-screening", locale__language_code="ko")
    en = ko.get_translation(Locale.objects.get(language_code="en"))
    assert en.contact_organisation == "Seoul Metropolitan Government, Citizens' Health Bureau"
    assert ko.contact_organisation == "서울특별시 시민건강국"
    assert "서울특별시 시민건강국" in client.get(ko.url).content.decode()
    # Every Korean demo case names its organisation in Korean (a Hangul syllable in it).
    for page in CaseStudyPage.objects.filter(locale__language_code="ko"):
        assert re.search(r"[가-힣]", page.contact_organisation), page.slug
    # Only the measures the demo data marks as running say "ongoing".
    assert set(
        CaseStudyPage.objects.filter(ongoing=True, locale__language_code="en").values_list("slug", flat=True)
    ) == {
        "amsterdam-city-doughnut",
        "seoul-dolbom-sos-center",
    }


def test_every_demo_judgement_is_on_both_languages_pages_once(demo_cases):
    """Each case of demo_data/evidence.json carries its graded outcomes, what it takes and "inspired
    by" in English and in Korean, each in its own language (the Korean page is a copy of the judged
    English one with the Korean judgement in place of the copied one), in one revision per page: a
    new case is created judged, not published a second time to add the judgement."""
    import datetime
    from decimal import Decimal

    from casestudies.loaders import DemoLoader

    def text(value, code):
        return value.get(code, value.get("en", "")) if isinstance(value, dict) else str(value or "")

    judgements = DemoLoader.judgements()
    assert len(judgements) >= 15
    for key, content in judgements.items():
        en = CaseStudyPage.objects.get(slug=key, locale__language_code="en")
        ko = CaseStudyPage.objects.get(translation_key=en.translation_key, locale__language_code="ko")
        for code, page in (("en", en), ("ko", ko)):
            assert page.live and not page.has_unpublished_changes, (key, code)
            assert PageLogEntry.objects.filter(page=page, action="wagtail.publish").count() == 1, (key, code)
            evidence = content.get("evidence", [])
            outcomes = list(page.outcome_evidence.all())
            assert [
                (
                    o.indicator,
                    o.baseline_value,
                    o.baseline_date,
                    o.result_value,
                    o.result_date,
                    o.source_url,
                    o.level,
                )
                for o in outcomes
            ] == [
                (
                    text(item["indicator"], code),
                    text(item.get("baseline_value"), code),
                    datetime.date.fromisoformat(item["baseline_date"]) if item.get("baseline_date") else None,
                    text(item.get("result_value"), code),
                    datetime.date.fromisoformat(item["result_date"]) if item.get("result_date") else None,
                    item.get("source_url", ""),
                    item["level"],
                )
                for item in evidence
            ], (key, code)
            assert page.evidence_level == max(
                (item["level"] for item in evidence), default=page.evidence_level
            )
            for field, value in content.get("requirements", {}).items():
                expected = text(value, code) if isinstance(value, dict | str) else value
                actual = getattr(page, field)
                if isinstance(actual, Decimal):
                    expected = Decimal(expected)
                assert actual == expected, (key, code, field)
            assert [
                (link.source.slug, link.source.locale.language_code, link.note)
                for link in page.inspired_by.all()
            ] == [
                (item["key"], "en", text(item.get("note", ""), code))
                for item in content.get("inspired_by", [])
            ], (key, code)
