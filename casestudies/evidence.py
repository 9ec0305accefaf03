"""Judging a case and copying it: the evidence scale, the size bands, and the "inspired by" graph.

The evidence scale is adapted from Nesta's Standards of Evidence (Puttick and Ludlow, 2013), which
grade an innovation from "you can describe what you do and why it matters" (1) to "you have manuals,
systems and procedures to ensure consistent replication" (5). Ours grades how strongly one outcome
of a city's measure is known, with the same idea of steps: each level adds a kind of comparison.

Kept apart from the models so that the form, the import and the page share one rule each.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.apps import apps
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class EvidenceLevel(models.IntegerChoices):
    REPORTED = 1, _("1 · Reported by the city")
    MONITORED = 2, _("2 · A monitored indicator")
    BEFORE_AFTER = 3, _("3 · A before/after comparison")
    COMPARED = 4, _("4 · Compared with places or groups without the measure")
    INDEPENDENT = 5, _("5 · Independent evaluation, or repeated in other cities")


# What each level means, in plain words (the case page says it under the level).
EVIDENCE_MEANING = {
    1: _(
        "The city says this happened. Nobody has measured it yet: a good lead, "
        "but check it before counting on it."
    ),
    2: _(
        "The city tracked a figure while the measure ran. It shows what happened, "
        "not whether the measure caused it."
    ),
    3: _(
        "A figure was measured before and after the measure started. The change may be due "
        "to the measure, or to something else that changed at the same time."
    ),
    4: _(
        "The result was compared with places or groups that did not get the measure: good "
        "reason to think the measure made the difference."
    ),
    5: _(
        "Someone independent of the city evaluated it, or other cities got the same result: "
        "the strongest reason to expect it to work elsewhere."
    ),
}

# The level in words, for a sentence ("Evidence level 3 of 5: a before/after comparison.").
EVIDENCE_NAMES = {
    1: _("reported by the city"),
    2: _("a monitored indicator"),
    3: _("a before/after comparison"),
    4: _("compared with places or groups without the measure"),
    5: _("independent evaluation, or repeated in other cities"),
}

# Short names for facets and listings.
EVIDENCE_SHORT = {
    1: pgettext_lazy("evidence level", "Reported"),
    2: pgettext_lazy("evidence level", "Monitored"),
    3: pgettext_lazy("evidence level", "Before/after"),
    4: pgettext_lazy("evidence level", "Compared"),
    5: pgettext_lazy("evidence level", "Independent or repeated"),
}

EVIDENCE_VALUES = tuple(str(level) for level in EvidenceLevel.values)

# "What it takes": the case page's fields, in the order the panel, the import/export columns and
# the API list them.
REQUIREMENT_FIELDS = (
    "cost_amount",
    "cost_currency",
    "cost_year",
    "staff",
    "launch_days",
    "legal_basis",
    "legal_basis_url",
    "partners",
    "technology",
    "prerequisites",
)


def evidence_label(level: int | str | None) -> str:
    """ "3 · Before/after": the facet's and the listing's name of a level ("" for none)."""
    try:
        number = int(level)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""
    return f"{number} · {EVIDENCE_SHORT[number]}" if number in EVIDENCE_SHORT else ""


def strongest(levels: Iterable[int | None]) -> int | None:
    """A case's level is its strongest outcome's (None when no outcome is graded)."""
    graded = [level for level in levels if level]
    return max(graded) if graded else None


def outcome_problems(
    *,
    level,
    result_value: str,
    result_date: datetime.date | None,
    baseline_value: str,
    baseline_date: datetime.date | None,
) -> dict[str, str]:
    """The rules of one outcome, by field: the admin form and the import give the same messages."""
    problems: dict[str, str] = {}
    if level in (None, ""):
        problems["level"] = str(_("Choose the evidence level (1 to 5)."))
    else:
        try:
            number = int(level)
        except (TypeError, ValueError):
            number = 0
        if number not in EvidenceLevel.values:
            problems["level"] = str(_("The evidence level must be a whole number from 1 to 5."))
    if (result_value or result_date) and not baseline_date:
        problems["baseline_date"] = str(
            _("A result needs the baseline date: when was the figure it is compared with taken?")
        )
    if result_value and not result_date:
        problems["result_date"] = str(_("Give the date of the result."))
    if result_date and not result_value:
        problems["result_value"] = str(_("Give the result's value."))
    if baseline_date and not baseline_value:
        problems["baseline_value"] = str(_("Give the baseline value."))
    if result_date and baseline_date and result_date < baseline_date:
        problems["result_date"] = str(_("The result cannot be dated before its baseline."))
    return problems


# ----------------------------------------------------------------------------------------------
# City size
# ----------------------------------------------------------------------------------------------
class SizeBand(models.TextChoices):
    LT100K = "lt100k", _("Under 100,000 people")
    K100_1M = "100k-1m", _("100,000 to 1 million")
    M1_5M = "1m-5m", _("1 to 5 million")
    GT5M = "gt5m", _("Over 5 million")


SIZE_VALUES = tuple(SizeBand.values)


def size_band(population: int | None) -> str:
    """The band of a population ("" when unknown): the `size` facet's value."""
    if not population:
        return ""
    if population < 100_000:
        return SizeBand.LT100K
    if population < 1_000_000:
        return SizeBand.K100_1M
    if population < 5_000_000:
        return SizeBand.M1_5M
    return SizeBand.GT5M


