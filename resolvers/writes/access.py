"""Who may change what, checked in the write's own transaction before it changes anything.

- admin: everything.
- zone lead: the zone's grids, enterprises, visits, issues and assignments; reshapes the zone.
- grid lead: the grid's enterprises, visits, issues and liaisons.
- liaison: the visits and issues of their own enterprises.
- viewer and anonymous callers: nothing.

A record that does not exist is left to the write itself (NOT_FOUND); the checks only refuse
what exists and lies outside the caller's assignments (FORBIDDEN, naming the field)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

from geo import sql as geosql
from parkgrid.auth.principal import Principal
from parkgrid.errors import Forbidden, InvalidInput

ENTERPRISE = text("SELECT id, grid_id FROM enterprise WHERE uscc = :key")
ISSUE = text(
    "SELECT e.id, e.grid_id FROM issue i JOIN enterprise e ON e.id = i.enterprise_id"
    " WHERE i.id = :key"
)
GRID_AT = text(f"SELECT parkgrid_grid_for_point({geosql.bound_point()})")
GRID = text("SELECT id, zone_id FROM grid WHERE code = :key")
ZONE = text("SELECT id FROM zone WHERE code = :key")
ASSIGNMENT = text(
    "SELECT a.role, a.zone_id, coalesce(a.grid_id, e.grid_id) AS grid_id, a.enterprise_id"
    " FROM assignment a LEFT JOIN enterprise e ON e.id = a.enterprise_id WHERE a.id = :key"
)


def refuse(message: str, field: str | None = None) -> Forbidden:
    return Forbidden(message, field=field)


def require_writer(who: Principal) -> None:
    if not who.is_staff:
        raise refuse("sign in: changes need a token (Authorization: Bearer ...)")
    if who.kind == "viewer":
        raise refuse("a viewer's token reads; it changes nothing")


def manages(who: Principal, grid_id: int | None) -> bool:
    return who.is_admin or (grid_id is not None and grid_id in who.managed_grids)


def serves(who: Principal, enterprise_id: int, grid_id: int | None) -> bool:
    return manages(who, grid_id) or enterprise_id in who.enterprises


def zone_of_grid(conn: Connection, grid_id: int | None) -> int | None:
    found = conn.execute(text("SELECT zone_id FROM grid WHERE id = :id"), {"id": grid_id})
    return found.scalar()


def enterprise_service(conn: Connection, who: Principal, uscc: str, field: str) -> None:
    """Visits and issues of an enterprise: its liaison, its grid's or zone's lead, admin."""
    require_writer(who)
    found = conn.execute(ENTERPRISE, {"key": uscc}).first()
    if found and not serves(who, found.id, found.grid_id):
        raise refuse(f"enterprise {uscc} is not one you serve", field)


def issue_service(conn: Connection, who: Principal, issue_id: int) -> None:
    require_writer(who)
    found = conn.execute(ISSUE, {"key": issue_id}).first()
    if found and not serves(who, found.id, found.grid_id):
        raise refuse(f"issue {issue_id} belongs to an enterprise you do not serve", "id")


def enterprise_register(conn: Connection, who: Principal, uscc: str) -> None:
    """Changing an enterprise's record: its grid's or zone's lead, admin."""
    require_writer(who)
    found = conn.execute(ENTERPRISE, {"key": uscc}).first()
    if found and not manages(who, found.grid_id):
        raise refuse(f"enterprise {uscc} is not in a grid you lead", "uscc")


def location(conn: Connection, who: Principal, lon: float, lat: float) -> None:
    """Placing an enterprise at a point: the lead of the grid (or zone) it falls in."""
    require_writer(who)
    grid_id = conn.execute(GRID_AT, {"lon": lon, "lat": lat}).scalar()
    if not manages(who, grid_id):
        raise refuse("the location is not in a grid you lead", "location")


