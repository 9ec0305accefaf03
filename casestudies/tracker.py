"""Tracker connectors: a COVID-19 policy tracker's own release file → case studies.

Format and rules: docs/tracker-import.md. The CoronaNet Research Project's release CSV is read
as it is published; its municipal records become cases, one per policy (`policy_id`), whose
start, updates and end make the case's timeline. The records are converted into rows of the
import format (casestudies.imports) and go through the importer's validation, plan and writes,
so that pages are written one way only; the importer's errors are reported on the tracker
file's own lines. The key of a case is `coronanet-<policy_id>`: a newer release updates the
case instead of adding another.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ops.spreadsheet import neutralise_row
from ops.spreadsheet import restore as restore_cell
from ops.text import strip_controls

from .exporter import escape_item, escape_text, source_to_text
from .imports import (
    MAX_SUMMARY,
    MAX_TITLE,
    MAX_URL,
    REJECTS_COLUMN,
    ImportFailed,
    ImportPlan,
    ImportResult,
    Rejected,
    RowError,
    csv_records,
    decode_text,
    iso_date,
    prepare,
    prepare_skipping,
    write_pages,
)

CONNECTORS = ("coronanet",)
SOURCE_NAME = "CoronaNet Research Project"
KEY_PREFIX = "coronanet-"
MAPPING_FILE = Path(__file__).parent / "data" / "coronanet_types.csv"

# The release's columns that the connector reads (matched case-insensitively; the others,
# and there are many, are accepted and ignored).
REQUIRED_COLUMNS = (
    "record_id",
    "policy_id",
    "entry_type",
    "init_country_level",
    "city",
    "iso_a2",
    "type",
    "description",
    "date_start",
)
OPTIONAL_COLUMNS = ("type_sub_cat", "date_end", "province", "link", "update_type", "country")
MULTILINE_COLUMNS = ("description",)
ENTRY_TYPES = {"new_entry": "new", "new entry": "new", "update": "update", "correction": "correction"}
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,79}$")
URL_RE = re.compile(r"^https?://\S+$", re.IGNORECASE)
# What separates several places in one cell: ; | / newline, "and" / "&", the Arabic and
# ideographic commas, and a comma unless what follows it is the row's province or country.
PLACE_SEPARATORS = re.compile(r"\s*(?:[;|/\n、،]|\s+and\s+|\s+&\s+)\s*", re.IGNORECASE)
# After a comma, an abbreviation qualifies the city rather than naming another ("Washington, D.C.").
ABBREVIATION = re.compile(r"^(?:[A-Z]\.){1,4}$|^[A-Z]{2,3}$")
# The importer's columns, as the tracker calls them (for its errors, reported on tracker lines).
TRACKER_COLUMN = {
    "key": "policy_id",
    "title": "type",
    "summary": "description",
    "city": "city",
    "country": "ISO_A2",
    "continent": "ISO_A2",
    "policy_areas": "type",
    "measure_types": "type",
    "start_date": "date_start",
    "end_date": "date_end",
    "body": "description",
    "source_urls": "link",
}


# --------------------------------------------------------------------------------------------
# The mapping table: tracker type / sub-category → policy areas and curated measure types
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Mapping:
    areas: tuple[str, ...]
    measures: tuple[str, ...]


def _fold(value: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", value or "")).strip().casefold()


@lru_cache(maxsize=1)
def mapping_table() -> dict[tuple[str, str], Mapping]:
    """(type, sub-category) → areas and measure-type slugs; sub-category "" is the type's default."""
    table: dict[tuple[str, str], Mapping] = {}
    with MAPPING_FILE.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            key = (_fold(row["type"]), _fold(row["type_sub_cat"]))
            table[key] = Mapping(
                areas=tuple(s.strip() for s in row["policy_areas"].split(";") if s.strip()),
                measures=tuple(s.strip() for s in row["measure_types"].split(";") if s.strip()),
            )
    return table


