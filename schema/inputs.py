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


__all__ = [
    "AreaFilterInput", "EnterpriseFilterInput", "EnterpriseOrder", "IssueFilterInput",
    "NearInput", "PointInput", "area_filter", "enterprise_filter", "issue_filter",
]  # fmt: skip