def zone_change(conn: Connection, who: Principal, code: str) -> None:
    """A zone: admin creates; admin or its own zone lead reshapes."""
    require_writer(who)
    zone_id = conn.execute(ZONE, {"key": code}).scalar()
    if not (who.is_admin or (zone_id is not None and zone_id in who.zones)):
        raise refuse(f"zone {code} is not one you lead", "code")


def grid_change(conn: Connection, who: Principal, code: str, zone: str) -> None:
    """A grid: admin, or the lead of the zone it is in and of the zone it goes to."""
    require_writer(who)
    if who.is_admin:
        return
    target = conn.execute(ZONE, {"key": zone}).scalar()
    if target is not None and target not in who.zones:
        raise refuse(f"zone {zone} is not one you lead", "zone")
    current = conn.execute(GRID, {"key": code}).first()
    if current and current.zone_id not in who.zones:
        raise refuse(f"grid {code} is in a zone you do not lead", "code")


def assignment_target(conn: Connection, who: Principal, role: str, target: str) -> None:
    """Zone leads are named by admin; grid leads by their zone's lead; liaisons by the lead of
    the enterprise's grid or zone."""
    require_writer(who)
    if who.is_admin:
        return
    if role == "zone_lead":
        raise refuse("only an administrator names zone leads", "level")
    if role == "grid_lead":
        grid = conn.execute(GRID, {"key": target}).first()
        if grid and grid.zone_id not in who.zones:
            raise refuse(f"grid {target} is in a zone you do not lead", "target")
        return
    firm = conn.execute(ENTERPRISE, {"key": target}).first()
    if firm and not manages(who, firm.grid_id):
        raise refuse(f"enterprise {target} is not in a grid you lead", "target")


def assignment_end(conn: Connection, who: Principal, assignment_id: int) -> None:
    require_writer(who)
    found = conn.execute(ASSIGNMENT, {"key": assignment_id}).first()
    if found is None or who.is_admin:
        return
    allowed = {
        "zone_lead": False,
        "grid_lead": zone_of_grid(conn, found.grid_id) in who.zones,
        "liaison": manages(who, found.grid_id),
    }[found.role]
    if not allowed:
        raise refuse(f"assignment {assignment_id} is not yours to end", "id")


def acting_cadre(conn: Connection, who: Principal, given: int | None, uscc: str,
                 field: str, required: bool) -> int | None:  # fmt: skip
    """The cadre a record is written in the name of: the caller's own, unless a lead of the
    enterprise (or admin) enters it for another cadre."""
    if given is None or given == who.cadre_id:
        if who.cadre_id is None and required:
            raise InvalidInput("name the cadre: this token stands for no cadre", field)
        return who.cadre_id
    found = conn.execute(ENTERPRISE, {"key": uscc}).first()
    if found and not manages(who, found.grid_id):
        raise refuse("only a lead of the enterprise's grid enters records for another cadre",
                     field)  # fmt: skip
    return given


def park_works(who: Principal, field: str) -> None:
    """The park's own records (its infrastructure, park-wide activities and recruitment
    events): an administrator, or a zone lead (who leads part of the park)."""
    require_writer(who)
    if not (who.is_admin or who.zones):
        raise refuse("only an administrator or a zone lead records the park's own works", field)


def enterprises_served(conn: Connection, who: Principal, codes: list[str], field: str) -> None:
    """Every enterprise named (a record of several at once): each one the caller serves."""
    for code in codes:
        enterprise_service(conn, who, code, field)


def record_service(conn: Connection, who: Principal, table: str, record_id: int) -> None:
    """A record of one enterprise (a construction project, a hiring plan; `table` is the
    caller's constant): as the enterprise's visits and issues."""
    require_writer(who)
    query = (
        f"SELECT e.id, e.grid_id FROM {table} t JOIN enterprise e ON e.id = t.enterprise_id"
        " WHERE t.id = :key"
    )
    found = conn.execute(text(query), {"key": record_id}).first()
    if found and not serves(who, found.id, found.grid_id):
        raise refuse(f"{table.replace('_', ' ')} {record_id} is not of an enterprise you serve",
                     "id")  # fmt: skip
