"""Writing checked features a chunk at a time: staged in a temporary table by COPY, upserted
in one statement per chunk, then compared field by field with the rows they replaced.

Why compare after writing rather than predict: the upsert decides what changes (optional
properties absent from the file keep their stored values, shapes compare as PostGIS compares
them) and the triggers decide which enterprises change grid. Reading what they did, in the
same transaction, makes a dry run (the same transaction, rolled back) say exactly what the
real import will do."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

import psycopg2
import shapely
import sqlalchemy as sa
from sqlalchemy import (
    ColumnElement,
    Connection,
    FromClause,
    RowMapping,
    Select,
    Table,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import Insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.dml import ReturningInsert

from geo.srid import STORAGE_SRID
from parkgrid.area_events import PARENTS, AreaKind, area_states, log_upserts
from parkgrid.importer.kinds import TABLES, Kind, Parsed
from parkgrid.importer.listing import Listing
from parkgrid.importer.outcomes import Changed, FieldChange, ImportReport, Move, Row

EVENT = TABLES["event"]
ENTERPRISE = TABLES["enterprise"]

STAGING = Table(
    "parkgrid_import_staging", sa.MetaData(),
    sa.Column("position", sa.Integer), sa.Column("key", sa.Text), sa.Column("name", sa.Text),
    sa.Column("parent_id", sa.BigInteger), sa.Column("industry", sa.Text),
    sa.Column("address", sa.Text), sa.Column("geom", sa.LargeBinary),
    prefixes=["TEMPORARY"], postgresql_on_commit="DROP",
)  # fmt: skip
OPTIONAL_STAGED = ("parent_id", "industry", "address")
COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
COPY_STAGING = (
    "COPY parkgrid_import_staging (position, key, name, parent_id, industry, address, geom)"
    " FROM STDIN"
)
ANALYZED = sa.text("ANALYZE parkgrid_import_staging, parkgrid_import_before")
"""A chunk's temporary tables measured once filled: a temporary table is never analyzed by
autovacuum, and a planner that takes ten thousand staged rows for a few joins them badly."""
EMPTIED = sa.text("TRUNCATE parkgrid_import_staging, parkgrid_import_before")

BEFORE = Table(
    "parkgrid_import_before", sa.MetaData(),
    sa.Column("id", sa.BigInteger), sa.Column("key", sa.Text), sa.Column("name", sa.Text),
    sa.Column("parent_id", sa.BigInteger), sa.Column("industry", sa.Text),
    sa.Column("address", sa.Text), sa.Column("geom", sa.LargeBinary),
    prefixes=["TEMPORARY"], postgresql_on_commit="DROP",
)  # fmt: skip
"""The stored rows the file names, as they were before the upsert (shapes as EWKB, which
round-trips exactly)."""


class Writer:
    """Writes a file's checked features a chunk at a time, in the import's transaction, and
    gathers what each chunk did for the report. The temporary tables are made once and
    emptied after each chunk; the lists go to Listings, so a chunk's rows are all it holds."""

    def __init__(self, conn: Connection, kind: Kind) -> None:
        self.conn, self.kind = conn, kind
        STAGING.create(conn)
        BEFORE.create(conn)
        self.last_event = last_event_id(conn)
        self.new, self.kept = Listing[Row](), Listing[Row]()
        self.changed = Listing[Changed]()

    def write(self, parsed: list[Parsed]) -> None:
        if not parsed:
            return
        conn, kind = self.conn, self.kind
        stage(conn, kind, parsed)
        keep_before(conn, kind)
        conn.execute(ANALYZED)
        area_log = self.area_log(parsed)
        written = set(conn.execute(upsert(kind)).scalars())
        if area_log is not None:
            area_log()
        self.new.extend(Row(*row) for row in conn.execute(new_rows(kind)))
        changed, kept = compared(conn, kind, written)
        self.changed.extend(changed)
        self.kept.extend(kept)
        conn.execute(EMPTIED)

    def area_log(self, parsed: list[Parsed]) -> Callable[[], object] | None:
        """For zones and grids, read before the chunk is written, what logs its writes as
        upsertZone and upsertGrid log theirs (parkgrid.area_events), to call after."""
        table = self.kind.table.name
        if table not in PARENTS:
            return None
        kind: AreaKind = "zone" if table == "zone" else "grid"
        codes = [item.values[self.kind.key] for item in parsed]
        before = area_states(self.conn, kind, codes)
        return partial(log_upserts, self.conn, kind, before, codes, last_event_id(self.conn), None)

    def report(self) -> ImportReport:
        new, changed, kept = self.new, self.changed, self.kept
        moves = moves_since(self.conn, self.last_event)
        return ImportReport(
            self.kind.name, len(new), len(changed), len(kept), len(moves),
            new=new, changed=changed, kept=kept, moves=moves,
        )  # fmt: skip


