"""`parkgrid import`: GeoJSON files in, the park hierarchy out, all or nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine, text

from parkgrid.importer import ImportRejected, ImportReport, import_file
from parkgrid.uscc import check_character
from web.cli import main

EngineFor = Callable[[str], Engine]

# Two 0.01-degree grids side by side sharing x = 112.91. "G-1" has the lower code and lies
# east, so a point on the shared edge goes to the east grid although the west one comes first.
# The park and its zone reach on east to 112.94, room for grids added by the tests.
WEST, MIDDLE, EAST, SOUTH, NORTH = 112.90, 112.91, 112.92, 28.70, 28.71
PARK_EAST = 112.94
MID_Y = 28.705
TABLES = ("park", "zone", "grid", "enterprise", "event")


def usc(n: int) -> str:
    body = f"91430624MA{n:07d}"
    return body + check_character(body)


def with_wrong_check_character(code: str) -> str:
    return code[:17] + ("0" if code[17] != "0" else "1")


def box(west: float, south: float, east: float, north: float) -> dict[str, Any]:
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def point(lon: float, lat: float, *altitude: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat, *altitude]}


def feature(geometry: Any, **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def write(path: Path, features: list[Any]) -> Path:
    path.write_bytes(orjson.dumps({"type": "FeatureCollection", "features": features}))
    return path


def parks() -> list[Any]:
    return [feature(box(WEST, SOUTH, PARK_EAST, NORTH), code="P", name="Park")]


def zones(shift: float = 0.0) -> list[Any]:
    area = box(WEST + shift, SOUTH, PARK_EAST + shift, NORTH)
    return [feature(area, code="Z", name="Zone", park="P")]


def grids(shared_edge: float = MIDDLE, west_name: str = "West grid") -> list[Any]:
    return [
        feature(box(WEST, SOUTH, shared_edge, NORTH), code="G-2", name=west_name, zone="Z"),
        feature(box(shared_edge, SOUTH, EAST, NORTH), code="G-1", name="East grid", zone="Z"),
    ]


ENTERPRISES = {  # USCC number: (lon, lat, grid it lands in); 1 has an altitude, 4 no grid
    1: (112.905, MID_Y, "G-2"),
    2: (112.915, MID_Y, "G-1"),
    3: (MIDDLE, MID_Y, "G-1"),
    4: (112.93, MID_Y, None),
}


def enterprises(industry: bool = True, moved: dict[int, float] | None = None) -> list[Any]:
    return [
        feature(
            point((moved or {}).get(n, lon), lat, *([35.0] if n == 1 else [])),
            uscc=usc(n).lower(),
            name=f"Enterprise {n}",
            address=f"{n} Park Road",
            **({"industry": "machinery"} if industry else {}),
        )
        for n, (lon, lat, _) in ENTERPRISES.items()
    ]


def hierarchy_files(folder: Path) -> dict[str, Path]:
    made = {"parks": parks(), "zones": zones(), "grids": grids(), "enterprises": enterprises()}
    return {kind: write(folder / f"{kind}.geojson", features) for kind, features in made.items()}


def import_all(url: str, files: dict[str, Path]) -> dict[str, ImportReport]:
    return {kind: import_file(url, kind, path) for kind, path in files.items()}


def rejected(url: str, kind: str, path: Path, crs: str = "EPSG:4326") -> ImportRejected:
    with pytest.raises(ImportRejected) as caught:
        import_file(url, kind, path, crs=crs)
    return caught.value


def rejected_changing_nothing(
    engine: Engine, kind: str, path: Path, crs: str = "EPSG:4326"
) -> ImportRejected:
    before = snapshot(engine)
    error = rejected(engine.url.render_as_string(hide_password=False), kind, path, crs)
    assert snapshot(engine) == before
    return error


def problems_of(error: ImportRejected) -> dict[tuple[int | None, str], str]:
    return {(p.index, p.property): p.reason for p in error.problems}


def scalar(engine: Engine, query: str, **params: Any) -> Any:
    with engine.connect() as conn:
        return conn.execute(text(query), params).scalar()


def pairs(engine: Engine, query: str) -> dict[Any, Any]:
    with engine.connect() as conn:
        return {row[0]: row[1] for row in conn.execute(text(query))}


def grid_of(engine: Engine) -> dict[str, str | None]:
    return pairs(
        engine, "SELECT e.uscc, g.code FROM enterprise e LEFT JOIN grid g ON g.id = e.grid_id"
    )


def snapshot(engine: Engine) -> dict[str, tuple[Any, ...]]:
    """Row count and a checksum of every row of the tables an import can touch."""
    query = "SELECT count(*), md5(string_agg(t::text, '|' ORDER BY t.id)) FROM {} t"
    with engine.connect() as conn:
        return {table: tuple(conn.execute(text(query.format(table))).one()) for table in TABLES}


@pytest.fixture
def loaded(empty_url: str, tmp_path: Path) -> dict[str, Path]:
    """The hand-made park imported into the test's empty database; its files."""
    files = hierarchy_files(tmp_path)
    import_all(empty_url, files)
    return files


