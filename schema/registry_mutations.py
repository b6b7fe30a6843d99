"""Mutations of the register: enterprises, zones, grids and the cadres assigned to them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from enum import Enum
from functools import partial
from typing import Annotated, Any, TypeVar

import strawberry
from sqlalchemy.engine import Connection

from geo import validate
from geo.shape import to_ewkb
from geo.validate import GeometryError
from parkgrid import uscc as credit_code
from parkgrid.auth.principal import Principal
from parkgrid.errors import InvalidGeometry, InvalidInput
from parkgrid.importer.kinds import CODE_LENGTH, optional_text
from resolvers.records import AssignmentRecord, parse_id
from resolvers.writes import access, registry
from resolvers.writes.registry import AreaWritten, ChildKind, EnterpriseWritten
from schema import reading
from schema.areas import Grid, Zone
from schema.context import Info
from schema.enterprise import Enterprise
from schema.enums import describe_values
from schema.ledger_mutations import text_required
from schema.outcomes import AnyUserError, attempt
from schema.people import Assignment
from schema.scalars import GeoJSON

G = TypeVar("G")
ID = strawberry.ID


@strawberry.enum(description="What a cadre is assigned to, and so in which role.")
class AssignmentLevel(Enum):
    ZONE = "zone_lead"
    GRID = "grid_lead"
    ENTERPRISE = "liaison"


describe_values(AssignmentLevel, {
    "zone_lead": "A zone, as its zone lead.",
    "grid_lead": "A grid, as its grid lead.",
    "liaison": "An enterprise, as its liaison.",
})  # fmt: skip


@strawberry.type(description="The enterprise after the change, and its grid before it.")
class EnterprisePayload:
    enterprise_id: strawberry.Private[int]
    previous_grid_id: strawberry.Private[int | None]

    @strawberry.field(description="The enterprise as it is now.")
    async def enterprise(self, info: Info) -> Enterprise:
        return await reading.entity(info, "Enterprise", self.enterprise_id)

    @strawberry.field(
        description="The grid before the change: where a moved enterprise was; null for a new"
        " one, or when it was in no grid."
    )
    async def previous_grid(self, info: Info) -> Grid | None:
        return await reading.entity(info, "Grid", self.previous_grid_id)


@strawberry.interface(description="A zone or grid written by code.")
class AreaPayload:
    created: bool = strawberry.field(description="True when the code was new.")
    enterprises_changed_grid: int = strawberry.field(
        description="Enterprises whose grid the change moved them into or out of."
    )


@strawberry.type(description="The zone as it is after the change.")
class ZonePayload(AreaPayload):
    zone_id: strawberry.Private[int]

    @strawberry.field(description="The zone as it is now.")
    async def zone(self, info: Info) -> Zone:
        return await reading.entity(info, "Zone", self.zone_id)


@strawberry.type(description="The grid as it is after the change; its members re-derived.")
class GridPayload(AreaPayload):
    grid_id: strawberry.Private[int]

    @strawberry.field(description="The grid as it is now.")
    async def grid(self, info: Info) -> Grid:
        return await reading.entity(info, "Grid", self.grid_id)


@strawberry.type(description="The assignment as it is after the change.")
class AssignmentPayload:
    assignment_id: strawberry.Private[int]

    @strawberry.field(description="The assignment as it is now.")
    async def assignment(self, info: Info) -> Assignment:
        return await reading.entity(info, "Assignment", self.assignment_id)


EnterpriseResult = Annotated[EnterprisePayload | AnyUserError, strawberry.union("EnterpriseResult")]
ZoneResult = Annotated[ZonePayload | AnyUserError, strawberry.union("ZoneResult")]
GridResult = Annotated[GridPayload | AnyUserError, strawberry.union("GridResult")]
AssignmentResult = Annotated[AssignmentPayload | AnyUserError, strawberry.union("AssignmentResult")]


def enterprise_payload(written: EnterpriseWritten) -> EnterprisePayload:
    return EnterprisePayload(
        enterprise_id=written.enterprise.id, previous_grid_id=written.previous_grid_id
    )


def zone_payload(written: AreaWritten) -> ZonePayload:
    return ZonePayload(zone_id=written.area.id, created=written.created,
                       enterprises_changed_grid=written.enterprises_changed_grid)  # fmt: skip


def grid_payload(written: AreaWritten) -> GridPayload:
    return GridPayload(grid_id=written.area.id, created=written.created,
                       enterprises_changed_grid=written.enterprises_changed_grid)  # fmt: skip


def assignment_payload(written: AssignmentRecord) -> AssignmentPayload:
    return AssignmentPayload(assignment_id=written.id)


def checked(read: Callable[[Any], G], value: Any, field: str) -> G:
    """A geometry read by one of geo.validate's readers; its reason, if refused, by field."""
    try:
        return read(value)
    except GeometryError as exc:
        raise InvalidGeometry(str(exc), field=field) from exc


