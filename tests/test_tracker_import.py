"""Issue 15 item 4: `import_tracker coronanet FILE…` reads CoronaNet's release CSV (sample files
written by the team in its format, tests/data/coronanet_*.csv): municipal records only, one case
per policy with its updates as a timeline, types mapped through the documented table, places
reported not glued, ids kept so that a newer release updates, drafts by default."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest

from django.core.management import CommandError, call_command

from casestudies.imports import ImportFailed
from casestudies.models import CaseStudyPage, City, ImportedCase, MeasureType
from casestudies.tracker import map_type, mapping_table, places_in, prepare_tracker

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
RELEASE = DATA / "coronanet_release.csv"
NEWER = DATA / "coronanet_release_newer.csv"
MESSY = DATA / "coronanet_messy.csv"


@pytest.fixture
def site(en_index, ko_index):
    return en_index


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "import_tracker", "coronanet", *[str(a) for a in args], "--no-progress", stdout=out, stderr=err
    )
    return out.getvalue(), err.getvalue()


def case(policy_id: str) -> CaseStudyPage:
    record = ImportedCase.objects.get(key=f"coronanet-{policy_id}")
    page = CaseStudyPage.objects.get(translation_key=record.translation_key, locale__language_code="en")
    return page.latest_revision.as_object()


def events(page) -> list[tuple[str, str, str]]:
    return [(b.value["date"].isoformat(), b.value["kind"], b.value["record"]) for b in page.timeline]


def test_one_case_per_municipal_policy_with_its_timeline(site):
    out, _err = run(RELEASE)
    # 10 records: one national (left out), 9 municipal in 6 policies.
    assert CaseStudyPage.objects.count() == 6
    assert "1 record at another level" in out
    dubai = case("1001")
    assert dubai.title == "Dubai: Curfew"
    assert dubai.start_date.isoformat() == "2020-03-26"
    assert dubai.end_date.isoformat() == "2020-06-24"  # its "End of Policy" update
    assert events(dubai) == [
        ("2020-03-26", "start", "R_dxb01NA"),
        ("2020-04-04", "change", "R_dxb02NA"),
        ("2020-06-24", "end", "R_dxb03NA"),
    ]
    # Credited and linked, the 700-character link included.
    sources = list(dubai.sources.all())
    assert [s.title for s in sources][0] == "CoronaNet Research Project, record R_dxb01NA"
    assert len(sources) == 3 and len(sources[2].url) > 700
    # A record with an end date but no end update: the end is an event too.
    seoul = case("1002")
    assert events(seoul) == [("2020-03-09", "start", "R_sel01Ab"), ("2020-07-12", "end", "R_sel01Ab")]
    assert seoul.end_date.isoformat() == "2020-07-12"


def test_drafts_by_default_and_published_with_the_flag(site):
    run(RELEASE)
    assert not CaseStudyPage.objects.filter(live=True).exists()
    run(RELEASE, "--publish")
    assert CaseStudyPage.objects.filter(live=True).count() == 6
    assert CaseStudyPage.objects.count() == 6
    # Published pages compare their timeline as published: the same release changes nothing.
    again = prepare_tracker(RELEASE.read_bytes(), "coronanet", publish=True)
    assert again.plan.counts["unchanged"] == 6


def test_types_map_to_curated_measures_and_areas_never_invented(site):
    before = MeasureType.objects.count()
    out, _err = run(RELEASE)
    assert MeasureType.objects.count() == before
    assert [m.slug for m in case("1002").measure_types.all()] == ["mask-distribution"]
    assert [m.slug for m in case("1004").measure_types.all()] == ["mask-mandate"]
    assert [a.slug for a in case("1008").policy_areas.all()] == ["education"]
    pristina = case("1006")  # COVID-19 Vaccines: no curated type; the area only, and reported
    assert not pristina.measure_types.exists()
    assert [a.slug for a in pristina.policy_areas.all()] == ["quarantine"]
    assert "COVID-19 Vaccines (1)" in out


def test_any_script_and_kosovo(site):
    run(RELEASE)
    names = set(City.objects.values_list("name", flat=True))
    assert {"مسقط", "Москва", "Pristina", "Kazan"} <= names  # "Kazan, Tatarstan": its province
    slugs = set(City.objects.values_list("slug", flat=True))
    assert all(slug.isascii() for slug in slugs)
    assert City.objects.get(name="Pristina").country.code == "XK"


def test_a_newer_release_updates_instead_of_duplicating(site):
    run(RELEASE)
    keys = set(ImportedCase.objects.values_list("key", flat=True))
    out, _err = run(NEWER)
    assert CaseStudyPage.objects.count() == 7  # one new policy (Hà Nội), no duplicate
    assert set(ImportedCase.objects.values_list("key", flat=True)) == keys | {"coronanet-1009"}
    dubai = case("1001")
    assert events(dubai)[-1] == ("2020-12-20", "change", "R_dxb04NA")
    assert dubai.end_date.isoformat() == "2021-01-03"
    assert case("1002").summary.startswith("Seoul gives three face masks")
    assert "1 created, 2 updated" in out
    # The same release again changes nothing.
    out, _err = run(NEWER)
    assert "0 created, 0 updated" in out and CaseStudyPage.objects.count() == 7


def test_a_timeline_change_alone_is_an_update(site):
    run(RELEASE)
    text = RELEASE.read_text(encoding="utf-8").replace(
        "Dubai lifts the curfew; shops and malls reopen with limits.", "Dubai lifts the curfew."
    )
    result = prepare_tracker(text.encode(), "coronanet")
    actions = {row.key: row.action for row in result.plan.rows}
    assert actions["coronanet-1001"] == "update"
    assert list(actions.values()).count("unchanged") == 5


def test_messy_file_refused_whole_with_line_numbered_errors(site):
    with pytest.raises(ImportFailed) as failure:
        prepare_tracker(MESSY.read_bytes(), "coronanet")
    errors = [str(error) for error in failure.value.errors]
    assert any(e.startswith("line 3, column city: names several places (Abu Dhabi; Al Ain)") for e in errors)
    assert any(e.startswith("line 4, column date_start:") for e in errors)
    assert any(e.startswith("line 5, column ISO_A2: “ZZ”") for e in errors)
    assert any(e.startswith("line 6, column type: “Astrology” is not in the mapping table") for e in errors)
    assert any(e.startswith("line 9, column date_end:") for e in errors)
    with pytest.raises(CommandError):
        run(MESSY)
    assert not CaseStudyPage.objects.exists() and not City.objects.filter(name="Hà Nội").exists()


def test_skip_invalid_imports_whole_valid_policies_and_writes_rejects(site, tmp_path):
    path = tmp_path / "messy.csv"
    shutil.copy(MESSY, path)
    out, _err = run(path, "--skip-invalid")
    titles = sorted(CaseStudyPage.objects.values_list("title", flat=True))
    assert titles == ["Hà Nội: Restriction and Regulation of Businesses", "Seoul: Health Resources (Masks)"]
    assert "2 cases imported, 7 records rejected" in out
    assert "names several places" in out  # the report lists them
    rejects = list(csv.DictReader(io.StringIO((tmp_path / "messy.csv.rejects.csv").read_text("utf-8"))))
    assert [r["record_id"] for r in rejects] == [
        "R_auh01NA",
        "R_bad01NA",
        "R_zz01NA",
        "R_typ01NA",
        "R_bj01NA",
        "R_bj02NA",
        "R_bj03NA",
    ]
    # Beijing's good records go with its bad update: a policy is imported whole.
    assert "policy 1013" in rejects[4]["error"] and "date_end" in rejects[6]["error"]
    # Fixed (the two places split into two rows, one city each), the rejects file imports as it is.
    fixed = [r for r in rejects if r["record_id"] == "R_auh01NA"]
    fixed = [
        dict(fixed[0], city="Abu Dhabi"),
        dict(fixed[0], city="Al Ain", record_id="R_aln01NA", policy_id="1014"),
    ]
    out_file = tmp_path / "fixed.csv"
    with out_file.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rejects[0]))
        writer.writeheader()
        writer.writerows(fixed)
    out, _err = run(out_file)
    assert CaseStudyPage.objects.filter(city__name__in=["Abu Dhabi", "Al Ain"]).count() == 2


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda t: t.replace("record_id,", "rid,", 1).encode(), "missing column(s): record_id"),
        (
            lambda t: t.replace("Seoul gives", "Seoul\x00 gives").encode(),
            "line 5, column description: holds a NUL",
        ),
        # UTF-16 without a byte-order mark reads as UTF-8 with a NUL after every ASCII letter.
        (lambda t: t.encode("utf-16-le"), "holds a NUL character"),
        (lambda t: t.encode("utf-16"), "line 1: the file is not UTF-8 text"),
    ],
)
def test_unreadable_input_is_a_line_numbered_error(site, mutate, message):
    raw = mutate(RELEASE.read_text(encoding="utf-8"))
    with pytest.raises(ImportFailed) as failure:
        prepare_tracker(raw, "coronanet")
    assert message in "\n".join(str(e) for e in failure.value.errors)
    assert not CaseStudyPage.objects.exists()


def test_control_characters_are_dropped(site):
    text = (
        RELEASE.read_text(encoding="utf-8")
        .replace("Dubai: ", "Dubai\x0c\x1b: ")
        .replace("The city of Dubai", "The city\x07 of Dubai")
    )
    result = prepare_tracker(text.encode(), "coronanet")
    result.apply()
    assert case("1001").summary.startswith("The city of Dubai orders")


def test_places_and_mapping_rules():
    assert places_in("Dubai", ("Dubai",)) == ["Dubai"]
    assert places_in("Abu Dhabi, Al Ain", ("Abu Dhabi",)) == ["Abu Dhabi", "Al Ain"]
    assert places_in("Kazan, Tatarstan", ("Tatarstan",)) == ["Kazan"]
    assert places_in("Washington, D.C.", ()) == ["Washington"]
    assert places_in("Portland, OR", ()) == ["Portland"]
    assert places_in("Dubai and Sharjah", ()) == ["Dubai", "Sharjah"]
    assert places_in("الشارقة، عجمان", ()) == ["الشارقة", "عجمان"]
    # Sub-category first, then the type's default; an unknown type has no mapping.
    assert map_type("Health Resources", "masks")[0].measures == ("mask-distribution",)
    assert map_type("Health Resources", "Ventilators")[0].measures == ("emergency-healthcare-capacity",)
    assert map_type("Astrology", "")[0] is None
    # Every measure type the table names is a curated one (migration 0003).
    slugs = set(MeasureType.objects.values_list("slug", flat=True))
    assert {s for m in mapping_table().values() for s in m.measures} <= slugs


# --- the admin upload offers the same connector ------------------------------------------------
ADMIN_URL = "/admin/editorial/import/"
CONFIRM_URL = "/admin/editorial/import/confirm/"


def upload(client, path, **extra):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {"file": SimpleUploadedFile(path.name, path.read_bytes(), content_type="text/csv"), **extra}
    return client.post(ADMIN_URL, data)


def test_admin_upload_previews_then_imports_a_release(client, site, make_user):
    client.force_login(make_user("eddie", "Editors"))
    response = upload(client, RELEASE, source="coronanet")
    assert response.status_code == 200
    html = response.content.decode()
    assert "6 policies: one case each" in html and "COVID-19 Vaccines (1)" in html
    assert "coronanet-1001" in html and "Dubai: Curfew" in html
    assert not CaseStudyPage.objects.exists()
    response = client.post(CONFIRM_URL, {"token": response.context["confirm_form"].initial["token"]})
    assert response.status_code == 302
    assert CaseStudyPage.objects.count() == 6
    assert all(page.workflow_in_progress and not page.live for page in CaseStudyPage.objects.all())
    assert len(case("1001").timeline) == 3


def test_admin_upload_of_a_messy_release(client, site, make_user):
    client.force_login(make_user("eddie", "Editors"))
    response = upload(client, MESSY, source="coronanet")
    html = response.content.decode()
    assert response.status_code == 200 and "nothing was imported" in html
    assert "line 3, column city: names several places" in html
    response = upload(client, MESSY, source="coronanet", skip_invalid="on")
    html = response.content.decode()
    assert "7 rows are set aside" in html and 'download="coronanet_messy.rejects.csv"' in html
    client.post(CONFIRM_URL, {"token": response.context["confirm_form"].initial["token"]})
    assert CaseStudyPage.objects.count() == 2


def test_admin_upload_refuses_a_release_that_is_not_csv(client, site, make_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(make_user("eddie", "Editors"))
    response = client.post(
        ADMIN_URL, {"file": SimpleUploadedFile("release.jsonl", b"{}"), "source": "coronanet"}
    )
    assert response.status_code == 200 and "A tracker release is a .csv file." in response.content.decode()
    response = client.post(
        ADMIN_URL, {"file": SimpleUploadedFile("r.csv", b"a,b\n1,2\n"), "source": "astrology"}
    )
    assert response.status_code == 200 and response.context["form"].errors["source"]


def test_the_case_page_shows_the_timeline_in_both_languages(client, site):
    from django.template.loader import render_to_string
    from django.utils import translation

    run(RELEASE, "--publish")
    dubai = case("1001")
    html = client.get(dubai.url).content.decode()
    assert '<h2 id="timeline-heading">Timeline</h2>' in html
    assert html.count('class="timeline__event ') == 3
    assert "Started" in html and "Changed" in html and "Ended" in html
    assert "CoronaNet Research Project, record R_dxb02NA" in html
    assert 'href="https://www.example.org/dubai-24h"' in html
    with translation.override("ko"):
        ko = render_to_string("casestudies/includes/timeline.html", {"timeline": dubai.timeline})
    assert "타임라인" in ko and "시작" in ko and "변경" in ko and "종료" in ko
    assert "CoronaNet Research Project, 기록 R_dxb01NA" in ko
    # A description in another script keeps its direction.
    muscat = client.get(case("1003").url).content.decode()
    assert 'dir="auto">مسقط: فحص مجاني' in muscat


def test_several_files_in_order_and_dry_run(site, tmp_path):
    out, _err = run(RELEASE, "--dry-run")
    assert "Dry run: nothing was written." in out and not CaseStudyPage.objects.exists()
    out, _err = run(RELEASE, NEWER)
    assert CaseStudyPage.objects.count() == 7  # the second file updates what the first created
    assert "6 created" in out and "1 created, 2 updated" in out
    missing = tmp_path / "nowhere.csv"
    with pytest.raises(CommandError, match="No such file"):
        run(RELEASE, missing)


def test_an_imported_case_opens_in_the_page_editor(client, site, admin_user):
    run(RELEASE)
    client.force_login(admin_user)
    dubai = case("1001")
    response = client.get(f"/admin/pages/{dubai.pk}/edit/")
    assert response.status_code == 200
    assert "R_dxb02NA" in response.content.decode()  # the timeline's events, editable
