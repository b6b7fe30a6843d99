"""Proposed liaisons for the enterprises of a park (or one of its zones) that have none now.

Nothing is written: a proposal is applied, one enterprise at a time, through `assignCadre`.

Candidates, in two tiers: first the cadres already serving the enterprise's grid (its grid
lead and the current liaisons of its other enterprises), else the cadres serving its zone (the
zone lead, and the grid leads and liaisons of the zone's grids). An enterprise in no grid
falls to the zone whose boundary covers it (the lowest code of several). Greedy, in order of
grid code then credit code: the least-loaded candidate under `max_per_liaison`, the grid's
tier before the zone's, ties to the lowest cadre id; only when every candidate of both tiers
is at the limit does the proposal go above it (flagged), to the least-loaded of the first
tier that has any. A cadre's load is every enterprise they currently serve as liaison, in
any park, plus those already proposed to them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import text
from sqlalchemy.engine import Connection

from parkgrid.errors import InvalidInput
from resolvers.reads.coverage.queries import AREA_SCOPE as SCOPE
from resolvers.reads.coverage.report import scope_ids
from resolvers.scope import CURRENT

Basis = Literal["grid", "zone"]
Reason = Literal["no_zone", "no_cadre"]

WITHOUT_LIAISON = f"""
, placed AS (
    SELECT e.uscc, e.name, g.id AS grid_id, g.code AS grid_code,
        coalesce(g.zone_id, (SELECT z.id FROM zones z WHERE ST_Covers(z.boundary, e.location)
                             ORDER BY z.code LIMIT 1)) AS zone_id
    FROM firms e LEFT JOIN grids g ON g.id = e.grid_id
    WHERE NOT EXISTS (SELECT 1 FROM assignment a WHERE a.enterprise_id = e.id
                      AND a.role = 'liaison' AND {CURRENT})
)
SELECT p.*, z.code AS zone_code FROM placed p LEFT JOIN zones z ON z.id = p.zone_id
ORDER BY p.grid_code NULLS LAST, p.uscc
"""

SERVING = f"""
, liaisons AS (
    SELECT g.id AS grid_id, g.zone_id, a.cadre_id FROM grids g
    JOIN enterprise e ON e.grid_id = g.id
    JOIN assignment a ON a.enterprise_id = e.id AND a.role = 'liaison' AND {CURRENT}
), grid_leads AS (
    SELECT g.id AS grid_id, g.zone_id, a.cadre_id FROM grids g
    JOIN assignment a ON a.grid_id = g.id AND a.role = 'grid_lead' AND {CURRENT}
)
SELECT 'grid' AS basis, grid_id AS area_id, cadre_id FROM liaisons
UNION SELECT 'grid', grid_id, cadre_id FROM grid_leads
UNION SELECT 'zone', zone_id, cadre_id FROM liaisons
UNION SELECT 'zone', zone_id, cadre_id FROM grid_leads
UNION SELECT 'zone', z.id, a.cadre_id FROM zones z
    JOIN assignment a ON a.zone_id = z.id AND a.role = 'zone_lead' AND {CURRENT}
"""

LOADS = f"""
SELECT c.id, c.name, (SELECT count(*) FROM assignment a
                      WHERE a.cadre_id = c.id AND a.role = 'liaison' AND {CURRENT}) AS load
