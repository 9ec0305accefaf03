"""`import_casestudies`: CSV and JSON Lines, translations by key, idempotence, atomicity, --dry-run,
--publish, new cities and measure types, progress, and the bad-rows file."""

import csv
import io
import json
from pathlib import Path

import pytest

from django.core import mail
from django.core.management import CommandError, call_command

from wagtail.models import Page, PageLogEntry, ReferenceIndex, Revision, WorkflowState

from casestudies.exporter import COLUMNS
from casestudies.factories import CaseStudyPageFactory, CityFactory
from casestudies.imports import ImportFailed, prepare, writing
from casestudies.models import (
    CaseStudyPage,
    CaseStudySource,
    City,
    ImportedCase,
    MeasureType,
    TaggedCaseStudy,
)

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"


@pytest.fixture
def site(en_index, ko_index):
    """Both case indexes and Seoul, a known city."""
    CityFactory(name="Seoul", name_ko="서울", slug="seoul", country="KR", continent="asia")
    return {"en": en_index, "ko": ko_index}


def row(**values):
    base = {
        "key": "seoul-masks",
        "locale": "en",
        "title": "Public mask distribution",
        "summary": "Masks for every resident.",
        "city": "Seoul",
        "country": "KR",
        "continent": "asia",
        "policy_areas": "quarantine",
        "measure_types": "Mask distribution",
        "start_date": "2020-03-09",
        "end_date": "",
        "body": "Pharmacies sold two masks a week per person.",
        "outcomes": "",
        "source_urls": "https://example.org/masks",
        "contact_email": "masks@seoul.go.kr",
    }
    base.update(values)
    return base


def write_csv(tmp_path, rows, name="cases.csv"):
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path = tmp_path / name
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_casestudies", *[str(a) for a in args], stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def snapshot():
    return {
        "pages": Page.objects.count(),
        "cases": CaseStudyPage.objects.count(),
        "cities": City.objects.count(),
        "measures": MeasureType.objects.count(),
        "tags": TaggedCaseStudy.objects.count(),
        "sources": CaseStudySource.objects.count(),
        "revisions": Revision.objects.count(),
        "logs": PageLogEntry.objects.count(),
        "workflows": WorkflowState.objects.count(),
        "keys": ImportedCase.objects.count(),
        "references": ReferenceIndex.objects.count(),
    }


# --- what an import writes -----------------------------------------------------------


def test_csv_rows_become_draft_pages_in_review(site, tmp_path):
    path = write_csv(tmp_path, [row()])
    out, err = run(path)
    assert "1 created" in out
    page = CaseStudyPage.objects.get(title="Public mask distribution")
    assert not page.live and page.has_unpublished_changes
    assert page.get_parent().specific == site["en"]
    assert page.slug == "seoul-masks"
    assert page.city.name == "Seoul"
    assert [a.slug for a in page.policy_areas.all()] == ["quarantine"]
    assert [m.name for m in page.measure_types.all()] == ["Mask distribution"]
    assert [(s.title, s.url) for s in page.sources.all()] == [
        ("https://example.org/masks", "https://example.org/masks")
    ]
    assert page.contact_email == "masks@seoul.go.kr"
    assert page.body[0].block_type == "paragraph"
    assert "two masks a week" in page.body[0].value.source
    # A draft that entered the review workflow, with a revision and a log entry.
    assert page.workflow_in_progress
    assert page.latest_revision is not None
    assert page.get_latest_revision_as_object().title == "Public mask distribution"
    assert PageLogEntry.objects.filter(page=page, action="wagtail.create").exists()
    assert PageLogEntry.objects.filter(page=page, action="wagtail.workflow.start").exists()
    # The tree is consistent (treebeard) and the page renders for a reviewer.
    assert Page.find_problems() == ([], [], [], [], [])
    index = Page.objects.get(pk=site["en"].pk)
    assert index.numchild == 1 and list(index.get_children()) == [page.page_ptr]


