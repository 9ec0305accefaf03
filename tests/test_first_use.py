"""What a new official, editor or researcher hits first (issue 12), checked on the server side:
the sort control in browse mode, "Show all (n)" facet lists, the filters toggle, the home page's
suggest box, the language switch keeping the query string, the case index filters, "end date not
recorded" vs "ongoing", the translatable contact organisation, the citation's date, the Excel CSV,
absolute URLs on the request's host and the favicon. The phone layout is in test_first_use_browser."""

from __future__ import annotations

import datetime
import re

import pytest

from django.contrib.staticfiles import finders
from django.core.exceptions import ValidationError
from django.utils.translation import override as translation_override

from wagtail.models import Locale, Site

from casestudies.factories import index_page
from search.factories import CityFactory, MeasureTypeFactory, make_case
from search.types import SearchRequest, SearchResponse

from .fixtures.database import build_for_module, own_or_fresh

pytestmark = pytest.mark.django_db


def _build_cases() -> dict:
    """Drive-through testing in Seoul (with a measure type) and cycle lanes in Paris, ended."""
    seoul = CityFactory(name="Seoul", name_ko="서울", slug="seoul", country="KR", continent="asia")
    paris = CityFactory(name="Paris", name_ko="파리", slug="paris", country="FR", continent="europe")
    testing = MeasureTypeFactory(name="Testing", name_ko="검사", slug="testing")
    return {
        "drive": make_case(
            "Drive-through testing stations",
            city=seoul,
            areas=["quarantine"],
            measures=[testing],
            start_date=datetime.date(2020, 3, 1),
            contact_organisation="Seoul Metropolitan Government",
        ),
        "lanes": make_case(
            "Pop-up cycle lanes",
            city=paris,
            areas=["public-transportation"],
            start_date=datetime.date(2021, 5, 11),
            end_date=datetime.date(2021, 12, 31),
        ),
    }


@pytest.fixture(scope="class")
def _cases_of_class(request, django_db_setup, django_db_blocker):
    """For the tests of a class: the cases built once for it (in a transaction rolled back after
    it). Outside a class: None, and each test builds its own."""
    if request.cls is None:
        yield None
        return
    yield from build_for_module(django_db_blocker, _build_cases)


@pytest.fixture
def cases(_cases_of_class, db):
    """The two cases: the class's, read again for each test, or the test's own."""
    return own_or_fresh(_cases_of_class, _build_cases)


# -- search page ---------------------------------------------------------------------------------
class TestSearchPage:
    """The search page over the two cases, built once for the class."""

    def test_browsing_shows_the_sort_it_applies(self, client, cases):
        """No words: the results are newest first, and the sort control says so (not "Relevance")."""
        html = client.get("/en/search/").content.decode()
        assert "results, newest first" in html
        select = re.search(r'<select id="search-sort"[^>]*>(.*?)</select>', html, re.S)
        assert select
        assert re.findall(r"<option[^>]*selected[^>]*>([^<]*)<", select.group(1)) == ["Newest first"]
        assert "Relevance" not in select.group(1)
        # "Newest first" sends no sort: a search typed next is ranked by relevance again.
        assert re.search(r'<option value="" selected>Newest first<', select.group(1))
        # Browsing may also be sorted by strongest evidence (issue 16).
        html = client.get("/en/search/?sort=evidence").content.decode()
        assert "results, strongest evidence first" in html
        # With words, relevance is the default again and can be chosen.
        html = client.get("/en/search/?q=testing").content.decode()
        select = re.search(r'<select id="search-sort"[^>]*>(.*?)</select>', html, re.S)
        assert "disabled" not in select.group(0)
        assert re.findall(r"<option[^>]*selected[^>]*>([^<]*)<", select.group(1)) == ["Relevance"]

    def test_filters_sit_behind_a_toggle_counting_the_active_ones(self, client, cases):
        html = client.get("/en/search/").content.decode()
        assert re.search(r'<details class="filters-panel"[^>]*>\s*<summary[^>]*>Filters</summary>', html)
        html = client.get("/en/search/?country=KR&area=quarantine").content.decode()
        assert re.search(r"<summary[^>]*>Filters \(2\)</summary>", html)
        html = client.get("/ko/search/?country=KR").content.decode()
        assert re.search(r"<summary[^>]*>필터 \(1\)</summary>", html)


def _response(counts: dict[str, dict[str, int]]) -> SearchResponse:
    return SearchResponse(count=1, page=1, num_pages=1, hits=[], facets=counts)


