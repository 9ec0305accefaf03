"""Import a COVID-19 policy tracker's release file as case studies: docs/tracker-import.md."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from casestudies.imports import ImportFailed
from casestudies.tracker import CONNECTORS, prepare_tracker, write_rejects
from ops.progress import ProgressBar

MAX_ERRORS_SHOWN = 200


class Command(BaseCommand):
    help = _(
        "Import a tracker's release file (CoronaNet's CSV): its municipal records become case studies, "
        "one per policy with its updates as a timeline. Each file is imported on its own, in order; "
        "nothing is written from a file with a bad row unless --skip-invalid is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("tracker", choices=CONNECTORS, help=_("the tracker the files come from"))
        parser.add_argument("files", nargs="+", help=_("the release files (CSV) to import"))
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
                "import the valid policies and write the invalid records, with an error column, to "
                "FILE.rejects.csv (default: one invalid record refuses the whole file)"
            ),
        )

    def handle(self, *args, **options):
        user = None
        if options["user"]:
            model = get_user_model()
            user = model.objects.filter(**{model.USERNAME_FIELD: options["user"]}).first()
            if user is None:
                raise CommandError(_("No such user: %(name)s") % {"name": options["user"]})
        paths = [Path(name) for name in options["files"]]
        for path in paths:
            if not path.is_file():
                raise CommandError(_("No such file: %(name)s") % {"name": path})
        failed = 0
        for path in paths:
            if len(paths) > 1:
                self.stdout.write(self.style.MIGRATE_HEADING(str(path)))
            failed += not self.import_one(path, user, options)
        if failed:
            raise CommandError(
                _("%(n)d of %(total)d file(s) refused: nothing was imported from them.")
                % {"n": failed, "total": len(paths)}
            )

    def import_one(self, path: Path, user, options) -> bool:
        try:
            result = prepare_tracker(
                path.read_bytes(),
                options["tracker"],
                publish=options["publish"],
                skip_invalid=options["skip_invalid"],
            )
        except ImportFailed as failure:
            for error in failure.errors[:MAX_ERRORS_SHOWN]:
                self.stderr.write(f"{path}: {error}")
            if len(failure.errors) > MAX_ERRORS_SHOWN:
                self.stderr.write(_("… and %(n)d more.") % {"n": len(failure.errors) - MAX_ERRORS_SHOWN})
            self.stderr.write(_("%(n)d error(s): nothing was imported.") % {"n": len(failure.errors)})
            return False
        rejects_path = None
        if result.rejected:
            rejects_path = Path(f"{path}.rejects.csv")
            rejects_path.write_bytes(write_rejects(result))
            for item in result.rejected[:MAX_ERRORS_SHOWN]:
                self.stderr.write(
                    f"{path}: "
                    + _("line %(line)d: %(errors)s") % {"line": item.line, "errors": " | ".join(item.errors)}
                )
        for line in result.summary():
            self.stdout.write(line)
        plan = result.plan
        if plan is not None and not options["dry_run"]:
            progress = None
            if not options["no_progress"] and options["verbosity"] > 0:
                progress = ProgressBar(self.stderr, unit="cases")
            outcome = result.apply(user=user, progress=progress)
            if progress is not None:
                progress.finish()
            for line in outcome.summary():
                self.stdout.write(line)
        elif plan is not None:
            for line in plan.summary():
                self.stdout.write(line)
        self.stdout.write(
            _("%(imported)d cases imported, %(rejected)d records rejected%(where)s.")
            % {
                "imported": 0 if options["dry_run"] or plan is None else len(plan.rows),
                "rejected": len(result.rejected),
                "where": _(" (written to %(path)s)") % {"path": rejects_path} if rejects_path else "",
            }
        )
        if options["dry_run"]:
            self.stdout.write(self.style.WARNING(_("Dry run: nothing was written.")))
        return True