def map_type(kind: str, sub_cat: str) -> tuple[Mapping | None, bool]:
    """The mapping of a record's type and sub-category: (None, _) when the type is not in the
    table; the bool says whether the pair found measure types."""
    table = mapping_table()
    default = table.get((_fold(kind), ""))
    if default is None:
        return None, False
    specific = table.get((_fold(kind), _fold(sub_cat))) if sub_cat else None
    mapping = Mapping(
        areas=(specific.areas if specific and specific.areas else default.areas),
        measures=(specific.measures if specific else default.measures),
    )
    return mapping, bool(mapping.measures)


# --------------------------------------------------------------------------------------------
# Reading the release file
# --------------------------------------------------------------------------------------------
@dataclass
class Record:
    line: int
    record_id: str
    policy_id: str
    entry: str  # new | update | correction
    update_type: str
    city: str
    country: str
    province: str
    kind: str
    sub_cat: str
    description: str
    start: datetime.date | None
    end: datetime.date | None
    link: str


@dataclass
class Release:
    """A release file as read: its header (as written), every row's values, its records."""

    header: list[str]
    values: dict[int, dict[str, str]]  # line → {column as written: cell}
    records: list[Record] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    not_municipal: int = 0
    several_places: list[int] = field(default_factory=list)


def read_release(data: bytes) -> Release:
    """Every row of a CoronaNet release CSV, checked one by one (line-numbered errors); a file
    that cannot be read at all (not UTF-8, no header, a required column missing) raises."""
    text = decode_text(data)
    header: list[str] | None = None
    names: list[str] = []
    release = Release(header=[], values={})
    for start, cells in csv_records(text, release.errors):
        if header is None:
            header = [strip_controls(cell, multiline=False).replace("\x00", "").strip() for cell in cells]
            names = [name.lower() for name in header]
            missing = [name for name in REQUIRED_COLUMNS if name not in names]
            repeated = sorted({name for name in names if name and names.count(name) > 1})
            errors = []
            if missing:
                errors.append(
                    RowError(
                        start,
                        None,
                        _("missing column(s): %(columns)s (is this a CoronaNet release file?).")
                        % {"columns": ", ".join(missing)},
                    )
                )
            if repeated:
                errors.append(
                    RowError(
                        start,
                        None,
                        _("column(s) given twice: %(columns)s.") % {"columns": ", ".join(repeated)},
                    )
                )
            if errors:
                raise ImportFailed(errors)
            release.header = header
            continue
        if len(cells) != len(header):
            release.errors.append(
                RowError(
                    start,
                    None,
                    _("expected %(expected)d fields, found %(found)d.")
                    % {"expected": len(header), "found": len(cells)},
                )
            )
            release.values[start] = dict(zip(header, cells, strict=False))
            continue
        cells = [restore_cell(cell) for cell in cells]
        release.values[start] = dict(zip(header, cells, strict=True))
        row = {}
        for name, cell in zip(names, cells, strict=True):
            if "\x00" in cell and name in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS):
                release.errors.append(
                    RowError(
                        start,
                        name,
                        _("holds a NUL character (U+0000): save the file as UTF-8 text, not UTF-16."),
                    )
                )
            row[name] = strip_controls(cell, multiline=name in MULTILINE_COLUMNS).strip()
        _read_record(release, start, row)
    if header is None:
        raise ImportFailed([RowError(1, None, _("the file is empty: a header row is expected."))])
    return release


def _date(release: Release, line: int, column: str, value: str, required: bool) -> datetime.date | None:
    if not value:
        if required:
            release.errors.append(RowError(line, column, _("this column is required.")))
        return None
    try:
        return iso_date(value)
    except ValueError:
        release.errors.append(
            RowError(line, column, _("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": value[:40]})
        )
        return None


