"""A real-looking park for the importer's tests, drawn in lon/lat and put into projected CRSs
with pyproj's own transformer, so the expected places owe nothing to the importer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from pyproj import Transformer
from shapely.geometry import Polygon, mapping

from parkgrid.uscc import check_character
from web.cli import main

Cli = Callable[..., tuple[int, str, str]]
"""`parkgrid` run on a database URL: (exit status, stdout, stderr)."""

GK_114 = 4547  # CGCS2000 / 3-degree Gauss-Kruger CM 114E
UTM_49N = 32649  # WGS 84 / UTM zone 49N
PARK_RING = [
    (112.880, 28.690), (112.905, 28.686), (112.931, 28.694), (112.944, 28.712),
    (112.938, 28.735), (112.915, 28.747), (112.889, 28.743), (112.872, 28.726),
    (112.868, 28.705), (112.880, 28.690),
]  # fmt: skip
PARK = Polygon(PARK_RING)
SPOTS = [(112.885 + 0.005 * (n % 5), 28.700 + 0.01 * (n // 5)) for n in range(10)]
TABLES = ("park", "zone", "grid", "enterprise", "event")


def uscc(n: int) -> str:
    body = f"91430624MA{n:07d}"
    return body + check_character(body)


def to_crs(srid: int, lon: float, lat: float) -> list[float]:
    x, y = Transformer.from_crs("EPSG:4326", f"EPSG:{srid}", always_xy=True).transform(lon, lat)
    return [float(x), float(y)]


def ring_in(srid: int | None, ring: list[tuple[float, float]]) -> list[list[float]]:
    return [list(corner) if srid is None else to_crs(srid, *corner) for corner in ring]


def polygon(ring: list[list[float]]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [ring]}


def point(position: list[float]) -> dict[str, Any]:
    return {"type": "Point", "coordinates": position}


def feature(geometry: Any, **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def write(path: Path, features: list[Any], crs: str | None = None) -> Path:
    document: dict[str, Any] = {"type": "FeatureCollection", "features": features}
    if crs is not None:
        document["crs"] = {"type": "name", "properties": {"name": crs}}
    path.write_bytes(orjson.dumps(document))
    return path


def park_feature(srid: int | None = None) -> dict[str, Any]:
    return feature(polygon(ring_in(srid, PARK_RING)), code="P", name="湘阴高新区")


def zone_feature(srid: int | None = None) -> dict[str, Any]:
    return feature(polygon(ring_in(srid, PARK_RING)), code="Z", name="Zone", park="P")


def enterprise_features(srid: int | None = None) -> list[dict[str, Any]]:
    return [
        feature(point(ring_in(srid, [spot])[0]), uscc=uscc(n), name=f"企业 {n}")
        for n, spot in enumerate(SPOTS)
    ]


def as_geojson(shape: Any) -> dict[str, Any]:
    """A Shapely polygon as GeoJSON with lists (what a file holds)."""
    found: dict[str, Any] = orjson.loads(orjson.dumps(mapping(shape)))
    return found


def cli(
    url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    """`parkgrid import ...` on `url`: exit status, stdout, stderr."""
    monkeypatch.setenv("DATABASE_URL", url)
    status = main(["import", *args])
    out, err = capsys.readouterr()
    return status, out, err