def test_import_builds_hierarchy_and_places_every_enterprise(
    empty_url: str, tmp_path: Path, engine_for: EngineFor
) -> None:
    reports = import_all(empty_url, hierarchy_files(tmp_path))
    engine = engine_for(empty_url)
    assert [r.inserted for r in reports.values()] == [1, 1, 2, 4]
    assert scalar(engine, "SELECT p.code FROM zone z JOIN park p ON p.id = z.park_id") == "P"
    parents = "SELECT string_agg(DISTINCT z.code, ',') FROM grid g JOIN zone z ON z.id = g.zone_id"
    assert scalar(engine, parents) == "Z"
    assert grid_of(engine) == {usc(n): grid for n, (_, _, grid) in ENTERPRISES.items()}
    assert [r.outside_parks for r in reports.values()] == [0, 0, 0, 0]
    assert str(reports["enterprises"]).endswith("; 0 enterprises changed grid")
    assert scalar(engine, "SELECT max(ST_NDims(location)) FROM enterprise") == 2


def test_reimport_changes_nothing_and_duplicates_nothing(
    empty_url: str, loaded: dict[str, Path], engine_for: EngineFor
) -> None:
    engine = engine_for(empty_url)
    before = snapshot(engine)
    reports = import_all(empty_url, loaded)
    assert snapshot(engine) == before
    assert [(r.inserted, r.updated, r.unchanged) for r in reports.values()] == [
        (0, 0, 1), (0, 0, 1), (0, 0, 2), (0, 0, 4)
    ]  # fmt: skip


def test_renaming_an_area_in_the_file_updates_its_name_only(
    empty_url: str, loaded: dict[str, Path], engine_for: EngineFor
) -> None:
    engine = engine_for(empty_url)
    query = "SELECT id, zone_id, ST_AsEWKT(boundary) FROM grid WHERE code = 'G-2'"
    with engine.connect() as conn:
        before = conn.execute(text(query)).one()
    report = import_file(empty_url, "grids", write(loaded["grids"], grids(west_name="Renamed")))
    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 1)
    assert scalar(engine, "SELECT name FROM grid WHERE code = 'G-2'") == "Renamed"
    with engine.connect() as conn:
        assert conn.execute(text(query)).one() == before
    assert scalar(engine, "SELECT count(*) FROM grid") == 2


def test_optional_property_absent_from_the_file_keeps_the_stored_value(
    empty_url: str, loaded: dict[str, Path], engine_for: EngineFor
) -> None:
    renamed = enterprises(industry=False)
    for item in renamed:
        item["properties"]["name"] = "New"
    report = import_file(empty_url, "enterprises", write(loaded["enterprises"], renamed))
    assert (report.inserted, report.updated) == (0, 4)
    engine = engine_for(empty_url)
    stored = "SELECT string_agg(DISTINCT name || '/' || industry, ',') FROM enterprise"
    assert scalar(engine, stored) == "New/machinery"


