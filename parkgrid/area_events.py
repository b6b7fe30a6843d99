"""The event of a zone or grid written (`upserted`), one definition for the API's upsertZone
and upsertGrid and for imports, so the log and its subscribers (registerChanged,
areaCountsChanged) see an area changed by a file exactly as one changed by a mutation.

What the log compares is an area's state: its name, its parent's code, its area (m², rounded)
and a digest of its shape. The states are read before and after the write; each area whose
state differs gets one event saying before and after of what changed (a new shape is said,
the shape itself not logged), and how many enterprises changed grid on its account in the
transaction (the database's own grid_changed events that name it)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, Literal

from sqlalchemy import text
from sqlalchemy.engine import Connection

from geo import sql as geosql
from parkgrid.events import Change, append

AreaKind = Literal["zone", "grid"]
PARENTS: dict[AreaKind, tuple[str, str]] = {
    "zone": ("park", "park_id"),
    "grid": ("zone", "zone_id"),
}
State = dict[str, Any]

STATE = """
    SELECT t.code, t.id, t.name, p.code AS parent, round({area}) AS area_m2,
           md5(ST_AsEWKB(t.boundary)) AS shape
    FROM {table} t JOIN {parent} p ON p.id = t.{column} WHERE t.code = ANY (:codes)
"""
MOVED = text(
    "SELECT named.code, count(DISTINCT v.enterprise_id) FROM event v,"
    " LATERAL jsonb_array_elements_text(v.changes -> 'grid') AS named(code)"
    " WHERE v.id > :since AND v.occurred_at = now() AND v.action = 'grid_changed'"
    " AND jsonb_typeof(v.changes -> 'grid') = 'array' AND named.code = ANY (:codes)"
    " GROUP BY named.code"
)


def area_states(
    conn: Connection, kind: AreaKind, codes: Collection[str], lock: bool = False
) -> dict[str, State]:
    """Each area's state by code (id, name, parent, area_m2, shape); absent if none."""
    parent, column = PARENTS[kind]
    query = STATE.format(area=geosql.area_sqm("t.boundary"), table=kind, parent=parent,
                         column=column)  # fmt: skip
    rows = conn.execute(text(query + (" FOR UPDATE OF t" if lock else "")), {"codes": list(codes)})
    return {row.code: {k: v for k, v in row._mapping.items() if k != "code"} for row in rows}


def area_changes(before: State, after: State) -> dict[str, Any]:
    """Before and after of what changed; a new shape is said, the shape itself not logged."""
    changed = [key for key in ("name", "parent", "area_m2") if before.get(key) != after[key]]
    changes: dict[str, Any] = {key: [before.get(key), after[key]] for key in changed}
    if before.get("shape") != after["shape"]:
        changes["boundary_changed"] = True
    return changes


def moved_by_code(conn: Connection, since: int, codes: Collection[str]) -> dict[str, int]:
    """Enterprises that changed grid in this transaction after event `since`, per grid code
    (a move from one grid to another counts for both)."""
    rows = conn.execute(MOVED, {"since": since, "codes": list(codes)})
    return {str(code): int(count) for code, count in rows}


def log_upserts(
    conn: Connection, kind: AreaKind, before: Mapping[str, State], codes: Collection[str],
    since: int, actor: int | None,
) -> dict[str, State]:  # fmt: skip
    """Append the event of each area of `codes` whose state now differs from `before` (the
    states read before the write; `since`: the last event then). Returns the states now."""
    after = area_states(conn, kind, codes)
    moved = moved_by_code(conn, since, codes) if kind == "grid" else {}
    for code, state in after.items():
        if changes := area_changes(before.get(code, {}), state):
            changes["enterprises_changed_grid"] = moved.get(code, 0)
            append(conn, Change(kind, state["id"], None, "upserted", actor, changes))
    return after
