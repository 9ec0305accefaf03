"""Issue 15 item 3: real tracker rows that were refused and should pass: Kosovo's `XK`, source URLs
up to 2,000 characters."""

from __future__ import annotations

import csv
import io

import pytest

from django.core.management import CommandError, call_command
from django.utils import translation

from casestudies.exporter import COLUMNS
from casestudies.models import CaseStudyPage, City

pytestmark = pytest.mark.django_db


def row(**values):
    base = {column: "" for column in COLUMNS}
    base.update(
        key="prishtina-curfew",
        locale="en",
        title="Night curfew",
        summary="A curfew from 22:00.",
        city="Prishtina",
        country="XK",
        continent="europe",
        policy_areas="quarantine",
        start_date="2020-03-20",
    )
    base.update(values)
    return base


def run(tmp_path, rows, *args):
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path = tmp_path / "rows.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    err = io.StringIO()
    call_command("import_casestudies", str(path), *args, stdout=io.StringIO(), stderr=err)
    return err.getvalue()


def test_kosovo_is_a_country_with_its_name_in_both_languages(en_index, ko_index, tmp_path, client, settings):
    settings.OPENDATA_API_RATE = settings.OPENDATA_EXPORT_RATE = "1000/m"
    run(tmp_path, [row()], "--publish")
    city = City.objects.get(name="Prishtina")
    assert city.country.code == "XK"
    with translation.override("en"):
        assert city.country_name == "Kosovo"
    with translation.override("ko"):
        assert city.country_name == "코소보"
    assert "Kosovo" in client.get(f"/en/cities/{city.slug}/").content.decode()
    assert "코소보" in client.get(f"/ko/cities/{city.slug}/").content.decode()
    assert client.get("/api/v2/cases/?country=XK").json()["meta"]["total_count"] == 1
    assert client.get("/en/search/?country=XK&format=json").status_code == 200
    assert client.get("/en/data/cases.csv?country=XK").status_code == 200


def test_a_country_code_that_is_no_country_is_still_refused(en_index, ko_index, tmp_path):
    with pytest.raises(CommandError):
        run(tmp_path, [row(country="XX")])
    assert not CaseStudyPage.objects.exists()


def test_source_urls_up_to_2000_characters(en_index, ko_index, tmp_path):
    long_url = "https://news.example.org/" + "a" * (2000 - len("https://news.example.org/"))
    run(tmp_path, [row(source_urls=long_url)])
    assert CaseStudyPage.objects.get().sources.get().url == long_url
    too_long = long_url + "b"
    err = io.StringIO()
    with pytest.raises(CommandError):
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerow(row(key="other", source_urls=too_long))
        path = tmp_path / "long.csv"
        path.write_text(out.getvalue(), encoding="utf-8")
        call_command("import_casestudies", str(path), stdout=io.StringIO(), stderr=err)
    assert "a URL is at most 2000 characters" in err.getvalue()


def test_names_that_differ_by_accents_or_case_are_one_city_with_aliases(en_index, ko_index, tmp_path):
    rows = [
        row(key="a", city="Timișoara", country="RO"),
        row(key="b", city="Timisoara", country="RO"),
        row(key="c", city="TIMIȘOARA", country="RO"),
    ]
    run(tmp_path, rows)
    city = City.objects.get()
    assert city.name == "Timișoara"
    assert city.alias_list == ["Timisoara"]  # "TIMIȘOARA" differs only by case: no alias needed
    assert set(CaseStudyPage.objects.values_list("city_id", flat=True)) == {city.pk}
    # An existing city: a new spelling is recognised and kept; a known one is not repeated.
    run(
        tmp_path, [row(key="d", city="timisoara", country="RO"), row(key="e", city="Timișoara", country="RO")]
    )
    city.refresh_from_db()
    assert City.objects.count() == 1
    assert city.alias_list == ["Timisoara"]  # "timisoara" differs only by case from it
    assert CaseStudyPage.objects.filter(city=city).count() == 5


def test_an_alias_typed_in_the_admin_is_recognised(en_index, ko_index, tmp_path):
    from casestudies.factories import CityFactory

    CityFactory(
        name="Kraków",
        name_ko="크라쿠프",
        slug="krakow",
        country="PL",
        continent="europe",
        aliases="Cracow\nKrakau",
    )
    run(tmp_path, [row(key="k1", city="Cracow", country="PL"), row(key="k2", city="krakow", country="PL")])
    assert City.objects.count() == 1
    assert CaseStudyPage.objects.filter(city__slug="krakow").count() == 2


def test_search_and_suggest_know_a_city_by_its_other_spellings(en_index, ko_index, tmp_path):
    from casestudies.factories import CityFactory
    from search import service
    from search.types import SearchRequest

    city = CityFactory(
        name="Kraków", name_ko="크라쿠프", slug="krakow", country="PL", continent="europe", aliases="Cracow"
    )
    run(tmp_path, [row(key="k1", city="Kraków", country="PL", title="Night curfew")], "--publish")
    found = service.search(SearchRequest(language="en", query="cracow"))
    assert [hit.title for hit in found.hits] == ["Night curfew"]
    assert [s.label for s in service.suggest("en", "Crac") if s.kind == "city"] == ["Kraków, Poland"]
    # An alias added later in the admin re-indexes the city's cases.
    city.aliases = "Cracow\nKrakau"
    city.save()
    assert service.search(SearchRequest(language="en", query="krakau")).count == 1


def test_same_name_in_another_country_is_another_city(en_index, ko_index, tmp_path):
    run(
        tmp_path,
        [
            row(key="x", city="Córdoba", country="ES"),
            row(key="y", city="Cordoba", country="AR", continent="south-america"),
        ],
    )
    assert City.objects.count() == 2