def test_bad_grid_file_is_rejected_whole_naming_every_bad_feature(
    empty_url: str, loaded: dict[str, Path], tmp_path: Path, engine_for: EngineFor
) -> None:
    crossed = [[WEST, SOUTH], [EAST, NORTH], [EAST, SOUTH], [WEST, NORTH], [WEST, SOUTH]]
    bowtie = {"type": "Polygon", "coordinates": [crossed]}
    features = [
        feature(box(WEST, SOUTH, EAST, NORTH), code="G-1", name="Renamed", zone="Z"),  # good
        feature(bowtie, code="G-3", name="Bowtie", zone="Z"),
        feature(box(WEST, SOUTH, EAST, NORTH), code="G-4", zone="Z"),
        feature(box(WEST, SOUTH, EAST, NORTH), code="G-5", name="Lost", zone="NO-SUCH-ZONE"),
        feature(point(112.905, MID_Y), code="G-6", name="A point", zone="Z"),
        feature(box(WEST, SOUTH, MIDDLE, NORTH), code="G-1", name="Twice", zone="Z"),
        "not a feature",
    ]  # fmt: skip
    path = write(tmp_path / "bad.geojson", features)
    error = rejected_changing_nothing(engine_for(empty_url), "grids", path)
    found = problems_of(error)
    assert sorted(found) == [
        (1, "geometry"), (2, "name"), (3, "zone"), (4, "geometry"), (5, "code"), (6, "type")
    ]  # fmt: skip
    assert "Self-intersection" in found[1, "geometry"]
    assert found[2, "name"] == "is missing"
    assert "NO-SUCH-ZONE" in found[3, "zone"]
    assert "Polygon or MultiPolygon" in found[4, "geometry"]
    assert "features[0]" in found[5, "code"]
    assert "features[1] geometry: is not a valid geometry" in error.render()


def test_bad_enterprise_file_is_rejected_whole_naming_every_bad_feature(
    empty_url: str, loaded: dict[str, Path], tmp_path: Path, engine_for: EngineFor
) -> None:
    features = [
        feature(point(112.915, MID_Y), uscc=usc(1), name="Moved east"),  # good, would move
        feature(point(112.905, MID_Y), uscc=with_wrong_check_character(usc(5)), name="Bad code"),
        feature(point(112.905, MID_Y), uscc=usc(6), name="  "),
        feature(point(MID_Y, 112.905), uscc=usc(7), name="Lat/lon swapped"),
        feature(point(112.905, MID_Y), uscc=usc(1), name="Same again"),
        feature(point(112.905, MID_Y), uscc=usc(8), name="Bad industry", industry=7),
    ]
    path = write(tmp_path / "bad.geojson", features)
    error = rejected_changing_nothing(engine_for(empty_url), "enterprises", path)
    found = problems_of(error)
    assert set(found) == {(1, "uscc"), (2, "name"), (None, "crs"), (4, "uscc"), (5, "industry")}
    assert "check character" in found[1, "uscc"]
    assert found[2, "name"] == "is blank"
    assert "1 of 6 features lies outside the area of use of EPSG:4326" in found[None, "crs"]
    assert f'features[3] {usc(7)} "Lat/lon swapped"; they fit once swapped' in found[None, "crs"]
    assert "duplicate" in found[4, "uscc"]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"{not json", "is not valid JSON"),
        (b'{"type": "Feature", "properties": {}, "geometry": null}', "FeatureCollection"),
        (b'{"type": "FeatureCollection", "features": {}}', "must be an array"),
    ],
)
def test_a_file_that_is_no_feature_collection_is_rejected(
    empty_url: str, tmp_path: Path, content: bytes, reason: str
) -> None:
    path = tmp_path / "file.geojson"
    path.write_bytes(content)
    assert reason in rejected(empty_url, "parks", path).render()


def projected(engine: Engine, geometry: dict[str, Any], srid: int) -> dict[str, Any]:
    query = "SELECT ST_AsGeoJSON(ST_Transform(ST_GeomFromGeoJSON(:g), :srid), 9)"
    result: dict[str, Any] = orjson.loads(scalar(engine, query, g=as_text(geometry), srid=srid))
    return result


def as_text(geometry: dict[str, Any]) -> str:
    return orjson.dumps(geometry).decode()


def test_grids_and_enterprises_in_a_projected_crs_land_in_place(
    empty_url: str, loaded: dict[str, Path], tmp_path: Path, engine_for: EngineFor
) -> None:
    engine = engine_for(empty_url)
    cell = box(EAST, SOUTH, EAST + 0.01, NORTH)
    grid = feature(projected(engine, cell, 4547), code="G-0", name="Projected", zone="Z")
    inside = feature(
        projected(engine, point(EAST + 0.005, MID_Y), 4547), uscc=usc(9), name="In G-0"
    )
    import_file(empty_url, "grids", write(tmp_path / "g.geojson", [grid]), crs="EPSG:4547")
    import_file(empty_url, "enterprises", write(tmp_path / "e.geojson", [inside]), crs="epsg:4547")
    apart = "SELECT ST_HausdorffDistance({}, ST_GeomFromGeoJSON(:g)) FROM {} WHERE {} = :key"
    grid_apart = apart.format("boundary", "grid", "code")
    assert scalar(engine, grid_apart, g=as_text(cell), key="G-0") < 1e-6
    enterprise_apart = apart.format("location", "enterprise", "uscc")
    assert (
        scalar(engine, enterprise_apart, g=as_text(point(EAST + 0.005, MID_Y)), key=usc(9)) < 1e-6
    )
    assert grid_of(engine)[usc(9)] == "G-0"


