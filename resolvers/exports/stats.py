"""The park's figures for a period as a monthly-report workbook: a summary of the area, the
ledger by category and every grid of the area side by side.

Every figure is the `stats` field's own: the same functions of resolvers.reads.stats run the
same SQL for the area and for each grid under it (one scope each), through the caller's
scoped views, so a loan sum holds only the amounts the caller may read, as `stats` does. The
rates are the field's (closed by the period's end, and closed by the due date, each over the
issues due in the period); only their division happens here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Connection

from resolvers.exports import labels
from resolvers.exports.base import XLSX, Clock, Export, Language, rows_of
from resolvers.exports.options import area_by_code
from resolvers.exports.workbook import Amount, Rate, Table, write_tables
from resolvers.reads import stats
from resolvers.reads.stats import IssueCounts, IssueFigures, OutcomeFigures, Period, VisitFigures
from resolvers.records import AreaKind, AreaRecord
from resolvers.scope import grids_under

DEFAULT_DAYS = 365
"""The period when none is given: the 365 days ending today, as `stats` defaults."""
HAZARD = "safety_hazard"
SHEETS = {"zh": ("概况", "按类别", "按网格"), "en": ("summary", "by category", "by grid")}

CATEGORY_KEYS = (
    "category", "reported", "closed", "closed_on_time", "rejected", "open", "overdue_count",
    "due", "due_closed", "due_closed_on_time", "closure_rate", "on_time_closure_rate",
    "mean_days_to_close", "p90_days_to_close",
)  # fmt: skip
GRID_KEYS = (
    "zone_code", "grid_code", "grid_name", "enterprises", "visits", "enterprises_visited",
    "reported", "closed", "open", "overdue_count", "due", "due_closed", "due_closed_on_time",
    "closure_rate", "on_time_closure_rate", "hazards_found", "hazards_closed", "hazards_on_time",
    "people_hired", "loan_cny", "hazards_rectified",
)  # fmt: skip

ALL_GRIDS = "SELECT g.id AS grid_id FROM grid g"


def grid_list_sql(kind: AreaKind | None) -> str:
    under = ALL_GRIDS if kind is None else grids_under(kind, "CAST(%(ids)s AS bigint[])")
    return f"""SELECT g.id, g.code, g.name, z.code AS zone_code
        FROM grid g JOIN zone z ON z.id = g.zone_id
        WHERE g.id IN (SELECT grid_id FROM ({under}) s) ORDER BY g.code"""


@dataclass(frozen=True)
class StatsOptions:
    area: tuple[AreaKind, str] | None
    first: date | None
    last: date | None
    clock: Clock
    lang: Language = "zh"

    def period(self) -> Period:
        today = self.clock.today
        last = self.last or today
        first = self.first or last - timedelta(days=DEFAULT_DAYS - 1)
        return Period(first, last, self.clock.timezone, today)


@dataclass(frozen=True)
class Figures:
    visits: VisitFigures
    issues: IssueFigures
    outcomes: OutcomeFigures


@dataclass(frozen=True)
class GridFigures:
    zone_code: str
    code: str
    name: str
    figures: Figures


@dataclass(frozen=True)
class Report:
    area: AreaRecord | None
    period: Period
    total: Figures
    grids: tuple[GridFigures, ...]


def figures(conn: Connection, period: Period, scope: stats.Scope) -> Figures:
    return Figures(
        stats.visit_figures(conn, period, scope),
        stats.issue_figures(conn, period, scope),
        stats.outcome_figures(conn, period, scope),
    )


def collect(conn: Connection, options: StatsOptions) -> Report:
    area = area_by_code(conn, *options.area) if options.area else None
    period = options.period()
    scope = stats.Scope(area.kind, area.id) if area else stats.Scope()
    listed = rows_of(conn, grid_list_sql(area.kind if area else None), {"ids": [area and area.id]})
    grids = tuple(
        GridFigures(row.zone_code, row.code, row.name,
                    figures(conn, period, stats.Scope("grid", row.id)))
        for row in listed
    )  # fmt: skip
    return Report(area, period, figures(conn, period, scope), grids)


def rate(part: int, whole: int) -> Rate | None:
    """part ÷ whole as `stats` divides it: null (an empty cell) when nothing is due."""
    found = stats.share(part, whole)
    return None if found is None else Rate(found)


def maybe(value: float | None) -> float | None:
    return None if value is None else float(value)


def category_row(counts: IssueCounts, lang: Language) -> list[Any]:
    name = (
        labels.value(counts.category, lang, "category")
        if counts.category
        else labels.header("total", lang)
    )
    return [
        name, counts.reported, counts.closed, counts.closed_on_time, counts.rejected,
        counts.open, counts.overdue, counts.due, counts.due_closed, counts.due_closed_on_time,
        rate(counts.due_closed, counts.due), rate(counts.due_closed_on_time, counts.due),
        maybe(counts.mean_days_to_close), maybe(counts.p90_days_to_close),
    ]  # fmt: skip


def grid_row(zone: str | None, code: str | None, name: str, found: Figures) -> list[Any]:
    total, hazards = found.issues.total, found.issues.of(HAZARD)
    return [
        zone, code, name, found.visits.enterprises, found.visits.visits, found.visits.visited,
        total.reported, total.closed, total.open, total.overdue, total.due, total.due_closed,
        total.due_closed_on_time, rate(total.due_closed, total.due),
        rate(total.due_closed_on_time, total.due), hazards.reported, hazards.closed,
        hazards.closed_on_time, found.outcomes.people_hired, Amount(found.outcomes.loan_cny),
        found.outcomes.hazards_rectified,
    ]  # fmt: skip


def area_name(report: Report, lang: Language) -> str:
    if report.area is None:
        return labels.header("everything", lang)
    return f"{report.area.name} ({report.area.code})"


def summary_rows(report: Report, lang: Language) -> list[list[Any]]:
    period, found = report.period, report.total
    visits, total, outcomes = found.visits, found.issues.total, found.outcomes
    hazards = found.issues.of(HAZARD)
    values: list[tuple[str, Any]] = [
        ("area", area_name(report, lang)),
        ("period", f"{period.first.isoformat()} – {period.last.isoformat()}"),
        ("timezone", period.timezone),
        ("enterprises", visits.enterprises), ("visits", visits.visits),
        ("enterprises_visited", visits.visited),
        ("enterprises_not_visited", visits.enterprises - visits.visited),
        ("months", visits.months), ("enterprises_visited_monthly", visits.visited_monthly),
        ("monthly_visited_share", rate(visits.visited_monthly, visits.enterprises)),
        ("reported", total.reported), ("closed", total.closed),
        ("closed_on_time", total.closed_on_time), ("rejected", total.rejected),
        ("open", total.open), ("overdue_count", total.overdue), ("due", total.due),
        ("due_closed", total.due_closed), ("due_closed_on_time", total.due_closed_on_time),
        ("closure_rate", rate(total.due_closed, total.due)),
        ("on_time_closure_rate", rate(total.due_closed_on_time, total.due)),
        ("mean_days_to_close", maybe(total.mean_days_to_close)),
        ("p90_days_to_close", maybe(total.p90_days_to_close)),
        ("hazards_found", hazards.reported), ("hazards_closed", hazards.closed),
        ("hazards_on_time", hazards.closed_on_time),
        ("recruited_enterprises", outcomes.recruited_enterprises),
        ("people_hired", outcomes.people_hired),
        ("financed_enterprises", outcomes.financed_enterprises),
        ("loan_cny", Amount(outcomes.loan_cny)),
        ("hazards_rectified", outcomes.hazards_rectified),
    ]  # fmt: skip
    return [[labels.header(key, lang), value] for key, value in values]


def write(report: Report, path: Path, lang: Language) -> None:
    summary, by_category, by_grid = SHEETS[lang]
    issues = report.total.issues
    categories = [category_row(c, lang) for c in (*issues.by_category, issues.total)]
    grids = [grid_row(g.zone_code, g.code, g.name, g.figures) for g in report.grids]
    grids.append(grid_row(None, None, labels.header("total", lang), report.total))
    write_tables(path, [
        Table(summary, labels.headers(("item", "value"), lang), summary_rows(report, lang)),
        Table(by_category, labels.headers(CATEGORY_KEYS, lang), categories),
        Table(by_grid, labels.headers(GRID_KEYS, lang), grids),
    ])  # fmt: skip


def stats_export(options: StatsOptions) -> Export[Report]:
    return Export(
        collect=lambda conn: collect(conn, options),
        write=lambda report, path: write(report, path, options.lang),
        filename="stats.xlsx",
        media_type=XLSX,
    )
