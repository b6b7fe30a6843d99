"""A file several chunks long: read, checked and written a chunk at a time in one transaction.
Imported whole, every row is stored where the file puts it and in the grid that covers it
(checked with plain SQL against Shapely); a bad row in the last chunk, found after every
earlier chunk was written, leaves every table as it was. The lists that hold a file's rows
(importer.listing) and the thread that reads ahead (importer.batches) are checked alone."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from shapely.geometry import Point

from parkgrid.importer import ImportRejected, import_file
from parkgrid.importer.batches import CHUNK_SIZE, ahead
from parkgrid.importer.listing import BLOCK, HEAD, Listing
from parkgrid.uscc import check_character
from tests.helpers import read_rows
from tests.parkgrid.cli_runs import table_checksums
from tests.parkgrid.import_files import GRIDS, csv_file, write_vector
from tests.parkgrid.importer_park import PARK, Cli, feature, park_feature, write, zone_feature

ROWS = 3 * CHUNK_SIZE + 17
"""Three full chunks and a short last one."""
HEADER = ["企业名称", "统一社会信用代码", "经度", "纬度", "行业"]


def code(n: int) -> str:
    body = f"91430624MC{n:07d}"
    return body + check_character(body)


def spots(count: int) -> list[tuple[float, float]]:
    """Points on a lattice inside the park, none on the edge the two grids share."""
    west, south, east, _ = PARK.bounds
    found: list[tuple[float, float]] = []
    step = 0.00023
    y = south + step / 2
    while len(found) < count:
        x = west + step / 3
        while x < east and len(found) < count:
            if PARK.contains(Point(x, y)) and abs(x - 112.905) > 1e-6:
                found.append((round(x, 7), round(y, 7)))
            x += step
        y += step
    assert len(found) == count, "the lattice is too coarse for the park"
    return found


def rows(points: list[tuple[float, float]]) -> list[list[Any]]:
    return [HEADER] + [
        [f"企业{n}", code(n), lon, lat, "制造"] for n, (lon, lat) in enumerate(points)
    ]


def expected_grid(lon: float, lat: float) -> str | None:
    """The grid covering the point, by Shapely (the lowest code on a shared edge)."""
    for name in sorted(GRIDS):
        if GRIDS[name][1].covers(Point(lon, lat)):
            return name
    return None


@pytest.fixture
def grids_url(empty_url: str, tmp_path: Path) -> str:
    """The park P, its zone Z and its two grids G-E and G-W (GeoJSON)."""
    import_file(empty_url, "parks", write(tmp_path / "p.geojson", [park_feature()]))
    import_file(empty_url, "zones", write(tmp_path / "z.geojson", [zone_feature()]))
    cells = [
        feature(shape.__geo_interface__, code=name, name=title, zone="Z")
        for name, (title, shape) in GRIDS.items()
    ]
    import_file(empty_url, "grids", write(tmp_path / "g.geojson", cells))
    return empty_url


def test_a_file_of_several_chunks_is_imported_whole(grids_url: str, tmp_path: Path) -> None:
    points = spots(ROWS)
    path = csv_file(tmp_path / "企业.csv", rows(points), "utf-8-sig")

    report = import_file(grids_url, "enterprises", path)

    assert (report.inserted, report.updated, report.unchanged) == (ROWS, 0, 0)
    assert len(report.new) == ROWS and len(report.new) > HEAD + BLOCK  # spooled to disk
    assert [r.index for r in report.new] == list(range(ROWS))
    last = report.new[-1]
    assert (report.place(last.index), last.key) == (f"row {ROWS + 1}", code(ROWS - 1))
    query = (
        "SELECT e.uscc, e.name, ST_X(e.location), ST_Y(e.location), g.code FROM enterprise e"
        " LEFT JOIN grid g ON g.id = e.grid_id"
    )
    stored = {row[0]: tuple(row[1:]) for row in read_rows(grids_url, query)}
    assert len(stored) == ROWS
    for n, (lon, lat) in enumerate(points):
        name, x, y, grid = stored[code(n)]
        assert (name, grid) == (f"企业{n}", expected_grid(lon, lat))
        assert (x, y) == pytest.approx((lon, lat), abs=1e-9)
    assert [r.within for r in report.new] == [expected_grid(*point) for point in points]

    again = import_file(grids_url, "enterprises", path)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, ROWS)


def test_a_bad_row_in_the_last_chunk_leaves_nothing_written(
    grids_url: str, tmp_path: Path, cli: Cli
) -> None:
    """Every earlier chunk is written before the last is read: the transaction is rolled
    back. The duplicate names a row of the first chunk; the summary counts the whole file."""
    table = rows(spots(ROWS))
    last = ROWS + 1  # the last row as the spreadsheet numbers it (the header is row 1)
    table[last - 1][1] = code(ROWS - 1)[:17] + ("0" if code(ROWS - 1)[17] != "0" else "1")
    table[last - 2][1] = code(0)  # the first data row's code again
    table[last - 3][2:4] = [113.5, 28.7]  # far east of the park
    path = csv_file(tmp_path / "企业.csv", table, "utf-8-sig")
    before = table_checksums(grids_url)

    status, out, err = cli(grids_url, "enterprises", str(path))

    assert (status, out) == (1, "")
    assert table_checksums(grids_url) == before
    lines = err.splitlines()
    assert lines[0] == "import rejected, nothing was changed (3 problems):"
    assert lines[1].startswith(f"  parks: 1 of {ROWS} enterprises lies outside every park:")
    assert f"row {last - 2} {code(ROWS - 3)}" in lines[1]
    assert lines[2] == (
        f"  row {last - 1} column 统一社会信用代码: duplicate '{code(0)}', also given at row 2"
    )
    assert lines[3].startswith(f"  row {last} column 统一社会信用代码: check character is")

    with pytest.raises(ImportRejected) as dry:
        import_file(grids_url, "enterprises", path, dry_run=True)
    assert table_checksums(grids_url) == before
    report = dry.value.report
    assert report is not None and report.dry_run
    assert report.inserted == ROWS - 3  # what the rows that pass would do
    assert [(p.where, p.property) for p in report.rejected] == [
        (None, "parks"),
        (f"row {last - 2} columns 经度, 纬度", "geometry"),
        (f"row {last - 1} column 统一社会信用代码", "uscc"),
        (f"row {last} column 统一社会信用代码", "uscc"),
    ]


def test_an_unreadable_cell_in_the_last_chunk_is_all_the_rejection_says(
    grids_url: str, tmp_path: Path
) -> None:
    """A cell that cannot be read refuses the file with what reading found, not with what
    the stages made of the rows before it (here, a row outside the park in the first chunk)."""
    table = rows(spots(ROWS))
    table[1][2:4] = [113.5, 28.7]
    table[ROWS][2] = "东经112.9"
    path = csv_file(tmp_path / "企业.csv", table, "gbk")
    before = table_checksums(grids_url)
    with pytest.raises(ImportRejected) as caught:
        import_file(grids_url, "enterprises", path)
    assert table_checksums(grids_url) == before
    assert [p.render() for p in caught.value.problems] == [
        f"row {ROWS + 1} column 经度: is not a number ('东经112.9')"
    ]


def test_a_geopackage_of_several_chunks_is_read_a_chunk_at_a_time(
    grids_url: str, tmp_path: Path
) -> None:
    """GDAL reads the layer a chunk at a time; a credit code of the first chunk given again
    in the last is named as QGIS numbers the features, with the feature's name."""
    points = spots(ROWS)
    fields = {"名称": [f"企业{n}" for n in range(ROWS)], "信用代码": [code(n) for n in range(ROWS)]}
    shapes = [Point(lon, lat) for lon, lat in points]
    path = write_vector(tmp_path / "企业.gpkg", shapes, fields, 4326)
    assert import_file(grids_url, "enterprises", path).inserted == ROWS
    stored = read_rows(grids_url, "SELECT count(*), count(DISTINCT uscc) FROM enterprise")[0]
    assert tuple(stored) == (ROWS, ROWS)

    fields["信用代码"][-1] = code(1)
    path = write_vector(tmp_path / "重复.gpkg", shapes, fields, 4326)
    before = table_checksums(grids_url)
    with pytest.raises(ImportRejected) as caught:
        import_file(grids_url, "enterprises", path)
    assert table_checksums(grids_url) == before
    assert [p.render() for p in caught.value.problems] == [
        f"feature {ROWS} (name 企业{ROWS - 1}), field 信用代码: duplicate '{code(1)}', also"
        " given at feature 2"
    ]


