"""Bulk import of case studies from CSV (UTF-8, header row) or JSON Lines. Format: docs/import-format.md.

Two phases, so that one bad row writes nothing:

1. `prepare()` reads and validates every row (read-only queries), and plans what to do: the
   errors name the line, the column and the problem.
2. `ImportPlan.apply()` writes everything in one transaction: new cities and measure types,
   then each page (created, or a new revision of an existing one), published (`publish=True`)
   or submitted to the page's workflow as a draft. Per-page search indexing is deferred and
   done once at the end, in batches.

Rows with the same `key` are one case in several languages: they become translations of one
another (one Wagtail translation key), and must agree on what translations share (city,
areas, measure types, dates, sources, contact e-mail); a translation row may leave those
columns empty to inherit them. Importing the same file again changes nothing.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import html
import io
import json
import re
import time
import unicodedata
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import connection, transaction
from django.db.models import Prefetch
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from wagtail.models import COMMENTS_RELATION_NAME, Locale, Page
from wagtail.rich_text import RichText

from ops.spreadsheet import neutralise_row
from ops.spreadsheet import restore as restore_cell
from ops.text import ascii_slug, strip_controls
from search import indexing

from . import gazetteer
from .exporter import (
    BASE_COLUMNS,
    COLUMNS,
    EXPORT_ONLY_COLUMNS,
    FIELD_SEPARATOR,
    LIST_COLUMNS,
    LIST_SEPARATOR,
    OPTIONAL_COLUMNS,
    REQUIREMENT_COLUMNS,
    Lookups,
    body_to_markdown,
    current_row,
    escape_item,
    inspiration_to_text,
    outcome_line,
    requirement_text,
    richtext_to_markdown,
    source_to_text,
)

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
MAX_TITLE = 255
MAX_SUMMARY = 300
MAX_CITY = 100
MAX_MEASURE = 100
MAX_URL = 2000
MAX_SOURCE_TITLE = 255
MAX_ERRORS = 500


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RowError:
    line: int
    column: str | None
    message: str

    def __str__(self) -> str:
        if self.line and self.column:
            return _("line %(line)d, column %(column)s: %(message)s") % {
                "line": self.line,
                "column": self.column,
                "message": self.message,
            }
        if self.line:
            return _("line %(line)d: %(message)s") % {"line": self.line, "message": self.message}
        return self.message


class ImportFailed(Exception):
    """The file cannot be imported; `errors` says where and why. Nothing was written."""

    def __init__(self, errors: list[RowError]):
        super().__init__("\n".join(str(error) for error in errors[:20]))
        self.errors = errors


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------
@dataclass
class RawRow:
    line: int
    values: dict[str, str]
    inherited: set[str] = field(default_factory=set)  # columns filled from another row or page
    # The optional columns (exporter.OPTIONAL_COLUMNS) the row has: an absent one leaves the field
    # of an existing case as it is (an older file changes nothing it does not know).
    present: frozenset[str] = frozenset(OPTIONAL_COLUMNS)


def detect_format(name: str) -> str | None:
    name = (name or "").lower()
    if name.endswith(".csv"):
        return "csv"
    if name.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    return None


def decode_text(data: bytes) -> str:
    """A file's bytes as text (UTF-8, with or without a BOM), or a line-numbered import error."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFailed(
            [RowError(line, None, _("the file is not UTF-8 text (byte %(byte)d).") % {"byte": exc.start + 1})]
        ) from exc


# The rejects file of --skip-invalid adds this column: accepted and ignored, so that the file
# re-imports as it is once its rows are fixed.
REJECTS_COLUMN = "error"


def _check_columns(line: int, names: list[str], errors: list[RowError], header: bool) -> None:
    seen = set()
    for name in names:
        if name not in COLUMNS and name not in EXPORT_ONLY_COLUMNS and name != REJECTS_COLUMN:
            errors.append(RowError(line, name or "?", _("unknown column.")))
        elif name in seen:
            errors.append(RowError(line, name, _("the column appears twice.")))
        seen.add(name)
    if header:
        missing = [name for name in BASE_COLUMNS if name not in seen]
        if missing:
            errors.append(
                RowError(line, None, _("missing column(s): %(columns)s.") % {"columns": ", ".join(missing)})
            )