# ----------------------------------------------------------------------------------------------
# Inspired by / copied by
# ----------------------------------------------------------------------------------------------
def _links():
    # By name: the models import this module.
    return apps.get_model("casestudies", "CaseInspiration").objects


def inspiration_graph(exclude_key=None) -> dict:
    """translation key → the translation keys of the cases it was inspired by (every language;
    the links of `exclude_key` left out: they are the ones being replaced)."""
    graph: dict = defaultdict(set)
    rows = _links().values_list("page__translation_key", "source__translation_key")
    for page_key, source_key in rows:
        if page_key != exclude_key:
            graph[page_key].add(source_key)
    return graph


def loop_through(graph: dict, start, target) -> list | None:
    """The chain of keys from `start` back to `target` following "inspired by" (None if none)."""
    seen = set()
    stack = [(start, [start])]
    while stack:
        node, path = stack.pop()
        if node == target:
            return path
        if node in seen:
            continue
        seen.add(node)
        for nxt in graph.get(node, ()):
            stack.append((nxt, [*path, nxt]))
    return None


def inspiration_problem(page_key, source_key, graph: dict) -> str | None:
    """Why `page_key` cannot name `source_key` as its inspiration (None when it can)."""
    if source_key == page_key:
        return str(_("A case cannot be inspired by itself."))
    if page_key is not None and loop_through(graph, source_key, page_key):
        return str(
            _(
                "This would make a loop: the chosen case was itself inspired, directly or through "
                "others, by this one."
            )
        )
    return None


@dataclass
class Adoption:
    """One case in a measure's spread: who ran it, when, and after whom."""

    page: object
    city: object
    start: datetime.date
    after: object = None  # the page it was inspired by (None for the case itself)
    note: str = ""
    depth: int = 0


@dataclass
class Spread:
    origin: Adoption
    adoptions: list[Adoption] = field(default_factory=list)

    @property
    def city_count(self) -> int:
        """Cities that adopted it after this case (not counting this case's own city)."""
        return len({a.city.pk for a in self.adoptions if a.city and a.city.pk != self.origin.city.pk})

    @property
    def chronological(self) -> list[Adoption]:
        return sorted([self.origin, *self.adoptions], key=lambda a: (a.start, a.depth))


