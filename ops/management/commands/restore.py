from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ops.backup import restore_backup


class Command(BaseCommand):
    help = "Restore a backup made by `backup` into this migrated database (empty unless --force)."

    def add_arguments(self, parser):
        parser.add_argument("source")
        parser.add_argument(
            "--force", action="store_true", help="Replace the content of a non-empty database."
        )

    def handle(self, *args, source, force, **options):
        if not Path(source).exists():
            raise CommandError(f"No backup at {source}.")
        try:
            counts = restore_backup(Path(source), log=self.stdout.write, force=force)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Restored {sum(counts.values())} objects."))