def stage(conn: Connection, kind: Kind, parsed: list[Parsed]) -> None:
    """The chunk's rows into the staging table by COPY, the fastest way into PostgreSQL
    (shapes as hex EWKB made in one call to GEOS)."""
    shapes = shapely.set_srid([item.values["geometry"] for item in parsed], STORAGE_SRID)
    geoms = shapely.to_wkb(shapes, hex=True, include_srid=True).tolist()
    lines = io.StringIO()
    for item, geom in zip(parsed, geoms, strict=True):
        values = item.values
        given = (item.index, values[kind.key], values["name"],
                 *(values.get(name) for name in OPTIONAL_STAGED))  # fmt: skip
        lines.write("\t".join(map(copy_text, given)) + f"\t\\\\x{geom}\n")
    lines.seek(0)
    driver = conn.connection.driver_connection
    assert driver is not None  # a connection in a transaction has one
    try:
        with driver.cursor() as cursor:
            cursor.copy_expert(COPY_STAGING, lines)
    except psycopg2.Error as exc:
        raise DBAPIError("COPY", None, exc) from exc


def copy_text(value: Any) -> str:
    """A value as COPY's text format spells it: NULL as its marker, backslashes, tabs and
    line breaks escaped."""
    if value is None:
        return "\\N"
    return str(value).translate(COPY_ESCAPES)


def stored_row(kind: Kind) -> FromClause:
    """The stored row of a staged row's key, looked up by the key's unique index for each
    staged row. Why LATERAL with LIMIT 1 rather than a join: the table grows to millions of
    rows as a file is written, and a planner that thinks a chunk's ten thousand lookups cost
    more than one pass over the whole table scans it for every chunk, which makes a large
    import quadratic; a lateral subquery with a limit cannot be turned into that join."""
    table = kind.table
    return select(table).where(table.c[kind.key] == STAGING.c.key).limit(1).lateral("stored")


def keep_before(conn: Connection, kind: Kind) -> None:
    lateral = stored_row(kind)
    row = lateral.c
    stored: dict[str, Any] = {
        "id": row.id, "key": row[kind.key], "name": row.name,
        **({"parent_id": row[f"{kind.parent}_id"]} if kind.parent else {}),
        **{name: row[name] for name in kind.optional},
        "geom": func.ST_AsEWKB(row[kind.geometry_column]),
    }  # fmt: skip
    names = [column.name for column in BEFORE.c]
    values = [stored.get(name, sa.cast(sa.null(), BEFORE.c[name].type)) for name in names]
    named = select(*values).select_from(STAGING.join(lateral, sa.true()))
    conn.execute(sa.insert(BEFORE).from_select(names, named))


def source_columns(kind: Kind) -> dict[str, ColumnElement[Any]]:
    columns: dict[str, ColumnElement[Any]] = {kind.key: STAGING.c.key, "name": STAGING.c.name}
    if kind.parent:
        columns[f"{kind.parent}_id"] = STAGING.c.parent_id
    columns |= {name: STAGING.c[name] for name in kind.optional}
    return columns | {kind.geometry_column: func.ST_GeomFromEWKB(STAGING.c.geom)}


