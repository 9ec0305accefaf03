"""The import format in the admin: docs/import-format.md as a page, and a template CSV to start from.

The Markdown is rendered with markdown-it-py (CommonMark plus tables) with raw HTML off, so the
document is shown as written and cannot inject markup. The template's header is the importer's own
column list (`casestudies.exporter.COLUMNS`), so it cannot drift from what the importer reads.
"""

from __future__ import annotations

import csv
import io
from functools import lru_cache
from pathlib import Path

from markdown_it import MarkdownIt

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy
from django.views.generic import View

from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from casestudies.exporter import COLUMNS
from ops.spreadsheet import neutralise_row

from .imports import user_can_import

FORMAT_DOCUMENT = Path(settings.BASE_DIR) / "docs" / "import-format.md"
TEMPLATE_FILENAME = "casestudies-template.csv"

# One case in both languages: the English row carries the shared columns, the Korean row (same
# key) only its own text, as docs/import-format.md describes translations.
TEMPLATE_ROWS: list[dict[str, str]] = [
    {
        "key": "example-city-school-meals",
        "locale": "en",
        "title": "School meals delivered at home",
        "summary": "The city kept feeding its pupils during school closures by delivering meal boxes.",
        "city": "Example City",
        "country": "KR",
        "continent": "asia",
        "policy_areas": "welfare; education",
        "measure_types": "School meal delivery",
        "start_date": "2020-03-23",
        "end_date": "2020-07-17",
        "body": "Plain text or Markdown.\n\n## What the city did\n\n- meal boxes every week\n- a help line",
        "outcomes": "Every pupil on free school meals kept *every* meal.",
        "source_urls": "[City press release](https://www.example.org/school-meals)",
        "contact_email": "meals@example.org",
        "evidence": "2 | Meal boxes delivered per week | 0 | 2020-03-20 | 9000 | 2020-04-24",
        "staff": "35 school cooks and drivers",
        "launch_days": "3",
    },
    {
        "key": "example-city-school-meals",
        "locale": "ko",
        "title": "가정으로 배달하는 학교 급식",
        "summary": "시는 휴교 기간 동안 급식 꾸러미를 배달해 학생들의 식사를 지원했다.",
        "body": "일반 텍스트나 마크다운.\n\n## 시가 한 일\n\n- 매주 급식 꾸러미\n- 상담 전화",
        "outcomes": "무상 급식 대상 학생 모두가 *모든* 끼니를 받았다.",
    },
]


@lru_cache(maxsize=4)
def _render(path: Path, mtime: float) -> str:
    parser = MarkdownIt("commonmark", {"html": False}).enable("table")
    return parser.render(path.read_text(encoding="utf-8"))


def format_document_html() -> SafeString:
    """docs/import-format.md as HTML (raw HTML in it escaped); cached until the file changes."""
    return mark_safe(_render(FORMAT_DOCUMENT, FORMAT_DOCUMENT.stat().st_mtime))  # noqa: S308 - html off


def template_csv() -> bytes:
    """The template file: the importer's columns as header, one example row per language."""
    stream = io.StringIO()
    writer = csv.DictWriter(stream, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in TEMPLATE_ROWS:
        writer.writerow(neutralise_row({column: row.get(column, "") for column in COLUMNS}))
    # A byte-order mark, so that spreadsheet programs open the Korean row as UTF-8.
    return ("\ufeff" + stream.getvalue()).encode("utf-8")


class _ImportersOnly(View):
    def dispatch(self, request, *args, **kwargs):
        if not user_can_import(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class ImportFormatView(WagtailAdminTemplateMixin, _ImportersOnly):
    page_title = gettext_lazy("Import format")
    header_icon = "doc-full"
    template_name = "editorial/import_format.html"

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("editorial_import"), "label": gettext_lazy("Import case studies")},
            {"url": "", "label": self.page_title},
        ]

    def get(self, request):
        return self.render_to_response(
            self.get_context_data(
                document=format_document_html(),
                columns=COLUMNS,
                template_url=reverse("editorial_import_template"),
                template_filename=TEMPLATE_FILENAME,
            )
        )


class ImportTemplateView(_ImportersOnly):
    def get(self, request):
        response = HttpResponse(template_csv(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{TEMPLATE_FILENAME}"'
        return response
