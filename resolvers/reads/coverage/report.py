"""The coverage report of a park (or one of its zones): who is missing, where the geometry
is wrong, how evenly the work is spread and how well the firms are served, each list ready
to draw on a map. Areas are on the WGS 84 spheroid (geography).

A zone's report is the park's report restricted to the zone, so the two never disagree: the
zone's grids, and the enterprises whose member grid (membership: the lowest-code covering
grid) is in the zone, or, outside every grid, whose lowest-code covering zone it is. Every
per-grid and per-enterprise figure is the park report's own: a point on the line between
two zones is on a boundary in its member grid's zone, and its covering grids are all of
them, whatever their zone. So the zones' reports add up to the park's (an overlap of two
zones' grids is in both). The SQL (queries.py) computes the park-wide sets once and
restricts them; there is no second, zone-only derivation."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from parkgrid.errors import NotFound
from resolvers.reads.coverage import queries
from resolvers.reads.coverage.records import (
    Counts,
    CoverageReport,
    Firm,
    GridRow,
    Load,
    NamedArea,
    OverdueHazard,
    Overlap,
    Remainder,
    Thresholds,
    Totals,
)

PRECISION = 7
COUNT_NAMES = tuple(Counts.__dataclass_fields__)


def scope_ids(conn: Connection, park: str, zone: str | None) -> tuple[int, int | None]:
    park_id = conn.execute(text("SELECT id FROM park WHERE code = :code"), {"code": park}).scalar()
    if park_id is None:
        raise NotFound(f"no park has code {park!r}", field="park")
    if zone is None:
        return int(park_id), None
    zone_id = conn.execute(
        text("SELECT id FROM zone WHERE code = :code AND park_id = :park"),
        {"code": zone, "park": park_id},
    ).scalar()
    if zone_id is None:
        raise NotFound(f"park {park!r} has no zone with code {zone!r}", field="zone")
    return int(park_id), int(zone_id)


def counts(row: Any) -> Counts:
    return Counts(**{name: int(row._mapping[name]) for name in COUNT_NAMES})


def firm(row: Any) -> Firm:
    mapping = row._mapping
    return Firm(
        row.uscc,
        row.name,
        row.location,
        row.grid_code,
        tuple(mapping.get("grid_codes") or ()),
        mapping.get("last_visit"),
    )


def hazard(row: Any) -> OverdueHazard:
    return OverdueHazard(
        row.issue_id, row.title, row.severity, row.status, row.due_date, row.days_overdue, firm(row)
    )


def remainder(row: Any) -> Remainder:
    return Remainder(row.code, row.within, float(row.area_m2), row.geometry)


def load(row: Any) -> Load:
    return Load(row.cadre_id, row.name, int(row.enterprises))


def grid_row(row: Any) -> GridRow:
    return GridRow(row.code, row.name, row.zone_code, row.has_lead, counts(row), row.geometry)


class Reader:
    """Runs the report's statements in one scope, with the same bound parameters."""

    def __init__(self, conn: Connection, params: dict[str, Any]) -> None:
        self.conn, self.params = conn, params

    def rows(self, query: str) -> list[Any]:
        return list(self.conn.execute(text(queries.SCOPE + query), self.params))

    def areas(self, query: str) -> tuple[NamedArea, ...]:
        return tuple(NamedArea(r.code, r.name, r.geometry) for r in self.rows(query))

    def firms(self, query: str) -> tuple[Firm, ...]:
        return tuple(firm(r) for r in self.rows(query))

    def remainders(self, query: str) -> tuple[Remainder, ...]:
        return tuple(remainder(r) for r in self.rows(query))

    def loads(self, query: str) -> tuple[Load, ...]:
        return tuple(load(r) for r in self.rows(query))

    def overlaps(self) -> tuple[Overlap, ...]:
        found = self.rows(queries.OVERLAPS)
        return tuple(Overlap(r.first, r.second, float(r.area_m2), r.geometry) for r in found)

    def totals(self) -> Totals:
        row = self.rows(queries.TOTALS)[0]
        return Totals(int(row.zones), int(row.grids), counts(row))


def parameters(
    park_id: int, zone_id: int | None, at: datetime, today: date, limits: Thresholds
) -> dict[str, Any]:
    return {
        "park": park_id,
        "zone": zone_id,
        "at": at,
        "since": at - timedelta(days=limits.service_days),
        "today": today,
        "precision": PRECISION,
        "min_gap": limits.min_gap_m2,
    }


def report(
    conn: Connection, park: str, zone: str | None, at: datetime, today: date, limits: Thresholds
) -> CoverageReport:
    """The report as of `at`; `today` (the park's calendar day) decides what is overdue.
    With a `zone`, the park's report restricted to that zone (see the module's docstring)."""
    read = Reader(conn, parameters(*scope_ids(conn, park, zone), at, today, limits))
    liaisons = read.loads(queries.LIAISON_LOADS)
    return CoverageReport(
        park_code=park,
        zone_code=zone,
        thresholds=limits,
        totals=read.totals(),
        zones_without_lead=read.areas(queries.ZONES_WITHOUT_LEAD),
        grids_without_lead=read.areas(queries.GRIDS_WITHOUT_LEAD),
        enterprises_without_liaison=read.firms(queries.WITHOUT_LIAISON),
        enterprises_outside_grids=read.firms(queries.OUTSIDE_GRIDS),
        enterprises_on_boundary=read.firms(queries.ON_BOUNDARY),
        overlaps=read.overlaps(),
        gaps=read.remainders(queries.GAPS),
        grids_outside_zone=read.remainders(queries.GRID_LEAKS),
        zones_outside_park=read.remainders(queries.ZONE_LEAKS),
        liaison_loads=liaisons,
        grid_lead_loads=read.loads(queries.GRID_LEAD_LOADS),
        overloaded=tuple(x for x in liaisons if x.enterprises > limits.max_per_liaison),
        underloaded=tuple(x for x in liaisons if x.enterprises < limits.min_per_liaison),
        not_visited=read.firms(queries.NOT_VISITED),
        overdue_hazards=tuple(hazard(r) for r in read.rows(queries.OVERDUE_HAZARDS)),
        grids=tuple(grid_row(r) for r in read.rows(queries.PER_GRID)),
    )
