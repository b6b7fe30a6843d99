"""The register's layers as files GIS tools and offices open, written by GDAL (pyogrio):
GeoPackage and KML hold every layer in one file, a Shapefile is one per layer (zipped with
its .prj and a .cpg saying UTF-8, so Chinese names survive in ArcGIS and QGIS alike), GeoJSON
and CSV are one file per layer (zipped when there are several), XLSX one sheet per layer.

In CSV and XLSX a point is two columns (lon and lat, or x and y in a projected CRS), which is
how registers kept in Excel hold coordinates, and an area is its WKT in a column `WKT`, the
one GDAL and QGIS take as the geometry of a CSV without being told."""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio.raw
import shapely

from parkgrid.errors import InvalidInput
from resolvers.exports.base import XLSX, Export
from resolvers.exports.crs import Target
from resolvers.exports.register import Layer, RegisterOptions, collect
from resolvers.exports.workbook import CELL_LIMIT, Table, write_tables

GPKG_VERSION = {"VERSION": "1.2"}
"""GeoPackage 1.2, which every GDAL 3 and QGIS 3 reads without a warning (GDAL's newest
default, 1.4, makes older ones warn that they may read it only partly)."""
DBF_TEXT_BYTES = 254
"""The longest text a Shapefile's attribute table holds, in bytes (UTF-8: 84 Chinese characters)."""


@dataclass(frozen=True)
class Format:
    name: str
    extension: str
    media_type: str
    one_file: bool
    """Whether one file holds every layer; else one file per layer, zipped when several."""


FORMATS = {
    "gpkg": Format("gpkg", "gpkg", "application/geopackage+sqlite3", True),
    "shp": Format("shp", "shp", "application/zip", False),
    "geojson": Format("geojson", "geojson", "application/geo+json", False),
    "kml": Format("kml", "kml", "application/vnd.google-earth.kml+xml", True),
    "csv": Format("csv", "csv", "text/csv; charset=utf-8", False),
    "xlsx": Format("xlsx", "xlsx", XLSX, True),
}


def checked_format(name: str | None) -> Format:
    chosen = (name or "").strip().lower()
    if chosen not in FORMATS:
        raise InvalidInput(f"must be one of {', '.join(FORMATS)}", field="format")
    return FORMATS[chosen]


def zipped(format_: Format, layers: int) -> bool:
    return format_.name == "shp" or (not format_.one_file and layers > 1)


def filename(format_: Format, layers: tuple[str, ...]) -> str:
    stem = "register" if len(layers) > 1 else layers[0]
    if zipped(format_, len(layers)):
        return f"{stem}-{format_.name}.zip"
    return f"{stem}.{format_.extension}"


def media_type(format_: Format, layers: int) -> str:
    return "application/zip" if zipped(format_, layers) else format_.media_type


def checked_pair(format_: Format, target: Target) -> None:
    """KML holds WGS 84 longitude and latitude only (OGC KML 2.2); a web-map datum's shifted
    lon/lat is still lon/lat."""
    if format_.name == "kml" and not (target.as_stored or target.datum):
        raise InvalidInput("KML holds WGS 84 longitude and latitude only", field="crs")


def moved(layer: Layer, target: Target) -> list[Any]:
    """The layer's shapes in the target's coordinates, as Shapely geometries."""
    shapes = shapely.from_wkb(np.array(layer.shapes, dtype=object))
    if target.as_stored:
        return list(shapes)
    move = target.mover()
    return [move(shape) for shape in shapes]


def columns(layer: Layer) -> list[np.ndarray[Any, Any]]:
    """The layer's values, one array per property (text and null as objects)."""
    count = len(layer.fields)
    return [np.array([row[i] for row in layer.values], dtype=object) for i in range(count)]


def point_names(target: Target) -> tuple[str, str]:
    return ("lon", "lat") if target.geographic else ("x", "y")


def write_gdal(path: Path, layer: Layer, target: Target, driver: str, append: bool) -> None:
    shapes = moved(layer, target)
    geometry = np.array([shapely.to_wkb(shape) for shape in shapes], dtype=object)
    shapefile = driver == "ESRI Shapefile"
    if shapefile:
        checked_dbf(layer)
    pyogrio.raw.write(
        str(path), geometry, columns(layer), list(layer.fields), layer=layer.name,
        driver=driver, geometry_type=layer.geometry_type, crs=target.wkt(),
        encoding="UTF-8" if shapefile else None, append=append,
        dataset_options=GPKG_VERSION if driver == "GPKG" and not append else None,
    )  # fmt: skip


