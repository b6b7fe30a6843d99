"""Writing checked features: staged in a temporary table, upserted in one statement, counted."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement, Connection, Table, func, select
from sqlalchemy.dialects.postgresql import Insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.sql.dml import ReturningInsert

from geo.shape import to_ewkb
from parkgrid.importer.kinds import TABLES, Kind, Parsed
from parkgrid.importer.outcomes import ImportReport
from parkgrid.importer.progress import batches, tracked

EVENT = TABLES["event"]

STAGING = Table(
    "parkgrid_import_staging", sa.MetaData(),
    sa.Column("position", sa.Integer), sa.Column("key", sa.Text), sa.Column("name", sa.Text),
    sa.Column("parent_id", sa.BigInteger), sa.Column("industry", sa.Text),
    sa.Column("address", sa.Text), sa.Column("geom", sa.LargeBinary),
    prefixes=["TEMPORARY"], postgresql_on_commit="DROP",
)  # fmt: skip
OPTIONAL_STAGED = ("parent_id", "industry", "address")


def write(conn: Connection, kind: Kind, parsed: list[Parsed]) -> ImportReport:
    STAGING.create(conn)
    stage(conn, kind, parsed)
    existing, last_event = count_existing(conn, kind), last_event_id(conn)
    written = len(conn.execute(upsert(kind)).all())
    inserted = len(parsed) - existing
    updated = written - inserted
    changes = grid_changes_since(conn, last_event)
    return ImportReport(kind.name, inserted, updated, existing - updated, changes)


def stage(conn: Connection, kind: Kind, parsed: list[Parsed]) -> None:
    rows = [staging_row(kind, item) for item in parsed]
    for chunk in tracked(list(batches(rows)), f"writing {kind.name}", len(rows)):
        conn.execute(sa.insert(STAGING), chunk)


def staging_row(kind: Kind, item: Parsed) -> dict[str, Any]:
    values = item.values
    given = {"position": item.index, "key": values[kind.key], "name": values["name"]}
    optional = {name: values.get(name) for name in OPTIONAL_STAGED}
    return given | optional | {"geom": to_ewkb(values["geometry"])}


def count_existing(conn: Connection, kind: Kind) -> int:
    key = kind.table.c[kind.key]
    query = select(func.count()).select_from(kind.table.join(STAGING, key == STAGING.c.key))
    return int(conn.execute(query).scalar_one())


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


def last_event_id(conn: Connection) -> int:
    return int(conn.execute(select(func.coalesce(func.max(EVENT.c.id), 0))).scalar_one())


def grid_changes_since(conn: Connection, last_event: int) -> int:
    """Enterprises whose grid changed in this transaction (its events carry its now())."""
    mine = (EVENT.c.id > last_event, EVENT.c.occurred_at == func.now())
    moved = select(func.count(sa.distinct(EVENT.c.enterprise_id))).where(*mine)
    return int(conn.execute(moved.where(EVENT.c.action == "grid_changed")).scalar_one())
