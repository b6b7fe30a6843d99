"""Each list of a coverage report as an RFC 7946 FeatureCollection, for GIS tools."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any

from resolvers.reads.coverage.records import (
    CoverageReport,
    Firm,
    GridRow,
    NamedArea,
    OverdueHazard,
    Overlap,
    Remainder,
)

Feature = dict[str, Any]


def plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


def feature(id_: str | int, geometry: dict[str, Any], **properties: Any) -> Feature:
    values = {key: plain(value) for key, value in properties.items()}
    return {"type": "Feature", "id": id_, "geometry": geometry, "properties": values}


def area(found: NamedArea) -> Feature:
    return feature(found.code, found.geometry, code=found.code, name=found.name)


def firm(found: Firm) -> Feature:
    properties: dict[str, Any] = {
        "uscc": found.uscc,
        "name": found.name,
        "grid_code": found.grid_code,
    }
    if found.grid_codes:
        properties["covering_grids"] = list(found.grid_codes)
    return feature(found.uscc, found.location, **properties)


def unvisited(found: Firm) -> Feature:
    drawn = firm(found)
    drawn["properties"]["last_visit"] = plain(found.last_visit)
    return drawn


def overlap(found: Overlap) -> Feature:
    return feature(
        f"{found.first}|{found.second}",
        found.geometry,
        first=found.first,
        second=found.second,
        area_m2=found.area_m2,
    )


def remainder(found: Remainder) -> Feature:
    return feature(
        found.code, found.geometry, code=found.code, within=found.within, area_m2=found.area_m2
    )


def hazard(found: OverdueHazard) -> Feature:
    firm_ = found.enterprise
    return feature(
        found.issue_id,
        firm_.location,
        issue_id=found.issue_id,
        title=found.title,
        severity=found.severity,
        status=found.status,
        due_date=found.due_date,
        days_overdue=found.days_overdue,
        uscc=firm_.uscc,
        name=firm_.name,
        grid_code=firm_.grid_code,
    )


def grid(found: GridRow) -> Feature:
    return feature(
        found.code,
        found.geometry,
        code=found.code,
        name=found.name,
        zone_code=found.zone_code,
        has_lead=found.has_lead,
        **found.counts.columns(),
    )


LAYERS: dict[str, Callable[[CoverageReport], Iterable[Feature]]] = {
    "grids": lambda r: map(grid, r.grids),
    "zones-without-lead": lambda r: map(area, r.zones_without_lead),
    "grids-without-lead": lambda r: map(area, r.grids_without_lead),
    "enterprises-without-liaison": lambda r: map(firm, r.enterprises_without_liaison),
    "enterprises-outside-grids": lambda r: map(firm, r.enterprises_outside_grids),
    "enterprises-on-boundary": lambda r: map(firm, r.enterprises_on_boundary),
    "overlaps": lambda r: map(overlap, r.overlaps),
    "gaps": lambda r: map(remainder, r.gaps),
    "grids-outside-zone": lambda r: map(remainder, r.grids_outside_zone),
    "zones-outside-park": lambda r: map(remainder, r.zones_outside_park),
    "not-visited": lambda r: map(unvisited, r.not_visited),
    "overdue-hazards": lambda r: map(hazard, r.overdue_hazards),
}


def feature_collection(found: CoverageReport, layer: str) -> dict[str, Any]:
    """The layer's FeatureCollection; KeyError for a layer not in LAYERS."""
    features = list(LAYERS[layer](found))
    return {"type": "FeatureCollection", "name": layer, "features": features}
