"""Reading an import file: CSV (UTF-8, header row) or JSON Lines, into raw rows of text cells.

The cells are cleaned here (control characters, spreadsheet-escaped formulas) and nothing else: what
a value means is validation's business (casestudies.imports.validation).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from ops.spreadsheet import restore as restore_cell
from ops.text import strip_controls

from ..exporter import (
    BASE_COLUMNS,
    COLUMNS,
    EXPORT_ONLY_COLUMNS,
    LIST_COLUMNS,
    LIST_SEPARATOR,
    OPTIONAL_COLUMNS,
    escape_item,
)
from .errors import MAX_ERRORS, ImportFailed, RowError


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


def csv_records(text: str, errors: list[RowError]) -> Iterator[tuple[int, list[str]]]:
    """The records of a CSV text that hold something, each with the line it starts on (a quoted
    cell may span lines). A malformed file raises `ImportFailed` with `errors` so far and the
    line where reading stopped."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    last_line = 0
    try:
        for record in reader:
            start = last_line + 1
            last_line = reader.line_num
            if record and any(cell.strip() for cell in record):
                yield start, record
    except csv.Error as exc:
        raise ImportFailed(
            [*errors, RowError(last_line + 1, None, _("malformed CSV: %(error)s.") % {"error": exc})]
        ) from exc


def read_csv(text: str) -> tuple[list[RawRow], list[RowError]]:
    """Rows and row-level errors; a file that cannot be read at all raises `ImportFailed`."""
    errors: list[RowError] = []
    rows: list[RawRow] = []
    header: list[str] | None = None
    for start, record in csv_records(text, errors):
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
