"""The coverage report's lists as a workbook, one sheet per list, for the office that fills
the holes: the report is the `coverage` field's own (resolvers.reads.coverage.report, its
queries and records), written out as tables instead of GeoJSON; geometries become a point's
longitude and latitude, or an area in m²."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Connection

from resolvers.exports import labels
from resolvers.exports.base import XLSX, Clock, Export, Language
from resolvers.exports.workbook import Rate, Table, write_tables
from resolvers.reads import coverage
from resolvers.reads.coverage import CoverageReport, Firm, Load, NamedArea, Remainder

FIRM_KEYS = ("uscc", "enterprise", "grid_code", "lon", "lat")
AREA_KEYS = ("code", "name")
REMAINDER_KEYS = ("code", "within", "area_m2")
LOAD_KEYS = ("cadre_id", "cadre", "enterprises")
HAZARD_KEYS = ("issue_id", "title", "severity", "status", "due_date", "days_overdue",
               "uscc", "enterprise", "grid_code")  # fmt: skip
COUNT_KEYS = (
    *coverage.Counts.__dataclass_fields__, "with_party_organisation", "visited_share",
    "party_organisation_share", "policy_liaison_share",
)  # fmt: skip
SHARES = {"visited_share", "party_organisation_share", "policy_liaison_share"}


@dataclass(frozen=True)
class CoverageOptions:
    park: str
    zone: str | None
    thresholds: coverage.Thresholds
    clock: Clock
    lang: Language = "zh"


def firm_row(firm: Firm) -> list[Any]:
    lon, lat = firm.location["coordinates"][:2]
    return [firm.uscc, firm.name, firm.grid_code, float(lon), float(lat)]


def area_row(area: NamedArea) -> list[Any]:
    return [area.code, area.name]


def remainder_row(found: Remainder) -> list[Any]:
    return [found.code, found.within, found.area_m2]


def load_row(load: Load) -> list[Any]:
    return [load.cadre_id, load.name, load.enterprises]


def count_values(columns: dict[str, Any]) -> list[Any]:
    return [Rate(columns[k]) if k in SHARES and columns[k] is not None else columns[k]
            for k in COUNT_KEYS]  # fmt: skip


Sheet = tuple[str, str, tuple[str, ...], Callable[[CoverageReport, Clock], list[list[Any]]]]
"""Chinese name, English name, column keys, and the rows of the report."""

SHEETS: list[Sheet] = [
    ("网格覆盖", "grids", ("code", "name", "zone_code", "has_lead", *COUNT_KEYS),
     lambda r, c: [[g.code, g.name, g.zone_code, g.has_lead, *count_values(g.counts.columns())]
                   for g in r.grids]),
    ("无负责人片区", "zones-without-lead", AREA_KEYS,
     lambda r, c: [area_row(a) for a in r.zones_without_lead]),
    ("无负责人网格", "grids-without-lead", AREA_KEYS,
     lambda r, c: [area_row(a) for a in r.grids_without_lead]),
    ("无联点干部企业", "enterprises-without-liaison", FIRM_KEYS,
     lambda r, c: [firm_row(f) for f in r.enterprises_without_liaison]),
    ("网格外企业", "enterprises-outside-grids", FIRM_KEYS,
     lambda r, c: [firm_row(f) for f in r.enterprises_outside_grids]),
    ("边界上企业", "enterprises-on-boundary", (*FIRM_KEYS, "grid_codes"),
     lambda r, c: [[*firm_row(f), ", ".join(f.grid_codes)] for f in r.enterprises_on_boundary]),
    ("网格重叠", "overlaps", ("first", "second", "area_m2"),
     lambda r, c: [[o.first, o.second, o.area_m2] for o in r.overlaps]),
    ("片区空隙", "gaps", REMAINDER_KEYS, lambda r, c: [remainder_row(g) for g in r.gaps]),
    ("超出片区的网格", "grids-outside-zone", REMAINDER_KEYS,
     lambda r, c: [remainder_row(g) for g in r.grids_outside_zone]),
    ("超出园区的片区", "zones-outside-park", REMAINDER_KEYS,
     lambda r, c: [remainder_row(z) for z in r.zones_outside_park]),
    ("联点干部工作量", "liaison-loads", LOAD_KEYS,
     lambda r, c: [load_row(x) for x in r.liaison_loads]),
    ("网格负责人工作量", "grid-lead-loads", LOAD_KEYS,
     lambda r, c: [load_row(x) for x in r.grid_lead_loads]),
    ("联点过多", "overloaded", LOAD_KEYS, lambda r, c: [load_row(x) for x in r.overloaded]),
    ("联点过少", "underloaded", LOAD_KEYS, lambda r, c: [load_row(x) for x in r.underloaded]),
    ("未走访企业", "not-visited", (*FIRM_KEYS, "last_visit"),
     lambda r, c: [[*firm_row(f), c.local(f.last_visit)] for f in r.not_visited]),
    ("逾期隐患", "overdue-hazards", HAZARD_KEYS,
     lambda r, c: [[h.issue_id, h.title, h.severity, h.status, h.due_date, h.days_overdue,
                    h.enterprise.uscc, h.enterprise.name, h.enterprise.grid_code]
                   for h in r.overdue_hazards]),
]  # fmt: skip


def collect(conn: Connection, options: CoverageOptions) -> CoverageReport:
    clock = options.clock
    return coverage.report(
        conn, options.park, options.zone, clock.now, clock.today, options.thresholds
    )


def translated(rows: list[list[Any]], keys: tuple[str, ...], lang: Language) -> list[list[Any]]:
    """Flags as words and vocabulary values in the language."""
    words = {"has_lead", "severity", "status"}
    positions = [(n, key) for n, key in enumerate(keys) if key in words]
    for row in rows:
        for n, key in positions:
            given = row[n]
            flag = isinstance(given, bool)
            row[n] = labels.yes_no(given, lang) if flag else labels.value(given, lang, key)
    return rows


def totals_table(report: CoverageReport, lang: Language) -> Table:
    totals = report.totals
    items = {"zones": totals.zones, "grids": totals.grids, **totals.counts.columns()}
    rows = [[labels.header(k, lang), Rate(v) if k in SHARES and v is not None else v]
            for k, v in items.items()]  # fmt: skip
    return Table(
        "汇总" if lang == "zh" else "totals", labels.headers(("item", "value"), lang), rows
    )


def write(report: CoverageReport, path: Path, options: CoverageOptions) -> None:
    lang = options.lang
    tables = [totals_table(report, lang)]
    for zh, en, keys, rows in SHEETS:
        found = translated(rows(report, options.clock), keys, lang)
        tables.append(Table(zh if lang == "zh" else en, labels.headers(keys, lang), found))
    write_tables(path, tables)


def coverage_export(options: CoverageOptions) -> Export[CoverageReport]:
    stem = options.zone or options.park
    return Export(
        collect=lambda conn: collect(conn, options),
        write=lambda report, path: write(report, path, options),
        filename=f"coverage-{stem}.xlsx",
        media_type=XLSX,
    )
