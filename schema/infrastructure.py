"""The park's infrastructure lines (trunk roads, dedicated power lines, gas pipelines...) and
the planner's spatial questions about them. Declarations only: the read compiler answers
every field (resolvers.reads.types_infrastructure)."""

from __future__ import annotations

from datetime import date
from enum import Enum
from functools import partial
from typing import TYPE_CHECKING, Annotated

import strawberry
from sqlalchemy.engine import Connection as Db

from geo import validate
from geo.shape import to_ewkb
from parkgrid.vocabulary import LINE_KINDS, LINE_STATUSES
from resolvers.reads.types_infrastructure import MAX_METERS
from resolvers.writes import access, infrastructure
from schema import reading
from schema.areas import Grid, Park, Precision, Simplify
from schema.connection import Connection
from schema.context import Info
from schema.enums import describe_values, members
from schema.ledger_mutations import text_required
from schema.outcomes import AnyUserError, attempt
from schema.reading import compiled_only
from schema.registry_mutations import checked
from schema.scalars import GeoJSON

if TYPE_CHECKING:
    from schema.enterprise import Enterprise

EnterpriseType = Annotated["Enterprise", strawberry.lazy("schema.enterprise")]

LineKind = Enum("LineKind", members(LINE_KINDS))  # type: ignore[misc]
strawberry.enum(LineKind, description="What an infrastructure line carries.")
LineStatus = Enum("LineStatus", members(LINE_STATUSES))  # type: ignore[misc]
strawberry.enum(
    LineStatus, description="Where a line stands; only IN_SERVICE lines serve enterprises."
)

Meters = Annotated[
    float,
    strawberry.argument(
        description=f"Geodesic distance in metres (WGS 84 spheroid), 0 to {MAX_METERS:,.0f}."
    ),
]
ParkCode = Annotated[
    str | None, strawberry.argument(description="A park's code; every park when omitted.")
]
First = Annotated[int | None, strawberry.argument(description="Page size.")]
After = Annotated[str | None, strawberry.argument(description="The cursor to continue after.")]


@strawberry.type(description="A grid a line runs through, and the length of line inside it.")
class GridCrossing:
    grid: Grid = strawberry.field(description="The grid.")
    length_meters: float = strawberry.field(
        description="Geodesic length of the line inside the grid; a stretch along the edge"
        " two grids share counts in the one with the lowest code (as points on an edge do),"
        " so the lengths add up to the line's length inside grids."
    )


@strawberry.type(description="A line of park infrastructure: a road, power line, pipeline.")
class InfrastructureLine:
    id: strawberry.ID = strawberry.field(description="The line's id.")
    code: str = strawberry.field(description="Stable identifier of the line in its park.")
    name: str = strawberry.field(description="The line's name.")
    kind: LineKind = strawberry.field(description="What the line carries.")
    status: LineStatus = strawberry.field(description="Planned, building, in service, retired.")
    operator: str | None = strawberry.field(
        description="The body that built or runs it (investment group, power or gas company)."
    )
    started: date | None = strawberry.field(description="When building started.")
    completed: date | None = strawberry.field(description="When it went into service.")
    note: str | None = strawberry.field(description="Free text; null for anonymous callers.")
    version: int = strawberry.field(description="Moves on with every change; send it back.")
    length_meters: float = strawberry.field(description="Geodesic length (WGS 84 spheroid).")
    park: Park | None = strawberry.field(description="The park the line belongs to.")

    @strawberry.field(description="The line as a GeoJSON MultiLineString.")
    def geometry(self, precision: Precision = 6, simplify: Simplify = 0.0) -> GeoJSON:
        return compiled_only()

    @strawberry.field(
        description="Enterprises within `meters` of the line (geodesic), nearest first, each"
        " with its distanceMeters to the line."
    )
    def enterprises_within(self, meters: Meters) -> list[EnterpriseType]:
        return compiled_only()

    @strawberry.field(description="Grids whose boundary comes within `meters` of the line.")
    def grids_within(self, meters: Meters) -> list[Grid]:
        return compiled_only()

    @strawberry.field(description="The grids the line runs through, by code.")
    def grid_crossings(self) -> list[GridCrossing]:
        return compiled_only()


