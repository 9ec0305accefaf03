"""The summit loader: all 15 sessions in English and Korean, idempotent, linked to the demo cases."""

import datetime
import io

import pytest

from django.core.management import call_command

from wagtail.models import Locale, Page, Revision

from archive.loaders import load_summit
from archive.models import SessionKind, SessionPage, SummitPage
from casestudies.factories import CaseStudyPageFactory, index_page

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


def test_summit_in_both_languages(archive_summit):
    en, ko = archive_summit["en"], archive_summit["ko"]
    assert en.translation_key == ko.translation_key
    assert en.live and ko.live
    assert en.get_parent().locale.language_code == "en"
    assert ko.get_parent().locale.language_code == "ko"
    assert en.get_parent().translation_key == ko.get_parent().translation_key  # under the home translations
    assert en.theme == "Cooperation and Solidarity between Municipal Governments in Response to COVID-19"
    assert ko.theme == "코로나19 대응을 위한 도시정부 간 협력과 연대"
    assert en.slogan == "Together We Stand"
    assert (en.start_date, en.end_date) == (datetime.date(2020, 6, 1), datetime.date(2020, 6, 5))
    assert en.time_zone == ko.time_zone == "Asia/Seoul"
    assert "Ban Ki-moon" in en.description
    assert en.url == "/en/cac-global-summit-2020/" and ko.url == "/ko/cac-global-summit-2020/"


def test_fifteen_sessions_each_with_a_korean_translation(archive_summit):
    english = SessionPage.objects.child_of(archive_summit["en"]).live()
    korean = SessionPage.objects.child_of(archive_summit["ko"]).live()
    assert english.count() == 15
    assert korean.count() == 15
    assert set(english.values_list("translation_key", flat=True)) == set(
        korean.values_list("translation_key", flat=True)
    )
    for session in english:
        translation = session.get_translation(korean.first().locale)
        assert translation.live
        assert translation.slug == session.slug
        assert translation.title != session.title  # really translated
        assert (translation.start, translation.end) == (session.start, session.end)
        assert translation.kind == session.kind
        assert translation.country_codes == session.country_codes


def test_session_facts(archive_summit):
    get = lambda slug, lang="en": SessionPage.objects.get(slug=slug, locale__language_code=lang)  # noqa: E731
    climate = get("climate-environment")
    assert climate.kind == SessionKind.DISCUSSION
    assert climate.policy_area.slug == "climate-environment"
    assert climate.policy_area.locale.language_code == "en"
    assert get("climate-environment", "ko").policy_area.locale.language_code == "ko"
    # Times are stored in UTC: 09:00–11:10 KST (the more detailed press release's end time).
    assert climate.start == datetime.datetime(2020, 6, 3, 0, 0, tzinfo=UTC)
    assert climate.end == datetime.datetime(2020, 6, 3, 2, 10, tzinfo=UTC)
    assert "09:00–11:00" in climate.notes
    quarantine = get("quarantine")
    assert quarantine.country_codes == ["US", "CN", "AT", "DE", "HK", "JP"]  # the longer list, in order
    assert quarantine.first_country == "US"
    assert [city.name for city in quarantine.cities.all()] == ["Los Angeles"]
    assert quarantine.department == "Citizens' Health Bureau"
    mayoral = get("mayoral-meeting")
    assert mayoral.kind == SessionKind.MAYORAL_MEETING and mayoral.policy_area is None
    assert {city.name for city in mayoral.cities.all()} == {"Moscow", "Jakarta"}
    assert [a.title for a in mayoral.attachments.all()] == ["Seoul Declaration"]
    assert [a.title for a in get("mayoral-meeting", "ko").attachments.all()] == ["서울선언문"]
    assert get("mayoral-meeting", "ko").notes.startswith("5월 28일")
    diamond = get("conversation-with-jared-diamond", "ko")
    assert [s.name for s in diamond.speakers.all()] == ["박원순", "재레드 다이아몬드"]
    assert [s.city for s in diamond.speakers.all()] == ["서울", "로스앤젤레스"]
    transport = get("public-transportation")
    assert transport.ends_next_day
    assert transport.local_start.date() == datetime.date(2020, 6, 4)
    kinds = SessionPage.objects.filter(locale__language_code="en").values_list("kind", flat=True)
    assert sorted(set(kinds)) == sorted(SessionKind.values)
    assert list(kinds).count("discussion") == 10


def test_no_demo_recordings_are_invented(archive_summit):
    for session in SessionPage.objects.all():
        assert not session.recordings.exists()
        assert not session.chapters.exists()
        assert not session.has_recording


def test_second_run_changes_nothing(archive_summit):
    pages = Page.objects.count()
    revisions = Revision.objects.count()
    latest = dict(SessionPage.objects.values_list("pk", "latest_revision_id"))
    stats = load_summit()
    assert stats["created"] == stats["updated"] == stats["translations_created"] == 0
    assert stats["unchanged"] == 32
    assert Page.objects.count() == pages
    assert Revision.objects.count() == revisions
    assert dict(SessionPage.objects.values_list("pk", "latest_revision_id")) == latest


def test_a_changed_page_is_updated_and_nothing_else(archive_summit):
    page = SessionPage.objects.get(slug="welfare", locale__language_code="ko")
    page.topic = "edited by hand"
    page.save_revision().publish()
    revisions = Revision.objects.count()
    stats = load_summit()
    assert stats["updated"] == 1
    assert Revision.objects.count() == revisions + 1
    page.refresh_from_db()
    assert page.topic != "edited by hand"


def test_editor_recordings_survive_a_reload(archive_chapters):
    load_summit()
    assert archive_chapters["en"].recordings.count() == 2
    assert archive_chapters["ko"].chapters.count() == 3


def test_discussions_are_linked_to_the_live_cases_of_their_area(archive_summit):
    index_page("en")
    index_page("ko")

    en_case = CaseStudyPageFactory(title="Drive-through stations", areas=["quarantine"])
    ko_case = en_case.copy_for_translation(Locale.objects.get(language_code="ko"))
    ko_case.save_revision().publish()
    draft = CaseStudyPageFactory(title="A draft", areas=["quarantine"])
    draft.unpublish()
    other = CaseStudyPageFactory(title="Sports case", areas=["sports"])
    load_summit()
    quarantine_en = SessionPage.objects.get(slug="quarantine", locale__language_code="en")
    quarantine_ko = SessionPage.objects.get(slug="quarantine", locale__language_code="ko")
    assert list(quarantine_en.related_cases.all()) == [en_case]
    assert list(quarantine_ko.related_cases.all()) == [ko_case]
    assert list(SessionPage.objects.get(slug="sports", locale__language_code="en").related_cases.all()) == [
        other
    ]
    # Non-discussion sessions are not linked by area.
    assert not SessionPage.objects.get(
        slug="mayoral-meeting", locale__language_code="en"
    ).related_cases.exists()
    # Idempotent with links too.
    revisions = Revision.objects.count()
    load_summit()
    assert Revision.objects.count() == revisions


def test_command(archive_summit):
    out = io.StringIO()
    call_command("load_summit", stdout=out)
    assert "0 pages created" in out.getvalue()
    assert SummitPage.objects.count() == 2