def write_csv(path: Path, layer: Layer, target: Target) -> None:
    shapes = moved(layer, target)
    fields, data = list(layer.fields), columns(layer)
    if layer.geometry_type == "Point":
        fields += point_names(target)
        data += [np.array([s.x for s in shapes]), np.array([s.y for s in shapes])]
        geometry, options = None, {"WRITE_BOM": "YES"}
    else:
        geometry = np.array([shapely.to_wkb(shape) for shape in shapes], dtype=object)
        options = {"WRITE_BOM": "YES", "GEOMETRY": "AS_WKT"}
    shaped = geometry is not None
    pyogrio.raw.write(
        str(path), geometry, data, fields, layer=layer.name, driver="CSV",
        geometry_type=layer.geometry_type if shaped else None,
        crs=target.wkt() if shaped else None, layer_options=options,
    )  # fmt: skip


def checked_dbf(layer: Layer) -> None:
    """A value longer than a Shapefile holds would be cut short: refused, naming it."""
    for row in layer.values:
        for name, value in zip(layer.fields, row, strict=True):
            if isinstance(value, str) and len(value.encode()) > DBF_TEXT_BYTES:
                raise InvalidInput(
                    f"{layer.name} {row[0]}: its {name} is longer than a Shapefile holds"
                    f" ({DBF_TEXT_BYTES} bytes); export GeoPackage instead", field="format",
                )  # fmt: skip


def sheet(layer: Layer, target: Target) -> Table:
    shapes = moved(layer, target)
    if layer.geometry_type == "Point":
        rows = [[*row, s.x, s.y] for row, s in zip(layer.values, shapes, strict=True)]
        return Table(layer.name, (*layer.fields, *point_names(target)), rows)
    rows = []
    for row, shape in zip(layer.values, shapes, strict=True):
        text = shapely.to_wkt(shape, rounding_precision=-1)
        if len(text) > CELL_LIMIT:
            reason = "its boundary is longer than a spreadsheet cell holds; export GeoPackage"
            raise InvalidInput(f"{layer.name} {row[0]}: {reason}", field="format")
        rows.append([*row, text])
    return Table(layer.name, (*layer.fields, "WKT"), rows)


Writer = Callable[[Path, Layer, Target], None]
PER_LAYER: dict[str, Writer] = {
    "shp": lambda path, layer, target: write_gdal(path, layer, target, "ESRI Shapefile", False),
    "geojson": lambda path, layer, target: write_gdal(path, layer, target, "GeoJSON", False),
    "csv": write_csv,
}
ONE_FILE = {"gpkg": "GPKG", "kml": "LIBKML"}


def write_register(layers: list[Layer], path: Path, format_: Format, target: Target) -> None:
    """The layers as `format_` at `path` (a zip when the format needs several files)."""
    if format_.name == "xlsx":
        write_tables(path, [sheet(layer, target) for layer in layers])
    elif format_.name in ONE_FILE:
        for number, layer in enumerate(layers):
            write_gdal(path, layer, target, ONE_FILE[format_.name], append=number > 0)
    elif not zipped(format_, len(layers)):
        PER_LAYER[format_.name](path, layers[0], target)
    else:
        folder = Path(tempfile.mkdtemp(prefix="parkgrid-export-"))
        try:
            for layer in layers:
                PER_LAYER[format_.name](folder / f"{layer.name}.{format_.extension}", layer, target)
            pack(folder, path)
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def pack(folder: Path, path: Path) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(folder.iterdir()):
            archive.write(file, file.name)


def register_export(
    options: RegisterOptions, format_: Format, target: Target
) -> Export[list[Layer]]:
    """The register in `format_` and `target`'s coordinates (refused first when the format
    cannot hold that CRS)."""
    checked_pair(format_, target)
    return Export(
        collect=lambda conn: collect(conn, options),
        write=lambda layers, path: write_register(layers, path, format_, target),
        filename=filename(format_, options.layers),
        media_type=media_type(format_, len(options.layers)),
    )
