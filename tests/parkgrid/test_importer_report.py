"""An import's report and its dry run: the dry run changes nothing and reports exactly what
the real import then does, checked against plain SQL on the tables after it; rejected rows
are listed one by one; the workbook is read back with openpyxl, an independent reader."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from geographiclib.geodesic import Geodesic

from parkgrid.importer import ImportRejected, ImportReport, import_file
from parkgrid.importer.outcomes import location_of
from tests.helpers import read_rows
from tests.parkgrid.cli_runs import table_checksums
from tests.parkgrid.importer_park import Cli
from tests.parkgrid.test_importer import (
    EAST,
    MID_Y,
    NORTH,
    PARK_EAST,
    SOUTH,
    WEST,
    box,
    enterprises,
    feature,
    grids,
    hierarchy_files,
    import_all,
    point,
    usc,
    with_wrong_check_character,
    write,
)

SHEETS = ["汇总", "新增", "变更", "未变", "换网格", "拒绝"]
ENTERPRISE_STATE = """
SELECT e.uscc, e.name, e.industry, e.address, ST_X(e.location), ST_Y(e.location), g.code
FROM enterprise e LEFT JOIN grid g ON g.id = e.grid_id
"""
GRID_STATE = """
SELECT g.code, g.name, z.code, ST_AsEWKB(g.boundary) FROM grid g JOIN zone z ON z.id = g.zone_id
"""


def state(url: str, query: str) -> dict[str, tuple[Any, ...]]:
    return {row[0]: tuple(row[1:]) for row in read_rows(url, query)}


def grid_events_after(url: str, last: int) -> dict[str, tuple[str | None, str | None]]:
    """Each enterprise's grid change logged after event `last`, read from the log itself."""
    query = (
        "SELECT e.uscc, v.changes -> 'grid' ->> 0, v.changes -> 'grid' ->> 1 FROM event v"
        " JOIN enterprise e ON e.id = v.enterprise_id WHERE v.action = 'grid_changed'"
        f" AND v.id > {int(last)} ORDER BY v.id"
    )
    return {uscc: (before, after) for uscc, before, after in read_rows(url, query)}


def last_event(url: str) -> int:
    return int(read_rows(url, "SELECT coalesce(max(id), 0) FROM event")[0][0])


@pytest.fixture
def loaded(empty_url: str, tmp_path: Path) -> dict[str, Path]:
    files = hierarchy_files(tmp_path)
    import_all(empty_url, files)
    return files


def dry_then_real(url: str, kind: str, path: Path) -> tuple[ImportReport, ImportReport]:
    """The dry run (checked to change no table), then the real import of the same file."""
    before = table_checksums(url)
    dry = import_file(url, kind, path, dry_run=True)
    assert table_checksums(url) == before
    return dry, import_file(url, kind, path)


