"""Export case studies in the import format (CSV or JSON Lines): export → import round-trips."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from casestudies.exporter import export
from casestudies.imports import detect_format


class Command(BaseCommand):
    help = _("Export case studies in the import format (docs/import-format.md).")

    def add_arguments(self, parser):
        parser.add_argument(
            "file", nargs="?", default="-", help=_("the output file, or - for standard output")
        )
        parser.add_argument(
            "--format", choices=["csv", "jsonl"], help=_("default: from the extension, else csv")
        )
        parser.add_argument(
            "--live",
            action="store_true",
            help=_("only live pages, as published (default: every case, its latest revision)"),
        )

    def handle(self, *args, **options):
        name = options["file"]
        fmt = options["format"] or (detect_format(name) if name != "-" else None) or "csv"
        if name == "-":
            stream = getattr(self.stdout, "_out", sys.stdout)
            count = export(stream, fmt=fmt, live=options["live"])
            stream.flush()
        else:
            path = Path(name)
            if path.parent and not path.parent.exists():
                raise CommandError(_("No such directory: %(name)s") % {"name": str(path.parent)})
            with path.open("w", encoding="utf-8", newline="") as stream:
                count = export(stream, fmt=fmt, live=options["live"])
        self.stderr.write(_("%(n)d rows exported.") % {"n": count})
