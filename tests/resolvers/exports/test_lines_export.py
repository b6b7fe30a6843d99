"""Infrastructure lines exported with the register, read back by GDAL's ogrinfo and Python's
csv module (not by the library that wrote them) and compared with the table through Shapely
and pyproj: every line, vertex by vertex, in its stored direction, in WGS 84 and in a
Gauss-Kruger CRS."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from typing import Any

import pytest
import shapely
from pyproj import Transformer
from shapely import wkb

from tests.helpers import geodesic_m
from tests.resolvers.exports.conftest import ogrinfo

LINES = "SELECT code, name, kind, ST_AsBinary(geometry) AS shape FROM infrastructure_line"
FEATURE = re.compile(
    r"code \(String\) = (\S+)\n(?:.*\n)*?\s+((?:MULTI)?LINESTRING (?:Z )?\(.*\))", re.MULTILINE
)


def stored(plain: Any) -> dict[str, Any]:
    return {row.code: row for row in plain(LINES)}


def read_back(listing: str) -> dict[str, Any]:
    """code -> geometry, from ogrinfo's listing of the features (WKT; KML's heights of 0
    dropped)."""
    return {
        code: shapely.force_2d(shapely.from_wkt(text)) for code, text in FEATURE.findall(listing)
    }


def same_line(found: Any, expected: Any, tolerance: float = 1e-7) -> bool:
    """The same vertices in the same order (a one-part MultiLineString may come back as a
    LineString from formats without multi-lines)."""
    if found.geom_type == "LineString":
        found = shapely.MultiLineString([found])
    return bool(found.equals_exact(expected, tolerance))


@pytest.mark.parametrize("extension", ["gpkg", "geojson", "kml"])
def test_lines_read_back_vertex_by_vertex(export, plain, extension) -> None:
    path = export("register", f"lines.{extension}", "--layer", "lines")
    expected = stored(plain)
    summary = ogrinfo("-so", str(path), "lines")
    assert f"Feature Count: {len(expected)}\n" in summary
    found = read_back(ogrinfo("-al", "-q", str(path)))
    assert set(found) == set(expected)
    for code, row in expected.items():
        assert same_line(found[code], wkb.loads(bytes(row.shape)))
    listing = ogrinfo("-al", "-q", str(path))
    assert all(row.name in listing for row in expected.values())  # Chinese names intact


def test_lines_as_a_zipped_shapefile(export, plain, tmp_path) -> None:
    path = export("register", "lines.zip", "--layer", "lines", "--format", "shp")
    with zipfile.ZipFile(path) as archive:
        archive.extractall(tmp_path / "shp")
    found = read_back(ogrinfo("-al", "-q", str(tmp_path / "shp" / "lines.shp")))
    expected = stored(plain)
    assert set(found) == set(expected)
    for code, row in expected.items():
        assert same_line(found[code], wkb.loads(bytes(row.shape)))


def test_lines_as_csv_with_wkt(export, plain) -> None:
    path = export("register", "lines.csv", "--layer", "lines")
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    expected = stored(plain)
    assert {row["code"] for row in rows} == set(expected)
    for row in rows:
        truth = expected[row["code"]]
        assert row["kind"] == truth.kind.upper() and row["name"] == truth.name
        assert same_line(shapely.from_wkt(row["WKT"]), wkb.loads(bytes(truth.shape)))


def test_lines_in_gauss_kruger_come_back_within_a_centimetre(export, plain) -> None:
    path = export("register", "lines.gpkg", "--layer", "lines", "--crs", "EPSG:4547")
    assert "CGCS2000 / 3-degree Gauss-Kruger CM 114E" in ogrinfo("-so", str(path), "lines")
    found = read_back(ogrinfo("-al", "-q", str(path)))
    back = Transformer.from_crs(4547, 4326, always_xy=True)
    for code, row in stored(plain).items():
        truth = shapely.get_coordinates(wkb.loads(bytes(row.shape)))
        got = shapely.get_coordinates(found[code])
        assert len(got) == len(truth)
        assert abs(got[0][0]) > 1000  # metres, not degrees
        for (x, y), (lon, lat) in zip(got, truth, strict=True):
            moved_lon, moved_lat = back.transform(x, y)
            assert geodesic_m(moved_lon, moved_lat, lon, lat) < 0.01
