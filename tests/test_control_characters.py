"""Issue 13 item 2: control characters (a form feed pasted from a PDF, a NUL) never reach the
database, a feed or an e-mail: the importer and every admin form drop them (tab and newline stay
where text allows them), the feeds drop them when writing XML, and a NUL in an import file is a
line error (on PostgreSQL it used to be a traceback)."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

import pytest

from django.core.management import CommandError, call_command

from wagtail.models import get_page_models
from wagtail.snippets.models import get_snippet_models
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from casestudies.exporter import COLUMNS
from casestudies.factories import CaseStudyPageFactory, CityFactory
from casestudies.models import CaseStudyPage, City, MeasureType, PolicyArea
from ops.forms import CleanTextMixin

pytestmark = pytest.mark.django_db

CONTROLS = "\x01\x07\x0b\x0c\x1b\x7f\x85"


def row(**values):
    base = {column: "" for column in COLUMNS}
    base.update(
        key="seoul-masks",
        locale="en",
        title="Public mask distribution",
        summary="Masks for every resident.",
        city="Seoul",
        country="KR",
        continent="asia",
        policy_areas="quarantine",
        start_date="2020-03-09",
    )
    base.update(values)
    return base


def csv_bytes(rows) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def run_import(tmp_path, data: bytes, name: str, *args):
    path = tmp_path / name
    path.write_bytes(data)
    out, err = io.StringIO(), io.StringIO()
    call_command("import_casestudies", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def site(en_index, ko_index):
    CityFactory(name="Seoul", name_ko="서울", slug="seoul", country="KR", continent="asia")
    return {"en": en_index, "ko": ko_index}


def no_controls(text: str, allowed: str = "") -> bool:
    return not any((ord(ch) < 32 and ch not in allowed) or 0x7F <= ord(ch) <= 0x9F for ch in text)


# --- the importer -----------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_imported_text_loses_its_control_characters(site, tmp_path, client, fmt):
    values = row(
        title=f"Public{CONTROLS} mask\tdistribution",
        summary=f"Masks for\x0c every resident.\nTwo a week.{CONTROLS}",
        body="Pharmacies\x0c sold masks.\n\nTwo a week per person.",
        measure_types="Mask\x1b distribution",
        city="Seo\x07ul",
    )
    data = csv_bytes([values]) if fmt == "csv" else (json.dumps(values) + "\n").encode()
    run_import(tmp_path, data, f"cases.{fmt}", "--publish")
    page = CaseStudyPage.objects.get(slug="seoul-masks")
    assert page.title == "Public mask distribution"  # one line: the tab is a space
    assert page.summary == "Masks for every resident.\nTwo a week."
    assert page.city.slug == "seoul"
    assert MeasureType.objects.filter(name="Mask distribution").exists()
    assert no_controls(json.dumps(list(page.body.raw_data), ensure_ascii=False), allowed="\n")
    for fmt_ in ("rss", "atom"):
        response = client.get(f"/en/feeds/cases.{fmt_}")
        assert response.status_code == 200
        ET.fromstring(response.content)  # noqa: S314 - well-formed XML (our own output)


def test_a_nul_in_a_csv_file_is_a_line_error_and_writes_nothing(site, tmp_path):
    data = csv_bytes([row(), row(key="b", summary="Masks\x00 for all.")])
    with pytest.raises(CommandError):
        run_import(tmp_path, data, "cases.csv")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_casestudies", str(tmp_path / "cases.csv"), stdout=io.StringIO(), stderr=err)
    assert "line 3: holds a NUL character" in err.getvalue()
    assert "Traceback" not in err.getvalue()
    assert not CaseStudyPage.objects.exists()


def test_a_nul_in_a_json_lines_file_is_a_line_error(site, tmp_path):
    lines = [json.dumps(row()), json.dumps(row(key="b", title="Masks\u0000"))]
    err = io.StringIO()
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("import_casestudies", str(path), stdout=io.StringIO(), stderr=err)
    assert "line 2, column title: holds a NUL character" in err.getvalue()
    assert not CaseStudyPage.objects.exists()


def test_a_utf16_file_read_as_utf8_is_reported_not_a_traceback(site, tmp_path):
    """A UTF-16 file of ASCII text is valid UTF-8 with a NUL after every letter."""
    data = csv_bytes([row()]).decode().encode("utf-16-le")
    err = io.StringIO()
    path = tmp_path / "cases.csv"
    path.write_bytes(data)
    with pytest.raises(CommandError):
        call_command("import_casestudies", str(path), stdout=io.StringIO(), stderr=err)
    assert err.getvalue().startswith("line 1: holds a NUL character (U+0000): save the file as UTF-8")
    assert "\x00" not in err.getvalue()


def test_admin_upload_with_a_nul_shows_line_errors(site, client, django_user_model):
    from django.core.files.uploadedfile import SimpleUploadedFile

    user = django_user_model.objects.create_superuser("importer", "i@example.org", "pw")
    client.force_login(user)
    upload = SimpleUploadedFile("cases.csv", csv_bytes([row(summary="a\x00b")]), content_type="text/csv")
    response = client.post("/admin/editorial/import/", {"file": upload})
    assert response.status_code == 200
    assert response.context["errors"] == [
        "line 2: holds a NUL character (U+0000): save the file as UTF-8 text, not UTF-16."
    ]


# --- the feeds --------------------------------------------------------------------------------
def test_feeds_drop_control_characters_already_stored(site, client):
    """Text stored before this rule (or by code that bypasses the forms) still makes valid XML."""
    seoul = City.objects.get(slug="seoul")
    CaseStudyPageFactory(
        title="Screening\x0c stations",
        summary="Drive\x01-through\x0c tests.\x1b",
        city=seoul,
        areas=["quarantine"],
    )
    for path in ("/en/feeds/cases.rss", "/en/feeds/cases.atom", "/en/feeds/cases.rss?q=screening"):
        response = client.get(path)
        assert response.status_code == 200, path
        text = response.content.decode()
        ET.fromstring(response.content)  # noqa: S314 - our own output
        assert "Screening stations" in text
        assert "Drive-through tests." in text
        assert no_controls(text, allowed="\n\t\r")


# --- every admin form -------------------------------------------------------------------------
PROJECT_APPS = {
    "home",
    "casestudies",
    "archive",
    "community",
    "questions",
    "editorial",
    "opendata",
    "search",
    "ops",
}


def test_every_page_and_snippet_form_of_the_project_cleans_text():
    pages = [model for model in get_page_models() if model._meta.app_label in PROJECT_APPS]
    snippets = [model for model in get_snippet_models() if model._meta.app_label in PROJECT_APPS]
    assert len(pages) >= 11 and len(snippets) >= 5
    for model in pages:
        form_class = model.get_edit_handler().get_form_class()
        assert issubclass(form_class, CleanTextMixin), model
    for model in snippets:
        form_class = model.snippet_viewset.get_edit_handler().get_form_class()
        assert issubclass(form_class, CleanTextMixin), model


@pytest.fixture
def admin_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("editor", "editor@example.org", "pw")
    client.force_login(user)
    return client


def test_admin_page_form_drops_control_characters_everywhere(admin_client, en_index):
    city = CityFactory(name="Seoul", slug="seoul", country="KR")
    MeasureType.objects.create(name="Bike lanes", slug="bike-lanes")
    form = nested_form_data(
        {
            "title": "Pop-up\x0c bike\r\nlanes\x7f",
            "slug": "pop-up-bike-lanes",
            "summary": "Temporary\x0c cycle lanes.\r\nOn main roads.\x1b",
            "city": city.pk,
            "measure_types": '"Bike\x07 lanes"',
            "start_date": "2020-05-01",
            "end_date": "",
            "body": streamfield(
                [
                    ("paragraph", rich_text("<p>Painted\x0c lanes</p>")),
                    ("quote", {"text": "It\x08 worked.\nMostly.", "attribution": "The\x1b mayor"}),
                ]
            ),
            "timeline": streamfield(
                [
                    (
                        "event",
                        {
                            "date": "2020-05-01",
                            "kind": "start",
                            "text": "Lanes\x0c painted.\nOpened.",
                            "source": "City\x1b report",
                            "record": "R\x07-1",
                            "url": "",
                        },
                    )
                ]
            ),
            "outcomes": rich_text("<p>More\x0c cyclists.</p>"),
            "lessons_learned": rich_text(""),
            "sources": inline_formset([{"title": "City\x0c report", "url": "https://example.org/r"}]),
            "outcome_evidence": inline_formset([]),
            "inspired_by": inline_formset([]),
            "contact_organisation": "City\x00 hall\x9b",
            "contact_email": "",
            "contact_person": "Kim\r\nBcc: x@evil.example",
        }
    )
    form["policy_areas"] = [
        PolicyArea.objects.get(slug="public-transportation", locale__language_code="en").pk
    ]
    form["action-publish"] = "action-publish"
    response = admin_client.post(f"/admin/pages/add/casestudies/casestudypage/{en_index.pk}/", form)
    assert response.status_code == 302, response.context["form"].errors if response.context else ""
    page = CaseStudyPage.objects.get(slug="pop-up-bike-lanes")
    assert page.title == "Pop-up bike lanes"
    assert page.summary == "Temporary cycle lanes.\nOn main roads."
    assert page.contact_organisation == "City hall"
    assert page.contact_person == "Kim Bcc: x@evil.example"
    # Measure types are a closed list (free_tagging off): the name, once cleaned, is the known one.
    assert [m.slug for m in page.measure_types.all()] == ["bike-lanes"]
    assert not MeasureType.objects.filter(name__contains="\x07").exists()
    assert "Painted lanes" in str(page.body[0].value)
    assert page.body[1].value["text"] == "It worked.\nMostly."
    assert page.body[1].value["attribution"] == "The mayor"
    event = page.timeline[0].value
    assert (event["text"], event["source"], event["record"]) == (
        "Lanes painted.\nOpened.",
        "City report",
        "R-1",
    )
    assert "More cyclists." in page.outcomes
    assert [source.title for source in page.sources.all()] == ["City report"]
    revision = page.latest_revision.content
    assert no_controls(json.dumps(revision, ensure_ascii=False), allowed="\n")


def test_a_required_field_of_only_control_characters_is_a_form_error(admin_client, en_index):
    city = CityFactory(name="Seoul", slug="seoul", country="KR")
    form = nested_form_data(
        {
            "title": "\x1b\x0c",
            "slug": "empty-title",
            "summary": "Something.",
            "city": city.pk,
            "measure_types": "",
            "start_date": "2020-05-01",
            "end_date": "",
            "body": streamfield([]),
            "timeline": streamfield([]),
            "outcomes": rich_text(""),
            "lessons_learned": rich_text(""),
            "sources": inline_formset([]),
            "outcome_evidence": inline_formset([]),
            "inspired_by": inline_formset([]),
            "contact_organisation": "",
            "contact_email": "",
            "contact_person": "",
        }
    )
    form["policy_areas"] = [PolicyArea.objects.get(slug="quarantine", locale__language_code="en").pk]
    response = admin_client.post(f"/admin/pages/add/casestudies/casestudypage/{en_index.pk}/", form)
    assert response.status_code == 200
    assert "title" in response.context["form"].errors
    assert not CaseStudyPage.objects.filter(slug="empty-title").exists()


def test_a_nul_in_an_admin_form_is_dropped_like_the_others(admin_client):
    response = admin_client.post(
        "/admin/snippets/casestudies/city/add/",
        {"name": "Mus\x00cat", "name_ko": "무스카트", "slug": "muscat", "country": "OM", "continent": "asia"},
    )
    assert response.status_code == 302
    assert City.objects.get(slug="muscat").name == "Muscat"


def test_admin_snippet_form_drops_control_characters(admin_client):
    response = admin_client.post(
        "/admin/snippets/casestudies/city/add/",
        {
            "name": "Mus\x7fcat\x0c",
            "name_ko": "무\x1b스카트",
            "slug": "muscat",
            "country": "OM",
            "continent": "asia",
            "latitude": "",
            "longitude": "",
        },
    )
    assert response.status_code == 302
    city = City.objects.get(slug="muscat")
    assert (city.name, city.name_ko) == ("Muscat", "무스카트")
