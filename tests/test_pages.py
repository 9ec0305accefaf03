"""Pages render in both languages; drafts and private pages stay hidden; taxonomy links work."""

import pytest

from django.db import connection
from django.test.utils import CaptureQueriesContext

from wagtail.models import Locale, PageViewRestriction

from casestudies.factories import CaseStudyPageFactory, CityFactory, MeasureTypeFactory, index_page
from casestudies.models import CaseStudyPage

from .fixtures.database import build_for_module

pytestmark = pytest.mark.django_db


def test_root_redirects_by_accept_language(client):
    assert client.get("/").headers["Location"] == "/en/"
    assert client.get("/", HTTP_ACCEPT_LANGUAGE="ko-KR,ko;q=0.9").headers["Location"] == "/ko/"
    assert client.get("/", HTTP_ACCEPT_LANGUAGE="fr").headers["Location"] == "/en/"


@pytest.mark.parametrize("language", ["en", "ko"])
def test_home_page_renders_in_each_language(client, language):
    response = client.get(f"/{language}/")
    assert response.status_code == 200
    assert f'<html lang="{language}">' in response.content.decode()


def test_home_lists_ten_areas_with_live_counts(client, en_index):
    CaseStudyPageFactory(areas=["education"])
    CaseStudyPageFactory(areas=["education", "culture"])
    draft = CaseStudyPageFactory(areas=["education"])
    draft.unpublish()
    response = client.get("/en/")
    areas = {area.slug: area.case_count for area in response.context["areas"]}
    assert len(areas) == 10
    assert areas["education"] == 2
    assert areas["culture"] == 1
    assert areas["sports"] == 0


def test_case_page_renders_with_taxonomy_links(client, en_index):
    city = CityFactory(name="Seoul", name_ko="서울", slug="seoul", country="KR")
    measure = MeasureTypeFactory(name="Drive-through testing", slug="drive-through-testing", oxcgrt_code="H2")
    case = CaseStudyPageFactory(
        title="Drive-through stations", city=city, areas=["quarantine"], measures=[measure]
    )
    response = client.get(case.url)
    html = response.content.decode()
    assert response.status_code == 200
    assert "South Korea" in html
    assert f"{en_index.url}?area=quarantine" in html
    assert f"{en_index.url}?measure=drive-through-testing" in html
    assert f"{en_index.url}?city=seoul" in html
    assert "OxCGRT H2" in html


def test_taxonomy_links_filter_the_index(client, en_index):
    seoul = CityFactory(slug="seoul", continent="asia")
    paris = CityFactory(slug="paris", country="FR", continent="europe")
    asian = CaseStudyPageFactory(title="Asian case", city=seoul, areas=["quarantine"])
    european = CaseStudyPageFactory(title="European case", city=paris, areas=["culture"])
    titles = lambda response: [case.title for case in response.context["cases"]]  # noqa: E731
    assert titles(client.get(en_index.url, {"area": "culture"})) == [european.title]
    assert titles(client.get(en_index.url, {"continent": "asia"})) == [asian.title]
    assert titles(client.get(en_index.url, {"city": "paris"})) == [european.title]


def test_area_and_measure_filters_list_each_case_once(client, en_index):
    measure, other = MeasureTypeFactory(), MeasureTypeFactory()
    both = CaseStudyPageFactory(
        title="Two areas, two measures", areas=["welfare", "culture"], measures=[measure, other]
    )
    one = CaseStudyPageFactory(title="One area, one measure", areas=["welfare"], measures=[measure])
    CaseStudyPageFactory(title="Unrelated", areas=["sports"], measures=[other])
    titles = lambda params: [case.title for case in client.get(en_index.url, params).context["cases"]]  # noqa: E731
    assert sorted(titles({"measure": measure.slug})) == sorted([both.title, one.title])
    assert sorted(titles({"area": "welfare", "measure": measure.slug})) == sorted([both.title, one.title])
    assert titles({"area": "culture", "measure": measure.slug}) == [both.title]
    assert client.get(en_index.url, {"area": "welfare"}).context["cases"].paginator.count == 2


@pytest.mark.parametrize(
    "params", [{"area": "no-such-area"}, {"continent": "atlantis"}, {"city": "nowhere"}, {"measure": "magic"}]
)
def test_unknown_taxonomy_slugs_are_400_with_a_message(client, en_index, params):
    """One rule for every listing (casestudies.filters): an unknown value is a 400 naming it."""
    response = client.get(en_index.url, params)
    assert response.status_code == 400
    ((name, value),) = params.items()
    assert f"Unknown value “{value}” for “{name}”." in response.content.decode()


def _build_thirteen_cases() -> None:
    """Thirteen cases: one more than a page of the index."""
    index_page("en")
    for _ in range(13):
        CaseStudyPageFactory()


@pytest.fixture(scope="class")
def _thirteen_cases_of_class(django_db_setup, django_db_blocker):
    """The cases built once for the class (in a transaction rolled back after it)."""
    yield from build_for_module(django_db_blocker, _build_thirteen_cases)


class TestPageNumbers:
    """The tests reading thirteen cases, built once for the class."""

    @pytest.mark.parametrize("page_param", ["999", "abc", "0", "-1"])
    def test_out_of_range_page_numbers_fall_back(
        self, client, _thirteen_cases_of_class, en_index, page_param
    ):
        assert CaseStudyPage.objects.live().count() == 13
        response = client.get(en_index.url, {"page": page_param})
        assert response.status_code == 200
        assert response.context["cases"].number in (1, 2)


