"""Which grids and zones lie under an area: the building block of every per-area query.

Membership is by grid: an enterprise is in a zone or park when its grid is. Enterprises
outside every grid belong to no area (the coverage report lists them)."""

from __future__ import annotations

from parkgrid.vocabulary import held_at
from parkgrid.vocabulary import is_open as is_open  # re-exported: the open-issue rule
from resolvers.records import AreaKind

TABLES: dict[AreaKind, str] = {"park": "park", "zone": "zone", "grid": "grid"}
PARENTS: dict[AreaKind, str | None] = {"park": None, "zone": "park_id", "grid": "zone_id"}

GRIDS_UNDER: dict[AreaKind, str] = {
    "grid": "SELECT g.id AS area_id, g.id AS grid_id FROM grid g WHERE g.id = ANY({ids})",
    "zone": "SELECT g.zone_id AS area_id, g.id AS grid_id FROM grid g WHERE g.zone_id = ANY({ids})",
    "park": (
        "SELECT z.park_id AS area_id, g.id AS grid_id FROM grid g"
        " JOIN zone z ON z.id = g.zone_id WHERE z.park_id = ANY({ids})"
    ),
}

ZONES_OVER: dict[AreaKind, str] = {
    "grid": "SELECT g.id AS area_id, g.zone_id AS zone_id FROM grid g WHERE g.id = ANY({ids})",
    "zone": "SELECT z.id AS area_id, z.id AS zone_id FROM zone z WHERE z.id = ANY({ids})",
    "park": "SELECT z.park_id AS area_id, z.id AS zone_id FROM zone z WHERE z.park_id = ANY({ids})",
}

AREA_KEYS = "unnest(CAST(:ids AS bigint[])) AS k(area_id)"

CURRENT = held_at("a", ":at")


OPEN_ISSUE = is_open("i")
"""The open-issue rule (parkgrid.vocabulary.is_open) for an issue aliased `i`."""


EVENT_START = "({day}::timestamp AT TIME ZONE (SELECT p.timezone FROM park p WHERE p.id = {park}))"
"""When a dated event of a park (an activity, a recruitment event) counts from: the start of
its day in its park's time zone."""
ACTIVITY_START = EVENT_START.format(day="a.held_on", park="a.park_id")


def served(enterprise: str, since: str, until: str, duty: str | None = None) -> str:
    """The rule for an enterprise served after `since` up to `until` (SQL moments): a cadre
    visited it, or a park-wide service activity reached it; in one duty when `duty` (SQL
    text) is given: a visit exercising that duty, or an activity in it."""
    visit_duty = "" if duty is None else f" AND {duty} = ANY (v.duties)"
    activity_duty = "" if duty is None else f" AND a.duty = {duty}"
    return (
        f"(EXISTS (SELECT 1 FROM visit v WHERE v.enterprise_id = {enterprise}"
        f" AND v.visited_at > {since} AND v.visited_at <= {until}{visit_duty})"
        " OR EXISTS (SELECT 1 FROM activity_enterprise x"
        " JOIN service_activity a ON a.id = x.activity_id"
        f" WHERE x.enterprise_id = {enterprise} AND {ACTIVITY_START} > {since}"
        f" AND {ACTIVITY_START} <= {until}{activity_duty}))"
    )


def grids_under(kind: AreaKind, ids: str = ":ids") -> str:
    """(area_id, grid_id) of the grids under the areas whose ids the SQL array `ids` holds."""
    return GRIDS_UNDER[kind].format(ids=ids)


def zones_over(kind: AreaKind, ids: str = ":ids") -> str:
    return ZONES_OVER[kind].format(ids=ids)


def open_issue_count(enterprise_id: str) -> str:
    """The open issues of one enterprise (probes the small partial index)."""
    return (
        f"(SELECT count(*) FROM issue i WHERE i.enterprise_id = {enterprise_id} AND {OPEN_ISSUE})"
    )


def overdue(alias: str, today: str) -> str:
    """An issue past its due date (park day); false when it has none."""
    return f"coalesce({alias}.due_date < {today}, false)"
