"""`parkgrid import` of a park office's tables: XLSX registers with Chinese headers (written by
openpyxl, merged cells and empty rows included), CSV saved as UTF-8 with a BOM or as GBK, zones
as WKT in Gauss-Kruger metres, and coordinates copied from Amap (GCJ-02) or Baidu (BD-09).
What is stored is read back with plain SQL and compared with the source; the datums against
published reference pairs. Each bad sheet is refused naming the row and column as the
spreadsheet shows them, with every table's count unchanged."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from geographiclib.geodesic import Geodesic
from shapely.geometry import Point
from sqlalchemy import Engine

from parkgrid.importer import ImportRejected, import_file
from parkgrid.importer.options import ReadOptions
from tests.parkgrid.import_files import (
    ADDRESSES,
    GK_114,
    GRIDS,
    INDUSTRIES,
    NAMES,
    apart,
    bd_to_gcj,
    counts,
    csv_file,
    gcj_to_bd,
    gcj_to_wgs,
    in_crs,
    register_rows,
    stored_points,
    wgs_to_gcj,
    workbook,
)
from tests.parkgrid.importer_park import PARK, SPOTS, Cli, park_feature, uscc, write, zone_feature

EngineFor = Callable[[str], Engine]

GCJ_PAIRS = [  # (WGS 84 lon, lat), (GCJ-02 lon, lat), as published with eviltransform's tests
    ((121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)),  # Shanghai
    ((113.912316, 22.543847), (113.9171764808363, 22.540796131694766)),  # Shenzhen
    ((116.377817, 39.911954), (116.38404722455657, 39.91334545536069)),  # Beijing
    ((116.404, 39.915), (116.41024449916938, 39.91640428150164)),  # coordtransform's example
]
BD_PAIRS = [  # (BD-09 lon, lat), (GCJ-02 lon, lat), as published with coordtransform's tests
    ((116.404, 39.915), (116.39762729119315, 39.90865673957631)),  # bd09togcj02
    ((116.41036949371029, 39.92133699351021), (116.404, 39.915)),  # gcj02tobd09
]


@pytest.fixture
def park_url(empty_url: str, tmp_path: Path) -> str:
    import_file(empty_url, "parks", write(tmp_path / "p.geojson", [park_feature()]))
    import_file(empty_url, "zones", write(tmp_path / "z.geojson", [zone_feature()]))
    return empty_url


def refused(url: str, engine: Engine, kind: str, path: Path, **options: Any) -> str:
    before = counts(engine)
    crs = options.pop("crs", None)
    with pytest.raises(ImportRejected) as caught:
        import_file(url, kind, path, crs, options=ReadOptions(**options))
    assert counts(engine) == before
    return caught.value.render()


def metres_apart(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(Geodesic.WGS84.Inverse(a[1], a[0], b[1], b[0])["s12"])


def assert_register_stored(engine: Engine, spots: list[tuple[float, float]] = SPOTS) -> None:
    stored = stored_points(engine)
    assert set(stored) == {uscc(n) for n in range(len(spots))}
    for n, (lon, lat) in enumerate(spots):
        name, address, industry, x, y = stored[uscc(n)]
        assert (name, address, industry) == (NAMES[n], ADDRESSES[n], INDUSTRIES[n])
        assert (x, y) == pytest.approx((lon, lat), abs=1e-7)


def test_an_xlsx_register_with_chinese_headers(
    park_url: str, tmp_path: Path, engine_for: EngineFor, cli: Cli
) -> None:
    """所属网格 is accepted and not believed: membership follows the location. Trailing empty
    rows (formatting left below the data) are not rows of data."""
    path = workbook(tmp_path / "企业名录.xlsx", {"企业": register_rows() + [[None] * 7] * 3})
    status, out, err = cli(park_url, "enterprises", str(path))
    assert (status, err) == (0, ""), err
    assert out.startswith("enterprises: 10 inserted")
    assert_register_stored(engine_for(park_url))


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk", "utf-8"])
def test_a_csv_in_the_encodings_excel_saves_is_read_without_being_told(
    park_url: str, tmp_path: Path, engine_for: EngineFor, encoding: str
) -> None:
    path = csv_file(tmp_path / "企业.csv", register_rows(), encoding)
    assert import_file(park_url, "enterprises", path).inserted == len(SPOTS)
    assert_register_stored(engine_for(park_url))


def test_a_csv_in_another_encoding_than_said_is_refused(
    park_url: str, tmp_path: Path, engine_for: EngineFor, cli: Cli
) -> None:
    path = csv_file(tmp_path / "企业.csv", register_rows(), "gbk")
    text = refused(park_url, engine_for(park_url), "enterprises", path, encoding="utf-8")
    assert "encoding: the file is not utf-8: byte 0xc6 on line 1 cannot be decoded" in text
    assert cli(park_url, "enterprises", str(path), "--encoding", "GBK")[0] == 0
    assert_register_stored(engine_for(park_url))


def test_zones_as_wkt_in_gauss_kruger_metres(
    park_url: str, tmp_path: Path, engine_for: EngineFor
) -> None:
    rows = [["编码", "名称", "所属园区", "WKT"]] + [
        [code, name, "P", in_crs(shape, GK_114).wkt] for code, (name, shape) in GRIDS.items()
    ]
    path = workbook(tmp_path / "片区.xlsx", {"片区": rows})
    assert import_file(park_url, "zones", path, "EPSG:4547").inserted == 2
    for code, (_, shape) in GRIDS.items():
        assert apart(engine_for(park_url), "zone", code, shape) < 1e-7


def test_merged_cells_are_refused_naming_the_cells(
    park_url: str, tmp_path: Path, engine_for: EngineFor
) -> None:
    rows = register_rows()
    rows[3][6] = None  # the grid cell merged down from row 3 to row 4, as offices do
    path = workbook(tmp_path / "e.xlsx", {"企业": rows}, merged=["G3:G4"])
    text = refused(park_url, engine_for(park_url), "enterprises", path)
    assert "row 3: cells G3:G4 are merged: every row must carry its own values" in text


def test_an_empty_row_between_rows_of_data_is_refused(
    park_url: str, tmp_path: Path, engine_for: EngineFor
) -> None:
    rows = register_rows()
    path = workbook(tmp_path / "e.xlsx", {"企业": [*rows[:5], [None] * 7, *rows[5:]]})
    text = refused(park_url, engine_for(park_url), "enterprises", path)
    assert "row 6: is empty, between rows of data" in text
    assert text.count("\n  ") == 1


def test_duplicate_headers_and_two_names_for_one_property_are_refused(
    park_url: str, tmp_path: Path, engine_for: EngineFor, cli: Cli
) -> None:
    engine = engine_for(park_url)
    rows = [[*row, row[4]] for row in register_rows()]
    text = refused(park_url, engine, "enterprises", workbook(tmp_path / "a.xlsx", {"s": rows}))
    assert "row 1 column H (地址): the same header as row 1 column E (地址)" in text
    rows = [[*row, row[0]] for row in register_rows()]
    rows[0][7] = "名称"
    path = workbook(tmp_path / "b.xlsx", {"s": rows})
    text = refused(park_url, engine, "enterprises", path)
    assert "row 1 column A (企业名称): is read as name, and so is row 1 column H (名称)" in text
    status, _, err = cli(
        park_url, "enterprises", str(path), "--columns", "name=企业名称,ignore=名称"
    )
    assert (status, err) == (0, ""), err
    assert_register_stored(engine)


def test_unknown_columns_are_refused_until_named_or_ignored(
    park_url: str, tmp_path: Path, engine_for: EngineFor, cli: Cli
) -> None:
    """A column with values nobody recognises is refused; an empty one drops nothing."""
    rows = [[*row, "张三", None] for row in register_rows()]
    rows[0][7:] = ["联系人", "备注"]
    path = workbook(tmp_path / "e.xlsx", {"企业": rows})
    text = refused(park_url, engine_for(park_url), "enterprises", path)
    assert "row 1 column H (联系人): holds values parkgrid does not read for enterprises" in text
    assert "备注" not in text and text.count("\n  ") == 1
    status, _, err = cli(park_url, "enterprises", str(path), "--columns", "ignore=*")
    assert (status, err) == (0, ""), err
    assert_register_stored(engine_for(park_url))


def test_columns_named_otherwise_are_read_through_columns(
    park_url: str, tmp_path: Path, engine_for: EngineFor, cli: Cli
) -> None:
    rows = register_rows()
    rows[0][:4] = ["单位", "信用号", "东经", "北纬"]
    path = csv_file(tmp_path / "e.csv", rows, "utf-8-sig")
    text = refused(park_url, engine_for(park_url), "enterprises", path)
    assert "column uscc: no column holds it (looked for 统一社会信用代码" in text
    assert "column wkt: no column holds it" in text
    columns = "name=单位,uscc=信用号,lon=东经,lat=北纬"
    status, _, err = cli(park_url, "enterprises", str(path), "--columns", columns)
    assert (status, err) == (0, ""), err
    assert_register_stored(engine_for(park_url))


def test_every_bad_cell_is_named_by_row_and_column_at_once(
    park_url: str, tmp_path: Path, engine_for: EngineFor, cli: Cli
) -> None:
    rows = register_rows()
    rows[2][2] = "东经112.89"
    rows[4][1] = uscc(3)[:17] + ("0" if uscc(3)[17] != "0" else "1")
    rows[6][1] = uscc(0)
    rows[8][0] = " "
    rows[9][2:4] = [None, None]
    rows[10][3] = None
    path = workbook(tmp_path / "e.xlsx", {"企业": rows})
    before = counts(engine_for(park_url))
    status, _, err = cli(park_url, "enterprises", str(path))
    assert status == 1 and counts(engine_for(park_url)) == before
    lines = err.splitlines()[1:]
    assert lines == [
        "  row 3 column 经度: is not a number ('东经112.89')",
        "  row 5 column 统一社会信用代码: " + lines[1].split(": ", 1)[1],
        f"  row 7 column 统一社会信用代码: duplicate '{uscc(0)}', also given at row 2",
        "  row 9 column 企业名称: is missing",
        "  row 10 columns 经度, 纬度: is missing",
        "  row 11 column 纬度: is missing",
    ]
    assert "check character" in lines[1]


def test_a_workbook_with_several_sheets_needs_sheet(
    park_url: str, tmp_path: Path, engine_for: EngineFor, cli: Cli
) -> None:
    path = workbook(
        tmp_path / "e.xlsx", {"说明": [["本表为园区企业名录"]], "企业": register_rows()}
    )
    text = refused(park_url, engine_for(park_url), "enterprises", path)
    assert "several sheets hold data (说明, 企业): choose one with --sheet" in text
    assert cli(park_url, "enterprises", str(path), "--sheet", "企业")[0] == 0
    assert_register_stored(engine_for(park_url))


def test_the_datum_formula_of_the_tests_matches_the_published_pairs() -> None:
    """The tests' own GCJ-02 and BD-09 formula, checked before it checks the import."""
    for wgs, gcj in GCJ_PAIRS:
        assert wgs_to_gcj(*wgs) == pytest.approx(gcj, abs=1e-9)
        assert metres_apart(gcj_to_wgs(*gcj), wgs) < 0.01
    (bd, gcj), (bd_of, gcj_of) = BD_PAIRS
    assert bd_to_gcj(*bd) == pytest.approx(gcj, abs=1e-9)
    assert gcj_to_bd(*gcj_of) == pytest.approx(bd_of, abs=1e-9)