def test_a_dry_run_of_enterprises_reports_what_the_import_then_does(
    empty_url: str, loaded: dict[str, Path], tmp_path: Path
) -> None:
    changed = enterprises(moved={1: 112.915})  # 1 moves from G-2 into G-1
    changed[1]["properties"]["name"] = "Renamed 2"
    changed[2]["properties"]["address"] = "=HYPERLINK(1)"  # a text, not a formula
    changed.append(feature(point(112.912, MID_Y), uscc=usc(5), name="Enterprise 5"))
    path = write(tmp_path / "changed.geojson", changed)
    before, last = state(empty_url, ENTERPRISE_STATE), last_event(empty_url)

    dry, real = dry_then_real(empty_url, "enterprises", path)

    assert dry.dry_run and not dry.written and real.written
    assert replace(dry, dry_run=False) == real
    after = state(empty_url, ENTERPRISE_STATE)
    assert {row.key for row in real.new} == after.keys() - before.keys() == {usc(5)}
    assert real.new[0].within == after[usc(5)][5] == "G-1"
    differ = {k for k in before if before[k] != after[k]}
    assert {c.row.key for c in real.changed} == differ == {usc(1), usc(2), usc(3)}
    assert {r.key for r in real.kept} == before.keys() - differ
    assert (real.inserted, real.updated, real.unchanged) == (1, 3, 1)
    columns = ("name", "industry", "address")
    for change in real.changed:
        was, now = before[change.row.key], after[change.row.key]
        expected = {c for n, c in enumerate(columns) if was[n] != now[n]}
        if was[3:5] != now[3:5]:
            expected.add("geometry")
        assert {f.property for f in change.changes} == expected
        for field in change.changes:
            if field.property == "geometry":
                assert field.before == f"{was[3]:.7f}, {was[4]:.7f}"
                assert field.after == f"{now[3]:.7f}, {now[4]:.7f}"
            else:
                index = columns.index(field.property)
                assert (field.before, field.after) == (was[index], now[index])
    moves = {m.uscc: (m.before, m.after) for m in real.moves}
    assert moves == grid_events_after(empty_url, last) == {usc(1): ("G-2", "G-1")}
    assert moves == {k: (before[k][5], after[k][5]) for k in before if before[k][5] != after[k][5]}
    assert real.grid_changes == 1


def geodesic_area(ring: list[list[float]]) -> float:
    polygon = Geodesic.WGS84.Polygon()
    for lon, lat in ring[:-1]:
        polygon.AddPoint(lat, lon)
    return abs(polygon.Compute()[2])


def test_a_dry_run_of_grids_shows_parents_shapes_and_members_that_change_grid(
    empty_url: str, loaded: dict[str, Path], tmp_path: Path
) -> None:
    zone = feature(box(WEST, SOUTH, PARK_EAST, NORTH), code="Z2", name="Zone 2", park="P")
    import_file(empty_url, "zones", write(tmp_path / "z2.geojson", [zone]))
    reshaped = grids(shared_edge=112.918)  # G-1 shrinks, G-2 grows: 2 and 3 move to G-2
    reshaped[1]["properties"]["zone"] = "Z2"
    path = write(tmp_path / "reshaped.geojson", reshaped)
    before, last = state(empty_url, GRID_STATE), last_event(empty_url)

    dry, real = dry_then_real(empty_url, "grids", path)

    assert replace(dry, dry_run=False) == real
    after = state(empty_url, GRID_STATE)
    assert {c.row.key for c in real.changed} == {k for k in before if before[k] != after[k]}
    by_key = {c.row.key: {f.property: f for f in c.changes} for c in real.changed}
    assert set(by_key["G-1"]) == {"geometry", "zone"}
    assert (by_key["G-1"]["zone"].before, by_key["G-1"]["zone"].after) == ("Z", "Z2")
    assert set(by_key["G-2"]) == {"geometry"}
    ring = reshaped[0]["geometry"]["coordinates"][0]
    shown = by_key["G-2"]["geometry"].after
    assert shown is not None and shown.endswith("positions, centre 112.909000, 28.705000")
    area = float(shown.split(" m²")[0].replace(",", ""))
    assert area == pytest.approx(geodesic_area(ring), abs=1.0)
    moves = {m.uscc: (m.before, m.after) for m in real.moves}
    assert moves == grid_events_after(empty_url, last)
    assert moves == {usc(2): ("G-1", "G-2"), usc(3): ("G-1", "G-2")}
    assert {c.row.key: c.row.within for c in real.changed} == {"G-1": "Z2", "G-2": "Z"}


def bad_enterprises() -> list[Any]:
    return [
        feature(point(112.905, MID_Y), uscc=usc(1), name="Enterprise 1", industry="machinery",
                address="1 Park Road"),  # unchanged
        feature(point(112.905, MID_Y), uscc=with_wrong_check_character(usc(6)), name="Bad code"),
        feature(point(PARK_EAST + 0.01, MID_Y), uscc=usc(7), name="Outside"),
        feature(point(EAST - 0.001, MID_Y), uscc=usc(8), name="New one"),
        feature(point(112.905, MID_Y), uscc=usc(1), name="Twice"),
    ]  # fmt: skip