def test_index_lists_newest_first(client, en_index):
    import datetime

    old = CaseStudyPageFactory(start_date=datetime.date(2020, 2, 1))
    new = CaseStudyPageFactory(start_date=datetime.date(2020, 9, 1))
    cases = list(client.get(en_index.url).context["cases"])
    assert cases.index(new) < cases.index(old)


def test_draft_case_is_404_to_the_public(client, en_index):
    case = CaseStudyPageFactory()
    url = case.url
    case.unpublish()
    assert client.get(url).status_code == 404
    assert case.title not in client.get(en_index.url).content.decode()


def test_private_case_is_hidden_from_the_public(client, en_index):
    case = CaseStudyPageFactory(title="Restricted case")
    PageViewRestriction.objects.create(page=case, restriction_type=PageViewRestriction.LOGIN)
    response = client.get(case.url)
    assert response.status_code == 302  # to the login page, never the content
    assert "Restricted case" not in client.get(en_index.url).content.decode()
    assert "Restricted case" not in client.get("/en/").content.decode()


def test_related_cases_share_area_or_measure_in_same_language(en_index):
    measure = MeasureTypeFactory()
    case = CaseStudyPageFactory(areas=["welfare"], measures=[measure])
    same_measure = CaseStudyPageFactory(areas=["sports"], measures=[measure])
    same_area = CaseStudyPageFactory(areas=["welfare"])
    unrelated = CaseStudyPageFactory(areas=["culture"])
    related = list(case.related_cases())
    assert related[0] == same_measure  # a shared measure type ranks first
    assert same_area in related
    assert unrelated not in related and case not in related


def test_related_cases_rank_measures_then_areas_then_newest(en_index, django_assert_max_num_queries):
    import datetime

    first, second = MeasureTypeFactory(), MeasureTypeFactory()
    case = CaseStudyPageFactory(areas=["welfare", "culture"], measures=[first, second])
    both_measures = CaseStudyPageFactory(areas=["sports"], measures=[first, second])
    one_measure_two_areas = CaseStudyPageFactory(areas=["welfare", "culture"], measures=[second])
    one_measure = CaseStudyPageFactory(areas=["sports"], measures=[first])
    older_area = CaseStudyPageFactory(areas=["welfare"], start_date=datetime.date(2020, 1, 1))
    newer_area = CaseStudyPageFactory(areas=["culture"], start_date=datetime.date(2021, 1, 1))
    draft = CaseStudyPageFactory(areas=["welfare", "culture"], measures=[first, second])
    draft.unpublish()
    CaseStudyPageFactory(areas=["quarantine"])  # shares nothing
    # Counted on the link tables, then one query per tier of equal shares: a bounded number of
    # queries, however many cases share an area.
    with django_assert_max_num_queries(10):
        related = case.related_cases(limit=10)
    assert related == [both_measures, one_measure_two_areas, one_measure, newer_area, older_area]
    assert case.related_cases(limit=2) == [both_measures, one_measure_two_areas]


def test_related_cases_of_an_unsaved_preview(en_index):
    from casestudies.models import CaseStudyPage, PolicyArea

    measure = MeasureTypeFactory()
    same_measure = CaseStudyPageFactory(areas=["sports"], measures=[measure])
    same_area = CaseStudyPageFactory(areas=["welfare"])
    preview = CaseStudyPage(title="Not saved yet", slug="not-saved", locale=en_index.locale, summary="…")
    preview.policy_areas.set(PolicyArea.objects.filter(slug="welfare", locale=en_index.locale))
    preview.measure_types.set([measure])
    assert preview.related_cases() == [same_measure, same_area]


def test_language_switcher_links_to_translation_or_says_missing(client, en_index):
    case = CaseStudyPageFactory(title="Walk-through booths")
    html = client.get(case.url).content.decode()
    assert "this page is not translated yet" in html
    index_page("ko")
    translation = case.copy_for_translation(Locale.objects.get(language_code="ko"))
    translation.title = "워크스루 선별진료소"
    translation.save_revision().publish()
    html = client.get(case.url).content.decode()
    assert f'href="{translation.url}" hreflang="ko"' in html
    assert f'rel="alternate" hreflang="ko" href="http://testserver{translation.url}"' in html


def test_area_badges_are_named_in_the_visitors_language_at_a_fixed_query_cost(
    client, en_index, django_assert_max_num_queries
):
    """A Korean index of English-linked cases names every area in Korean, in as many queries for
    twelve cases as for one (the area names are read once per request, not twice per badge)."""
    ko_index = index_page("ko")
    CaseStudyPageFactory(areas=["education", "welfare"])
    for case in CaseStudyPage.objects.filter(locale__language_code="en"):
        translation = case.copy_for_translation(Locale.objects.get(language_code="ko"))
        translation.save_revision().publish()
    with CaptureQueriesContext(connection) as one_case:
        html = client.get(ko_index.url).content.decode()
    assert "교육" in html and "복지" in html

    for _ in range(11):
        case = CaseStudyPageFactory(areas=["education", "welfare"])
        case.copy_for_translation(Locale.objects.get(language_code="ko")).save_revision().publish()
    with django_assert_max_num_queries(len(one_case.captured_queries) + 2):
        html = client.get(ko_index.url).content.decode()
    assert html.count("교육") >= 12


def test_a_renamed_area_shows_its_new_name_at_once(client, en_index):
    from casestudies.models import PolicyArea

    CaseStudyPageFactory(areas=["education"])
    assert "Education" in client.get(en_index.url).content.decode()
    PolicyArea.objects.filter(slug="education", locale__language_code="en").update(name="Schools")
    assert "Schools" in client.get(en_index.url).content.decode()
