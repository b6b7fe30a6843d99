"""Writing checked features: staged in a temporary table, upserted in one statement, then
compared field by field with the rows they replaced.

Why compare after writing rather than predict: the upsert decides what changes (optional
properties absent from the file keep their stored values, shapes compare as PostGIS compares
them) and the triggers decide which enterprises change grid. Reading what they did, in the
same transaction, makes a dry run (the same transaction, rolled back) say exactly what the
real import will do."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

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
from sqlalchemy.sql.dml import ReturningInsert

from geo.shape import to_ewkb
from parkgrid.importer.kinds import TABLES, Kind, Parsed
from parkgrid.importer.outcomes import Changed, FieldChange, ImportReport, Move, Row
from parkgrid.importer.progress import batches, tracked

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

BEFORE = Table(
    "parkgrid_import_before", sa.MetaData(),
    sa.Column("id", sa.BigInteger), sa.Column("key", sa.Text), sa.Column("name", sa.Text),
    sa.Column("parent_id", sa.BigInteger), sa.Column("industry", sa.Text),
    sa.Column("address", sa.Text), sa.Column("geom", sa.LargeBinary),
    prefixes=["TEMPORARY"], postgresql_on_commit="DROP",
)  # fmt: skip
"""The stored rows the file names, as they were before the upsert (shapes as EWKB, which
round-trips exactly)."""


def write(conn: Connection, kind: Kind, parsed: list[Parsed]) -> ImportReport:
    STAGING.create(conn)
    BEFORE.create(conn)
    stage(conn, kind, parsed)
    keep_before(conn, kind)
    last_event = last_event_id(conn)
    written = set(conn.execute(upsert(kind)).scalars())
    new = tuple(Row(*row) for row in conn.execute(new_rows(kind)))
    changed, kept = compared(conn, kind, written)
    moves = moves_since(conn, last_event)
    return ImportReport(
        kind.name, len(new), len(changed), len(kept), len(moves),
        new=new, changed=changed, kept=kept, moves=moves,
    )  # fmt: skip


def stage(conn: Connection, kind: Kind, parsed: list[Parsed]) -> None:
    rows = [staging_row(kind, item) for item in parsed]
    for chunk in tracked(list(batches(rows)), f"writing {kind.name}", len(rows)):
        conn.execute(sa.insert(STAGING), chunk)


def staging_row(kind: Kind, item: Parsed) -> dict[str, Any]:
    values = item.values
    given = {"position": item.index, "key": values[kind.key], "name": values["name"]}
    optional = {name: values.get(name) for name in OPTIONAL_STAGED}
    return given | optional | {"geom": to_ewkb(values["geometry"])}


def keep_before(conn: Connection, kind: Kind) -> None:
    table = kind.table
    stored: dict[str, Any] = {
        "id": table.c.id, "key": table.c[kind.key], "name": table.c.name,
        **({"parent_id": table.c[f"{kind.parent}_id"]} if kind.parent else {}),
        **{name: table.c[name] for name in kind.optional},
        "geom": func.ST_AsEWKB(table.c[kind.geometry_column]),
    }  # fmt: skip
    names = [column.name for column in BEFORE.c]
    values = [stored.get(name, sa.cast(sa.null(), BEFORE.c[name].type)) for name in names]
    named = select(*values).where(table.c[kind.key].in_(select(STAGING.c.key)))
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


def listed(kind: Kind, joined: FromClause, *extra: ColumnElement[Any]) -> Select[Any]:
    """Staged rows with the stored row of the same key: position, key, name, where it sits."""
    table = kind.table
    joined = joined.join(table, table.c[kind.key] == STAGING.c.key)
    place = within(kind, table)
    code: ColumnElement[Any] = sa.cast(sa.null(), sa.Text)
    if place is not None:
        joined, code = joined.outerjoin(*place), place[0].c.code
    columns = (STAGING.c.position, table.c[kind.key], table.c.name, code.label("within"))
    return select(*columns, *extra).select_from(joined).order_by(STAGING.c.position)


def new_rows(kind: Kind) -> Select[Any]:
    return listed(kind, STAGING).where(STAGING.c.key.not_in(select(BEFORE.c.key)))


def fields(kind: Kind) -> dict[str, tuple[ColumnElement[Any], ColumnElement[Any]]]:
    """Each property of the file that a row stores, as (before, after) in the comparison:
    the parent by id (shown by code), the shape as a geometry (shown described)."""
    after = kind.table.c
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
    columns: list[ColumnElement[Any]] = [kind.table.c.id]
    for name, (before, after) in fields(kind).items():
        differs = before.is_distinct_from(after)
        columns.append(differs.label(f"{name}_changed"))
        for side, value in (("before", before), ("after", after)):
            parts = shown(kind, name, side, value).items()
            columns += [sa.case((differs, part)).label(label) for label, part in parts]
    joined = BEFORE.join(STAGING, STAGING.c.key == BEFORE.c.key)
    return listed(kind, joined, *columns)


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


def moves_since(conn: Connection, last_event: int) -> tuple[Move, ...]:
    """Enterprises whose grid changed in this transaction (its events carry its now()), from
    the grid they were in first to the one they are in last, by credit code."""
    mine = (EVENT.c.id > last_event, EVENT.c.occurred_at == func.now())
    query = (
        select(ENTERPRISE.c.uscc, ENTERPRISE.c.name,
               EVENT.c.changes[("grid", 0)].astext, EVENT.c.changes[("grid", 1)].astext)
        .join(ENTERPRISE, ENTERPRISE.c.id == EVENT.c.enterprise_id)
        .where(*mine, EVENT.c.action == "grid_changed")
        .order_by(EVENT.c.id)
    )  # fmt: skip
    moved: dict[str, Move] = {}
    for uscc, name, before, after in conn.execute(query):
        first = moved.get(uscc)
        moved[uscc] = Move(uscc, name, before if first is None else first.before, after)
    return tuple(moved[uscc] for uscc in sorted(moved))


def grid_changes_since(conn: Connection, last_event: int) -> int:
    """How many enterprises changed grid in this transaction (the register's mutations
    count them so)."""
    mine = (EVENT.c.id > last_event, EVENT.c.occurred_at == func.now())
    moved = select(func.count(sa.distinct(EVENT.c.enterprise_id))).where(*mine)
    return int(conn.execute(moved.where(EVENT.c.action == "grid_changed")).scalar_one())