def point_at(value: GeoJSON) -> tuple[float, float]:
    point = checked(validate.point, value, "location")
    return point.x, point.y


def valid_uscc(value: str) -> str:
    try:
        return credit_code.validate(value)
    except credit_code.InvalidUSCC as exc:
        raise InvalidInput(str(exc), field="uscc") from exc


def area_code(value: str) -> str:
    code = text_required(value, "code")
    if len(code) > CODE_LENGTH:
        raise InvalidInput(f"must be at most {CODE_LENGTH} characters", field="code")
    return code


def target_key(level: AssignmentLevel, target: str) -> str:
    """Credit codes are compared upper case; area codes as given."""
    return credit_code.normalise(target) if level is AssignmentLevel.ENTERPRISE else target.strip()


def aware(moment: datetime | None, default: datetime, field: str) -> datetime:
    if moment is not None and moment.tzinfo is None:
        raise InvalidInput("needs a time zone (e.g. +08:00)", field=field)
    return moment or default


def new_enterprise(
    code: str, name: str, industry: str | None, address: str | None, at: GeoJSON
) -> registry.NewEnterprise:
    lon, lat = point_at(at)
    return registry.NewEnterprise(
        uscc=valid_uscc(code), name=text_required(name, "name"), industry=optional_text(industry),
        address=optional_text(address), lon=lon, lat=lat,
    )  # fmt: skip


def given_fields(name: str | None, industry: str | None, address: str | None) -> dict[str, Any]:
    """The fields the client sent (null clears industry or address; omitted keeps them)."""
    sent = {"name": name, "industry": industry, "address": address}
    given = {key: value for key, value in sent.items() if value is not strawberry.UNSET}
    if not given:
        raise InvalidInput("give at least one of name, industry, address")
    cleaned = {key: optional_text(value) for key, value in given.items()}
    if "name" in given:
        cleaned["name"] = text_required(given["name"] or "", "name")
    return cleaned


def new_area(kind: ChildKind, code: str, name: str, parent: str, boundary: GeoJSON,
             max_positions: int) -> registry.NewArea:  # fmt: skip
    shape = checked(partial(validate.area, max_positions=max_positions), boundary, "boundary")
    return registry.NewArea(
        kind=kind, code=area_code(code), name=text_required(name, "name"),
        parent=parent.strip(), boundary=to_ewkb(shape),
    )  # fmt: skip


def authorise_area(conn: Connection, who: Principal, new: registry.NewArea) -> None:
    if new.kind == "zone":
        access.zone_change(conn, who, new.code)
    else:
        access.grid_change(conn, who, new.code, new.parent)


def upsert(kind: ChildKind, code: str, name: str, parent: str, boundary: GeoJSON,
           info: Info) -> Callable[[Connection], AreaWritten]:  # fmt: skip
    who, most = info.context.principal, info.context.api.max_polygon_vertices

    def work(conn: Connection) -> AreaWritten:
        new = new_area(kind, code, name, parent, boundary, most)
        authorise_area(conn, who, new)
        return registry.upsert_area(conn, new, who.cadre_id)

    return work


UPSERT_RULE = (
    " The boundary is a valid Polygon or MultiPolygon inside its {parent}: the part outside"
    f" may cover at most {registry.TOLERANCE_M:g} m times the boundary's perimeter (a"
    f" {registry.TOLERANCE_M:g} m band along its edge, on the spheroid), else INVALID_GEOMETRY"
    " on `boundary`."
)