def upsert(kind: Kind) -> ReturningInsert[Any]:
    """INSERT ... SELECT from staging ON CONFLICT DO UPDATE, only rows that differ."""
    columns = source_columns(kind)
    source = select(*columns.values()).order_by(STAGING.c.position)
    statement = pg_insert(kind.table).from_select(list(columns), source)
    changes = assignments(kind, statement)
    differ = sa.or_(*(kind.table.c[name].is_distinct_from(new) for name, new in changes.items()))
    return statement.on_conflict_do_update(
        index_elements=[kind.key], set_=changes, where=differ
    ).returning(kind.table.c.id)


def assignments(kind: Kind, statement: Insert) -> dict[str, ColumnElement[Any]]:
    """New values on conflict; optional properties absent from the file keep stored values."""
    excluded, stored = statement.excluded, kind.table.c
    written = [name for name in source_columns(kind) if name != kind.key]
    replaced = {name: excluded[name] for name in written if name not in kind.optional}
    return replaced | {name: func.coalesce(excluded[name], stored[name]) for name in kind.optional}


def within(kind: Kind, table: FromClause) -> tuple[FromClause, ColumnElement[Any]] | None:
    """Where a row sits, to list it by: an enterprise's grid, an area's parent (by code)."""
    if kind.parent:
        parent = TABLES[kind.parent].alias("within")
        return parent, parent.c.id == table.c[f"{kind.parent}_id"]
    if kind.name == "enterprises":
        grid = TABLES["grid"].alias("within")
        return grid, grid.c.id == table.c.grid_id
    return None


def listed(
    kind: Kind, joined: FromClause, stored: FromClause, *extra: ColumnElement[Any]
) -> Select[Any]:
    """Staged rows with the stored row of the same key: position, key, name, where it sits."""
    joined = joined.join(stored, sa.true())
    place = within(kind, stored)
    code: ColumnElement[Any] = sa.cast(sa.null(), sa.Text)
    if place is not None:
        joined, code = joined.outerjoin(*place), place[0].c.code
    columns = (STAGING.c.position, stored.c[kind.key], stored.c.name, code.label("within"))
    return select(*columns, *extra).select_from(joined).order_by(STAGING.c.position)


def new_rows(kind: Kind) -> Select[Any]:
    listing = listed(kind, STAGING, stored_row(kind))
    return listing.where(STAGING.c.key.not_in(select(BEFORE.c.key)))


def fields(
    kind: Kind, stored: FromClause | None = None
) -> dict[str, tuple[ColumnElement[Any], ColumnElement[Any]]]:
    """Each property of the file that a row stores, as (before, after) in the comparison
    (`stored`: the row after; by default the table's): the parent by id (shown by code), the
    shape as a geometry (shown described)."""
    after = (kind.table if stored is None else stored).c
    pairs: dict[str, tuple[ColumnElement[Any], ColumnElement[Any]]] = {
        "name": (BEFORE.c.name, after.name)
    }
    if kind.parent:
        pairs[kind.parent] = (BEFORE.c.parent_id, after[f"{kind.parent}_id"])
    pairs |= {name: (BEFORE.c[name], after[name]) for name in kind.optional}
    geometry = (func.ST_GeomFromEWKB(BEFORE.c.geom), after[kind.geometry_column])
    return pairs | {"geometry": geometry}


def shown(kind: Kind, name: str, side: str, value: ColumnElement[Any]) -> dict[str, Any]:
    """The columns, by label, that show one side of a changed property."""
    if name == kind.parent:
        parent = TABLES[name].alias(f"{name}_{side}")
        return {f"{name}_{side}": select(parent.c.code).where(parent.c.id == value)
                .scalar_subquery()}  # fmt: skip
    if name != "geometry":
        return {f"{name}_{side}": value}
    point = kind.name == "enterprises"
    centre = value if point else func.ST_Centroid(value)
    area = sa.cast(sa.null(), sa.Float) if point else func.ST_Area(func.geography(value))
    parts = {"x": func.ST_X(centre), "y": func.ST_Y(centre), "area": area,
             "n": func.ST_NPoints(value)}  # fmt: skip
    return {f"{part}_{side}": expression for part, expression in parts.items()}