def places_in(cell: str, qualifiers: tuple[str, ...]) -> list[str]:
    """The places a city cell names: one, or several ("Dubai; Sharjah", "Abu Dhabi, Al Ain").
    A comma followed by the row's province or country qualifies the city ("Kazan, Tatarstan")."""
    parts = [part for part in PLACE_SEPARATORS.split(cell) if part.strip()]
    places = []
    known = {_fold(q) for q in qualifiers if q}
    for part in parts:
        pieces = [piece.strip() for piece in part.split(",") if piece.strip()]
        if not pieces:
            continue
        places.append(pieces[0])
        places.extend(
            piece for piece in pieces[1:] if _fold(piece) not in known and not ABBREVIATION.match(piece)
        )
    return places


def _read_record(release: Release, line: int, row: dict[str, str]) -> None:
    from django_countries import countries

    level = row.get("init_country_level", "")
    if _fold(level) != "municipal":
        if not level:
            release.errors.append(RowError(line, "init_country_level", _("this column is required.")))
        else:
            release.not_municipal += 1
        return
    before = len(release.errors)
    errors = release.errors
    record_id, policy_id = row.get("record_id", ""), row.get("policy_id", "")
    for column, value in (("record_id", record_id), ("policy_id", policy_id)):
        if not value:
            errors.append(RowError(line, column, _("this column is required.")))
        elif not ID_RE.match(value):
            errors.append(
                RowError(
                    line,
                    column,
                    _("“%(value)s” is not an id: letters, digits, - _ . : and at most 80 characters.")
                    % {"value": value[:90]},
                )
            )
    entry = ENTRY_TYPES.get(_fold(row.get("entry_type", "")))
    if entry is None:
        errors.append(
            RowError(
                line,
                "entry_type",
                _("“%(value)s” is not an entry type (new_entry, update or correction).")
                % {"value": row.get("entry_type", "")[:40]},
            )
        )
    country = row.get("iso_a2", "").upper()
    if not country:
        errors.append(RowError(line, "ISO_A2", _("this column is required.")))
    elif country not in countries:
        errors.append(
            RowError(
                line,
                "ISO_A2",
                _("“%(value)s” is not an ISO 3166-1 alpha-2 country code.") % {"value": country[:10]},
            )
        )
    city = row.get("city", "")
    if not city:
        errors.append(
            RowError(line, "city", _("a municipal record names its city: this column is required."))
        )
    else:
        places = places_in(city, (row.get("province", ""), row.get("country", ""), country))
        if len(places) > 1:
            release.several_places.append(line)
            errors.append(
                RowError(
                    line,
                    "city",
                    _("names several places (%(places)s): a case is one city; give one city per row.")
                    % {"places": "; ".join(places)[:200]},
                )
            )
        elif places:
            city = places[0]
        if len(city) > 100:
            errors.append(RowError(line, "city", _("at most %(max)d characters.") % {"max": 100}))
    kind = row.get("type", "")
    if not kind:
        errors.append(RowError(line, "type", _("this column is required.")))
    elif map_type(kind, row.get("type_sub_cat", ""))[0] is None:
        errors.append(
            RowError(
                line,
                "type",
                _("“%(value)s” is not in the mapping table (casestudies/data/coronanet_types.csv).")
                % {"value": kind[:80]},
            )
        )
    start = _date(release, line, "date_start", row.get("date_start", ""), required=True)
    end = _date(release, line, "date_end", row.get("date_end", ""), required=False)
    if start and end and end < start:
        errors.append(
            RowError(
                line,
                "date_end",
                _("the end date %(end)s is before the start date %(start)s.")
                % {"end": end.isoformat(), "start": start.isoformat()},
            )
        )
    link = row.get("link", "")
    if link and (not URL_RE.match(link) or len(link) > MAX_URL):
        errors.append(
            RowError(
                line,
                "link",
                _("“%(url)s” is not an http(s) URL of at most 2,000 characters.") % {"url": link[:200]},
            )
        )
    if len(errors) > before:
        return
    release.records.append(
        Record(
            line=line,
            record_id=record_id,
            policy_id=policy_id,
            entry=entry,
            update_type=row.get("update_type", ""),
            city=city,
            country=country,
            province=row.get("province", ""),
            kind=kind,
            sub_cat=row.get("type_sub_cat", ""),
            description=row.get("description", ""),
            start=start,
            end=end,
            link=link,
        )
    )


