"""One import from start to end: read and check everything, then write it all or nothing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from parkgrid.db import apply_scope
from parkgrid.importer.extent import outside_extent
from parkgrid.importer.features import read_all
from parkgrid.importer.kinds import KINDS, Kind, Parsed
from parkgrid.importer.options import ReadOptions
from parkgrid.importer.outcomes import (
    ImportRejected,
    ImportReport,
    Problem,
    database_reason,
    whole_file,
)
from parkgrid.importer.parents import resolve_parents
from parkgrid.importer.placement import Outside, outside_parks, outside_problem
from parkgrid.importer.reproject import reproject, require_known_srid
from parkgrid.importer.sources import open_source
from parkgrid.importer.write import write


def import_file(
    url: str, kind: str, path: Path, crs: str | None = None, allow_outside: bool = False,
    *, dry_run: bool = False, scope: Mapping[str, str] | None = None,
    options: ReadOptions | None = None,
) -> ImportReport:  # fmt: skip
    """Import `path` as features of `kind` given in `crs` (None: the CRS the file declares,
    else EPSG:4326), or raise ImportRejected. Features outside the parks are refused unless
    `allow_outside`. A dry run reports what the import would do and writes nothing; `scope`
    names the caller in the event log (see `run`). `options` say how to read the file (its
    format comes from the file itself; see importer.sources); problems are named as the
    office finds them in it (a row and column, a feature and field)."""
    if kind not in KINDS:
        raise whole_file("kind", f"must be one of {', '.join(KINDS)}")
    opened = open_source(path, KINDS[kind], crs, options or ReadOptions())
    engine = sa.create_engine(url)
    try:
        report = run(
            engine, KINDS[kind], opened.features, opened.srid, allow_outside, dry_run, scope
        )
        return opened.placed(report)
    except ImportRejected as rejected:
        raise opened.located(rejected) from None
    except DBAPIError as exc:
        raise whole_file("database", database_reason(exc)) from exc
    finally:
        engine.dispose()


def run(
    engine: Engine, kind: Kind, features: list[Any], srid: int, allow_outside: bool,
    dry_run: bool = False, scope: Mapping[str, str] | None = None,
) -> ImportReport:  # fmt: skip
    """Check every feature and write them in one transaction, committed only when nothing
    is wrong and this is no dry run. A dry run writes in the same transaction and rolls it
    back, so it runs every check, trigger and constraint the real import would; when some
    rows are refused it still writes the others first, to say what they would do. `scope`
    holds the caller's transaction settings (parkgrid.db.apply_scope), which the event log
    reads to name who caused a change."""
    with engine.connect() as conn, conn.begin() as transaction:
        apply_scope(conn, scope or {})
        require_known_srid(conn, srid)
        found = checked(conn, kind, features, srid, allow_outside)
        rejected = tuple(sorted(found.problems + found.spelled, key=by_index))
        if found.problems and not dry_run:
            raise ImportRejected(found.problems, ImportReport(kind.name, 0, 0, 0, 0,
                                                              rejected=rejected))  # fmt: skip
        report = write(conn, kind, found.passed())
        report = replace(report, outside_parks=found.outside, dry_run=dry_run, rejected=rejected)
        if dry_run:
            transaction.rollback()
        if found.problems:
            raise ImportRejected(found.problems, report)
        return report


@dataclass
class Checked:
    """The features read, the problems as the rejection lists them, and `spelled`: a problem
    per row for the rows a whole-file problem names only in part (outside the CRS's area of
    use, outside the parks), so a report can list every rejected row."""

    parsed: list[Parsed]
    problems: list[Problem]
    spelled: list[Problem]
    outside: int

    def passed(self) -> list[Parsed]:
        refused = {p.index for p in self.problems + self.spelled}
        return [item for item in self.parsed if item.index not in refused]


def by_index(problem: Problem) -> int:
    return -1 if problem.index is None else problem.index


def checked(
    conn: Connection, kind: Kind, features: list[Any], srid: int, allow_outside: bool
) -> Checked:
    """Every feature read, checked against its CRS, reprojected, given its parent and placed
    in the parks, with every problem found; and how many lie outside the parks (allowed)."""
    parsed, problems = read_all(kind, features)
    located = [item for item in parsed if "geometry" in item.values]
    problems += outside_extent(kind, parsed, srid)
    spelled = [stray(item, srid) for item in located if "geometry" not in item.values]
    problems += reproject(conn, parsed, srid)
    problems += resolve_parents(conn, kind, parsed)
    refused_shapes = {p.index for p in problems if p.property == "geometry"}
    outside = outside_parks(conn, kind, parsed, refused_shapes)
    if outside and not allow_outside:
        problems.append(outside_problem(kind, outside, len(parsed)))
        spelled += [outside_row(kind, found) for found in outside]
    return Checked(parsed, problems, spelled, len(outside) if allow_outside else 0)


def stray(item: Parsed, srid: int) -> Problem:
    reason = f"lies outside the area of use of EPSG:{srid} (is the CRS right?)"
    return Problem(item.index, "geometry", reason)


def outside_row(kind: Kind, found: Outside) -> Problem:
    where = f"partly outside its park ({found.detail})" if found.detail else "outside every park"
    noun = kind.name.removesuffix("s")
    return Problem(found.item.index, "geometry",
                   f"the {noun} lies {where}; --allow-outside imports it anyway")  # fmt: skip
