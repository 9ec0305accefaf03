"""Load the demo site: pages, cities, case studies and the summit archive (idempotent)."""

from django.core.management.base import BaseCommand

from casestudies.loaders import load_demo


class Command(BaseCommand):
    help = "Create the demo page tree, cities, case studies (en/ko) and the CAC Global Summit 2020 archive."

    def handle(self, *args, **options):
        stats = load_demo(log=self.stdout.write)
        try:
            from archive.loaders import load_summit
        except ImportError:
            load_summit = None
        if load_summit is not None:
            load_summit(stdout=self.stdout)
        # community: companies showcase, media archive and related links (after the summit).
        from community.loaders import load_community

        load_community(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS(f"Demo content ready ({stats})."))