def test_unknown_crs_and_untransformable_features_are_rejected(
    empty_url: str, loaded: dict[str, Path], tmp_path: Path, engine_for: EngineFor
) -> None:
    engine = engine_for(empty_url)
    cell = projected(engine, box(EAST, SOUTH, EAST + 0.01, NORTH), 4547)
    good = feature(cell, code="G-0", name="Fine", zone="Z")
    far = feature(box(1e12, 1e12, 2e12, 2e12), code="G-9", name="Off the map", zone="Z")
    path = write(tmp_path / "g.geojson", [good, far])
    unknown = rejected_changing_nothing(engine, "grids", path, "EPSG:999999")
    assert "EPSG:999999 is not a coordinate system" in unknown.render()
    found = problems_of(rejected_changing_nothing(engine, "grids", path, "EPSG:4547"))
    assert list(found) == [(None, "crs")]
    assert "outside the area of use of EPSG:4547 (CGCS2000" in found[None, "crs"]
    assert 'features[1] G-9 "Off the map";' in found[None, "crs"]


@pytest.mark.parametrize(
    ("kind", "features", "crs", "parent"),
    [
        pytest.param(
            "grids",
            [
                feature(
                    box(WEST + 1, SOUTH, MIDDLE + 1, NORTH),
                    code="G-2",
                    name="A degree east",
                    zone="Z",
                )
            ],
            "EPSG:4326",
            "zone Z",
            id="grid-beside-its-zone",
        ),
        pytest.param("zones", zones(shift=1.0), "EPSG:4326", "park P", id="zone-beside-its-park"),
    ],
)
def test_an_area_nowhere_near_its_parent_is_rejected(
    empty_url: str, loaded: dict[str, Path], tmp_path: Path, engine_for: EngineFor,
    kind: str, features: list[Any], crs: str, parent: str,
) -> None:  # fmt: skip
    path = write(tmp_path / "areas.geojson", features)
    error = rejected_changing_nothing(engine_for(empty_url), kind, path, crs)
    reason = f"lies entirely outside its {parent} (is the CRS right?)"
    assert problems_of(error) == {(n, "geometry"): reason for n in range(len(features))}
    assert f"features[0] geometry: {reason}" in error.render()


def test_enterprises_outside_every_park_are_refused_unless_allowed_then_counted(
    empty_url: str, loaded: dict[str, Path], tmp_path: Path, engine_for: EngineFor
) -> None:
    engine = engine_for(empty_url)
    path = write(tmp_path / "e.geojson", enterprises(moved={4: PARK_EAST + 0.01}))
    found = problems_of(rejected_changing_nothing(engine, "enterprises", path))
    assert found == {(None, "parks"): f'1 of 4 enterprises lies outside every park: features[3]'
                     f' {usc(4)} "Enterprise 4"; --allow-outside imports them anyway'
                     " (a park still to come)"}  # fmt: skip
    report = import_file(empty_url, "enterprises", path, allow_outside=True)
    assert (report.updated, report.outside_parks) == (1, 1)
    assert str(report).endswith("; 1 enterprise lies outside every park")
    assert grid_of(engine)[usc(4)] is None


