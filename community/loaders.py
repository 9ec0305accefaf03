"""Demo content of the community app, in English and Korean: the companies showcase (clearly
fictional companies), the media archive (the summit's three press documents, from
archive/demo_data/summit2020.json) and the related-links page.

Idempotent: pages are matched by slug under their parent (Korean pages by translation key), and
only what is missing is created; a second run writes nothing. Run it after the summit loader, so
that companies and media items can be linked to their sessions.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from pathlib import Path

from django.db import transaction
from django.utils.html import escape

from wagtail.models import Locale, Page

from archive.loaders import DATA_FILE as SUMMIT_FILE
from archive.models import SessionKind, SessionPage
from home.loaders import home_pages
from search import indexing

from .models import (
    CompanyIndexPage,
    CompanyPage,
    DatePrecision,
    MediaIndexPage,
    MediaItemPage,
    RelatedLinksPage,
)

DATA_FILE = Path(__file__).resolve().parent / "demo_data" / "community.json"
LANGUAGES = ("en", "ko")
PAGE_MODELS = (CompanyIndexPage, CompanyPage, MediaIndexPage, MediaItemPage, RelatedLinksPage)


def paragraphs_html(items) -> str:
    items = items if isinstance(items, list) else [items]
    return "".join(f"<p>{escape(item.strip())}</p>" for item in items if item and item.strip())


class CommunityLoader:
    def __init__(self, data: dict, press: list[dict], stdout=None) -> None:
        self.data = data
        self.press = press
        self.stdout = stdout
        self.stats = {"created": 0, "translations": 0, "unchanged": 0}
        self.locales = {code: Locale.objects.get(language_code=code) for code in LANGUAGES}

    def say(self, message: str) -> None:
        if self.stdout is not None:
            self.stdout.write(message)

    # --- helpers -----------------------------------------------------------------------
    def child(self, parent: Page, model, slug: str, build: Callable[[], Page]) -> Page:
        page = model.objects.child_of(parent).filter(slug=slug).first()
        if page is not None:
            self.stats["unchanged"] += 1
            return page
        page = build()
        page.slug = slug
        parent.add_child(instance=page)
        # add_child validated the page and nothing changed since: no second full_clean (and its queries).
        page.save_revision(log_action=True, clean=False).publish()
        self.stats["created"] += 1
        self.say(f"  created en {page.url_path}")
        return page

    def translation(self, source: Page, model, fill: Callable[[Page], None]) -> Page:
        locale = self.locales["ko"]
        existing = model.objects.filter(translation_key=source.translation_key, locale=locale).first()
        if existing is not None:
            self.stats["unchanged"] += 1
            return existing
        page = source.copy_for_translation(locale).specific
        fill(page)
        page.save_revision(log_action=True).publish()
        self.stats["translations"] += 1
        self.say(f"  translated {source.url_path} into ko")
        return page

    def sessions(self, slugs, language: str) -> list[SessionPage]:
        sessions = SessionPage.objects.filter(slug__in=slugs, locale=self.locales[language])
        return sorted(sessions, key=lambda session: session.start)

    def ir_session(self, language: str) -> SessionPage | None:
        return (
            SessionPage.objects.filter(kind=SessionKind.COMPANIES_IR, locale=self.locales[language])
            .order_by("start")
            .first()
        )

    # --- companies ---------------------------------------------------------------------
    def companies(self, homes) -> None:
        spec = self.data["companies_index"]

        def build_index():
            return CompanyIndexPage(
                title=spec["title_en"], intro=paragraphs_html(spec["intro_en"]), show_in_menus=True
            )

        def fill_index(page):
            page.title = spec["title_ko"]
            page.intro = paragraphs_html(spec["intro_ko"])

        index_en = self.child(homes["en"], CompanyIndexPage, spec["slug"], build_index)
        self.translation(index_en, CompanyIndexPage, fill_index)
        session_en, session_ko = self.ir_session("en"), self.ir_session("ko")
        for row in self.data["companies"]:

            def build(row=row):
                return CompanyPage(
                    title=row["en"]["title"],
                    field_of_business=row["field"],
                    summary=row["en"]["summary"],
                    offers_cities=paragraphs_html(row["en"]["offers"]),
                    website=row["website"],
                    contact_email=row["email"],
                    ir_session=session_en,
                    fictional=True,
                )

            def fill(page, row=row):
                page.title = row["ko"]["title"]
                page.summary = row["ko"]["summary"]
                page.offers_cities = paragraphs_html(row["ko"]["offers"])
                page.ir_session = session_ko or session_en

            company = self.child(index_en, CompanyPage, row["slug"], build)
            self.translation(company, CompanyPage, fill)

    # --- media -------------------------------------------------------------------------
    def media(self, homes) -> None:
        spec = self.data["media_index"]

        def build_index():
            return MediaIndexPage(
                title=spec["title_en"], intro=paragraphs_html(spec["intro_en"]), show_in_menus=True
            )

        def fill_index(page):
            page.title = spec["title_ko"]
            page.intro = paragraphs_html(spec["intro_ko"])

        index_en = self.child(homes["en"], MediaIndexPage, spec["slug"], build_index)
        self.translation(index_en, MediaIndexPage, fill_index)
        extra = self.data["media_items"]
        for row in self.press:
            meta = extra.get(row["slug"], {})
            date = meta.get("date") or row.get("date")
            precision = meta.get("date_precision") or DatePrecision.DAY

            def build(row=row, meta=meta, date=date, precision=precision):
                page = MediaItemPage(
                    title=row["title_en"],
                    kind=meta.get("kind", "press-release"),
                    date=datetime.date.fromisoformat(date),
                    date_precision=precision,
                    summary=row["summary_en"],
                    body=paragraphs_html(row["body_en"]),
                    source=row.get("source_en", ""),
                )
                page.related_sessions = self.sessions(meta.get("sessions", []), "en")
                return page

            def fill(page, row=row, meta=meta):
                page.title = row["title_ko"]
                page.summary = row["summary_ko"]
                page.body = paragraphs_html(row["body_ko"])
                page.source = meta.get("source_ko") or row.get("source_en", "")
                page.related_sessions = self.sessions(meta.get("sessions", []), "ko")

            item = self.child(index_en, MediaItemPage, row["slug"], build)
            self.translation(item, MediaItemPage, fill)

    # --- related links -----------------------------------------------------------------
    def links_stream(self, language: str) -> list[tuple[str, object]]:
        stream: list[tuple[str, object]] = []
        for section in self.data["links_page"]["sections"]:
            stream.append(("heading", section[f"heading_{language}"]))
            for link in section["links"]:
                stream.append(
                    (
                        "link",
                        {
                            "title": link[f"title_{language}"],
                            "url": link["url"],
                            "organisation": link[f"organisation_{language}"],
                            "description": link[f"description_{language}"],
                        },
                    )
                )
        return stream

    def links(self, homes) -> None:
        spec = self.data["links_page"]

        def build():
            return RelatedLinksPage(
                title=spec["title_en"],
                intro=paragraphs_html(spec["intro_en"]),
                links=self.links_stream("en"),
                show_in_menus=True,
            )

        def fill(page):
            page.title = spec["title_ko"]
            page.intro = paragraphs_html(spec["intro_ko"])
            page.links = self.links_stream("ko")

        page = self.child(homes["en"], RelatedLinksPage, spec["slug"], build)
        self.translation(page, RelatedLinksPage, fill)

    def run(self) -> dict:
        homes = home_pages()
        self.companies(homes)
        self.media(homes)
        self.links(homes)
        return self.stats


def load_demo(stdout=None, data_file: Path | str | None = None) -> dict:
    """Create what is missing of the community demo content (en + ko); returns counts. `manage.py
    load_demo` calls it after the archive's: the media items link the summit's sessions."""
    data = json.loads(Path(data_file or DATA_FILE).read_text(encoding="utf-8"))
    press = json.loads(Path(SUMMIT_FILE).read_text(encoding="utf-8")).get("press_releases", [])
    # The pages are indexed once at the end (search's seam for bulk writers), not at each publish,
    # as the case studies' and the summit's loaders do.
    with transaction.atomic(), indexing.paused(*PAGE_MODELS):
        stats = CommunityLoader(data, press, stdout=stdout).run()
    if stdout is not None:
        stdout.write(
            "Community: {created} pages created, {translations} translated, {unchanged} unchanged.".format(
                **stats
            )
        )
    return stats
