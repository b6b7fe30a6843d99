"""Previewing a grid change: what `upsertGrid` would do to membership, geometry and workload,
with nothing kept.

No writes, and a preview that agrees with the apply, both by construction: the preview runs
the very function `upsertGrid` runs (`registry.upsert_area`: the same checks and refusals,
the same statement, the same database triggers re-deriving membership) inside a SAVEPOINT
that is always rolled back, and measures the same state with the same SQL before and after
it. Nothing is re-implemented, so no second copy of the membership rule can drift from the
triggers. It needs a connection that may write (the caller runs it as upsertGrid runs, on
the tables themselves), and the rollback leaves no row behind whatever the caller's
transaction does next. What it cannot undo is not data: sequence values (the event's id, a
new grid's id) are spent, as in any rolled-back transaction, and the rows the upsert touches
stay locked until the preview's transaction ends, so an apply of the same grid waits for it.

The measures follow the coverage report's definitions: overlaps are interiors meeting
(dimension 2); a zone's gaps and a grid's part outside its zone keep parts of at least
`min_gap_m2`; workload is counted per zone, a liaison's load being the enterprises of the
zone's scope they serve (in its grids, or in no grid within its boundary) and a grid lead's
the enterprises of the zone's grids they lead. Areas are on the WGS 84 spheroid."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from geo import sql as geosql
from parkgrid.auth.principal import Principal
from parkgrid.errors import InvalidInput
from resolvers.scope import CURRENT
from resolvers.writes import access, registry

PRECISION = 7
EMPTY = "ST_SetSRID(ST_GeomFromText('POLYGON EMPTY'), 4326)"
PROPOSED = geosql.bound_geometry("boundary")
OLD = "(SELECT boundary FROM grid WHERE code = :code)"

Moved = Callable[[str | None, str | None], bool]
Loads = Mapping[tuple[str, str, int], tuple[str, int]]  # (zone, role, cadre): (name, count)


@dataclass(frozen=True)
class ProposedGrid:
    """The change asked for; `boundary` is EWKB, already checked as upsertGrid checks it."""

    code: str
    zone: str | None
    boundary: bytes
    min_gap_m2: float
    at: datetime


@dataclass(frozen=True)
class Move:
    uscc: str
    name: str
    from_grid: str | None
    to_grid: str | None


@dataclass(frozen=True)
class Patch:
    """A piece of area: an overlap of grids `first` < `second`, a gap of zone `first` (both
    codes the zone's), or grid `first`'s part outside its zone `second`."""

    first: str
    second: str
    area_m2: float
    geometry: dict[str, Any]
    ewkb: bytes


@dataclass(frozen=True)
class LoadChange:
    zone_code: str
    role: str
    cadre_id: int
    name: str
    before: int
    after: int


@dataclass(frozen=True)
class GridPreview:
    code: str
    zone_code: str
    created: bool
    enterprises_changed_grid: int
    moving_in: tuple[Move, ...]
    moving_out: tuple[Move, ...]
    overlaps_before: tuple[Patch, ...]
    overlaps_after: tuple[Patch, ...]
    overlaps_created: tuple[Patch, ...]
    overlaps_removed: tuple[Patch, ...]
    gaps_before: tuple[Patch, ...]
    gaps_after: tuple[Patch, ...]
    gaps_created: tuple[Patch, ...]
    gaps_removed: tuple[Patch, ...]
    outside_zone_before: Patch | None
    outside_zone_after: Patch | None
    workload: tuple[LoadChange, ...]


@dataclass(frozen=True)
class Scope:
    """What may change, fixed before the change: the enterprises the grid holds now or whose
    points its new boundary's box takes in, the zones losing or gaining the grid (gaps), and
    the zones whose counts can move (those near either shape, or holding a grid near it)."""

    enterprise_ids: tuple[int, ...]
    gap_zone_ids: tuple[int, ...]
    load_zone_ids: tuple[int, ...]


@dataclass(frozen=True)
class State:
    members: Mapping[int, tuple[str, str, str | None]]  # id: uscc, name, grid code
    overlaps: Mapping[tuple[str, str], Patch]
    gaps: Mapping[tuple[str, str], Patch]
    outside_zone: Patch | None
    loads: Loads


CURRENT_GRID = """
    SELECT g.name, z.code AS zone FROM grid g JOIN zone z ON z.id = g.zone_id WHERE g.code = :code
"""
CANDIDATES = f"""
    SELECT e.id FROM enterprise e
    WHERE e.location && {PROPOSED} OR e.grid_id = (SELECT id FROM grid WHERE code = :code)
    ORDER BY e.id
"""
GAP_ZONES = (
    "SELECT zone_id FROM grid WHERE code = :code UNION SELECT id FROM zone WHERE code = :zone"
)
LOAD_ZONES = f"""
    SELECT z.id FROM zone z WHERE z.boundary && {PROPOSED} OR z.boundary && {OLD}
    UNION SELECT g.zone_id FROM grid g WHERE g.boundary && {PROPOSED} OR g.boundary && {OLD}
    UNION SELECT id FROM zone WHERE code = :zone
"""
MEMBERS = """
    SELECT e.id, e.uscc, e.name, g.code FROM enterprise e LEFT JOIN grid g ON g.id = e.grid_id
    WHERE e.id = ANY(:ids)
"""
PIECE = f"{geosql.area_sqm('geom')} AS area_m2, {geosql.geojson('geom')} AS geometry,"
PIECE += " ST_AsEWKB(geom) AS ewkb"

# as the coverage report: the lower code's boundary first, interiors meeting
OVERLAPS = f"""
    WITH this AS (SELECT id, code, boundary FROM grid WHERE code = :code), pair AS (
        SELECT least(t.code, o.code) AS first, greatest(t.code, o.code) AS second,
               ST_CollectionExtract(CASE WHEN t.code < o.code
                   THEN ST_Intersection(t.boundary, o.boundary)
                   ELSE ST_Intersection(o.boundary, t.boundary) END, 3) AS geom
        FROM this t JOIN grid o ON o.id <> t.id AND o.boundary && t.boundary
        WHERE ST_Relate(t.boundary, o.boundary, '2********')
    )
    SELECT first, second, {PIECE} FROM pair ORDER BY first, second
"""

# the parts of `minuend` outside `subtrahend`, each at least :min_gap m², merged per key
REMAINDER = f"""
    WITH part AS (
        SELECT {{first}} AS first, {{second}} AS second, d.geom
        FROM {{source}},
        LATERAL ST_Dump(ST_CollectionExtract(ST_Difference({{minuend}},
            coalesce({{subtrahend}}, {EMPTY})), 3)) AS d
        WHERE {{where}} AND {geosql.area_sqm("d.geom")} >= :min_gap
    ), merged AS (
        SELECT first, second, ST_Multi(ST_Collect(geom)) AS geom FROM part GROUP BY first, second
    )
    SELECT first, second, {PIECE} FROM merged ORDER BY first, second
"""
GAPS = REMAINDER.format(
    first="z.code", second="z.code", source="zone z", where="z.id = ANY(:zones)",
    minuend="z.boundary",
    subtrahend="(SELECT ST_Union(g.boundary) FROM grid g WHERE g.zone_id = z.id)",
)  # fmt: skip
OUTSIDE_ZONE = REMAINDER.format(
    first="g.code", second="z.code", source="grid g JOIN zone z ON z.id = g.zone_id",
    where="g.code = :code", minuend="g.boundary", subtrahend="z.boundary",
)  # fmt: skip
DIFFERENCE = REMAINDER.format(
    first="''", second="''", source="(SELECT 1) AS one", where="true",
    minuend="ST_GeomFromEWKB(CAST(:minuend AS bytea))",
    subtrahend="ST_GeomFromEWKB(CAST(:subtrahend AS bytea))",
)  # fmt: skip

LOADS = f"""
    WITH zones AS (
        SELECT z.id, z.code, z.boundary FROM zone z WHERE z.id = ANY(:zones)
    ), firms AS (
        SELECT z.code AS zone, e.id FROM zones z JOIN grid g ON g.zone_id = z.id
        JOIN enterprise e ON e.grid_id = g.id
        UNION ALL
        SELECT z.code, e.id FROM zones z JOIN enterprise e
            ON e.grid_id IS NULL AND ST_Covers(z.boundary, e.location)
    )
    SELECT f.zone, 'liaison' AS role, c.id, c.name, count(*) AS enterprises
    FROM firms f JOIN assignment a ON a.enterprise_id = f.id AND a.role = 'liaison' AND {CURRENT}
    JOIN cadre c ON c.id = a.cadre_id GROUP BY f.zone, c.id, c.name
    UNION ALL
    SELECT z.code, 'grid_lead', c.id, c.name, count(e.id)
    FROM zones z JOIN grid g ON g.zone_id = z.id
    JOIN assignment a ON a.grid_id = g.id AND a.role = 'grid_lead' AND {CURRENT}
    JOIN cadre c ON c.id = a.cadre_id LEFT JOIN enterprise e ON e.grid_id = g.id
    GROUP BY z.code, c.id, c.name
"""


def area_to_write(conn: Connection, proposed: ProposedGrid) -> registry.NewArea:
    """What upsertGrid would be given: an existing grid keeps its name and, unless another is
    named, its zone; a new grid needs its zone (and takes its code as name)."""
    found = conn.execute(text(CURRENT_GRID), {"code": proposed.code}).first()
    zone = proposed.zone if proposed.zone is not None else (found.zone if found else None)
    if zone is None:
        raise InvalidInput(f"no grid has code {proposed.code!r}; a new grid needs its zone", "zone")
    name = found.name if found else proposed.code
    return registry.NewArea("grid", proposed.code, name, zone, proposed.boundary)


def ids(conn: Connection, query: str, params: dict[str, Any]) -> tuple[int, ...]:
    return tuple(int(row[0]) for row in conn.execute(text(query), params))


def scope_of(conn: Connection, new: registry.NewArea) -> Scope:
    params = {"code": new.code, "zone": new.parent, "boundary": new.boundary}
    return Scope(ids(conn, CANDIDATES, params), ids(conn, GAP_ZONES, params),
                 ids(conn, LOAD_ZONES, params))  # fmt: skip


def patches(conn: Connection, query: str, params: dict[str, Any]) -> dict[tuple[str, str], Patch]:
    rows = conn.execute(text(query), {"precision": PRECISION, **params})
    return {
        (row.first, row.second): Patch(
            row.first, row.second, float(row.area_m2), row.geometry, bytes(row.ewkb)
        )
        for row in rows
    }


def state(conn: Connection, code: str, scope: Scope, proposed: ProposedGrid) -> State:
    members = conn.execute(text(MEMBERS), {"ids": list(scope.enterprise_ids)})
    gap = {"min_gap": proposed.min_gap_m2}
    loads = conn.execute(text(LOADS), {"zones": list(scope.load_zone_ids), "at": proposed.at})
    outside = patches(conn, OUTSIDE_ZONE, {"code": code, **gap})
    return State(
        members={row.id: (row.uscc, row.name, row.code) for row in members},
        overlaps=patches(conn, OVERLAPS, {"code": code}),
        gaps=patches(conn, GAPS, {"zones": list(scope.gap_zone_ids), **gap}),
        outside_zone=next(iter(outside.values()), None),
        loads={(row.zone, row.role, row.id): (row.name, int(row.enterprises)) for row in loads},
    )


def preview_grid(conn: Connection, proposed: ProposedGrid, who: Principal) -> GridPreview:
    """The effects of upsertGrid(code, zone, boundary), refused exactly as upsertGrid refuses
    (the same checks run, the caller's authority included). All of it runs in one savepoint,
    always rolled back: nothing is left whether the caller's transaction then commits or
    rolls back."""
    access.grid_change(conn, who, proposed.code, area_to_write(conn, proposed).parent)
    savepoint = conn.begin_nested()
    try:
        return measured(conn, proposed)
    finally:
        savepoint.rollback()


def measured(conn: Connection, proposed: ProposedGrid) -> GridPreview:
    """Measure, upsert as upsertGrid does, measure again, compare (see the module docstring)."""
    new = area_to_write(conn, proposed)
    scope = scope_of(conn, new)
    before = state(conn, new.code, scope, proposed)
    written = registry.upsert_area(conn, new, None)
    after = state(conn, new.code, scope, proposed)
    return GridPreview(
        code=new.code,
        zone_code=new.parent,
        created=written.created,
        enterprises_changed_grid=written.enterprises_changed_grid,
        moving_in=moves(before, after, lambda old, now: now == new.code != old),
        moving_out=moves(before, after, lambda old, now: old == new.code != now),
        overlaps_before=tuple(before.overlaps.values()),
        overlaps_after=tuple(after.overlaps.values()),
        overlaps_created=differences(conn, after.overlaps, before.overlaps, proposed.min_gap_m2),
        overlaps_removed=differences(conn, before.overlaps, after.overlaps, proposed.min_gap_m2),
        gaps_before=tuple(before.gaps.values()),
        gaps_after=tuple(after.gaps.values()),
        gaps_created=differences(conn, after.gaps, before.gaps, proposed.min_gap_m2),
        gaps_removed=differences(conn, before.gaps, after.gaps, proposed.min_gap_m2),
        outside_zone_before=before.outside_zone,
        outside_zone_after=after.outside_zone,
        workload=load_changes(before.loads, after.loads),
    )


def moves(before: State, after: State, moved: Moved) -> tuple[Move, ...]:
    """The enterprises whose grid went from `old` to `now` as `moved(old, now)` selects."""
    found = []
    for key, (uscc, name, old) in before.members.items():
        now = after.members[key][2]
        if moved(old, now):
            found.append(Move(uscc, name, old, now))
    return tuple(sorted(found, key=lambda move: move.uscc))


def differences(conn: Connection, minuends: Mapping[tuple[str, str], Patch],
                subtrahends: Mapping[tuple[str, str], Patch], min_gap: float,
                ) -> tuple[Patch, ...]:  # fmt: skip
    """Per key, the part of the minuend's piece outside the subtrahend's (parts of at least
    `min_gap` m²): what the change creates (after less before) or removes (before less after)."""
    found = []
    for key in sorted(minuends):
        other = subtrahends.get(key)
        params = {"minuend": minuends[key].ewkb, "subtrahend": other.ewkb if other else None,
                  "min_gap": min_gap}  # fmt: skip
        for piece in patches(conn, DIFFERENCE, params).values():
            found.append(Patch(key[0], key[1], piece.area_m2, piece.geometry, piece.ewkb))
    return tuple(found)


def load_changes(before: Loads, after: Loads) -> tuple[LoadChange, ...]:
    """Every (zone, role, cadre) whose count differs; absent means 0."""
    changes = []
    for key in sorted(before.keys() | after.keys()):
        name = (after.get(key) or before[key])[0]
        old, now = before.get(key, (name, 0))[1], after.get(key, (name, 0))[1]
        if old != now:
            changes.append(LoadChange(key[0], key[1], key[2], name, old, now))
    return tuple(changes)