def test_publish_makes_pages_live_and_searchable(site, tmp_path, client):
    path = write_csv(tmp_path, [row(title="Searchable masks")])
    run(path, "--publish")
    page = CaseStudyPage.objects.get(title="Searchable masks")
    assert page.live and not page.has_unpublished_changes and page.live_revision_id
    assert page.first_published_at is not None
    assert not page.workflow_in_progress
    assert client.get("/en/cases/seoul-masks/").status_code == 200
    # Both search indexes hold the page: the site's own and Wagtail's (admin search).
    from search.models import SearchDocument

    assert SearchDocument.objects.filter(page_id=page.pk).exists()
    assert page.pk in [p.pk for p in CaseStudyPage.objects.search("Searchable")]
    # ...and the reference index (cities and measure types know where they are used).
    assert ReferenceIndex.get_references_to(page.city).filter(object_id=str(page.pk)).exists()
    # The per-page signals are connected again after the import.
    other = CaseStudyPageFactory(title="Published later", slug="later")
    assert SearchDocument.objects.filter(page_id=other.pk).exists()


def test_imported_pages_have_their_history_and_usage_in_the_admin(site, tmp_path, client, make_user):
    run(write_csv(tmp_path, [row()]), "--publish")
    page = CaseStudyPage.objects.get()
    client.force_login(make_user("ada", superuser=True))
    history = client.get(f"/admin/pages/{page.pk}/history/")
    assert history.status_code == 200
    actions = {entry.action for entry in history.context["object_list"]}
    assert {"wagtail.create", "wagtail.publish"} <= actions
    usage = client.get(f"/admin/snippets/casestudies/city/usage/{page.city_id}/")
    assert usage.status_code == 200 and "Public mask distribution" in usage.content.decode()
    assert client.get(f"/admin/pages/{page.pk}/edit/").status_code == 200
    assert client.get(f"/admin/pages/{page.pk}/revisions/compare/earliest...latest/").status_code == 200


def test_same_key_in_two_languages_are_translations(site, tmp_path):
    path = write_csv(
        tmp_path,
        [
            row(),
            row(
                locale="ko",
                title="공적 마스크",
                summary="모든 시민에게 마스크.",
                city="",
                country="",
                continent="",
            ),
        ],
    )
    run(path, "--publish")
    en = CaseStudyPage.objects.get(locale__language_code="en")
    ko = CaseStudyPage.objects.get(locale__language_code="ko")
    assert en.translation_key == ko.translation_key
    assert ko.get_parent().specific == site["ko"]
    assert ko.city == en.city
    assert [a.slug for a in ko.policy_areas.all()] == ["quarantine"]
    assert [m.name for m in ko.measure_types.all()] == ["Mask distribution"]
    assert en.get_translation(ko.locale).pk == ko.pk


def test_jsonl_imports_like_csv(site, tmp_path):
    path = tmp_path / "cases.jsonl"
    lines = [
        {
            **row(),
            "policy_areas": ["quarantine", "welfare"],
            "measure_types": ["Mask distribution", "Testing"],
        },
        {
            "key": "seoul-masks",
            "locale": "ko",
            "title": "공적 마스크",
            "summary": "마스크.",
            "end_date": None,
        },
    ]
    path.write_text(
        "\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n", encoding="utf-8"
    )
    run(path)
    ko = CaseStudyPage.objects.get(locale__language_code="ko")
    assert sorted(a.slug for a in ko.policy_areas.all()) == ["quarantine", "welfare"]
    assert sorted(m.name for m in ko.measure_types.all()) == ["Mask distribution", "Testing"]


def test_documented_examples_import_cleanly(site):
    out, _ = run(EXAMPLES / "casestudies.csv", "--publish")
    assert "4 created" in out
    assert "New cities: Bogotá (CO, south-america), Newtown (GB, europe)." in out
    assert "New measure types: School meal delivery." in out
    out, _ = run(EXAMPLES / "casestudies.jsonl", "--publish")
    assert "4 unchanged" in out
    wifi = CaseStudyPage.objects.get(slug="seoul-public-wifi", locale__language_code="en")
    assert [block.block_type for block in wifi.body] == [
        "paragraph",
        "heading",
        "paragraph",
        "paragraph",
        "key_figures",
    ]
    assert wifi.sources.first().title == "Seoul Metropolitan Government press release"
    assert "<i>every</i>" in wifi.outcomes


