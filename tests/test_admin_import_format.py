"""The admin import page links the import format: the document as a page and a template CSV."""

from __future__ import annotations

import csv
import io

import pytest

from django.core.management import call_command
from django.utils import translation

from wagtail.users.models import UserProfile

from casestudies.exporter import COLUMNS
from casestudies.imports import prepare
from casestudies.models import CaseStudyPage
from editorial.views import import_format

pytestmark = pytest.mark.django_db

IMPORT = "/admin/editorial/import/"
FORMAT = "/admin/editorial/import/format/"
TEMPLATE = "/admin/editorial/import/template.csv"


@pytest.fixture
def editor(client, make_user):
    user = make_user("eddie", "Editors")
    client.force_login(user)
    return user


def test_import_page_links_the_format_page(client, editor):
    html = client.get(IMPORT).content.decode()
    assert f'href="{FORMAT}"' in html
    # The upload field's help text is a link too, not "see the documentation" with nothing to click.
    assert f'see the <a href="{FORMAT}">import format</a>' in html


def test_format_page_renders_the_document(client, editor):
    response = client.get(FORMAT)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Case-study import format</h1>" in html
    assert "<table>" in html and "<code>contact_email</code>" in html
    assert f'href="{TEMPLATE}"' in html


def test_raw_html_in_the_document_is_escaped(tmp_path, monkeypatch):
    document = tmp_path / "format.md"
    document.write_text("# Title\n\n<script>alert(1)</script>\n\nText <b>bold</b>\n", encoding="utf-8")
    monkeypatch.setattr(import_format, "FORMAT_DOCUMENT", document)
    html = import_format.format_document_html()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<b>" not in html and "&lt;b&gt;" in html


def test_format_page_in_korean(client, editor):
    profile = UserProfile.get_for_user(editor)
    profile.preferred_language = "ko"
    profile.save()
    html = client.get(FORMAT).content.decode()
    with translation.override("ko"):
        assert translation.gettext("Download the template CSV") != "Download the template CSV"
        assert translation.gettext("Download the template CSV") in html
        assert translation.gettext("Import format") in html


def test_only_importers_see_the_format(client, make_user, city_a):
    client.force_login(make_user("alice", "City editors", city=city_a))
    for url in (FORMAT, TEMPLATE):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == "/admin/"


def test_template_has_the_importers_columns_and_a_row_per_language(client, editor):
    response = client.get(TEMPLATE)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == COLUMNS
    locales = [dict(zip(COLUMNS, row, strict=True))["locale"] for row in rows[1:]]
    assert sorted(locales) == ["en", "ko"]


def test_template_reimports_without_errors(client, editor, en_index, ko_index, tmp_path):
    data = client.get(TEMPLATE).content
    plan = prepare(data, "csv")
    assert sorted(row.action for row in plan.rows) == ["create", "create"]
    path = tmp_path / "template.csv"
    path.write_bytes(data)
    out = io.StringIO()
    call_command("import_casestudies", str(path), "--dry-run", "--no-progress", stdout=out)
    assert CaseStudyPage.objects.count() == 0  # a dry run writes nothing
    assert "error" not in out.getvalue().lower()
