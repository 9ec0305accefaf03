"""Planning an import: `prepare()` reads and validates a whole file, then says for each row what
to do (create a page, a new revision, publish, or nothing), which cities and measure types are new,
and which slugs new pages take. `prepare_skipping()` plans the valid rows only (--skip-invalid),
and `write_rejects()` writes the others back with their errors. Nothing here writes.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from wagtail.models import Page

from casestudies.models import CaseStudyPage, CaseStudySource, ImportedCase, TaggedCaseStudy
from ops.spreadsheet import neutralise_row
from ops.text import ascii_slug

from ..exporter import COLUMNS, Lookups, current_row
from .errors import MAX_ERRORS, ImportFailed
from .markdown import Refs
from .reading import REJECTS_COLUMN, RawRow, read_rows
from .validation import (
    KEY_RE,
    LOCALES,
    MAX_SUMMARY,
    MAX_TITLE,
    CleanRow,
    NewCity,
    NewMeasure,
    _canonical,
    _check_inspirations,
    _check_refs,
    _check_shared,
    _inherit_shared_values,
    _Validator,
)


@dataclass
class ImportPlan:
    """What an import will do, row by row; `casestudies.imports.writing.write_pages` does it."""

    rows: list[CleanRow]
    new_cities: list[NewCity]
    new_measures: list[NewMeasure]
    translation_keys: dict[str, uuid.UUID]  # key → translation key (new groups get a fresh one)
    new_records: set[str]  # keys that get an ImportedCase row
    indexes: dict[str, Page]
    publish: bool
    new_aliases: dict[int, dict[str, str]] = field(default_factory=dict)

    @property
    def counts(self) -> dict[str, int]:
        counts = {"create": 0, "update": 0, "publish": 0, "unchanged": 0}
        for row in self.rows:
            counts[row.action] += 1
        return counts

    def summary(self) -> list[str]:
        counts = self.counts
        lines = [
            ngettext("%(n)d row read.", "%(n)d rows read.", len(self.rows)) % {"n": len(self.rows)},
            _("%(create)d to create, %(update)d to update, %(publish)d to publish, %(unchanged)d unchanged.")
            % counts,
        ]
        if self.new_cities:
            lines.append(
                _("New cities: %(names)s.") % {"names": ", ".join(str(city) for city in self.new_cities)}
            )
        if self.new_measures:
            lines.append(
                _("New measure types: %(names)s.")
                % {"names": ", ".join(str(measure) for measure in self.new_measures)}
            )
        return lines


def _existing_groups(keys: list[str], validator: _Validator):
    """key → (translation key, {locale: page}) for keys already imported, or adopted by slug."""
    records = dict(ImportedCase.objects.filter(key__in=keys).values_list("key", "translation_key"))
    recorded_tks = set(ImportedCase.objects.values_list("translation_key", flat=True))
    adopt = {}
    missing = [key for key in keys if key not in records]
    if missing:
        slugs = {slugify(key): key for key in missing}
        candidates = (
            CaseStudyPage.objects.filter(slug__in=list(slugs))
            .exclude(translation_key__in=recorded_tks)
            .values_list("slug", "translation_key", "locale__language_code")
            .order_by("pk")
        )
        for slug, translation_key, language in candidates:
            key = slugs[slug]
            if key not in adopt or language == "en":
                adopt[key] = translation_key
    tks = {**records, **adopt}
    pages_by_tk: dict[uuid.UUID, dict[str, object]] = defaultdict(dict)
    pages = (
        CaseStudyPage.objects.filter(translation_key__in=set(tks.values()))
        .select_related("city", "locale", "latest_revision")
        .prefetch_related(
            "policy_areas",
            Prefetch("tagged_measures", queryset=TaggedCaseStudy.objects.select_related("tag")),
            Prefetch("sources", queryset=CaseStudySource.objects.order_by("sort_order", "pk")),
        )
    )
    for page in pages:
        pages_by_tk[page.translation_key][page.locale.language_code] = page
    taken: dict[uuid.UUID, str] = {}
    for key, translation_key in tks.items():
        if translation_key in taken:
            validator.error(
                0,
                None,
                _("keys “%(a)s” and “%(b)s” name the same case.") % {"a": taken[translation_key], "b": key},
            )
        taken[translation_key] = key
    return records, adopt, {key: (tk, pages_by_tk.get(tk, {})) for key, tk in tks.items()}


def _latest(page):
    if page.has_unpublished_changes and page.latest_revision_id:
        return page.latest_revision.as_object()
    return page


def prepare(
    data: bytes, fmt: str, publish: bool = False, skip_lines: frozenset[int] = frozenset()
) -> ImportPlan:
    """Read and validate a whole file; raise `ImportFailed` with every error, or return the plan.

    `skip_lines`: rows (by their first line) left out, as if absent (see `prepare_skipping`)."""
    raw_rows, read_errors = read_rows(data, fmt)
    if skip_lines:
        raw_rows = [raw for raw in raw_rows if raw.line not in skip_lines]
        read_errors = [error for error in read_errors if error.line not in skip_lines]
    validator = _Validator(publish)
    validator.errors.extend(read_errors)

    # Keys, locales and duplicates first: they decide how rows group.
    seen: dict[tuple[str, str], int] = {}
    usable: list[RawRow] = []
    for raw in raw_rows:
        key = (raw.values.get("key") or "").strip()
        locale = (raw.values.get("locale") or "").strip().lower()
        ok = True
        if not key:
            validator.error(raw.line, "key", _("this column is required."))
            ok = False
        elif not KEY_RE.match(key) or not slugify(key):
            validator.error(
                raw.line,
                "key",
                _("“%(key)s” is not a key: letters, digits, - _ . : and at most 100 characters.")
                % {"key": key[:120]},
            )
            ok = False
        if locale not in LOCALES:
            validator.error(
                raw.line,
                "locale",
                _("“%(value)s” is not a language of the site (en or ko).") % {"value": locale},
            )
            ok = False
        elif locale not in validator.indexes:
            validator.error(
                raw.line,
                "locale",
                _("there is no case-study index page in “%(locale)s” to import into.") % {"locale": locale},
            )
            ok = False
        if ok and (key, locale) in seen:
            validator.error(
                raw.line,
                "key",
                _("“%(key)s” in “%(locale)s” repeats line %(line)d.")
                % {"key": key, "locale": locale, "line": seen[(key, locale)]},
            )
            ok = False
        if ok:
            seen[(key, locale)] = raw.line
            raw.values["key"], raw.values["locale"] = key, locale
            usable.append(raw)

    keys = list(dict.fromkeys(raw.values["key"] for raw in usable))
    records, adopted, groups = _existing_groups(keys, validator)
    # Columns a translation row leaves empty may come from an existing page of the same case.
    lookups = Lookups()
    inherited: dict[str, dict[str, str]] = {}
    for key, (_tk, pages) in groups.items():
        if pages:
            page = pages.get("en") or next(iter(pages.values()))
            inherited[key] = current_row(page, key, lookups)
    _inherit_shared_values(usable, inherited)
    validator.inherited = {raw.line: raw.inherited for raw in usable}

    rows: list[CleanRow] = []
    for raw in usable:
        locale = raw.values["locale"]
        refs = Refs()
        row = CleanRow(
            line=raw.line,
            key=raw.values["key"],
            locale=locale,
            title=validator.text(raw, "title", MAX_TITLE, required=True),
            summary=validator.text(raw, "summary", MAX_SUMMARY, required=True),
            city=validator.city(raw),
            areas=validator.areas_for(raw, locale),
            measures=validator.measures_for(raw),
            start_date=validator.date(raw, "start_date", required=True),
            end_date=validator.date(raw, "end_date", required=False),
            body=validator.markup(raw, "body", refs, rich_only=False),
            outcomes=validator.markup(raw, "outcomes", refs, rich_only=True),
            sources=validator.sources(raw),
            contact_email=validator.email(raw),
            evidence=validator.evidence(raw) if "evidence" in raw.present else None,
            inspirations=validator.inspirations(raw) if "inspired_by" in raw.present else None,
            requirements=validator.requirements(raw),
        )
        if row.start_date and row.end_date and row.end_date < row.start_date:
            validator.error(
                raw.line,
                "end_date",
                _("the end date %(end)s is before the start date %(start)s.")
                % {"end": row.end_date.isoformat(), "start": row.start_date.isoformat()},
            )
        _check_refs(validator, raw.line, refs, row)
        rows.append(row)
        if len(validator.errors) > MAX_ERRORS:
            break
    _check_shared(validator, rows, {raw.line: raw for raw in usable})
    translation_keys: dict[str, uuid.UUID] = {}
    for key in keys:
        translation_keys[key] = groups[key][0] if key in groups else uuid.uuid4()
    _check_inspirations(validator, rows, translation_keys)

    if validator.errors:
        raise ImportFailed(
            sorted(
                validator.errors,
                key=lambda e: (e.line, COLUMNS.index(e.column) if e.column in COLUMNS else -1),
            )
        )

    # Plan: which pages exist, what changes.
    slugs_taken = _sibling_slugs(validator.indexes)
    for row in rows:
        page = groups.get(row.key, (None, {}))[1].get(row.locale)
        if page is None:
            row.action = "create"
            row.slug = _unique_slug(slugify(row.key)[:255], slugs_taken[row.locale])
            continue
        row.page = page
        row.canonical = _canonical(row)
        existing = current_row(page, row.key, lookups)
        changed = page.alias_of_id is not None or any(
            existing[column] != value for column, value in row.canonical.items()
        )
        if changed:
            row.action = "update"
        elif publish and (not page.live or page.has_unpublished_changes):
            row.action = "publish"
        else:
            row.action = "unchanged"

    _name_new_cities(validator)
    _name_new_measures(validator)
    return ImportPlan(
        rows=rows,
        new_cities=list(validator.new_cities.values()),
        new_measures=list(validator.new_measures.values()),
        translation_keys=translation_keys,
        new_records={key for key in keys if key not in records},
        indexes=validator.indexes,
        publish=publish,
        new_aliases=validator.new_aliases,
    )


def _sibling_slugs(indexes: dict[str, Page]) -> dict[str, set[str]]:
    return {
        code: set(
            Page.objects.filter(path__startswith=index.path, depth=index.depth + 1).values_list(
                "slug", flat=True
            )
        )
        for code, index in indexes.items()
    }


def _unique_slug(base: str, taken: set[str]) -> str:
    slug = base or "case"
    counter = 2
    while slug in taken:
        suffix = f"-{counter}"
        slug = f"{base[: 255 - len(suffix)]}{suffix}"
        counter += 1
    taken.add(slug)
    return slug


def _name_new_cities(validator: _Validator) -> None:
    for city in validator.new_cities.values():
        base = ascii_slug(city.name, 90) or "city"
        slug = base
        if slug in validator.city_slugs:
            slug = f"{base}-{city.country.lower()}"
        counter = 2
        while slug in validator.city_slugs:
            slug = f"{base}-{city.country.lower()}-{counter}"
            counter += 1
        validator.city_slugs.add(slug)
        city.slug = slug[:100]


def _name_new_measures(validator: _Validator) -> None:
    for measure in validator.new_measures.values():
        base = ascii_slug(measure.name) or "measure"
        slug = base[:100]
        counter = 2
        while slug in validator.measure_slugs:
            suffix = f"-{counter}"
            slug = f"{base[: 100 - len(suffix)]}{suffix}"
            counter += 1
        validator.measure_slugs.add(slug)
        measure.slug = slug


@dataclass
class Rejected:
    """A row left out by --skip-invalid: its values as read ({} when it could not be read)."""

    line: int
    values: dict[str, str]
    errors: list[str]


def prepare_skipping(
    data: bytes, fmt: str, publish: bool = False
) -> tuple[ImportPlan | None, list[Rejected]]:
    """Like `prepare`, but the invalid rows are left out instead of refusing the file: the plan of
    the valid ones (None when none is) and the rejected rows with their errors.

    A case is all or nothing: the other rows of a rejected row's key go with it. Errors that name
    no row (a file that cannot be read at all) still refuse the whole file.
    """
    raw_rows, _read_errors = read_rows(data, fmt)
    by_line = {raw.line: raw for raw in raw_rows}
    messages: dict[int, list[str]] = defaultdict(list)
    skipped: set[int] = set()
    while True:
        try:
            plan = prepare(data, fmt, publish=publish, skip_lines=frozenset(skipped))
            break
        except ImportFailed as failure:
            if any(not error.line for error in failure.errors):
                raise
            bad = {error.line for error in failure.errors}
            if bad <= skipped:  # no progress: cannot happen, but never loop
                raise
            for error in failure.errors:
                text = f"{error.column}: {error.message}" if error.column else error.message
                messages[error.line].append(text)
            keys = {(by_line[line].values.get("key") or "").strip() for line in bad if line in by_line}
            for raw in raw_rows:
                key = (raw.values.get("key") or "").strip()
                if raw.line not in bad and raw.line not in skipped and key and key in keys:
                    bad.add(raw.line)
                    messages[raw.line].append(
                        _("another row of case “%(key)s” is invalid: a case is imported whole.")
                        % {"key": key}
                    )
            skipped |= bad
            if len(skipped) >= len(raw_rows) + len(_read_errors):
                plan = None
                break
    rejected = [
        Rejected(line, dict(by_line[line].values) if line in by_line else {}, messages[line])
        for line in sorted(skipped)
    ]
    if plan is not None and not plan.rows:
        plan = None
    return plan, rejected


def write_rejects(rejected: list[Rejected], fmt: str) -> bytes:
    """The rejected rows in the file's own format with an `error` column: fixed, it re-imports as
    it is (the importer ignores `error`). A row that could not be read has only its error."""
    out = io.StringIO()
    if fmt == "jsonl":
        for item in rejected:
            values = {column: item.values.get(column, "") for column in COLUMNS} if item.values else {}
            values[REJECTS_COLUMN] = _("line %(line)d: ") % {"line": item.line} + " | ".join(item.errors)
            out.write(json.dumps(values, ensure_ascii=False) + "\n")
    else:
        writer = csv.DictWriter(out, fieldnames=[*COLUMNS, REJECTS_COLUMN], lineterminator="\n")
        writer.writeheader()
        for item in rejected:
            values = {column: item.values.get(column, "") for column in COLUMNS}
            values[REJECTS_COLUMN] = _("line %(line)d: ") % {"line": item.line} + " | ".join(item.errors)
            writer.writerow(neutralise_row(values))
    return out.getvalue().encode()
