"""Import case studies from a CSV (UTF-8, header row) or JSON Lines file: docs/import-format.md."""

from __future__ import annotations

import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from casestudies.imports import (
    ImportFailed,
    detect_format,
    import_file,
    prepare_skipping,
    write_pages,
    write_rejects,
)
from ops.progress import ProgressBar

MAX_ERRORS_SHOWN = 200


class Command(BaseCommand):
    help = _(
        "Import case studies from a CSV (UTF-8, with a header row) or JSON Lines file. Rows with the "
        "same key in two languages become translations. Nothing is written when a row is bad."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("the file to import, or - for standard input"))
        parser.add_argument(
            "--format", choices=["csv", "jsonl"], help=_("the file format (default: from the extension)")
        )
        parser.add_argument("--dry-run", action="store_true", help=_("validate and report, write nothing"))
        parser.add_argument(
            "--publish",
            action="store_true",
            help=_("publish the pages (default: drafts submitted to the review workflow)"),
        )
        parser.add_argument("--user", help=_("username recorded as the author of the revisions"))
        parser.add_argument("--no-progress", action="store_true", help=_("no progress bar"))
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help=_(
                "import the valid rows and write the invalid ones, with an error column, to a rejects "
                "file (default: one invalid row refuses the whole file)"
            ),
        )
        parser.add_argument(
            "--rejects",
            help=_("where --skip-invalid writes the rejected rows (default: FILE.rejects.csv or .jsonl)"),
        )

    def handle(self, *args, **options):
        name = options["file"]
        fmt = options["format"] or detect_format(name)
        if fmt is None:
            raise CommandError(
                _("Cannot tell the format of %(name)s: use --format csv or --format jsonl.") % {"name": name}
            )
        if name == "-":
            data = sys.stdin.buffer.read()
        else:
            path = Path(name)
            if not path.is_file():
                raise CommandError(_("No such file: %(name)s") % {"name": name})
            data = path.read_bytes()

        user = None
        if options["user"]:
            user = (
                get_user_model().objects.filter(**{get_user_model().USERNAME_FIELD: options["user"]}).first()
            )
            if user is None:
                raise CommandError(_("No such user: %(name)s") % {"name": options["user"]})

        progress = None
        if not options["no_progress"] and options["verbosity"] > 0 and not options["dry_run"]:
            progress = ProgressBar(self.stderr, unit="rows")
        if options["skip_invalid"]:
            return self.import_skipping(data, fmt, name, user, progress, options)
        try:
            plan, result = import_file(
                data,
                fmt,
                publish=options["publish"],
                dry_run=options["dry_run"],
                user=user,
                progress=progress,
            )
        except ImportFailed as failure:
            if progress is not None:
                progress.finish()
            for error in failure.errors[:MAX_ERRORS_SHOWN]:
                self.stderr.write(str(error))
            if len(failure.errors) > MAX_ERRORS_SHOWN:
                self.stderr.write(_("… and %(n)d more.") % {"n": len(failure.errors) - MAX_ERRORS_SHOWN})
            raise CommandError(
                _("%(n)d error(s): nothing was imported.") % {"n": len(failure.errors)}
            ) from None

        if progress is not None:
            progress.finish()
        if result is None:
            for line in plan.summary():
                self.stdout.write(line)
            self.stdout.write(self.style.WARNING(_("Dry run: nothing was written.")))
            return
        for line in result.summary():
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS(_("Import done.")))

    def import_skipping(self, data: bytes, fmt: str, name: str, user, progress, options) -> None:
        """--skip-invalid: the valid rows are imported, the others written to the rejects file."""
        try:
            plan, rejected = prepare_skipping(data, fmt, publish=options["publish"])
        except ImportFailed as failure:
            for error in failure.errors[:MAX_ERRORS_SHOWN]:
                self.stderr.write(str(error))
            raise CommandError(_("The file cannot be read: nothing was imported.")) from None
        rejects_path = None
        if rejected:
            default = "rejects" if name == "-" else name
            rejects_path = Path(options["rejects"] or f"{default}.rejects.{fmt}")
            rejects_path.write_bytes(write_rejects(rejected, fmt))
            for item in rejected[:MAX_ERRORS_SHOWN]:
                self.stderr.write(
                    _("line %(line)d: %(errors)s") % {"line": item.line, "errors": " | ".join(item.errors)}
                )
        imported = len(plan.rows) if plan is not None else 0
        if plan is not None and not options["dry_run"]:
            result = write_pages(plan, user=user, progress=progress)
            for line in result.summary():
                self.stdout.write(line)
        elif plan is not None:
            for line in plan.summary():
                self.stdout.write(line)
        self.stdout.write(
            _("%(imported)d rows imported, %(rejected)d rejected%(where)s.")
            % {
                "imported": 0 if options["dry_run"] else imported,
                "rejected": len(rejected),
                "where": _(" (written to %(path)s)") % {"path": rejects_path} if rejects_path else "",
            }
        )
        if options["dry_run"]:
            self.stdout.write(self.style.WARNING(_("Dry run: nothing was written.")))