# --------------------------------------------------------------------------------------------
# Policies → rows of the import format
# --------------------------------------------------------------------------------------------
@dataclass
class Policy:
    policy_id: str
    records: list[Record]  # oldest first

    @property
    def key(self) -> str:
        return KEY_PREFIX + self.policy_id

    @property
    def lines(self) -> list[int]:
        return sorted(record.line for record in self.records)

    @property
    def first(self) -> Record:
        return self.records[0]


def _shorten(text: str, limit: int) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0] or text[: limit - 1]
    return cut.rstrip(" ,;:.") + "…"


def _is_end(record: Record) -> bool:
    return "end" in _fold(record.update_type).split()


def timeline_of(policy: Policy) -> list[tuple[str, dict]]:
    """The case's timeline: the policy's start, each update or correction, and its end."""
    events = []
    for number, record in enumerate(policy.records):
        kind = "start" if number == 0 else "end" if _is_end(record) else "change"
        events.append(
            (
                "event",
                {
                    "date": record.start,
                    "kind": kind,
                    "text": record.description,
                    "source": SOURCE_NAME,
                    "record": record.record_id,
                    "url": record.link,
                },
            )
        )
    last = policy.records[-1]
    if not any(value["kind"] == "end" for _kind, value in events) and last.end:
        events.append(
            (
                "event",
                {
                    "date": last.end,
                    "kind": "end",
                    "text": "",
                    "source": SOURCE_NAME,
                    "record": last.record_id,
                    "url": "",
                },
            )
        )
    return events


def _end_date(policy: Policy) -> datetime.date | None:
    last = policy.records[-1]
    if _is_end(last):
        return last.end or last.start
    return last.end


TIMELINE_FIELDS = ("date", "kind", "text", "source", "record", "url")


def _signature(raw_blocks) -> list[tuple[str, ...]]:
    """A timeline as stored (blocks as dicts, dates as text), comparable whatever its origin."""
    return [
        (
            block.get("type") or "",
            *(str((block.get("value") or {}).get(name) or "") for name in TIMELINE_FIELDS),
        )
        for block in raw_blocks
    ]


def _raw_events(events: list[tuple[str, dict]]) -> list[dict]:
    return [
        {"type": kind, "value": {**value, "date": value["date"].isoformat() if value["date"] else None}}
        for kind, value in events
    ]


def _stored_timeline(page) -> list[dict]:
    """The timeline editors last saved: read from the latest revision's content for a draft
    (as the importer compares the other fields: no page object built), else from the page."""
    if page.has_unpublished_changes and page.latest_revision_id:
        raw = page.latest_revision.content.get("timeline") or []
        return json.loads(raw) if isinstance(raw, str) else raw
    return list(page.timeline.raw_data)


@dataclass
class Conversion:
    release: Release
    policies: dict[str, Policy]  # key → policy (only those whose every record is valid)
    rows: list[dict[str, str]]  # import-format rows, one per policy, in `policies` order
    bad_policies: dict[str, list[int]]  # policy id → its lines, when one of them is invalid
    unmapped: Counter = field(default_factory=Counter)  # (type, sub-category) → records
    missing_measures: set[str] = field(default_factory=set)  # slugs in the table, not in the site


