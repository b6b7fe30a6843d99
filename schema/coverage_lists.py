"""The lists of a coverage report: areas, enterprises, hazards, overlaps, remainders, loads."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from resolvers.reads import coverage
from schema.scalars import GeoJSON


@strawberry.type(description="A zone or grid, by code.")
class CoverageArea:
    code: str = strawberry.field(description="The area's code.")
    name: str = strawberry.field(description="The area's name.")
    boundary: GeoJSON = strawberry.field(description="Its boundary, a GeoJSON MultiPolygon.")

    @classmethod
    def of(cls, found: coverage.NamedArea) -> CoverageArea:
        return cls(code=found.code, name=found.name, boundary=GeoJSON(found.geometry))


@strawberry.type(description="An enterprise in a coverage list.")
class CoverageEnterprise:
    uscc: str = strawberry.field(description="Unified Social Credit Code.")
    name: str = strawberry.field(description="The enterprise's name.")
    location: GeoJSON = strawberry.field(description="A GeoJSON Point.")
    grid_code: str | None = strawberry.field(description="Its grid (membership); null: none.")
    covering_grids: list[str] = strawberry.field(
        description="On enterprisesOnBoundary: every grid covering the point (2 or more);"
        " empty elsewhere."
    )
    last_visit: datetime | None = strawberry.field(
        description="On notVisited: the latest visit before the report's time; null: never."
    )

    @classmethod
    def of(cls, found: coverage.Firm) -> CoverageEnterprise:
        return cls(
            uscc=found.uscc,
            name=found.name,
            location=GeoJSON(found.location),
            grid_code=found.grid_code,
            covering_grids=list(found.grid_codes),
            last_visit=found.last_visit,
        )


@strawberry.type(description="An open safety hazard past its deadline.")
class OverdueHazard:
    issue_id: strawberry.ID = strawberry.field(description="The issue's ID.")
    title: str = strawberry.field(description="The issue's title.")
    severity: str = strawberry.field(
        description="Its severity, as the Severity enum's stored value (critical, high, ...)."
    )
    status: str = strawberry.field(
        description="Its status, as the IssueStatus enum's stored value."
    )
    due_date: date = strawberry.field(description="The date it was due (park time zone).")
    days_overdue: int = strawberry.field(description="Whole days past the due date, park time.")
    enterprise: CoverageEnterprise = strawberry.field(
        description="The enterprise the hazard is at."
    )

    @classmethod
    def of(cls, found: coverage.OverdueHazard) -> OverdueHazard:
        return cls(
            issue_id=strawberry.ID(str(found.issue_id)),
            title=found.title,
            severity=found.severity,
            status=found.status,
            due_date=found.due_date,
            days_overdue=found.days_overdue,
            enterprise=CoverageEnterprise.of(found.enterprise),
        )


@strawberry.type(description="Two grids whose interiors overlap.")
class GridOverlap:
    first: str = strawberry.field(description="The lower grid code.")
    second: str = strawberry.field(description="The higher grid code.")
    area_sq_m: float = strawberry.field(
        description="The overlap's area in square metres (WGS 84 spheroid)."
    )
    geometry: GeoJSON = strawberry.field(description="The overlap, a GeoJSON (Multi)Polygon.")

    @classmethod
    def of(cls, found: coverage.Overlap) -> GridOverlap:
        return cls(
            first=found.first,
            second=found.second,
            area_sq_m=found.area_m2,
            geometry=GeoJSON(found.geometry),
        )


@strawberry.type(
    description="The part of an area lying outside another (a zone's part outside its grids,"
    " a grid's outside its zone, a zone's outside the park), parts under minGapSqM left out."
)
class AreaRemainder:
    code: str = strawberry.field(description="The zone or grid.")
    within: str = strawberry.field(description="Its zone or park (for gaps: the zone itself).")
    area_sq_m: float = strawberry.field(
        description="The remainder's area in square metres (WGS 84 spheroid)."
    )
    geometry: GeoJSON = strawberry.field(description="A GeoJSON MultiPolygon.")

    @classmethod
    def of(cls, found: coverage.Remainder) -> AreaRemainder:
        return cls(
            code=found.code,
            within=found.within,
            area_sq_m=found.area_m2,
            geometry=GeoJSON(found.geometry),
        )


@strawberry.type(description="A cadre and the enterprises of the scope they carry.")
class CadreLoad:
    id: strawberry.ID = strawberry.field(description="The cadre's ID.")
    name: str = strawberry.field(description="The cadre's name.")
    enterprises: int = strawberry.field(description="Enterprises of the scope they carry.")

    @classmethod
    def of(cls, found: coverage.Load) -> CadreLoad:
        return cls(
            id=strawberry.ID(str(found.cadre_id)), name=found.name, enterprises=found.enterprises
        )


@strawberry.type(description="Enterprises per cadre over the cadres of one role.")
class LoadSpread:
    cadres: int = strawberry.field(description="Cadres in the role.")
    min: int | None = strawberry.field(
        description="Fewest enterprises a cadre carries; null without cadres."
    )
    median: float | None = strawberry.field(
        description="Median enterprises per cadre; null without cadres."
    )
    max: int | None = strawberry.field(
        description="Most enterprises a cadre carries; null without cadres."
    )
    loads: list[CadreLoad] = strawberry.field(description="Every cadre's load, heaviest first.")

    @classmethod
    def of(cls, loads: tuple[coverage.Load, ...]) -> LoadSpread:
        found = coverage.spread(loads)
        return cls(
            cadres=found.cadres,
            min=found.min,
            median=found.median,
            max=found.max,
            loads=[CadreLoad.of(load) for load in loads],
        )


@strawberry.type(description="Current workload in the scope.")
class Workload:
    per_liaison: LoadSpread = strawberry.field(
        description="Enterprises of the scope per current liaison."
    )
    per_grid_lead: LoadSpread = strawberry.field(
        description="Enterprises of the grids each current grid lead holds."
    )
    max_per_liaison: int = strawberry.field(description="The threshold the report used.")
    min_per_liaison: int = strawberry.field(description="The threshold the report used.")
    overloaded: list[CadreLoad] = strawberry.field(description="Liaisons above maxPerLiaison.")
    underloaded: list[CadreLoad] = strawberry.field(description="Liaisons below minPerLiaison.")

    @classmethod
    def of(cls, found: coverage.CoverageReport) -> Workload:
        return cls(
            per_liaison=LoadSpread.of(found.liaison_loads),
            per_grid_lead=LoadSpread.of(found.grid_lead_loads),
            max_per_liaison=found.thresholds.max_per_liaison,
            min_per_liaison=found.thresholds.min_per_liaison,
            overloaded=[CadreLoad.of(load) for load in found.overloaded],
            underloaded=[CadreLoad.of(load) for load in found.underloaded],
        )
