"""Counts behind the explore page's charts and map, and the geometry of their server-side SVG.

Every count is over the selection's case pages (`opendata.selection`): exactly the set that the
exports and the feeds give for the same parameters. The areas' is one GROUP BY (a case may have
several); the others are counted from one read of the selection's rows (`case_counts`).
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass, field

from django.db.models import Count
from django.utils.formats import date_format

from opendata import selection as sel

# A data table up to this long shows whole; a longer one its first rows and "Show all (n)".
TABLE_SHOWN_WHOLE = 14
TABLE_SHOWN_FIRST = 12
MAX_MONTHS = 240  # a month axis longer than twenty years is cut to its last twenty years


@dataclass
class Bar:
    key: str
    label: str
    value: int
    url: str = ""
    # Geometry, filled by the layout functions (SVG user units).
    x: float = 0
    y: float = 0
    width: float = 0
    height: float = 0
    tick: str = ""  # an axis label shown under a column (month charts: only some months)
    text_y: float = 0  # baseline of the bar's label and value
    value_x: float = 0  # where the value is written (after the bar)


@dataclass
class Chart:
    id: str
    title: str
    description: str
    value_label: str
    bars: list[Bar] = field(default_factory=list)
    width: float = 0
    height: float = 0
    orientation: str = "horizontal"  # or "vertical"
    label_width: float = 0
    max_value: int = 0
    gridlines: list[dict] = field(default_factory=list)
    label_x: float = 0  # right edge of the category labels (horizontal) / of the value axis
    axis_y: float = 0  # baseline of the axis numbers (horizontal) / top of the month ticks
    grid_top: float = 0
    grid_bottom: float = 0

    @property
    def total(self) -> int:
        return sum(bar.value for bar in self.bars)

    @property
    def table_rows(self) -> list[Bar]:
        """The data table's rows shown at once: all of a short table, the first of a long one."""
        return self.bars if len(self.bars) <= TABLE_SHOWN_WHOLE else self.bars[:TABLE_SHOWN_FIRST]

    @property
    def table_more(self) -> list[Bar]:
        """The rest of a long table, behind "Show all (n)"."""
        return [] if len(self.bars) <= TABLE_SHOWN_WHOLE else self.bars[TABLE_SHOWN_FIRST:]

    @property
    def is_empty(self) -> bool:
        return self.total == 0

    @property
    def counted_bars(self) -> list[Bar]:
        """The bars with a count, for the chart's text description (none when the chart is empty)."""
        return [bar for bar in self.bars if bar.value]


# ----------------------------------------------------------------------------------------------
# Counts
# ----------------------------------------------------------------------------------------------
def _add(counts: dict, key, n: int) -> None:
    counts[key] = counts.get(key, 0) + n


def area_counts(selection: sel.Selection) -> dict[str, int]:
    from casestudies.models import CaseStudyPage

    through = CaseStudyPage.policy_areas.through
    counts: dict[str, int] = {}
    for queryset in sel.case_querysets(selection):
        rows = (
            through.objects.filter(casestudypage_id__in=queryset.values("pk"))
            .values("policyarea__slug")
            .annotate(n=Count("casestudypage_id", distinct=True))
        )
        for row in rows:
            _add(counts, row["policyarea__slug"], row["n"])
    return counts


@dataclass
class CaseCounts:
    """The selection's total and its counts per continent, start month and city."""

    total: int = 0
    continents: dict[str, int] = field(default_factory=dict)
    months: dict[datetime.date, int] = field(default_factory=dict)
    cities: dict[int, int] = field(default_factory=dict)

    def add(self, city_id: int | None, continent: str | None, start: datetime.date | None) -> None:
        self.total += 1
        if start is not None:
            _add(self.months, start.replace(day=1), 1)
        if city_id is not None:
            _add(self.cities, city_id, 1)
            _add(self.continents, continent, 1)


def case_counts(selection: sel.Selection) -> CaseCounts:
    """Every count of the explore page but the areas', from one read of the selection's rows.

    Each count used to be its own GROUP BY over the same join of case pages, Wagtail's page table
    and the visibility rule: five of them per request at 10,000 cases (about 25 ms each on SQLite)
    where reading the (city, continent, start) of each case once and counting here costs one.
    Kept on the selection, so that the charts, the total and the map share it.
    """
    cached = selection.__dict__.get("_case_counts")
    if cached is not None:
        return cached
    counts = CaseCounts()
    for queryset in sel.case_querysets(selection):
        for city_id, continent, start in queryset.values_list(
            "city_id", "city__continent", "start_date"
        ).order_by():
            counts.add(city_id, continent, start)
    selection.__dict__["_case_counts"] = counts
    return counts


