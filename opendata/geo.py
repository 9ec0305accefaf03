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


# Markers closer than this (in the outline's units, about 5° of longitude) are drawn as one cluster:
# at thousands of cities, single circles would hide each other and be impossible to select.
CLUSTER_DISTANCE = 14.0


def cluster(points: list[dict], distance: float = CLUSTER_DISTANCE) -> list[list[dict]]:
    """Greedy leader clustering of projected points ({"x", "y", "count", …}), biggest first.

    Each point joins the nearest cluster whose leader (its biggest point) lies within `distance`,
    or starts a new one; leaders are found through a grid of `distance`-sized cells, so that
    thousands of points take milliseconds. Deterministic: ties are broken by the input order.
    """
    ordered = sorted(enumerate(points), key=lambda item: (-item[1]["count"], item[0]))
    clusters: list[list[dict]] = []
    grid: dict[tuple[int, int], list[int]] = {}
    limit = distance * distance
    for _position, point in ordered:
        cx, cy = int(point["x"] // distance), int(point["y"] // distance)
        best, best_d = None, limit
        for gx in (cx - 1, cx, cx + 1):
            for gy in (cy - 1, cy, cy + 1):
                for number in grid.get((gx, gy), ()):
                    leader = clusters[number][0]
                    d = (leader["x"] - point["x"]) ** 2 + (leader["y"] - point["y"]) ** 2
                    if d <= best_d:
                        best, best_d = number, d
        if best is None:
            grid.setdefault((cx, cy), []).append(len(clusters))
            clusters.append([point])
        else:
            clusters[best].append(point)
    return clusters
