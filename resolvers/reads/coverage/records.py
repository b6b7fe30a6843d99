"""What a coverage report holds: plain frozen records, geometries as RFC 7946 GeoJSON."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from parkgrid.errors import InvalidInput
from resolvers.reads.stats import share

Geometry = dict[str, Any]


@dataclass(frozen=True)
class Thresholds:
    min_gap_m2: float = 1.0
    max_per_liaison: int = 30
    min_per_liaison: int = 1
    service_days: int = 30


def checked_thresholds(
    min_gap: float, max_per: int, min_per: int, service_days: int = 30
) -> Thresholds:
    """The thresholds, or INVALID_INPUT naming the argument (GraphQL and HTTP names agree)."""
    if not min_gap >= 0:
        raise InvalidInput("must not be negative", field="minGapSqM")
    if min_per < 0:
        raise InvalidInput("must not be negative", field="minPerLiaison")
    if max_per < min_per:
        raise InvalidInput("must not be below minPerLiaison", field="maxPerLiaison")
    if not 1 <= service_days <= 3660:
        raise InvalidInput("must be between 1 and 3660 days", field="serviceDays")
    return Thresholds(min_gap, max_per, min_per, service_days)


@dataclass(frozen=True)
class NamedArea:
    code: str
    name: str
    geometry: Geometry


@dataclass(frozen=True)
class Firm:
    uscc: str
    name: str
    location: Geometry
    grid_code: str | None
    grid_codes: tuple[str, ...] = ()
    last_visit: datetime | None = None


@dataclass(frozen=True)
class OverdueHazard:
    issue_id: int
    title: str
    severity: str
    status: str
    due_date: date
    days_overdue: int
    enterprise: Firm


@dataclass(frozen=True)
class Overlap:
    first: str
    second: str
    area_m2: float
    geometry: Geometry


@dataclass(frozen=True)
class Remainder:
    code: str
    within: str
    area_m2: float
    geometry: Geometry


@dataclass(frozen=True)
class Load:
    cadre_id: int
    name: str
    enterprises: int


@dataclass(frozen=True)
class Spread:
    cadres: int
    min: int | None
    median: float | None
    max: int | None


def spread(loads: Sequence[Load]) -> Spread:
    counts = [load.enterprises for load in loads]
    if not counts:
        return Spread(0, None, None, None)
    return Spread(len(counts), min(counts), float(statistics.median(counts)), max(counts))


@dataclass(frozen=True)
class Counts:
    """The per-grid columns, also summed over the scope."""

    enterprises: int
    without_liaison: int
    on_boundary: int
    open_issues: int
    visited: int
    overdue_hazards: int
    own_branch: int
    joint_branch: int
    with_policy_liaison: int
    served_policy: int
    served_liaison: int
    served_safety: int
    served_support: int

    @property
    def with_party_organisation(self) -> int:
        return self.own_branch + self.joint_branch

    @property
    def visited_share(self) -> float | None:
        return share(self.visited, self.enterprises)

    @property
    def party_organisation_share(self) -> float | None:
        return share(self.with_party_organisation, self.enterprises)

    @property
    def policy_liaison_share(self) -> float | None:
        return share(self.with_policy_liaison, self.enterprises)

    def columns(self) -> dict[str, Any]:
        """Every count and share, by name: the per-grid table's columns."""
        derived = ("with_party_organisation", "visited_share", "party_organisation_share",
                   "policy_liaison_share")  # fmt: skip
        return vars(self) | {name: getattr(self, name) for name in derived}


@dataclass(frozen=True)
class GridRow:
    code: str
    name: str
    zone_code: str
    has_lead: bool
    counts: Counts
    geometry: Geometry


@dataclass(frozen=True)
class Totals:
    zones: int
    grids: int
    counts: Counts


@dataclass(frozen=True)
class CoverageReport:
    park_code: str
    zone_code: str | None
    thresholds: Thresholds
    totals: Totals
    zones_without_lead: tuple[NamedArea, ...]
    grids_without_lead: tuple[NamedArea, ...]
    enterprises_without_liaison: tuple[Firm, ...]
    enterprises_outside_grids: tuple[Firm, ...]
    enterprises_on_boundary: tuple[Firm, ...]
    overlaps: tuple[Overlap, ...]
    gaps: tuple[Remainder, ...]
    grids_outside_zone: tuple[Remainder, ...]
    zones_outside_park: tuple[Remainder, ...]
    liaison_loads: tuple[Load, ...]
    grid_lead_loads: tuple[Load, ...]
    overloaded: tuple[Load, ...]
    underloaded: tuple[Load, ...]
    not_visited: tuple[Firm, ...]
    overdue_hazards: tuple[OverdueHazard, ...]
    grids: tuple[GridRow, ...]