def test_short_facet_lists_show_whole_and_long_ones_show_all_n():
    from search.views import FACET_SHOWN_FIRST, FACET_SHOWN_WHOLE, _facet_groups

    areas = {f"area-{i}": 1 for i in range(10)}
    countries = {code: 20 - i for i, code in enumerate(["KR", "FR", "DE", "IT", "ES", "US", "CA", "MX",
                                                        "BR", "AR", "CL", "PE", "CO", "NG", "KE"])}  # fmt: skip
    labels = {"area_order": {}, "continent_order": {}}
    groups = {g["name"]: g for g in _facet_groups(_response({"area": areas, "country": countries}),
                                                  SearchRequest(language="en", country=("CO",)), labels)}  # fmt: skip
    # Ten areas: every one shown, Sports included (it was below a scroll box's fold).
    assert len(groups["area"]["options"]) == 10 and groups["area"]["more"] == []
    assert len(areas) <= FACET_SHOWN_WHOLE < len(countries)
    country = groups["country"]
    assert len(country["options"]) == FACET_SHOWN_FIRST
    assert country["total"] == len(countries)
    assert len(country["options"]) + len(country["more"]) == len(countries)
    assert country["options"][0]["value"] == "CO"  # the selected value first, never hidden
    assert not country["more_open"]


class TestPagesOverTheCases:
    """The search page, the home page, the case index and the case page over the two cases, built once for the class."""

    def test_the_page_renders_show_all_with_the_number(self, client, cases):
        for i in range(14):  # fourteen countries: a long list
            city = CityFactory(name=f"City {i}", slug=f"city-{i}", country=["DE", "IT", "ES", "US", "CA", "MX",
                               "BR", "AR", "CL", "PE", "CO", "NG", "KE", "JP"][i], continent="europe")  # fmt: skip
            make_case(f"Case number {i}", city=city)
        html = client.get("/en/search/").content.decode()
        country = html[html.index("facet--country") :]
        country = country[: country.index("</fieldset>")]
        assert '<details class="facet__more">' in country
        assert "<summary>Show all (16)</summary>" in country
        assert country.count('name="country"') == 16  # all of them are in the page, none dropped
        assert "facet__list--long" not in html  # no fixed-height scroll box

    # -- home page -----------------------------------------------------------------------------------
    @pytest.mark.parametrize("language", ["en", "ko"])
    def test_the_home_search_box_is_the_suggest_component(self, client, cases, language):
        html = client.get(f"/{language}/").content.decode()
        box = re.search(r'<input id="home-search"[^>]*>', html, re.S).group(0)
        assert 'role="combobox"' in box and f'data-suggest-url="/{language}/search/suggest/"' in box
        assert 'aria-controls="home-search-suggestions"' in box
        assert 'id="home-search-suggestions" class="suggestions" role="listbox"' in html
        assert "search/search.js" in html and "data-search-form" in html

    # -- language switch -----------------------------------------------------------------------------
    def test_switching_language_keeps_the_query_string(self, client, cases):
        index_page("ko")
        html = client.get("/en/cases/?area=quarantine&country=KR").content.decode()
        switcher = html[html.index('class="language-switcher"') :]
        assert 'href="/ko/cases/?area=quarantine&amp;country=KR"' in switcher
        # Pages without a query string keep their plain address.
        html = client.get("/en/cases/").content.decode()
        assert 'href="/ko/cases/"' in html[html.index('class="language-switcher"') :]

    # -- case index ----------------------------------------------------------------------------------
    def test_case_index_filters_like_search(self, client, cases):
        def titles(query: str) -> set[str]:
            response = client.get(f"/en/cases/{query}")
            assert response.status_code == 200, query
            return set(re.findall(r'case-card__title"><a href="[^"]*">([^<]*)<', response.content.decode()))

        assert titles("?country=KR") == {"Drive-through testing stations"}
        assert titles("?country=fr") == {"Pop-up cycle lanes"}
        assert titles("?measure=testing") == {"Drive-through testing stations"}
        assert titles("?year=2021") == {"Pop-up cycle lanes"}
        assert titles("?year=2020&country=FR") == set()
        html = client.get("/en/cases/").content.decode()
        for name in ("area", "continent", "country", "measure", "year"):
            assert f'<select id="filter-{name}" name="{name}">' in html
        assert (
            '<option value="2021">2021</option>' in html and '<option value="KR">South Korea</option>' in html
        )

    @pytest.mark.parametrize("query", ["?country=ZZ", "?year=20x1", "?year=99999", "?measure=nothing"])
    def test_case_index_unknown_filter_values_are_400(self, client, cases, query):
        # The one rule of casestudies.filters (a 404 before): tests/test_case_filters.py.
        response = client.get(f"/en/cases/{query}")
        assert response.status_code == 400
        assert "Unknown value" in response.content.decode()

    # -- case page -----------------------------------------------------------------------------------
    def test_end_date_not_recorded_versus_ongoing(self, client, cases):
        case = cases["drive"]
        html = client.get(case.url).content.decode()
        assert "end date not recorded" in html
        assert "ongoing" not in html
        case.ongoing = True
        case.save_revision().publish()
        html = client.get(case.url).content.decode()
        assert "– ongoing" in html and "end date not recorded" not in html
        ended = client.get(cases["lanes"].url).content.decode()
        assert 'datetime="2021-12-31"' in ended and "ongoing" not in ended and "not recorded" not in ended

    def test_ongoing_with_an_end_date_is_refused(self, cases):
        case = cases["lanes"]
        case.ongoing = True
        with pytest.raises(ValidationError) as error:
            case.full_clean()
        assert "ongoing" in error.value.message_dict


