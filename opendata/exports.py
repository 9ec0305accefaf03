"""Downloads of any search or browse view: CSV, JSON and JSON Lines, streamed in constant memory.

`/<lang>/data/cases.csv|.json|.jsonl?<the search page's parameters>`. The pages are read with
`.iterator(chunk_size=…)` (prefetches per chunk) and written row by row: 100,000 cases export
without ever holding more than one chunk (see bench/export.py and docs/open-data.md).

Licence and citation (see docs/open-data.md):
- CSV and JSON Lines: every row carries `licence` and its case's `citation`; the response carries
  `Link: <…CC BY 4.0…>; rel="license"`. An empty result is a header-only CSV / an empty file.
- JSON: an object with `licence`, `licence_url`, `citation` (of the data set), `parameters`,
  `columns`, `results` (the rows) and `count`. An empty result has `"results": []`.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator

from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from opendata import selection as sel
from opendata.rows import COLUMNS, LICENCE_NAME, LICENCE_URL, case_row, licence_statement, platform_name
from ops.downloads import kept_download
from ops.i18n import current_language
from ops.ratelimit import limited
from ops.spreadsheet import neutralise_row
from search import filters
from search.service import BadSearchRequest

CHUNK_SIZE = 500
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json; charset=utf-8",
    "jsonl": "application/x-ndjson; charset=utf-8",
}


def bad_request(error: BadSearchRequest | str) -> JsonResponse:
    """400 with `{"error": message}` (and `"parameter"` for a filter value: search.filters)."""
    body = filters.error_json(error) if isinstance(error, BadSearchRequest) else {"error": error}
    return JsonResponse(body, status=400, json_dumps_params={"ensure_ascii": False})


class _Echo:
    def write(self, value: str) -> str:
        return value


def _rows_of_chunk(pages: list, request) -> Iterator[dict]:
    """Rows of a chunk of pages: their areas, measure types and sources prefetched and their
    external keys looked up for the whole chunk at once."""
    from django.db.models import Prefetch, prefetch_related_objects

    from casestudies.exporter import keys_for
    from casestudies.models import CaseStudySource, TaggedCaseStudy

    # What exporter.page_to_row reads: areas, tag links with their tags, sources in order.
    prefetch_related_objects(
        pages,
        "policy_areas",
        Prefetch("tagged_measures", queryset=TaggedCaseStudy.objects.select_related("tag")),
        Prefetch("sources", queryset=CaseStudySource.objects.order_by("sort_order", "pk")),
        "outcome_evidence",
        "inspired_by",
    )
    keys = keys_for(pages)
    for page in pages:
        yield case_row(page, request, key=keys.get(page.translation_key, page.slug))


def iter_rows(selection: sel.Selection, request, chunk_size: int = CHUNK_SIZE) -> Iterator[dict]:
    """Every row of the selection, streamed: pages come `chunk_size` at a time from one cursor."""
    chunk: list = []
    for page in sel.iter_cases(selection, chunk_size=chunk_size):
        chunk.append(page)
        if len(chunk) >= chunk_size:
            yield from _rows_of_chunk(chunk, request)
            chunk = []
    if chunk:
        yield from _rows_of_chunk(chunk, request)


def csv_stream(rows: Iterator[dict]) -> Iterator[str]:
    writer = csv.DictWriter(_Echo(), fieldnames=COLUMNS, extrasaction="ignore")
    yield writer.writeheader()
    for row in rows:
        yield writer.writerow(neutralise_row(row))  # no cell a spreadsheet runs as a formula


def jsonl_stream(rows: Iterator[dict]) -> Iterator[str]:
    for row in rows:
        yield json.dumps(row, ensure_ascii=False) + "\n"


def dataset_citation(request, language: str, when=None) -> str:
    when = when or timezone.localdate()
    url = request.build_absolute_uri()
    return f"{platform_name()} ({when.year}). Case studies ({language}) [Data set]. Retrieved {when.isoformat()}, from {url}"


def json_stream(rows: Iterator[dict], request, selection: sel.Selection) -> Iterator[str]:
    head = {
        "licence": licence_statement(),
        "licence_url": LICENCE_URL,
        "citation": dataset_citation(request, selection.language),
        "language": selection.language,
        "parameters": {key: request.GET.getlist(key) for key in sorted(request.GET)},
        "generated_at": timezone.now().isoformat(timespec="seconds"),
        "columns": list(COLUMNS),
    }
    yield json.dumps(head, ensure_ascii=False)[:-1] + ', "results": ['
    count = 0
    for row in rows:
        yield ("\n" if count == 0 else ",\n") + json.dumps(row, ensure_ascii=False)
        count += 1
    yield f'\n], "count": {count}}}\n'


def filename(language: str, fmt: str, excel: bool = False) -> str:
    return f"cac-cases-{language}-{timezone.localdate():%Y%m%d}{'-excel' if excel else ''}.{fmt}"


# Excel reads a CSV without a byte-order mark in the system's code page, garbling Korean text:
# `?excel=1` gives the same CSV with a UTF-8 BOM first. The plain CSV stays BOM-free for scripts.
BOM = "\ufeff"


def with_bom(content: Iterator[str]) -> Iterator[str]:
    yield BOM
    yield from content


def download_list(query: str, formats: tuple[str, ...] = ("csv", "json", "jsonl")) -> list[dict]:
    """The download links of a selection (`query`: "" or "?…"): each format, and the CSV once more
    for Excel, each with a label saying which is which."""
    from django.urls import reverse

    labels = {"csv": "CSV", "json": "JSON", "jsonl": "JSON Lines"}
    links = []
    for fmt in formats:
        url = reverse("opendata:export", args=[fmt]) + query
        links.append({"format": labels[fmt], "url": url})
        if fmt == "csv":
            links[-1]["note"] = _("plain UTF-8, for scripts and data tools")
            links.append(
                {
                    "format": "CSV",
                    "label": _("CSV for Excel"),
                    "note": _("UTF-8 with a byte-order mark: Excel shows Korean text correctly"),
                    "url": url + ("&" if query else "?") + "excel=1",
                }
            )
    return links


@require_safe
@limited("export")
def export_view(request, fmt: str):
    language = current_language()
    try:
        selection = sel.parse_selection(request.GET, language, allowed=("excel",))
    except BadSearchRequest as exc:
        return bad_request(exc)
    excel = request.GET.get("excel", "")
    if excel not in ("", "0", "1"):
        return bad_request(_("excel must be 1 (a CSV for Excel) or 0."))
    excel = excel == "1"
    if excel and fmt != "csv":
        return bad_request(_("excel=1 applies to the CSV download only."))
    # The same file for everyone who asks the same address on the same day (its citations carry the
    # address and the date), kept as a file until content next changes (ops.downloads).
    name = (
        hashlib.sha256(
            f"{fmt}|{language}|{request.build_absolute_uri()}|{timezone.localdate()}".encode()
        ).hexdigest()
        + f".{fmt}"
    )

    def produce() -> Iterator[str]:
        rows = iter_rows(selection, request)
        if fmt == "csv":
            return with_bom(csv_stream(rows)) if excel else csv_stream(rows)
        if fmt == "jsonl":
            return jsonl_stream(rows)
        return json_stream(rows, request, selection)

    if request.method == "HEAD":  # the headers only: the file is not made for them
        response = HttpResponse(content_type=FORMATS[fmt])
    else:
        response = StreamingHttpResponse(kept_download(name, produce), content_type=FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename(language, fmt, excel)}"'
    response["Link"] = f'<{LICENCE_URL}>; rel="license"'
    response["X-Licence"] = f"{LICENCE_NAME}; {platform_name()}"
    response["Cache-Control"] = "no-cache"
    return response
