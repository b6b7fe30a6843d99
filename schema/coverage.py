"""`coverage` on the Query root: the holes in a park's zone–grid–enterprise assignments."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers.reads import coverage
from schema.context import Info
from schema.coverage_lists import (
    AreaRemainder,
    CoverageArea,
    CoverageEnterprise,
    GridOverlap,
    OverdueHazard,
    Workload,
)
from schema.scalars import GeoJSON


@strawberry.type(description="Counts of enterprises (and issues) over a grid or the scope.")
class CoverageColumns:
    enterprises: int = strawberry.field(description="Enterprises in the grid or scope.")
    without_liaison: int = strawberry.field(description="Of them, without a current liaison.")
    on_boundary: int = strawberry.field(description="Enterprises two or more grids cover.")
    open_issues: int = strawberry.field(description="Their issues not closed or rejected.")
    visited: int = strawberry.field(
        description="Enterprises served within serviceDays: visited, or reached by a park-wide"
        " service activity."
    )
    visited_share: float | None = strawberry.field(description="visited / enterprises.")
    overdue_hazards: int = strawberry.field(
        description="Open safety hazards past their due date (park time)."
    )
    own_branch: int = strawberry.field(description="Enterprises with a party branch of their own.")
    joint_branch: int = strawberry.field(description="Enterprises in a joint party branch.")
    with_party_organisation: int = strawberry.field(
        description="Organisational coverage: ownBranch + jointBranch."
    )
    party_organisation_share: float | None = strawberry.field(
        description="partyOrganisation \u00f7 enterprises; null without enterprises."
    )
    with_policy_liaison: int = strawberry.field(
        description="Work coverage: the current liaison has visited in the policy duty since"
        " taking the enterprise on."
    )
    policy_liaison_share: float | None = strawberry.field(
        description="policyLiaison \u00f7 enterprises; null without enterprises."
    )
    served_policy: int = strawberry.field(
        description="Served in the policy duty within serviceDays: a visit exercising it, or"
        " a park-wide activity in it that reached the enterprise."
    )
    served_liaison: int = strawberry.field(description="Likewise, in the liaison duty.")
    served_safety: int = strawberry.field(description="Likewise, in the safety duty.")
    served_support: int = strawberry.field(description="Likewise, in the support duty.")


@strawberry.type(description="One row per grid, for shading a map by any column.")
class GridCoverage(CoverageColumns):
    code: str = strawberry.field(description="The grid's code.")
    name: str = strawberry.field(description="The grid's name.")
    zone_code: str = strawberry.field(description="Its zone's code.")
    has_lead: bool = strawberry.field(description="Whether a grid lead serves it now.")
    boundary: GeoJSON = strawberry.field(description="The grid, a GeoJSON MultiPolygon.")

    @classmethod
    def of(cls, found: coverage.GridRow) -> GridCoverage:
        return cls(
            code=found.code,
            name=found.name,
            zone_code=found.zone_code,
            has_lead=found.has_lead,
            boundary=GeoJSON(found.geometry),
            **found.counts.columns(),
        )


@strawberry.type(description="Counts over the scope, and the length of every list.")
class CoverageTotals(CoverageColumns):
    zones: int = strawberry.field(description="Zones in the scope.")
    grids: int = strawberry.field(description="Grids in the scope.")
    zones_without_lead: int = strawberry.field(description="Length of zonesWithoutLead.")
    grids_without_lead: int = strawberry.field(description="Length of gridsWithoutLead.")
    enterprises_without_liaison: int = strawberry.field(
        description="Length of enterprisesWithoutLiaison."
    )
    enterprises_outside_grids: int = strawberry.field(
        description="Length of enterprisesOutsideGrids."
    )
    enterprises_on_boundary: int = strawberry.field(description="Length of enterprisesOnBoundary.")
    overlaps: int = strawberry.field(description="Length of overlaps.")
    gaps: int = strawberry.field(description="Length of gaps.")
    grids_outside_zone: int = strawberry.field(description="Length of gridsOutsideZone.")
    zones_outside_park: int = strawberry.field(description="Length of zonesOutsidePark.")
    overloaded: int = strawberry.field(description="Length of workload.overloaded.")
    underloaded: int = strawberry.field(description="Length of workload.underloaded.")
    not_visited: int = strawberry.field(description="Length of notVisited.")

    @classmethod
    def of(cls, found: coverage.CoverageReport) -> CoverageTotals:
        lists = (
            "zones_without_lead", "grids_without_lead", "enterprises_without_liaison",
            "enterprises_outside_grids", "enterprises_on_boundary", "overlaps", "gaps",
            "grids_outside_zone", "zones_outside_park", "overloaded", "underloaded",
            "not_visited",
        )  # fmt: skip
        lengths = {name: len(getattr(found, name)) for name in lists}
        totals = found.totals
        return cls(zones=totals.zones, grids=totals.grids, **lengths, **totals.counts.columns())


@strawberry.type(
    description="Coverage of a park or one of its zones: assignment gaps (now), geometry"
    " defects, workload, service coverage, the two coverages, totals and a per-grid table."
    " Every list is also served as GeoJSON at /coverage/{park}/{layer}.geojson."
)
class Coverage:
    park: str = strawberry.field(description="The park's code.")
    zone: str | None = strawberry.field(
        description="The zone's code when the report is of one zone; null for the whole park."
    )
    min_gap_sq_m: float = strawberry.field(description="The threshold the report used (m\u00b2).")
    service_days: int = strawberry.field(description="The threshold the report used (days).")
    totals: CoverageTotals = strawberry.field(description="Counts over the scope.")
    zones_without_lead: list[CoverageArea] = strawberry.field(
        description="Zones with no current zone lead."
    )
    grids_without_lead: list[CoverageArea] = strawberry.field(
        description="Grids with no current grid lead."
    )
    enterprises_without_liaison: list[CoverageEnterprise] = strawberry.field(
        description="Enterprises with no current liaison."
    )
    enterprises_outside_grids: list[CoverageEnterprise] = strawberry.field(
        description="Enterprises in the scope's boundary that no grid covers."
    )
    enterprises_on_boundary: list[CoverageEnterprise] = strawberry.field(
        description="Enterprises covered by two or more grids."
    )
    overlaps: list[GridOverlap] = strawberry.field(
        description="Pairs of grids whose interiors overlap, larger than minGapSqM."
    )
    gaps: list[AreaRemainder] = strawberry.field(
        description="Parts of zones no grid covers, larger than minGapSqM."
    )
    grids_outside_zone: list[AreaRemainder] = strawberry.field(
        description="Parts of grids outside their zone, larger than minGapSqM."
    )
    zones_outside_park: list[AreaRemainder] = strawberry.field(
        description="Parts of zones outside their park, larger than minGapSqM."
    )
    workload: Workload = strawberry.field(
        description="How the enterprises are spread over the cadres."
    )
    not_visited: list[CoverageEnterprise] = strawberry.field(
        description="Enterprises without a visit within serviceDays, longest unvisited first."
    )
    overdue_hazards: list[OverdueHazard] = strawberry.field(
        description="Open safety hazards past their due date, oldest deadline first."
    )
    grids: list[GridCoverage] = strawberry.field(
        description="One row per grid of the scope, by code."
    )

    @classmethod
    def of(cls, found: coverage.CoverageReport) -> Coverage:
        firms = CoverageEnterprise.of
        return cls(
            park=found.park_code,
            zone=found.zone_code,
            min_gap_sq_m=found.thresholds.min_gap_m2,
            service_days=found.thresholds.service_days,
            totals=CoverageTotals.of(found),
            zones_without_lead=[CoverageArea.of(a) for a in found.zones_without_lead],
            grids_without_lead=[CoverageArea.of(a) for a in found.grids_without_lead],
            enterprises_without_liaison=[firms(f) for f in found.enterprises_without_liaison],
            enterprises_outside_grids=[firms(f) for f in found.enterprises_outside_grids],
            enterprises_on_boundary=[firms(f) for f in found.enterprises_on_boundary],
            overlaps=[GridOverlap.of(o) for o in found.overlaps],
            gaps=[AreaRemainder.of(r) for r in found.gaps],
            grids_outside_zone=[AreaRemainder.of(r) for r in found.grids_outside_zone],
            zones_outside_park=[AreaRemainder.of(r) for r in found.zones_outside_park],
            workload=Workload.of(found),
            not_visited=[firms(f) for f in found.not_visited],
            overdue_hazards=[OverdueHazard.of(h) for h in found.overdue_hazards],
            grids=[GridCoverage.of(row) for row in found.grids],
        )


@strawberry.type
class CoverageQuery:
    @strawberry.field(
        description="Coverage report of a park, or of one of its zones: who is missing (now),"
        " where the geometry is wrong, how evenly the work is spread and how well the firms are"
        " served. NOT_FOUND for an unknown park or a zone not in it; FORBIDDEN without a token."
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
        service_days: Annotated[
            int,
            strawberry.argument(
                description="An enterprise counts as visited within this many days (1 to 3660)."
            ),
        ] = 30,
    ) -> Coverage:
        limits = coverage.checked_thresholds(
            min_gap_sq_m, max_per_liaison, min_per_liaison, service_days
        )
        context = info.context
        context.require_staff()
        found = await context.db.read(
            coverage.report, park, zone, context.now, context.today, limits
        )
        return Coverage.of(found)
