"""Bulk import through the admin: upload → preview (rows, errors, what will change) → confirm.

The preview writes nothing. The file waits in a `PendingImport` row under a random token that
is signed for the uploading user, so the confirmation cannot be forged or replayed by another
user; the file is validated again on confirmation (the database may have changed meanwhile).
"""

from __future__ import annotations

import base64
import datetime
import secrets

from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.generic import View

from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.permissions import page_permission_policy

from casestudies.exporter import COLUMNS
from casestudies.imports import (
    ImportFailed,
    detect_format,
    prepare,
    prepare_skipping,
    read_rows,
    write_pages,
    write_rejects,
)
from casestudies.tracker import prepare_tracker, read_release
from casestudies.tracker import write_rejects as write_tracker_rejects
from editorial.forms import ImportConfirmForm, ImportUploadForm
from editorial.models import PendingImport
from ops.text import one_line

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# Larger files take longer than a web request should: the management command handles them.
MAX_WEB_ROWS = 2000
PREVIEW_ROWS = 100
TOKEN_MAX_AGE = 60 * 60 * 24
SIGNING_SALT = "editorial.import"
PERMISSION = "editorial.import_casestudies"


def user_can_import(user) -> bool:
    return user.is_active and user.has_perm(PERMISSION)


def user_can_publish_import(user) -> bool:
    return user.is_superuser or page_permission_policy.user_has_permission(user, "publish")


ACTION_LABELS = {
    "create": gettext_lazy("new"),
    "update": gettext_lazy("changed"),
    "publish": gettext_lazy("to publish"),
    "unchanged": gettext_lazy("unchanged"),
}


def _preview(raw_rows, errors=frozenset(), actions=None) -> list[dict]:
    actions = actions or {}
    return [
        {
            "line": raw.line,
            "key": raw.values.get("key", ""),
            "locale": raw.values.get("locale", ""),
            "title": raw.values.get("title", ""),
            "city": raw.values.get("city", ""),
            "policy_areas": raw.values.get("policy_areas", ""),
            "start_date": raw.values.get("start_date", ""),
            "has_error": raw.line in errors,
            "action": ACTION_LABELS.get(actions.get(raw.line, ""), ""),
        }
        for raw in raw_rows[:PREVIEW_ROWS]
    ]


