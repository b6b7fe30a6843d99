"""Coverage planning: the holes in a park's zone–grid–enterprise assignments."""

from __future__ import annotations

from resolvers.reads.coverage.records import (
    Counts,
    CoverageReport,
    Firm,
    GridRow,
    Load,
    NamedArea,
    OverdueHazard,
    Overlap,
    Remainder,
    Spread,
    Thresholds,
    Totals,
    checked_thresholds,
    spread,
)
from resolvers.reads.coverage.report import report, scope_ids
from resolvers.reads.stats import share

__all__ = [
    "Counts",
    "CoverageReport",
    "Firm",
    "GridRow",
    "Load",
    "NamedArea",
    "OverdueHazard",
    "Overlap",
    "Remainder",
    "Spread",
    "Thresholds",
    "Totals",
    "checked_thresholds",
    "report",
    "scope_ids",
    "share",
    "spread",
]
