"""The companies showcase, the media archive and the related-links page, in English and Korean, from
the community demo loader; filters that ignore unknown values; the loader's idempotence."""

import pytest

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from wagtail.models import Page

from archive.models import SessionPage
from community import loaders as community_loaders
from community.blocks import VideoBlock
from community.models import (
    CompanyIndexPage,
    CompanyPage,
    MediaIndexPage,
    MediaItemPage,
    RelatedLinksPage,
)

pytestmark = pytest.mark.django_db

# "bogus\x00": the NUL is dropped before the view reads it (cac_platform.middleware), "bogus" stays.
HOSTILE = ["bogus", "bogus\x00", "x" * 5000, "untact-it' OR 1=1 --", "<script>", "%00", "ＵＮＴＡＣＴ"]


def t(code, message):
    """An interface string as the visitor sees it in `code` (translated or not yet)."""
    with translation.override(code):
        return translation.gettext(message)


def index(model, code):
    return model.objects.get(locale__language_code=code)


# --- companies ---------------------------------------------------------------------------------
def test_the_showcase_exists_in_both_languages(client, community_demo):
    for code, title in (("en", "Innovative companies"), ("ko", "혁신기업")):
        page = index(CompanyIndexPage, code)
        html = client.get(page.url).content.decode()
        assert f"<h1>{title}</h1>" in html
        companies = CompanyPage.objects.child_of(page).live()
        assert companies.count() == 5
        for company in companies:
            assert escape(company.title) in html
    ko_titles = set(CompanyPage.objects.filter(locale__language_code="ko").values_list("title", flat=True))
    assert "언택트 대기열 예시 회사(가상 데모)" in ko_titles


def test_every_demo_company_is_clearly_fictional(client, community_demo):
    for company in CompanyPage.objects.all():
        assert company.fictional
        assert "(fictional demo)" in company.title or "(가상 데모)" in company.title
        assert company.website.endswith(".example.org/")
        assert company.contact_email.endswith(".example.org")
        html = client.get(company.url).content.decode()
        notice = "This company is invented for the demonstration of the platform. It is not one of the companies that presented at the summit."
        assert escape(t(company.locale.language_code, notice)) in html


def test_the_showcase_filters_by_field(client, community_demo):
    page = index(CompanyIndexPage, "en")
    html = client.get(page.url, {"field": "medicine-medical-devices"}).content.decode()
    assert "Screening Booth Example Co." in html and "Thermal Check Example Co." in html
    assert "Untact Queue Example Co." not in html
    assert "2 companies" in html
    html = client.get(index(CompanyIndexPage, "ko").url, {"field": "untact-it"}).content.decode()
    assert "언택트 대기열 예시 회사" in html and "원격 교실 예시 회사" in html
    assert "선별 부스 예시 회사" not in html


@pytest.mark.parametrize("value", HOSTILE)
def test_an_unknown_field_is_ignored(client, community_demo, value):
    response = client.get(index(CompanyIndexPage, "en").url, {"field": value})
    assert response.status_code == 200
    html = response.content.decode()
    assert "5 companies" in html
    assert "This field of business is not known" in html


def test_a_company_links_its_ir_session_in_the_visitors_language(client, community_demo):
    for code in ("en", "ko"):
        session = SessionPage.objects.get(slug="innovative-companies-ir", locale__language_code=code)
        company = CompanyPage.objects.get(slug="screening-booth-example", locale__language_code=code)
        html = client.get(company.url).content.decode()
        assert f'href="{session.url}"' in html
        assert escape(session.title) in html


def test_the_ir_session_lists_the_companies_that_presented(client, community_demo):
    for code in ("en", "ko"):
        session = SessionPage.objects.get(slug="innovative-companies-ir", locale__language_code=code)
        html = client.get(session.url).content.decode()
        assert 'id="companies-heading"' in html
        for company in CompanyPage.objects.filter(locale__language_code=code):
            assert f'href="{company.url}"' in html
        assert f'href="{index(CompanyIndexPage, code).url}"' in html
    other = SessionPage.objects.get(slug="quarantine", locale__language_code="en")
    assert 'id="companies-heading"' not in client.get(other.url).content.decode()


def test_editors_can_add_a_company_only_under_the_showcase(community_demo):
    showcase = index(CompanyIndexPage, "en")
    assert CompanyPage.can_create_at(showcase)
    assert not CompanyPage.can_create_at(showcase.get_parent().specific)
    assert not CompanyIndexPage.can_create_at(showcase.get_parent().specific)  # one per home page


# --- media archive -----------------------------------------------------------------------------
def test_the_media_archive_starts_with_the_three_summit_documents(client, community_demo):
    for code in ("en", "ko"):
        page = index(MediaIndexPage, code)
        html = client.get(page.url).content.decode()
        items = MediaItemPage.objects.child_of(page).live()
        assert items.count() == 3
        assert {item.kind for item in items} == {"press-release"}
        for item in items:
            assert escape(item.title) in html
        assert "3 items" in html or code == "ko"
    ko = MediaItemPage.objects.get(
        slug="seoul-hosts-cac-global-summit-2020-global-cooperation", locale__language_code="ko"
    )
    assert "팬데믹 대응 대도시 연합" in ko.body
    assert ko.source.startswith("서울시 홈페이지 보도자료")


