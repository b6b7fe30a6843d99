"""`parkgrid import` and the CRS: shapes given in Gauss-Kruger or UTM metres land where pyproj
puts them; degrees declared as metres, metres taken for degrees and files that contradict
their own `crs` member are refused in one line that counts and names the features, through the
real command line, changing nothing. And the file's encoding: UTF-8 (a BOM tolerated); GBK
refused with a hint."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from sqlalchemy import Engine

from parkgrid.importer import import_file
from tests.parkgrid.importer_park import (
    GK_114,
    PARK_RING,
    SPOTS,
    UTM_49N,
    Cli,
    enterprise_features,
    park_feature,
    uscc,
    write,
    zone_feature,
)
from tests.parkgrid.test_importer import as_text, pairs, scalar, snapshot

EngineFor = Callable[[str], Engine]


@pytest.fixture
def park_url(empty_url: str, tmp_path: Path) -> str:
    """The park imported from Gauss-Kruger metres, its zone from UTM metres."""
    import_file(empty_url, "parks", write(tmp_path / "p.json", [park_feature(GK_114)]), "EPSG:4547")
    zone = write(tmp_path / "z.json", [zone_feature(UTM_49N)], crs="urn:ogc:def:crs:EPSG::32649")
    import_file(empty_url, "zones", zone)
    return empty_url


def apart_from_the_ring(engine: Engine, table: str) -> float:
    """Hausdorff distance (degrees) of the stored boundary from the lon/lat ring."""
    ring = {"type": "Polygon", "coordinates": [[list(corner) for corner in PARK_RING]]}
    query = f"SELECT ST_HausdorffDistance(boundary, ST_GeomFromGeoJSON(:g)) FROM {table}"
    return float(scalar(engine, query, g=as_text(ring)))


def test_a_park_in_gauss_kruger_and_a_zone_in_utm_land_on_the_lon_lat_ring(
    park_url: str, engine_for: EngineFor
) -> None:
    """The zone's file names its CRS in a `crs` member and is imported without --crs."""
    engine = engine_for(park_url)
    assert apart_from_the_ring(engine, "park") < 1e-8
    assert apart_from_the_ring(engine, "zone") < 1e-8


@pytest.mark.parametrize("srid", [GK_114, UTM_49N])
def test_enterprises_in_metres_land_on_their_spots(
    park_url: str, tmp_path: Path, engine_for: EngineFor, cli: Cli, srid: int
) -> None:
    path = write(tmp_path / "e.json", enterprise_features(srid))
    status, out, err = cli(park_url, "enterprises", str(path), "--crs", f"EPSG:{srid}")
    assert (status, err) == (0, "")
    assert out.startswith("enterprises: 10 inserted")
    stored = pairs(engine_for(park_url), "SELECT uscc, ST_AsText(location) FROM enterprise")
    for n, (lon, lat) in enumerate(SPOTS):
        x, y = map(float, stored[uscc(n)].removeprefix("POINT(").rstrip(")").split())
        assert (x, y) == pytest.approx((lon, lat), abs=1e-9)


@pytest.mark.parametrize(
    ("srid", "area"),
    [
        (GK_114, "EPSG:4547 (CGCS2000 / 3-degree Gauss-Kruger CM 114E; China - onshore between"
                 " 112°30'E and 115°30'E)"),
        (UTM_49N, "EPSG:32649 (WGS 84 / UTM zone 49N; Between 108°E and 114°E"),
    ],
)  # fmt: skip
def test_degrees_declared_as_metres_are_refused_in_one_line_changing_nothing(
    park_url: str, tmp_path: Path, engine_for: EngineFor, cli: Cli, srid: int, area: str
) -> None:
    engine = engine_for(park_url)
    before = snapshot(engine)
    path = write(tmp_path / "e.json", enterprise_features())
    status, out, err = cli(park_url, "enterprises", str(path), "--crs", f"EPSG:{srid}")
    assert (status, out) == (1, "")
    assert snapshot(engine) == before
    header, line = err.splitlines()
    assert header == "import rejected, nothing was changed (1 problem):"
    assert line.startswith(f"  crs: 10 of 10 features lie outside the area of use of {area}")
    named = ", ".join(f'features[{n}] {uscc(n)} "企业 {n}"' for n in range(5))
    assert f": {named} and 5 more; the coordinates look like degrees" in line
    assert "EPSG:4326" in line and "Traceback" not in err


