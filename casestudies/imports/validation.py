"""Validation of the rows read: each value checked and resolved (cities, policy areas, measure
types, links), the columns that translations share, and each row in the exporter's form (to tell
an unchanged case). Only read-only queries; the errors name the line, the column and the problem.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django_countries import countries

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.utils.text import slugify
from django.utils.translation import gettext as _

from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Locale, Page
from wagtail.rich_text import RichText

from casestudies.models import (
    CaseStudyIndexPage,
    CaseStudyPage,
    City,
    Continent,
    ImportedCase,
    MeasureType,
    PolicyArea,
)
from ops.ids import MAX_INTEGER

from ..evidence import inspiration_graph, loop_through, outcome_problems
from ..exporter import (
    FIELD_SEPARATOR,
    LIST_SEPARATOR,
    REQUIREMENT_COLUMNS,
    body_to_markdown,
    escape_item,
    inspiration_to_text,
    outcome_line,
    requirement_text,
    richtext_to_markdown,
    source_to_text,
)
from .errors import RowError
from .markdown import MarkupError, Refs, markdown_to_blocks, markdown_to_richtext, unescape
from .reading import RawRow, split_list

LOCALES = ("en", "ko")
REQUIRED_COLUMNS = ("key", "locale", "title", "summary", "city", "policy_areas", "start_date")
# What translations of one case share (wagtail-localize synchronises these fields).
SHARED_COLUMNS = (
    "city",
    "country",
    "continent",
    "policy_areas",
    "measure_types",
    "start_date",
    "end_date",
    "source_urls",
    "contact_email",
    "inspired_by",
)
_URL_VALIDATOR = URLValidator(schemes=["http", "https"])
KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def iso_date(value: str) -> datetime.date:
    """A date written exactly YYYY-MM-DD (fromisoformat alone also takes 20200315 and week dates);
    raises ValueError otherwise."""
    if not DATE_RE.match(value):
        raise ValueError(value)
    return datetime.date.fromisoformat(value)


MAX_TITLE = 255
MAX_SUMMARY = 300
MAX_CITY = 100
MAX_MEASURE = 100
MAX_URL = 2000
MAX_SOURCE_TITLE = 255


@dataclass
class NewCity:
    name: str
    country: str
    continent: str
    slug: str = ""
    instance: object = None
    aliases: dict[str, str] = field(default_factory=dict)  # other spellings in the file

    def __str__(self) -> str:
        return f"{self.name} ({self.country}, {self.continent})"


@dataclass
class NewMeasure:
    name: str
    slug: str = ""
    instance: object = None

    def __str__(self) -> str:
        return self.name


@dataclass
class CleanRow:
    line: int
    key: str
    locale: str
    title: str
    summary: str
    city: object  # City | NewCity
    areas: list  # PolicyArea rows in the row's locale
    measures: list  # MeasureType | NewMeasure
    start_date: datetime.date
    end_date: datetime.date | None
    body: list[tuple[str, object]]
    outcomes: str
    sources: list[tuple[str, str]]  # (title or "", url)
    contact_email: str
    # Issue 16; None: the column is absent from the file (the case keeps what it has).
    evidence: list[dict] | None = None
    inspirations: list[tuple[str, str]] | None = None  # (key of the inspiring case, note)
    requirements: dict | None = None  # what it takes: field → value, the columns present only
    resolved_inspirations: list[tuple[str, str, object]] = field(default_factory=list)  # + translation key
    canonical: dict[str, str] = field(default_factory=dict)
    action: str = "create"  # create | update | unchanged | publish
    slug: str = ""
    page: object = None  # the existing page (specific), when there is one
    # Page fields outside the format, set by a connector (casestudies.tracker: the timeline).
    extra: dict[str, object] = field(default_factory=dict)


def _norm(value: str) -> str:
    return re.sub(r"\s+", " ", (value or "").strip()).casefold()


def _fold(value: str) -> str:
    """A city name as the import compares it: case, accents and spacing aside (Timișoara =
    Timisoara = TIMISOARA; Hangul and other scripts are unchanged)."""
    decomposed = unicodedata.normalize("NFKD", _norm(value))
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))


class _Validator:
    def __init__(self, publish: bool):
        self.publish = publish
        self.errors: list[RowError] = []
        self.continents = set(Continent.values)
        self.locales = {
            locale.language_code: locale for locale in Locale.objects.filter(language_code__in=LOCALES)
        }
        self.indexes = {}
        for index in CaseStudyIndexPage.objects.filter(locale__language_code__in=LOCALES).select_related(
            "locale"
        ):
            self.indexes.setdefault(index.locale.language_code, index)
        self.areas: dict[str, dict[str, object]] = defaultdict(dict)  # locale → slug → area
        for area in PolicyArea.objects.select_related("locale"):
            self.areas[area.locale.language_code][area.slug] = area
        self.all_area_slugs = sorted({slug for by_slug in self.areas.values() for slug in by_slug})
        self.cities: dict[str, list] = defaultdict(list)
        self.city_slugs = set()
        for city in City.objects.all():
            names = [city.name, city.name_ko, city.slug, *city.alias_list]
            for name in {_fold(name) for name in names}:
                if name:
                    self.cities[name].append(city)
            self.city_slugs.add(city.slug)
        self.measures: dict[str, object] = {}
        self.measure_slugs = set()
        for measure in MeasureType.objects.all():
            for name in (measure.slug, measure.name_ko, measure.name):
                if name:
                    self.measures[_norm(name)] = measure
            self.measure_slugs.add(measure.slug)
        self.new_cities: dict[tuple[str, str], NewCity] = {}
        self.new_measures: dict[str, NewMeasure] = {}
        self.new_aliases: dict[int, dict[str, str]] = {}  # city pk → other spellings met
        self.inherited: dict[int, set[str]] = {}

    def error(self, line: int, column: str | None, message: str) -> None:
        # A value taken from another row is reported once, on the row that gave it.
        if column and column in self.inherited.get(line, ()):
            return
        self.errors.append(RowError(line, column, message))

    # -- single values ----------------------------------------------------------------
    def text(self, raw: RawRow, column: str, maximum: int, required: bool) -> str:
        value = (raw.values.get(column) or "").strip()
        if required and not value:
            self.error(raw.line, column, _("this column is required."))
        elif len(value) > maximum:
            self.error(
                raw.line,
                column,
                _("%(length)d characters, at most %(max)d are allowed.")
                % {"length": len(value), "max": maximum},
            )
        return value

    def date(self, raw: RawRow, column: str, required: bool) -> datetime.date | None:
        value = (raw.values.get(column) or "").strip()
        if not value:
            if required:
                self.error(raw.line, column, _("this column is required."))
            return None
        try:
            return iso_date(value)
        except ValueError:
            self.error(raw.line, column, _("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": value})
            return None

    def city(self, raw: RawRow):
        name = (raw.values.get("city") or "").strip()
        country = (raw.values.get("country") or "").strip().upper()
        continent = (raw.values.get("continent") or "").strip().lower()
        line = raw.line
        ok = True
        if not name:
            self.error(line, "city", _("this column is required."))
            ok = False
        elif len(name) > MAX_CITY:
            self.error(line, "city", _("at most %(max)d characters.") % {"max": MAX_CITY})
            ok = False
        if country and country not in countries:
            self.error(
                line,
                "country",
                _("“%(value)s” is not an ISO 3166-1 alpha-2 country code.") % {"value": country},
            )
            ok = False
        if continent and continent not in self.continents:
            self.error(
                line,
                "continent",
                _("unknown continent “%(value)s” (one of: %(known)s).")
                % {"value": continent, "known": ", ".join(sorted(self.continents))},
            )
            ok = False
        if not ok:
            return None
        matches = self.cities.get(_fold(name), [])
        if country:
            matches = [city for city in matches if city.country.code == country]
        if len(matches) > 1:
            self.error(line, "city", _("“%(name)s” names several cities: give its country.") % {"name": name})
            return None
        if matches:
            city = matches[0]
            known = {_norm(n) for n in (city.name, city.name_ko, *city.alias_list)}
            if _norm(name) not in known:  # another spelling: kept as an alias
                self.new_aliases.setdefault(city.pk, {})[_norm(name)] = name
            if continent and continent != city.continent:
                self.error(
                    line,
                    "continent",
                    _("“%(value)s” does not match %(city)s, which is in “%(continent)s”.")
                    % {"value": continent, "city": city.name, "continent": city.continent},
                )
                return None
            return city
        # An unknown city is created with its country and continent.
        missing = [column for column, value in (("country", country), ("continent", continent)) if not value]
        for column in missing:
            self.error(
                line,
                column,
                _("“%(name)s” is a new city: its %(column)s is required to create it.")
                % {"name": name, "column": column},
            )
        if missing:
            return None
        key = (_fold(name), country)
        if key not in self.new_cities:
            self.new_cities[key] = NewCity(name=name, country=country, continent=continent)
        new_city = self.new_cities[key]
        if _norm(name) != _norm(new_city.name):
            new_city.aliases.setdefault(_norm(name), name)
        if new_city.continent != continent:
            self.error(
                line,
                "continent",
                _("“%(value)s” differs from “%(other)s” given for the same new city.")
                % {"value": continent, "other": new_city.continent},
            )
            return None
        return new_city

    def areas_for(self, raw: RawRow, locale: str) -> list:
        slugs = split_list(raw.values.get("policy_areas", ""))
        if not slugs:
            self.error(raw.line, "policy_areas", _("at least one policy area is required."))
            return []
        found = []
        for slug in dict.fromkeys(slugs):
            area = self.areas.get(locale, {}).get(slug) or self.areas.get("en", {}).get(slug)
            if area is None:
                self.error(
                    raw.line,
                    "policy_areas",
                    _("unknown policy area “%(slug)s” (known: %(known)s).")
                    % {"slug": slug, "known": ", ".join(self.all_area_slugs)},
                )
            else:
                found.append(area)
        return found

    def measures_for(self, raw: RawRow) -> list:
        found = []
        for name in dict.fromkeys(split_list(raw.values.get("measure_types", ""))):
            if len(name) > MAX_MEASURE:
                self.error(
                    raw.line,
                    "measure_types",
                    _("“%(name)s…” is longer than %(max)d characters.")
                    % {"name": name[:30], "max": MAX_MEASURE},
                )
                continue
            measure = self.measures.get(_norm(name))
            if measure is None:
                measure = self.new_measures.setdefault(_norm(name), NewMeasure(name=name))
            if measure not in found:
                found.append(measure)
        return found

    def sources(self, raw: RawRow) -> list[tuple[str, str]]:
        found = []
        validate = _URL_VALIDATOR
        for item in split_list(raw.values.get("source_urls", "")):
            title, url = "", item
            link = re.match(r"^\[((?:[^\]\\]|\\.)*)\]\((\S+)\)$", item)
            if link:
                title, url = unescape(link.group(1)).strip(), link.group(2)
            try:
                validate(url)
            except ValidationError:
                self.error(
                    raw.line, "source_urls", _("“%(url)s” is not a valid http(s) URL.") % {"url": url[:200]}
                )
                continue
            if len(url) > MAX_URL:
                self.error(
                    raw.line, "source_urls", _("a URL is at most %(max)d characters.") % {"max": MAX_URL}
                )
                continue
            if len(title) > MAX_SOURCE_TITLE:
                self.error(
                    raw.line,
                    "source_urls",
                    _("a source title is at most %(max)d characters.") % {"max": MAX_SOURCE_TITLE},
                )
                continue
            found.append((title, url))
        return found

    # -- issue 16: graded outcomes, inspirations, what it takes -------------------------
    def _date_text(self, raw: RawRow, column: str, value: str, what: str) -> datetime.date | None:
        if not value:
            return None
        try:
            return iso_date(value)
        except ValueError:
            self.error(
                raw.line,
                column,
                _("%(what)s “%(value)s” is not a date (YYYY-MM-DD).") % {"what": what, "value": value[:40]},
            )
            return None

    def evidence(self, raw: RawRow) -> list[dict]:
        """One graded outcome per line: level | indicator | baseline value | baseline date |
        result value | result date | source URL (docs/import-format.md)."""
        found = []
        text = (raw.values.get("evidence") or "").replace("\r\n", "\n")
        for number, line in enumerate(text.split("\n"), start=1):
            if not line.strip():
                continue
            fields = [unescape(part.strip()) for part in re.split(r"(?<!\\)\|", line)]
            fields += [""] * (7 - len(fields))
            where = _("outcome %(n)d") % {"n": number}
            if len(fields) > 7:
                self.error(raw.line, "evidence", _("%(where)s has more than 7 fields.") % {"where": where})
                continue
            level, indicator, baseline_value, baseline_date, result_value, result_date, source = fields
            before = len(self.errors)
            if not indicator:
                self.error(raw.line, "evidence", _("%(where)s has no indicator.") % {"where": where})
            elif len(indicator) > 200 or len(baseline_value) > 60 or len(result_value) > 60:
                self.error(
                    raw.line,
                    "evidence",
                    _("%(where)s: an indicator is at most 200 characters, a value 60.") % {"where": where},
                )
            baseline_day = self._date_text(raw, "evidence", baseline_date, where)
            result_day = self._date_text(raw, "evidence", result_date, where)
            if source:
                try:
                    _URL_VALIDATOR(source)
                    if len(source) > MAX_URL:
                        raise ValidationError("long")
                except ValidationError:
                    self.error(
                        raw.line,
                        "evidence",
                        _("%(where)s: “%(url)s” is not a valid http(s) URL.")
                        % {"where": where, "url": source[:200]},
                    )
            problems = outcome_problems(
                level=level,
                result_value=result_value,
                result_date=result_day,
                baseline_value=baseline_value,
                baseline_date=baseline_day,
            )
            # A date given but not readable is already reported as such.
            if baseline_date and baseline_day is None:
                problems.pop("baseline_date", None)
            if result_date and result_day is None:
                problems.pop("result_date", None)
            for message in problems.values():
                self.error(raw.line, "evidence", f"{where}: {message}")
            if len(self.errors) == before:
                found.append(
                    {
                        "level": int(level),
                        "indicator": indicator,
                        "baseline_value": baseline_value,
                        "baseline_date": baseline_day,
                        "result_value": result_value,
                        "result_date": result_day,
                        "source_url": source,
                    }
                )
        return found

    def inspirations(self, raw: RawRow) -> list[tuple[str, str]]:
        """`key` or `key | note` items; the keys are resolved and checked for loops later."""
        found: list[tuple[str, str]] = []
        for item in split_list(raw.values.get("inspired_by", "")):
            key, _sep, note = item.partition(FIELD_SEPARATOR.strip())
            key, note = key.strip(), " ".join(note.split())
            if not KEY_RE.match(key):
                self.error(
                    raw.line, "inspired_by", _("“%(key)s” is not a key of a case.") % {"key": key[:120]}
                )
                continue
            if len(note) > 300:
                self.error(raw.line, "inspired_by", _("a note is at most 300 characters."))
                continue
            if key in [k for k, _n in found]:
                self.error(raw.line, "inspired_by", _("“%(key)s” is named twice.") % {"key": key})
                continue
            found.append((key, note))
        return found

    def requirements(self, raw: RawRow) -> dict | None:
        """What it takes: the columns the row has, checked as the admin form checks them."""
        present = [column for column in REQUIREMENT_COLUMNS if column in raw.present]
        if not present:
            return None
        limits = {"cost_currency": 12, "staff": 200, "legal_basis": 300}
        values: dict = {}
        for column in present:
            value = (raw.values.get(column) or "").strip()
            if column == "cost_amount":
                if not value:
                    values[column] = None
                    continue
                try:
                    amount = Decimal(value.replace(",", ""))
                    if not amount.is_finite() or amount.as_tuple().exponent < -2 or abs(amount) >= 10**16:
                        raise InvalidOperation
                except InvalidOperation:
                    self.error(
                        raw.line,
                        column,
                        _("“%(value)s” is not an amount (e.g. 1500000 or 12.50).") % {"value": value[:40]},
                    )
                    continue
                if amount < 0:
                    self.error(raw.line, column, _("a cost cannot be negative."))
                    continue
                values[column] = amount
            elif column in ("cost_year", "launch_days"):
                if not value:
                    values[column] = None
                    continue
                if (
                    not (value.isascii() and value.isdigit())
                    or (column == "cost_year" and not 1900 <= int(value) <= 2100)
                    or int(value) > 100_000
                ):
                    message = (
                        _("“%(value)s” is not a year.")
                        if column == "cost_year"
                        else _("“%(value)s” is not a whole number of days.")
                    )
                    self.error(raw.line, column, message % {"value": value[:40]})
                    continue
                values[column] = int(value)
            elif column == "legal_basis_url":
                if value:
                    try:
                        _URL_VALIDATOR(value)
                        if len(value) > MAX_URL:
                            raise ValidationError("long")
                    except ValidationError:
                        self.error(
                            raw.line,
                            column,
                            _("“%(url)s” is not a valid http(s) URL.") % {"url": value[:200]},
                        )
                        continue
                values[column] = value
            else:
                if column in limits and len(value) > limits[column]:
                    self.error(
                        raw.line,
                        column,
                        _("%(length)d characters, at most %(max)d are allowed.")
                        % {"length": len(value), "max": limits[column]},
                    )
                    continue
                values[column] = value
        return values

    def email(self, raw: RawRow) -> str:
        value = (raw.values.get("contact_email") or "").strip()
        if value:
            try:
                EmailValidator()(value)
            except ValidationError:
                self.error(
                    raw.line, "contact_email", _("“%(value)s” is not an e-mail address.") % {"value": value}
                )
        return value

    def markup(self, raw: RawRow, column: str, refs: Refs, rich_only: bool):
        try:
            if rich_only:
                return markdown_to_richtext(raw.values.get(column, ""), refs)
            return markdown_to_blocks(raw.values.get(column, ""), refs)
        except MarkupError as exc:
            self.error(raw.line, column, str(exc))
            return "" if rich_only else []


# Shared columns a row may leave empty to take them from an existing page of the same case.
INHERITED_FROM_EXISTING = ("city", "country", "continent", "policy_areas", "start_date")


def _inherit_shared_values(rows: list[RawRow], existing: dict[str, dict[str, str]]) -> None:
    """Translations share some columns: an empty one takes the value of another row of the same key.

    When no row of the key gives a required shared column (city, areas, start date), it comes from
    the case's existing page. Conflicting values are reported after resolution (`_check_shared`).
    """
    by_key: dict[str, list[RawRow]] = defaultdict(list)
    for raw in rows:
        by_key[raw.values["key"]].append(raw)
    for key, group in by_key.items():
        city_given = any((raw.values.get("city") or "").strip() for raw in group)
        for column in SHARED_COLUMNS:
            values = [(raw.values.get(column) or "").strip() for raw in group]
            given = next((value for value in values if value), "")
            # From the existing page: the required shared columns, and a country and continent
            # only along with the city they belong to.
            from_existing = column in INHERITED_FROM_EXISTING and (
                column not in ("country", "continent") or not city_given
            )
            if not given and from_existing:
                given = existing.get(key, {}).get(column, "")
            for raw in group:
                if not (raw.values.get(column) or "").strip() and given:
                    raw.values[column] = given
                    raw.inherited.add(column)


def _shared_identity(row: CleanRow) -> dict[str, object]:
    city = None if row.city is None else row.city.pk if hasattr(row.city, "pk") else id(row.city)
    return {
        "city": city,
        "policy_areas": frozenset(area.slug for area in row.areas),
        "measure_types": frozenset(id(m) if not hasattr(m, "pk") else m.pk for m in row.measures),
        "start_date": row.start_date,
        "end_date": row.end_date,
        "source_urls": tuple(url for _title, url in row.sources),
        "contact_email": row.contact_email.casefold(),
    }


def _check_shared(validator: _Validator, rows: list[CleanRow], raws: dict[int, RawRow]) -> None:
    first: dict[str, CleanRow] = {}
    errored = {(error.line, error.column) for error in validator.errors}
    errored |= {
        (error.line, "city") for error in validator.errors if error.column in ("country", "continent")
    }
    for row in rows:
        if row.key not in first:
            first[row.key] = row
            continue
        other = first[row.key]
        mine, theirs = _shared_identity(row), _shared_identity(other)
        for column, value in mine.items():
            # A value that did not resolve (already reported) is not compared.
            if {(row.line, column), (other.line, column)} & errored:
                continue
            if column in ("city", "start_date") and (value is None or theirs[column] is None):
                continue
            if value != theirs[column]:
                validator.error(
                    row.line,
                    column,
                    _(
                        "“%(value)s” differs from line %(line)d (“%(other)s”): the translations of a case "
                        "share this column; repeat the value or leave it empty."
                    )
                    % {
                        "value": (raws[row.line].values.get(column) or "")[:80],
                        "line": other.line,
                        "other": (raws[other.line].values.get(column) or "")[:80],
                    },
                )


def _canonical(row: CleanRow) -> dict[str, str]:
    """The row as the exporter would write it back (the comparison basis for "unchanged")."""
    body = [_Block(kind, _native(kind, value)) for kind, value in row.body]
    measures = sorted((str(m.name) for m in row.measures), key=str.casefold)
    areas = sorted(row.areas, key=lambda area: (area.sort_order, area.slug))
    city = row.city
    return {
        "title": row.title,
        "summary": row.summary,
        "city": city.name,
        "country": str(city.country.code) if hasattr(city.country, "code") else city.country,
        "continent": city.continent,
        "policy_areas": LIST_SEPARATOR.join(dict.fromkeys(area.slug for area in areas)),
        "measure_types": LIST_SEPARATOR.join(escape_item(name) for name in measures),
        "start_date": row.start_date.isoformat(),
        "end_date": row.end_date.isoformat() if row.end_date else "",
        "body": body_to_markdown(body),
        "outcomes": richtext_to_markdown(row.outcomes),
        "source_urls": LIST_SEPARATOR.join(source_to_text(title or url, url) for title, url in row.sources),
        "contact_email": row.contact_email,
        **_canonical_issue16(row),
    }


def _canonical_issue16(row: CleanRow) -> dict[str, str]:
    """The optional columns the row has, as the exporter writes them."""
    out: dict[str, str] = {}
    if row.evidence is not None:
        out["evidence"] = "\n".join(
            outcome_line(
                o["level"],
                o["indicator"],
                o["baseline_value"],
                o["baseline_date"],
                o["result_value"],
                o["result_date"],
                o["source_url"],
            )
            for o in row.evidence
        )
    if row.inspirations is not None:
        out["inspired_by"] = LIST_SEPARATOR.join(
            inspiration_to_text(key, note) for key, note in row.inspirations
        )
    for column, value in (row.requirements or {}).items():
        out[column] = requirement_text(value)
    return out


@dataclass
class _Block:
    block_type: str
    value: object


def _native(kind: str, value):
    """Block values for a StreamValue: rich text as RichText, chooser ids as they are (resolved later)."""
    if kind == "paragraph":
        return RichText(value)
    return value


def case_translation_keys(keys) -> dict[str, uuid.UUID]:
    """External keys of existing cases → their translation keys (import keys, else slugs)."""
    found = dict(ImportedCase.objects.filter(key__in=keys).values_list("key", "translation_key"))
    missing = {slugify(key): key for key in keys if key not in found}
    if missing:
        rows = (
            CaseStudyPage.objects.filter(slug__in=list(missing))
            .order_by("pk")
            .values_list("slug", "translation_key", "locale__language_code")
        )
        for slug, translation_key, language in rows:
            key = missing[slug]
            if key not in found or language == "en":
                found[key] = translation_key
    return found


def _check_inspirations(validator: _Validator, rows: list[CleanRow], translation_keys: dict) -> None:
    """Every named case exists (in the file or on the site); none names itself; no loop, counting
    the links already on the site with those of the file in place of the ones they replace."""
    named = {key for row in rows if row.inspirations for key, _note in row.inspirations}
    outside = case_translation_keys([key for key in named if key not in translation_keys])
    resolve = {**outside, **translation_keys}
    graph = inspiration_graph()
    for row in rows:
        if row.inspirations is not None:
            graph[translation_keys[row.key]] = set()
    for row in rows:
        for key, _note in row.inspirations or []:
            if key in resolve:
                graph[translation_keys[row.key]].add(resolve[key])
    for row in rows:
        kept = []
        for key, note in row.inspirations or []:
            mine = translation_keys[row.key]
            if key not in resolve:
                validator.error(
                    row.line, "inspired_by", _("no case has the key “%(key)s”.") % {"key": key[:100]}
                )
            elif resolve[key] == mine:
                validator.error(row.line, "inspired_by", _("a case cannot be inspired by itself."))
            elif loop_through(graph, resolve[key], mine):
                validator.error(
                    row.line,
                    "inspired_by",
                    _("“%(key)s” was itself inspired, directly or through others, by this case: a loop.")
                    % {"key": key},
                )
            else:
                kept.append((key, note, resolve[key]))
        if row.inspirations is not None:
            row.resolved_inspirations = kept


def _check_refs(validator: _Validator, line: int, refs: Refs, row: CleanRow) -> None:
    checks = (
        (refs.pages, Page, _("page")),
        (refs.documents, get_document_model(), _("document")),
        (refs.images, get_image_model(), _("image")),
    )
    for ids, model, label in checks:
        if not ids:
            continue
        # An id past the largest database integer names nothing, and SQLite refuses to compare it.
        possible = {pk for pk in ids if pk <= MAX_INTEGER}
        found = set(model.objects.filter(pk__in=possible).values_list("pk", flat=True)) if possible else set()
        for missing in sorted(ids - found):
            validator.error(
                line, "body", _("there is no %(kind)s with id %(id)d.") % {"kind": label, "id": missing}
            )
