"""Which grids and zones lie under an area: the building block of every per-area query.

Membership is by grid: an enterprise is in a zone or park when its grid is. Enterprises
outside every grid belong to no area (the coverage report lists them)."""

from __future__ import annotations

from resolvers.records import AreaKind

TABLES: dict[AreaKind, str] = {"park": "park", "zone": "zone", "grid": "grid"}
PARENTS: dict[AreaKind, str | None] = {"park": None, "zone": "park_id", "grid": "zone_id"}

GRIDS_UNDER: dict[AreaKind, str] = {
    "grid": "SELECT g.id AS area_id, g.id AS grid_id FROM grid g WHERE g.id = ANY(:ids)",
    "zone": "SELECT g.zone_id AS area_id, g.id AS grid_id FROM grid g WHERE g.zone_id = ANY(:ids)",
    "park": (
        "SELECT z.park_id AS area_id, g.id AS grid_id FROM grid g"
        " JOIN zone z ON z.id = g.zone_id WHERE z.park_id = ANY(:ids)"
    ),
}

ZONES_OVER: dict[AreaKind, str] = {
    "grid": "SELECT g.id AS area_id, g.zone_id AS zone_id FROM grid g WHERE g.id = ANY(:ids)",
    "zone": "SELECT z.id AS area_id, z.id AS zone_id FROM zone z WHERE z.id = ANY(:ids)",
    "park": "SELECT z.park_id AS area_id, z.id AS zone_id FROM zone z WHERE z.park_id = ANY(:ids)",
}

AREA_KEYS = "unnest(CAST(:ids AS bigint[])) AS k(area_id)"

CURRENT = "a.valid_from <= :at AND (a.valid_to IS NULL OR a.valid_to > :at)"

OPEN_ISSUE = "i.status NOT IN ('closed', 'rejected')"


def grids_under(kind: AreaKind) -> str:
    return GRIDS_UNDER[kind]


def zones_over(kind: AreaKind) -> str:
    return ZONES_OVER[kind]
