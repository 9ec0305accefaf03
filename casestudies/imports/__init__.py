"""Bulk import of case studies from CSV (UTF-8, header row) or JSON Lines. Format: docs/import-format.md.

Two phases, so that one bad row writes nothing:

1. `prepare()` reads and validates every row (read-only queries), and plans what to do: the
   errors name the line, the column and the problem.
2. `write_pages(plan)` writes everything: new cities and measure types, then each page (created,
   or a new revision of an existing one), published (`publish=True`) or submitted to the page's
   workflow as a draft. Per-page search indexing is deferred and done once per batch.

Rows with the same `key` are one case in several languages: they become translations of one
another (one Wagtail translation key), and must agree on what translations share (city,
areas, measure types, dates, sources, contact e-mail); a translation row may leave those
columns empty to inherit them. Importing the same file again changes nothing.

One module per step, each using only those above it in this list (import-linter checks it):
`errors` (what an import reports), `reading` (the file into rows of text) and `markdown` (the
body's and outcomes' Markdown into Wagtail content), `validation` (each value checked and
resolved), `plan` (`prepare`: what to do with each row), `writing` (`write_pages`: doing it).
"""

from .errors import ImportFailed, RowError
from .markdown import MarkupError, Refs, markdown_to_blocks, markdown_to_richtext
from .plan import ImportPlan, Rejected, prepare, prepare_skipping, write_rejects
from .reading import REJECTS_COLUMN, csv_records, decode_text, detect_format, read_rows, split_list
from .validation import MAX_SUMMARY, MAX_TITLE, MAX_URL, iso_date
from .writing import ImportResult, import_file, write_pages

__all__ = [
    "MAX_SUMMARY",
    "MAX_TITLE",
    "MAX_URL",
    "REJECTS_COLUMN",
    "ImportFailed",
    "ImportPlan",
    "ImportResult",
    "MarkupError",
    "Refs",
    "Rejected",
    "RowError",
    "csv_records",
    "decode_text",
    "detect_format",
    "import_file",
    "iso_date",
    "markdown_to_blocks",
    "markdown_to_richtext",
    "prepare",
    "prepare_skipping",
    "read_rows",
    "split_list",
    "write_pages",
    "write_rejects",
]
