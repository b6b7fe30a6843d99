"""One import from start to end: the file read, checked and written a chunk at a time, in one
transaction committed only when nothing in the whole file is wrong.

Why chunks: a register of a million enterprises held whole, as features, shapes and rows,
takes gigabytes; a chunk of them takes tens of megabytes, and nothing of a chunk outlives it
but what the whole-file checks need (the keys seen, kept in the database by importer.keys;
counts and the first few names for the problems that summarise many rows, importer.tally)
and the report's lists, which go to disk (importer.listing). Why writing as it goes: the
upsert, the triggers and the comparison with the rows replaced run on each chunk as it is
checked, so the file is gone through once; all or nothing still holds, since the one
transaction is rolled back when any chunk, the last included, turns out wrong. Once the file
is known to be refused, later chunks are only checked (a dry run goes on writing the rows
that pass, to say what they would do). Reading and the kinds' checks of the next chunk, pure
Python, run in a thread of their own while PostgreSQL writes the last one (batches.ahead)."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import closing
from dataclasses import dataclass, field, replace
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from parkgrid.db import WRITE_PATH, apply_scope
from parkgrid.importer.batches import ahead
from parkgrid.importer.extent import strays_for
from parkgrid.importer.features import read_all
from parkgrid.importer.keys import Keys
from parkgrid.importer.kinds import KINDS, Kind, Parsed
from parkgrid.importer.locations import Chunk
from parkgrid.importer.options import ReadOptions
from parkgrid.importer.outcomes import (
    ImportRejected,
    ImportReport,
    Problem,
    database_reason,
    whole_file,
)
from parkgrid.importer.parents import Parent, resolve_parents
from parkgrid.importer.placement import outside_parks
from parkgrid.importer.progress import Advance, progress
from parkgrid.importer.reproject import SRID_KNOWN, reproject
from parkgrid.importer.sources import Opened, open_source
from parkgrid.importer.tally import Tally, stray
from parkgrid.importer.write import Writer


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
        return run(engine, KINDS[kind], opened, allow_outside, dry_run, scope)
    except DBAPIError as exc:
        raise whole_file("database", database_reason(exc)) from exc
    finally:
        engine.dispose()


PLANNING = sa.text(
    "SELECT set_config('jit', 'off', true), set_config('enable_bitmapscan', 'off', true)"
)
"""How the import's transaction plans. A table written a chunk at a time grows by millions
of rows its statistics know nothing of until the import commits, and the planner, going by
them, errs: it compiles quick statements (JIT) and, looking up a staged row's stored row by
its key, prefers the trigram index (which serves `=` too, through a bitmap scan, and must
read the pending list every chunk lengthens) to the unique one, which makes a million rows
take several times as long. The import's lookups are by key, one row each, so it does
without bitmap scans."""


@dataclass
class Stages:
    """What the stages keep across a file's chunks, in the import's transaction."""

    conn: Connection
    kind: Kind
    srid: int
    keys: Keys
    writer: Writer
    parents: dict[str, Parent | None] = field(default_factory=dict)


def run(
    engine: Engine, kind: Kind, opened: Opened, allow_outside: bool, dry_run: bool = False,
    scope: Mapping[str, str] | None = None,
) -> ImportReport:  # fmt: skip
    """Check every feature and write them in one transaction, committed only when nothing
    is wrong and this is no dry run. A dry run writes in the same transaction and rolls it
    back, so it runs every check, trigger and constraint the real import would; when some
    rows are refused it still writes the others, to say what they would do. `scope` holds
    the caller's transaction settings (parkgrid.db.apply_scope), which the event log reads
    to name who caused a change."""
    with engine.connect() as conn, conn.begin() as transaction:
        conn.execute(WRITE_PATH)  # the tables, also where the session's path names the views first
        apply_scope(conn, scope or {})
        conn.execute(PLANNING)
        known = bool(conn.execute(SRID_KNOWN, {"srid": opened.srid}).scalar_one())
        stages = Stages(conn, kind, opened.srid, Keys(conn), Writer(conn, kind))
        tally = Tally(kind, strays_for(kind, opened.srid), allow_outside, opened.locations)
        reads = ahead(ChunkRead.of(kind, chunk) for chunk in opened.chunks)
        with progress(opened.count, f"importing {kind.name}") as advance, closing(reads):
            for read in reads:
                step(stages, tally, read, known, dry_run, advance)
        refuse_unread(tally, known, opened, dry_run)
        problems, rejected = tally.problems(), tally.rejected()
        if problems and not dry_run:
            refused = ImportReport(kind.name, 0, 0, 0, 0, rejected=rejected, places=opened.places)
            raise ImportRejected(problems, refused)
        report = replace(stages.writer.report(), outside_parks=tally.outside(), dry_run=dry_run,
                         rejected=rejected, places=opened.places)  # fmt: skip
        if dry_run:
            transaction.rollback()
        if problems:
            raise ImportRejected(problems, report)
        return report


@dataclass(frozen=True)
class ChunkRead:
    """A chunk, its features as read, and the kinds' problems with them."""

    chunk: Chunk
    parsed: list[Parsed]
    problems: list[Problem]

    @classmethod
    def of(cls, kind: Kind, chunk: Chunk) -> ChunkRead:
        return cls(chunk, *read_all(kind, chunk.features, chunk.start))


def step(
    stages: Stages, tally: Tally, read: ChunkRead, known: bool, dry_run: bool, advance: Advance
) -> None:
    """One chunk read and checked and, while the file may still be written (or in a dry
    run), its rows that pass written."""
    chunk, parsed = read.chunk, read.parsed
    problems = read.problems + stages.keys.duplicates(stages.kind, parsed)
    tally.add_read(chunk, problems)
    if known and not tally.unreadable:
        passed = checked(stages, tally, chunk, parsed, problems)
        if dry_run or not tally.failing:
            stages.writer.write(passed)
    advance(len(chunk.features), f"checking {stages.kind.name}" if tally.failing else None)


def checked(
    stages: Stages, tally: Tally, chunk: Chunk, parsed: list[Parsed], read: list[Problem]
) -> list[Parsed]:
    """The chunk's features checked against the CRS's area of use, reprojected, given their
    parents and placed in the parks (those whose shape is refused left out); the problems
    tallied, and the features that passed every check (`read`: the kinds' problems)."""
    conn, kind, srid = stages.conn, stages.kind, stages.srid
    spelled = [stray(item, srid) for item in tally.strays.take(parsed)]
    problems = reproject(conn, parsed, srid)
    problems += resolve_parents(conn, kind, parsed, stages.parents)
    shapes = {p.index for p in read + problems if p.property == "geometry"}
    spelled += tally.add_outside(chunk, outside_parks(conn, kind, parsed, shapes))
    tally.add_staged(chunk, problems, spelled)
    refused = {p.index for p in read + problems + spelled}
    return [item for item in parsed if item.index not in refused]


def refuse_unread(tally: Tally, known: bool, opened: Opened, dry_run: bool) -> None:
    """A file whose cells could not all be read is refused with what reading found (its
    report lists them, so that no caller makes a list of them itself); a CRS PostGIS does
    not know, after that (the file's own problems are the ones to fix first)."""
    if tally.unreadable:
        report = ImportReport(tally.kind.name, 0, 0, 0, 0, dry_run=dry_run, rejected=tally.read,
                              places=opened.places)  # fmt: skip
        raise ImportRejected(tally.read, report)
    if not known:
        srid = opened.srid
        reason = f"EPSG:{srid} is not a coordinate system PostGIS knows (not in spatial_ref_sys)"
        raise whole_file("crs", reason)
