"""Load the demo site: each app loads its own demo content, in the order of `settings.DEMO_LOADERS`."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string


class Command(BaseCommand):
    help = (
        "Create the demo content of every app (the case studies, the CAC Global Summit 2020 archive, the "
        "showcase, media and links pages; English and Korean). Safe to run again: only what is missing "
        "is created."
    )

    def handle(self, *args, **options):
        for path in settings.DEMO_LOADERS:
            import_string(path)(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo content ready."))
