"""The register's writes: enterprises, zones, grids and who serves them. Each function runs
inside the caller's transaction, appends its events there, and raises a ParkgridError to
refuse (the caller rolls back, so a refusal changes nothing). Grid membership is the
database's business: its triggers re-derive it and log each change as `grid_changed`, under
the actor named with `act_as`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from geo import sql as geosql
from parkgrid.area_events import PARENTS, area_states, log_upserts
from parkgrid.area_events import AreaKind as ChildArea
from parkgrid.errors import Conflict, InvalidGeometry, InvalidInput, NotFound
from parkgrid.importer.placement import LEAK_TOLERANCE_M
from parkgrid.importer.write import grid_changes_since, last_event_id
from resolvers.reads import areas, enterprises
from resolvers.reads.cadres import ASSIGNMENT_COLUMNS
from resolvers.records import AreaKind, AreaRecord, AssignmentRecord, EnterpriseRecord, record
from resolvers.writes.events import Change, act_as, append
from resolvers.writes.ledger import require

ChildKind = ChildArea
PARENT_KIND: dict[ChildKind, AreaKind] = {"zone": "park", "grid": "zone"}
PARENT_COLUMN: dict[ChildKind, str] = {kind: column for kind, (_, column) in PARENTS.items()}
ENTERPRISE_FIELDS = ("name", "industry", "address")

TOLERANCE_M = LEAK_TOLERANCE_M
"""How far, on average along its edge, a zone or grid may stray outside its parent: the part
outside may cover at most TOLERANCE_M × its own perimeter (a 5 m band all round), so the
slack of digitising a shared edge passes and a real leak does not. The importer's rule, so a
shape the API takes an import takes too."""

ONE_HOLDER = "assignment_one_holder"
TARGETS: dict[str, tuple[str, str, str]] = {
    # role: (table, the key clients name it by, the assignment's column)
    "zone_lead": ("zone", "code", "zone_id"),
    "grid_lead": ("grid", "code", "grid_id"),
    "liaison": ("enterprise", "uscc", "enterprise_id"),
}


@dataclass(frozen=True)
class NewEnterprise:
    uscc: str
    name: str
    industry: str | None
    address: str | None
    lon: float
    lat: float


@dataclass(frozen=True)
class EnterpriseWritten:
    """The enterprise after the change and the grid it was in before (None when new)."""

    enterprise: EnterpriseRecord
    previous_grid_id: int | None


@dataclass(frozen=True)
class NewArea:
    kind: ChildKind
    code: str
    name: str
    parent: str
    boundary: bytes  # EWKB in storage SRID, already checked to be a valid MultiPolygon


@dataclass(frozen=True)
class AreaWritten:
    area: AreaRecord
    created: bool
    enterprises_changed_grid: int


@dataclass(frozen=True)
class NewAssignment:
    cadre_id: int
    role: str
    target: str
    valid_from: datetime


# --- enterprises ---------------------------------------------------------------------------


def enterprise_for_update(conn: Connection, uscc: str) -> EnterpriseRecord:
    query = f"SELECT {enterprises.COLUMNS} FROM enterprise e WHERE e.uscc = :uscc FOR UPDATE"
    row = conn.execute(text(query), {"uscc": uscc}).first()
    if row is None:
        raise NotFound(f"no enterprise has credit code {uscc!r}", field="uscc")
    return record(EnterpriseRecord, row)


def reread(conn: Connection, enterprise_id: int) -> EnterpriseRecord:
    return enterprises.by_ids(conn, [enterprise_id])[enterprise_id]


def grid_code(conn: Connection, grid_id: int | None) -> str | None:
    found = conn.execute(text("SELECT code FROM grid WHERE id = :id"), {"id": grid_id}).scalar()
    return None if found is None else str(found)


def enterprise_change(enterprise: EnterpriseRecord, action: str, actor: int | None,
                      changes: dict[str, Any]) -> Change:  # fmt: skip
    return Change("enterprise", enterprise.id, enterprise.id, action, actor, changes)


INSERT_ENTERPRISE = f"""
    INSERT INTO enterprise (uscc, name, industry, address, location)
    VALUES (:uscc, :name, :industry, :address, {geosql.bound_point()})
    ON CONFLICT (uscc) DO NOTHING RETURNING id
