"""From a file on disk to the features the stages check: which format it is, read with which
reader, in which CRS, and moved off a web map's datum when it was copied from one.

Why the format comes from the file and not an option: an office sends what its software
saved, and the name (or, for a name that says nothing, the first bytes) tells which. Why the
datum is undone here, on the positions as read and before any check: the CRS's area of use,
the parents and the parks are all WGS 84 (or CGCS2000, the same at a metre), and a GCJ-02
point is some 600 m off, enough to fall in the wrong grid or outside the park."""

from __future__ import annotations

import math
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from parkgrid.importer.batches import CHUNK_SIZE
from parkgrid.importer.features import read_document
from parkgrid.importer.kinds import Kind
from parkgrid.importer.locations import Chunk, Locations, Read, chunked
from parkgrid.importer.options import ReadOptions
from parkgrid.importer.outcomes import Places, whole_file
from parkgrid.importer.reproject import chosen_srid

if TYPE_CHECKING:
    from geo.datum import Datum

SUFFIXES = {
    ".geojson": "geojson", ".json": "geojson", ".shp": "shapefile", ".gpkg": "gpkg",
    ".kml": "kml", ".kmz": "kml", ".fgb": "fgb", ".csv": "csv",
    ".xlsx": "xlsx", ".xlsm": "xlsx",
}  # fmt: skip
MAGIC = ((b"SQLite format 3\0", "gpkg"), (b"fgb\x03", "fgb"), (b"{", "geojson"),
         (b"<?xml", "kml"), (b"<kml", "kml"))  # fmt: skip
LAYERED = ("--layer", "--columns")
OPTIONS = {
    "geojson": (), "shapefile": ("--encoding", *LAYERED), "gpkg": LAYERED, "kml": LAYERED,
    "fgb": LAYERED, "csv": ("--encoding", "--columns"), "xlsx": ("--sheet", "--columns"),
}  # fmt: skip
"""The read options each format can use; others given are refused (GeoJSON, GeoPackage,
KML and FlatGeobuf are UTF-8 by their standards, and a GeoJSON's properties are its own)."""

NAMES = {"geojson": "GeoJSON", "shapefile": "a Shapefile", "gpkg": "a GeoPackage",
         "kml": "KML", "fgb": "FlatGeobuf", "csv": "a CSV", "xlsx": "a workbook"}  # fmt: skip
SUPPORTED = "GeoJSON, Shapefile, GeoPackage, KML/KMZ, FlatGeobuf, CSV or XLSX"


@dataclass(frozen=True)
class Opened:
    """The file's features ready for the stages, a chunk at a time (once through), how many
    there are, their CRS, and how to name them to the office (None: as a GeoJSON array)."""

    chunks: Iterable[Chunk]
    count: int
    srid: int
    locations: Locations | None

    @property
    def places(self) -> Places | None:
        return None if self.locations is None else self.locations.places


def open_source(
    path: Path, kind: Kind, crs: str | None, options: ReadOptions, size: int = CHUNK_SIZE
) -> Opened:
    """The file opened and its CRS settled, or ImportRejected. Its features are read `size`
    at a time as the import goes through them; problems in their cells come with them."""
    fmt = format_of(path)
    stray = [flag for flag in options.given() if flag not in OPTIONS[fmt]]
    if stray:
        raise whole_file("options", f"{', '.join(stray)} cannot apply to {NAMES[fmt]}")
    read = reader(fmt)(path, fmt, kind, options, size)
    if crs is None and read.undeclared is not None:
        raise whole_file("crs", read.undeclared)
    srid = chosen_srid(crs, read.declared_srid)
    chunks = read.chunks
    if options.datum is not None:
        require_geographic(srid, options.datum)
        chunks = on_wgs84(chunks, options.datum)
    return Opened(chunks, read.count, srid, read.locations)


def format_of(path: Path) -> str:
    """By the name, a folder being a Shapefile's, a .zip by what it holds; else by the first
    bytes."""
    if path.is_dir():
        return "shapefile"
    suffix = path.suffix.lower()
    if suffix == ".zip":
        return zipped(path)
    if suffix == ".xls":
        raise whole_file("file", "is an Excel 97 workbook (.xls): save it as .xlsx")
    return SUFFIXES[suffix] if suffix in SUFFIXES else sniffed(path)


