"""One case study as one row of the import format (plus its URL, date, licence and citation).

The columns are those of the bulk import (issue 5), so that an export re-imports, followed by
what only an export knows: the canonical URL, the last-published time, the licence and the
case's own citation. The same row feeds CSV, JSON and JSON Lines.

The import columns come from `casestudies/exporter.py` (the editorial export), row function
included: one definition of the format.
"""

from __future__ import annotations

from django.conf import settings

from casestudies import exporter

# The import format's columns, from the editorial export (casestudies/exporter.py): an export row
# is its row, so that the import columns re-import as they are.
IMPORT_COLUMNS = tuple(exporter.COLUMNS)
EXPORT_COLUMNS = exporter.EXPORT_ONLY_COLUMNS
COLUMNS = IMPORT_COLUMNS + EXPORT_COLUMNS
LIST_SEPARATOR = exporter.LIST_SEPARATOR

LICENCE_NAME = "CC BY 4.0"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"


def platform_name() -> str:
    return getattr(settings, "WAGTAIL_SITE_NAME", "CAC Knowledge Platform")


def licence_statement() -> str:
    return f"Case study texts: {LICENCE_NAME}, {platform_name()} ({LICENCE_URL})"


# ----------------------------------------------------------------------------------------------
# Rows
# ----------------------------------------------------------------------------------------------
def absolute(request, path: str) -> str:
    if not path:
        return ""
    if path.startswith(("http://", "https://")):
        return path
    return request.build_absolute_uri(path) if request is not None else path


def on_request_host(request, url: str) -> str:
    """An absolute URL moved to the host (and scheme) the request came to: Wagtail builds full
    URLs from the Site record, which says `http://localhost` on a site not configured with
    `SITE_URL` (the demo). Without a request, unchanged."""
    if not url or request is None:
        return url
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return request.build_absolute_uri(parts.path + (f"?{parts.query}" if parts.query else ""))


def case_url(page, request=None) -> str:
    return absolute(request, page.get_url(request=request) or "")


def case_row(page, request=None, *, key: str | None = None) -> dict[str, str]:
    """The export row of one live case: the import format's row (`casestudies.exporter.page_to_row`,
    body and outcomes as its Markdown), then URL, last-published time, licence and citation.

    `key` (the case's external key) may be given already looked up (the exports do it per
    chunk with `exporter.keys_for`); the page's areas, measure types and sources should be
    prefetched when many rows are made.
    """
    from opendata.cite import apa_citation

    if key is None:
        key = exporter.keys_for([page])[page.translation_key]
    row = exporter.page_to_row(page, key)
    row.update(
        {
            "url": case_url(page, request),
            "last_published_at": page.last_published_at.isoformat() if page.last_published_at else "",
            "licence": LICENCE_NAME,
            "citation": apa_citation(page, request),
        }
    )
    return row
