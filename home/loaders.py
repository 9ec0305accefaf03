"""The home app's demo content, in English and Korean: the home page's introduction and the About page.

Idempotent: only what is missing is written, so a second run writes nothing. `home_pages()` is the
one answer to "which are the home pages" for the other apps' demo loaders.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.html import escape

from wagtail.models import Locale, Page, Site

from .models import HomePage, StandardPage

LANGUAGES = ("en", "ko")
HOME_INTRO = {
    "en": (
        "<p>What cities did against COVID-19, told by the cities themselves: find a measure, "
        "judge what came of it, and ask the city that ran it. The platform continues Seoul's "
        "<b>Cities Against COVID-19</b> platform and the CAC Global Summit 2020.</p>"
    ),
    "ko": (
        "<p>코로나19에 맞서 도시들이 한 일을 도시가 직접 전합니다. 정책을 찾고, 그 결과를 살피고, "
        "정책을 운영한 도시에 직접 물어보세요. 이 플랫폼은 서울시의 <b>코로나19에 맞선 도시들(CAC)</b> "
        "플랫폼과 CAC 글로벌 서밋 2020을 잇습니다.</p>"
    ),
}
ABOUT = {
    "en": (
        "About",
        "about",
        "<p>The CAC Knowledge Platform is where cities share what they did against COVID-19, so that "
        "another city can find it, judge it and copy it.</p>",
        [
            "Seoul Metropolitan Government opened the Cities Against COVID-19 (CAC) platform on 9 April "
            "2020 to share its quarantine measures with cities around the world, and hosted the CAC "
            "Global Summit 2020 online from 1 to 5 June 2020: fifteen sessions on ten policy areas, "
            "broadcast in Korean and English.",
            "Each case study names its city, its policy areas and the kind of measure it was, with the "
            "codes of the WHO PHSM taxonomy and the OxCGRT tracker where one fits, so that researchers can "
            "cross-reference the trackers' data. Every case lists its public sources.",
        ],
    ),
    "ko": (
        "소개",
        "about",
        "<p>CAC 지식 플랫폼은 도시들이 코로나19에 맞서 한 일을 나누는 곳입니다. 다른 도시가 그 정책을 찾아보고, "
        "판단하고, 따라 할 수 있도록 합니다.</p>",
        [
            "서울특별시는 2020년 4월 9일 서울의 방역 정책을 세계 도시들과 나누기 위해 ‘코로나19에 맞선 "
            "도시들(CAC)’ 플랫폼을 열었고, 2020년 6월 1일부터 5일까지 CAC 글로벌 서밋 2020을 온라인으로 "
            "개최했습니다. 10개 정책 분야에 걸친 15개 세션이 한국어와 영어로 중계되었습니다.",
            "각 사례에는 도시, 정책 분야, 조치 유형이 표시되며, 해당하는 경우 WHO PHSM 분류 코드와 OxCGRT "
            "지표 코드를 함께 적어 연구자가 각 추적 데이터와 대조할 수 있게 했습니다. 모든 사례에는 공개 출처가 "
            "있습니다.",
        ],
    ),
}


def _paragraphs(paragraphs: list[str]) -> str:
    return "".join(f"<p>{escape(text)}</p>" for text in paragraphs if text)


def home_pages() -> dict[str, HomePage]:
    """The site's home page in English and Korean (migration home 0002 makes them)."""
    locales = {code: Locale.objects.get(language_code=code) for code in LANGUAGES}
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    home_en = site.root_page.specific if site else None
    if not isinstance(home_en, HomePage) or home_en.locale_id != locales["en"].pk:
        home_en = HomePage.objects.filter(locale=locales["en"]).order_by("path").first()
    if home_en is None:
        raise RuntimeError("No English home page: run the migrations first.")
    home_ko = home_en.get_translation_or_none(locales["ko"])
    if home_ko is None:
        raise RuntimeError("The English home page has no Korean translation (migration home/0002).")
    return {"en": home_en, "ko": home_ko.specific}


def _publish(page: Page, *, cleaned: bool = False) -> None:
    # `cleaned`: just created by add_child (validated) and unchanged since: no second full_clean.
    page.save_revision(clean=not cleaned).publish()


@transaction.atomic
def load_demo(stdout=None) -> dict[str, int]:
    """The home pages' introduction and the About page (en + ko); returns what was created."""
    stats = {"pages": 0, "translations": 0}
    homes = home_pages()
    for code, home in homes.items():
        if not home.intro:
            home.intro = HOME_INTRO[code]
            _publish(home)
    title, slug, intro, paragraphs = ABOUT["en"]
    about = StandardPage.objects.child_of(homes["en"]).filter(slug=slug).first()
    if about is None:
        about = StandardPage(
            title=title,
            slug=slug,
            introduction=intro,
            body=[("paragraph", _paragraphs(paragraphs))],
            show_in_menus=True,
        )
        homes["en"].add_child(instance=about)
        _publish(about, cleaned=True)
        stats["pages"] += 1
    if about.get_translation_or_none(homes["ko"].locale) is None:
        translation = about.copy_for_translation(homes["ko"].locale)
        translation.title, translation.slug, translation.introduction, ko_paragraphs = ABOUT["ko"]
        translation.body = [("paragraph", _paragraphs(ko_paragraphs))]
        _publish(translation)
        stats["translations"] += 1
    if stdout is not None:
        stdout.write("Home: {pages} pages created, {translations} translated.".format(**stats))
    return stats