def test_rejected_rows_are_listed_one_by_one_and_nothing_is_written(
    empty_url: str, loaded: dict[str, Path], tmp_path: Path
) -> None:
    path = write(tmp_path / "bad.geojson", bad_enterprises())
    before = table_checksums(empty_url)
    with pytest.raises(ImportRejected) as dry:
        import_file(empty_url, "enterprises", path, dry_run=True)
    with pytest.raises(ImportRejected) as real:
        import_file(empty_url, "enterprises", path)
    assert table_checksums(empty_url) == before
    for caught in (dry, real):
        report = caught.value.report
        assert report is not None and not report.written
        rows = {(p.index, p.property) for p in report.rejected}
        assert rows == {(None, "parks"), (1, "uscc"), (2, "geometry"), (4, "uscc")}
        assert set(caught.value.problems) <= set(report.rejected)  # the summary is kept
        outside = next(p for p in report.rejected if p.index == 2)
        assert location_of(outside) == "features[2] geometry"
        assert "outside every park; --allow-outside" in outside.reason
    assert dry.value.report is not None and real.value.report is not None
    assert [r.key for r in dry.value.report.new] == [usc(8)]  # what the good rows would do
    assert [r.key for r in dry.value.report.kept] == [usc(1)]
    assert (real.value.report.new, real.value.report.kept) == ((), ())


def sheet_rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == SHEETS
    return {name: [tuple(row) for row in book[name].iter_rows(values_only=True)] for name in SHEETS}


def test_the_dry_run_prints_and_writes_the_report_as_a_workbook(
    empty_url: str, loaded: dict[str, Path], tmp_path: Path, cli: Cli
) -> None:
    changed = enterprises(moved={1: 112.915})
    changed[2]["properties"]["name"] = "=1+1 广场"
    path, workbook = write(tmp_path / "e.geojson", changed), tmp_path / "report.xlsx"
    before = table_checksums(empty_url)
    status, out, err = cli(empty_url, "enterprises", str(path), "--dry-run", "--report",
                           str(workbook))  # fmt: skip
    assert (status, err) == (0, "")
    assert table_checksums(empty_url) == before
    lines = out.splitlines()
    assert lines[0].startswith("enterprises (dry run, nothing was written): 0 to insert, 2 to")
    assert f'  features[0] {usc(1)} "Enterprise 1": geometry: 112.9050000, 28.7050000 ->' in out
    assert f'  features[2] {usc(3)} "=1+1 广场": name: Enterprise 3 -> =1+1 广场' in out
    assert "grid changes (1):" in lines and f'  {usc(1)} "Enterprise 1": G-2 -> G-1' in lines

    sheets = sheet_rows(workbook)
    assert sheets["汇总"][0] == ("项目", "值")
    assert dict(sheets["汇总"][1:]) == {
        "类型": "企业", "结果": "试运行，未写入", "新增": 0, "变更": 2, "未变": 2, "换网格": 1,
        "园区外（已允许）": 0, "拒绝": 0,
    }  # fmt: skip
    assert sheets["变更"][0] == ("位置", "统一社会信用代码", "名称", "字段", "变更前", "变更后")
    assert sorted(sheets["变更"][1:]) == [
        ("features[0]", usc(1), "Enterprise 1", "位置/边界", "112.9050000, 28.7050000",
         "112.9150000, 28.7050000"),
        ("features[2]", usc(3), "=1+1 广场", "名称", "Enterprise 3", "=1+1 广场"),
    ]  # fmt: skip
    assert sheets["未变"][1:] == [
        ("features[1]", usc(2), "Enterprise 2", "G-1"), ("features[3]", usc(4), "Enterprise 4", None)
    ]  # fmt: skip
    assert sheets["换网格"][1:] == [(usc(1), "Enterprise 1", "G-2", "G-1")]
    assert sheets["新增"] == [("位置", "统一社会信用代码", "名称", "网格")]
    assert sheets["拒绝"] == [("位置", "字段", "原因")]
    book = openpyxl.load_workbook(workbook)
    for name in SHEETS:
        assert book[name].freeze_panes == "A2"
        assert book[name].auto_filter.ref is not None and book[name].auto_filter.ref.startswith(
            "A1:"
        )
    changes = book["变更"]
    for cell in (changes["C3"], changes["F3"]):  # a name starting with '=' stays text
        assert (cell.value, cell.data_type) == ("=1+1 广场", "s")
    assert changes.column_dimensions["B"].width >= 18  # the credit code fits


