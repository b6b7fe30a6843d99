"""The audit trail: who changed what and when, read from the append-only event log.

Each row is one event with the cadre who acted, the token that made the request (the event
log names it: migration 0004), the record changed, the enterprise it belongs to, and the
values before and after. Filters narrow it by cadre, token, enterprise and period (whole
days of the park's calendar). Written as the exports write tables: an XLSX sheet (typed
cells, park time) or CSV (UTF-8 with a byte-order mark, so office software reads it)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy.engine import Connection

from resolvers.exports.base import Clock, rows_of
from resolvers.exports.workbook import Table, write_tables

HEADERS = ("event", "time", "cadre", "cadre name", "token", "token label", "token role",
           "action", "subject", "subject id", "enterprise", "enterprise name", "changes",
           "note")  # fmt: skip
LISTING = """
SELECT v.id, v.occurred_at, v.actor_id, c.name AS cadre_name, v.token_id, t.label, t.role,
       v.action, v.subject, v.subject_id, e.uscc, e.name AS enterprise_name, v.changes, v.note
FROM public.event v
LEFT JOIN public.cadre c ON c.id = v.actor_id
LEFT JOIN public.api_token t ON t.id = v.token_id
LEFT JOIN public.enterprise e ON e.id = v.enterprise_id
WHERE (CAST(%(cadre)s AS bigint) IS NULL OR v.actor_id = %(cadre)s)
  AND (CAST(%(token)s AS bigint) IS NULL OR v.token_id = %(token)s)
  AND (CAST(%(enterprise)s AS text) IS NULL OR e.uscc = %(enterprise)s)
  AND (CAST(%(since)s AS timestamptz) IS NULL OR v.occurred_at >= %(since)s)
  AND (CAST(%(until)s AS timestamptz) IS NULL OR v.occurred_at < %(until)s)
ORDER BY v.id"""


@dataclass(frozen=True)
class AuditFilter:
    cadre: int | None = None
    token: int | None = None
    enterprise: str | None = None
    """The enterprise's unified social credit code."""
    since: date | None = None
    until: date | None = None
    """The last day included."""

    def params(self, timezone: str) -> dict[str, Any]:
        zone = ZoneInfo(timezone)

        def midnight(day: date | None) -> datetime | None:
            return datetime.combine(day, time(), tzinfo=zone) if day else None

        until = midnight(self.until + timedelta(days=1)) if self.until else None
        return {"cadre": self.cadre, "token": self.token, "enterprise": self.enterprise,
                "since": midnight(self.since), "until": until}  # fmt: skip


def audit_table(conn: Connection, given: AuditFilter, clock: Clock) -> Table:
    rows = rows_of(conn, LISTING, given.params(clock.timezone))
    values = [
        (r.id, clock.local(r.occurred_at), r.actor_id, r.cadre_name, r.token_id, r.label, r.role,
         r.action, r.subject, r.subject_id, r.uscc, r.enterprise_name,
         orjson.dumps(r.changes, option=orjson.OPT_SORT_KEYS).decode() if r.changes else None,
         r.note)
        for r in rows
    ]  # fmt: skip
    return Table("audit", HEADERS, values)


def write_csv(table: Table, path: Path) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(table.headers)
        for row in table.rows:
            writer.writerow(["" if v is None else shown(v) for v in row])


def shown(value: Any) -> Any:
    return value.isoformat(sep=" ", timespec="seconds") if isinstance(value, datetime) else value


def write_audit(table: Table, path: Path) -> None:
    """XLSX or CSV, by the file's suffix."""
    if path.suffix.lower() == ".csv":
        write_csv(table, path)
    else:
        write_tables(path, [table])


def printed(table: Table) -> list[str]:
    """Tab-separated lines with a header line, as `token list` prints."""
    lines = ["\t".join(table.headers)]
    for row in table.rows:
        cells = ["-" if v is None else str(shown(v)).replace("\t", " ").replace("\n", " ")
                 for v in row]  # fmt: skip
        lines.append("\t".join(cells))
    return lines