def convert(release: Release) -> Conversion:
    """Group the valid municipal records by policy and write one import row per policy."""
    from .models import MeasureType

    by_policy: dict[str, list[Record]] = defaultdict(list)
    seen_records: dict[str, int] = {}
    bad_lines = {error.line for error in release.errors}
    for record in release.records:
        if record.record_id in seen_records:
            release.errors.append(
                RowError(
                    record.line,
                    "record_id",
                    _("record “%(id)s” repeats line %(line)d.")
                    % {"id": record.record_id, "line": seen_records[record.record_id]},
                )
            )
            bad_lines.add(record.line)
            continue
        seen_records[record.record_id] = record.line
        by_policy[record.policy_id].append(record)
    # Lines of every municipal row of a policy, including invalid ones (a case is imported whole).
    lines_of: dict[str, list[int]] = defaultdict(list)
    for line, values in release.values.items():
        lowered = {name.lower(): value for name, value in values.items()}
        if _fold(lowered.get("init_country_level", "")) == "municipal" or line in bad_lines:
            policy_id = strip_controls(lowered.get("policy_id", ""), multiline=False).strip()
            if policy_id:
                lines_of[policy_id].append(line)

    known_measures = set(MeasureType.objects.values_list("slug", flat=True))
    conversion = Conversion(release=release, policies={}, rows=[], bad_policies={})
    for policy_id, records in by_policy.items():
        records.sort(key=lambda r: (r.start, r.entry != "new", r.line))
        first = records[0]
        for record in records[1:]:
            if _fold(record.city) != _fold(first.city) or record.country != first.country:
                release.errors.append(
                    RowError(
                        record.line,
                        "city",
                        _(
                            "policy %(policy)s is in %(city)s (%(country)s) on line %(line)d, not in %(other)s."
                        )
                        % {
                            "policy": policy_id,
                            "city": first.city,
                            "country": first.country,
                            "line": first.line,
                            "other": record.city,
                        },
                    )
                )
                bad_lines.add(record.line)
        bad_lines |= {error.line for error in release.errors}
        if any(line in bad_lines for line in lines_of[policy_id]):
            conversion.bad_policies[policy_id] = sorted(lines_of[policy_id])
            continue
        policy = Policy(policy_id, records)
        conversion.policies[policy.key] = policy
        conversion.rows.append(_row_of(policy, known_measures, conversion))
    for policy_id, lines in lines_of.items():
        if policy_id not in by_policy and any(line in bad_lines for line in lines):
            conversion.bad_policies[policy_id] = sorted(lines)
    return conversion


def _row_of(policy: Policy, known_measures: set[str], conversion: Conversion) -> dict[str, str]:
    from .city_forms import continent_for_country

    first = policy.first
    areas: list[str] = []
    measures: list[str] = []
    for record in policy.records:
        mapping, _found = map_type(record.kind, record.sub_cat)
        if mapping is None:  # cannot happen: refused when read
            continue
        areas.extend(mapping.areas)
        present = [slug for slug in mapping.measures if slug in known_measures]
        conversion.missing_measures.update(slug for slug in mapping.measures if slug not in known_measures)
        if not present:
            conversion.unmapped[(record.kind, record.sub_cat)] += 1
        measures.extend(present)
    title = f"{first.city}: {first.kind}" + (f" ({first.sub_cat})" if first.sub_cat else "")
    summary = _shorten(first.description, MAX_SUMMARY) or _shorten(title, MAX_SUMMARY)
    body = "\n\n".join(
        escape_text(part.strip()) for part in re.split(r"\n\s*\n", first.description) if part.strip()
    )
    sources = []
    for record in policy.records:
        if record.link and record.link not in {url for _title, url in sources}:
            sources.append(
                (
                    # Content, not interface: the same words whoever imports, so a re-import is unchanged.
                    f"{SOURCE_NAME}, record {record.record_id}",
                    record.link,
                )
            )
    end = _end_date(policy)
    return {
        "key": policy.key,
        "locale": "en",
        "title": _shorten(title, MAX_TITLE),
        "summary": summary,
        "city": first.city,
        "country": first.country,
        "continent": continent_for_country(first.country),
        "policy_areas": "; ".join(dict.fromkeys(areas)),
        "measure_types": "; ".join(escape_item(slug) for slug in dict.fromkeys(measures)),
        "start_date": first.start.isoformat(),
        "end_date": end.isoformat() if end and end >= first.start else "",
        "body": body,
        "outcomes": "",
        "source_urls": "; ".join(source_to_text(title, url) for title, url in sources),
        "contact_email": "",
    }


