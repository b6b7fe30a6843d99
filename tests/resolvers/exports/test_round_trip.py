"""Export the register, import it into an empty database with `parkgrid import`, and the
register is the same: checksums in plain SQL of every area (code, name, parent, boundary)
and every enterprise (credit code, name, industry, address, location, and the grid the
database derives for it) agree. Shapes are compared normalised (ring order and direction,
as Shapefiles turn exterior rings clockwise) at 1e-9 degree, about 0.1 mm."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from tests.helpers import read_rows
from web.cli import main

KINDS = ("parks", "zones", "grids", "enterprises")
SHAPE = "ST_AsEWKB(ST_Normalize(ST_SnapToGrid({column}, 1e-9)))"
CHECKSUMS = {
    "park": f"SELECT p.code, p.name, {SHAPE.format(column='p.boundary')} FROM park p",
    "zone": f"SELECT z.code, z.name, p.code, {SHAPE.format(column='z.boundary')}"
    " FROM zone z JOIN park p ON p.id = z.park_id",
    "grid": f"SELECT g.code, g.name, z.code, {SHAPE.format(column='g.boundary')}"
    " FROM grid g JOIN zone z ON z.id = g.zone_id",
    "enterprise": f"SELECT e.uscc, e.name, e.industry, e.address, {SHAPE.format(column='e.location')},"
    " g.code FROM enterprise e LEFT JOIN grid g ON g.id = e.grid_id",
}
IGNORED = ("--columns", "ignore=*")
"""The register's other columns (lead, grid, liaison, ...) are the database's to derive."""


def register_sums(url: str) -> dict[str, tuple[int, str]]:
    found = {}
    for table, query in CHECKSUMS.items():
        [(count, digest)] = read_rows(
            url,
            f"SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM ({query}) t",
        )
        found[table] = (int(count), str(digest))
    return found


def imported(
    url: str, files: dict[str, Path], monkeypatch, capsys, option: str = "", *extra: str
) -> None:
    """`parkgrid import KIND FILE` for each kind in order; `option` (`--layer`, `--sheet`)
    names the kind's layer or sheet in a file holding them all."""
    monkeypatch.setenv("DATABASE_URL", url)
    for kind in KINDS:
        chosen = [option, kind] if option else []
        status = main(["import", kind, str(files[kind]), *chosen, *extra])
        _, err = capsys.readouterr()
        assert status == 0, err


def per_layer(export, extension: str, *args: str) -> dict[str, Path]:
    return {
        kind: export("register", f"{kind}.{extension}", "--layer", kind, *args) for kind in KINDS
    }


def test_geojson_round_trip(export, export_url, empty_url, monkeypatch, capsys) -> None:
    files = per_layer(export, "geojson")
    before = register_sums(export_url)
    imported(empty_url, files, monkeypatch, capsys)
    assert register_sums(empty_url) == before
    assert before["enterprise"][0] > 200


def test_gauss_kruger_geojson_round_trip(
    export, export_url, empty_url, monkeypatch, capsys
) -> None:
    """A file in EPSG:4547 says so in its `crs` member, which the importer reads back."""
    files = per_layer(export, "geojson", "--crs", "EPSG:4547")
    imported(empty_url, files, monkeypatch, capsys)
    lost = read_rows(empty_url, "SELECT count(*) FROM enterprise e WHERE e.grid_id IS NULL")[0][0]
    assert (
        lost == read_rows(export_url, "SELECT count(*) FROM enterprise WHERE grid_id IS NULL")[0][0]
    )
    moved = read_rows(
        empty_url, "SELECT uscc, ST_X(location), ST_Y(location) FROM enterprise ORDER BY uscc"
    )
    stored = read_rows(
        export_url, "SELECT uscc, ST_X(location), ST_Y(location) FROM enterprise ORDER BY uscc"
    )
    assert [r[0] for r in moved] == [r[0] for r in stored]
    assert (
        max(max(abs(a[1] - b[1]), abs(a[2] - b[2])) for a, b in zip(moved, stored, strict=True))
        < 1e-8
    )


@pytest.mark.parametrize("extension", ["gpkg", "kml", "xlsx"])
def test_one_file_round_trip(export, export_url, empty_url, monkeypatch, capsys, extension) -> None:
    path = export("register", f"register.{extension}")
    option = "--sheet" if extension == "xlsx" else "--layer"
    imported(empty_url, dict.fromkeys(KINDS, path), monkeypatch, capsys, option, *IGNORED)
    assert register_sums(empty_url) == register_sums(export_url)


@pytest.mark.parametrize("extension", ["shp", "csv"])
def test_zipped_round_trip(
    export, export_url, empty_url, monkeypatch, capsys, tmp_path, extension
) -> None:
    path = export("register", f"register-{extension}.zip", "--format", extension)
    with zipfile.ZipFile(path) as archive:
        archive.extractall(tmp_path / extension)
    files = {kind: tmp_path / extension / f"{kind}.{extension}" for kind in KINDS}
    imported(empty_url, files, monkeypatch, capsys, "", *IGNORED)
    assert register_sums(empty_url) == register_sums(export_url)
