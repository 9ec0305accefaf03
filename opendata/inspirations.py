"""Who copied whom: the "inspired by" relation between public cases, as CSV and through the API.

`/<lang>/data/inspirations.csv` and `/api/v2/inspirations/` give one row per link (a case and the
case it names as its inspiration), both public, in the request's language where translated.
`?case=<page id>` keeps the links of that case's spread: its own inspirations and every case that
copied it, directly or through others.
"""

from __future__ import annotations

import csv
import io

from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from casestudies.exporter import keys_for
from casestudies.models import CaseInspiration, CaseStudyPage
from casestudies.visibility import public_now
from opendata.rows import LICENCE_NAME, LICENCE_URL, case_url, licence_statement
from ops.i18n import current_language
from ops.ids import is_database_id
from ops.ratelimit import limited
from ops.spreadsheet import neutralise_row

COLUMNS = (
    "case_key",
    "case_title",
    "case_city",
    "case_country",
    "case_start_date",
    "case_url",
    "inspired_by_key",
    "inspired_by_title",
    "inspired_by_city",
    "inspired_by_country",
    "inspired_by_start_date",
    "inspired_by_url",
    "note",
)
MAX_LIMIT = 500


class BadParameter(ValueError):
    pass


def _spread_keys(case_pk: int) -> set:
    page = public_now(CaseStudyPage.objects).filter(pk=case_pk).first()
    if page is None:
        raise BadParameter(_("No public case study has this id."))
    keys = {page.translation_key}
    frontier = {page.translation_key}
    while frontier:
        nxt = set(
            CaseInspiration.objects.filter(source__translation_key__in=frontier).values_list(
                "page__translation_key", flat=True
            )
        )
        frontier = nxt - keys
        keys |= nxt
    return keys


def relation_rows(request, language: str, case: str = "") -> list[dict]:
    """The links between public cases (deduplicated across languages), oldest case first."""
    links = CaseInspiration.objects.select_related("page", "source").order_by("pk")
    if case:
        if not (case.isascii() and case.isdigit()):
            raise BadParameter(_("case must be the id of a case study."))
        if not is_database_id(case):  # no page has it, and the database refuses it
            raise BadParameter(_("No public case study has this id."))
        keys = _spread_keys(int(case))
        links = links.filter(page__translation_key__in=keys)
    pairs: dict = {}
    for link in links:
        pair = (link.page.translation_key, link.source.translation_key)
        pairs.setdefault(pair, link.note)
    wanted = {key for pair in pairs for key in pair}
    shown: dict = {}
    for page in public_now(CaseStudyPage.objects.filter(translation_key__in=wanted)).select_related(
        "city", "locale"
    ):
        if page.translation_key not in shown or page.locale.language_code == language:
            shown[page.translation_key] = page
    keys = keys_for(list(shown.values()))
    rows = []
    for (page_key, source_key), note in pairs.items():
        page, source = shown.get(page_key), shown.get(source_key)
        if page is None or source is None:
            continue
        row = {}
        for prefix, item in (("case", page), ("inspired_by", source)):
            row[f"{prefix}_key"] = keys.get(item.translation_key, item.slug)
            row[f"{prefix}_title"] = item.title
            row[f"{prefix}_city"] = item.city.name if item.city_id else ""
            row[f"{prefix}_country"] = str(item.city.country.code) if item.city_id else ""
            row[f"{prefix}_start_date"] = item.start_date.isoformat() if item.start_date else ""
            row[f"{prefix}_url"] = case_url(item, request)
        row["note"] = note
        rows.append(row)
    rows.sort(key=lambda row: (row["case_start_date"], row["case_key"], row["inspired_by_key"]))
    return rows


def _bad(message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=400, json_dumps_params={"ensure_ascii": False})


@require_safe
@limited("export")
def inspirations_view(request, fmt: str):
    try:
        rows = relation_rows(request, current_language(), (request.GET.get("case") or "").strip())
    except BadParameter as exc:
        return _bad(str(exc))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(neutralise_row(row))
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="cac-inspirations-{current_language()}.csv"'
    response["Link"] = f'<{LICENCE_URL}>; rel="license"'
    response["X-Licence"] = LICENCE_NAME
    return response


@require_safe
@limited("api")
def inspirations_api(request):
    """`/api/v2/inspirations/?case=&locale=&limit=&offset=`: the same rows as JSON."""
    known = {"case", "locale", "limit", "offset", "format", "_"}
    unknown = sorted(set(request.GET) - known)
    if unknown:
        return _bad(_("Unknown parameter(s): %(names)s.") % {"names": ", ".join(unknown)})
    locale = (request.GET.get("locale") or current_language()).strip()
    if locale not in ("en", "ko"):
        return _bad(_("locale must be en or ko."))
    try:
        limit = int(request.GET.get("limit") or 100)
        offset = int(request.GET.get("offset") or 0)
    except ValueError:
        return _bad(_("limit and offset must be whole numbers."))
    if not (1 <= limit <= MAX_LIMIT) or offset < 0:
        return _bad(_("limit must be from 1 to %(max)d, offset 0 or more.") % {"max": MAX_LIMIT})
    try:
        rows = relation_rows(request, locale, (request.GET.get("case") or "").strip())
    except BadParameter as exc:
        return _bad(str(exc))
    return JsonResponse(
        {
            "meta": {"total_count": len(rows), "licence": licence_statement(), "columns": list(COLUMNS)},
            "items": rows[offset : offset + limit],
        },
        json_dumps_params={"ensure_ascii": False},
    )
