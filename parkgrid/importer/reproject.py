"""Shapes given in another CRS, brought to storage SRID by PostGIS and checked again there."""

from __future__ import annotations

import sqlalchemy as sa
from shapely.geometry import MultiPolygon
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from geo import validate
from geo.shape import as_multipolygon, from_wkb
from geo.sql import transformed
from geo.srid import STORAGE_SRID, parse_crs
from parkgrid.importer.batches import batches, ewkb
from parkgrid.importer.kinds import Parsed
from parkgrid.importer.outcomes import Problem, database_reason, whole_file

TRANSFORM = sa.text(
    f"SELECT ST_AsEWKB({transformed('ST_GeomFromEWKB(t.g)')})"
    " FROM unnest(CAST(:geoms AS bytea[])) WITH ORDINALITY AS t(g, n) ORDER BY t.n"
)
SRID_KNOWN = sa.text("SELECT EXISTS (SELECT 1 FROM spatial_ref_sys WHERE srid = :srid)")


def srid_of(crs: str) -> int:
    try:
        return parse_crs(crs)
    except ValueError as exc:
        raise whole_file("crs", str(exc)) from exc


def chosen_srid(given: str | None, declared: int | None) -> int:
    """The CRS given for the import, else the one the file declares, else EPSG:4326 (RFC
    7946). A file that declares one CRS imported as another is refused: one of them is wrong."""
    if given is None:
        return STORAGE_SRID if declared is None else declared
    srid = srid_of(given)
    if declared is not None and declared != srid:
        reason = f"the file declares EPSG:{declared} but the import was told EPSG:{srid}"
        raise whole_file("crs", reason)
    return srid


def require_known_srid(conn: Connection, srid: int) -> None:
    if not conn.execute(SRID_KNOWN, {"srid": srid}).scalar_one():
        reason = f"EPSG:{srid} is not a coordinate system PostGIS knows (not in spatial_ref_sys)"
        raise whole_file("crs", reason)


def reproject(conn: Connection, parsed: list[Parsed], srid: int) -> list[Problem]:
    """Transform every read shape into storage SRID; those that cannot be lose their shape."""
    if srid == STORAGE_SRID:
        return []
    located = [item for item in parsed if "geometry" in item.values]
    problems: list[Problem] = []
    for batch in batches(located):
        results = transform_chunk(conn, [item.values["geometry"] for item in batch], srid)
        for item, result in zip(batch, results, strict=True):
            problems += accept_transformed(item, result)
    return problems


def transform_chunk(conn: Connection, shapes: list[BaseGeometry], srid: int) -> list[bytes | str]:
    """Transformed EWKB per shape or, shape by shape once PostGIS refuses, why it cannot be."""
    try:
        with conn.begin_nested():
            return list(transform_many(conn, shapes, srid))
    except DBAPIError as exc:
        if len(shapes) == 1:
            return [f"cannot be transformed from EPSG:{srid}: {database_reason(exc)}"]
        return [transform_chunk(conn, [shape], srid)[0] for shape in shapes]


def transform_many(conn: Connection, shapes: list[BaseGeometry], srid: int) -> list[bytes]:
    geoms = ewkb(shapes, srid)
    return [bytes(row) for row in conn.execute(TRANSFORM, {"geoms": geoms, "srid": srid}).scalars()]


def accept_transformed(item: Parsed, result: bytes | str) -> list[Problem]:
    try:
        item.values["geometry"] = rechecked(result)
    except ValueError as exc:
        del item.values["geometry"]
        return [Problem(item.index, "geometry", str(exc))]
    return []


def rechecked(result: bytes | str) -> BaseGeometry:
    if isinstance(result, str):
        raise ValueError(result)
    geometry = from_wkb(result)
    try:
        validate.check_valid(geometry)
        validate.check_lon_lat(geometry)
    except validate.GeometryError as exc:
        raise ValueError(f"after transformation to EPSG:{STORAGE_SRID}, {exc}") from exc
    return as_multipolygon(geometry) if isinstance(geometry, MultiPolygon) else geometry
