"""The demo content: page tree, cities and real 2020 case studies, in English and Korean.

Idempotent by design: pages and cities are matched by slug and locale, and only what is missing
is created, so a second run writes nothing (no new pages, no new revisions).
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.html import escape

from wagtail.models import Locale, Page

from home.models import HomePage, StandardPage

from .models import (
    CaseInspiration,
    CaseOutcome,
    CaseStudyIndexPage,
    CaseStudyPage,
    CaseStudySource,
    City,
    MeasureType,
    PolicyArea,
)

DATA_DIR = Path(__file__).resolve().parent / "demo_data"

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
INDEX_TITLES = {"en": ("Case studies", "cases"), "ko": ("정책 사례", "cases")}
INDEX_INTRO = {
    "en": "<p>Measures that cities took against COVID-19 in 2020, newest first.</p>",
    "ko": "<p>2020년 도시들이 코로나19에 맞서 시행한 정책 사례입니다. 최신순으로 정렬됩니다.</p>",
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


def _body_stream(content: dict[str, Any]) -> list[tuple[str, Any]]:
    blocks: list[tuple[str, Any]] = [
        ("paragraph", f"<p>{escape(text)}</p>") for text in content.get("body", [])
    ]
    figures = content.get("key_figures") or []
    if figures:
        blocks.append(
            (
                "key_figures",
                {"title": "", "figures": [{"label": f["label"], "value": f["value"]} for f in figures]},
            )
        )
    return blocks


class DemoLoader:
    """Builds the demo site; `stats` counts what was created so that a second run can prove it did nothing."""

    def __init__(self, log: Callable[[str], None] | None = None) -> None:
        self.log = log or (lambda message: None)
        self.stats = {"pages": 0, "translations": 0, "cities": 0, "graded": 0}
        self.locales = {code: Locale.objects.get(language_code=code) for code in ("en", "ko")}

    # -- page helpers ---------------------------------------------------------------
    def _publish(self, page: Page) -> None:
        page.save_revision().publish()

    def _translation(self, page: Page, code: str) -> Page | None:
        return page.get_translations(inclusive=True).filter(locale=self.locales[code]).first()

    def _ensure_translation(self, source: Page, code: str, fill: Callable[[Page], None]) -> Page:
        existing = self._translation(source, code)
        if existing is not None:
            return existing.specific
        translation = source.copy_for_translation(self.locales[code])
        fill(translation)
        self._publish(translation)
        self.stats["translations"] += 1
        return translation

    def _child(self, parent: Page, model: type[Page], slug: str) -> Page | None:
        return model.objects.child_of(parent).filter(slug=slug).first()

    # -- the tree -------------------------------------------------------------------
    def home_pages(self) -> dict[str, HomePage]:
        homes = {code: HomePage.objects.get(locale=locale) for code, locale in self.locales.items()}
        for code, home in homes.items():
            if not home.intro:
                home.intro = HOME_INTRO[code]
                self._publish(home)
        return homes

    def index_pages(self, homes: dict[str, HomePage]) -> dict[str, CaseStudyIndexPage]:
        title, slug = INDEX_TITLES["en"]
        index = self._child(homes["en"], CaseStudyIndexPage, slug)
        if index is None:
            index = CaseStudyIndexPage(title=title, slug=slug, intro=INDEX_INTRO["en"], show_in_menus=True)
            homes["en"].add_child(instance=index)
            self._publish(index)
            self.stats["pages"] += 1

        def fill(page: Page) -> None:
            page.title, page.slug = INDEX_TITLES["ko"]
            page.intro = INDEX_INTRO["ko"]

        return {"en": index, "ko": self._ensure_translation(index, "ko", fill)}

    def about_pages(self, homes: dict[str, HomePage]) -> None:
        title, slug, intro, paragraphs = ABOUT["en"]
        about = self._child(homes["en"], StandardPage, slug)
        if about is None:
            about = StandardPage(
                title=title,
                slug=slug,
                introduction=intro,
                body=[("paragraph", _paragraphs(paragraphs))],
                show_in_menus=True,
            )
            homes["en"].add_child(instance=about)
            self._publish(about)
            self.stats["pages"] += 1

        def fill(page: Page) -> None:
            page.title, page.slug, page.introduction, ko_paragraphs = ABOUT["ko"]
            page.body = [("paragraph", _paragraphs(ko_paragraphs))]

        self._ensure_translation(about, "ko", fill)

    # -- taxonomy -------------------------------------------------------------------
    def cities(self) -> dict[str, City]:
        cities = {}
        for row in json.loads((DATA_DIR / "cities.json").read_text(encoding="utf-8")):
            city, created = City.objects.get_or_create(
                slug=row["key"],
                defaults={
                    "name": row["name_en"],
                    "name_ko": row["name_ko"],
                    "country": row["country"],
                    "continent": row["continent"],
                    "latitude": round(row["latitude"], 5),
                    "longitude": round(row["longitude"], 5),
                },
            )
            self.stats["cities"] += int(created)
            cities[row["key"]] = city
        return cities

    def measure_types(self) -> dict[str, MeasureType]:
        """The curated list comes by migration; the demo file may only add to it."""
        measures = {}
        for row in json.loads((DATA_DIR / "measure_types.json").read_text(encoding="utf-8")):
            measure, _ = MeasureType.objects.get_or_create(
                slug=row["slug"],
                defaults={
                    "name": row["name_en"],
                    "name_ko": row["name_ko"],
                    "description": row.get("description_en", ""),
                    "description_ko": row.get("description_ko", ""),
                    "phsm_code": row.get("phsm_code", ""),
                    "oxcgrt_code": row.get("oxcgrt_code", ""),
                },
            )
            measures[row["slug"]] = measure
        return measures

    # -- cases ----------------------------------------------------------------------
    def cases(self, indexes: dict[str, CaseStudyIndexPage], cities, measures) -> None:
        areas = {area.slug: area for area in PolicyArea.objects.filter(locale=self.locales["en"])}
        for row in json.loads((DATA_DIR / "cases.json").read_text(encoding="utf-8")):
            case = self._child(indexes["en"], CaseStudyPage, row["key"])
            if case is None:
                case = self._create_case(indexes["en"], row, cities, measures, areas)
            if row.get("ko"):
                self._ensure_translation(case, "ko", lambda page, row=row: self._fill_case(page, row["ko"]))

    def _fill_case(self, page: CaseStudyPage, content: dict[str, Any]) -> None:
        page.title = content["title"]
        page.summary = content["summary"]
        page.body = _body_stream(content)
        page.outcomes = _paragraphs([content.get("outcomes", "")])
        page.lessons_learned = _paragraphs([content.get("lessons", "")])
        if content.get("contact_organisation"):  # the translation's own name of the organisation
            page.contact_organisation = content["contact_organisation"]

    def _create_case(self, index, row, cities, measures, areas) -> CaseStudyPage:
        contact = row.get("contact") or {}
        case = CaseStudyPage(
            slug=row["key"],
            city=cities[row["city"]],
            start_date=datetime.date.fromisoformat(row["start_date"]),
            end_date=datetime.date.fromisoformat(row["end_date"]) if row.get("end_date") else None,
            ongoing=bool(row.get("ongoing")),
            contact_organisation=contact.get("organisation", ""),
            contact_email=contact.get("email", ""),
            contact_person=contact.get("person", ""),
        )
        self._fill_case(case, row["en"])
        case.policy_areas = [areas[slug] for slug in row["policy_areas"]]
        case.measure_types.set([measures[slug] for slug in row["measure_types"]])
        case.sources = [CaseStudySource(title=s["title"], url=s["url"]) for s in row.get("sources", [])]
        index.add_child(instance=case)
        self._publish(case)
        self.stats["pages"] += 1
        return case

    # -- issue 16: evidence, what it takes, inspired by ---------------------------------
    def judged(self, indexes: dict[str, CaseStudyIndexPage]) -> None:
        """Graded outcomes, what it takes and "inspired by" of the demo cases (demo_data/evidence.json),
        added to a case that has none of them yet, in both languages."""
        data = json.loads((DATA_DIR / "evidence.json").read_text(encoding="utf-8"))
        for key, content in data.items():
            if key.startswith("_"):
                continue
            case = self._child(indexes["en"], CaseStudyPage, key)
            if case is None or self._has_judgement(case):
                continue
            for code in ("en", "ko"):
                page = case if code == "en" else self._translation(case, "ko")
                if page is None:
                    continue
                page = page.specific
                self._judge(page, content, code, indexes["en"])
                self._publish(page)
            self.stats["graded"] += 1

    @staticmethod
    def _has_judgement(case: CaseStudyPage) -> bool:
        return case.outcome_evidence.exists() or case.inspired_by.exists() or case.has_requirements

    def _judge(self, page: CaseStudyPage, content: dict[str, Any], code: str, en_index) -> None:
        def text(value) -> str:
            return value.get(code, value.get("en", "")) if isinstance(value, dict) else str(value or "")

        def day(value):
            return datetime.date.fromisoformat(value) if value else None

        page.outcome_evidence = [
            CaseOutcome(
                indicator=text(item["indicator"]),
                baseline_value=text(item.get("baseline_value")),
                baseline_date=day(item.get("baseline_date")),
                result_value=text(item.get("result_value")),
                result_date=day(item.get("result_date")),
                source_url=item.get("source_url", ""),
                level=item["level"],
            )
            for item in content.get("evidence", [])
        ]
        for field_name, value in content.get("requirements", {}).items():
            setattr(page, field_name, text(value) if isinstance(value, dict | str) else value)
        links = []
        for item in content.get("inspired_by", []):
            source = self._child(en_index, CaseStudyPage, item["key"])
            if source is not None:
                links.append(CaseInspiration(source=source, note=text(item.get("note", ""))))
        page.inspired_by = links

    @transaction.atomic
    def run(self) -> dict[str, int]:
        homes = self.home_pages()
        indexes = self.index_pages(homes)
        self.about_pages(homes)
        cities = self.cities()
        measures = self.measure_types()
        self.cases(indexes, cities, measures)
        self.judged(indexes)
        self.log(
            f"Demo content: {self.stats['pages']} pages, {self.stats['translations']} translations, "
            f"{self.stats['cities']} cities created."
        )
        return self.stats


def load_demo(log: Callable[[str], None] | None = None) -> dict[str, int]:
    return DemoLoader(log).run()