def sniffed(path: Path) -> str:
    try:
        with path.open("rb") as file:
            head = file.read(64).removeprefix(b"\xef\xbb\xbf").lstrip()
    except OSError as exc:
        raise whole_file("file", f"cannot be read: {exc.strerror}") from exc
    for magic, fmt in MAGIC:
        if head.startswith(magic):
            return fmt
    if head.startswith(b"PK"):
        return zipped(path)
    raise whole_file("file", f"is not a format parkgrid reads ({SUPPORTED})")


def zipped(path: Path) -> str:
    """A zip holding a Shapefile, a KML (KMZ), or a workbook (XLSX is a zip)."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = [name.lower() for name in archive.namelist()]
    except (OSError, zipfile.BadZipFile) as exc:
        raise whole_file("file", f"is not a readable zip: {exc}") from exc
    for ending, fmt in ((".shp", "shapefile"), (".kml", "kml"), ("xl/workbook.xml", "xlsx")):
        if any(name.endswith(ending) for name in names):
            return fmt
    raise whole_file("file", "is a zip holding no .shp, .kml or workbook")


Reader = Callable[[Path, str, Kind, ReadOptions, int], Read]


def reader(fmt: str) -> Reader:
    if fmt == "geojson":
        return read_geojson
    if fmt in ("csv", "xlsx"):
        return read_table
    from parkgrid.importer.vector import read_vector  # GDAL loads only for a vector file

    return read_vector


def read_geojson(path: Path, fmt: str, kind: Kind, options: ReadOptions, size: int) -> Read:
    """GeoJSON keeps its own strict reader (open rings and NaN refused before Shapely could
    repair them) and its messages, naming features by their index in the array. The document
    is parsed whole (JSON has no rows to stream by); its features are checked by the chunk."""
    document = read_document(path)
    features = document.features
    return Read(chunked(features, size), len(features), None, document.declared_srid)


def read_table(path: Path, fmt: str, kind: Kind, options: ReadOptions, size: int) -> Read:
    from parkgrid.importer.tables import from_sheet, read_csv, read_xlsx

    if fmt == "csv":
        sheet = read_csv(path, options.encoding)
    else:
        if path.suffix.lower() not in (".xlsx", ".xlsm"):  # calamine goes by the name
            raise whole_file("file", "is a workbook: name it .xlsx")
        sheet = read_xlsx(path, options.sheet)
    return from_sheet(sheet, kind, options, size)


def require_geographic(srid: int, datum: Datum) -> None:
    """GCJ-02 and BD-09 shift longitude and latitude: coordinates in metres were not copied
    from a web map, and shifting them as degrees would be nonsense."""
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        geographic = CRS.from_epsg(srid).is_geographic
    except CRSError:
        geographic = False
    if not geographic:
        reason = (
            f"--datum {datum} shifts longitude and latitude copied from a web map, but"
            f" EPSG:{srid} is not longitude and latitude: give one or the other"
        )
        raise whole_file("datum", reason)


def on_wgs84(chunks: Iterable[Chunk], datum: Datum) -> Iterator[Chunk]:
    """Every position of every feature moved off the datum, before anything reads it.
    Positions are moved as given (a malformed one is left for the kinds to refuse), and equal
    positions stay equal, so a closed ring stays closed."""
    from geo.datum import to_wgs84

    move = to_wgs84(datum)
    for chunk in chunks:
        moved = []
        for feature in chunk.features:
            geometry = feature.get("geometry") if isinstance(feature, dict) else None
            if isinstance(geometry, dict) and "coordinates" in geometry:
                shifted = {**geometry, "coordinates": positions(geometry["coordinates"], move)}
                feature = {**feature, "geometry": shifted}
            moved.append(feature)
        yield replace(chunk, features=moved)


def positions(value: Any, move: Callable[[float, float], tuple[float, float]]) -> Any:
    if isinstance(value, list | tuple) and len(value) >= 2 and all(map(finite_number, value[:2])):
        return [*move(float(value[0]), float(value[1])), *value[2:]]
    if isinstance(value, list | tuple):
        return [positions(item, move) for item in value]
    return value


def finite_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