def test_a_listing_spools_what_it_cannot_hold_and_reads_it_back_in_order() -> None:
    count = HEAD + 3 * BLOCK + 5
    listing = Listing(range(count))
    assert len(listing) == count and listing == tuple(range(count)) == listing
    assert listing != tuple(range(count - 1))
    assert () == Listing[int]()  # noqa: SIM300 (a tuple first: the comparison reflected)
    assert listing[:3] == (0, 1, 2) and listing[HEAD + BLOCK + 1] == HEAD + BLOCK + 1
    assert listing[-1] == count - 1 and listing[count - 4 : count - 1] == (
        count - 4, count - 3, count - 2,
    )  # fmt: skip
    pairs = zip(listing, listing, strict=True)  # two readers of one spool at once
    assert all(a == b for a, b in pairs)
    listing.append(-1)
    assert list(listing)[-2:] == [count - 1, -1]
    with pytest.raises(IndexError):
        listing[count + 1]


def test_reading_ahead_keeps_order_raises_where_it_failed_and_stops_when_left() -> None:
    def failing() -> Iterator[int]:
        yield from range(5)
        raise ValueError("the sixth")

    taken = []
    with pytest.raises(ValueError, match="the sixth"):
        for item in ahead(failing()):
            taken.append(item)
    assert taken == [0, 1, 2, 3, 4]

    before = threading.active_count()
    endless = ahead(iter(range(10**9)))
    assert [next(endless) for _ in range(3)] == [0, 1, 2]
    endless.close()  # leaving early stops the thread
    assert threading.active_count() == before
