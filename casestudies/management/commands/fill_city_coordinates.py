"""Fill the coordinates of cities that have none from the bundled gazetteer (GeoNames)."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from casestudies import gazetteer

MISSING_NAMED = 20


class Command(BaseCommand):
    help = _(
        "Give cities without coordinates those of the GeoNames gazetteer (matched by name, other "
        "spellings and country); coordinates already set, an editor's above all, are kept."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help=_("report what would be filled, change nothing")
        )

    def handle(self, *args, **options):
        from casestudies.models import City

        filled, missing = 0, []
        for city in City.objects.filter(latitude__isnull=True, longitude__isnull=True).order_by("pk"):
            place = gazetteer.fill(city, save=not options["dry_run"])
            if place is None:
                missing.append(f"{city.name} ({city.country.code})")
            else:
                filled += 1
                if options["verbosity"] > 1:
                    self.stdout.write(f"{city.name} ({city.country.code}) → {place.name} {place.source}")
        self.stdout.write(
            _("%(filled)d cities given coordinates, %(missing)d not found in the gazetteer.")
            % {"filled": filled, "missing": len(missing)}
        )
        if missing:
            # The first ones named, the rest counted (a tracker's release may bring hundreds).
            shown = missing if options["verbosity"] > 1 else missing[:MISSING_NAMED]
            names = ", ".join(shown)
            if len(shown) < len(missing):
                names = _("%(names)s and %(more)d more (-v 2 lists them all)") % {
                    "names": names,
                    "more": len(missing) - len(shown),
                }
            self.stdout.write(_("Not found: %(names)s.") % {"names": names})