@pytest.mark.parametrize(
    ("kind", "features"),
    [("enterprises", enterprise_features(GK_114)), ("parks", [park_feature(UTM_49N)])],
    ids=["gauss-kruger-points", "utm-park"],
)
def test_metres_without_a_crs_are_taken_for_degrees_and_refused(
    empty_url: str, tmp_path: Path, engine_for: EngineFor, cli: Cli, kind: str, features: list
) -> None:
    engine = engine_for(empty_url)
    before = snapshot(engine)
    status, _, err = cli(empty_url, kind, str(write(tmp_path / "f.json", features)))
    assert status == 1
    assert snapshot(engine) == before
    [line] = err.splitlines()[1:]
    count = len(features)
    assert f"  crs: {count} of {count} feature" in line
    assert "outside the area of use of EPSG:4326 (WGS 84; World)" in line
    assert "the coordinates look like metres of a projected CRS" in line


def test_a_file_whose_crs_member_contradicts_the_crs_given_is_refused(
    empty_url: str, tmp_path: Path, engine_for: EngineFor, cli: Cli
) -> None:
    engine = engine_for(empty_url)
    before = snapshot(engine)
    path = write(tmp_path / "p.json", [park_feature(GK_114)], crs="EPSG:4547")
    status, _, err = cli(empty_url, "parks", str(path), "--crs", "EPSG:4326")
    assert (status, snapshot(engine)) == (1, before)
    assert err.splitlines()[1] == (
        "  crs: the file declares EPSG:4547 but the import was told EPSG:4326"
    )
    assert cli(empty_url, "parks", str(path), "--crs", "EPSG:4547")[0] == 0
    assert apart_from_the_ring(engine, "park") < 1e-8


def test_a_crs_member_naming_no_epsg_code_is_refused(
    empty_url: str, tmp_path: Path, cli: Cli
) -> None:
    path = write(tmp_path / "p.json", [park_feature()], crs="urn:x-local:my-own-grid")
    status, _, err = cli(empty_url, "parks", str(path))
    assert status == 1
    assert "crs: the file's crs member" in err and "names no EPSG code; give --crs" in err


# --- encodings -------------------------------------------------------------------------------


def chinese_document() -> str:
    features = [park_feature()]
    return orjson.dumps({"type": "FeatureCollection", "features": features}).decode()


def test_a_gbk_file_is_refused_with_the_hint_and_changes_nothing(
    empty_url: str, tmp_path: Path, engine_for: EngineFor, cli: Cli
) -> None:
    engine = engine_for(empty_url)
    before = snapshot(engine)
    path = tmp_path / "gbk.geojson"
    path.write_bytes(chinese_document().encode("gbk"))
    status, _, err = cli(empty_url, "parks", str(path))
    assert (status, snapshot(engine)) == (1, before)
    [line] = err.splitlines()[1:]
    assert line.startswith("  file: is not valid JSON")
    assert "(the file is not UTF-8, as GeoJSON must be: saved as GBK? save it as UTF-8)" in line


def test_a_utf8_file_with_a_byte_order_mark_is_read_and_its_names_kept(
    empty_url: str, tmp_path: Path, engine_for: EngineFor, cli: Cli
) -> None:
    path = tmp_path / "bom.geojson"
    path.write_bytes(b"\xef\xbb\xbf" + chinese_document().encode("utf-8"))
    assert cli(empty_url, "parks", str(path))[0] == 0
    assert scalar(engine_for(empty_url), "SELECT name FROM park WHERE code = 'P'") == "湘阴高新区"