@pytest.mark.parametrize("datum", ["gcj02", "bd09"])
def test_coordinates_copied_from_web_maps_land_on_the_published_wgs84_points(
    empty_url: str, tmp_path: Path, engine_for: EngineFor, cli: Cli, datum: str
) -> None:
    """Points far from any park: imported with --allow-outside, stored within a metre of
    the WGS 84 the reference pairs give (BD-09's through its published GCJ-02)."""
    if datum == "gcj02":
        given = [gcj for _, gcj in GCJ_PAIRS]
        expected = [wgs for wgs, _ in GCJ_PAIRS]
    else:
        given = [bd for bd, _ in BD_PAIRS]
        expected = [gcj_to_wgs(*gcj) for _, gcj in BD_PAIRS]
    path = csv_file(tmp_path / "e.csv", register_rows(given), "utf-8")
    status, _, err = cli(empty_url, "enterprises", str(path), "--datum", datum, "--allow-outside")
    assert (status, err) == (0, ""), err
    stored = stored_points(engine_for(empty_url))
    for n, point in enumerate(expected):
        assert metres_apart(stored[uscc(n)][3:], point) < 1.0


def test_the_datum_is_undone_before_the_park_is_checked(
    park_url: str, tmp_path: Path, engine_for: EngineFor, cli: Cli
) -> None:
    """Near the park's east edge a GCJ-02 point lies outside the park; taken for WGS 84 it is
    refused, converted it lands inside, on its spot."""
    edge = (112.941, 28.712)
    assert PARK.contains(Point(edge)) and not PARK.contains(Point(wgs_to_gcj(*edge)))
    spots = [*SPOTS, edge]
    rows = register_rows([wgs_to_gcj(*spot) for spot in SPOTS])
    rows.append([NAMES[0] + "二厂", uscc(10), *wgs_to_gcj(*edge), ADDRESSES[0], "机械", None])
    path = workbook(tmp_path / "e.xlsx", {"企业": rows})
    engine = engine_for(park_url)
    text = refused(park_url, engine, "enterprises", path)
    assert f"1 of 11 enterprises lies outside every park: row 12 {uscc(10)}" in text
    assert "--datum gcj02 shifts" in refused(park_url, engine, "enterprises", path,
                                            datum="gcj02", crs="EPSG:4547")  # fmt: skip
    status, _, err = cli(park_url, "enterprises", str(path), "--datum", "gcj02")
    assert (status, err) == (0, ""), err
    stored = stored_points(engine)
    for n, spot in enumerate(spots):
        assert metres_apart(stored[uscc(n)][3:], spot) < 0.01
