"""The case studies' demo content: the case index, cities and real 2020 case studies, in English and
Korean, under the home pages (the home app makes those; its loader adds their introduction).

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

from wagtail.models import Locale, Page, Site

from search import indexing

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

INDEX_TITLES = {"en": ("Case studies", "cases"), "ko": ("정책 사례", "cases")}
INDEX_INTRO = {
    "en": "<p>Measures that cities took against COVID-19 in 2020, newest first.</p>",
    "ko": "<p>2020년 도시들이 코로나19에 맞서 시행한 정책 사례입니다. 최신순으로 정렬됩니다.</p>",
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
    """Builds the case studies' demo content; `stats` counts what was created, so that a second run can
    prove it did nothing."""

    def __init__(self, stdout=None) -> None:
        self.stdout = stdout
        self.stats = {"pages": 0, "translations": 0, "cities": 0, "graded": 0}
        self.locales = {code: Locale.objects.get(language_code=code) for code in ("en", "ko")}

    # -- page helpers ---------------------------------------------------------------
    def _publish(self, page: Page, *, cleaned: bool = False) -> None:
        # `cleaned`: the page was validated by the save that just created it (add_child) and has not
        # changed since, so its revision need not run the same full_clean (and its queries) again.
        page.save_revision(clean=not cleaned).publish()

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
    def home_pages(self) -> dict[str, Page]:
        """The site's home page in each language (made by migration home 0002), as Wagtail pages."""
        site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
        if site is None:
            raise RuntimeError("No default site: run the migrations first.")
        homes = {
            code: site.root_page.get_translations(inclusive=True).filter(locale=locale).first()
            for code, locale in self.locales.items()
        }
        missing = sorted(code for code, home in homes.items() if home is None)
        if missing:
            raise RuntimeError(
                f"The site's home page has no {', '.join(missing)} version: run the migrations first."
            )
        return homes

    def index_pages(self, homes: dict[str, Page]) -> dict[str, CaseStudyIndexPage]:
        title, slug = INDEX_TITLES["en"]
        index = self._child(homes["en"], CaseStudyIndexPage, slug)
        if index is None:
            index = CaseStudyIndexPage(title=title, slug=slug, intro=INDEX_INTRO["en"], show_in_menus=True)
            homes["en"].add_child(instance=index)
            self._publish(index, cleaned=True)
            self.stats["pages"] += 1

        def fill(page: Page) -> None:
            page.title, page.slug = INDEX_TITLES["ko"]
            page.intro = INDEX_INTRO["ko"]

        return {"en": index, "ko": self._ensure_translation(index, "ko", fill)}

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
    def cases(self, indexes: dict[str, CaseStudyIndexPage], cities, measures, judgements=None) -> None:
        """The cases of demo_data/cases.json that are missing, and their Korean translations. With
        `judgements` (demo_data/evidence.json), a case created now is created judged, in both
        languages: one revision each instead of a second one written by `judged()`."""
        areas = {area.slug: area for area in PolicyArea.objects.filter(locale=self.locales["en"])}
        for row in json.loads((DATA_DIR / "cases.json").read_text(encoding="utf-8")):
            case = self._child(indexes["en"], CaseStudyPage, row["key"])
            judgement = None
            if case is None:
                judgement = (judgements or {}).get(row["key"])
                if judgement is not None and not self._sources_exist(judgement, indexes["en"]):
                    judgement = None  # a case it names comes later: `judged()` judges it then
                case = self._create_case(
                    indexes["en"], row, cities, measures, areas, judgement, indexes["en"]
                )
                if judgement is not None:
                    self.stats["graded"] += 1
            if row.get("ko"):

                def fill(page, row=row, judgement=judgement):
                    self._fill_case(page, row["ko"])
                    if judgement is not None:  # the copy has the English judgement: the Korean one
                        self._judge(page, judgement, "ko", indexes["en"])

                self._ensure_translation(case, "ko", fill)

    def _sources_exist(self, content: dict[str, Any], en_index) -> bool:
        return all(
            self._child(en_index, CaseStudyPage, item["key"]) is not None
            for item in content.get("inspired_by", [])
        )

    def _fill_case(self, page: CaseStudyPage, content: dict[str, Any]) -> None:
        page.title = content["title"]
        page.summary = content["summary"]
        page.body = _body_stream(content)
        page.outcomes = _paragraphs([content.get("outcomes", "")])
        page.lessons_learned = _paragraphs([content.get("lessons", "")])
        if content.get("contact_organisation"):  # the translation's own name of the organisation
            page.contact_organisation = content["contact_organisation"]

    def _create_case(
        self, index, row, cities, measures, areas, judgement=None, en_index=None
    ) -> CaseStudyPage:
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
        if judgement is not None:
            self._judge(case, judgement, "en", en_index)
        index.add_child(instance=case)
        self._publish(case, cleaned=True)
        self.stats["pages"] += 1
        return case

    # -- issue 16: evidence, what it takes, inspired by ---------------------------------
    @staticmethod
    def judgements() -> dict[str, dict[str, Any]]:
        """demo_data/evidence.json: each case's graded outcomes, what it takes and "inspired by"."""
        data = json.loads((DATA_DIR / "evidence.json").read_text(encoding="utf-8"))
        return {key: content for key, content in data.items() if not key.startswith("_")}

    def judged(self, indexes: dict[str, CaseStudyIndexPage]) -> None:
        """Graded outcomes, what it takes and "inspired by" of the demo cases (demo_data/evidence.json),
        added to a case that has none of them yet, in both languages (a site loaded before issue 16;
        `cases()` creates new cases judged)."""
        for key, content in self.judgements().items():
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
        # The pages are indexed once at the end (search's seam for bulk writers), not at each publish:
        # indexing a page one at a time took about a quarter of the loader's time.
        with indexing.paused(CaseStudyIndexPage, CaseStudyPage):
            indexes = self.index_pages(self.home_pages())
            cities = self.cities()
            measures = self.measure_types()
            self.cases(indexes, cities, measures, self.judgements())
            self.judged(indexes)
        if self.stdout is not None:
            self.stdout.write(
                "Case studies: {pages} pages created, {translations} translated, {cities} cities created, "
                "{graded} cases judged.".format(**self.stats)
            )
        return self.stats


def load_demo(stdout=None) -> dict[str, int]:
    """The case studies' demo content (en + ko); returns what was created."""
    return DemoLoader(stdout).run()