"""


def register_enterprise(
    conn: Connection, new: NewEnterprise, actor: int | None
) -> EnterpriseWritten:
    """A new enterprise; its grid is derived by the database. A taken code is a Conflict,
    also when another request registers it at the same moment (the unique index makes this
    insert wait for that one's transaction, then do nothing)."""
    inserted = conn.execute(text(INSERT_ENTERPRISE), new.__dict__).scalar()
    if inserted is None:
        raise Conflict(f"an enterprise with credit code {new.uscc} exists", field="uscc")
    enterprise = reread(conn, inserted)
    changes: dict[str, Any] = {name: [None, getattr(enterprise, name)]
                               for name in ("uscc", *ENTERPRISE_FIELDS)}  # fmt: skip
    changes["location"] = [None, [enterprise.lon, enterprise.lat]]
    changes["grid"] = [None, grid_code(conn, enterprise.grid_id)]
    append(conn, enterprise_change(enterprise, "registered", actor, changes))
    return EnterpriseWritten(enterprise, None)


def update_enterprise(conn: Connection, uscc: str, values: dict[str, str | None],
                      actor: int | None) -> EnterpriseWritten:  # fmt: skip
    """Set the given fields (of ENTERPRISE_FIELDS); values equal to the stored ones are no
    change, and no change writes nothing."""
    if unknown := set(values) - set(ENTERPRISE_FIELDS):
        raise ValueError(f"not enterprise fields: {sorted(unknown)}")
    before = enterprise_for_update(conn, uscc)
    changed = {name: value for name, value in values.items() if getattr(before, name) != value}
    if not changed:
        return EnterpriseWritten(before, before.grid_id)
    assignments = ", ".join(f"{name} = :{name}" for name in changed)
    query = f"UPDATE enterprise SET {assignments} WHERE id = :id"
    conn.execute(text(query), {**changed, "id": before.id})
    changes = {name: [getattr(before, name), value] for name, value in changed.items()}
    append(conn, enterprise_change(before, "updated", actor, changes))
    return EnterpriseWritten(reread(conn, before.id), before.grid_id)


def move_enterprise(conn: Connection, uscc: str, lon: float, lat: float,
                    actor: int | None) -> EnterpriseWritten:  # fmt: skip
    """A new location; the trigger re-derives the grid and logs `grid_changed` as the actor.
    Moving to where it is writes nothing."""
    before = enterprise_for_update(conn, uscc)
    if (before.lon, before.lat) != (lon, lat):
        act_as(conn, actor)
        changes = {"location": [[before.lon, before.lat], [lon, lat]]}
        append(conn, enterprise_change(before, "moved", actor, changes))
        query = f"UPDATE enterprise SET location = {geosql.bound_point()} WHERE id = :id"
        conn.execute(text(query), {"lon": lon, "lat": lat, "id": before.id})
    return EnterpriseWritten(reread(conn, before.id), before.grid_id)


# --- zones and grids -----------------------------------------------------------------------


def parent_of(conn: Connection, new: NewArea) -> AreaRecord:
    kind = PARENT_KIND[new.kind]
    found = areas.by_codes(conn, kind, [new.parent]).get(new.parent)
    if found is None:
        raise NotFound(f"no {kind} has code {new.parent!r}", field=kind)
    return found


LEAKS = """
    SELECT code, ST_Area(ST_Difference(inner_shape, outer_shape)::geography) AS outside_m2,
           ST_Perimeter(inner_shape::geography) AS perimeter_m
    FROM ({pairs}) AS pair(code, inner_shape, outer_shape)
"""
INSIDE_PARENT = (
    "SELECT CAST(:code AS text), ST_GeomFromEWKB(:boundary), p.boundary"
    " FROM {table} p WHERE p.id = :parent_id"
)
GRIDS_INSIDE = (
    "SELECT g.code, g.boundary, ST_GeomFromEWKB(:boundary) FROM grid g WHERE g.zone_id = :area_id"
)


def leaking(conn: Connection, pairs: str, params: dict[str, Any]) -> list[str]:
    """The shapes (inner in outer) whose part outside exceeds the tolerance, described."""
    rows = conn.execute(text(LEAKS.format(pairs=pairs)), params)
    return [describe_leak(row) for row in rows if row.outside_m2 > TOLERANCE_M * row.perimeter_m]


def describe_leak(row: Row[Any]) -> str:
    allowed = TOLERANCE_M * row.perimeter_m
    return (
        f"{row.code} has {row.outside_m2:,.0f} m² outside (at most {allowed:,.0f} m²:"
        f" {TOLERANCE_M:g} m along its {row.perimeter_m:,.0f} m perimeter)"
    )


def check_inside(conn: Connection, new: NewArea, parent: AreaRecord, existing: int | None) -> None:
    """The new shape inside its parent, and a reshaped zone still around its grids."""
    params = {"code": new.code, "boundary": new.boundary, "parent_id": parent.id}
    pairs = INSIDE_PARENT.format(table=PARENT_KIND[new.kind])
    if found := leaking(conn, pairs, params):
        message = f"lies outside its {PARENT_KIND[new.kind]} {parent.code}: {found[0]}"
        raise InvalidGeometry(message, field="boundary")
    if new.kind == "zone" and existing is not None:
        stranded = leaking(conn, GRIDS_INSIDE, {**params, "area_id": existing})
        if stranded:
            message = f"would leave {len(stranded)} of its grids outside: {'; '.join(stranded)}"
            raise InvalidGeometry(message, field="boundary")


UPSERT = """
    INSERT INTO {table} AS t (code, name, {column}, boundary)
    VALUES (:code, :name, :parent_id, ST_GeomFromEWKB(:boundary))
    ON CONFLICT (code) DO UPDATE
    SET name = excluded.name, {column} = excluded.{column}, boundary = excluded.boundary
    WHERE (t.name, t.{column}, t.boundary)
          IS DISTINCT FROM (excluded.name, excluded.{column}, excluded.boundary)
"""


def upsert_area(conn: Connection, new: NewArea, actor: int | None) -> AreaWritten:
    """Insert or reshape a zone or grid, by code; grid members are re-derived by the
    triggers, and the enterprises whose grid changed are counted from their events."""
    parent = parent_of(conn, new)
    before = area_states(conn, new.kind, [new.code], lock=True)
    check_inside(conn, new, parent, before.get(new.code, {}).get("id"))
    act_as(conn, actor)
    last_event = last_event_id(conn)
    query = UPSERT.format(table=new.kind, column=PARENT_COLUMN[new.kind])
    params = {"code": new.code, "name": new.name, "parent_id": parent.id, "boundary": new.boundary}
    conn.execute(text(query), params)
    moved = grid_changes_since(conn, last_event)
    after = log_upserts(conn, new.kind, before, [new.code], last_event, actor)[new.code]
    area = areas.by_ids(conn, new.kind, [after["id"]])[after["id"]]
    return AreaWritten(area, not before, moved)


# --- assignments ---------------------------------------------------------------------------


def target_id(conn: Connection, role: str, target: str) -> int:
    table, key, _ = TARGETS[role]
    query = text(f"SELECT id FROM {table} WHERE {key} = :target")
    found = conn.execute(query, {"target": target}).scalar()
    if found is None:
        raise NotFound(f"no {table} has {key} {target!r}", field="target")
    return int(found)


HOLDER = """
    SELECT a.id, a.cadre_id, c.name, a.valid_from, a.valid_to
    FROM assignment a JOIN cadre c ON c.id = a.cadre_id
    WHERE a.role = :role AND a.{column} = :target_id
      AND tstzrange(a.valid_from, a.valid_to, '[)') && tstzrange(:valid_from, NULL, '[)')
    ORDER BY a.valid_from LIMIT 1
"""


def holder_conflict(conn: Connection, new: NewAssignment, target: int) -> Conflict:
    """Who holds the role over the period asked, and what to do about it."""
    query = HOLDER.format(column=TARGETS[new.role][2])
    params = {"role": new.role, "target_id": target, "valid_from": new.valid_from}
    held = conn.execute(text(query), params).first()
    role = new.role.replace("_", " ")
    if held is None:  # the holder's assignment ended meanwhile
        return Conflict(f"{new.target} had another {role} at that time; try again", "target")
    until = f" until {held.valid_to.isoformat()}" if held.valid_to else ""
    message = (
        f"{new.target} already has a {role}: {held.name} (cadre {held.cadre_id}, assignment"
        f" {held.id}, from {held.valid_from.isoformat()}{until}); end that assignment first"
    )
    return Conflict(message, field="target")


def one_holder_violated(error: IntegrityError) -> bool:
    diagnostics = getattr(error.orig, "diag", None)
    return getattr(diagnostics, "constraint_name", None) == ONE_HOLDER


def assignment_change(assignment: AssignmentRecord, action: str, actor: int | None,
                      changes: dict[str, Any]) -> Change:  # fmt: skip
    return Change("assignment", assignment.id, assignment.enterprise_id, action, actor, changes)


def assign_cadre(conn: Connection, new: NewAssignment, actor: int | None) -> AssignmentRecord:
    """A new, open-ended assignment. The exclusion constraint keeps one holder per role and
    target at any moment; a clash becomes a Conflict naming the holder."""
    require(conn, "cadre", new.cadre_id, "cadre")
    target, column = target_id(conn, new.role, new.target), TARGETS[new.role][2]
    query = (
        f"INSERT INTO assignment AS a (cadre_id, role, {column}, valid_from)"
        f" VALUES (:cadre, :role, :target, :valid_from) RETURNING {ASSIGNMENT_COLUMNS}"
    )
    params = {"cadre": new.cadre_id, "role": new.role, "target": target,
              "valid_from": new.valid_from}  # fmt: skip
    try:
        with conn.begin_nested():
            row = conn.execute(text(query), params).one()
    except IntegrityError as error:
        if not one_holder_violated(error):
            raise
        raise holder_conflict(conn, new, target) from error
    assignment = record(AssignmentRecord, row)
    changes = {"cadre": new.cadre_id, "role": new.role, "target": new.target,
               "valid_from": new.valid_from.isoformat()}  # fmt: skip
    append(conn, assignment_change(assignment, "assigned", actor, changes))
    return assignment


ENDED = f"UPDATE assignment a SET valid_to = :to WHERE a.id = :id RETURNING {ASSIGNMENT_COLUMNS}"


def open_assignment(conn: Connection, assignment_id: int) -> AssignmentRecord:
    """The assignment, locked; refused when missing or already ended."""
    query = f"SELECT {ASSIGNMENT_COLUMNS} FROM assignment a WHERE a.id = :id FOR UPDATE"
    row = conn.execute(text(query), {"id": assignment_id}).first()
    if row is None:
        raise NotFound(f"no assignment has id {assignment_id}", field="id")
    current = record(AssignmentRecord, row)
    if current.valid_to is not None:
        raise InvalidInput(f"already ended at {current.valid_to.isoformat()}", field="id")
    return current


def end_assignment(conn: Connection, assignment_id: int, valid_to: datetime,
                   actor: int | None) -> AssignmentRecord:  # fmt: skip
    """Close an open assignment at `valid_to`; the row stays, as history."""
    current = open_assignment(conn, assignment_id)
    if valid_to <= current.valid_from:
        start = current.valid_from.isoformat()
        raise InvalidInput(f"must be after the assignment's start, {start}", field="validTo")
    row = conn.execute(text(ENDED), {"to": valid_to, "id": assignment_id}).one()
    ended = record(AssignmentRecord, row)
    changes = {"valid_to": [None, valid_to.isoformat()]}
    append(conn, assignment_change(ended, "assignment_ended", actor, changes))
    return ended