def test_command_line_reports_bad_features_on_stderr_and_the_result_on_stdout(
    empty_url: str, loaded: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.setenv("DATABASE_URL", empty_url)
    dot = feature(point(112.9, 28.7), code="G-7", name="Dot", zone="Z")
    bad = write(tmp_path / "bad.geojson", [dot])
    assert main(["import", "grids", str(bad)]) == 1
    out, err = capsys.readouterr()
    assert "features[0] geometry: must be a Polygon or MultiPolygon" in err
    assert out == ""
    cell = feature(box(EAST, SOUTH, 112.93, NORTH), code="G-7", name="New", zone="Z")
    good = write(tmp_path / "good.geojson", [cell])
    assert main(["import", "grids", str(good)]) == 0
    out, err = capsys.readouterr()
    assert "grids: 1 inserted, 0 updated" in out
    assert err == ""


def test_moving_a_grid_boundary_by_reimport_moves_its_members(
    empty_url: str, loaded: dict[str, Path], engine_for: EngineFor
) -> None:
    engine = engine_for(empty_url)
    report = import_file(empty_url, "grids", write(loaded["grids"], grids(shared_edge=112.918)))
    assert grid_of(engine) == {usc(1): "G-2", usc(2): "G-2", usc(3): "G-2", usc(4): None}
    assert (report.updated, report.grid_changes) == (2, 2)
    events = "SELECT count(*) FROM event WHERE action = 'grid_changed'"
    assert scalar(engine, events) == 2


def test_moving_an_enterprise_by_reimport_changes_its_grid_and_logs_it(
    empty_url: str, loaded: dict[str, Path], engine_for: EngineFor
) -> None:
    engine = engine_for(empty_url)
    moved = enterprises(moved={1: 112.915, 4: 112.905})
    report = import_file(empty_url, "enterprises", write(loaded["enterprises"], moved))
    assert grid_of(engine)[usc(1)] == "G-1"
    assert grid_of(engine)[usc(4)] == "G-2"
    assert (report.updated, report.unchanged, report.grid_changes) == (2, 2, 2)
    changes = (
        "SELECT changes FROM event WHERE action = 'grid_changed'"
        " AND subject_id = (SELECT id FROM enterprise WHERE uscc = :u)"
    )
    assert scalar(engine, changes, u=usc(1)) == {"grid": ["G-2", "G-1"]}


def test_demo_grid_moved_by_reimport_counts_members_that_changed_grid(
    fresh_demo_url: str, tmp_path: Path, engine_for: EngineFor
) -> None:
    engine = engine_for(fresh_demo_url)
    with engine.connect() as conn:
        code, zone, geometry = conn.execute(text(
            "SELECT g.code, z.code, ST_AsGeoJSON(ST_Translate(g.boundary, 0.002, 0), 15)"
            " FROM grid g JOIN zone z ON z.id = g.zone_id ORDER BY g.code LIMIT 1"
        )).one()  # fmt: skip
    members = "SELECT id, grid_id FROM enterprise"
    before = pairs(engine, members)
    shifted = feature(orjson.loads(geometry), code=code, name="Shifted", zone=zone)
    report = import_file(fresh_demo_url, "grids", write(tmp_path / "g.geojson", [shifted]))
    after = pairs(engine, members)
    changed = sum(before[key] != after[key] for key in before)
    assert changed > 0
    assert report.grid_changes == changed


def test_a_database_refusal_is_a_rejection_not_a_traceback(
    empty_url: str, loaded: dict[str, Path], tmp_path: Path, engine_for: EngineFor
) -> None:
    engine = engine_for(empty_url)
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE grid ADD CONSTRAINT short_name CHECK (length(name) < 20)"))
    long_name = "A long grid name, too long"
    cell = feature(box(EAST, SOUTH, 112.93, NORTH), code="G-8", name=long_name, zone="Z")
    error = rejected_changing_nothing(engine, "grids", write(tmp_path / "g.geojson", [cell]))
    assert [(p.index, p.property) for p in error.problems] == [(None, "database")]
    assert "short_name" in error.render()


def test_a_large_file_is_imported_in_batches(
    empty_url: str, loaded: dict[str, Path], tmp_path: Path, engine_for: EngineFor
) -> None:
    spots = [(WEST + (n % 100) * 0.0002, SOUTH + (n // 100) * 0.0004) for n in range(2500)]
    many = [feature(point(*spot), uscc=usc(100 + n), name=f"E{n}") for n, spot in enumerate(spots)]
    path = write(tmp_path / "many.geojson", many)
    assert import_file(empty_url, "enterprises", path).inserted == 2500
    assert import_file(empty_url, "enterprises", path).unchanged == 2500
    engine = engine_for(empty_url)
    assert scalar(engine, "SELECT count(*) FROM enterprise WHERE grid_id IS NOT NULL") == 2500 + 3
