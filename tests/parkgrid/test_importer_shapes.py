"""`parkgrid import` and the shapes themselves: open, degenerate and non-finite rings refused
naming the feature; the import's own position limit; features outside the park refused unless
allowed, a grid leaking out of its park judged by the API's rule with the leak measured here by
geographiclib. Every refusal goes through the real command line and changes nothing."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pyproj import Geod
from shapely.affinity import translate
from shapely.geometry import Point, Polygon, box
from sqlalchemy import Engine

from parkgrid.importer import import_file
from parkgrid.importer.kinds import MAX_POSITIONS
from tests.parkgrid.importer_park import (
    PARK,
    Cli,
    as_geojson,
    feature,
    park_feature,
    point,
    polygon,
    uscc,
    write,
    zone_feature,
)
from tests.parkgrid.test_importer import scalar, snapshot
from tests.schema.registry_client import geodesic_measures

EngineFor = Callable[[str], Engine]
METRE_LON = 1 / 97_700  # degrees of longitude per metre near 28.7 N
EAST_TIP = (112.944, 28.712)  # the park's easternmost vertex
GEOD = Geod(ellps="WGS84")


@pytest.fixture
def park_url(empty_url: str, tmp_path: Path) -> str:
    import_file(empty_url, "parks", write(tmp_path / "p.json", [park_feature()]))
    import_file(empty_url, "zones", write(tmp_path / "z.json", [zone_feature()]))
    return empty_url


def grid(geometry: dict[str, Any], code: str, name: str = "Grid") -> dict[str, Any]:
    return feature(geometry, code=code, name=name, zone="Z")


def refused(url: str, engine: Engine, cli: Cli, kind: str, path: Path) -> list[str]:
    """The problem lines of a refusal through the command line, which changed nothing."""
    before = snapshot(engine)
    status, out, err = cli(url, kind, str(path))
    assert (status, out, snapshot(engine)) == (1, "", before)
    header, *lines = err.splitlines()
    assert header.startswith("import rejected, nothing was changed")
    assert all(line.startswith("  ") for line in lines) and "Traceback" not in err
    return [line.strip() for line in lines]


CELL = [[112.90, 28.70], [112.91, 28.70], [112.91, 28.71], [112.90, 28.71], [112.90, 28.70]]


def test_open_and_degenerate_rings_are_refused_naming_each_feature(
    park_url: str, tmp_path: Path, engine_for: EngineFor, cli: Cli
) -> None:
    features = [
        grid(polygon(CELL), "G-1"),
        grid(polygon(CELL[:-1]), "G-2", "Open"),
        grid(polygon([CELL[0], CELL[1], CELL[0]]), "G-3"),
        grid(polygon([CELL[0], [112.91], *CELL[2:]]), "G-4"),
        grid({"type": "MultiPolygon", "coordinates": [[CELL], [CELL[:-1]]]}, "G-5"),
    ]
    lines = refused(
        park_url, engine_for(park_url), cli, "grids", write(tmp_path / "g.json", features)
    )
    assert lines == [
        "features[1] geometry: ring coordinates[0] is not closed: it starts at [112.9, 28.7]"
        " and ends at [112.9, 28.71] (RFC 7946: the last position must repeat the first)",
        "features[2] geometry: ring coordinates[0] has 3 positions, at least 4 needed",
        "features[3] geometry: coordinates[0][1] must be a position of 2 or more numbers,"
        " got [112.91]",
        "features[4] geometry: ring coordinates[1][0] is not closed: it starts at [112.9, 28.7]"
        " and ends at [112.9, 28.71] (RFC 7946: the last position must repeat the first)",
    ]


def test_an_infinite_number_makes_the_file_no_json(
    park_url: str, tmp_path: Path, engine_for: EngineFor, cli: Cli
) -> None:
    path = write(tmp_path / "g.json", [grid(polygon(CELL), "G-1")])
    path.write_text(path.read_text().replace("28.71", "1e400", 1))
    [line] = refused(park_url, engine_for(park_url), cli, "grids", path)
    assert line.startswith("file: is not valid JSON: number is infinity")


def circle(positions: int, metres: float = 300.0) -> dict[str, Any]:
    """A closed geodesic circle of `positions` positions inside the park."""
    steps = positions - 1
    lons, lats, _ = GEOD.fwd([112.905] * steps, [28.715] * steps,
                             [360.0 * k / steps for k in range(steps)], [metres] * steps)  # fmt: skip
    ring = [[float(lon), float(lat)] for lon, lat in zip(lons, lats, strict=True)]
    return polygon([*ring, ring[0]])


def test_the_import_takes_shapes_past_the_api_limit_up_to_its_own(
    park_url: str, tmp_path: Path, engine_for: EngineFor, cli: Cli
) -> None:
    engine = engine_for(park_url)
    past = write(tmp_path / "g.json", [grid(circle(MAX_POSITIONS + 1), "G-9", "Round")])
    [line] = refused(park_url, engine, cli, "grids", past)
    assert line == "features[0] geometry: has 100,001 positions, more than the limit of 100,000"
    above_api = write(tmp_path / "g.json", [grid(circle(10_001), "G-9", "Round")])
    assert cli(park_url, "grids", str(above_api))[0] == 0
    points = "SELECT ST_NPoints(boundary) FROM grid WHERE code = 'G-9'"
    assert scalar(engine, points) == 10_001


# --- outside the park ------------------------------------------------------------------------


def east_strip(metres: float) -> Polygon:
    """The park's part east of 112.925, pushed `metres` east: it leaks past the east edges."""
    inside = PARK.intersection(box(112.925, 28.68, 112.95, 28.75))
    assert isinstance(inside, Polygon)
    return translate(inside, xoff=metres * METRE_LON)