def test_unknown_cities_and_measure_types_are_created_and_reported(site, tmp_path):
    path = write_csv(
        tmp_path,
        [row(city="Bogotá", country="co", continent="south-america", measure_types="Ciclovía; Testing")],
    )
    out, _ = run(path)
    city = City.objects.get(name="Bogotá")
    assert (city.country.code, city.continent, city.slug) == ("CO", "south-america", "bogota")
    measure = MeasureType.objects.get(name="Ciclovía")
    assert measure.slug == "ciclovia"
    assert "New cities: Bogotá (CO, south-america)." in out
    assert "New measure types: Ciclovía." in out
    assert "Testing" not in out.split("New measure types:")[1]


def test_import_is_idempotent(site, tmp_path):
    path = write_csv(tmp_path, [row(), row(key="second", title="Second case", body="## Heading\n\n- a\n- b")])
    run(path)
    before = snapshot()
    out, _ = run(path)
    assert "0 created, 0 updated, 0 published, 2 unchanged" in out
    assert snapshot() == before
    run(path, "--publish")
    published = snapshot()
    out, _ = run(path, "--publish")
    assert "2 unchanged" in out
    assert snapshot() == published


def test_a_changed_row_is_a_new_revision_of_the_same_page(site, tmp_path):
    path = write_csv(tmp_path, [row()])
    run(path, "--publish")
    page = CaseStudyPage.objects.get()
    revisions = Revision.objects.filter(object_id=str(page.pk)).count()
    write_csv(tmp_path, [row(title="Public mask distribution (revised)", measure_types="Testing")])
    out, _ = run(path)  # without --publish: a draft for review
    assert "1 updated" in out
    page = CaseStudyPage.objects.get()
    assert CaseStudyPage.objects.count() == 1
    assert page.title == "Public mask distribution" and page.live
    assert page.has_unpublished_changes and page.workflow_in_progress
    assert Revision.objects.filter(object_id=str(page.pk)).count() == revisions + 1
    draft = page.get_latest_revision_as_object()
    assert draft.title == "Public mask distribution (revised)"
    assert [m.name for m in draft.measure_types.all()] == ["Testing"]
    # Search still shows the live version, not the draft.
    from search.models import SearchDocument

    assert SearchDocument.objects.get(page_id=page.pk, language="en").title == "Public mask distribution"
    assert not CaseStudyPage.objects.search("revised").count()
    # The same file with --publish publishes that draft.
    out, _ = run(path, "--publish")
    assert "1 published" in out
    page = CaseStudyPage.objects.get()
    assert page.title == "Public mask distribution (revised)" and not page.has_unpublished_changes


def test_key_matches_an_existing_page_by_slug(site, tmp_path):
    existing = CaseStudyPageFactory(
        title="Made in the admin", slug="seoul-masks", city=City.objects.get(name="Seoul")
    )
    path = write_csv(tmp_path, [row()])
    run(path, "--publish")
    assert CaseStudyPage.objects.count() == 1
    assert CaseStudyPage.objects.get().pk == existing.pk
    assert ImportedCase.objects.get(key="seoul-masks").translation_key == existing.translation_key


def test_a_translation_row_alone_joins_the_existing_case(site, tmp_path):
    run(write_csv(tmp_path, [row()]), "--publish")
    path = write_csv(
        tmp_path,
        [row(locale="ko", title="공적 마스크", city="", country="", continent="", policy_areas="")],
        "ko.csv",
    )
    run(path, "--publish")
    en, ko = (
        CaseStudyPage.objects.get(locale__language_code="en"),
        CaseStudyPage.objects.get(locale__language_code="ko"),
    )
    assert en.translation_key == ko.translation_key
    assert ko.city == en.city and [a.slug for a in ko.policy_areas.all()] == ["quarantine"]


