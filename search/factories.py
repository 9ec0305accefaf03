"""Test helpers: published case studies with exactly the text, taxonomy and language a search test needs.

Builds on casestudies.factories (cities, measure types, the case index of each language).
"""

from __future__ import annotations

import datetime

from wagtail.rich_text import RichText

from casestudies.factories import CityFactory, MeasureTypeFactory, index_page
from casestudies.models import CaseStudyPage, MeasureType, PolicyArea

__all__ = ["CityFactory", "MeasureTypeFactory", "make_case", "index_page"]


def make_case(
    title: str,
    *,
    summary: str = "",
    text: str = "",
    language: str = "en",
    city=None,
    areas=("quarantine",),
    measures: list[MeasureType] | tuple = (),
    start_date: datetime.date | None = None,
    parent=None,
    publish: bool = True,
    slug: str | None = None,
    **fields,
) -> CaseStudyPage:
    """A case study under the language's case index, published (page_published fires) unless
    `publish=False` (then it is a draft that was never live)."""
    parent = parent or index_page(language)
    city = city or CityFactory()
    page = CaseStudyPage(
        title=title,
        summary=summary or f"{title}.",
        city=city,
        start_date=start_date or datetime.date(2020, 3, 1),
        body=[("paragraph", RichText(f"<p>{text}</p>"))] if text else [],
        live=False,
        **fields,
    )
    if slug:
        page.slug = slug
    parent.add_child(instance=page)
    page.policy_areas.set(PolicyArea.objects.filter(slug__in=list(areas), locale=page.locale))
    if measures:
        page.measure_types.set(list(measures))
    revision = page.save_revision()
    if publish:
        revision.publish()
        page.refresh_from_db()
    return page
