"""Files as a park office sends them, made with the libraries that make them in the field:
Shapefiles, GeoPackages, KML, KMZ and FlatGeobuf written by GDAL (through pyogrio), workbooks
by openpyxl, CSV by Python in the encodings Excel saves. The shapes are the Xiangyin park of
importer_park, put into other CRSs by pyproj alone, so what the import stores is checked
against values that owe nothing to it.

Also the web-map datums' published formula (GCJ-02 forward, and BD-09 from GCJ-02), written
here from its public description and checked against published reference pairs, so that the
test's expectations do not come from the library the import uses."""

from __future__ import annotations

import csv
import io
import math
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pyogrio.raw
import shapely
from shapely.geometry import Point, Polygon
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Engine, text

from tests.parkgrid.importer_park import PARK, SPOTS, TABLES, uscc
from tests.parkgrid.importer_park import to_crs as point_to_crs

CGCS2000 = 4490
GK_114 = 4547
UTM_49N = 32649

NAMES = ["湘阴县鑫达机械制造有限公司", "湖南湘江新材料科技有限公司", "洞庭湖食品（湘阴）有限公司",
         "湘阴高新区·智能装备产业园", "岳阳市湘阴县绿源环保科技有限公司", "湘阴金龙电子有限公司",
         "湖南樟树港辣椒专业合作社", "湘阴县星火纺织有限公司", "湘阴县铁角嘴建材有限公司",
         "湘阴县洋沙湖文旅发展有限公司"]  # fmt: skip
ADDRESSES = [f"湘阴县文星镇工业大道{n + 1}号" for n in range(len(SPOTS))]
INDUSTRIES = ["机械", "新材料", "食品", "装备", "环保", "电子", "农业", "纺织", "建材", "文旅"]

EAST_GRID = Polygon([(112.905, 28.690), (112.944, 28.690), (112.944, 28.747), (112.905, 28.747)])
WEST_GRID = Polygon([(112.860, 28.690), (112.905, 28.690), (112.905, 28.747), (112.860, 28.747)])
GRIDS = {"G-W": ("西片网格", WEST_GRID & PARK), "G-E": ("东片网格", EAST_GRID & PARK)}


def in_crs(geometry: BaseGeometry, srid: int) -> BaseGeometry:
    """The lon/lat geometry in EPSG:srid, by pyproj."""
    return shapely.transform(
        geometry, lambda xy: np.array([point_to_crs(srid, x, y) for x, y in xy], dtype=float)
    )


def column(values: Sequence[Any]) -> np.ndarray[Any, Any]:
    return np.array(list(values), dtype=object)


def write_vector(
    path: Path, shapes: Sequence[BaseGeometry], fields: Mapping[str, Sequence[Any]],
    srid: int | None, **options: Any,
) -> Path:  # fmt: skip
    """A layer written by GDAL; text fields as text, whole numbers as integers."""
    data = [column(v) if isinstance(v[0], str) else np.array(v) for v in fields.values()]
    wkb = np.array([shapely.to_wkb(shape) for shape in shapes], dtype=object)
    pyogrio.raw.write(
        str(path), wkb, data, list(fields), crs=None if srid is None else f"EPSG:{srid}",
        geometry_type=options.pop("geometry_type", shapes[0].geom_type), **options,
    )  # fmt: skip
    return path


def enterprise_fields(count: int = len(SPOTS)) -> dict[str, list[str]]:
    return {"名称": NAMES[:count], "信用代码": [uscc(n) for n in range(count)],
            "地址": ADDRESSES[:count], "行业": INDUSTRIES[:count]}  # fmt: skip


def spots_in(srid: int | None) -> list[BaseGeometry]:
    points = [Point(lon, lat) for lon, lat in SPOTS]
    return points if srid is None else [in_crs(point, srid) for point in points]


def zipped(folder: Path, target: Path, inside: str = "") -> Path:
    """The folder's files in a zip, under `inside/` (as Windows' 'send to zip' of a folder)."""
    with zipfile.ZipFile(target, "w") as archive:
        for item in sorted(folder.iterdir()):
            archive.write(item, f"{inside}/{item.name}" if inside else item.name)
    return target