def comparison(kind: Kind) -> Select[Any]:
    """Every stored row the file names, each property's before and after computed only
    where it changed (a reshaped grid's area is worth measuring, an unchanged one not)."""
    stored = stored_row(kind)
    columns: list[ColumnElement[Any]] = [stored.c.id]
    for name, (before, after) in fields(kind, stored).items():
        differs = before.is_distinct_from(after)
        columns.append(differs.label(f"{name}_changed"))
        for side, value in (("before", before), ("after", after)):
            parts = shown(kind, name, side, value).items()
            columns += [sa.case((differs, part)).label(label) for label, part in parts]
    joined = BEFORE.join(STAGING, STAGING.c.key == BEFORE.c.key)
    return listed(kind, joined, stored, *columns)


def compared(
    conn: Connection, kind: Kind, written: set[int]
) -> tuple[tuple[Changed, ...], tuple[Row, ...]]:
    """The stored rows the file names: those the upsert wrote, with what changed, and those
    it left as they were."""
    changed: list[Changed] = []
    kept: list[Row] = []
    for found in conn.execute(comparison(kind)).mappings():
        row = Row(found["position"], found[kind.key], found["name"], found["within"])
        if found["id"] in written:
            changed.append(Changed(row, tuple(field_changes(kind, found))))
        else:
            kept.append(row)
    return tuple(changed), tuple(kept)


def field_changes(kind: Kind, found: RowMapping) -> Iterable[FieldChange]:
    for name in fields(kind):
        if not found[f"{name}_changed"]:
            continue
        if name == "geometry":
            yield FieldChange(name, shape(found, "before"), shape(found, "after"))
        else:
            yield FieldChange(name, found[f"{name}_before"], found[f"{name}_after"])


def shape(found: RowMapping, side: str) -> str:
    """A point as lon, lat (7 decimals: about a centimetre); an area by its size, positions
    and centre, which is what a reviewer can check (the outline is for a map)."""
    x, y, area, count = (found[f"{part}_{side}"] for part in ("x", "y", "area", "n"))
    if area is None:
        return f"{x:.7f}, {y:.7f}"
    return f"{area:,.0f} m², {count} positions, centre {x:.6f}, {y:.6f}"


def last_event_id(conn: Connection) -> int:
    return int(conn.execute(select(func.coalesce(func.max(EVENT.c.id), 0))).scalar_one())


MOVES = sa.text(
    "SELECT e.uscc, e.name, m.before, m.after FROM (SELECT enterprise_id,"
    " (array_agg(changes -> 'grid' ->> 0 ORDER BY id))[1] AS before,"
    " (array_agg(changes -> 'grid' ->> 1 ORDER BY id DESC))[1] AS after"
    " FROM event WHERE id > :last AND occurred_at = now() AND action = 'grid_changed'"
    " GROUP BY enterprise_id) AS m JOIN enterprise e ON e.id = m.enterprise_id ORDER BY e.uscc"
)


def moves_since(conn: Connection, last_event: int) -> Listing[Move]:
    """Enterprises whose grid changed in this transaction (its events carry its now()), from
    the grid they were in first to the one they are in last, by credit code; read as they
    come (a reshaped grid can move every enterprise of a park)."""
    options = {"stream_results": True, "yield_per": 5000}
    rows = conn.execute(MOVES, {"last": last_event}, execution_options=options)
    return Listing(Move(*row) for row in rows)


def grid_changes_since(conn: Connection, last_event: int) -> int:
    """How many enterprises changed grid in this transaction (the register's mutations
    count them so)."""
    mine = (EVENT.c.id > last_event, EVENT.c.occurred_at == func.now())
    moved = select(func.count(sa.distinct(EVENT.c.enterprise_id))).where(*mine)
    return int(conn.execute(moved.where(EVENT.c.action == "grid_changed")).scalar_one())
