"""Issue 15 item 2: `--skip-invalid` imports every valid row and writes the rejected ones, with an
`error` column, to a rejects file that re-imports as it is once fixed; the report counts both.
All-or-nothing stays the default."""

from __future__ import annotations

import csv
import io
import json

import pytest

from django.core.management import CommandError, call_command

from casestudies.exporter import COLUMNS
from casestudies.factories import CityFactory
from casestudies.models import CaseStudyPage

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(en_index, ko_index):
    CityFactory(name="Seoul", name_ko="서울", slug="seoul", country="KR", continent="asia")


def row(key, locale="en", **values):
    base = {column: "" for column in COLUMNS}
    base.update(
        key=key,
        locale=locale,
        title=f"Case {key} ({locale})",
        summary="A measure.",
        city="Seoul",
        policy_areas="quarantine",
        start_date="2020-03-09",
    )
    base.update(values)
    return base


ROWS = [
    row("good-1"),
    row("good-1", "ko", title="사례 1"),
    row("bad-date", start_date="2020-13-45"),
    row("bad-date", "ko", title="날짜가 틀린 사례", start_date=""),  # valid, its case is not: rejected too
    row("good-2", title="=SUM(A1)"),
    row("bad-area", policy_areas="astrology"),
]


def write_csv(path, rows):
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_casestudies", *[str(a) for a in args], "--no-progress", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_without_the_option_one_bad_row_still_refuses_the_file(site, tmp_path):
    path = tmp_path / "cases.csv"
    write_csv(path, ROWS)
    with pytest.raises(CommandError):
        run(path)
    assert not CaseStudyPage.objects.exists()


def test_skip_invalid_imports_the_valid_rows_and_writes_the_rest(site, tmp_path):
    path = tmp_path / "cases.csv"
    write_csv(path, ROWS)
    out, err = run(path, "--skip-invalid")
    assert sorted(CaseStudyPage.objects.values_list("title", flat=True)) == [
        "=SUM(A1)",
        "Case good-1 (en)",
        "사례 1",
    ]
    rejects = tmp_path / "cases.csv.rejects.csv"
    assert f"3 rows imported, 3 rejected (written to {rejects})." in out
    assert "line 4: start_date:" in err
    rejected = list(csv.DictReader(io.StringIO(rejects.read_text(encoding="utf-8"))))
    assert [r["key"] for r in rejected] == ["bad-date", "bad-date", "bad-area"]
    assert rejected[0]["error"].startswith("line 4: start_date: “2020-13-45” is not a date")
    assert "another row of case “bad-date” is invalid" in rejected[1]["error"]
    assert "unknown policy area “astrology”" in rejected[2]["error"]

    # Fixed, the rejects file re-imports as it is (its error column is ignored).
    text = (
        rejects.read_text(encoding="utf-8")
        .replace("2020-13-45", "2020-04-01")
        .replace("astrology", "culture")
    )
    rejects.write_text(text, encoding="utf-8")
    out, _err = run(rejects, "--skip-invalid")
    assert "3 rows imported, 0 rejected." in out
    assert CaseStudyPage.objects.count() == 6


def test_skip_invalid_with_json_lines_and_an_unreadable_line(site, tmp_path):
    path = tmp_path / "cases.jsonl"
    path.write_text(
        "\n".join([json.dumps(row("good-1")), "{not json", json.dumps(row("bad", start_date="soon"))]),
        encoding="utf-8",
    )
    rejects = tmp_path / "rejected.jsonl"
    out, _err = run(path, "--skip-invalid", "--rejects", rejects)
    assert "1 rows imported, 2 rejected" in out
    lines = [json.loads(line) for line in rejects.read_text(encoding="utf-8").splitlines()]
    assert lines[0] == {"error": lines[0]["error"]} and lines[0]["error"].startswith("line 2: not valid JSON")
    assert lines[1]["key"] == "bad" and lines[1]["error"].startswith("line 3: start_date:")
    assert CaseStudyPage.objects.get().title == "Case good-1 (en)"


def test_skip_invalid_dry_run_writes_the_rejects_but_no_page(site, tmp_path):
    path = tmp_path / "cases.csv"
    write_csv(path, ROWS)
    out, _err = run(path, "--skip-invalid", "--dry-run")
    assert "0 rows imported, 3 rejected" in out
    assert (tmp_path / "cases.csv.rejects.csv").exists()
    assert not CaseStudyPage.objects.exists()


def test_the_admin_upload_offers_the_same_choice(site, client, django_user_model, tmp_path):
    import base64

    from django.contrib.messages import get_messages
    from django.core.files.uploadedfile import SimpleUploadedFile

    user = django_user_model.objects.create_superuser("importer", "i@example.org", "pw")
    client.force_login(user)
    path = tmp_path / "cases.csv"
    write_csv(path, ROWS)
    upload = SimpleUploadedFile("cases.csv", path.read_bytes(), content_type="text/csv")
    preview = client.post("/admin/editorial/import/", {"file": upload, "skip_invalid": "on"})
    assert preview.status_code == 200
    assert len(preview.context["rejected"]) == 3
    assert preview.context["rejects_name"] == "cases.rejects.csv"
    href = preview.context["rejects_href"]
    assert href.startswith("data:text/csv;base64,")
    rejects = base64.b64decode(href.split(",", 1)[1]).decode()
    assert [r["key"] for r in csv.DictReader(io.StringIO(rejects))] == ["bad-date", "bad-date", "bad-area"]
    assert not CaseStudyPage.objects.exists()  # a preview writes nothing
    token = preview.context["confirm_form"]["token"].value()
    done = client.post("/admin/editorial/import/confirm/", {"token": token})
    assert done.status_code == 302
    assert CaseStudyPage.objects.count() == 3
    assert any("3 rows set aside" in str(m) for m in get_messages(done.wsgi_request))


def test_the_admin_upload_without_the_choice_refuses_the_file(site, client, django_user_model, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    user = django_user_model.objects.create_superuser("importer", "i@example.org", "pw")
    client.force_login(user)
    path = tmp_path / "cases.csv"
    write_csv(path, ROWS)
    response = client.post(
        "/admin/editorial/import/", {"file": SimpleUploadedFile("cases.csv", path.read_bytes())}
    )
    assert response.status_code == 200
    assert response.context["errors"] and "summary" not in response.context
