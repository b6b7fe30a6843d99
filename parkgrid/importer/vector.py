"""Vector files read through pyogrio (GDAL): Shapefile (the .shp, its folder, or a .zip),
GeoPackage, KML and KMZ, FlatGeobuf. Their fields are matched to properties as a table's
columns are (importer.columns), and their CRS is the one the file states.

Why GDAL: these formats are what GIS offices and mapping apps write, each with its own
quirks (a Shapefile's encoding in a `.cpg` beside it, its CRS in a `.prj`, KML's placemarks in
folders), which GDAL reads as QGIS does. Two of GDAL's defaults are overridden, because both
are silent guesses a Chinese office's file defeats: a Shapefile with no `.cpg` is read as
UTF-8, not Latin-1 (GBK text then fails loudly, and `--encoding GBK` reads it), and a file
that does not state its CRS is not taken for WGS 84 (the import asks for --crs)."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyogrio
import shapely
from pyogrio.errors import CRSError, DataLayerError, DataSourceError, FeatureError, FieldError
from shapely.geometry import mapping

from parkgrid.importer.columns import layout, present, readable, text
from parkgrid.importer.kinds import Kind
from parkgrid.importer.locations import Chunk, Locations, Read, vector_locations
from parkgrid.importer.options import ReadOptions
from parkgrid.importer.outcomes import Problem, whole_file

GDAL_ERRORS = (DataSourceError, DataLayerError, FeatureError, FieldError, CRSError)
GUESSED_ENCODING = "ISO-8859-1"
"""What GDAL reports for a Shapefile whose encoding nothing states: its guess, not a fact."""

DATA_NAME = re.compile(rb"<(?:\w+:)?(?:Data|SimpleData|SimpleField)\b[^>]*?\bname=[\"']([^\"']*)")
KML_STRUCTURE = {"id", "timestamp", "begin", "end", "altitudeMode", "tessellate", "extrude",
                 "visibility", "drawOrder", "icon", "snippet"}  # fmt: skip
"""Fields GDAL's KML driver makes of how a placemark is drawn, not of what the office wrote
(its name, description and ExtendedData are read as any field)."""

NO_CRS_HINT = (
    "give it with --crs (EPSG:4490 for CGCS2000 longitude and latitude, EPSG:4547 for"
    " CGCS2000 / Gauss-Kruger CM 114E metres)"
)


def read_vector(path: Path, fmt: str, kind: Kind, options: ReadOptions, size: int) -> Read:
    """The features of the file's layer (--layer: which, when it has several), `size` to a
    chunk, with the CRS it states, or ImportRejected."""
    target, layer = dataset(path, fmt, options.layer)
    if fmt == "kml":
        refuse_unkept_names(path)
    encoding = options.encoding
    if fmt == "shapefile" and encoding is None:
        encoding = shapefile_encoding(target)
    info = guarded(lambda: pyogrio.read_info(target, layer=layer, encoding=encoding,
                                             force_feature_count=True), encoding)  # fmt: skip
    count = int(info["features"])
    source = Layer(target, layer, encoding, count, size, whole=fmt == "kml" or count <= size)
    fields = [str(name) for name in info["fields"]]
    kept = [n for n, name in enumerate(fields) if fmt != "kml" or name not in KML_STRUCTURE]
    headers = [fields[n] for n in kept]
    holding = source.holding(kept)

    def namer(column: int) -> str:
        return f"field {headers[column]}"

    found = layout(kind, headers, options.columns, holding.__contains__, namer, False)
    props = [prop for prop in readable(kind, coordinates=False) if found.has(prop)]
    where = {prop: f"field {headers[found.positions[prop]]}" for prop in props}
    where["geometry"] = "geometry"
    declared, undeclared = crs_of(info.get("crs"), fmt)
    locations = vector_locations(where)
    fields_of = {prop: kept[found.positions[prop]] for prop in props}
    return Read(features_of(source, fields_of, locations), count, locations, declared, undeclared)


@dataclass
class Layer:
    """A layer of `count` features read `size` at a time (GDAL skips to a feature cheaply in
    a Shapefile, GeoPackage or FlatGeobuf), or `whole` in one read (a layer no larger than a
    chunk, or KML, which GDAL would parse from the top for every chunk)."""

    target: str
    layer: str | None
    encoding: str | None
    count: int
    size: int
    whole: bool
    everything: tuple[Any, Any] | None = None

    def batches(self, shaped: bool) -> Iterator[tuple[int, Any, Any]]:
        """(first feature, shapes as WKB, values by field) of each batch; `shaped`: with
        the shapes (a whole layer is read once, with them, and kept)."""
        if self.whole:
            if self.everything is None:
                self.everything = self.read(True, 0, None)
            yield 0, *self.everything
            return
        for start in range(0, self.count, self.size):
            yield start, *self.read(shaped, start, self.size)

    def read(self, shaped: bool, skip: int, most: int | None) -> tuple[Any, Any]:
        def read() -> Any:
            return pyogrio.raw.read(
                self.target, layer=self.layer, encoding=self.encoding, read_geometry=shaped,
                skip_features=skip, max_features=most,
            )  # fmt: skip

        _, _, shapes, values = guarded(read, self.encoding)
        return shapes, values

    def holding(self, kept: list[int]) -> set[int]:
        """The positions in `kept` of the fields holding a value in some feature."""
        found: set[int] = set()
        for _, _, values in self.batches(shaped=False):
            found.update(n for n, field in enumerate(kept) if n not in found
                         and any(present(plain(v)) for v in values[field].tolist()))  # fmt: skip
        return found


def features_of(layer: Layer, fields: dict[str, int], locations: Locations) -> Iterator[Chunk]:
    """The layer's features, a batch to a chunk: shapes (WKB) and values turned into
    GeoJSON-like features a chunk at a time."""
    for start, shapes, values in layer.batches(shaped=True):
        for first in range(0, len(shapes), layer.size):
            stop = min(first + layer.size, len(shapes))
            given = {prop: values[field][first:stop].tolist() for prop, field in fields.items()}
            yield chunk_of(start + first, shapes[first:stop], given, locations)


def chunk_of(start: int, shapes: Any, given: dict[str, list[Any]], locations: Locations) -> Chunk:
    chunk = Chunk(start, [])
    names: dict[int, str] = {}
    for offset, shape in enumerate(shapely.from_wkb(shapes)):
        index = start + offset
        properties: dict[str, Any] = {}
        for prop, values in given.items():
            try:
                properties[prop] = text(plain(values[offset]))
            except ValueError as exc:
                chunk.problems.append(Problem(index, prop, str(exc)))
        if isinstance(properties.get("name"), str):
            names[index] = properties["name"]
        geometry = None if shape is None else mapping(shape)
        chunk.features.append({"type": "Feature", "properties": properties, "geometry": geometry})
    chunk.locations = locations.chunk({}, names)
    chunk.problems = [chunk.locations.located(problem) for problem in chunk.problems]
    return chunk


def refuse_unkept_names(path: Path) -> None:
    """GDAL's KML reader turns every byte of a non-Latin ExtendedData name into '_', so 编码
    and 名称 both become ______ and their values are mixed: refused, with the names to use."""
    if path.suffix.lower() == ".kml":
        texts = [path.read_bytes()]
    else:
        with zipfile.ZipFile(path) as archive:
            texts = [archive.read(n) for n in archive.namelist() if n.lower().endswith(".kml")]
    names = {
        found.decode("utf-8", "replace") for text in texts for found in DATA_NAME.findall(text)
    }
    unkept = sorted(name for name in names if not name.isascii())
    if unkept:
        reason = (
            f"its ExtendedData names {', '.join(unkept)} are not in Latin letters, which GDAL's"
            " KML reader cannot keep apart: name them in the KML by property (code, name, park,"
            " zone, uscc, industry, address)"
        )
        raise whole_file("file", reason)


def plain(value: Any) -> Any:
    """A field's value as Python has it, a missing date (NaT) as None."""
    return None if value is not None and str(value) == "NaT" else value


