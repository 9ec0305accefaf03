"""Issue 13 items 12 and 14: a JSON Lines row nested 100,000 deep or with a key given twice is a
line error (in the command and in the admin upload), never a traceback or a silently kept last
value; a question's name, organisation and city are one line, so they cannot forge e-mail lines."""

from __future__ import annotations

import io
import json

import pytest

from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from casestudies.factories import CityFactory
from casestudies.models import CaseStudyPage
from questions.forwarding import forward_question
from questions.models import CaseQuestion

pytestmark = pytest.mark.django_db

ROW = {
    "key": "seoul-masks",
    "locale": "en",
    "title": "Public mask distribution",
    "summary": "Masks for every resident.",
    "city": "Seoul",
    "country": "KR",
    "continent": "asia",
    "policy_areas": "quarantine",
    "start_date": "2020-03-09",
}
DEEP = '{"key": "deep", "title": ' + "[" * 100_000 + "]" * 100_000 + "}"
REPEATED = json.dumps(ROW)[:-1] + ', "title": "A second title"}'
NESTED_REPEAT = json.dumps({**ROW, "key": "nested"})[:-1] + ', "body": {"a": 1, "a": 2}}'

EXPECTED = [
    "line 2: the JSON is nested too deeply: a row is one flat object.",
    "line 3, column title: the key appears twice in the object: which value is meant is unclear.",
    "line 4, column a: the key appears twice in the object: which value is meant is unclear.",
]


@pytest.fixture
def site(en_index, ko_index):
    CityFactory(name="Seoul", name_ko="서울", slug="seoul", country="KR", continent="asia")


def jsonl() -> bytes:
    return "\n".join([json.dumps({**ROW, "key": "fine"}), DEEP, REPEATED, NESTED_REPEAT]).encode()


def test_the_command_reports_deep_nesting_and_repeated_keys_on_their_lines(site, tmp_path):
    path = tmp_path / "hostile.jsonl"
    path.write_bytes(jsonl())
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_casestudies", str(path), stdout=io.StringIO(), stderr=err)
    lines = err.getvalue().splitlines()
    assert lines[:3] == EXPECTED
    assert "Traceback" not in err.getvalue()
    assert not CaseStudyPage.objects.exists()


def test_the_admin_upload_reports_them_too(site, client, django_user_model):
    user = django_user_model.objects.create_superuser("importer", "i@example.org", "pw")
    client.force_login(user)
    upload = SimpleUploadedFile("hostile.jsonl", jsonl(), content_type="application/x-ndjson")
    response = client.post("/admin/editorial/import/", {"file": upload})
    assert response.status_code == 200
    assert response.context["errors"][:3] == EXPECTED
    assert not CaseStudyPage.objects.exists()


def test_a_file_without_repeats_still_imports(site, tmp_path):
    path = tmp_path / "fine.jsonl"
    path.write_text(json.dumps(ROW) + "\n", encoding="utf-8")
    call_command("import_casestudies", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    assert CaseStudyPage.objects.get().title == ROW["title"]


# --- the question form: names are one line -------------------------------------------------------
FORGED = "Bob\r\nBcc: x@evil.example"


def test_a_question_name_is_one_line(client, community_case, community_no_ratelimit):
    response = client.post(
        community_case["en"].url,
        {
            "community_form": "question",
            "name": FORGED,
            "organisation": "City of\nAville",
            "city": "Aville\r\nFrom: mayor@example.org",
            "email": "bob@example.org",
            "message": "How did you staff the stations?\nAt weekends too?",
            "website": "",
        },
    )
    assert response.status_code == 303
    question = CaseQuestion.objects.get()
    assert question.name == "Bob Bcc: x@evil.example"
    assert question.organisation == "City of Aville"
    assert question.city == "Aville From: mayor@example.org"
    assert question.message == "How did you staff the stations?\nAt weekends too?"  # text keeps its lines


def test_a_forwarded_question_never_forges_lines(community_case):
    """Even a question stored before names were one line is forwarded with one-line names."""
    question = CaseQuestion.objects.create(
        case=community_case["en"],
        language="en",
        name=FORGED,
        organisation="Org\rBcc: y@evil.example",
        city="Aville",
        email="bob@example.org",
        message="How did you staff the stations?",
    )
    forward_question(question)
    body = mail.outbox[0].body
    assert not any(line.startswith("Bcc:") for line in body.splitlines())
    assert "Bob Bcc: x@evil.example" in body
    assert mail.outbox[0].bcc == []
