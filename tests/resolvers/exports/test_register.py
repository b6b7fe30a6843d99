"""The register as GIS files, read back by GDAL's ogrinfo (not by the library that wrote
them), by a zip reader and by openpyxl: features per layer against plain SQL, the CRS each
file declares, Chinese attributes intact, and coordinates where the CRS puts them."""

from __future__ import annotations

import csv
import io
import re
import zipfile

import prcoords
import pytest
import shapely
from pyproj import Transformer

from tests.helpers import geodesic_m
from tests.resolvers.exports.conftest import ogrinfo, sheet_rows

COUNTS = {
    "parks": "SELECT count(*) FROM park",
    "zones": "SELECT count(*) FROM zone",
    "grids": "SELECT count(*) FROM grid",
    "enterprises": "SELECT count(*) FROM enterprise",
    "lines": "SELECT count(*) FROM infrastructure_line",
}
FIRST_FIRM = "SELECT uscc, name, ST_X(location) AS lon, ST_Y(location) AS lat FROM enterprise ORDER BY uscc LIMIT 1"


def counts(plain) -> dict[str, int]:
    return {layer: plain(query)[0][0] for layer, query in COUNTS.items()}


def feature_counts(summary: str) -> dict[str, int]:
    found = re.findall(r"Layer name: (\w+)\n(?:.*\n)*?Feature Count: (\d+)", summary)
    return {name: int(count) for name, count in found}


@pytest.mark.parametrize("extension", ["gpkg", "kml"])
def test_one_file_every_layer(export, plain, extension) -> None:
    path = export("register", f"register.{extension}")
    summary = ogrinfo("-so", "-al", str(path))
    assert feature_counts(summary) == counts(plain)
    firm = plain(FIRST_FIRM)[0]
    found = ogrinfo("-al", "-q", "-where", f"uscc = '{firm.uscc}'", str(path), "enterprises")
    assert firm.name in found  # UTF-8 through and through


def test_shapefiles_zipped_with_prj_and_cpg(export, plain, tmp_path) -> None:
    path = export("register", "register.zip", "--crs", "EPSG:4490")
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        for layer in COUNTS:
            assert {f"{layer}.{ext}" for ext in ("shp", "shx", "dbf", "prj", "cpg")} <= names
            assert archive.read(f"{layer}.cpg").decode().strip() == "UTF-8"
            assert "CGCS2000" in archive.read(f"{layer}.prj").decode()
        archive.extractall(tmp_path / "shp")
    expected = counts(plain)
    firm = plain(FIRST_FIRM)[0]
    for layer, count in expected.items():
        summary = ogrinfo("-so", str(tmp_path / "shp" / f"{layer}.shp"), layer)
        assert f"Feature Count: {count}\n" in summary
    found = ogrinfo(
        "-q",
        "-where",
        f"uscc = '{firm.uscc}'",
        str(tmp_path / "shp" / "enterprises.shp"),
        "enterprises",
    )
    assert firm.name in found


def test_gauss_kruger_coordinates(export, plain) -> None:
    path = export("register", "enterprises.gpkg", "--layer", "enterprises", "--crs", "EPSG:4547")
    summary = ogrinfo("-so", str(path), "enterprises")
    assert "CGCS2000 / 3-degree Gauss-Kruger CM 114E" in summary
    firm = plain(FIRST_FIRM)[0]
    found = ogrinfo("-q", "-where", f"uscc = '{firm.uscc}'", str(path), "enterprises")
    point = re.search(r"POINT \(([-\d.]+) ([-\d.]+)\)", found)
    assert point is not None, found
    x, y = map(float, point.groups())
    lon, lat = Transformer.from_crs(4547, 4326, always_xy=True).transform(x, y)
    assert geodesic_m(lon, lat, firm.lon, firm.lat) < 0.01


@pytest.mark.parametrize(
    ("datum", "back"), [("gcj02", prcoords.gcj_wgs_bored), ("bd09", prcoords.bd_wgs_bored)]
)
def test_web_map_datums_convert_back_within_a_metre(export, plain, datum, back) -> None:
    path = export("register", f"{datum}.geojson", "--layer", "enterprises", "--crs", datum)
    firms = {
        row.uscc: row
        for row in plain(
            "SELECT uscc, ST_X(location) AS lon, ST_Y(location) AS lat FROM enterprise"
        )
    }
    listing = ogrinfo("-al", "-q", "-geom=YES", str(path))
    found = re.findall(
        r"uscc \(String\) = (\w+)\n(?:.*\n)*?\s+POINT \(([-\d.]+) ([-\d.]+)\)", listing
    )
    assert len(found) == len(firms)
    shifts = []
    for uscc, x, y in found:
        lat, lon = back(prcoords.Coords(float(y), float(x)))
        stored = firms[uscc]
        shifts.append(geodesic_m(float(x), float(y), stored.lon, stored.lat))
        assert geodesic_m(lon, lat, stored.lon, stored.lat) < 1.0
    assert min(shifts) > 100  # the file really is shifted (GCJ-02 moves Xiangyin ~600 m)


def test_csv_and_xlsx_hold_coordinates_as_offices_keep_them(export, plain) -> None:
    path = export("register", "register-csv.zip", "--format", "csv")
    expected = counts(plain)
    firm = plain(FIRST_FIRM)[0]
    with zipfile.ZipFile(path) as archive:
        firms = list(
            csv.DictReader(io.StringIO(archive.read("enterprises.csv").decode("utf-8-sig")))
        )
        grids = list(csv.DictReader(io.StringIO(archive.read("grids.csv").decode("utf-8-sig"))))
    assert len(firms) == expected["enterprises"] and len(grids) == expected["grids"]
    first = next(row for row in firms if row["uscc"] == firm.uscc)
    assert first["name"] == firm.name
    assert abs(float(first["lon"]) - firm.lon) < 1e-9 and abs(float(first["lat"]) - firm.lat) < 1e-9
    [(code, boundary)] = plain("SELECT code, ST_AsText(boundary) FROM grid ORDER BY code LIMIT 1")
    row = next(r for r in grids if r["code"] == code)
    assert shapely.from_wkt(row["WKT"]).equals_exact(shapely.from_wkt(boundary), 1e-9)
    book = export("register", "register.xlsx")
    for layer, count in expected.items():
        assert len(sheet_rows(book, layer)) - 1 == count
    header = sheet_rows(book, "enterprises")[0]
    assert header == (
        "uscc",
        "name",
        "industry",
        "address",
        "grid",
        "zone",
        "liaison",
        "phone",
        "lon",
        "lat",
    )


def test_kml_refuses_a_projected_crs(export_url, tmp_path, monkeypatch, capsys) -> None:
    from web.cli import main

    monkeypatch.setenv("DATABASE_URL", export_url)
    assert main(["export", "register", str(tmp_path / "r.kml"), "--crs", "EPSG:4547"]) == 2
    assert "crs: KML holds WGS 84 longitude and latitude only" in capsys.readouterr().err
