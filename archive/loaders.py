"""Load the CAC Global Summit 2020 (summit + 15 sessions, English and Korean) from demo_data/summit2020.json.

Idempotent: pages are matched by slug and locale (Korean pages first by translation key), and a page
gets a new revision only when something differs, so a second run changes nothing. Recordings and
chapters are never touched: editors add them in the admin (the demo has no known video ids).
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path

from django.db import transaction
from django.utils.html import escape

from wagtail.models import Locale

from casestudies.models import CaseStudyPage, City, PolicyArea
from home.loaders import home_pages
from search import indexing

from .models import SessionAttachment, SessionKind, SessionPage, SessionSpeaker, SummitPage
from .utils import zone

DATA_FILE = Path(__file__).resolve().parent / "demo_data" / "summit2020.json"
LANGUAGES = ("en", "ko")
SHORT_TITLES = {"en": "CAC Global Summit 2020", "ko": "CAC 글로벌 서밋 2020"}

# Cities named by the source documents: slug, Korean name, country, continent, latitude, longitude.
KNOWN_CITIES = {
    "Seoul": ("seoul", "서울", "KR", "asia", "37.56650", "126.97800"),
    "Moscow": ("moscow", "모스크바", "RU", "europe", "55.75583", "37.61730"),
    "Jakarta": ("jakarta", "자카르타", "ID", "asia", "-6.17511", "106.86504"),
    "Los Angeles": ("los-angeles", "로스앤젤레스", "US", "north-america", "34.05223", "-118.24368"),
    "Taipei": ("taipei", "타이베이", "TW", "asia", "25.03297", "121.56541"),
}


def paragraphs_html(value) -> str:
    """A string or a list of paragraphs as rich-text HTML."""
    items = value if isinstance(value, list) else str(value or "").split("\n\n")
    return "".join(f"<p>{escape(item.strip())}</p>" for item in items if item and item.strip())


class SummitLoader:
    def __init__(self, data: dict, stdout=None):
        self.data = data
        self.stdout = stdout
        self.stats = {
            "created": 0,
            "updated": 0,
            "unchanged": 0,
            "translations_created": 0,
            "cities_created": 0,
            "case_links": 0,
        }
        self.locales = {code: Locale.objects.get(language_code=code) for code in LANGUAGES}
        # What the rows name again and again (the same cities, areas and speakers' cities in each
        # session and language), read once per run.
        self._cities: dict[str, City | None] = {}
        self._city_labels: dict[tuple[str, str], str] = {}
        self._areas: dict[tuple[str, str], PolicyArea] = {}

    def say(self, message: str) -> None:
        if self.stdout is not None:
            self.stdout.write(message)

    # --- places ------------------------------------------------------------------------
    def city(self, name: str) -> City | None:
        if name not in self._cities:
            self._cities[name] = self._city(name)
        return self._cities[name]

    def _city(self, name: str) -> City | None:
        existing = City.objects.filter(name__iexact=name).first()
        if existing:
            return existing
        known = KNOWN_CITIES.get(name)
        if known is None:
            self.say(f"  city {name!r} is unknown: not linked")
            return None
        slug, name_ko, country, continent, latitude, longitude = known
        city, created = City.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "name_ko": name_ko,
                "country": country,
                "continent": continent,
                "latitude": latitude,
                "longitude": longitude,
            },
        )
        if created:
            self.stats["cities_created"] += 1
        return city

    def city_label(self, name: str, language: str) -> str:
        if not name or language == "en":
            return name
        if (name, language) not in self._city_labels:
            self._city_labels[name, language] = self._city_label(name)
        return self._city_labels[name, language]

    def _city_label(self, name: str) -> str:
        city = City.objects.filter(name__iexact=name).first()
        if city and city.name_ko:
            return city.name_ko
        known = KNOWN_CITIES.get(name)
        return known[1] if known else name

    # --- generic sync ------------------------------------------------------------------
    @staticmethod
    def apply(page, values: dict, children: dict, m2m: dict) -> bool:
        """Set what differs on the in-memory page; True when anything changed."""
        changed = False
        for name, value in values.items():
            if name == "policy_area":
                if page.policy_area_id != (value.pk if value else None):
                    page.policy_area = value
                    changed = True
                continue
            current = getattr(page, name)
            if name == "countries":
                current = [country.code for country in current]
            if current != value:
                setattr(page, name, value)
                changed = True
        for relation, (model, fields, rows) in children.items():
            current_rows = [{f: getattr(obj, f) for f in fields} for obj in getattr(page, relation).all()]
            if current_rows != [{f: row[f] for f in fields} for row in rows]:
                setattr(page, relation, [model(**row) for row in rows])
                changed = True
        for relation, objects in m2m.items():
            current = {obj.pk for obj in getattr(page, relation).all()}
            if current != {obj.pk for obj in objects}:
                setattr(page, relation, objects)
                changed = True
        return changed

    def sync(self, page, values, children=None, m2m=None, *, created=False) -> None:
        changed = self.apply(page, values, children or {}, m2m or {})
        if created or changed:
            page.save_revision(log_action=True).publish()
            if not created:
                self.stats["updated"] += 1
                self.say(f"  updated {page.locale.language_code} {page.url_path}")
        else:
            self.stats["unchanged"] += 1

    def create_child(self, parent, page, values, children=None, m2m=None):
        self.apply(page, values, children or {}, m2m or {})
        parent.add_child(instance=page)
        # add_child validated the page and nothing changed since: no second full_clean (and its queries).
        page.save_revision(log_action=True, clean=False).publish()
        self.stats["created"] += 1
        self.say(f"  created {page.locale.language_code} {page.url_path}")
        return page

    def translation(self, source, language: str, parent, model):
        """The Korean page of `source`: by translation key, else by slug under the Korean parent."""
        locale = self.locales[language]
        page = model.objects.filter(translation_key=source.translation_key, locale=locale).first()
        if page is None:
            page = model.objects.child_of(parent).filter(slug=source.slug, locale=locale).first()
        if page is not None:
            return page, False
        page = source.copy_for_translation(locale).specific
        self.stats["translations_created"] += 1
        self.say(f"  translated {source.url_path} into {language}")
        return page, True

    # --- the summit --------------------------------------------------------------------
    def summit_values(self, language: str) -> dict:
        summit = self.data["summit"]
        return {
            "title": SHORT_TITLES[language],
            "draft_title": SHORT_TITLES[language],
            "name": summit[f"name_{language}"],
            "theme": summit[f"theme_{language}"],
            "slogan": summit[f"slogan_{language}"],
            "start_date": datetime.date.fromisoformat(summit["start_date"]),
            "end_date": datetime.date.fromisoformat(summit["end_date"]),
            "time_zone": summit["time_zone"],
            "venue": summit[f"venue_{language}"],
            "organiser": summit[f"organiser_{language}"],
            "host_city": self.city(summit["host_city"]) if summit.get("host_city") else None,
            "description": paragraphs_html(summit[f"description_{language}"]),
            "show_in_menus": True,
        }

    def load_summit_pages(self, homes) -> dict[str, SummitPage]:
        slug = self.data["summit"]["slug"]
        pages = {}
        en = SummitPage.objects.child_of(homes["en"]).filter(slug=slug).first()
        if en is None:
            en = self.create_child(homes["en"], SummitPage(slug=slug), self.summit_values("en"))
        else:
            self.sync(en, self.summit_values("en"))
        pages["en"] = en
        ko, created = self.translation(en, "ko", homes["ko"], SummitPage)
        self.sync(ko, self.summit_values("ko"), created=created)
        pages["ko"] = ko
        return pages

    # --- sessions ----------------------------------------------------------------------
    def session_values(self, row: dict, language: str, tz) -> dict:
        area = None
        if row.get("policy_area"):
            key = (row["policy_area"], language)
            if key not in self._areas:
                self._areas[key] = PolicyArea.objects.get(slug=key[0], locale=self.locales[language])
            area = self._areas[key]
        title = row[f"title_{language}"]
        return {
            "title": title,
            "draft_title": title,
            "kind": SessionKind(row["kind"]).value,
            "policy_area": area,
            "start": datetime.datetime.fromisoformat(row["start"]).replace(tzinfo=tz),
            "end": datetime.datetime.fromisoformat(row["end"]).replace(tzinfo=tz),
            "topic": row[f"topic_{language}"],
            "description": paragraphs_html(row[f"description_{language}"]),
            "department": row[f"department_{language}"],
            "countries": list(row.get("countries") or []),
            "notes": row.get(f"notes_{language}") or "",
        }

    def session_children(self, row: dict, language: str) -> dict:
        speakers = [
            {
                "name": speaker[f"name_{language}"] or speaker["name_en"],
                "role": speaker[f"role_{language}"],
                "organisation": speaker[f"organisation_{language}"],
                "city": self.city_label(speaker.get("city") or "", language),
            }
            for speaker in row.get("speakers") or []
        ]
        attachments = [
            {
                "title": item[f"title_{language}"],
                "description": item.get(f"description_{language}") or "",
            }
            for item in row.get("attachments") or []
        ]
        return {
            "speakers": (SessionSpeaker, ("name", "role", "organisation", "city"), speakers),
            "attachments": (SessionAttachment, ("title", "description"), attachments),
        }

    def related_cases(self, page: SessionPage, row: dict, language: str) -> list[CaseStudyPage]:
        """What the page already links (moved to its language) plus the live cases of its area."""
        locale = self.locales[language]
        keep = {}
        for case in page.related_cases.all() if page.pk else []:
            if case.locale_id == locale.pk:
                keep[case.pk] = case
            else:
                translated = case.get_translation_or_none(locale)
                if translated is not None:
                    keep[translated.pk] = translated
        if row["kind"] == SessionKind.DISCUSSION and row.get("policy_area"):
            area_cases = (
                CaseStudyPage.objects.live()
                .public()
                .filter(locale=locale, policy_areas__slug=row["policy_area"])
                .distinct()
            )
            for case in area_cases:
                keep.setdefault(case.pk, case)
        return sorted(keep.values(), key=lambda case: case.pk)

    def load_session(self, row: dict, summits: dict[str, SummitPage]) -> None:
        tz = zone(summits["en"].time_zone)
        cities = [city for city in (self.city(name) for name in row.get("cities") or []) if city]
        en = SessionPage.objects.child_of(summits["en"]).filter(slug=row["slug"]).first()
        if en is None:
            page = SessionPage(slug=row["slug"])
            related = self.related_cases(page, row, "en")
            en = self.create_child(
                summits["en"],
                page,
                self.session_values(row, "en", tz),
                self.session_children(row, "en"),
                {"cities": cities, "related_cases": related},
            )
            self.stats["case_links"] += len(related)
        else:
            related = self.related_cases(en, row, "en")
            self.stats["case_links"] += len(related)
            self.sync(
                en,
                self.session_values(row, "en", tz),
                self.session_children(row, "en"),
                {"cities": cities, "related_cases": related},
            )
        ko, created = self.translation(en, "ko", summits["ko"], SessionPage)
        related = self.related_cases(ko, row, "ko")
        self.stats["case_links"] += len(related)
        self.sync(
            ko,
            self.session_values(row, "ko", tz),
            self.session_children(row, "ko"),
            {"cities": cities, "related_cases": related},
            created=created,
        )

    def run(self) -> dict:
        homes = home_pages()
        summits = self.load_summit_pages(homes)
        for row in self.data["sessions"]:
            self.load_session(row, summits)
        self.stats["summit_en"] = summits["en"].pk
        self.stats["summit_ko"] = summits["ko"].pk
        self.stats["sessions"] = len(self.data["sessions"])
        return self.stats


def load_demo(stdout=None) -> dict:
    """The archive's demo content: the CAC Global Summit 2020 (`manage.py load_demo` calls it after
    the case studies')."""
    return load_summit(stdout=stdout)


def load_summit(stdout=None, data_file: Path | str | None = None) -> dict:
    """Create or update the CAC Global Summit 2020 in English and Korean; returns counts.

    Call it after the demo case studies exist: each discussion session is linked to the live case
    studies of its policy area, in both languages.
    """
    data = json.loads(Path(data_file or DATA_FILE).read_text(encoding="utf-8"))
    # The pages are indexed once at the end (search's seam for bulk writers), not at each publish.
    with transaction.atomic(), indexing.paused(SummitPage, SessionPage):
        stats = SummitLoader(data, stdout=stdout).run()
    if stdout is not None:
        stdout.write(
            "Summit: {created} pages created, {translations_created} translated, {updated} updated, "
            "{unchanged} unchanged; {case_links} case links.".format(**stats)
        )
    return stats