@strawberry.type
class InfrastructureQuery:
    @strawberry.field(description="An infrastructure line by its code.")
    async def infrastructure_line(
        self, info: Info, code: Annotated[str, strawberry.argument(description="The code.")]
    ) -> InfrastructureLine | None:
        return await reading.query(info)

    @strawberry.field(description="Infrastructure lines, of a kind and status if given, by code.")
    async def infrastructure_lines(
        self,
        info: Info,
        park: ParkCode = None,
        kind: Annotated[
            LineKind | None, strawberry.argument(description="Only lines of this kind.")
        ] = None,
        status: Annotated[
            LineStatus | None, strawberry.argument(description="Only lines in this status.")
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[InfrastructureLine]:
        return await reading.query(info)

    @strawberry.field(
        description="Enterprises that no IN_SERVICE line of the kind passes within `meters`"
        " (e.g. firms not served by any gas pipeline within 500 m), by credit code; each"
        " with distanceMeters to the nearest such line (null when there is none)."
    )
    async def enterprises_beyond_lines(
        self,
        info: Info,
        kind: Annotated[LineKind, strawberry.argument(description="The kind of line.")],
        meters: Meters,
        park: ParkCode = None,
        first: First = None,
        after: After = None,
    ) -> Connection[EnterpriseType]:
        return await reading.query(info)


@strawberry.input(description="An infrastructure line to create, or to change (with version).")
class InfrastructureLineInput:
    park: str = strawberry.field(description="The park's code.")
    code: str = strawberry.field(description="The line's stable code.")
    name: str = strawberry.field(description="The line's name.")
    kind: LineKind = strawberry.field(description="What the line carries.")
    status: LineStatus = strawberry.field(description="Where it stands.")
    geometry: GeoJSON = strawberry.field(
        description="A GeoJSON LineString or MultiLineString in WGS 84."
    )
    operator: str | None = strawberry.field(default=None, description="Who built or runs it.")
    started: date | None = strawberry.field(default=None, description="Building started.")
    completed: date | None = strawberry.field(default=None, description="In service since.")
    note: str | None = strawberry.field(default=None, description="Free text.")
    version: int | None = strawberry.field(
        default=None, description="The version read: required to change an existing line."
    )


@strawberry.type(description="The line as saved.")
class InfrastructureLinePayload:
    line_id: strawberry.Private[int]

    @strawberry.field(description="The line after the change.")
    async def line(self, info: Info) -> InfrastructureLine:
        return await reading.entity(info, "InfrastructureLine", self.line_id)


InfrastructureLineResult = Annotated[
    InfrastructureLinePayload | AnyUserError,
    strawberry.union("InfrastructureLineResult"),
]


def new_line(given: InfrastructureLineInput, most: int) -> infrastructure.NewLine:
    shape = checked(partial(validate.lines, max_positions=most), given.geometry, "geometry")
    return infrastructure.NewLine(
        park=given.park, code=text_required(given.code, "code"),
        name=text_required(given.name, "name"), kind=given.kind.value, status=given.status.value,
        operator=given.operator, started=given.started, completed=given.completed,
        note=given.note, geometry=to_ewkb(shape), version=given.version,
    )  # fmt: skip


@strawberry.type
class InfrastructureMutation:
    @strawberry.mutation(
        description="Create an infrastructure line, or change one (give the version read)."
        " An administrator or a zone lead; an event keeps the values before and after."
    )
    async def save_infrastructure_line(
        self,
        info: Info,
        line: Annotated[InfrastructureLineInput, strawberry.argument(description="The line.")],
    ) -> InfrastructureLineResult:
        who, most = info.context.principal, info.context.api.max_polygon_vertices

        def work(conn: Db) -> int:
            access.park_works(who, "line")
            return infrastructure.save_line(conn, new_line(line, most), who.cadre_id)

        return await attempt(
            info, work, to_payload=lambda found: InfrastructureLinePayload(line_id=found)
        )


describe_values(LineKind, {
    "road": "A road (trunk or branch).",
    "power": "A dedicated power line.",
    "gas": "A gas pipeline.",
    "water": "A water main.",
    "sewer": "A sewer.",
    "heat": "A heat (steam or hot water) pipeline.",
    "telecom": "A telecom line or duct.",
})  # fmt: skip

describe_values(LineStatus, {
    "planned": "Planned: serves no one yet.",
    "under_construction": "Being built: serves no one yet.",
    "in_service": "In service: serves the enterprises near it.",
    "retired": "No longer in service.",
})  # fmt: skip
