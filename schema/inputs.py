"""Filter inputs and their conversion to the resolvers' filters, refusing bad input by name."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum

import strawberry

from geo import validate
from geo.shape import to_ewkb
from geo.validate import GeometryError
from parkgrid.errors import Forbidden, InvalidGeometry, InvalidInput
from resolvers.filters import (
    AreaFilter,
    EnterpriseFilter,
    IssueFilter,
    Near,
    checked_bbox,
    checked_point,
)
from schema.enums import IssueCategory, IssueStatus
from schema.scalars import GeoJSON

ANY_GEOMETRY = (
    "Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon",
)  # fmt: skip
MAX_NEAR_METERS = 200_000.0


@strawberry.enum(description="Orderings of enterprise lists.")
class EnterpriseOrder(Enum):
    CODE = "code"
    NAME = "name"
    DISTANCE = "distance"


@strawberry.input(description="A WGS 84 point.")
class PointInput:
    lon: float
    lat: float


@strawberry.input(description="Within `meters` (geodesic) of a WGS 84 point.")
class NearInput:
    lon: float
    lat: float
    meters: float


@strawberry.input(description="All given conditions must hold.")
class EnterpriseFilterInput:
    park: str | None = None
    zone: str | None = None
    grid: str | None = None
    bbox: list[float] | None = strawberry.field(
        default=None, description="[minLon, minLat, maxLon, maxLat], edges included."
    )
    intersects: GeoJSON | None = strawberry.field(
        default=None, description="A GeoJSON geometry the location must intersect."
    )
    near: NearInput | None = None
    industry: str | None = None
    has_open_issues: bool | None = None
    without_liaison: bool | None = None
    search: str | None = strawberry.field(
        default=None, description="A substring of the name or the credit code."
    )


@strawberry.input(description="All given conditions must hold.")
class AreaFilterInput:
    bbox: list[float] | None = None
    intersects: GeoJSON | None = None
    contains_point: PointInput | None = None


@strawberry.input(description="All given conditions must hold.")
class IssueFilterInput:
    status: list[IssueStatus] | None = None
    category: list[IssueCategory] | None = None
    overdue: bool | None = None
    park: str | None = None
    zone: str | None = None
    grid: str | None = None
    bbox: list[float] | None = None
    reported_after: datetime | None = None
    reported_before: datetime | None = None
    due_before: date | None = None


def checked_geometry(value: GeoJSON | None, field: str) -> bytes | None:
    if value is None:
        return None
    try:
        geometry = validate.parse(value, ANY_GEOMETRY)
        validate.check_lon_lat(geometry)
        validate.check_valid(geometry)
    except GeometryError as exc:
        raise InvalidGeometry(str(exc), field=field) from exc
    return to_ewkb(geometry)


def checked_near(value: NearInput | None) -> Near | None:
    if value is None:
        return None
    checked_point(value.lon, value.lat, "near")
    if not 0 <= value.meters <= MAX_NEAR_METERS:
        raise InvalidInput(f"meters must be between 0 and {MAX_NEAR_METERS:.0f}", field="near")
    return Near(value.lon, value.lat, value.meters)


def enterprise_filter(value: EnterpriseFilterInput | None, staff: bool) -> EnterpriseFilter:
    """The filter; FORBIDDEN for `withoutLiaison` without a token (assignments are not public,
    so to an anonymous caller every enterprise would seem to lack one)."""
    if value is None:
        return EnterpriseFilter()
    if value.without_liaison is not None and not staff:
        raise Forbidden("sign in: who has a liaison is for signed-in callers",
                        field="filter.withoutLiaison")  # fmt: skip
    return EnterpriseFilter(
        park=value.park, zone=value.zone, grid=value.grid,
        bbox=checked_bbox(value.bbox, "filter.bbox"),
        intersects=checked_geometry(value.intersects, "filter.intersects"),
        near=checked_near(value.near), industry=value.industry,
        has_open_issues=value.has_open_issues, without_liaison=value.without_liaison,
        search=value.search or None,
    )  # fmt: skip


def area_filter(value: AreaFilterInput | None, parent: str | None) -> AreaFilter:
    if value is None:
        return AreaFilter(parent=parent)
    point = value.contains_point
    return AreaFilter(
        parent=parent,
        bbox=checked_bbox(value.bbox, "filter.bbox"),
        intersects=checked_geometry(value.intersects, "filter.intersects"),
        contains_point=checked_point(point.lon, point.lat, "filter.containsPoint")
        if point
        else None,
    )


def issue_filter(value: IssueFilterInput | None, today: date) -> IssueFilter:
    if value is None:
        return IssueFilter(today=today)
    return IssueFilter(
        statuses=tuple(s.value for s in value.status) if value.status is not None else None,
        categories=tuple(c.value for c in value.category) if value.category is not None else None,
        overdue=value.overdue, park=value.park, zone=value.zone, grid=value.grid,
        bbox=checked_bbox(value.bbox, "filter.bbox"),
        reported_after=value.reported_after, reported_before=value.reported_before,
        due_before=value.due_before, today=today,
    )  # fmt: skip
