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
from resolvers.reads import facts
from resolvers.reads.compiler import Compiler
from resolvers.records import AreaKind

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

FROM = "FROM issue i JOIN enterprise e ON e.id = i.enterprise_id"
"""The rows the `issues` query reads, which its filter's conditions name."""
OF_ISSUE = [
    ("uscc", "enterprise.uscc"), ("enterprise", "enterprise.name"),
    ("zone_code", "enterprise.zone.code"), ("zone_name", "enterprise.zone.name"),
    ("grid_code", "enterprise.grid.code"), ("grid_name", "enterprise.grid.name"),
]  # fmt: skip
"""What a row says of the issue's enterprise and areas: the API's fields (Issue.enterprise
...), read through resolvers.reads.facts."""


def park_day(column: str, tz: str) -> str:
    return f"CAST(({column} AT TIME ZONE {tz}) AS date)"


def issues_sql(c: Compiler, conditions: str, tz: str) -> str:
    """Every issue the filter keeps, with what the sheet shows; the last event by time."""
    today = c.bind(c.today, "date")
    ended = (
        f"coalesce({park_day('i.closed_at', tz)}, CASE WHEN i.status = 'rejected'"
        f" THEN {park_day('i.updated_at', tz)} END, {today})"
    )
    shown = [*OF_ISSUE, ("reporter", "reporter.name"), ("assignee", "assignee.name"),
             ("overdue", "overdue")]  # fmt: skip
    return f"""
    SELECT i.id, i.category, i.title, i.description, i.status, i.severity, i.responsible_unit,
        i.reported_at, i.due_date, i.closed_at, {facts.selected(c, "Issue", "i", shown)},
        {ended} - {park_day("i.reported_at", tz)} AS days_open,
        le.action AS last_action, le.occurred_at AS last_at, le.note AS last_note,
        {facts.selected(c, "Event", "le", [("last_actor", "actor.name")])}
    {FROM}
    LEFT JOIN LATERAL (SELECT v.* FROM event v
        WHERE v.subject = 'issue' AND v.subject_id = i.id
        ORDER BY v.occurred_at DESC, v.id DESC LIMIT 1) le ON true
    WHERE {conditions}
    ORDER BY i.id DESC"""


def events_sql(c: Compiler, conditions: str) -> str:
    return f"""
    SELECT v.subject_id AS issue_id, {facts.selected(c, "Issue", "i", OF_ISSUE[:2])},
        v.occurred_at, v.action, {facts.selected(c, "Event", "v", [("actor", "actor.name")])},
        v.changes, v.note
    {FROM}
    JOIN event v ON v.subject = 'issue' AND v.subject_id = i.id
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
    c = facts.compiler(options.clock.today, options.clock.now)
    conditions = options.filter.where(c.bind).text()
    tz = c.bind(options.clock.timezone, "text")
    issues = rows_of(conn, issues_sql(c, conditions, tz), c.bind.params)
    c = facts.compiler(options.clock.today, options.clock.now)
    events = rows_of(conn, events_sql(c, options.filter.where(c.bind).text()), c.bind.params)
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
