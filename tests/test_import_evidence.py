"""Issue 16 in the import: graded outcomes, what it takes and "inspired by" columns; older files."""

from __future__ import annotations

import csv
import datetime
import io
import json

import pytest

from casestudies.exporter import BASE_COLUMNS, COLUMNS
from casestudies.factories import CityFactory
from casestudies.imports import ImportFailed, prepare, write_pages
from casestudies.models import CaseInspiration, CaseStudyPage

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(en_index, ko_index):
    CityFactory(name="Goyang", name_ko="고양", slug="goyang", country="KR", continent="asia")
    CityFactory(name="Seoul", name_ko="서울", slug="seoul", country="KR", continent="asia")
    return {"en": en_index, "ko": ko_index}


def row(**values) -> dict:
    base = {
        "key": "seoul-drive",
        "locale": "en",
        "title": "Drive-through screening",
        "summary": "Swabs through the car window.",
        "city": "Seoul",
        "country": "KR",
        "continent": "asia",
        "policy_areas": "quarantine",
        "measure_types": "",
        "start_date": "2020-03-01",
        "end_date": "",
        "body": "",
        "outcomes": "",
        "source_urls": "",
        "contact_email": "",
    }
    base.update(values)
    return base


def csv_bytes(rows: list[dict], columns=COLUMNS) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def errors_of(data: bytes, fmt: str = "csv") -> list[str]:
    with pytest.raises(ImportFailed) as failure:
        prepare(data, fmt)
    return [str(error) for error in failure.value.errors]


GOOD_OUTCOME = "3 | Minutes per test | 30 | 2020-02-20 | 10 | 2020-03-02 | https://example.org/r"


def test_new_columns_import(site):
    data = csv_bytes(
        [
            row(key="goyang-drive", city="Goyang", start_date="2020-02-26", title="Goyang drive-through"),
            row(
                evidence=GOOD_OUTCOME + "\n1 | Stations opened",
                inspired_by="goyang-drive | same layout",
                cost_amount="1,500,000",
                cost_currency="KRW",
                cost_year="2020",
                launch_days="3",
                staff="4 per station",
            ),
        ]
    )
    write_pages(prepare(data, "csv", publish=True))
    page = CaseStudyPage.objects.get(slug="seoul-drive")
    assert page.evidence_level == 3
    outcome = page.outcome_evidence.first()
    assert (outcome.indicator, outcome.baseline_date, outcome.result_value) == (
        "Minutes per test",
        datetime.date(2020, 2, 20),
        "10",
    )
    assert (int(page.cost_amount), page.cost_currency, page.cost_year, page.launch_days) == (
        1500000,
        "KRW",
        2020,
        3,
    )
    link = CaseInspiration.objects.get(page=page)
    assert (link.source.slug, link.note) == ("goyang-drive", "same layout")
    # The revision knows the link too: publishing it again keeps it.
    page.latest_revision.publish()
    assert CaseInspiration.objects.filter(page=page).count() == 1


def test_an_older_file_imports_and_leaves_the_new_fields_alone(site):
    write_pages(prepare(csv_bytes([row(evidence=GOOD_OUTCOME, staff="4 per station")]), "csv", publish=True))
    older = csv_bytes([row(title="Drive-through screening stations")], columns=BASE_COLUMNS)
    plan = prepare(older, "csv", publish=True)
    assert plan.counts["update"] == 1
    write_pages(plan)
    page = CaseStudyPage.objects.get(slug="seoul-drive")
    assert page.title == "Drive-through screening stations"
    assert page.evidence_level == 3 and page.staff == "4 per station"
    # The same in JSON Lines: a row without the keys.
    line = json.dumps({k: v for k, v in row(title="Again").items()}).encode()
    write_pages(prepare(line, "jsonl", publish=True))
    assert CaseStudyPage.objects.get(slug="seoul-drive").outcome_evidence.count() == 1


@pytest.mark.parametrize(
    ("values", "column", "message"),
    [
        ({"evidence": "2 | Tests | | | 100 | 2020-03-05"}, "evidence", "baseline date"),
        ({"evidence": "6 | Tests | 0 | 2020-03-01 | 100 | 2020-03-05"}, "evidence", "1 to 5"),
        ({"evidence": "x | Tests"}, "evidence", "1 to 5"),
        ({"evidence": "2 | Tests | 0 | 2020-03-09 | 100 | 2020-03-05"}, "evidence", "before its baseline"),
        ({"evidence": "2 | Tests | 0 | 03/01/2020"}, "evidence", "not a date"),
        ({"cost_amount": "-5"}, "cost_amount", "negative"),
        ({"cost_amount": "lots"}, "cost_amount", "not an amount"),
        ({"cost_year": "20"}, "cost_year", "not a year"),
        ({"inspired_by": "seoul-drive"}, "inspired_by", "itself"),
        ({"inspired_by": "no-such-case"}, "inspired_by", "no case has the key"),
    ],
)
def test_bad_values_are_line_errors(site, values, column, message):
    errors = errors_of(csv_bytes([row(**values)]))
    assert any(f"line 2, column {column}" in error and message in error for error in errors), errors
    assert not CaseStudyPage.objects.exists()


def test_an_inspiration_loop_is_a_line_error(site):
    data = csv_bytes(
        [
            row(key="a-case", title="A", inspired_by="b-case"),
            row(key="b-case", title="B", inspired_by="a-case"),
        ]
    )
    errors = errors_of(data)
    assert any("column inspired_by" in error and "loop" in error for error in errors), errors
    assert not CaseStudyPage.objects.exists()


def test_a_loop_through_the_site_is_a_line_error(site):
    write_pages(
        prepare(
            csv_bytes([row(key="a-case", title="A"), row(key="b-case", title="B", inspired_by="a-case")]),
            "csv",
            publish=True,
        )
    )
    errors = errors_of(csv_bytes([row(key="a-case", title="A", inspired_by="b-case")]))
    assert any("line 2, column inspired_by" in error and "loop" in error for error in errors), errors
    assert not CaseInspiration.objects.filter(page__slug="a-case").exists()