def test_ongoing_and_publication_date_are_shared_by_translations():
    from wagtail_localize.fields import get_translatable_fields

    from casestudies.models import CaseStudyPage

    fields = {field.field_name: field for field in get_translatable_fields(CaseStudyPage)}
    assert fields["ongoing"].is_synchronized(None) and not fields["ongoing"].is_translated(None)
    assert fields["publication_date"].is_synchronized(None)
    # The contact organisation is a name in each language: translated, not copied.
    assert fields["contact_organisation"].is_translated(None)


# -- absolute URLs -------------------------------------------------------------------------------
@pytest.fixture
def demo_site(settings):
    """The demo's Site record (localhost:80), reached through another host name."""
    settings.ALLOWED_HOSTS = ["cac.example.org"]
    Site.objects.filter(is_default_site=True).update(hostname="localhost", port=80)
    return "cac.example.org"


def _absolute_urls(text: str) -> set[str]:
    return set(re.findall(r"https?://[^/\"'<\s]+", text)) - {
        "http://www.sitemaps.org",
        "http://www.w3.org",
        "https://creativecommons.org",
    }


class TestCitationsDownloadsAndAbsoluteUrls:
    """Citations, downloads and absolute URLs of the two cases, built once for the class."""

    # -- citation ------------------------------------------------------------------------------------
    def test_citation_uses_the_publication_date_in_the_page_language(self, cases):
        from opendata.cite import apa_citation, bibtex, ris

        case = cases["drive"]
        case.publication_date = datetime.date(2020, 3, 26)
        case.save_revision().publish()
        case.refresh_from_db()
        assert apa_citation(case).startswith("Seoul Metropolitan Government. (2020, March 26). ")
        assert "year = {2020}" in bibtex(case) and "PY  - 2020" in ris(case)
        index_page("ko")
        ko = case.copy_for_translation(Locale.objects.get(language_code="ko"))
        ko.contact_organisation = "서울특별시"
        ko.save_revision().publish()
        assert apa_citation(ko).startswith("서울특별시. (2020년 3월 26일). ")

    def test_citation_without_a_publication_date_uses_the_first_publication(self, cases):
        from opendata.cite import apa_citation

        case = cases["lanes"]
        first = datetime.datetime(2021, 6, 1, 12, tzinfo=datetime.UTC)
        type(case).objects.filter(pk=case.pk).update(
            first_published_at=first, last_published_at=first + datetime.timedelta(days=600)
        )
        case.refresh_from_db()
        assert "(2021, June 1)" in apa_citation(case)

    # -- downloads -----------------------------------------------------------------------------------
    def test_excel_csv_has_a_bom_and_the_plain_one_does_not(self, client, cases, opendata_no_ratelimit):
        plain = b"".join(client.get("/ko/data/cases.csv").streaming_content)
        excel_response = client.get("/ko/data/cases.csv?excel=1")
        excel = b"".join(excel_response.streaming_content)
        assert not plain.startswith(b"\xef\xbb\xbf")
        assert excel.startswith(b"\xef\xbb\xbf") and excel[3:] == plain
        assert "-excel.csv" in excel_response["Content-Disposition"]
        assert client.get("/en/data/cases.csv?excel=2").status_code == 400
        assert client.get("/en/data/cases.json?excel=1").status_code == 400

    def test_download_menu_offers_both_csvs_and_says_which_is_which(self, client, cases):
        html = client.get("/en/cases/?area=quarantine").content.decode()
        assert 'href="/en/data/cases.csv?area=quarantine"' in html
        assert 'href="/en/data/cases.csv?area=quarantine&amp;excel=1"' in html
        assert "Download CSV for Excel" in html and "byte-order mark" in html and "plain UTF-8" in html
        html = client.get("/ko/explore/").content.decode()
        assert 'href="/ko/data/cases.csv?excel=1"' in html and "엑셀용 CSV 내려받기" in html

    def test_api_urls_name_the_request_host(self, client, cases, demo_site):
        case = cases["drive"]
        for path in (
            "/api/v2/cases/",
            f"/api/v2/cases/{case.pk}/",
            "/api/v2/pages/?type=casestudies.CaseStudyPage",
            f"/api/v2/pages/{case.pk}/",
            "/api/v2/cities/",
            "/api/v2/sessions/",
        ):
            response = client.get(path, HTTP_HOST=demo_site)
            assert response.status_code == 200, path
            assert _absolute_urls(response.content.decode()) <= {f"http://{demo_site}"}, path
        detail = client.get(f"/api/v2/cases/{case.pk}/", HTTP_HOST=demo_site).json()
        assert detail["meta"]["html_url"] == f"http://{demo_site}{case.url}"
        assert detail["meta"]["detail_url"] == f"http://{demo_site}/api/v2/cases/{case.pk}/"
        assert detail["meta"]["parent"]["meta"]["html_url"].startswith(f"http://{demo_site}/en/")

    def test_sitemap_urls_name_the_request_host(self, client, cases, demo_site):
        text = client.get("/sitemap.xml", HTTP_HOST=demo_site).content.decode()
        assert f"<loc>http://{demo_site}{cases['drive'].url}</loc>" in text
        assert _absolute_urls(text) == {f"http://{demo_site}"}


