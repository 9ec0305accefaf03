"""Translation with wagtail-localize: the Korean page keeps what translations share, the admin lists
cases without a translation, and a translation says when its original has changed."""

import datetime

import pytest

from django.utils import timezone

from wagtail.models import Locale
from wagtail_localize.models import Translation, TranslationSource

from casestudies.factories import CaseStudyPageFactory, CityFactory
from casestudies.models import CaseStudyPage, CaseStudySource, MeasureType, PolicyArea

pytestmark = pytest.mark.django_db


@pytest.fixture
def ko():
    return Locale.objects.get(language_code="ko")


@pytest.fixture
def case(en_index, ko_index):
    city = CityFactory(name="Seoul", name_ko="서울", slug="seoul", country="KR")
    page = CaseStudyPageFactory(
        title="Drive-through testing",
        slug="drive-through",
        city=city,
        areas=["quarantine", "smart-city"],
        measures=list(MeasureType.objects.filter(slug__in=["testing", "drive-through-testing"])),
        start_date=datetime.date(2020, 3, 1),
        end_date=datetime.date(2020, 12, 31),
    )
    page.sources = [CaseStudySource(title="Yonhap", url="https://en.yna.co.kr/view/AEN20200302007000320")]
    page.contact_email = "health@seoul.go.kr"
    page.save_revision().publish()
    return CaseStudyPage.objects.get(pk=page.pk)


@pytest.fixture
def translate(django_capture_on_commit_callbacks):
    """wagtail-localize's API: a translation source, a translation, its target page (published)."""

    def run(page, locale, publish=True):
        source, _ = TranslationSource.get_or_create_from_instance(page)
        translation = Translation.objects.create(source=source, target_locale=locale)
        # wagtail-localize publishes on commit.
        with django_capture_on_commit_callbacks(execute=True):
            translation.save_target(publish=publish)
        return CaseStudyPage.objects.get(translation_key=page.translation_key, locale=locale), source

    return run


def shared(page):
    page = CaseStudyPage.objects.get(pk=page.pk)
    return {
        "city": page.city_id,
        "areas": sorted(area.slug for area in page.policy_areas.all()),
        "measures": sorted(m.slug for m in page.measure_types.all()),
        "start": page.start_date,
        "end": page.end_date,
        "sources": [(s.title, s.url) for s in page.sources.all()],
        "email": page.contact_email,
    }


def test_localize_fields_are_synchronised_not_translated():
    from wagtail_localize.fields import get_translatable_fields

    fields = {field.field_name: field for field in get_translatable_fields(CaseStudyPage)}
    for name in (
        "city",
        "policy_areas",
        "measure_types",
        "start_date",
        "end_date",
        "sources",
        "contact_email",
    ):
        assert type(fields[name]).__name__ == "SynchronizedField", name
        assert not fields[name].is_overridable(CaseStudyPage()), name
    for name in ("title", "summary", "body", "outcomes", "lessons_learned"):
        assert type(fields[name]).__name__ == "TranslatableField", name


def test_translation_keeps_city_areas_measures_and_sources(case, ko, translate):
    translated, _ = translate(case, ko)
    assert translated.pk != case.pk
    assert shared(translated) == shared(case)
    assert translated.get_parent().locale == ko


def test_synchronised_fields_follow_the_original(case, ko, translate):
    translated, source = translate(case, ko)
    page = CaseStudyPage.objects.get(pk=case.pk)
    page.city = CityFactory(name="Busan", name_ko="부산", slug="busan", country="KR")
    page.policy_areas = [PolicyArea.objects.get(slug="welfare", locale__language_code="en")]
    page.measure_types.set([MeasureType.objects.get(slug="testing")])
    page.end_date = None
    page.save_revision().publish()
    source.update_from_db()
    source.create_or_update_translation(ko, fallback=True)
    assert shared(translated) == shared(page)


def test_korean_page_names_its_areas_in_korean(client, case, ko, translate):
    translated, _ = translate(case, ko)
    response = client.get(translated.url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "방역" in html and "스마트시티" in html
    assert "서울" in html


def test_translate_this_page_through_the_admin(client, make_user, case, ko):
    editor = make_user("eddie", "Editors")
    client.force_login(editor)
    response = client.post(f"/admin/localize/submit/page/{case.pk}/", {"locales": [ko.pk]})
    assert response.status_code == 302
    translated = CaseStudyPage.objects.get(translation_key=case.translation_key, locale=ko)
    assert not translated.live  # a draft, to be translated and reviewed
    assert shared(translated) == shared(case)
    # ...and back: the Korean page is the source of an English one elsewhere.
    korean_first = CaseStudyPageFactory(
        title="서울 자전거", slug="seoul-bikes", parent=translated.get_parent()
    )
    response = client.post(
        f"/admin/localize/submit/page/{korean_first.pk}/",
        {"locales": [Locale.objects.get(language_code="en").pk]},
    )
    assert response.status_code == 302
    english = CaseStudyPage.objects.get(
        translation_key=korean_first.translation_key, locale__language_code="en"
    )
    assert shared(english) == shared(korean_first)


def test_missing_translations_report(client, make_user, case, ko, city_a, city_b, translate):
    lonely = CaseStudyPageFactory(title="Only in English", city=city_a)
    ko_index = case.get_parent().get_translation(ko)
    CaseStudyPageFactory(title="한국어만", slug="korean-only", city=city_b, parent=ko_index)
    translate(case, ko)

    client.force_login(make_user("admin", superuser=True))
    response = client.get("/admin/reports/missing-translations/")
    assert response.status_code == 200
    titles = {page.title: page.missing_languages for page in response.context["object_list"]}
    assert titles == {"Only in English": "Korean", "한국어만": "English"}
    only_ko_missing = client.get("/admin/reports/missing-translations/?missing=ko").context["object_list"]
    assert [page.title for page in only_ko_missing] == ["Only in English"]
    csv = client.get("/admin/reports/missing-translations/?export=csv")
    assert csv.status_code == 200
    assert "Only in English" in b"".join(csv.streaming_content).decode()

    # A city editor sees the cases of their own city.
    client.force_login(make_user("alice", "City editors", city=city_a))
    response = client.get("/admin/reports/missing-translations/")
    assert [page.title for page in response.context["object_list"]] == [lonely.title]


def test_public_notice_when_the_original_changed(client, case, ko, translate):
    translated, source = translate(case, ko)
    url = translated.url
    assert "data-translation-outdated" not in client.get(url).content.decode()

    page = CaseStudyPage.objects.get(pk=case.pk)
    page.title = "Drive-through testing (updated)"
    revision = page.save_revision()
    revision.publish()
    CaseStudyPage.objects.filter(pk=case.pk).update(
        last_published_at=timezone.now() + datetime.timedelta(seconds=1)
    )
    html = client.get(url).content.decode()
    assert "data-translation-outdated" in html
    assert 'href="/en/cases/drive-through/"' in html
    # The original page itself shows no notice.
    assert "data-translation-outdated" not in client.get(case.url).content.decode()

    # Synchronising the translation clears it.
    source.update_from_db()
    source.create_or_update_translation(ko, fallback=True)
    TranslationSource.objects.filter(pk=source.pk).update(
        last_updated_at=timezone.now() + datetime.timedelta(seconds=5)
    )
    assert "data-translation-outdated" not in client.get(url).content.decode()


def test_no_notice_on_pages_that_are_not_localize_translations(client, case, ko):
    copy = case.copy_for_translation(ko)
    copy.save_revision().publish()
    assert "data-translation-outdated" not in client.get(copy.url).content.decode()
