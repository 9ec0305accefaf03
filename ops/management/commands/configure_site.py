from urllib.parse import urlsplit

from django.core.management.base import BaseCommand, CommandError

from wagtail.models import Site


class Command(BaseCommand):
    help = (
        "Give the default Wagtail site its public address (e.g. https://cac.example.org), so that the "
        "sitemap and other absolute links name the real host instead of the demo's localhost."
    )

    def add_arguments(self, parser):
        parser.add_argument("url", help="The site's public root URL, e.g. https://cac.example.org")

    def handle(self, *args, url, **options):
        parts = urlsplit(url.strip())
        try:
            port = parts.port
        except ValueError as exc:
            raise CommandError(f"{url!r} has an invalid port.") from exc
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
            raise CommandError(f"{url!r} is not a root URL such as https://cac.example.org")
        site = Site.objects.filter(is_default_site=True).first()
        if site is None:
            raise CommandError("There is no default site: run migrate first.")
        site.hostname = parts.hostname
        site.port = port or (443 if parts.scheme == "https" else 80)
        site.save()
        self.stdout.write(self.style.SUCCESS(f"The default site is now {site.root_url}."))
