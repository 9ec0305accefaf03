"""Generate `opendata/static/opendata/world.svg` from Natural Earth 1:110m countries (run once).

The outline ships with the project; this command is only for regenerating it. Its source is the
`naturalearth_lowres` shapefile that the geopandas 0.14 wheel ships (Natural Earth, public
domain); only the wheel file is needed, not geopandas itself:

    pip download --no-deps -d /tmp/ne geopandas==0.14.4
    python manage.py build_world_outline /tmp/ne/geopandas-0.14.4-py3-none-any.whl

(a plain `.shp` path works too). The shapefile is read by the small reader below (polygons only),
simplified (Douglas–Peucker), projected with `opendata.geo.project` and written as one SVG path.
"""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from opendata import geo

SHP_IN_WHEEL = "geopandas/datasets/naturalearth_lowres/naturalearth_lowres.shp"
OUTPUT = Path(__file__).resolve().parents[2] / "static" / "opendata" / "world.svg"


def read_polygons(data: bytes) -> list[list[list[tuple[float, float]]]]:
    """Each polygon record of an ESRI shapefile as a list of rings of (lon, lat)."""
    (file_code,) = struct.unpack(">i", data[:4])
    if file_code != 9994:
        raise ValueError("not an ESRI shapefile")
    shapes = []
    offset = 100
    while offset + 8 <= len(data):
        _number, length = struct.unpack(">ii", data[offset : offset + 8])
        content = data[offset + 8 : offset + 8 + length * 2]
        offset += 8 + length * 2
        (shape_type,) = struct.unpack("<i", content[:4])
        if shape_type not in (5, 15, 25):  # Polygon (Z, M)
            continue
        num_parts, num_points = struct.unpack("<ii", content[36:44])
        parts = list(struct.unpack(f"<{num_parts}i", content[44 : 44 + 4 * num_parts]))
        start = 44 + 4 * num_parts
        points = [
            struct.unpack("<dd", content[start + 16 * i : start + 16 * i + 16]) for i in range(num_points)
        ]
        rings = [points[a:b] for a, b in zip(parts, parts[1:] + [num_points], strict=True)]
        shapes.append(rings)
    return shapes


def _distance(p, a, b) -> float:
    (x, y), (x1, y1), (x2, y2) = p, a, b
    dx, dy = x2 - x1, y2 - y1
    if dx == dy == 0:
        return ((x - x1) ** 2 + (y - y1) ** 2) ** 0.5
    t = max(0.0, min(1.0, ((x - x1) * dx + (y - y1) * dy) / (dx * dx + dy * dy)))
    return ((x - x1 - t * dx) ** 2 + (y - y1 - t * dy) ** 2) ** 0.5


def simplify(points: list, tolerance: float) -> list:
    """Douglas–Peucker, iterative."""
    if len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        worst, index = 0.0, None
        for i in range(first + 1, last):
            d = _distance(points[i], points[first], points[last])
            if d > worst:
                worst, index = d, i
        if index is not None and worst > tolerance:
            keep[index] = True
            stack += [(first, index), (index, last)]
    return [p for p, k in zip(points, keep, strict=True) if k]


def ring_area(points) -> float:
    return (
        abs(
            sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(points, points[1:] + points[:1], strict=True))
        )
        / 2
    )


def outline_path(shapes, tolerance: float = 0.2, min_area: float = 0.6) -> str:
    commands = []
    for rings in shapes:
        for ring in rings:
            if max(lat for _lon, lat in ring) < geo.SOUTH:  # Antarctica and the far south
                continue
            if ring_area(ring) < min_area:  # islands too small to see at this scale
                continue
            simple = simplify(ring, tolerance)
            if len(simple) < 4:
                continue
            xy = [geo.project(lon, lat) for lon, lat in simple[:-1]]
            head = f"M{xy[0][0]:.1f} {xy[0][1]:.1f}"
            commands.append(head + "".join(f"L{x:.1f} {y:.1f}" for x, y in xy[1:]) + "Z")
    return "".join(commands)


def svg(path: str) -> str:
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {geo.WIDTH:g} {geo.HEIGHT:g}" width="{geo.WIDTH:g}" height="{geo.HEIGHT:g}">\n'
        "<!-- World outline: Natural Earth 1:110m countries (public domain, naturalearthdata.com), "
        "as shipped in the geopandas 0.14 wheel; simplified and projected (equirectangular, "
        f"{geo.NORTH:g}N to {-geo.SOUTH:g}S) by opendata/management/commands/build_world_outline.py. -->\n"
        '<path fill="#dde5e8" stroke="#ffffff" stroke-width="0.6" stroke-linejoin="round" '
        f'd="{path}"/>\n</svg>\n'
    )


class Command(BaseCommand):
    help = "Generate the static world outline of the map from Natural Earth data (run once)."

    def add_arguments(self, parser):
        parser.add_argument("source", help="the geopandas 0.14 wheel, or a .shp file")
        parser.add_argument("--output", default=str(OUTPUT))
        parser.add_argument("--tolerance", type=float, default=0.2, help="simplification, in degrees")

    def handle(self, source, output, tolerance, **options):
        source_path = Path(source)
        if not source_path.exists():
            raise CommandError(f"{source} does not exist")
        if source_path.suffix == ".whl":
            with zipfile.ZipFile(source_path) as wheel:
                try:
                    data = wheel.read(SHP_IN_WHEEL)
                except KeyError as exc:
                    raise CommandError(f"{source} has no {SHP_IN_WHEEL}") from exc
        else:
            data = source_path.read_bytes()
        shapes = read_polygons(data)
        path = outline_path(shapes, tolerance=tolerance)
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        Path(output).write_text(svg(path), encoding="utf-8")
        self.stdout.write(f"{len(shapes)} countries → {output} ({len(path):,} characters of path)")