def spread_of(page, visible_pages, language_code: str) -> Spread:
    """The cases that copied `page`, directly or through others (breadth first, each once), as a
    visitor may see them: `visible_pages` is the queryset of visible cases; each shown in the
    visitor's language where translated."""
    origin = Adoption(page=page, city=page.city, start=page.start_date)
    spread = Spread(origin=origin)
    seen = {page.translation_key}
    frontier = [(page.translation_key, page, 0)]
    while frontier:
        keys = {key for key, _page, _depth in frontier}
        by_key = {key: (source, depth) for key, source, depth in frontier}
        links = (
            _links().filter(source__translation_key__in=keys).select_related("page", "source").order_by("pk")
        )
        found: dict = {}
        notes: dict = defaultdict(dict)  # translation key → {page id: its note}
        for link in links:
            key = link.page.translation_key
            if key in seen:
                continue
            notes[key][link.page_id] = link.note
            if key in found:
                continue
            source, depth = by_key[link.source.translation_key]
            found[key] = (source, depth + 1, link.note)
        if not found:
            break
        shown = {}
        for candidate in visible_pages.filter(translation_key__in=found).select_related("city", "locale"):
            current = shown.get(candidate.translation_key)
            if current is None or candidate.locale.language_code == language_code:
                shown[candidate.translation_key] = candidate
        frontier = []
        for key, (source, depth, note) in found.items():
            seen.add(key)
            adopted = shown.get(key)
            if adopted is None:  # not public: neither shown nor followed
                continue
            note = notes[key].get(adopted.pk, note)  # the note written in the language shown
            spread.adoptions.append(
                Adoption(
                    page=adopted,
                    city=adopted.city,
                    start=adopted.start_date,
                    after=source,
                    note=note,
                    depth=depth,
                )
            )
            frontier.append((key, adopted, depth))
    spread.adoptions.sort(key=lambda a: (a.start, a.depth))
    return spread


# ----------------------------------------------------------------------------------------------
# The timeline (server-side SVG, the explore charts' style: plain shapes, text in the page's language)
# ----------------------------------------------------------------------------------------------
TIMELINE_WIDTH = 420
TIMELINE_ROW = 26
TIMELINE_LABEL = 118
TIMELINE_PAD = 16


@dataclass
class TimelineRow:
    label: str
    date: datetime.date
    x: float
    y: float
    origin: bool
    url: str = ""


@dataclass
class Timeline:
    rows: list[TimelineRow]
    width: int
    height: int
    axis_y: float
    ticks: list[dict]
    left: float
    right: float


def timeline(spread: Spread, date_label) -> Timeline | None:
    """Geometry of "who started when": one row per adoption, dots on a shared date axis."""
    items = spread.chronological
    if len(items) < 2:
        return None
    first, last = items[0].start, items[-1].start
    span = max((last - first).days, 1)
    left, right = TIMELINE_LABEL + TIMELINE_PAD, TIMELINE_WIDTH - TIMELINE_PAD * 2
    rows = []
    for number, item in enumerate(items):
        x = left + (right - left) * (item.start - first).days / span
        rows.append(
            TimelineRow(
                label=item.city.display_name if item.city else "",
                date=item.start,
                x=round(x, 1),
                y=TIMELINE_PAD + number * TIMELINE_ROW + TIMELINE_ROW / 2,
                origin=item is spread.origin,
                url=getattr(item.page, "url", "") or "",
            )
        )
    axis_y = TIMELINE_PAD + len(items) * TIMELINE_ROW + 4
    ticks = [{"x": left, "label": date_label(first)}]
    if last != first:
        ticks.append({"x": right, "label": date_label(last)})
    return Timeline(
        rows=rows,
        width=TIMELINE_WIDTH,
        height=int(axis_y + 24),
        axis_y=axis_y,
        ticks=ticks,
        left=left,
        right=right,
    )


SIZE_BOUNDS = {
    SizeBand.LT100K: (1, 100_000),
    SizeBand.K100_1M: (100_000, 1_000_000),
    SizeBand.M1_5M: (1_000_000, 5_000_000),
    SizeBand.GT5M: (5_000_000, None),
}


def size_q(bands: Iterable[str], field: str = "city__population") -> models.Q:
    """A filter on pages (or cities, `field="population"`) whose city is in one of these bands."""
    condition = models.Q(pk__in=[])
    for band in bands:
        low, high = SIZE_BOUNDS[band]
        part = models.Q(**{f"{field}__gte": low})
        if high is not None:
            part &= models.Q(**{f"{field}__lt": high})
        condition |= part
    return condition
