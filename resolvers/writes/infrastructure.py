"""The park's infrastructure lines: created and changed by code, with the line's version
carried on every change (optimistic locking) and an event holding the values before and
after. Geometry arrives validated (geo.validate.lines) as EWKB."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from geo import sql as geosql
from parkgrid.errors import Conflict, InvalidInput, NotFound
from resolvers.writes.events import Change, act_as, append

STATE = (
    "l.id, l.version, l.name, l.kind, l.status, l.operator, l.started, l.completed, l.note,"
    " round(CAST(ST_Length(l.geometry::geography) AS numeric), 1) AS length_m"
)
FIELDS = ("name", "kind", "status", "operator", "started", "completed", "note", "length_m")


@dataclass(frozen=True)
class NewLine:
    park: str
    code: str
    name: str
    kind: str
    status: str
    operator: str | None
    started: date | None
    completed: date | None
    note: str | None
    geometry: bytes
    version: int | None


def park_id(conn: Connection, code: str) -> int:
    found = conn.execute(text("SELECT id FROM park WHERE code = :code"), {"code": code}).scalar()
    if found is None:
        raise NotFound(f"no park has code {code!r}", field="park")
    return int(found)


def state(conn: Connection, code: str) -> dict[str, Any] | None:
    query = f"SELECT {STATE} FROM infrastructure_line l WHERE l.code = :code FOR UPDATE"
    row = conn.execute(text(query), {"code": code}).first()
    return None if row is None else dict(row._mapping)


def checked(new: NewLine, before: dict[str, Any] | None) -> None:
    if new.started and new.completed and new.completed < new.started:
        raise InvalidInput("must not be before `started`", field="completed")
    if before is None and new.version is not None:
        raise NotFound(f"no line has code {new.code!r} to change", field="code")
    if before is not None and new.version != before["version"]:
        message = f"line {new.code} is at version {before['version']}"
        if new.version is not None:
            message += f", not {new.version}"
        raise Conflict(message + " (give its version to change it)", field="version")


VALUES = (
    "park_id = :park_id, name = :name, kind = :kind, status = :status, operator = :operator,"
    " started = :started, completed = :completed, note = :note"
)


def save_line(conn: Connection, new: NewLine, actor: int | None) -> int:
    """Create the line, or change it when `version` is its current version."""
    params = asdict(new) | {"park_id": park_id(conn, new.park)}
    before = state(conn, new.code)
    checked(new, before)
    act_as(conn, actor)
    shape = geosql.bound_geometry("geometry")
    if before is None:
        query = (
            "INSERT INTO infrastructure_line (park_id, code, name, kind, status, operator,"
            " started, completed, note, geometry) VALUES (:park_id, :code, :name, :kind, :status,"
            f" :operator, :started, :completed, :note, {shape}) RETURNING id"
        )
    else:
        query = (
            f"UPDATE infrastructure_line SET {VALUES}, geometry = {shape},"
            " version = version + 1, updated_at = now() WHERE code = :code RETURNING id"
        )
    line_id = int(conn.execute(text(query), params).scalar_one())
    after = state(conn, new.code)
    assert after is not None
    changes = {
        name: [None if before is None else before[name], after[name]]
        for name in FIELDS
        if before is None or before[name] != after[name]
    }
    action = "created" if before is None else "changed"
    append(conn, Change("infrastructure_line", line_id, None, action, actor, changes))
    return line_id
