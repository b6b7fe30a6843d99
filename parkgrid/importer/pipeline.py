"""One import from start to end: read and check everything, then write it all or nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from parkgrid.importer.features import read_all, read_features
from parkgrid.importer.kinds import KINDS, Kind, Parsed
from parkgrid.importer.outcomes import ImportRejected, ImportReport, database_reason, whole_file
from parkgrid.importer.parents import resolve_parents
from parkgrid.importer.reproject import reproject, require_known_srid, srid_of
from parkgrid.importer.write import write


def import_file(url: str, kind: str, path: Path, crs: str = "EPSG:4326") -> ImportReport:
    """Import `path` as features of `kind` given in `crs`, or raise ImportRejected."""
    if kind not in KINDS:
        raise whole_file("kind", f"must be one of {', '.join(KINDS)}")
    srid, features = srid_of(crs), read_features(path)
    engine = sa.create_engine(url)
    try:
        return run(engine, KINDS[kind], features, srid)
    except DBAPIError as exc:
        raise whole_file("database", database_reason(exc)) from exc
    finally:
        engine.dispose()


def run(engine: Engine, kind: Kind, features: list[Any], srid: int) -> ImportReport:
    with engine.begin() as conn:
        require_known_srid(conn, srid)
        return write(conn, kind, checked(conn, kind, features, srid))


def checked(conn: Connection, kind: Kind, features: list[Any], srid: int) -> list[Parsed]:
    """Every feature read, reprojected and given its parent, or every problem found."""
    parsed, problems = read_all(kind, features, srid)
    problems += reproject(conn, parsed, srid)
    problems += resolve_parents(conn, kind, parsed)
    if problems:
        raise ImportRejected(problems)
    return parsed
