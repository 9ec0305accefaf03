"""The world map: an equirectangular projection matching the shipped outline.

`opendata/static/opendata/world.svg` is generated once, by `manage.py build_world_outline`, from
Natural Earth's 1:110m countries (public domain) as shipped inside the geopandas 0.14 wheel; it is
drawn in these same coordinates, so that a city's circle lands on its place with no network, tile
server or JavaScript.
"""

from __future__ import annotations

import math

WIDTH = 1000.0
NORTH = 84.0  # latitudes kept: 84°N … 58°S (no city of the platform lies beyond)
SOUTH = -58.0
SCALE = WIDTH / 360.0
HEIGHT = round((NORTH - SOUTH) * SCALE, 2)


def project(longitude: float, latitude: float) -> tuple[float, float]:
    """(x, y) in the outline's user units."""
    latitude = max(min(float(latitude), NORTH), SOUTH)
    longitude = max(min(float(longitude), 180.0), -180.0)
    return round((longitude + 180.0) * SCALE, 2), round((NORTH - latitude) * SCALE, 2)


def radius(count: int, largest: int) -> float:
    """Circle radius: the area grows with the number of cases (r ∝ √count), 3 to 18 units."""
    if count <= 0:
        return 0.0
    largest = max(largest, 1)
    return round(3.0 + 15.0 * math.sqrt(count) / math.sqrt(largest), 2)