def test_dry_run_writes_nothing(site, tmp_path):
    path = write_csv(
        tmp_path, [row(city="Bogotá", country="CO", continent="south-america", measure_types="New thing")]
    )
    before = snapshot()
    out, _ = run(path, "--dry-run")
    assert "1 to create" in out
    assert "New cities: Bogotá" in out and "New measure types: New thing." in out
    assert "Dry run: nothing was written." in out
    assert snapshot() == before


def test_progress_is_shown(site, tmp_path):
    path = write_csv(tmp_path, [row(key=f"case-{n}", title=f"Case {n}") for n in range(3)])
    _, err = run(path)
    assert "100% 3/3 rows" in err
    _, err = run(path, "--no-progress")
    assert "rows/s" not in err


def test_drafts_send_no_mail_per_page_and_notifications_come_back(site, tmp_path, make_user):
    from wagtail.models import TaskState
    from wagtail.signals import task_submitted, workflow_submitted

    make_user("rita", "Reviewers")
    before = (len(task_submitted.receivers), len(workflow_submitted.receivers))
    run(write_csv(tmp_path, [row(key=f"case-{n}") for n in range(3)]))
    assert mail.outbox == []
    assert (len(task_submitted.receivers), len(workflow_submitted.receivers)) == before
    assert task_submitted.has_listeners(sender=TaskState)


# --- atomic: one bad row, nothing written -------------------------------------------------


BAD_ROWS = [
    (3, "key", "this column is required"),
    (4, "key", "“has space” is not a key"),
    (5, "locale", "“fr” is not a language of the site"),
    (6, "key", "“good-row” in “en” repeats line 2"),
    (7, "title", "this column is required"),
    (8, "title", "256 characters, at most 255"),
    (9, "summary", "this column is required"),
    (10, "summary", "301 characters, at most 300"),
    (11, "city", "this column is required"),
    (12, "continent", "“Nowhere” is a new city: its continent is required"),
    (13, "country", "“ZZ” is not an ISO 3166-1 alpha-2 country code"),
    (14, "continent", "unknown continent “atlantis”"),
    (15, "continent", "“europe” does not match Seoul"),
    (16, "policy_areas", "unknown policy area “space-travel”"),
    (17, "policy_areas", "at least one policy area is required"),
    (18, "measure_types", "is longer than 100 characters"),
    (19, "start_date", "“2020-13-01” is not a date (YYYY-MM-DD)"),
    (20, "start_date", "“01/03/2020” is not a date (YYYY-MM-DD)"),
    (21, "start_date", "this column is required"),
    (22, "end_date", "the end date 2020-02-01 is before the start date 2020-03-01"),
    (23, "source_urls", "“not a url” is not a valid http(s) URL"),
    (24, "contact_email", "“someone@” is not an e-mail address"),
    (25, "body", "there is no image with id 99999"),
    (28, "body", "“javascript:alert(1)” is not a link target"),
    (29, "outcomes", "headings are not allowed here"),
    (32, "body", "each key-figure row has two cells"),
    (35, "city", "“Busan” differs from line 2 (“Seoul”)"),
    (36, None, "expected 15 fields, found 3"),
]


def test_the_bad_rows_file_writes_nothing_and_names_every_problem(site):
    before = snapshot()
    with pytest.raises(ImportFailed) as failure:
        prepare((DATA / "bad_rows.csv").read_bytes(), "csv")
    found = [(error.line, error.column, str(error)) for error in failure.value.errors]
    assert [(line, column) for line, column, _ in found] == [(line, column) for line, column, _ in BAD_ROWS]
    for (line, column, text), (_, _, expected) in zip(found, BAD_ROWS, strict=True):
        prefix = f"line {line}, column {column}: " if column else f"line {line}: "
        assert text.startswith(prefix), text
        assert expected in text, text

    with pytest.raises(CommandError, match=r"28 error\(s\): nothing was imported"):
        run(DATA / "bad_rows.csv", "--publish")
    assert snapshot() == before