def guarded(read: Any, encoding: str | None) -> Any:
    """GDAL's refusals and undecodable text as the import's refusals."""
    try:
        return read()
    except UnicodeDecodeError as exc:
        said = f"as {encoding}" if encoding else "in the encoding its .cpg states"
        reason = (
            f"its text cannot be read {said} ({exc.reason} at byte {exc.start}): give the"
            " encoding it is in with --encoding (GBK, say)"
        )
        raise whole_file("encoding", reason) from exc
    except GDAL_ERRORS as exc:
        raise whole_file("file", f"GDAL cannot read it: {exc}") from exc


def shapefile_encoding(target: str) -> str | None:
    """None (GDAL follows the `.cpg` or the .dbf's code page) when the file states one, else
    UTF-8, rather than GDAL's Latin-1 guess, which turns GBK into plausible nonsense."""
    info = guarded(lambda: pyogrio.read_info(target), None)
    return "UTF-8" if info.get("encoding") == GUESSED_ENCODING else None


def dataset(path: Path, fmt: str, layer: str | None) -> tuple[str, str | None]:
    """What GDAL opens, and the layer in it: a Shapefile's one .shp (chosen among several in
    a folder or zip by --layer, its name without .shp), another format's layer."""
    if fmt == "shapefile":
        return shapefile(path, layer), None
    target = str(path)
    if path.suffix.lower() == ".zip":  # a KML zipped as .zip rather than .kmz
        inner = [name for name in members(path) if name.lower().endswith(".kml")]
        target = f"/vsizip/{path.resolve()}/{inner[0]}"
    return target, chosen_layer(target, layer)