FROM cadre c WHERE c.id = ANY(:ids)
"""


@dataclass(frozen=True)
class Orphan:
    """An enterprise of the scope without a current liaison."""

    uscc: str
    name: str
    grid_id: int | None
    grid_code: str | None
    zone_id: int | None
    zone_code: str | None


@dataclass(frozen=True)
class Proposal:
    uscc: str
    name: str
    grid_code: str | None
    zone_code: str | None
    cadre_id: int
    cadre_name: str
    basis: Basis
    load_before: int
    load_after: int
    above_limit: bool


@dataclass(frozen=True)
class Unplaced:
    uscc: str
    name: str
    grid_code: str | None
    zone_code: str | None
    reason: Reason


@dataclass(frozen=True)
class CadreLoad:
    cadre_id: int
    name: str
    before: int
    after: int


@dataclass(frozen=True)
class AssignmentPlan:
    park_code: str
    zone_code: str | None
    max_per_liaison: int
    proposals: tuple[Proposal, ...]
    unplaced: tuple[Unplaced, ...]
    loads: tuple[CadreLoad, ...]


@dataclass(frozen=True)
class Candidates:
    """Cadre ids serving each grid and each zone, by id."""

    grid: Mapping[int, tuple[int, ...]]
    zone: Mapping[int, tuple[int, ...]]

    def tiers(self, orphan: Orphan) -> list[tuple[Basis, tuple[int, ...]]]:
        grid = self.grid.get(orphan.grid_id, ()) if orphan.grid_id is not None else ()
        zone = self.zone.get(orphan.zone_id, ()) if orphan.zone_id is not None else ()
        return [("grid", grid), ("zone", zone)]


def candidates(conn: Connection, params: dict[str, object]) -> Candidates:
    found: dict[str, dict[int, list[int]]] = {"grid": defaultdict(list), "zone": defaultdict(list)}
    for row in conn.execute(text(SCOPE + SERVING), params):
        found[row.basis][int(row.area_id)].append(int(row.cadre_id))
    grid, zone = ({key: tuple(sorted(set(ids))) for key, ids in found[tier].items()}
                  for tier in ("grid", "zone"))  # fmt: skip
    return Candidates(grid, zone)


def least_loaded(cadres: Sequence[int], loads: Mapping[int, int]) -> int:
    return min(cadres, key=lambda cadre: (loads[cadre], cadre))


def choose(tiers: list[tuple[Basis, tuple[int, ...]]], loads: Mapping[int, int],
           limit: int) -> tuple[Basis, int] | None:  # fmt: skip
    """Under the limit, grid tier first; else the first tier with anyone; None: nobody."""
    for basis, cadres in tiers:
        under = [cadre for cadre in cadres if loads[cadre] < limit]
        if under:
            return basis, least_loaded(under, loads)
    for basis, cadres in tiers:
        if cadres:
            return basis, least_loaded(cadres, loads)
    return None


def orphans_of(conn: Connection, params: dict[str, object]) -> list[Orphan]:
    rows = conn.execute(text(SCOPE + WITHOUT_LIAISON), params)
    return [Orphan(**row._mapping) for row in rows]


Placements = tuple[list[Proposal], list[Unplaced]]


def plan(orphans: Sequence[Orphan], serving: Candidates, loads: dict[int, int],
         names: Mapping[int, str], limit: int) -> Placements:  # fmt: skip
    """The greedy pass; `loads` is updated with every proposal."""
    proposed: list[Proposal] = []
    unplaced: list[Unplaced] = []
    for orphan in orphans:
        chosen = choose(serving.tiers(orphan), loads, limit)
        if chosen is None:
            reason: Reason = "no_zone" if orphan.zone_id is None else "no_cadre"
            unplaced.append(Unplaced(orphan.uscc, orphan.name, orphan.grid_code,
                                     orphan.zone_code, reason))  # fmt: skip
            continue
        basis, cadre = chosen
        loads[cadre] += 1
        proposed.append(Proposal(
            orphan.uscc, orphan.name, orphan.grid_code, orphan.zone_code, cadre, names[cadre],
            basis, loads[cadre] - 1, loads[cadre], loads[cadre] > limit,
        ))  # fmt: skip
    return proposed, unplaced


def propose(conn: Connection, park: str, zone: str | None, max_per_liaison: int,
            at: datetime) -> AssignmentPlan:  # fmt: skip
    """The proposal for the scope, read at `at`; see the module's docstring for the rule."""
    if max_per_liaison < 1:
        raise InvalidInput("must be at least 1", field="maxPerLiaison")
    park_id, zone_id = scope_ids(conn, park, zone)
    params: dict[str, object] = {"park": park_id, "zone": zone_id, "at": at}
    serving = candidates(conn, params)
    every = {cadre for ids in (*serving.grid.values(), *serving.zone.values()) for cadre in ids}
    rows = conn.execute(text(LOADS), {"ids": sorted(every), "at": at}).all()
    names = {int(row.id): str(row.name) for row in rows}
    start = {int(row.id): int(row.load) for row in rows}
    loads = dict(start)
    proposed, unplaced = plan(orphans_of(conn, params), serving, loads, names, max_per_liaison)
    changed = sorted(cadre for cadre in loads if loads[cadre] != start[cadre])
    summary = tuple(CadreLoad(c, names[c], start[c], loads[c]) for c in changed)
    return AssignmentPlan(park, zone, max_per_liaison, tuple(proposed), tuple(unplaced), summary)