def workbook(path: Path, sheets: dict[str, list[list[Any]]], merged: Sequence[str] = ()) -> Path:
    """An XLSX with the given rows (None: an empty cell); `merged` ranges on the first
    sheet, keeping the top-left value as Excel does."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    for cells in merged:
        book.worksheets[0].merge_cells(cells)
    book.save(path)
    return path


def csv_file(path: Path, rows: list[list[Any]], encoding: str) -> Path:
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def register_rows(spots: Sequence[tuple[float, float]] = SPOTS) -> list[list[Any]]:
    """An enterprise register as an office keeps it: Chinese headers, a grid column."""
    header = ["企业名称", "统一社会信用代码", "经度", "纬度", "地址", "行业", "所属网格"]
    return [header] + [
        [NAMES[n], uscc(n), lon, lat, ADDRESSES[n], INDUSTRIES[n], "东片网格"]
        for n, (lon, lat) in enumerate(spots)
    ]


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}


def stored_points(engine: Engine) -> dict[str, tuple[str, str | None, str | None, float, float]]:
    query = "SELECT uscc, name, address, industry, ST_X(location), ST_Y(location) FROM enterprise"
    with engine.connect() as conn:
        return {row[0]: tuple(row[1:]) for row in conn.execute(text(query))}


def apart(engine: Engine, table: str, code: str, expected: BaseGeometry) -> float:
    """Hausdorff distance (degrees) between the stored boundary and the expected shape."""
    query = f"SELECT ST_HausdorffDistance(boundary, ST_GeomFromText(:wkt, 4326)) FROM {table}"
    with engine.connect() as conn:
        found = conn.execute(
            text(query + " WHERE code = :code"), {"wkt": expected.wkt, "code": code}
        )
        return float(found.scalar_one())


# The web maps' datums, from the published formula (Krasovsky ellipsoid constants).
KRASOVSKY_A = 6378245.0
KRASOVSKY_EE = 0.00669342162296594323
X_PI = math.pi * 3000.0 / 180.0


def gcj_offset(lon: float, lat: float) -> tuple[float, float]:
    x, y = lon - 105.0, lat - 35.0
    d_lat = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * math.sqrt(abs(x))
        + (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2 / 3
        + (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2 / 3
        + (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2 / 3
    )
    d_lon = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * math.sqrt(abs(x))
        + (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2 / 3
        + (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2 / 3
        + (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2 / 3
    )
    rad = lat / 180.0 * math.pi
    magic = 1 - KRASOVSKY_EE * math.sin(rad) ** 2
    d_lat = (
        d_lat * 180.0 / ((KRASOVSKY_A * (1 - KRASOVSKY_EE)) / (magic * math.sqrt(magic)) * math.pi)
    )
    d_lon = d_lon * 180.0 / (KRASOVSKY_A / math.sqrt(magic) * math.cos(rad) * math.pi)
    return d_lon, d_lat  # fmt: skip


def wgs_to_gcj(lon: float, lat: float) -> tuple[float, float]:
    d_lon, d_lat = gcj_offset(lon, lat)
    return lon + d_lon, lat + d_lat


def gcj_to_wgs(lon: float, lat: float) -> tuple[float, float]:
    """The forward formula inverted by fixed-point iteration (to far below a millimetre)."""
    wgs = (lon, lat)
    for _ in range(30):
        there = wgs_to_gcj(*wgs)
        wgs = (wgs[0] + lon - there[0], wgs[1] + lat - there[1])
    return wgs


def bd_to_gcj(lon: float, lat: float) -> tuple[float, float]:
    x, y = lon - 0.0065, lat - 0.006
    z = math.hypot(x, y) - 0.00002 * math.sin(y * X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * X_PI)
    return z * math.cos(theta), z * math.sin(theta)


def gcj_to_bd(lon: float, lat: float) -> tuple[float, float]:
    z = math.hypot(lon, lat) + 0.00002 * math.sin(lat * X_PI)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * X_PI)
    return z * math.cos(theta) + 0.0065, z * math.sin(theta) + 0.006
