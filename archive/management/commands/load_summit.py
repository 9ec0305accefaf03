from django.core.management.base import BaseCommand

from archive.loaders import load_summit


class Command(BaseCommand):
    help = "Load the CAC Global Summit 2020 (15 sessions, English and Korean); safe to run again."

    def add_arguments(self, parser):
        parser.add_argument(
            "--data", help="another JSON file in the same format as demo_data/summit2020.json"
        )

    def handle(self, *args, **options):
        load_summit(stdout=self.stdout, data_file=options.get("data"))
