"""One import from start to end: read and check everything, then write it all or nothing."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from parkgrid.importer.extent import outside_extent
from parkgrid.importer.features import read_all, read_document
from parkgrid.importer.kinds import KINDS, Kind, Parsed
from parkgrid.importer.outcomes import ImportRejected, ImportReport, database_reason, whole_file
from parkgrid.importer.parents import resolve_parents
from parkgrid.importer.placement import outside_parks, outside_problem
from parkgrid.importer.reproject import chosen_srid, reproject, require_known_srid
from parkgrid.importer.write import write


def import_file(
    url: str, kind: str, path: Path, crs: str | None = None, allow_outside: bool = False
) -> ImportReport:
    """Import `path` as features of `kind` given in `crs` (None: the CRS the file declares,
    else EPSG:4326), or raise ImportRejected. Features outside the parks are refused unless
    `allow_outside`."""
    if kind not in KINDS:
        raise whole_file("kind", f"must be one of {', '.join(KINDS)}")
    document = read_document(path)
    srid = chosen_srid(crs, document.declared_srid)
    engine = sa.create_engine(url)
    try:
        return run(engine, KINDS[kind], document.features, srid, allow_outside)
    except DBAPIError as exc:
        raise whole_file("database", database_reason(exc)) from exc
    finally:
        engine.dispose()


def run(
    engine: Engine, kind: Kind, features: list[Any], srid: int, allow_outside: bool
) -> ImportReport:
    with engine.begin() as conn:
        require_known_srid(conn, srid)
        parsed, outside = checked(conn, kind, features, srid, allow_outside)
        return replace(write(conn, kind, parsed), outside_parks=outside)


def checked(
    conn: Connection, kind: Kind, features: list[Any], srid: int, allow_outside: bool
) -> tuple[list[Parsed], int]:
    """Every feature read, checked against its CRS, reprojected, given its parent and placed
    in the parks, or every problem found; with how many lie outside the parks (allowed)."""
    parsed, problems = read_all(kind, features)
    problems += outside_extent(kind, parsed, srid)
    problems += reproject(conn, parsed, srid)
    problems += resolve_parents(conn, kind, parsed)
    refused_shapes = {p.index for p in problems if p.property == "geometry"}
    outside = outside_parks(conn, kind, parsed, refused_shapes)
    if outside and not allow_outside:
        problems.append(outside_problem(kind, outside, len(parsed)))
    if problems:
        raise ImportRejected(problems)
    return parsed, len(outside)
