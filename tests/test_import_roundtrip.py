"""export_casestudies writes the import format: export → import round-trips without loss."""

import datetime
import io
from decimal import Decimal

import pytest
from wagtail_factories import DocumentFactory, ImageFactory

from django.core.management import call_command

from wagtail.models import Locale, Page

from casestudies.exporter import content_to_row, page_to_row
from casestudies.factories import CaseStudyPageFactory, CityFactory, index_page
from casestudies.models import (
    CaseInspiration,
    CaseOutcome,
    CaseStudyIndexPage,
    CaseStudyPage,
    CaseStudySource,
    ImportedCase,
    MeasureType,
)
from search import indexing

from .fixtures.database import build_for_module, fresh

pytestmark = pytest.mark.django_db


def export(fmt="csv", *extra):
    out = io.StringIO()
    call_command("export_casestudies", "-", "--format", fmt, *extra, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def import_text(tmp_path, text, fmt="csv", *extra):
    path = tmp_path / f"import.{fmt}"
    path.write_text(text, encoding="utf-8")
    out = io.StringIO()
    call_command("import_casestudies", str(path), "--no-progress", *extra, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def wipe():
    """Every case page gone, with the rows that depend on them (revisions, search rows), one delete
    per language: page by page, Django collected each page's dependent rows on its own, most of the
    demo round trip's time. Not both languages at once: unpublishing a page (Wagtail does it before
    a delete) gives its translation a search row in the page's language, which a delete already
    under way would not collect."""
    for locale in Locale.objects.all():
        Page.objects.filter(pk__in=CaseStudyPage.objects.filter(locale=locale).values("pk")).delete()
    ImportedCase.objects.all().delete()


def _build_rich_cases() -> dict:
    """Cases using every block and inline form the format knows, in two languages, live and draft."""
    en_index = index_page("en")
    index_page("ko")
    image = ImageFactory(title="Clinic")
    document = DocumentFactory(title="Report")
    seoul = CityFactory(name="Seoul", name_ko="서울", slug="seoul", country="KR", continent="asia")
    semicolon = MeasureType.objects.create(name="Masks; gloves", slug="masks-gloves")
    draft = CaseStudyPageFactory(title="Only a draft", slug="draft", city=seoul, areas=["welfare"])
    draft.unpublish()
    case = CaseStudyPageFactory(
        title="Drive-through testing",
        slug="drive-through",
        city=seoul,
        areas=["quarantine", "smart-city"],
        measures=[MeasureType.objects.get(slug="testing"), semicolon],
    )
    case.summary = "Testing from the car: * stars, _underscores_ and [brackets] stay text."
    case.body = [
        (
            "paragraph",
            '<p>A <b>bold</b> start, <i>italic</i>, a <a href="https://example.org/x?a=1&amp;b=2">link</a>,'
            f' a <a linktype="page" id="{en_index.pk}">page</a> and<br/>a break.</p>',
        ),
        ("heading", {"text": "What # was done", "level": "h2"}),
        ("paragraph", "<ul><li>first</li><li>second with <b>bold</b></li></ul>"),
        ("paragraph", "<ol><li>one</li><li>two</li></ol>"),
        ("heading", {"text": "Details", "level": "h3"}),
        ("quote", {"text": "Testing must be fast.\nAnd free.", "attribution": "Health bureau"}),
        ("key_figures", {"title": "Key figures", "figures": [{"label": "Sites | stations", "value": "12"}]}),
        ("image", {"image": image, "caption": "A clinic", "attribution": 'Photo "Seoul"'}),
        ("document", {"document": document, "title": "Full report"}),
        ("paragraph", "<p>1. Not a list. - Not a bullet. # Not a heading.</p>"),
    ]
    case.outcomes = "<p>Fewer <i>infections</i>.</p><ul><li>less waiting</li></ul>"
    case.end_date = case.start_date + datetime.timedelta(days=365)
    case.contact_email = "health@seoul.go.kr"
    case.sources = [
        CaseStudySource(title="Yonhap; 2 March", url="https://en.yna.co.kr/view/AEN20200302007000320"),
        CaseStudySource(title="https://example.org/plain", url="https://example.org/plain"),
    ]
    # Issue 16: graded outcomes (a pipe in a value), what it takes, an inspiration with a note.
    case.outcome_evidence = [
        CaseOutcome(
            indicator="Minutes per test | swab",
            baseline_value="30",
            baseline_date=datetime.date(2020, 2, 20),
            result_value="10",
            result_date=datetime.date(2020, 3, 2),
            source_url="https://en.yna.co.kr/view/AEN20200302007000320",
            level=3,
        ),
        CaseOutcome(indicator="Stations opened", result_value="", level=1),
    ]
    case.cost_amount = Decimal("1500000.50")
    case.cost_currency = "KRW"
    case.cost_year = 2020
    case.staff = "4 per station"
    case.launch_days = 3
    case.legal_basis = "Infectious Disease Control and Prevention Act"
    case.legal_basis_url = "https://elaw.klri.re.kr/eng_service/lawView.do?hseq=38877"
    case.partners = "District health centres\nHospitals"
    case.technology = "Tents; text messages"
    case.prerequisites = "A car park"
    case.inspired_by = [CaseInspiration(source=draft, note="same tents; fewer staff")]
    case.save_revision().publish()
    ko = case.copy_for_translation(Locale.objects.get(language_code="ko"))
    ko.title = "드라이브스루 검사"
    ko.summary = "차에서 검사."
    ko.save_revision().publish()
    live = CaseStudyPage.objects.get(pk=case.pk)
    live.title = "Drive-through testing (being edited)"
    live.save_revision()  # a newer draft over the live page
    return {"case": case, "ko": ko, "draft": draft}


@pytest.fixture(scope="class")
def _rich_cases_of_class(django_db_setup, django_db_blocker):
    """Built once for the class, in a transaction rolled back after it (each test in a savepoint:
    the wipes and imports are undone after each)."""
    yield from build_for_module(django_db_blocker, _build_rich_cases)


@pytest.fixture
def rich_cases(_rich_cases_of_class, db):
    return fresh(_rich_cases_of_class)


class TestRichCases:
    """Export and import over the rich cases, built once for the class."""

    @pytest.mark.parametrize("fmt", ["csv", "jsonl"])
    def test_export_then_import_into_an_empty_site_round_trips(self, rich_cases, tmp_path, fmt):
        first = export(fmt)
        assert "Drive-through testing (being edited)" in first  # the latest revision is exported
        wipe()
        assert CaseStudyPage.objects.count() == 0
        import_text(tmp_path, first, fmt)
        assert CaseStudyPage.objects.count() == 3
        second = export(fmt)
        assert second == first

    def test_export_then_import_into_the_same_site_changes_nothing(self, rich_cases, tmp_path):
        from wagtail.models import Revision

        text = export()
        revisions = Revision.objects.count()
        out = import_text(tmp_path, text)
        assert "0 created, 0 updated, 0 published, 3 unchanged" in out
        assert Revision.objects.count() == revisions
        # Published as well: the same rows, now live, still round-trip.
        import_text(tmp_path, text, "csv", "--publish")
        assert export() == text
        assert export("csv", "--live") == text

    def test_translations_stay_translations(self, rich_cases, tmp_path):
        text = export()
        wipe()
        import_text(tmp_path, text)
        en = CaseStudyPage.objects.get(slug="drive-through", locale__language_code="en")
        ko = CaseStudyPage.objects.get(locale__language_code="ko")
        assert en.translation_key == ko.translation_key

    def test_the_export_lists_what_the_import_reads(self, rich_cases):
        rows = export().splitlines()
        assert rows[0] == (
            "key,locale,title,summary,city,country,continent,policy_areas,measure_types,start_date,end_date,"
            "body,outcomes,source_urls,contact_email,evidence,inspired_by,cost_amount,cost_currency,cost_year,"
            "staff,launch_days,legal_basis,legal_basis_url,partners,technology,prerequisites"
        )
        text = export()
        assert (
            "3 | Minutes per test \\| swab | 30 | 2020-02-20 | 10 | 2020-03-02 | https://en.yna.co.kr/"
            in text
        )
        assert "draft | same tents\\; fewer staff" in text
        assert ",1500000.5,KRW,2020," in text
        assert "quarantine; smart-city" in text
        assert "Masks\\; gloves; Testing" in text
        assert (
            "[Yonhap\\; 2 March](https://en.yna.co.kr/view/AEN20200302007000320); https://example.org/plain"
            in text
        )
        import csv

        rows = {(r["key"], r["locale"]): r for r in csv.DictReader(io.StringIO(text))}
        body = rows[("drive-through", "en")]["body"]
        assert "| Sites \\| stations | 12 |" in body
        assert "![A clinic](image:" in body and '"Photo \\"Seoul\\"")' in body
        assert (
            "\n\n## What # was done\n\n- first\n- second with **bold**\n\n1. one\n2. two\n\n### Details"
            in body
        )
        assert "> Testing must be fast.\n> And free.\n> — Health bureau" in body
        assert "1\\. Not a list. - Not a bullet. # Not a heading." in body
        assert "[page](page:" in body and "and\\\na break." in body

    def test_revision_content_rows_match_page_rows(self, rich_cases):
        """The exporter reads drafts from revision content directly; it must agree with the page objects."""
        from casestudies.exporter import Lookups

        lookups = Lookups()
        for page in CaseStudyPage.objects.all():
            revision = page.latest_revision
            assert content_to_row(revision.content, "k", lookups) == page_to_row(revision.as_object(), "k")


def _build_demo_cases() -> None:
    """The case-study demo's pages, cities and measure types (not its judgements), indexed once at
    the end as the loader's own run does."""
    from casestudies.loaders import DemoLoader

    loader = DemoLoader()
    with indexing.paused(CaseStudyIndexPage, CaseStudyPage):
        indexes = loader.index_pages(loader.home_pages())
        loader.cases(indexes, loader.cities(), loader.measure_types())


@pytest.fixture(scope="class")
def demo_cases(django_db_setup, django_db_blocker):
    """Built once per class (tests/fixtures/database.py: on SQLite, saved between runs)."""
    yield from build_for_module(django_db_blocker, _build_demo_cases, reusable=True)


class TestDemoContent:
    def test_demo_content_round_trips(self, demo_cases, db, tmp_path):
        first = export()
        assert first.count("\n") > 10
        out = import_text(tmp_path, first, "csv", "--publish")
        assert " 0 created, 0 updated, 0 published" in " " + out
        wipe()
        import_text(tmp_path, first, "csv", "--publish")
        assert export() == first