@pytest.mark.parametrize("number", [str(2**63), "9" * 30, "9" * 5000])
def test_a_link_to_a_page_id_past_any_database_integer_is_a_line_error(site, tmp_path, number):
    """SQLite refused to compare such an id (OverflowError): the import stopped with a traceback."""
    before = snapshot()
    body = f"See [the other case](page:{number}) and ![a chart](image:{number})."
    path = write_csv(tmp_path, [row(body=body)])
    with pytest.raises(ImportFailed) as failure:
        prepare(path.read_bytes(), "csv")
    places = {(error.line, error.column) for error in failure.value.errors}
    assert places == {(2, "body")}, failure.value.errors
    with pytest.raises(CommandError, match=r"error\(s\): nothing was imported"):
        run(path)
    assert snapshot() == before


def test_one_bad_row_among_good_ones_writes_nothing(site, tmp_path):
    rows = [row(key=f"good-{n}") for n in range(5)] + [row(key="bad", end_date="2019-01-01")]
    before = snapshot()
    with pytest.raises(CommandError):
        run(write_csv(tmp_path, rows), "--publish")
    assert snapshot() == before


def test_a_failure_while_writing_rolls_everything_back(site, tmp_path, monkeypatch):
    calls = []
    original = writing._PageWriter.create

    def failing(self, rows):
        calls.append(len(rows))
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return original(self, rows)

    monkeypatch.setattr(writing, "BULK_BATCH", 2)
    monkeypatch.setattr(writing._PageWriter, "create", failing)
    rows = [row(key=f"case-{n}", city="Bogotá", country="CO", continent="south-america") for n in range(5)]
    before = snapshot()
    with pytest.raises(RuntimeError):
        run(write_csv(tmp_path, rows))
    assert snapshot() == before
    from wagtail.signals import page_published

    assert page_published.has_listeners()  # signals reconnected after the failure


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"key,locale\n", "line 1: missing column(s): title, summary"),
        (b"key,locale,titel\n", "line 1, column titel: unknown column."),
        (b"", "line 1: the file is empty"),
        (
            ",".join(COLUMNS).encode() + b"\n" + "caf\xe9".encode("latin-1"),
            "line 2: the file is not UTF-8 text",
        ),
        (",".join(COLUMNS).encode() + b'\n"unclosed,en\n', "malformed CSV"),
    ],
)
def test_unreadable_csv_files(site, tmp_path, content, expected):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(CommandError):
        _, err = run(path)
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_casestudies", str(path), stdout=io.StringIO(), stderr=err)
    assert expected in err.getvalue()


def test_bad_json_lines(site, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(
        "\n".join(
            [
                json.dumps(row()),
                "{not json",
                "[1, 2]",
                json.dumps({**row(key="x"), "colour": "red"}),
                json.dumps({**row(key="y"), "start_date": 2020}),
            ]
        ),
        encoding="utf-8",
    )
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_casestudies", str(path), stdout=io.StringIO(), stderr=err)
    lines = err.getvalue().splitlines()
    assert lines[0].startswith("line 2: not valid JSON")
    assert lines[1] == "line 3: each line must be a JSON object."
    assert lines[2] == "line 4, column colour: unknown column."
    assert lines[3] == "line 5, column start_date: must be text."
    assert CaseStudyPage.objects.count() == 0


def test_unknown_format_and_missing_file(site, tmp_path):
    with pytest.raises(CommandError, match="--format"):
        run(tmp_path / "cases.xlsx")
    with pytest.raises(CommandError, match="No such file"):
        run(tmp_path / "missing.csv")


def test_a_row_for_an_alias_page_makes_it_a_real_translation(site, tmp_path):
    run(write_csv(tmp_path, [row()]), "--publish")
    en = CaseStudyPage.objects.get()
    alias = en.create_alias(
        recursive=False, parent=site["ko"], update_locale=site["ko"].locale, reset_translation_key=False
    )
    assert alias.alias_of_id == en.pk
    run(write_csv(tmp_path, [row(locale="ko", title="공적 마스크")], "ko.csv"), "--publish")
    ko = CaseStudyPage.objects.get(locale__language_code="ko")
    assert ko.pk == alias.pk and ko.alias_of_id is None and ko.title == "공적 마스크"
    assert ko.translation_key == en.translation_key