# --------------------------------------------------------------------------------------------
# Through the importer
# --------------------------------------------------------------------------------------------
@dataclass
class TrackerImport:
    """What a release file gives: the importer's plan (None when no case is valid), the rows
    set aside, and what the report says about the file."""

    connector: str
    conversion: Conversion
    plan: ImportPlan | None
    rejected: list[Rejected]

    @property
    def release(self) -> Release:
        return self.conversion.release

    def summary(self) -> list[str]:
        release = self.release
        lines = [
            ngettext(
                "%(n)d municipal tracker record read",
                "%(n)d municipal tracker records read",
                len(release.values) - release.not_municipal,
            )
            % {"n": len(release.values) - release.not_municipal}
            + ngettext(
                "; %(n)d record at another level (national, provincial…) left out.",
                "; %(n)d records at other levels (national, provincial…) left out.",
                release.not_municipal,
            )
            % {"n": release.not_municipal},
            ngettext(
                "%(n)d policy: one case, its updates as its timeline.",
                "%(n)d policies: one case each, their updates as its timeline.",
                len(self.conversion.policies),
            )
            % {"n": len(self.conversion.policies)},
        ]
        if release.several_places:
            lines.append(
                ngettext(
                    "%(n)d record names several places (line %(lines)s): set aside, not joined into one city.",
                    "%(n)d records name several places (lines %(lines)s): set aside, not joined into one city.",
                    len(release.several_places),
                )
                % {
                    "n": len(release.several_places),
                    "lines": ", ".join(str(n) for n in release.several_places[:30]),
                }
            )
        if self.conversion.unmapped:
            pairs = sorted(self.conversion.unmapped.items(), key=lambda item: (-item[1], item[0]))
            lines.append(
                _(
                    "Types with no measure type in the mapping table (imported with their policy area only): %(pairs)s."
                )
                % {
                    "pairs": "; ".join(
                        f"{kind}{' / ' + sub if sub else ''} ({count})" for (kind, sub), count in pairs[:40]
                    )
                }
            )
        if self.conversion.missing_measures:
            lines.append(
                _("Measure types named in the mapping table but not on this site (left out): %(slugs)s.")
                % {"slugs": ", ".join(sorted(self.conversion.missing_measures))}
            )
        if self.rejected:
            lines.append(
                ngettext("%(n)d record set aside.", "%(n)d records set aside.", len(self.rejected))
                % {"n": len(self.rejected)}
            )
        return lines

    def apply(self, user=None, progress=None) -> ImportResult | None:
        return write_pages(self.plan, user=user, progress=progress) if self.plan is not None else None


def _tracker_error(error: RowError, policy: Policy | None) -> RowError:
    """An importer error on a converted row, told on the tracker file's line."""
    if policy is None:
        return error
    column = TRACKER_COLUMN.get(error.column or "", error.column)
    return RowError(policy.first.line, column, error.message)


def _tracker_message(message: str) -> str:
    column, sep, rest = message.partition(": ")
    if sep and column in TRACKER_COLUMN:
        return f"{TRACKER_COLUMN[column]}: {rest}"
    return message


