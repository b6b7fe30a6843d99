"""The ledger (问题台账) as a workbook: one row per issue with its enterprise, grid, zone,
people, dates, days open, overdue flag and last event, and a second sheet with every event.

The rows are those the `issues` query lists for the same filter (resolvers.filters.IssueFilter,
the one conversion both read paths use), newest first, read through the caller's scoped
views: a field the caller may not read (a description outside their grids, an event's note)
is empty here as it is null there. "Overdue" is the API's rule (open, and due before today
in the park's time zone)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from sqlalchemy.engine import Connection

from resolvers.exports import labels
from resolvers.exports.base import XLSX, Clock, Export, Language, rows_of
from resolvers.exports.options import area_by_code
from resolvers.exports.workbook import Table, write_tables
from resolvers.filters import IssueFilter
from resolvers.reads.sql import Binder
from resolvers.records import AreaKind
from resolvers.scope import is_open, overdue

ISSUE_KEYS = (
    "id", "uscc", "enterprise", "zone_code", "zone_name", "grid_code", "grid_name",
    "category", "title", "description", "status", "severity", "reporter", "assignee",
    "responsible_unit", "reported_at", "due_date", "closed_at", "days_open", "overdue",
    "last_action", "last_at", "last_actor", "last_note",
)  # fmt: skip
EVENT_KEYS = (
    "issue_id", "uscc", "enterprise", "occurred_at", "action", "actor", "changes", "note",
)  # fmt: skip
SHEETS = {"zh": ("问题台账", "处理过程"), "en": ("issues", "events")}

FROM = """FROM issue i JOIN enterprise e ON e.id = i.enterprise_id
    LEFT JOIN grid g ON g.id = e.grid_id LEFT JOIN zone z ON z.id = g.zone_id"""


def park_day(column: str, tz: str) -> str:
    return f"CAST(({column} AT TIME ZONE {tz}) AS date)"


def issues_sql(conditions: str, tz: str, today: str) -> str:
    """Every issue the filter keeps, with what the sheet shows; the last event by time."""
    ended = (
        f"coalesce({park_day('i.closed_at', tz)}, CASE WHEN i.status = 'rejected'"
        f" THEN {park_day('i.updated_at', tz)} END, {today})"
    )
    return f"""
    SELECT i.id, e.uscc, e.name AS enterprise, z.code AS zone_code, z.name AS zone_name,
        g.code AS grid_code, g.name AS grid_name, i.category, i.title, i.description,
        i.status, i.severity, r.name AS reporter, a.name AS assignee, i.responsible_unit,
        i.reported_at, i.due_date, i.closed_at,
        {ended} - {park_day("i.reported_at", tz)} AS days_open,
        ({is_open("i")} AND {overdue("i", today)}) AS overdue,
        le.action AS last_action, le.occurred_at AS last_at, la.name AS last_actor,
        le.note AS last_note
    {FROM}
    LEFT JOIN cadre r ON r.id = i.reporter_id LEFT JOIN cadre a ON a.id = i.assignee_id
    LEFT JOIN LATERAL (SELECT v.action, v.occurred_at, v.actor_id, v.note FROM event v
        WHERE v.subject = 'issue' AND v.subject_id = i.id
        ORDER BY v.occurred_at DESC, v.id DESC LIMIT 1) le ON true
    LEFT JOIN cadre la ON la.id = le.actor_id
    WHERE {conditions}
    ORDER BY i.id DESC"""


def events_sql(conditions: str) -> str:
    return f"""
    SELECT v.subject_id AS issue_id, e.uscc, e.name AS enterprise, v.occurred_at, v.action,
        c.name AS actor, v.changes, v.note
    {FROM}
    JOIN event v ON v.subject = 'issue' AND v.subject_id = i.id
    LEFT JOIN cadre c ON c.id = v.actor_id
    WHERE {conditions}
    ORDER BY i.id DESC, v.occurred_at, v.id"""


@dataclass(frozen=True)
class LedgerOptions:
    filter: IssueFilter
    clock: Clock
    lang: Language = "zh"


@dataclass(frozen=True)
class Ledger:
    issues: list[Any]
    events: list[Any]


def collect(conn: Connection, options: LedgerOptions) -> Ledger:
    for kind, code in options.filter.area_codes().items():
        if code is not None:
            area_by_code(conn, cast(AreaKind, kind), code)  # NOT_FOUND for an unknown code
    bind = Binder()
    conditions = options.filter.where(bind).text()
    tz, today = bind(options.clock.timezone, "text"), bind(options.clock.today, "date")
    issues = rows_of(conn, issues_sql(conditions, tz, today), bind.params)
    bind = Binder()
    events = rows_of(conn, events_sql(options.filter.where(bind).text()), bind.params)
    return Ledger(issues, events)


def change_text(changes: dict[str, Any] | None, lang: Language) -> str | None:
    """`status: 已受理 → 办理中; due_date: … → …`; None when the caller may not read them."""
    if changes is None:
        return None
    parts = []
    for key, pair in changes.items():
        if isinstance(pair, list) and len(pair) == 2:
            before, after = (shown(key, side, lang) for side in pair)
            parts.append(f"{key}: {before} → {after}")
        else:
            parts.append(f"{key}: {pair}")
    return "; ".join(parts)


def shown(key: str, value: Any, lang: Language) -> str:
    if value is None:
        return "—"
    if key in ("status", "category", "severity") and isinstance(value, str):
        return labels.value(value, lang, key) or value
    return str(value)


def issue_row(row: Any, options: LedgerOptions) -> list[Any]:
    lang, local = options.lang, options.clock.local

    def word(vocabulary: str) -> str | None:
        stored = getattr(row, "last_action" if vocabulary == "action" else vocabulary)
        return labels.value(stored, lang, vocabulary)

    return [
        row.id, row.uscc, row.enterprise, row.zone_code, row.zone_name, row.grid_code,
        row.grid_name, word("category"), row.title, row.description, word("status"),
        word("severity"), row.reporter, row.assignee, row.responsible_unit,
        local(row.reported_at), row.due_date, local(row.closed_at), row.days_open,
        labels.yes_no(row.overdue, lang), word("action"), local(row.last_at), row.last_actor,
        row.last_note,
    ]  # fmt: skip


def event_row(row: Any, options: LedgerOptions) -> list[Any]:
    lang = options.lang
    return [
        row.issue_id, row.uscc, row.enterprise, options.clock.local(row.occurred_at),
        labels.value(row.action, lang, "action"), row.actor, change_text(row.changes, lang),
        row.note,
    ]  # fmt: skip


def write(found: Ledger, path: Path, options: LedgerOptions) -> None:
    issues_name, events_name = SHEETS[options.lang]
    write_tables(path, [
        Table(issues_name, labels.headers(ISSUE_KEYS, options.lang),
              [issue_row(row, options) for row in found.issues]),
        Table(events_name, labels.headers(EVENT_KEYS, options.lang),
              [event_row(row, options) for row in found.events]),
    ])  # fmt: skip


def ledger_export(options: LedgerOptions) -> Export[Ledger]:
    return Export(
        collect=lambda conn: collect(conn, options),
        write=lambda found, path: write(found, path, options),
        filename="ledger.xlsx",
        media_type=XLSX,
    )