def test_items_are_listed_newest_first_with_the_date_as_precise_as_the_source(client, community_demo):
    page = index(MediaIndexPage, "en")
    html = client.get(page.url).content.decode()
    newsletter = MediaItemPage.objects.get(
        slug="i-seoul-u-newsletter-48-cac-global-summit-2020", locale=page.locale
    )
    release = MediaItemPage.objects.get(
        slug="seoul-hosts-international-online-conference-post-coronavirus-era", locale=page.locale
    )
    assert html.index(escape(release.title)) < html.index(escape(newsletter.title))
    assert '<time datetime="2020-05">May 2020</time>' in html
    assert '<time datetime="2020-05-28">May 28, 2020</time>' in html
    ko_html = client.get(index(MediaIndexPage, "ko").url).content.decode()
    assert '<time datetime="2020-05">2020년 5월</time>' in ko_html


def test_the_media_archive_filters_by_kind_and_year(client, community_demo):
    url = index(MediaIndexPage, "en").url
    assert "3 items" in client.get(url, {"kind": "press-release"}).content.decode()
    assert "0 items" in client.get(url, {"kind": "photo"}).content.decode()
    assert "3 items" in client.get(url, {"year": "2020"}).content.decode()
    assert "0 items" in client.get(url, {"year": "1999"}).content.decode()


@pytest.mark.parametrize("param", ["kind", "year", "page"])
@pytest.mark.parametrize("value", HOSTILE + ["99999999999999999999", "-1", "２０２０"])
def test_unknown_media_filters_are_ignored(client, community_demo, param, value):
    response = client.get(index(MediaIndexPage, "en").url, {param: value})
    assert response.status_code == 200
    html = response.content.decode()
    assert "3 items" in html
    if param != "page":
        assert "Some filter values were not recognised" in html


def test_a_media_item_links_its_sessions_in_the_visitors_language(client, community_demo):
    for code in ("en", "ko"):
        item = MediaItemPage.objects.get(
            slug="i-seoul-u-newsletter-48-cac-global-summit-2020", locale__language_code=code
        )
        html = client.get(item.url).content.decode()
        for slug in ("mayoral-meeting", "conversation-with-jared-diamond"):
            session = SessionPage.objects.get(slug=slug, locale__language_code=code)
            assert f'href="{session.url}"' in html
        other = "ko" if code == "en" else "en"
        assert f"/{other}/cac-global-summit-2020/" not in html


def test_a_session_page_lists_the_media_items_about_it(client, community_demo):
    session = SessionPage.objects.get(slug="mayoral-meeting", locale__language_code="ko")
    html = client.get(session.url).content.decode()
    assert 'id="session-media-heading"' in html
    for item in MediaItemPage.objects.filter(locale__language_code="ko"):
        assert f'href="{item.url}"' in html


def test_a_video_is_an_id_played_from_youtube_nocookie(community_demo):
    block = VideoBlock()
    value = block.clean(block.to_python({"video_id": "https://youtu.be/dQw4w9WgXcQ", "title": "Opening"}))
    assert value["video_id"] == "dQw4w9WgXcQ"
    html = block.render(value)
    assert 'src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"' in html
    with pytest.raises(ValidationError):
        block.clean(block.to_python({"video_id": "javascript:alert(1)", "title": "Bad"}))


def test_a_video_item_renders_without_the_network(client, community_demo):
    page = index(MediaIndexPage, "en")
    item = MediaItemPage(
        title="Opening of the summit",
        slug="opening-video",
        kind="video",
        date="2020-06-01",
        summary="The opening, recorded.",
        media=[("video", {"video_id": "dQw4w9WgXcQ", "title": "Opening", "caption": ""})],
    )
    page.add_child(instance=item)
    item.save_revision().publish()
    html = client.get(item.url).content.decode()
    assert "youtube-nocookie.com/embed/dQw4w9WgXcQ" in html
    assert "1 item" in client.get(page.url, {"kind": "video"}).content.decode()


# --- related links -----------------------------------------------------------------------------
def test_the_related_platforms_page_in_both_languages(client, community_demo):
    expected = {
        "en": [
            "Seoul's COVID-19 information platform",
            "OxCGRT",
            "WHO Public Health and Social Measures",
            "CoronaNet",
        ],
        "ko": ["서울시 코로나19 정보 플랫폼", "OxCGRT", "WHO 공중보건·사회적 조치", "코로나넷"],
    }
    for code, texts in expected.items():
        html = client.get(index(RelatedLinksPage, code).url).content.decode()
        assert 'href="http://english.seoul.go.kr/covid"' in html
        assert 'href="https://www.coronanet-project.org/"' in html
        for text in texts:
            assert escape(text) in html


def test_the_related_links_are_editable_in_the_admin(admin_client, community_demo):
    page = index(RelatedLinksPage, "en")
    response = admin_client.get(reverse("wagtailadmin_pages:edit", args=[page.pk]))
    assert response.status_code == 200
    assert "english.seoul.go.kr/covid" in response.content.decode()


# --- the loader --------------------------------------------------------------------------------
def test_the_loader_is_idempotent(community_demo):
    assert community_demo["stats"]["created"] == 11
    assert community_demo["stats"]["translations"] == 11
    pages = Page.objects.count()
    revisions = sum(page.revisions.count() for page in Page.objects.all())
    stats = community_loaders.load_demo()
    assert stats["created"] == stats["translations"] == 0
    assert Page.objects.count() == pages
    assert sum(page.revisions.count() for page in Page.objects.all()) == revisions


def test_the_pages_are_in_the_menu_in_both_languages(client, community_demo):
    for code in ("en", "ko"):
        html = client.get(f"/{code}/").content.decode()
        for model in (CompanyIndexPage, MediaIndexPage, RelatedLinksPage):
            assert f'href="{index(model, code).url}"' in html