def members(path: Path) -> list[str]:
    try:
        with zipfile.ZipFile(path) as archive:
            return [name for name in archive.namelist() if not name.startswith("__MACOSX/")]
    except (OSError, zipfile.BadZipFile) as exc:
        raise whole_file("file", f"is not a readable zip: {exc}") from exc


def shapefile(path: Path, layer: str | None) -> str:
    if path.is_dir():
        found = {item.stem: str(item) for item in sorted(path.iterdir())
                 if item.suffix.lower() == ".shp"}  # fmt: skip
    elif path.suffix.lower() == ".zip":
        inside = [name for name in members(path) if name.lower().endswith(".shp")]
        found = {Path(name).stem: f"/vsizip/{path.resolve()}/{name}" for name in inside}
    else:
        return str(path)
    return picked(found, layer, "Shapefile")


def chosen_layer(target: str, layer: str | None) -> str:
    """--layer, else the one layer holding features."""
    try:
        names = [str(name) for name, _ in pyogrio.list_layers(target)]
        if layer is None:
            names = [name for name in names if features_in(target, name)]
    except GDAL_ERRORS as exc:
        raise whole_file("file", f"GDAL cannot read it: {exc}") from exc
    return picked({name: name for name in names}, layer, "layer", " with features")


def features_in(target: str, layer: str) -> bool:
    return int(pyogrio.read_info(target, layer=layer, force_feature_count=True)["features"]) > 0


def picked(found: dict[str, str], layer: str | None, noun: str, among: str = "") -> str:
    """The one --layer names, else the only one (`among`: what the candidates share)."""
    shown = ", ".join(found) or "none"
    if layer is not None:
        if layer not in found:
            raise whole_file("layer", f"there is no {noun} {layer!r} (there are: {shown})")
        return found[layer]
    if len(found) != 1:
        reason = f"it holds several {noun}s{among} ({shown}): choose one with --layer"
        raise whole_file("layer", reason if found else f"it holds no {noun}{among}")
    return next(iter(found.values()))


def crs_of(crs: str | None, fmt: str) -> tuple[int | None, str | None]:
    """The EPSG code of the CRS the file states (KML: WGS 84, by the standard), or why
    --crs is needed: none stated (a Shapefile without its .prj), or one with no EPSG code."""
    if fmt == "kml":
        return 4326, None
    if crs is None:
        missing = "the Shapefile has no .prj" if fmt == "shapefile" else "the layer has no CRS"
        return None, f"{missing}, so it does not say what its coordinates are: {NO_CRS_HINT}"
    from pyproj import CRS  # half a second to load: only a file stating a CRS needs it
    from pyproj.exceptions import CRSError as ProjCRSError

    try:
        stated = CRS.from_user_input(crs)
        code = stated.to_epsg()
    except ProjCRSError:
        stated, code = None, None
    if code is None:
        name = stated.name if stated is not None else crs[:60]
        return None, f"the file's CRS ({name}) has no EPSG code PostGIS would know: {NO_CRS_HINT}"
    return int(code), None