def read_csv(text: str) -> tuple[list[RawRow], list[RowError]]:
    """Rows and row-level errors; a file that cannot be read at all raises `ImportFailed`."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    errors: list[RowError] = []
    rows: list[RawRow] = []
    header: list[str] | None = None
    last_line = 0
    try:
        for record in reader:
            start = last_line + 1
            last_line = reader.line_num
            if not record or all(not cell.strip() for cell in record):
                continue
            if header is None:
                header = [strip_controls(cell, multiline=False).strip().lower() for cell in record]
                _check_columns(start, header, errors, header=True)
                if errors:
                    raise ImportFailed(errors)
                continue
            if len(record) != len(header):
                errors.append(
                    RowError(
                        start,
                        None,
                        _("expected %(expected)d fields, found %(found)d.")
                        % {"expected": len(header), "found": len(record)},
                    )
                )
                continue
            # Cells a download prefixed with "'" (ops.spreadsheet) get their text back.
            row = dict(zip(header, (restore_cell(cell) for cell in record), strict=True))
            rows.append(
                RawRow(
                    start,
                    {column: row.get(column, "") for column in COLUMNS},
                    present=frozenset(column for column in OPTIONAL_COLUMNS if column in row),
                )
            )
    except csv.Error as exc:
        errors.append(RowError(last_line + 1, None, _("malformed CSV: %(error)s.") % {"error": exc}))
        raise ImportFailed(errors) from exc
    if header is None:
        raise ImportFailed([RowError(1, None, _("the file is empty: a header row is expected."))])
    return rows, errors


class _RepeatedKey(ValueError):
    def __init__(self, key: str):
        super().__init__(key)
        self.key = strip_controls(key, multiline=False)


def _object_without_repeats(pairs: list[tuple[str, object]]) -> dict:
    """A JSON object; a key given twice is an error (json.loads would silently keep the last)."""
    obj: dict = {}
    for key, value in pairs:
        if key in obj:
            raise _RepeatedKey(key)
        obj[key] = value
    return obj


def read_jsonl(text: str) -> tuple[list[RawRow], list[RowError]]:
    errors: list[RowError] = []
    rows: list[RawRow] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line, object_pairs_hook=_object_without_repeats)
        except json.JSONDecodeError as exc:
            errors.append(RowError(number, None, _("not valid JSON: %(error)s.") % {"error": exc.msg}))
            continue
        except _RepeatedKey as exc:
            errors.append(
                RowError(
                    number,
                    exc.key[:60],
                    _("the key appears twice in the object: which value is meant is unclear."),
                )
            )
            continue
        except RecursionError:
            errors.append(
                RowError(number, None, _("the JSON is nested too deeply: a row is one flat object."))
            )
            continue
        if not isinstance(obj, dict):
            errors.append(RowError(number, None, _("each line must be a JSON object.")))
            continue
        keys = [strip_controls(str(name), multiline=False).strip().lower() for name in obj]
        before = len(errors)
        _check_columns(number, keys, errors, header=False)
        if len(errors) > before:
            continue
        values: dict[str, str] = {}
        before = len(errors)
        for name, value in zip(keys, obj.values(), strict=True):
            if name in EXPORT_ONLY_COLUMNS or name == REJECTS_COLUMN:
                continue
            if value is None:
                values[name] = ""
            elif isinstance(value, str):
                values[name] = value
            elif isinstance(value, list) and name in LIST_COLUMNS and all(isinstance(v, str) for v in value):
                values[name] = LIST_SEPARATOR.join(escape_item(v) for v in value)
            else:
                errors.append(RowError(number, name, _("must be text.")))
        if len(errors) == before:
            rows.append(
                RawRow(
                    number,
                    {column: values.get(column, "") for column in COLUMNS},
                    present=frozenset(column for column in OPTIONAL_COLUMNS if column in keys),
                )
            )
    if not rows and not errors:
        raise ImportFailed([RowError(1, None, _("the file holds no rows."))])
    return rows, errors


def read_rows(data: bytes, fmt: str) -> tuple[list[RawRow], list[RowError]]:
    """The rows of a file and the errors of rows that could not be read (reported with the rest)."""
    text = decode_text(data)
    _refuse_nul(text)
    rows, errors = read_jsonl(text) if fmt == "jsonl" else read_csv(text)
    _clean_cells(rows, errors)
    return rows, errors


def _refuse_nul(text: str) -> None:
    """A NUL byte in the file is a line error (PostgreSQL refuses it in text; it usually means a
    UTF-16 file, which reads as UTF-8 with a NUL after every ASCII letter)."""
    if "\x00" not in text:
        return
    lines = [number for number, line in enumerate(text.splitlines(), start=1) if "\x00" in line]
    raise ImportFailed(
        [
            RowError(
                number, None, _("holds a NUL character (U+0000): save the file as UTF-8 text, not UTF-16.")
            )
            for number in lines[:MAX_ERRORS]
        ]
    )


# Columns whose text may hold line breaks and tabs; the others are one line.
MULTILINE_COLUMNS = ("summary", "body", "outcomes", "evidence", "partners", "technology", "prerequisites")


def _clean_cells(rows: list[RawRow], errors: list[RowError]) -> None:
    """Control characters out of every cell (ops.text), before anything reads them: a
    form feed pasted from a PDF must not reach a feed, nor a NUL the database. A NUL is also
    reported on its line: it usually means a UTF-16 file read as UTF-8."""
    for raw in rows:
        for column, value in raw.values.items():
            if not value:
                continue
            if "\x00" in value:
                errors.append(
                    RowError(
                        raw.line,
                        column,
                        _("holds a NUL character (U+0000): save the file as UTF-8 text, not UTF-16."),
                    )
                )
            raw.values[column] = (
                strip_controls(value)
                if column in MULTILINE_COLUMNS
                else strip_controls(value, multiline=False)
            )


def split_list(value: str) -> list[str]:
    """`a; b;c` → ["a", "b", "c"]; `\\;` is a semicolon inside an item."""
    items = re.split(r"(?<!\\);", value or "")
    return [item.replace("\\;", ";").strip() for item in items if item.strip()]


# --------------------------------------------------------------------------------------------
# Markdown → Wagtail content
# --------------------------------------------------------------------------------------------
class MarkupError(ValueError):
    pass


_PUNCT = set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_HEADING_RE = re.compile(r"^(#{1,6})(?:\s+(.*?))?(?:\s+#+)?\s*$")
_BULLET_RE = re.compile(r"^[-*+]\s+(.*)$")
_ORDERED_RE = re.compile(r"^\d{1,9}[.)]\s+(.*)$")
_TABLE_SEPARATOR_RE = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?$")
_IMAGE_RE = re.compile(r'^!\[((?:[^\]\\]|\\.)*)\]\(image:(\d+)(?:\s+"((?:[^"\\]|\\.)*)")?\)$')
_DOCUMENT_RE = re.compile(r"^\[((?:[^\]\\]|\\.)*)\]\(document:(\d+)\)$")
_ATTRIBUTION_RE = re.compile(r"^(?:—|--|―)\s+(.*)$")


def unescape(text: str) -> str:
    out = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and text[i + 1] in _PUNCT:
            out.append(text[i + 1])
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


@dataclass
class Refs:
    """Ids of pages, documents and images that Markdown links and blocks refer to."""

    pages: set[int] = field(default_factory=set)
    documents: set[int] = field(default_factory=set)
    images: set[int] = field(default_factory=set)


_INLINE_SPECIAL = re.compile(r"[\\\n*_\[]")


def _destination_end(s: str, start: int) -> int:
    """Index of the ")" closing a link destination that starts at `start` (balanced parentheses)."""
    depth = 0
    for i in range(start, len(s)):
        ch = s[i]
        if ch == "(":
            depth += 1
        elif ch == ")":
            if depth == 0:
                return i
            depth -= 1
        elif ch.isspace() and depth == 0:
            return -1
    return -1


class InlineParser:
    """Bold, italic, links and hard breaks of the Markdown subset, as Wagtail rich-text HTML."""

    def __init__(self, refs: Refs):
        self.refs = refs

    def _find_closing(self, s: str, delim: str, start: int) -> int:
        i = start
        while i < len(s):
            ch = s[i]
            if ch == "\\":
                i += 2
                continue
            if ch == "[":
                end = self._link_end(s, i)
                if end is not None:
                    i = end
                    continue
            if s.startswith(delim, i):
                if delim == "*" and s.startswith("**", i):
                    close = self._find_closing(s, "**", i + 2)
                    if close == -1:
                        return -1
                    i = close + 2
                    continue
                if i > start and not s[i - 1].isspace():
                    after = s[i + len(delim)] if i + len(delim) < len(s) else ""
                    if delim != "_" or not after.isalnum():
                        return i
            i += 1
        return -1

    def _bracket_end(self, s: str, start: int) -> int | None:
        depth = 0
        i = start
        while i < len(s):
            ch = s[i]
            if ch == "\\":
                i += 2
                continue
            if ch == "[":
                depth += 1
            elif ch == "]":
                depth -= 1
                if depth == 0:
                    return i
            i += 1
        return None

    def _link_end(self, s: str, start: int) -> int | None:
        close = self._bracket_end(s, start)
        if close is None or close + 1 >= len(s) or s[close + 1] != "(":
            return None
        end = _destination_end(s, close + 2)
        if end == -1:
            return None
        return end + 1

    def _anchor(self, target: str, inner: str) -> str:
        target = target.strip()
        kind, _sep, ident = target.partition(":")
        if kind in ("page", "document") and ident.isdigit():
            (self.refs.pages if kind == "page" else self.refs.documents).add(int(ident))
            return f'<a linktype="{kind}" id="{ident}">{inner}</a>'
        if target.startswith("/") or re.match(r"^(https?|mailto|tel):", target, re.IGNORECASE):
            if target.lower().startswith(("http:", "https:")):
                try:
                    URLValidator()(target)
                except ValidationError as exc:
                    raise MarkupError(_("“%(url)s” is not a valid link.") % {"url": target}) from exc
            return f'<a href="{html.escape(target, quote=True)}">{inner}</a>'
        raise MarkupError(
            _("“%(url)s” is not a link target (use http(s)://…, mailto:…, page:ID or document:ID).")
            % {"url": target}
        )

    def parse(self, s: str) -> str:
        out: list[str] = []
        i = 0
        n = len(s)
        while i < n:
            # Plain text up to the next character that may start markup, in one piece.
            special = _INLINE_SPECIAL.search(s, i)
            if special is None:
                out.append(html.escape(s[i:], quote=False))
                break
            if special.start() > i:
                out.append(html.escape(s[i : special.start()], quote=False))
                i = special.start()
            ch = s[i]
            if ch == "\\":
                if i + 1 < n and s[i + 1] == "\n":
                    out.append("<br/>")
                    i += 2
                    continue
                if i + 1 < n and s[i + 1] in _PUNCT:
                    out.append(html.escape(s[i + 1], quote=False))
                    i += 2
                    continue
            if ch == "\n":
                out.append(" ")
                i += 1
                continue
            if s.startswith("**", i) and i + 2 < n and not s[i + 2].isspace():
                close = self._find_closing(s, "**", i + 2)
                if close != -1:
                    out.append(f"<b>{self.parse(s[i + 2 : close])}</b>")
                    i = close + 2
                    continue
            if ch in "*_" and i + 1 < n and not s[i + 1].isspace() and s[i + 1] != ch:
                if ch == "_" and i > 0 and s[i - 1].isalnum():
                    out.append(ch)
                    i += 1
                    continue
                close = self._find_closing(s, ch, i + 1)
                if close != -1:
                    out.append(f"<i>{self.parse(s[i + 1 : close])}</i>")
                    i = close + 1
                    continue
            if ch == "[":
                close = self._bracket_end(s, i)
                if close is not None and close + 1 < n and s[close + 1] == "(":
                    end = _destination_end(s, close + 2)
                    if end != -1:
                        inner = self.parse(s[i + 1 : close])
                        out.append(self._anchor(s[close + 2 : end], inner))
                        i = end + 1
                        continue
            out.append(html.escape(ch, quote=False))
            i += 1
        return "".join(out)


def _starts_block(line: str) -> bool:
    stripped = line.strip()
    return bool(
        _HEADING_RE.match(stripped)
        or stripped.startswith(">")
        or (stripped.startswith("|") and not stripped.startswith("\\"))
        or _BULLET_RE.match(stripped)
    )


def _split_cells(line: str) -> list[str]:
    line = line.strip()
    if line.startswith("|"):
        line = line[1:]
    if line.endswith("|") and not line.endswith("\\|"):
        line = line[:-1]
    cells = re.split(r"(?<!\\)\|", line)
    return [unescape(cell.strip().replace("\\|", "|")) for cell in cells]


def markdown_to_blocks(text: str, refs: Refs, rich_only: bool = False) -> list[tuple[str, object]]:
    """Markdown (or plain text) → [(block type, value)] for the case-study body.

    `rich_only=True` (the outcomes field): paragraphs and lists only; other blocks are an error.
    """
    lines = (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    inline = InlineParser(refs)
    blocks: list[tuple[str, object]] = []
    i = 0
    n = len(lines)

    def forbid(what: str):
        if rich_only:
            raise MarkupError(_("%(what)s are not allowed here, only paragraphs and lists.") % {"what": what})

    while i < n:
        line = lines[i].strip()
        if not line:
            i += 1
            continue
        heading = _HEADING_RE.match(line)
        if heading:
            forbid(_("headings"))
            level = "h2" if len(heading.group(1)) <= 2 else "h3"
            heading_text = unescape(heading.group(2) or "")
            if not heading_text:
                raise MarkupError(_("a heading has no text."))
            if len(heading_text) > 120:
                raise MarkupError(_("a heading is longer than 120 characters."))
            blocks.append(("heading", {"text": heading_text, "level": level}))
            i += 1
            continue
        if line.startswith(">"):
            forbid(_("quotes"))
            quoted = []
            while i < n and lines[i].strip().startswith(">"):
                content = lines[i].strip()[1:]
                quoted.append(content[1:] if content.startswith(" ") else content)
                i += 1
            attribution = ""
            last = _ATTRIBUTION_RE.match(quoted[-1]) if quoted else None
            if last and len(quoted) > 1:
                attribution = unescape(last.group(1))
                quoted = quoted[:-1]
            blocks.append(
                ("quote", {"text": unescape("\n".join(quoted)).strip(), "attribution": attribution})
            )
            continue
        if line.startswith("|"):
            forbid(_("tables"))
            table = []
            while i < n and lines[i].strip().startswith("|"):
                table.append(lines[i].strip())
                i += 1
            if len(table) < 2 or not _TABLE_SEPARATOR_RE.match(table[1]):
                raise MarkupError(_("a table needs a header row and a separator row (| --- | --- |)."))
            header = _split_cells(table[0])
            figures = []
            for row in table[2:]:
                cells = _split_cells(row)
                if len(cells) != 2 or not cells[0] or not cells[1]:
                    raise MarkupError(_("each key-figure row has two cells: a label and a value."))
                if len(cells[0]) > 120 or len(cells[1]) > 60:
                    raise MarkupError(_("a key-figure label is at most 120 characters, a value 60."))
                figures.append({"label": cells[0], "value": cells[1]})
            if not figures:
                raise MarkupError(_("a key-figures table has no rows."))
            blocks.append(("key_figures", {"title": header[0] if header else "", "figures": figures}))
            continue
        image = _IMAGE_RE.match(line)
        if image and (i + 1 >= n or not lines[i + 1].strip()):
            forbid(_("images"))
            refs.images.add(int(image.group(2)))
            blocks.append(
                (
                    "image",
                    {
                        "image": int(image.group(2)),
                        "caption": unescape(image.group(1)),
                        "attribution": unescape(image.group(3) or ""),
                    },
                )
            )
            i += 1
            continue
        document = _DOCUMENT_RE.match(line)
        if document and (i + 1 >= n or not lines[i + 1].strip()) and not rich_only:
            refs.documents.add(int(document.group(2)))
            blocks.append(
                ("document", {"document": int(document.group(2)), "title": unescape(document.group(1))})
            )
            i += 1
            continue
        bullet, ordered = _BULLET_RE.match(line), _ORDERED_RE.match(line)
        if bullet or ordered:
            kind_re = _BULLET_RE if bullet else _ORDERED_RE
            items: list[str] = []
            while i < n and lines[i].strip():
                current = lines[i].strip()
                item = kind_re.match(current)
                if item:
                    items.append(item.group(1))
                elif _starts_block(current) or (_ORDERED_RE if bullet else _BULLET_RE).match(current):
                    break
                else:  # a continuation line of the item
                    items[-1] += "\n" + current
                i += 1
            tag = "ul" if bullet else "ol"
            html_items = "".join(f"<li>{inline.parse(item)}</li>" for item in items)
            blocks.append(("paragraph", f"<{tag}>{html_items}</{tag}>"))
            continue
        paragraph = [line]
        i += 1
        while i < n and lines[i].strip() and not _starts_block(lines[i]):
            paragraph.append(lines[i].strip())
            i += 1
        blocks.append(("paragraph", f"<p>{inline.parse(chr(10).join(paragraph)).strip()}</p>"))
    return blocks


def markdown_to_richtext(text: str, refs: Refs) -> str:
    return "".join(str(value) for _type, value in markdown_to_blocks(text, refs, rich_only=True))


# --------------------------------------------------------------------------------------------
# Validation and planning
# --------------------------------------------------------------------------------------------
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


@dataclass
class ImportPlan:
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

    def apply(self, user=None, progress: Callable[[int, int], None] | None = None) -> ImportResult:
        return _apply(self, user=user, progress=progress)


@dataclass
class ImportResult:
    counts: dict[str, int]
    new_cities: list[str]
    new_measures: list[str]
    page_ids: list[int]
    seconds: float

    def summary(self) -> list[str]:
        lines = [
            _(
                "%(create)d created, %(update)d updated, %(publish)d published, %(unchanged)d unchanged "
                "in %(seconds).1f s."
            )
            % {**self.counts, "seconds": self.seconds}
        ]
        if self.new_cities:
            lines.append(_("New cities: %(names)s.") % {"names": ", ".join(self.new_cities)})
        if self.new_measures:
            lines.append(_("New measure types: %(names)s.") % {"names": ", ".join(self.new_measures)})
        return lines


def _norm(value: str) -> str:
    return re.sub(r"\s+", " ", (value or "").strip()).casefold()


def _fold(value: str) -> str:
    """A city name as the import compares it: case, accents and spacing aside (Timișoara =
    Timisoara = TIMISOARA; Hangul and other scripts are unchanged)."""
    decomposed = unicodedata.normalize("NFKD", _norm(value))
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))


class _Validator:
    def __init__(self, publish: bool):
        from casestudies.models import CaseStudyIndexPage, City, Continent, MeasureType, PolicyArea

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
            if not DATE_RE.match(value):
                raise ValueError
            return datetime.date.fromisoformat(value)
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
        if country:
            from django_countries import countries

            if country not in countries:
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
            if not DATE_RE.match(value):
                raise ValueError
            return datetime.date.fromisoformat(value)
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
        from .evidence import outcome_problems

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
        from decimal import Decimal, InvalidOperation

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


def _existing_groups(keys: list[str], validator: _Validator):
    """key → (translation key, {locale: page}) for keys already imported, or adopted by slug."""
    from casestudies.models import CaseStudyPage, CaseStudySource, TaggedCaseStudy
    from editorial.models import ImportedCase

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


def case_translation_keys(keys) -> dict[str, uuid.UUID]:
    """External keys of existing cases → their translation keys (import keys, else slugs)."""
    from casestudies.models import CaseStudyPage
    from editorial.models import ImportedCase

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
    from .evidence import inspiration_graph, loop_through

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
    from wagtail.documents import get_document_model
    from wagtail.images import get_image_model

    checks = (
        (refs.pages, Page, _("page")),
        (refs.documents, get_document_model(), _("document")),
        (refs.images, get_image_model(), _("image")),
    )
    for ids, model, label in checks:
        if not ids:
            continue
        found = set(model.objects.filter(pk__in=ids).values_list("pk", flat=True))
        for missing in sorted(ids - found):
            validator.error(
                line, "body", _("there is no %(kind)s with id %(id)d.") % {"kind": label, "id": missing}
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


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------
@contextlib.contextmanager
def deferred_indexing() -> Iterator[indexing.PausedIndexing]:
    """Per-save search and reference indexing off while the import writes; it indexes each batch once.

    Search's own seam (search.indexing.paused) and Wagtail's public switch for the reference index.
    Signals are process-wide: this is meant for the management command and for admin requests
    served one at a time per process (gunicorn's sync workers).
    """
    from wagtail.signal_handlers import disable_reference_index_auto_update

    from casestudies.models import CaseStudyPage

    with indexing.paused(CaseStudyPage) as paused, disable_reference_index_auto_update():
        yield paused


@contextlib.contextmanager
def quiet_workflow_notifications() -> Iterator[None]:
    """No e-mail per submitted page: reviewers find the imported drafts on their dashboard."""
    from wagtail.admin import signal_handlers as admin_signals
    from wagtail.models import TaskState, WorkflowState
    from wagtail.signals import task_submitted, workflow_submitted

    handlers = [
        (
            task_submitted,
            admin_signals.task_submission_email_notifier,
            TaskState,
            "group_approval_task_submitted_email_notification",
        ),
        (
            workflow_submitted,
            admin_signals.workflow_submission_email_notifier,
            WorkflowState,
            "workflow_state_submitted_email_notification",
        ),
    ]
    removed = [
        (signal, handler, sender, uid)
        for signal, handler, sender, uid in handlers
        if signal.disconnect(sender=sender, dispatch_uid=uid)
    ]
    try:
        yield
    finally:
        for signal, handler, sender, uid in removed:
            signal.connect(handler, sender=sender, dispatch_uid=uid)


def insert_rows(model, objects: list) -> None:
    """INSERT many rows whose primary keys nobody needs back, in one parametrised statement.

    Values go through each field's own `pre_save` and `get_db_prep_save`, as `save()` does;
    only the per-object SQL compilation of `bulk_create` is skipped (a large share of its cost).
    """
    if not objects:
        return
    fields = [
        field for field in model._meta.concrete_fields if not (field.primary_key and field.auto_created)
    ]
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 - names from the model, values as parameters
        quote(model._meta.db_table),
        ", ".join(quote(field.column) for field in fields),
        ", ".join(["%s"] * len(fields)),
    )
    params = [
        [field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields] for obj in objects
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _index_references(pages: list, page_type, base_type) -> None:
    """Reference-index rows for new pages, extracted from the in-memory pages (no queries)."""
    from wagtail.models import ReferenceIndex

    rows = []
    for page in pages:
        for to_type_id, to_object_id, model_path, content_path in set(
            ReferenceIndex._extract_references_from_object(page)
        ):
            rows.append(
                ReferenceIndex(
                    content_type=page_type,
                    base_content_type=base_type,
                    object_id=str(page.pk),
                    to_content_type_id=to_type_id,
                    to_object_id=to_object_id,
                    model_path=model_path,
                    content_path=content_path,
                    content_path_hash=ReferenceIndex._get_content_path_hash(content_path),
                )
            )
    insert_rows(ReferenceIndex, rows)


def _resolve_blocks(blocks, images, documents):
    resolved = []
    for kind, value in blocks:
        if kind == "image":
            value = {**value, "image": images[value["image"]]}
        elif kind == "document":
            value = {**value, "document": documents[value["document"]]}
        resolved.append((kind, _native(kind, value)))
    return resolved


def _fill(page, row: CleanRow, cities, measures, images, documents) -> None:
    from casestudies.models import CaseStudySource, TaggedCaseStudy

    page.title = row.title
    page.draft_title = row.title
    page.summary = row.summary
    page.city = cities[id(row.city)] if not hasattr(row.city, "pk") else row.city
    page.start_date = row.start_date
    page.end_date = row.end_date
    page.body = _resolve_blocks(row.body, images, documents)
    page.outcomes = row.outcomes
    page.contact_email = row.contact_email
    for name, value in row.extra.items():
        setattr(page, name, value)
    page.policy_areas = list(row.areas)
    page.tagged_measures = [
        TaggedCaseStudy(tag=measures[id(m)] if not hasattr(m, "pk") else m) for m in row.measures
    ]
    _fill_issue16(page, row)
    # Sources: a URL already there keeps its title unless the row gives one.
    titles = {source.url: source.title for source in page.sources.all()} if page.pk else {}
    page.sources = [
        CaseStudySource(title=(title or titles.get(url) or url)[:MAX_SOURCE_TITLE], url=url, sort_order=order)
        for order, (title, url) in enumerate(row.sources)
    ]


def _fill_issue16(page, row: CleanRow) -> None:
    """Graded outcomes, what it takes and (once resolved to pages) inspirations: only the columns
    the file has."""
    from casestudies.evidence import strongest
    from casestudies.models import CaseInspiration, CaseOutcome

    if row.evidence is not None:
        page.outcome_evidence = [
            CaseOutcome(sort_order=n, **outcome) for n, outcome in enumerate(row.evidence)
        ]
        page.evidence_level = strongest(outcome["level"] for outcome in row.evidence)
    for column, value in (row.requirements or {}).items():
        setattr(page, column, value)
    sources = getattr(row, "inspiration_pages", None)
    if row.inspirations is not None and sources is not None:
        page.inspired_by = [
            CaseInspiration(source_id=source, note=note, sort_order=n)
            for n, (source, note) in enumerate(sources)
        ]


def _resolve_inspiration_pages(rows: list[CleanRow]) -> None:
    """The page each named case stands for: its page in the row's language, else English, else any."""
    from casestudies.models import CaseStudyPage

    wanted = {tk for row in rows for _key, _note, tk in row.resolved_inspirations}
    if not wanted:
        for row in rows:
            row.inspiration_pages = []
        return
    pages: dict = defaultdict(dict)
    for pk, tk, language in (
        CaseStudyPage.objects.filter(translation_key__in=wanted)
        .order_by("pk")
        .values_list("pk", "translation_key", "locale__language_code")
    ):
        pages[tk].setdefault(language, pk)
    for row in rows:
        found = []
        for _key, note, tk in row.resolved_inspirations:
            by_language = pages.get(tk, {})
            pk = (
                by_language.get(row.locale) or by_language.get("en") or next(iter(by_language.values()), None)
            )
            if pk is not None:
                found.append((pk, note))
        row.inspiration_pages = found


def _link_created_inspirations(rows: list[CleanRow], pages_by_line: dict[int, object]) -> None:
    """New pages name their inspirations once every new page exists: the links, and the same in
    their revision (so that publishing it later keeps them)."""
    from wagtail.models import Revision

    from casestudies.models import CaseInspiration

    _resolve_inspiration_pages(rows)
    links = []
    for row in rows:
        page = pages_by_line.get(row.line)
        if page is None or not row.inspiration_pages:
            continue
        mine = [
            CaseInspiration(page_id=page.pk, source_id=source, note=note, sort_order=n)
            for n, (source, note) in enumerate(row.inspiration_pages)
        ]
        links.extend(mine)
        revision = page.latest_revision
        content = dict(revision.content)
        content["inspired_by"] = [
            {
                "pk": None,
                "page": page.pk,
                "source": link.source_id,
                "note": link.note,
                "sort_order": link.sort_order,
            }
            for link in mine
        ]
        Revision.objects.filter(pk=revision.pk).update(content=content)
    CaseInspiration.objects.bulk_create(links)


BULK_BATCH = 200
# Seconds between two batches on SQLite, for other writers (about 10 % of a batch's time).
WRITER_PAUSE = 0.12


def _undo_creates(plan: ImportPlan, created: list[int]) -> None:
    """Delete what the committed batches of a failed import wrote (SQLite's short transactions):
    the new pages (their revisions, workflow states and relations go with them), their log entries
    and references, and the new cities, measure types and import keys."""
    from django.contrib.contenttypes.models import ContentType

    from wagtail.models import PageLogEntry, ReferenceIndex

    from casestudies.models import City, MeasureType
    from editorial.models import ImportedCase

    with transaction.atomic():
        if created:
            ReferenceIndex.objects.filter(
                base_content_type=ContentType.objects.get_for_model(Page),
                object_id__in=[str(pk) for pk in created],
            ).delete()
            Page.objects.filter(pk__in=created).delete()
            PageLogEntry.objects.filter(page_id__in=created).delete()
        ImportedCase.objects.filter(key__in=plan.new_records).delete()
        City.objects.filter(
            pk__in=[c.instance.pk for c in plan.new_cities if c.instance is not None]
        ).delete()
        MeasureType.objects.filter(
            pk__in=[m.instance.pk for m in plan.new_measures if m.instance is not None]
        ).delete()


def _apply(plan: ImportPlan, user=None, progress=None) -> ImportResult:
    from wagtail.documents import get_document_model
    from wagtail.images import get_image_model

    from casestudies.models import City, MeasureType
    from editorial.models import ImportedCase

    started = time.monotonic()
    total = len(plan.rows)
    touched: list[int] = []
    counts = {"create": 0, "update": 0, "publish": 0, "unchanged": 0}
    for row in plan.rows:
        counts[row.action] += 1
    image_ids = {v["image"] for row in plan.rows for k, v in row.body if k == "image"}
    document_ids = {v["document"] for row in plan.rows for k, v in row.body if k == "document"}
    images = get_image_model().objects.in_bulk(image_ids)
    documents = get_document_model().objects.in_bulk(document_ids)
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, total)

    # SQLite lets one connection write at a time: there the new pages are written in short
    # transactions, one batch each, so that a visitor's question or login is written between them
    # rather than waiting (and failing) for the whole import. Every row is validated before the
    # first write, so no bad row can stop it half-way; should a batch fail anyway (a full disk),
    # what the earlier batches wrote is deleted again, so the import stays all or nothing.
    # Updates of existing pages (Wagtail's revision API: revisions, workflows, aliases) could not be
    # undone that way: they are written in one transaction after the new pages, as on PostgreSQL,
    # whose writers do not block visitors' inserts.
    chunked = connection.vendor == "sqlite"
    step = transaction.atomic if chunked else contextlib.nullcontext
    created: list[int] = []

    whole = contextlib.nullcontext() if chunked else transaction.atomic()
    try:
        with whole, deferred_indexing() as paused, quiet_workflow_notifications():
            with step():
                cities = {}
                for new_city in plan.new_cities:
                    # Coordinates from the bundled gazetteer when it knows the place (casestudies.gazetteer).
                    place = gazetteer.lookup([new_city.name, *new_city.aliases.values()], new_city.country)
                    new_city.instance = City.objects.create(
                        name=new_city.name,
                        name_ko="",  # not a guess: listed in the missing-translation report until written
                        slug=new_city.slug,
                        country=new_city.country,
                        continent=new_city.continent,
                        aliases="\n".join(new_city.aliases.values()),
                        latitude=place.latitude if place else None,
                        longitude=place.longitude if place else None,
                        coordinates_source=place.source if place else "",
                    )
                    cities[id(new_city)] = new_city.instance
                for city in City.objects.filter(pk__in=plan.new_aliases):
                    spellings = [*city.alias_list, *plan.new_aliases[city.pk].values()]
                    City.objects.filter(pk=city.pk).update(aliases="\n".join(dict.fromkeys(spellings)))
                measures = {}
                for new_measure in plan.new_measures:
                    new_measure.instance = MeasureType.objects.create(
                        name=new_measure.name, slug=new_measure.slug
                    )
                    measures[id(new_measure)] = new_measure.instance
                ImportedCase.objects.bulk_create(
                    [
                        ImportedCase(key=key, translation_key=plan.translation_keys[key])
                        for key in sorted(plan.new_records)
                    ]
                )
            writer = _PageWriter(plan, user, cities, measures, images, documents)
            unchanged = sum(1 for row in plan.rows if row.action == "unchanged")
            if unchanged:
                advance(unchanged)
            creates = [row for row in plan.rows if row.action == "create"]
            updates = [row for row in plan.rows if row.action in ("update", "publish")]
            for start in range(0, len(creates), BULK_BATCH):
                batch = creates[start : start + BULK_BATCH]
                with step():
                    writer.next_step.clear()  # tree positions from the database: pages may have been added
                    indexed = len(writer.written)
                    ids = writer.create(batch)
                    paused.index(writer.written[indexed:])
                created.extend(ids)
                advance(len(batch))
                if chunked and (start + BULK_BATCH < len(creates) or updates):
                    # A writer waiting for the lock polls it (SQLite's busy handler: every 100 ms at
                    # most): without a pause the next batch would take the lock first, every time.
                    time.sleep(WRITER_PAUSE)
            touched.extend(created)
            linking = [row for row in creates if row.resolved_inspirations]
            if linking:
                with step():
                    _link_created_inspirations(linking, writer.by_line)
            _resolve_inspiration_pages(updates)
            if updates:
                with transaction.atomic():
                    indexed = len(writer.written)
                    for row in updates:
                        touched.append(writer.update(row))
                        advance(1)
                    paused.index(writer.written[indexed:])
    except BaseException:
        if chunked:
            _undo_creates(plan, created)
        raise

    return ImportResult(
        counts=counts,
        new_cities=[str(city) for city in plan.new_cities],
        new_measures=[str(measure) for measure in plan.new_measures],
        page_ids=touched,
        seconds=time.monotonic() - started,
    )


