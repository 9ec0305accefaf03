from datetime import UTC, datetime
from pathlib import Path

from django.core.management.base import BaseCommand

from ops.backup import create_backup


class Command(BaseCommand):
    help = "Back up the database content (portable JSON) and the media files into one .tar.gz."

    def add_arguments(self, parser):
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        parser.add_argument("target", nargs="?", default=f"backups/cac-{stamp}.tar.gz")

    def handle(self, *args, target, **options):
        create_backup(Path(target), log=self.stdout.write)