def prepare_tracker(
    data: bytes, connector: str = "coronanet", publish: bool = False, skip_invalid: bool = False
) -> TrackerImport:
    """Read, convert and validate a release file; the plan is the importer's.

    All or nothing by default (`ImportFailed` with every error, on the tracker's lines); with
    `skip_invalid` the invalid records, and the other records of their policy, are set aside."""
    if connector not in CONNECTORS:
        raise ImportFailed([RowError(0, None, _("unknown tracker “%(name)s”.") % {"name": connector})])
    release = read_release(data)
    conversion = convert(release)
    if release.errors and not skip_invalid:
        raise ImportFailed(sorted(release.errors, key=lambda e: (e.line, e.column or "")))
    rejected_lines: dict[int, list[str]] = defaultdict(list)
    for error in release.errors:
        rejected_lines[error.line].append(
            f"{error.column}: {error.message}" if error.column else error.message
        )
    for policy_id, lines in conversion.bad_policies.items():
        for line in lines:
            if line not in rejected_lines:
                rejected_lines[line].append(
                    _("another record of policy %(policy)s is invalid: a policy is imported whole.")
                    % {"policy": policy_id}
                )
    plan = None
    policies = list(conversion.policies.values())
    if conversion.rows:
        jsonl = "\n".join(json.dumps(row, ensure_ascii=False) for row in conversion.rows).encode()
        if skip_invalid:
            plan, rejected = prepare_skipping(jsonl, "jsonl", publish=publish)
            for item in rejected:
                policy = policies[item.line - 1] if 0 < item.line <= len(policies) else None
                if policy is None:
                    continue
                conversion.policies.pop(policy.key, None)
                messages = [_tracker_message(message) for message in item.errors]
                for line in policy.lines:
                    rejected_lines[line].extend(
                        messages
                        if line == policy.first.line
                        else [
                            _("another record of policy %(policy)s is invalid: a policy is imported whole.")
                            % {"policy": policy.policy_id}
                        ]
                    )
        else:
            try:
                plan = prepare(jsonl, "jsonl", publish=publish)
            except ImportFailed as failure:
                raise ImportFailed(
                    sorted(
                        (
                            _tracker_error(
                                error, policies[error.line - 1] if 0 < error.line <= len(policies) else None
                            )
                            for error in failure.errors
                        ),
                        key=lambda e: (e.line, e.column or ""),
                    )
                ) from None
    if plan is not None:
        _add_timelines(plan, conversion)
    rejected = [
        Rejected(line, dict(release.values.get(line, {})), messages)
        for line, messages in sorted(rejected_lines.items())
    ]
    return TrackerImport(connector=connector, conversion=conversion, plan=plan, rejected=rejected)


def _add_timelines(plan: ImportPlan, conversion: Conversion) -> None:
    """Each case gets its policy's timeline (a page field outside the import format); a case
    whose only change is its timeline is an update too."""
    for row in plan.rows:
        policy = conversion.policies.get(row.key)
        if policy is None:
            continue
        events = timeline_of(policy)
        row.extra["timeline"] = _stream_value(events)
        stored = _stored_timeline(row.page) if row.page is not None else None
        if row.action in ("unchanged", "publish") and _signature(stored) != _signature(_raw_events(events)):
            row.action = "update"


def _stream_value(events: list[tuple[str, dict]]):
    """The events as the timeline field's value (dates as the block stores them)."""
    from .blocks import TimelineBlock

    return TimelineBlock().to_python(_raw_events(events))


def write_rejects(tracker_import: TrackerImport) -> bytes:
    """The records set aside, in the release's own columns plus `error`: fixed (a row naming
    several places split into one row per city), the file imports again as it is."""
    release = tracker_import.release
    out = io.StringIO()
    columns = [column for column in release.header if column.lower() != REJECTS_COLUMN]
    writer = csv.DictWriter(
        out, fieldnames=[*columns, REJECTS_COLUMN], lineterminator="\n", extrasaction="ignore"
    )
    writer.writeheader()
    for item in tracker_import.rejected:
        values = {column: item.values.get(column, "") for column in columns}
        values[REJECTS_COLUMN] = _("line %(line)d: ") % {"line": item.line} + " | ".join(item.errors)
        writer.writerow(neutralise_row(values))
    return out.getvalue().encode()
