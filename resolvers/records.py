"""The records resolvers return: plain frozen dataclasses, no GraphQL in sight."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any, Literal, TypeVar

from sqlalchemy import Row

from parkgrid.errors import InvalidInput

AreaKind = Literal["park", "zone", "grid"]
ISSUE_COLUMNS = (
    "i.id, i.enterprise_id, i.category, i.title, i.description, i.severity, i.status,"
    " i.reporter_id, i.assignee_id, i.responsible_unit, i.due_date, i.rejection_reason,"
    " i.reported_at, i.updated_at, i.resolved_at, i.closed_at, i.version"
)
"""The columns of an IssueRecord, as the ledger's writes and the statistics read them."""
AREA_KINDS: tuple[AreaKind, ...] = ("park", "zone", "grid")

R = TypeVar("R")


def record(cls: type[R], row: Row[Any]) -> R:
    """The row's columns of the record's fields; fields with defaults may be absent."""
    mapping = row._mapping
    values = {f.name: mapping[f.name] for f in fields(cls) if f.name in mapping}  # type: ignore[arg-type]
    return cls(**values)


@dataclass(frozen=True)
class AreaRecord:
    kind: AreaKind
    id: int
    code: str
    name: str
    parent_id: int | None


@dataclass(frozen=True)
class EnterpriseRecord:
    id: int
    uscc: str
    name: str
    industry: str | None
    address: str | None
    lon: float
    lat: float
    grid_id: int | None
    distance_m: float | None = None


@dataclass(frozen=True)
class CadreRecord:
    id: int
    name: str
    title: str | None
    unit: str | None
    phone: str | None
    distance_m: float | None = None


@dataclass(frozen=True)
class AssignmentRecord:
    id: int
    cadre_id: int
    role: str
    zone_id: int | None
    grid_id: int | None
    enterprise_id: int | None
    valid_from: datetime
    valid_to: datetime | None


@dataclass(frozen=True)
class IssueRecord:
    id: int
    enterprise_id: int
    category: str
    title: str | None
    description: str | None
    severity: str
    status: str
    reporter_id: int | None
    assignee_id: int | None
    responsible_unit: str | None
    due_date: date | None
    rejection_reason: str | None
    reported_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    closed_at: datetime | None
    version: int


@dataclass(frozen=True)
class VisitRecord:
    id: int
    cadre_id: int
    enterprise_id: int
    visited_at: datetime
    duties: list[str]
    note: str | None
    check_in_lon: float | None = None
    check_in_lat: float | None = None
    check_in_distance_m: float | None = None


def parse_id(value: str, field: str) -> int:
    if not value.isdigit():
        raise InvalidInput(f"{value!r} is not an id", field=field)
    return int(value)


def optional_id(value: str | None, field: str) -> int | None:
    return None if value is None else parse_id(value, field)
