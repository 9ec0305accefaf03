"""The admin upload: preview rows and errors before anything is written, then confirm."""

from pathlib import Path

import pytest

from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile

from casestudies.factories import CityFactory
from casestudies.models import CaseStudyPage, City
from editorial.models import PendingImport

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "examples" / "casestudies.csv"
URL = "/admin/editorial/import/"
CONFIRM = "/admin/editorial/import/confirm/"


@pytest.fixture
def site(en_index, ko_index):
    CityFactory(name="Seoul", name_ko="서울", slug="seoul", country="KR", continent="asia")


@pytest.fixture
def editor(make_user):
    return make_user("eddie", "Editors")


def upload(client, path, name=None, **extra):
    data = {
        "file": SimpleUploadedFile(name or path.name, path.read_bytes(), content_type="text/csv"),
        **extra,
    }
    return client.post(URL, data)


def test_who_may_import(client, make_user, city_a):
    assert client.get(URL).status_code == 302 and "/admin/login/" in client.get(URL)["Location"]
    client.force_login(make_user("alice", "City editors", city=city_a))
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"] == "/admin/"
    for name, group in (("eddie", "Editors"), ("rita", "Reviewers"), ("ada", "Administrators")):
        client.force_login(make_user(name, group))
        assert client.get(URL).status_code == 200, group


def test_menu_item_only_for_importers(client, make_user, city_a, editor):
    client.force_login(editor)
    assert "Import case studies" in client.get("/admin/").content.decode()
    client.force_login(make_user("alice", "City editors", city=city_a))
    assert "Import case studies" not in client.get("/admin/").content.decode()


def test_preview_then_confirm(client, site, editor):
    client.force_login(editor)
    response = upload(client, EXAMPLE)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Preview of casestudies.csv" in html
    assert "3 to create" not in html and "4 to create" in html
    assert "New cities: Bogotá (CO, south-america), Newtown (GB, europe)." in html
    assert "Free public Wi-Fi for remote learning" in html
    assert "The pages will be saved as drafts and submitted for review." in html
    assert 'name="publish"' not in html  # editors cannot publish
    # Nothing written yet.
    assert CaseStudyPage.objects.count() == 0
    assert not City.objects.filter(name="Bogotá").exists()
    token = response.context["confirm_form"].initial["token"]

    response = client.post(CONFIRM, {"token": token})
    assert response.status_code == 302
    assert CaseStudyPage.objects.count() == 4
    assert all(page.workflow_in_progress and not page.live for page in CaseStudyPage.objects.all())
    assert CaseStudyPage.objects.get(slug="seoul-public-wifi", locale__language_code="en").owner == editor
    assert PendingImport.objects.count() == 0
    messages = [str(m) for m in client.get(response["Location"]).context["messages"]]
    assert any("4 created" in m for m in messages)

    # Replaying the confirmation does nothing.
    response = client.post(CONFIRM, {"token": token})
    assert response.status_code == 302
    assert CaseStudyPage.objects.count() == 4


def test_errors_are_shown_and_nothing_is_written(client, site, editor):
    client.force_login(editor)
    response = upload(client, DATA / "bad_rows.csv")
    html = response.content.decode()
    assert "28 problems: nothing was imported." in html
    assert "line 10, column summary: 301 characters, at most 300 are allowed." in html
    assert "line 35, column city:" in html
    assert "line 36: expected 15 fields, found 3." in html
    assert "import-row--error" in html
    assert "Import these rows" not in html
    assert CaseStudyPage.objects.count() == 0 and PendingImport.objects.count() == 0


def test_reviewers_may_publish(client, site, make_user):
    client.force_login(make_user("rita", "Reviewers"))
    html = client.get(URL).content.decode()
    assert 'name="publish"' in html
    response = upload(client, EXAMPLE, publish="on")
    assert "The pages will be published." in response.content.decode()
    client.post(CONFIRM, {"token": response.context["confirm_form"].initial["token"]})
    assert CaseStudyPage.objects.filter(live=True).count() == 4


def test_an_editor_cannot_publish_by_posting_the_flag(client, site, editor):
    client.force_login(editor)
    response = upload(client, EXAMPLE, publish="on")
    client.post(CONFIRM, {"token": response.context["confirm_form"].initial["token"]})
    assert CaseStudyPage.objects.filter(live=True).count() == 0


def test_tokens_belong_to_their_user(client, site, editor, make_user):
    client.force_login(editor)
    token = upload(client, EXAMPLE).context["confirm_form"].initial["token"]
    client.force_login(make_user("other", "Editors"))
    client.post(CONFIRM, {"token": token})
    forged = signing.dumps({"token": PendingImport.objects.get().token, "user": 999}, salt="wrong")
    client.post(CONFIRM, {"token": forged})
    client.post(CONFIRM, {"token": "garbage"})
    assert CaseStudyPage.objects.count() == 0


def test_the_file_is_validated_again_on_confirmation(client, site, editor):
    client.force_login(editor)
    token = upload(client, EXAMPLE).context["confirm_form"].initial["token"]
    City.objects.filter(name="Seoul").update(continent="europe")  # the database changed meanwhile
    response = client.post(CONFIRM, {"token": token})
    assert response.status_code == 200
    assert "does not match Seoul" in response.content.decode()
    assert CaseStudyPage.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("cases.txt", b"key\n", "Upload a .csv or a .jsonl file."),
        ("cases.csv", b"", "The submitted file is empty."),
        ("cases.csv", "caf\xe9".encode("latin-1"), "the file is not UTF-8 text"),
    ],
)
def test_unusable_files(client, site, editor, name, content, message):
    client.force_login(editor)
    response = client.post(URL, {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 200
    assert message in response.content.decode()


def test_large_files_go_to_the_command(client, site, editor, monkeypatch):
    from editorial.views import imports

    monkeypatch.setattr(imports, "MAX_WEB_ROWS", 2)
    client.force_login(editor)
    response = upload(client, EXAMPLE)
    assert "the admin imports at most 2 at a time" in response.content.decode()
    assert PendingImport.objects.count() == 0


def test_jsonl_upload(client, site, editor):
    client.force_login(editor)
    path = EXAMPLE.with_suffix(".jsonl")
    response = client.post(URL, {"file": SimpleUploadedFile(path.name, path.read_bytes())})
    assert "4 to create" in response.content.decode()