class _PageWriter:
    """Writes the planned pages. New pages are written in batches, the way Wagtail's own
    `add_child` + `save_revision` + `publish` (or workflow start) would leave them: tree path,
    URL path, specific row, relations, first revision, live revision, log entries and the
    `page_published` signal. Existing pages go through Wagtail's revision API, one by one.
    """

    def __init__(self, plan: ImportPlan, user, cities, measures, images, documents):
        from django.contrib.contenttypes.models import ContentType

        from casestudies.models import CaseStudyPage

        self.plan = plan
        self.user = user
        self.cities, self.measures, self.images, self.documents = cities, measures, images, documents
        self.page_type = ContentType.objects.get_for_model(CaseStudyPage)
        self.base_type = ContentType.objects.get_for_model(Page)
        self.next_step: dict[int, int] = {}
        self.workflows: dict[str, object] = {}
        self.written: list = []  # in-memory pages, indexed at the end
        self.by_line: dict[int, object] = {}  # the new pages, by the line of their row

    def _next_path(self, index) -> str:
        if index.pk not in self.next_step:
            last = (
                Page.objects.filter(path__startswith=index.path, depth=index.depth + 1)
                .order_by("-path")
                .first()
            )
            self.next_step[index.pk] = last._get_lastpos_in_path() if last else 0
        self.next_step[index.pk] += 1
        return Page._get_path(index.path, index.depth + 1, self.next_step[index.pk])

    def create(self, rows: list[CleanRow]) -> list[int]:
        from django.db.models import F
        from django.utils import timezone

        from wagtail.models import PageLogEntry, Revision
        from wagtail.signals import page_published

        from casestudies.models import CaseOutcome, CaseStudyPage, CaseStudySource, TaggedCaseStudy

        now = timezone.now()
        publish = self.plan.publish
        pages = []
        per_index: dict[int, int] = defaultdict(int)
        for row in rows:
            index = self.plan.indexes[row.locale]
            page = CaseStudyPage(
                slug=row.slug,
                locale=index.locale,
                translation_key=self.plan.translation_keys[row.key],
                live=publish,
                has_unpublished_changes=not publish,
                owner=self.user,
                path=self._next_path(index),
                depth=index.depth + 1,
                numchild=0,
                url_path=f"{index.url_path}{row.slug}/",
                latest_revision_created_at=now,
                first_published_at=now if publish else None,
                last_published_at=now if publish else None,
            )
            _fill(page, row, self.cities, self.measures, self.images, self.documents)
            self.by_line[row.line] = page
            setattr(page, COMMENTS_RELATION_NAME, [])  # a new page has none: no query for them
            pages.append(page)
            per_index[index.pk] += 1

        # The page rows, then the case-study rows that extend them (multi-table inheritance).
        Page.objects.bulk_create(pages)
        for page in pages:
            page.page_ptr_id = page.id
        CaseStudyPage._base_manager._insert(
            pages, fields=CaseStudyPage._meta.local_concrete_fields, using=Page.objects.db
        )
        for index_pk, count in per_index.items():
            Page.objects.filter(pk=index_pk).update(numchild=F("numchild") + count)

        areas_through = CaseStudyPage.policy_areas.through
        area_links, tags, sources = [], [], []
        for page in pages:
            area_links.extend(
                areas_through(casestudypage_id=page.pk, policyarea_id=a.pk) for a in page.policy_areas.all()
            )
            for tag in page.tagged_measures.all():
                tag.content_object_id = page.pk
                tags.append(tag)
            for source in page.sources.all():
                source.page_id = page.pk
                sources.append(source)
        insert_rows(areas_through, area_links)
        TaggedCaseStudy.objects.bulk_create(tags)
        CaseStudySource.objects.bulk_create(sources)
        outcomes = []
        for page in pages:
            for outcome in page.outcome_evidence.all():
                outcome.page_id = page.pk
                outcomes.append(outcome)
        CaseOutcome.objects.bulk_create(outcomes)

        revisions = [
            Revision(
                content_type=self.page_type,
                base_content_type=self.base_type,
                object_id=str(page.pk),
                user=self.user,
                created_at=now,
                content=page.serializable_data(),
                object_str=str(page),
            )
            for page in pages
        ]
        Revision.objects.bulk_create(revisions)
        for page, revision in zip(pages, revisions, strict=True):
            page.latest_revision = revision
            if publish:
                page.live_revision = revision
        # One parametrised statement for the batch (bulk_update's CASE expressions cost more).
        meta = Page._meta
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {meta.db_table} SET {meta.get_field('latest_revision').column} = %s, "  # noqa: S608
                f"{meta.get_field('live_revision').column} = %s WHERE {meta.pk.column} = %s",
                [(page.latest_revision_id, page.live_revision_id, page.pk) for page in pages],
            )

        entries = []
        for page, revision in zip(pages, revisions, strict=True):
            entries.append(self._log(page, "wagtail.create", now, None))
            if publish:
                entries.append(self._log(page, "wagtail.publish", now, revision))
        insert_rows(PageLogEntry, entries)

        _index_references(pages, self.page_type, self.base_type)
        if publish:
            for page, revision in zip(pages, revisions, strict=True):
                page_published.send(sender=CaseStudyPage, instance=page, revision=revision)
        else:
            self._start_workflows(pages, revisions, now)
        self.written.extend(pages)
        return [page.pk for page in pages]

    def _start_workflows(self, pages, revisions, now) -> None:
        """New drafts enter their workflow, in bulk when its first task is a plain approval task
        (what `Workflow.start` would write: state, task state, signals, log entry)."""
        from django.contrib.contenttypes.models import ContentType

        from wagtail.models import AbstractGroupApprovalTask, PageLogEntry, Task, TaskState, WorkflowState
        from wagtail.signals import task_submitted, workflow_submitted

        by_workflow: dict[int, list] = defaultdict(list)
        workflows = {}
        for page, revision in zip(pages, revisions, strict=True):
            parent_path = page.path[: -page.steplen]
            if parent_path not in self.workflows:
                self.workflows[parent_path] = page.get_workflow()
            workflow = self.workflows[parent_path]
            if workflow is not None:
                workflows[workflow.pk] = workflow
                by_workflow[workflow.pk].append((page, revision))
        for workflow_pk, items in by_workflow.items():
            workflow = workflows[workflow_pk]
            task = workflow.tasks.filter(active=True).first()
            task = task.specific if task is not None else None
            # A group approval task only differs from Task.start for locked objects (new pages are not).
            if task is None or type(task).start not in (Task.start, AbstractGroupApprovalTask.start):
                for page, _revision in items:  # no task, or one with its own start: Wagtail's way
                    workflow.start(page, self.user)
                continue
            state_class = task.get_task_state_class()
            states = [
                WorkflowState(
                    content_type=self.page_type,
                    base_content_type=self.base_type,
                    object_id=str(page.pk),
                    workflow=workflow,
                    status=WorkflowState.STATUS_IN_PROGRESS,
                    requested_by=self.user,
                )
                for page, _revision in items
            ]
            WorkflowState.objects.bulk_create(states)
            task_states = [
                state_class(
                    workflow_state=state,
                    revision=revision,
                    task=task,
                    status=TaskState.STATUS_IN_PROGRESS,
                    content_type=ContentType.objects.get_for_model(state_class),
                )
                for state, (_page, revision) in zip(states, items, strict=True)
            ]
            state_class.objects.bulk_create(task_states)
            meta = WorkflowState._meta
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"UPDATE {meta.db_table} SET {meta.get_field('current_task_state').column} = %s "  # noqa: S608
                    f"WHERE {meta.pk.column} = %s",
                    [
                        (task_state.pk, state.pk)
                        for state, task_state in zip(states, task_states, strict=True)
                    ],
                )
            entries = []
            for state, task_state, (page, revision) in zip(states, task_states, items, strict=True):
                state.current_task_state = task_state
                task_submitted.send(sender=state_class, instance=task_state, user=self.user)
                workflow_submitted.send(sender=WorkflowState, instance=state, user=self.user)
                entry = self._log(page, "wagtail.workflow.start", now, revision)
                entry.content_changed = False
                entry.data = {
                    "workflow": {
                        "id": workflow.pk,
                        "title": workflow.name,
                        "status": state.status,
                        "next": {"id": task.pk, "title": task.name},
                        "task_state_id": task_state.pk,
                    }
                }
                entries.append(entry)
            insert_rows(PageLogEntry, entries)

    def _log(self, page, action: str, now, revision):
        from wagtail.models import PageLogEntry

        return PageLogEntry(
            content_type=self.page_type,
            label=page.title,
            action=action,
            timestamp=now,
            data={},
            user=self.user,
            page_id=page.pk,
            revision=revision,
            content_changed=True,
            uuid=uuid.uuid4(),
        )

    def update(self, row: CleanRow) -> int:
        if row.page.alias_of_id:
            # An alias (a copy kept in sync with its original) becomes a page of its own.
            from wagtail.actions.convert_alias import ConvertAliasPageAction

            from casestudies.models import CaseStudyPage

            ConvertAliasPageAction(row.page, user=self.user).execute(skip_permission_checks=True)
            row.page = CaseStudyPage.objects.select_related("latest_revision").get(pk=row.page.pk)
        page = _latest(row.page)
        if row.action == "update":
            _fill(page, row, self.cities, self.measures, self.images, self.documents)
            revision = page.save_revision(user=self.user, clean=False, log_action=True)
        else:
            revision = page.latest_revision or page.save_revision(user=self.user, clean=False)
        if self.plan.publish:
            revision.publish(user=self.user, skip_permission_checks=True)
            # The live content changed: its references too (drafts leave them as they are).
            from wagtail.models import ReferenceIndex

            ReferenceIndex.create_or_update_for_object(page)
        elif row.action == "update":
            _submit(page, self.user, self.workflows, existing=True)
        # Indexed as stored: for a draft, the page row still holds the live content.
        from casestudies.models import CaseStudyPage

        self.written.append(CaseStudyPage.objects.select_related("city").get(pk=page.pk))
        return page.pk


def _submit(page, user, workflows, existing: bool) -> None:
    """A draft enters the review workflow (a running one restarts on the new revision)."""
    parent_path = page.path[: -page.steplen]
    if parent_path not in workflows:
        workflows[parent_path] = page.get_workflow()
    workflow = workflows[parent_path]
    if workflow is None:
        return
    if existing:
        current = page.current_workflow_state
        if current is not None:
            current.cancel(user=user)
    workflow.start(page, user)


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


def import_file(
    data: bytes,
    fmt: str,
    publish: bool = False,
    dry_run: bool = False,
    user=None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[ImportPlan, ImportResult | None]:
    plan = prepare(data, fmt, publish=publish)
    if dry_run:
        return plan, None
    return plan, plan.apply(user=user, progress=progress)