# -- favicon -------------------------------------------------------------------------------------
def test_favicon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert finders.find(response["Location"].removeprefix("/static/"))
    html = client.get("/en/").content.decode()
    assert 'rel="icon"' in html and "img/favicon.svg" in html
    assert finders.find("img/favicon.svg")


# -- first run -----------------------------------------------------------------------------------
def test_demo_team_accounts_and_the_printed_url(settings, tmp_path, client):
    import io

    from django.contrib.auth import get_user_model
    from django.core.management import CommandError, call_command

    from editorial.models import CityEditor

    settings.DEBUG = True
    settings.BASE_DIR = tmp_path
    seoul = CityFactory(name="Seoul", name_ko="서울", slug="seoul", country="KR", continent="asia")
    out = io.StringIO()
    call_command("ensure_admin", "--demo-team", "--url", "http://127.0.0.1:8100", stdout=out)
    text = out.getvalue()
    assert "(http://127.0.0.1:8100/admin/)" in text and ":8000" not in text
    users = get_user_model().objects
    groups = {name: set(users.get(username=name).groups.values_list("name", flat=True)) for name in
              ("editor", "reviewer", "seoul-editor")}  # fmt: skip
    assert groups == {"editor": {"Editors"}, "reviewer": {"Reviewers"}, "seoul-editor": {"City editors"}}
    assert CityEditor.objects.get(user__username="seoul-editor").city == seoul
    password = re.search(r"Demo reviewer login: reviewer / (\S+)", text).group(1)
    assert client.login(username="reviewer", password=password)
    again = io.StringIO()
    call_command("ensure_admin", "--demo-team", stdout=again)
    assert f"reviewer / {password}" in again.getvalue()  # the same accounts, not new ones
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("ensure_admin", "--demo-team", stdout=io.StringIO())