@strawberry.type
class RegistryMutation:
    @strawberry.mutation(
        description="Register an enterprise at a GeoJSON Point; its grid is derived. The credit"
        " code must be valid (GB 32100) and not yet registered."
    )
    async def register_enterprise(
        self, info: Info, uscc: str, name: str, location: GeoJSON, industry: str | None = None,
        address: str | None = None,
    ) -> EnterpriseResult:  # fmt: skip
        who = info.context.principal

        def work(conn: Connection) -> EnterpriseWritten:
            new = new_enterprise(uscc, name, industry, address, location)
            access.location(conn, who, new.lon, new.lat)
            return registry.register_enterprise(conn, new, who.cadre_id)

        return await attempt(info, work, to_payload=enterprise_payload)

    @strawberry.mutation(
        description="Change the name, industry or address: only the arguments given (null"
        " clears industry or address); the event records before and after."
    )
    async def update_enterprise(
        self, info: Info, uscc: str, name: str | None = strawberry.UNSET,
        industry: str | None = strawberry.UNSET, address: str | None = strawberry.UNSET,
    ) -> EnterpriseResult:  # fmt: skip
        who = info.context.principal

        def work(conn: Connection) -> EnterpriseWritten:
            values = given_fields(name, industry, address)
            code = credit_code.normalise(uscc)
            access.enterprise_register(conn, who, code)
            return registry.update_enterprise(conn, code, values, who.cadre_id)

        return await attempt(info, work, to_payload=enterprise_payload)

    @strawberry.mutation(
        description="Move an enterprise to a GeoJSON Point; its grid is re-derived and the"
        " payload names the grid before and after."
    )
    async def move_enterprise(self, info: Info, uscc: str, location: GeoJSON) -> EnterpriseResult:
        who = info.context.principal

        def work(conn: Connection) -> EnterpriseWritten:
            (lon, lat), code = point_at(location), credit_code.normalise(uscc)
            access.enterprise_register(conn, who, code)
            access.location(conn, who, lon, lat)
            return registry.move_enterprise(conn, code, lon, lat, who.cadre_id)

        return await attempt(info, work, to_payload=enterprise_payload)

    @strawberry.mutation(
        description="Create or reshape a zone by code." + UPSERT_RULE.format(parent="park")
        + " A reshaped zone must still hold its grids by the same rule."
    )  # fmt: skip
    async def upsert_zone(
        self, info: Info, code: str, name: str, park: str, boundary: GeoJSON
    ) -> ZoneResult:
        work = upsert("zone", code, name, park, boundary, info)
        return await attempt(info, work, to_payload=zone_payload)

    @strawberry.mutation(
        description="Create or reshape a grid by code; the enterprises it gains or loses are"
        " re-derived." + UPSERT_RULE.format(parent="zone")
    )
    async def upsert_grid(
        self, info: Info, code: str, name: str, zone: str, boundary: GeoJSON
    ) -> GridResult:
        work = upsert("grid", code, name, zone, boundary, info)
        return await attempt(info, work, to_payload=grid_payload)

    @strawberry.mutation(
        description="Assign a cadre as lead of a zone or grid (target: its code) or liaison of"
        " an enterprise (target: its credit code), from `validFrom` (default now). One holder"
        " per role and target at a time: a clash is a CONFLICT naming the holder."
    )
    async def assign_cadre(
        self, info: Info, cadre: ID,
        level: Annotated[AssignmentLevel, strawberry.argument(
            description="What `target` names, and so the role.")],
        target: str,
        valid_from: Annotated[datetime | None, strawberry.argument(
            description="When it starts (with an offset); null: now.")] = None,
    ) -> AssignmentResult:  # fmt: skip
        who = info.context.principal

        def work(conn: Connection) -> AssignmentRecord:
            start = aware(valid_from, info.context.now, "validFrom")
            new = registry.NewAssignment(parse_id(cadre, "cadre"), level.value,
                                         target_key(level, target), start)  # fmt: skip
            access.assignment_target(conn, who, new.role, new.target)
            return registry.assign_cadre(conn, new, who.cadre_id)

        return await attempt(info, work, to_payload=assignment_payload)

    @strawberry.mutation(
        description="End an assignment at `validTo` (default now); it stays in the history."
    )
    async def end_assignment(
        self,
        info: Info,
        id: ID,
        valid_to: Annotated[
            datetime | None,
            strawberry.argument(description="When it ends (exclusive, with an offset); null: now."),
        ] = None,
    ) -> AssignmentResult:
        who = info.context.principal

        def work(conn: Connection) -> AssignmentRecord:
            end = aware(valid_to, info.context.now, "validTo")
            assignment_id = parse_id(id, "id")
            access.assignment_end(conn, who, assignment_id)
            return registry.end_assignment(conn, assignment_id, end, who.cadre_id)

        return await attempt(info, work, to_payload=assignment_payload)