def continent_counts(selection: sel.Selection) -> dict[str, int]:
    return case_counts(selection).continents


def month_counts(selection: sel.Selection) -> dict[datetime.date, int]:
    return case_counts(selection).months


def city_counts(selection: sel.Selection) -> dict[int, int]:
    return case_counts(selection).cities


def total(selection: sel.Selection) -> int:
    return case_counts(selection).total


# ----------------------------------------------------------------------------------------------
# Layout
# ----------------------------------------------------------------------------------------------
def nice_max(value: int) -> int:
    """A round axis maximum at or above `value` (1, 2, 5 × 10^n)."""
    if value <= 0:
        return 1
    magnitude = 10 ** int(math.floor(math.log10(value)))
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def ticks(maximum: int) -> list[int]:
    """Axis values that are whole numbers and evenly spaced: 0…max in fifths, or every unit."""
    if maximum >= 5 and maximum % 5 == 0:
        step = maximum // 5
        return list(range(0, maximum + 1, step))
    return list(range(0, maximum + 1))


# Horizontal charts are drawn narrow enough (420 units) to show near their natural size on a
# 390-pixel phone: wider, the browser scaled their labels down to about 6 pixels.
def layout_horizontal(chart: Chart, width: float = 420, row: float = 30, label_width: float = 170) -> Chart:
    chart.orientation = "horizontal"
    chart.label_width = label_width
    top, bottom = 8, 26
    chart.width = width
    chart.height = top + row * len(chart.bars) + bottom
    chart.max_value = nice_max(max((bar.value for bar in chart.bars), default=0))
    plot = width - label_width - 36
    for i, bar in enumerate(chart.bars):
        bar.x = label_width
        bar.y = top + i * row + 4
        bar.height = row - 8
        bar.width = round(plot * bar.value / chart.max_value, 2)
        bar.text_y = round(bar.y + bar.height - 5, 2)
        bar.value_x = round(bar.x + bar.width + 5, 2)
    chart.label_x = label_width - 8
    chart.grid_top = top
    chart.grid_bottom = round(chart.height - bottom + 4, 2)
    chart.axis_y = round(chart.height - 6, 2)
    chart.gridlines = [
        {"x": round(label_width + plot * value / chart.max_value, 2), "value": value}
        for value in ticks(chart.max_value)
    ]
    return chart


def layout_vertical(
    chart: Chart, height: float = 260, column: float | None = None, left: float = 40
) -> Chart:
    chart.orientation = "vertical"
    if column is None:  # about 520 units wide whatever the number of months, within sensible bounds
        column = max(6.0, min(60.0, round(520 / max(len(chart.bars), 1), 2)))
    top, bottom = 12, 54
    chart.width = left + column * max(len(chart.bars), 1) + 12
    chart.height = height
    chart.max_value = nice_max(max((bar.value for bar in chart.bars), default=0))
    plot = height - top - bottom
    for i, bar in enumerate(chart.bars):
        bar.width = column - 4
        bar.height = round(plot * bar.value / chart.max_value, 2)
        bar.x = left + i * column + 2
        bar.y = round(top + plot - bar.height, 2)
        bar.text_y = round(top + plot + 14, 2)
    chart.label_x = left - 6
    chart.axis_y = round(top + plot + 14, 2)
    chart.gridlines = [
        {"y": round(top + plot - plot * value / chart.max_value, 2), "value": value}
        for value in ticks(chart.max_value)
    ]
    chart.label_width = left
    return chart


def months_between(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    months = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append(datetime.date(year, month, 1))
        month += 1
        if month > 12:
            year, month = year + 1, 1
    return months[-MAX_MONTHS:]


def month_bars(counts: dict[datetime.date, int]) -> list[Bar]:
    if not counts:
        return []
    months = months_between(min(counts), max(counts))
    every = 1 if len(months) <= 12 else 3 if len(months) <= 36 else 12
    bars = []
    for i, month in enumerate(months):
        label = date_format(month, "YEAR_MONTH_FORMAT")
        bar = Bar(key=month.strftime("%Y-%m"), label=label, value=counts.get(month, 0))
        if every == 12:
            bar.tick = str(month.year) if month.month == 1 or i == 0 else ""
        elif i % every == 0:
            bar.tick = date_format(month, "M Y") if (month.month == 1 or i == 0) else date_format(month, "M")
        bars.append(bar)
    return bars
