"""`coverage` on the Query root: the holes in a park's zone–grid–enterprise assignments."""

from __future__ import annotations

from typing import Annotated

import strawberry

from parkgrid.errors import InvalidInput
from resolvers import coverage
from schema.context import Info
from schema.scalars import GeoJSON


@strawberry.type(description="A zone or grid, by code.")
class CoverageArea:
    code: str
    name: str


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

    @classmethod
    def of(cls, found: coverage.Firm) -> CoverageEnterprise:
        return cls(
            uscc=found.uscc,
            name=found.name,
            location=GeoJSON(found.location),
            grid_code=found.grid_code,
            covering_grids=list(found.grid_codes),
        )


@strawberry.type(description="Two grids whose interiors overlap.")
class GridOverlap:
    first: str = strawberry.field(description="The lower grid code.")
    second: str
    area_sq_m: float
    geometry: GeoJSON = strawberry.field(description="The overlap, a GeoJSON (Multi)Polygon.")


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


@strawberry.type(description="One row per grid, for shading a map.")
class GridCoverage:
    code: str
    zone_code: str
    has_lead: bool
    enterprises: int
    without_liaison: int
    on_boundary: int = strawberry.field(
        description="Enterprises this grid covers that another grid covers too."
    )
    open_issues: int


@strawberry.type(description="Counts over the scope.")
class CoverageTotals:
    zones: int
    grids: int
    enterprises: int = strawberry.field(
        description="In the scope's grids, or outside every grid within its boundary."
    )
    open_issues: int
    zones_without_lead: int
    grids_without_lead: int
    enterprises_without_liaison: int
    enterprises_outside_grids: int
    enterprises_on_boundary: int
    overlaps: int
    gaps: int
    grids_outside_zone: int
    zones_outside_park: int
    overloaded: int
    underloaded: int


@strawberry.type(
    description="Coverage of a park or one of its zones: assignment gaps (now), geometry"
    " defects, workload, totals and a per-grid table."
)
class Coverage:
    park: str
    zone: str | None
    min_gap_sq_m: float
    totals: CoverageTotals
    zones_without_lead: list[CoverageArea]
    grids_without_lead: list[CoverageArea]
    enterprises_without_liaison: list[CoverageEnterprise]
    enterprises_outside_grids: list[CoverageEnterprise] = strawberry.field(
        description="Enterprises in the scope's boundary that no grid covers."
    )
    enterprises_on_boundary: list[CoverageEnterprise] = strawberry.field(
        description="Enterprises covered by two or more grids."
    )
    overlaps: list[GridOverlap]
    gaps: list[AreaRemainder]
    grids_outside_zone: list[AreaRemainder]
    zones_outside_park: list[AreaRemainder]
    workload: Workload
    grids: list[GridCoverage]

    @classmethod
    def of(cls, found: coverage.CoverageReport) -> Coverage:
        limits = found.thresholds
        without_liaison = [CoverageEnterprise.of(f) for f in found.enterprises_without_liaison]
        outside = [CoverageEnterprise.of(f) for f in found.enterprises_outside_grids]
        boundary = [CoverageEnterprise.of(f) for f in found.enterprises_on_boundary]
        overlaps = [
            GridOverlap(
                first=o.first, second=o.second, area_sq_m=o.area_m2, geometry=GeoJSON(o.geometry)
            )
            for o in found.overlaps
        ]
        gaps = [AreaRemainder.of(r) for r in found.gaps]
        grid_leaks = [AreaRemainder.of(r) for r in found.grids_outside_zone]
        zone_leaks = [AreaRemainder.of(r) for r in found.zones_outside_park]
        totals = CoverageTotals(
            zones=found.totals.zones,
            grids=found.totals.grids,
            enterprises=found.totals.enterprises,
            open_issues=found.totals.open_issues,
            zones_without_lead=len(found.zones_without_lead),
            grids_without_lead=len(found.grids_without_lead),
            enterprises_without_liaison=len(without_liaison),
            enterprises_outside_grids=len(outside),
            enterprises_on_boundary=len(boundary),
            overlaps=len(overlaps),
            gaps=len(gaps),
            grids_outside_zone=len(grid_leaks),
            zones_outside_park=len(zone_leaks),
            overloaded=len(found.overloaded),
            underloaded=len(found.underloaded),
        )
        return cls(
            park=found.park_code,
            zone=found.zone_code,
            min_gap_sq_m=limits.min_gap_m2,
            totals=totals,
            zones_without_lead=[
                CoverageArea(code=a.code, name=a.name) for a in found.zones_without_lead
            ],
            grids_without_lead=[
                CoverageArea(code=a.code, name=a.name) for a in found.grids_without_lead
            ],
            enterprises_without_liaison=without_liaison,
            enterprises_outside_grids=outside,
            enterprises_on_boundary=boundary,
            overlaps=overlaps,
            gaps=gaps,
            grids_outside_zone=grid_leaks,
            zones_outside_park=zone_leaks,
            workload=Workload(
                per_liaison=LoadSpread.of(found.liaison_loads),
                per_grid_lead=LoadSpread.of(found.grid_lead_loads),
                max_per_liaison=limits.max_per_liaison,
                min_per_liaison=limits.min_per_liaison,
                overloaded=[CadreLoad.of(load) for load in found.overloaded],
                underloaded=[CadreLoad.of(load) for load in found.underloaded],
            ),
            grids=[GridCoverage(**vars(row)) for row in found.grids],
        )


def checked_limits(min_gap: float, max_per: int, min_per: int) -> coverage.Thresholds:
    if not min_gap >= 0:
        raise InvalidInput("must not be negative", field="minGapSqM")
    if min_per < 0:
        raise InvalidInput("must not be negative", field="minPerLiaison")
    if max_per < min_per:
        raise InvalidInput("must not be below minPerLiaison", field="maxPerLiaison")
    return coverage.Thresholds(min_gap, max_per, min_per)


@strawberry.type
class CoverageQuery:
    @strawberry.field(
        description="Coverage report of a park, or of one of its zones: who is missing (now),"
        " where the geometry is wrong, and how evenly the work is spread. NOT_FOUND for an"
        " unknown park or a zone not in it."
    )
    async def coverage(
        self,
        info: Info,
        park: str,
        zone: str | None = None,
        min_gap_sq_m: Annotated[
            float,
            strawberry.argument(
                name="minGapSqM",
                description="Parts of gaps and leaks smaller than this (m²) are ignored.",
            ),
        ] = 1.0,
        max_per_liaison: int = 30,
        min_per_liaison: int = 1,
    ) -> Coverage:
        limits = checked_limits(min_gap_sq_m, max_per_liaison, min_per_liaison)
        found = await info.context.db.read(coverage.report, park, zone, info.context.now, limits)
        return Coverage.of(found)
