"""The lists of a coverage report: areas, enterprises, hazards, overlaps, remainders, loads."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from resolvers.reads import coverage
from schema.scalars import GeoJSON


@strawberry.type(description="A zone or grid, by code.")
class CoverageArea:
    code: str
    name: str
    boundary: GeoJSON = strawberry.field(description="Its boundary, a GeoJSON MultiPolygon.")

    @classmethod
    def of(cls, found: coverage.NamedArea) -> CoverageArea:
        return cls(code=found.code, name=found.name, boundary=GeoJSON(found.geometry))


@strawberry.type(description="An enterprise in a coverage list.")
class CoverageEnterprise:
    uscc: str
    name: str
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
    issue_id: strawberry.ID
    title: str
    severity: str
    status: str
    due_date: date
    days_overdue: int = strawberry.field(description="Whole days past the due date, park time.")
    enterprise: CoverageEnterprise

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
    second: str
    area_sq_m: float
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
    area_sq_m: float
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
    id: strawberry.ID
    name: str
    enterprises: int

    @classmethod
    def of(cls, found: coverage.Load) -> CadreLoad:
        return cls(
            id=strawberry.ID(str(found.cadre_id)), name=found.name, enterprises=found.enterprises
        )


@strawberry.type(description="Enterprises per cadre over the cadres of one role.")
class LoadSpread:
    cadres: int
    min: int | None
    median: float | None
    max: int | None
    loads: list[CadreLoad]

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
    max_per_liaison: int
    min_per_liaison: int
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
