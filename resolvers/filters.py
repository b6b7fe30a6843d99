"""Filters compiled to SQL conditions with bound parameters.

Each filter is a frozen dataclass; `where(bind)` returns its SQL conditions, every value bound
through `bind` (the read compiler's binder), which callers AND together."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from geo import sql as geosql
from geo import validate
from geo.shape import to_ewkb
from geo.validate import GeometryError
from parkgrid.errors import Forbidden, InvalidGeometry, InvalidInput
from parkgrid.vocabulary import held_at
from resolvers.scope import OPEN_ISSUE, overdue

ANY_GEOMETRY = (
    "Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon",
)  # fmt: skip
MAX_NEAR_METERS = 200_000.0
Params = dict[str, Any]
BBox = tuple[float, float, float, float]


def checked_point(lon: float, lat: float, field: str) -> tuple[float, float]:
    try:
        validate.lon_lat(lon, lat)
    except GeometryError as exc:
        raise InvalidGeometry(str(exc), field=field) from exc
    return lon, lat


def checked_bbox(values: list[float] | None, field: str) -> BBox | None:
    if values is None:
        return None
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise InvalidInput("must be 4 numbers: [minLon, minLat, maxLon, maxLat]", field=field)
    west, south, east, north = values
    checked_point(west, south, field)
    checked_point(east, north, field)
    if west > east or south > north:
        raise InvalidInput("min must not exceed max (no antimeridian crossing)", field=field)
    return west, south, east, north


@dataclass(frozen=True)
class Near:
    lon: float
    lat: float
    meters: float


class Bind(Protocol):
    """Binds a value and returns its placeholder (the read compiler's Binder)."""

    def __call__(self, value: Any, cast: str = "") -> str: ...


@dataclass
class Conditions:
    """SQL conditions (ANDed), their values bound as they are added."""

    bind: Bind
    sql: list[str] = field(default_factory=list)

    def add(self, condition: str) -> None:
        self.sql.append(condition)

    def text(self) -> str:
        return " AND ".join(self.sql) if self.sql else "TRUE"


GRIDS_OF = {
    "park": (
        "SELECT g.id FROM grid g JOIN zone z ON z.id = g.zone_id"
        " JOIN park p ON p.id = z.park_id WHERE p.code = {code}"
    ),
    "zone": "SELECT g.id FROM grid g JOIN zone z ON z.id = g.zone_id WHERE z.code = {code}",
    "grid": "SELECT g.id FROM grid g WHERE g.code = {code}",
}
OPEN_ISSUE_OF = "EXISTS (SELECT 1 FROM issue i WHERE i.enterprise_id = e.id AND {open})"
CURRENT_LIAISON_OF = (
    "EXISTS (SELECT 1 FROM assignment a WHERE a.enterprise_id = e.id AND a.role = 'liaison'"
    f" AND {held_at('a', 'now()')})"
)


def envelope(bind: Bind, bbox: BBox) -> tuple[str, tuple[str, str, str, str]]:
    """The box as SQL, and its bound west, south, east and north."""
    west, south, east, north = (bind(value, "float8") for value in bbox)
    return f"ST_MakeEnvelope({west}, {south}, {east}, {north}, 4326)", (west, south, east, north)


def add_membership(conditions: Conditions, column: str, codes: dict[str, str | None]) -> None:
    """Enterprises (by their grid column) under the park, zone and grid codes given."""
    for kind, code in codes.items():
        if code is not None:
            grids = GRIDS_OF[kind].format(code=conditions.bind(code, "text"))
            conditions.add(f"{column} IN ({grids})")


def add_bbox(conditions: Conditions, column: str, bbox: BBox | None) -> None:
    """Areas whose boundary meets the box, edges included."""
    if bbox is not None:
        box, _ = envelope(conditions.bind, bbox)
        conditions.add(f"ST_Intersects({column}, {box})")


def add_point_bbox(conditions: Conditions, column: str, bbox: BBox | None) -> None:
    """Points in the box, edges included: `&&` finds candidates by the index (its float4
    boxes are rounded outward), the coordinate comparisons decide exactly."""
    if bbox is not None:
        box, (west, south, east, north) = envelope(conditions.bind, bbox)
        exact = (
            f"ST_X({column}) BETWEEN {west} AND {east}"
            f" AND ST_Y({column}) BETWEEN {south} AND {north}"
        )
        conditions.add(f"{column} && {box} AND {exact}")


def add_intersects(conditions: Conditions, column: str, geometry: bytes | None) -> None:
    if geometry is not None:
        bound = geosql.geometry_from(conditions.bind(geometry))
        conditions.add(f"ST_Intersects({column}, {bound})")


def add_flag(conditions: Conditions, flag: bool | None, test: str) -> None:
    if flag is not None:
        conditions.add(test if flag else f"NOT {test}")


def like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@dataclass(frozen=True)
class InAreas:
    """Restrict to the enterprises under a park, zone and/or grid (codes)."""

    park: str | None = None
    zone: str | None = None
    grid: str | None = None

    def area_codes(self) -> dict[str, str | None]:
        return {"park": self.park, "zone": self.zone, "grid": self.grid}


@dataclass(frozen=True)
class EnterpriseFilter(InAreas):
    bbox: BBox | None = None
    intersects: bytes | None = None
    near: Near | None = None
    industry: str | None = None
    has_open_issues: bool | None = None
    without_liaison: bool | None = None
    search: str | None = None

    def where(self, bind: Bind) -> Conditions:
        conditions = Conditions(bind)
        add_membership(conditions, "e.grid_id", self.area_codes())
        add_point_bbox(conditions, "e.location", self.bbox)
        add_intersects(conditions, "e.location", self.intersects)
        self.add_near(conditions)
        if self.industry is not None:
            conditions.add(f"e.industry = {bind(self.industry, 'text')}")
        add_flag(conditions, self.has_open_issues, OPEN_ISSUE_OF.format(open=OPEN_ISSUE))
        add_flag(conditions, self.without_liaison, f"NOT {CURRENT_LIAISON_OF}")
        if self.search:
            pattern = bind(like_pattern(self.search), "text")
            conditions.add(f"(e.name ILIKE {pattern} OR e.uscc ILIKE {pattern})")
        return conditions

    def reference(self, bind: Bind) -> str | None:
        """The `near` point as a geography, for distances; None without one."""
        if self.near is None:
            return None
        point = geosql.point_of(bind(self.near.lon, "float8"), bind(self.near.lat, "float8"))
        return f"{point}::geography"

    def add_near(self, conditions: Conditions) -> None:
        reference = self.reference(conditions.bind)
        if reference is not None and self.near is not None:
            meters = conditions.bind(self.near.meters, "float8")
            conditions.add(f"ST_DWithin(e.location::geography, {reference}, {meters})")


@dataclass(frozen=True)
class AreaFilter:
    parent: str | None = None
    bbox: BBox | None = None
    intersects: bytes | None = None
    contains_point: tuple[float, float] | None = None

    def where(self, bind: Bind) -> Conditions:
        """Conditions on areas aliased `t` (the parent is the listing's business)."""
        conditions = Conditions(bind)
        add_bbox(conditions, "t.boundary", self.bbox)
        add_intersects(conditions, "t.boundary", self.intersects)
        if self.contains_point is not None:
            lon, lat = self.contains_point
            point = geosql.point_of(bind(lon, "float8"), bind(lat, "float8"))
            conditions.add(f"ST_Covers(t.boundary, {point})")
        return conditions


@dataclass(frozen=True)
class IssueFilter(InAreas):
    statuses: tuple[str, ...] | None = None
    categories: tuple[str, ...] | None = None
    overdue: bool | None = None
    bbox: BBox | None = None
    reported_after: datetime | None = None
    reported_before: datetime | None = None
    due_before: date | None = None
    today: date | None = None

    def where(self, bind: Bind) -> Conditions:
        conditions = Conditions(bind)
        if self.statuses is not None:
            conditions.add(f"i.status = ANY({bind(list(self.statuses), 'text[]')})")
        if self.categories is not None:
            conditions.add(f"i.category = ANY({bind(list(self.categories), 'text[]')})")
        if self.overdue is not None:
            today = bind(self.today, "date")
            add_flag(conditions, self.overdue, f"({OPEN_ISSUE} AND {overdue('i', today)})")
        add_membership(conditions, "e.grid_id", self.area_codes())
        add_point_bbox(conditions, "e.location", self.bbox)
        self.add_times(conditions)
        return conditions

    def add_times(self, conditions: Conditions) -> None:
        bind = conditions.bind
        if self.reported_after is not None:
            conditions.add(f"i.reported_at >= {bind(self.reported_after, 'timestamptz')}")
        if self.reported_before is not None:
            conditions.add(f"i.reported_at < {bind(self.reported_before, 'timestamptz')}")
        if self.due_before is not None:
            conditions.add(f"i.due_date < {bind(self.due_before, 'date')}")


# The schema's filter inputs (strawberry input objects, or anything with their attributes)
# to filters, refusing bad input by name: the one conversion both read paths use.


def checked_geometry(value: Any, field: str, max_positions: int) -> bytes | None:
    if value is None:
        return None
    try:
        geometry = validate.parse(value, ANY_GEOMETRY, max_positions)
        validate.check_lon_lat(geometry)
        validate.check_valid(geometry)
    except GeometryError as exc:
        raise InvalidGeometry(str(exc), field=field) from exc
    return to_ewkb(geometry)


def checked_near(value: Any) -> Near | None:
    if value is None:
        return None
    checked_point(value.lon, value.lat, "near")
    if not 0 <= value.meters <= MAX_NEAR_METERS:
        raise InvalidInput(f"meters must be between 0 and {MAX_NEAR_METERS:.0f}", field="near")
    return Near(value.lon, value.lat, value.meters)


def enterprise_filter(
    value: Any, staff: bool, max_positions: int = validate.MAX_POSITIONS
) -> EnterpriseFilter:
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
        intersects=checked_geometry(value.intersects, "filter.intersects", max_positions),
        near=checked_near(value.near), industry=value.industry,
        has_open_issues=value.has_open_issues, without_liaison=value.without_liaison,
        search=value.search or None,
    )  # fmt: skip


def area_filter(
    value: Any, parent: str | None, max_positions: int = validate.MAX_POSITIONS
) -> AreaFilter:
    if value is None:
        return AreaFilter(parent=parent)
    point = value.contains_point
    return AreaFilter(
        parent=parent,
        bbox=checked_bbox(value.bbox, "filter.bbox"),
        intersects=checked_geometry(value.intersects, "filter.intersects", max_positions),
        contains_point=checked_point(point.lon, point.lat, "filter.containsPoint")
        if point
        else None,
    )


def stored(values: list[Any] | None) -> tuple[str, ...] | None:
    """Enum members (or their values) as the strings the database stores."""
    return None if values is None else tuple(getattr(v, "value", v) for v in values)


def issue_filter(value: Any, today: date) -> IssueFilter:
    if value is None:
        return IssueFilter(today=today)
    return IssueFilter(
        statuses=stored(value.status), categories=stored(value.category),
        overdue=value.overdue, park=value.park, zone=value.zone, grid=value.grid,
        bbox=checked_bbox(value.bbox, "filter.bbox"),
        reported_after=value.reported_after, reported_before=value.reported_before,
        due_before=value.due_before, today=today,
    )  # fmt: skip