def test_make_run_prints_the_port_it_serves_on():
    import shutil
    import subprocess
    from pathlib import Path

    if not shutil.which("make"):
        pytest.skip("make is not installed")
    root = Path(__file__).resolve().parent.parent
    dry = subprocess.run(  # noqa: S603 - fixed arguments
        ["make", "-n", "run", "PORT=8100", "HOST=127.0.0.1"],  # noqa: S607
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "ensure_admin --demo-team --url http://127.0.0.1:8100" in dry
    assert "runserver 127.0.0.1:8100" in dry
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert "PORT=8100" in readme and "HOST" in readme and "first run takes" in readme


# -- rate limit page, question sent ---------------------------------------------------------------
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_past_a_download_limit_a_browser_gets_a_page_and_a_client_json(
    client, settings, cases, opendata_no_ratelimit
):
    settings.OPENDATA_EXPORT_RATE = "1/m"
    assert client.get("/ko/data/cases.csv", HTTP_ACCEPT=BROWSER_ACCEPT).status_code == 200
    page = client.get("/ko/data/cases.csv", HTTP_ACCEPT=BROWSER_ACCEPT)
    assert page.status_code == 429 and page["Content-Type"].startswith("text/html")
    assert int(page["Retry-After"]) >= 1
    html = page.content.decode()
    assert '<html lang="ko">' in html and "<h1>요청이 너무 많습니다</h1>" in html
    api_client = client.get("/ko/data/cases.csv", HTTP_ACCEPT="*/*")
    assert api_client.status_code == 429 and api_client.json()["message"]


def test_after_a_question_is_sent_the_thanks_come_without_an_empty_form(client, community_case):
    case = community_case["en"]
    thanks = client.get(f"{case.url}?asked=1").content.decode()
    assert "your question has been received" in thanks
    assert 'class="exchange__form"' not in thanks
    assert f'href="{case.url}#ask-a-question">Ask another question</a>' in thanks
    assert 'class="exchange__form"' in client.get(case.url).content.decode()


# -- admin: policy areas, measure types -----------------------------------------------------------
@pytest.fixture
def editor_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("chief", "chief@example.org", "pw"))
    return client


class TestAdminFields:
    """The admin form of the two cases, built once for the class."""

    def test_the_policy_area_field_offers_the_page_language_only(self, editor_client, cases):
        from casestudies.models import PolicyArea

        from .admin_forms import case_form

        case = cases["drive"]
        html = editor_client.get(f"/admin/pages/{case.pk}/edit/").content.decode()
        field = html[html.index('name="policy_areas"') - 2000 :]
        english = PolicyArea.objects.filter(locale__language_code="en")
        korean = PolicyArea.objects.filter(locale__language_code="ko")
        assert html.count('name="policy_areas"') == english.count() == 10
        assert "Quarantine measures" in field and korean.get(slug="quarantine").name not in html
        # A Korean area posted on an English page is refused, not saved.
        response = editor_client.post(
            f"/admin/pages/{case.pk}/edit/",
            case_form(case) | {"policy_areas": [korean.get(slug="education").pk]},
        )
        assert response.status_code == 200 and "policy_areas" in response.context["form"].errors
        case.refresh_from_db()
        assert [area.slug for area in case.policy_areas.all()] == ["quarantine"]

    @pytest.mark.parametrize("typed", ["testing", "TESTING", "korean name"])
    def test_a_measure_type_typed_in_full_is_kept(self, editor_client, cases, typed):
        from casestudies.models import MeasureType

        from .admin_forms import case_form

        if typed == "korean name":
            typed = MeasureType.objects.get(slug="testing").name_ko
            assert typed
        case = cases["lanes"]
        response = editor_client.post(f"/admin/pages/{case.pk}/edit/", case_form(case, measure_types=typed))
        assert response.status_code == 302, response.context["form"].errors
        assert [
            m.slug
            for m in type(case).objects.get(pk=case.pk).get_latest_revision_as_object().measure_types.all()
        ] == ["testing"]

    def test_an_unknown_measure_type_refuses_the_save_with_a_message(self, editor_client, cases):
        from .admin_forms import case_form

        case = cases["lanes"]
        before = case.latest_revision_id
        response = editor_client.post(
            f"/admin/pages/{case.pk}/edit/", case_form(case, measure_types="Testing, Mask vending machines")
        )
        assert response.status_code == 200
        errors = response.context["form"].errors["measure_types"]
        assert "“Mask vending machines”" in errors[0] and "nothing was saved" in errors[0]
        case.refresh_from_db()
        assert case.latest_revision_id == before


# -- import: a new city's Korean name -------------------------------------------------------------
def test_a_city_created_by_import_has_no_korean_name_and_is_reported(tmp_path, editor_client):
    from casestudies.models import City

    from .test_import_command import row, run, write_csv

    index_page("en")
    index_page("ko")
    run(write_csv(tmp_path, [row(key="busan-masks", city="Busan", country="KR", continent="asia")]))
    busan = City.objects.get(name="Busan")
    assert busan.name_ko == ""  # not the English name passed off as Korean
    with translation_override("ko"):
        assert busan.display_name == "Busan"  # the Korean pages fall back to the English name
    html = editor_client.get("/admin/reports/missing-translations/").content.decode()
    assert "Cities without a Korean name" in html
    assert f'href="/admin/snippets/casestudies/city/edit/{busan.pk}/">Busan</a>' in html
    busan.name_ko = "부산"
    busan.save()
    assert (
        "Cities without a Korean name"
        not in editor_client.get("/admin/reports/missing-translations/").content.decode()
    )