@pytest.mark.parametrize("metres", [1, 3, 30, 100])
def test_a_grid_leaking_out_of_its_park_is_refused_past_the_tolerance(
    park_url: str, tmp_path: Path, engine_for: EngineFor, cli: Cli, metres: int
) -> None:
    shape = east_strip(metres)
    outside = shape.difference(PARK)
    leaked = sum(geodesic_measures(part)[1] for part in getattr(outside, "geoms", [outside]))
    allowed = 5.0 * geodesic_measures(shape)[0]
    assert (metres <= 3) == (leaked <= allowed)  # both sides of the rule are exercised
    path = write(tmp_path / "g.json", [grid(as_geojson(shape), "G-8", "East strip")])
    if leaked <= allowed:
        assert cli(park_url, "grids", str(path))[0] == 0
        return
    [line] = refused(park_url, engine_for(park_url), cli, "grids", path)
    assert line.startswith(
        "parks: 1 of 1 grid lies partly outside their park (by more than 5 m along the edge):"
        ' features[0] G-8 "East strip" ('
    )
    found = re.search(r"\(([\d,]+) m² outside park P, at most ([\d,]+) m² allowed\);", line)
    assert found is not None
    said = [float(number.replace(",", "")) for number in found.groups()]
    assert said == [pytest.approx(leaked, rel=1e-3), pytest.approx(allowed, rel=1e-3)]
    status, out, _ = cli(park_url, "grids", str(path), "--allow-outside")
    assert status == 0
    assert out.strip().endswith("; 1 grid lies partly outside their park")


def test_an_enterprise_on_the_park_edge_is_in_and_one_10_m_beyond_it_out(
    park_url: str, tmp_path: Path, engine_for: EngineFor, cli: Cli
) -> None:
    lon, lat, _ = GEOD.fwd(*EAST_TIP, 90.0, 10.0)
    beyond = [float(lon), float(lat)]
    assert PARK.covers(Point(EAST_TIP)) and not PARK.covers(Point(beyond))
    features = [
        feature(point(list(EAST_TIP)), uscc=uscc(1), name="On the tip"),
        feature(point(beyond), uscc=uscc(2), name="10 m east"),
    ]
    path = write(tmp_path / "e.json", features)
    [line] = refused(park_url, engine_for(park_url), cli, "enterprises", path)
    assert line == (
        f'parks: 1 of 2 enterprises lies outside every park: features[1] {uscc(2)} "10 m east";'
        " --allow-outside imports them anyway (a park still to come)"
    )