def test_a_refused_import_still_writes_the_report_of_why(
    empty_url: str, loaded: dict[str, Path], tmp_path: Path, cli: Cli
) -> None:
    path, workbook = write(tmp_path / "bad.geojson", bad_enterprises()), tmp_path / "why.xlsx"
    before = table_checksums(empty_url)
    status, out, err = cli(empty_url, "enterprises", str(path), "--report", str(workbook))
    assert status == 1 and out == ""
    assert err.startswith("import rejected, nothing was changed (3 problems):")
    assert table_checksums(empty_url) == before
    sheets = sheet_rows(workbook)
    assert dict(sheets["汇总"][1:])["结果"] == "已拒绝，未写入"
    rejected = sheets["拒绝"][1:]
    assert [row[0] for row in rejected] == [
        "parks", "features[1] uscc", "features[2] geometry", "features[4] uscc"
    ]  # fmt: skip
    assert "check character" in rejected[1][2] and "duplicate" in rejected[3][2]
    assert all(len(sheets[name]) == 1 for name in ("新增", "变更", "未变", "换网格"))


def test_a_file_refused_before_its_rows_are_read_still_gets_a_report(
    empty_url: str, tmp_path: Path, cli: Cli
) -> None:
    path, workbook = tmp_path / "broken.geojson", tmp_path / "why.xlsx"
    path.write_bytes(b"{not json")
    status, _, err = cli(empty_url, "parks", str(path), "--dry-run", "--report", str(workbook))
    assert status == 1 and "is not valid JSON" in err
    rejected = sheet_rows(workbook)["拒绝"]
    assert rejected[1][:2] == ("file", "file") and "is not valid JSON" in rejected[1][2]


def test_a_new_grid_takes_in_an_enterprise_that_was_in_none(
    empty_url: str, loaded: dict[str, Path], tmp_path: Path
) -> None:
    cell = feature(box(EAST, SOUTH, PARK_EAST, NORTH), code="G-3", name="East end", zone="Z")
    path = write(tmp_path / "g3.geojson", [cell])
    dry, real = dry_then_real(empty_url, "grids", path)
    assert replace(dry, dry_run=False) == real
    assert [(r.key, r.within) for r in real.new] == [("G-3", "Z")]
    assert {m.uscc: (m.before, m.after) for m in real.moves} == {usc(4): (None, "G-3")}


def test_a_report_that_cannot_be_written_stops_the_import_before_it_starts(
    empty_url: str, loaded: dict[str, Path], tmp_path: Path, cli: Cli
) -> None:
    renamed = enterprises()
    renamed[0]["properties"]["name"] = "Renamed"
    path = write(tmp_path / "e.geojson", renamed)
    before = table_checksums(empty_url)
    status, out, err = cli(empty_url, "enterprises", str(path), "--report",
                           str(tmp_path / "no-such-folder" / "r.xlsx"))  # fmt: skip
    assert (status, out) == (2, "")
    assert err.startswith("parkgrid: import: --report: no folder")
    assert table_checksums(empty_url) == before