class ImportView(WagtailAdminTemplateMixin, View):
    page_title = gettext_lazy("Import case studies")
    header_icon = "upload"
    template_name = "editorial/import.html"

    def dispatch(self, request, *args, **kwargs):
        if not user_can_import(request.user):
            raise PermissionDenied
        self.can_publish = user_can_publish_import(request.user)
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.page_title}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            columns=COLUMNS,
            max_rows=MAX_WEB_ROWS,
            action_url=reverse("editorial_import"),
            confirm_url=reverse("editorial_import_confirm"),
        )
        return context

    def get(self, request):
        return self.render_to_response(
            self.get_context_data(form=ImportUploadForm(can_publish=self.can_publish))
        )

    def post(self, request):
        form = ImportUploadForm(request.POST, request.FILES, can_publish=self.can_publish)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        upload = form.cleaned_data["file"]
        publish = bool(form.cleaned_data.get("publish")) and self.can_publish
        fmt = detect_format(upload.name)
        if fmt is None:
            form.add_error("file", _("Upload a .csv or a .jsonl file."))
            return self.render_to_response(self.get_context_data(form=form))
        if upload.size > MAX_UPLOAD_BYTES:
            form.add_error("file", _("The file is larger than 10 MB: use the import_casestudies command."))
            return self.render_to_response(self.get_context_data(form=form))
        data = upload.read()
        skip = bool(form.cleaned_data.get("skip_invalid"))
        source = form.cleaned_data.get("source") or ""
        if source:
            if fmt != "csv":
                form.add_error("file", _("A tracker release is a .csv file."))
                return self.render_to_response(self.get_context_data(form=form))
            return self.preview_tracker(request, form, data, upload.name, publish, skip, source)
        return self.preview(request, form, data, fmt, upload.name, publish, skip)

    def _pending(self, request, filename: str, fmt: str, data: bytes, publish: bool, skip: bool, source=""):
        """The file waits for the confirmation under a token signed for this user."""
        PendingImport.objects.filter(created_at__lt=timezone.now() - datetime.timedelta(days=1)).delete()
        token = secrets.token_urlsafe(24)
        PendingImport.objects.create(
            token=token,
            user=request.user,
            filename=one_line(filename)[:255],
            file_format=fmt,
            data=data,
            publish=publish,
            skip_invalid=skip,
            source=source,
        )
        return ImportConfirmForm(
            initial={"token": signing.dumps({"token": token, "user": request.user.pk}, salt=SIGNING_SALT)}
        )

    def preview_tracker(
        self, request, form, data: bytes, filename: str, publish: bool, skip: bool, source: str
    ):
        """A tracker release (casestudies.tracker): its records become cases through the importer."""
        context = {"form": form, "filename": filename, "publish": publish}
        try:
            count = len(read_release(data).values)
            if count > MAX_WEB_ROWS:
                raise ImportFailed([])
            result = prepare_tracker(data, source, publish=publish, skip_invalid=skip)
        except ImportFailed as failure:
            context["errors"] = [str(error) for error in failure.errors] or [
                _(
                    "%(n)d rows: the admin imports at most %(max)d at a time. "
                    "Split the file or use the import_tracker command."
                )
                % {"n": count, "max": MAX_WEB_ROWS}
            ]
            return self.render_to_response(self.get_context_data(**context))
        rejected = [
            _("line %(line)d: %(errors)s") % {"line": item.line, "errors": " | ".join(item.errors)}
            for item in result.rejected
        ]
        if result.plan is None:
            context["errors"] = rejected or [_("The file holds no municipal record to import.")]
            return self.render_to_response(self.get_context_data(**context))
        if rejected:
            context["rejected"] = rejected
            context["rejects_href"] = (
                "data:text/csv;base64," + base64.b64encode(write_tracker_rejects(result)).decode()
            )
            context["rejects_name"] = f"{filename.rsplit('.', 1)[0]}.rejects.csv"
        plan = result.plan
        context.update(
            plan=plan,
            summary=[*result.summary(), *plan.summary()],
            confirm_form=self._pending(request, filename, "csv", data, publish, skip, source),
            row_count=len(plan.rows),
            preview_rows=[
                {
                    "line": result.conversion.policies[row.key].first.line,
                    "key": row.key,
                    "locale": row.locale,
                    "title": row.title,
                    "city": row.city.name,
                    "policy_areas": "; ".join(area.slug for area in row.areas),
                    "start_date": row.start_date.isoformat(),
                    "has_error": False,
                    "action": ACTION_LABELS.get(row.action, ""),
                }
                for row in plan.rows[:PREVIEW_ROWS]
            ],
        )
        return self.render_to_response(self.get_context_data(**context))

    def preview(self, request, form, data: bytes, fmt: str, filename: str, publish: bool, skip: bool = False):
        context = {"form": form, "filename": filename, "publish": publish}
        try:
            raw_rows, _read_errors = read_rows(data, fmt)
        except ImportFailed as failure:
            context["errors"] = [str(error) for error in failure.errors]
            return self.render_to_response(self.get_context_data(**context))
        context["preview_rows"] = _preview(raw_rows)
        context["row_count"] = len(raw_rows)
        if len(raw_rows) > MAX_WEB_ROWS:
            context["errors"] = [
                _(
                    "%(n)d rows: the admin imports at most %(max)d at a time. "
                    "Split the file or use the import_casestudies command."
                )
                % {"n": len(raw_rows), "max": MAX_WEB_ROWS}
            ]
            return self.render_to_response(self.get_context_data(**context))
        rejected = []
        try:
            if skip:
                plan, rejected = prepare_skipping(data, fmt, publish=publish)
                if plan is None:
                    raise ImportFailed([])
            else:
                plan = prepare(data, fmt, publish=publish)
        except ImportFailed as failure:
            context["errors"] = [str(error) for error in failure.errors] or [
                _("line %(line)d: %(errors)s") % {"line": item.line, "errors": " | ".join(item.errors)}
                for item in rejected
            ]
            bad = {error.line for error in failure.errors} | {item.line for item in rejected}
            context["preview_rows"] = _preview(raw_rows, errors=bad)
            return self.render_to_response(self.get_context_data(**context))
        if rejected:
            context["rejected"] = [
                _("line %(line)d: %(errors)s") % {"line": item.line, "errors": " | ".join(item.errors)}
                for item in rejected
            ]
            # The rows set aside, with their errors, to fix and upload again (admin pages have no CSP).
            context["rejects_href"] = (
                f"data:{'application/x-ndjson' if fmt == 'jsonl' else 'text/csv'};base64,"
                + (base64.b64encode(write_rejects(rejected, fmt)).decode())
            )
            context["rejects_name"] = f"{filename.rsplit('.', 1)[0]}.rejects.{fmt}"

        actions = {row.line: row.action for row in plan.rows}
        context.update(
            plan=plan,
            summary=plan.summary(),
            confirm_form=self._pending(request, filename, fmt, data, publish, skip),
            preview_rows=_preview(raw_rows, errors={item.line for item in rejected}, actions=actions),
        )
        return self.render_to_response(self.get_context_data(**context))


class ImportConfirmView(ImportView):
    def get(self, request):
        return redirect("editorial_import")

    def post(self, request):
        form = ImportConfirmForm(request.POST)
        pending = None
        if form.is_valid():
            try:
                payload = signing.loads(form.cleaned_data["token"], salt=SIGNING_SALT, max_age=TOKEN_MAX_AGE)
            except signing.BadSignature:
                payload = None
            if payload and payload.get("user") == request.user.pk:
                pending = PendingImport.objects.filter(token=payload.get("token"), user=request.user).first()
        if pending is None:
            messages.error(request, _("This import has expired or was already done: upload the file again."))
            return redirect("editorial_import")
        publish = pending.publish and self.can_publish
        data = bytes(pending.data)
        rejected = []
        try:
            if pending.source:
                tracker = prepare_tracker(
                    data, pending.source, publish=publish, skip_invalid=pending.skip_invalid
                )
                plan, rejected = tracker.plan, tracker.rejected
                if plan is None:
                    raise ImportFailed([])
            elif pending.skip_invalid:
                plan, rejected = prepare_skipping(data, pending.file_format, publish=publish)
                if plan is None:
                    raise ImportFailed([])
            else:
                plan = prepare(data, pending.file_format, publish=publish)
        except ImportFailed as failure:
            upload_form = ImportUploadForm(can_publish=self.can_publish)
            context = {
                "form": upload_form,
                "filename": pending.filename,
                "errors": [str(error) for error in failure.errors]
                or [_("None of the rows is valid any more: upload the file again.")],
            }
            pending.delete()
            return self.render_to_response(self.get_context_data(**context))
        result = write_pages(plan, user=request.user)
        pending.delete()
        summary = result.summary()
        if rejected:
            summary.append(
                ngettext("%(n)d row set aside.", "%(n)d rows set aside.", len(rejected))
                % {"n": len(rejected)}
            )
        messages.success(request, " ".join(summary))
        return redirect(reverse("editorial_import") + "?done=1")
