"""Filter inputs and their conversion to the resolvers' filters, refusing bad input by name."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum

import strawberry

from resolvers.filters import area_filter, enterprise_filter, issue_filter
from schema.enums import IssueCategory, IssueStatus
from schema.scalars import GeoJSON


@strawberry.enum(description="Orderings of enterprise lists.")
class EnterpriseOrder(Enum):
    CODE = strawberry.enum_value("code", description="By credit code (USCC), ascending.")
    NAME = strawberry.enum_value("name", description="By name, then credit code.")
    DISTANCE = strawberry.enum_value(
        "distance",
        description="Nearest first from the filter's `near` point (geodesic), then credit code;"
        " refused with BAD_USER_INPUT without `near`.",
    )


@strawberry.input(description="A WGS 84 point.")
class PointInput:
    lon: float = strawberry.field(description="Longitude, WGS 84 degrees, -180 to 180.")
    lat: float = strawberry.field(description="Latitude, WGS 84 degrees, -90 to 90.")


@strawberry.input(description="Within `meters` (geodesic) of a WGS 84 point.")
class NearInput:
    lon: float = strawberry.field(description="Longitude, WGS 84 degrees, -180 to 180.")
    lat: float = strawberry.field(description="Latitude, WGS 84 degrees, -90 to 90.")
    meters: float = strawberry.field(description="Radius in metres (geodesic), more than 0.")


@strawberry.input(description="All given conditions must hold.")
class EnterpriseFilterInput:
    park: str | None = strawberry.field(default=None, description="In the park of this code.")
    zone: str | None = strawberry.field(default=None, description="In the zone of this code.")
    grid: str | None = strawberry.field(default=None, description="In the grid of this code.")
    bbox: list[float] | None = strawberry.field(
        default=None, description="[minLon, minLat, maxLon, maxLat], edges included."
    )
    intersects: GeoJSON | None = strawberry.field(
        default=None, description="A GeoJSON geometry the location must intersect."
    )
    near: NearInput | None = strawberry.field(
        default=None, description="Within a radius of a point; enables orderBy: DISTANCE."
    )
    industry: str | None = strawberry.field(default=None, description="This industry, exactly.")
    has_open_issues: bool | None = strawberry.field(
        default=None, description="true: with an open issue; false: with none."
    )
    without_liaison: bool | None = strawberry.field(
        default=None,
        description="true: no current liaison; false: one. Anonymous callers: FORBIDDEN.",
    )
    search: str | None = strawberry.field(
        default=None, description="A substring of the name or the credit code."
    )


@strawberry.input(description="All given conditions must hold.")
class AreaFilterInput:
    bbox: list[float] | None = strawberry.field(
        default=None, description="Boundary meets [minLon, minLat, maxLon, maxLat]."
    )
    intersects: GeoJSON | None = strawberry.field(
        default=None, description="Boundary intersects this GeoJSON geometry (WGS 84)."
    )
    contains_point: PointInput | None = strawberry.field(
        default=None, description="Boundary covers this point (edges included)."
    )


@strawberry.input(description="All given conditions must hold.")
class IssueFilterInput:
    status: list[IssueStatus] | None = strawberry.field(
        default=None, description="Any of these statuses."
    )
    category: list[IssueCategory] | None = strawberry.field(
        default=None, description="Any of these categories."
    )
    overdue: bool | None = strawberry.field(
        default=None, description="true: open and past due (park time zone); false: not."
    )
    park: str | None = strawberry.field(default=None, description="Of an enterprise in this park.")
    zone: str | None = strawberry.field(default=None, description="Of an enterprise in this zone.")
    grid: str | None = strawberry.field(default=None, description="Of an enterprise in this grid.")
    bbox: list[float] | None = strawberry.field(
        default=None, description="Enterprise within [minLon, minLat, maxLon, maxLat]."
    )
    reported_after: datetime | None = strawberry.field(
        default=None, description="Reported at or after this moment."
    )
    reported_before: datetime | None = strawberry.field(
        default=None, description="Reported before this moment."
    )
    due_before: date | None = strawberry.field(
        default=None, description="Due before this date (issues without one are left out)."
    )


__all__ = [
    "AreaFilterInput", "EnterpriseFilterInput", "EnterpriseOrder", "IssueFilterInput",
    "NearInput", "PointInput", "area_filter", "enterprise_filter", "issue_filter",
]  # fmt: skip
