"""Parks, zones and grids: the Area interface and its three kinds. Declarations only: the
read compiler answers every field (resolvers.reads.types_areas), so each method here states a
field's arguments and description, and its body is never run."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from geo.sql import MAX_PRECISION
from resolvers.reads.areas import MAX_TOLERANCE_M, MIN_TOLERANCE_M
from schema.connection import Connection
from schema.enums import Role
from schema.inputs import AreaFilterInput, EnterpriseFilterInput, EnterpriseOrder
from schema.reading import compiled_only
from schema.scalars import GeoJSON

Precision = Annotated[
    int,
    strawberry.argument(
        description=f"Decimal places of the coordinates, 0 to {MAX_PRECISION} (6: about 10 cm)."
    ),
]
Simplify = Annotated[
    float,
    strawberry.argument(
        description=f"Tolerance in metres: 0 keeps every vertex, else {MIN_TOLERANCE_M} to"
        f" {MAX_TOLERANCE_M:,.0f}."
    ),
]

if TYPE_CHECKING:
    from schema.enterprise import Enterprise
    from schema.ledger import Issue
    from schema.people import Cadre

EnterpriseType = Annotated["Enterprise", strawberry.lazy("schema.enterprise")]
IssueType = Annotated["Issue", strawberry.lazy("schema.ledger")]
CadreType = Annotated["Cadre", strawberry.lazy("schema.people")]


@strawberry.type(description="A cadre serving an area, in one role.")
class ServingCadre:
    cadre: CadreType = strawberry.field(description="The cadre.")
    role: Role = strawberry.field(description="The role they serve the area in.")
    targets: int = strawberry.field(
        description="How many zones, grids or enterprises of the area they hold in this role."
    )
    id: strawberry.ID = strawberry.field(description="The cadre's ID (as `cadre.id`).")
    name: str = strawberry.field(description="The cadre's name (as `cadre.name`).")


@strawberry.interface(description="A park, a zone of a park, or a grid of a zone.")
class Area:
    code: str = strawberry.field(description="The area's code, unique among its kind.")
    name: str = strawberry.field(description="The area's name.")

    @strawberry.field(description="The boundary as a GeoJSON MultiPolygon.")
    def boundary(
        self,
        precision: Precision = 6,
        simplify: Simplify = 0.0,
    ) -> GeoJSON:
        return compiled_only()

    area_sq_m: float = strawberry.field(
        description="Area in square metres, on the WGS 84 spheroid."
    )
    perimeter_m: float = strawberry.field(
        description="Perimeter in metres, on the WGS 84 spheroid."
    )

    @strawberry.field(description="The geodesic centroid as a GeoJSON Point.")
    def centroid(self, precision: Precision = 6) -> GeoJSON:
        return compiled_only()

    bbox: list[float] = strawberry.field(
        description="[minLon, minLat, maxLon, maxLat] of the boundary."
    )

    @strawberry.field(description="Enterprises whose grid lies in this area, filtered, by code.")
    def enterprises(
        self,
        filter: EnterpriseFilterInput | None = None,
        order_by: EnterpriseOrder = EnterpriseOrder.CODE,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[EnterpriseType]:
        return compiled_only()

    @strawberry.field(description="How many enterprises (matching the filter) lie in the area.")
    def enterprise_count(self, filter: EnterpriseFilterInput | None = None) -> int:
        return compiled_only()

    open_issue_count: int = strawberry.field(description="Issues not closed or rejected.")
    overdue_issue_count: int = strawberry.field(
        description="Open issues past their due date in the park's time zone."
    )

    @strawberry.field(description="Visits to the area's enterprises, since a moment if given.")
    def visit_count(self, since: datetime | None = None) -> int:
        return compiled_only()

    cadre_count: int = strawberry.field(
        description="Distinct cadres serving the area now (see `cadres`)."
    )

    @strawberry.field(description="Issues not closed or rejected, oldest first.")
    def open_issues(
        self, first: int | None = None, after: str | None = None
    ) -> Connection[IssueType]:
        return compiled_only()

    @strawberry.field(
        description="Everyone serving the area at `at` (default now): zone and grid leads"
        " over it and the liaisons of its enterprises."
    )
    def cadres(self, at: datetime | None = None) -> list[ServingCadre]:
        return compiled_only()


@strawberry.type(description="The whole managed area of an industrial park.")
class Park(Area):
    @strawberry.field(description="The park's zones, by code.")
    def zones(
        self,
        filter: AreaFilterInput | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Zone]:
        return compiled_only()


@strawberry.type(description="A large division of a park (片区).")
class Zone(Area):
    park: Park | None = strawberry.field(description="The park the zone belongs to.")

    @strawberry.field(description="The zone's grids, by code.")
    def grids(
        self,
        filter: AreaFilterInput | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Grid]:
        return compiled_only()


@strawberry.type(description="A block of a zone (网格); every enterprise belongs to at most one.")
class Grid(Area):
    zone: Zone | None = strawberry.field(description="The zone the grid belongs to.")
