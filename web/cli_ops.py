"""`parkgrid audit` (who changed what and when) and `parkgrid db slow` (the slowest
statements, from pg_stat_statements)."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy.exc
from sqlalchemy import text

from parkgrid.db import one_off
from parkgrid.settings import ApiSettings, DatabaseSettings

SLOWEST = """
SELECT s.calls, s.mean_exec_time, s.total_exec_time, s.rows,
       regexp_replace(s.query, '\\s+', ' ', 'g') AS query
FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
WHERE d.datname = current_database()
ORDER BY CASE WHEN :by = 'total' THEN s.total_exec_time ELSE s.mean_exec_time END DESC
LIMIT :most"""
MISSING = ("42P01", "55000")
"""No such relation (the extension is not created here), or not loaded at server start."""
SLOW_HEADER = ("calls", "mean ms", "total ms", "rows", "statement")
NO_EXTENSION = (
    "pg_stat_statements is not available: on the private cluster run `parkgrid db down` and"
    " `parkgrid db up` (it is loaded at start) and `parkgrid migrate`; on another server add it"
    " to shared_preload_libraries, restart, and CREATE EXTENSION pg_stat_statements"
)


def cmd_db_slow(args: argparse.Namespace) -> int:
    try:
        with one_off(DatabaseSettings().resolved_url(), write=False) as conn:
            rows = conn.execute(text(SLOWEST), {"by": args.by, "most": args.limit}).all()
    except sqlalchemy.exc.DBAPIError as error:
        if getattr(error.orig, "pgcode", None) not in MISSING:
            raise
        print(f"parkgrid: db slow: {NO_EXTENSION}", file=sys.stderr)
        return 2
    print("\t".join(SLOW_HEADER))
    for row in rows:
        cells = (row.calls, f"{row.mean_exec_time:.2f}", f"{row.total_exec_time:.1f}", row.rows,
                 row.query[: args.width])  # fmt: skip
        print("\t".join(str(cell) for cell in cells))
    return 0


def day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a day as YYYY-MM-DD: {value!r}") from None


def cmd_audit(args: argparse.Namespace) -> int:
    """The events the filters select: printed, or written to --out (CSV or XLSX)."""
    from resolvers.exports.audit import AuditFilter, audit_table, printed, write_audit
    from resolvers.exports.base import Clock

    target = Path(args.out) if args.out else None
    if target is not None and target.suffix.lower() not in (".csv", ".xlsx"):
        print("parkgrid: audit: --out: name a .csv or .xlsx file", file=sys.stderr)
        return 2
    if target is not None and not target.parent.is_dir():
        print(f"parkgrid: audit: --out: no folder {target.parent}", file=sys.stderr)
        return 2
    given = AuditFilter(args.cadre, args.token, args.enterprise, args.since, args.until)
    clock = Clock(ApiSettings().timezone, datetime.now(UTC))
    with one_off(DatabaseSettings().resolved_url(), write=False) as conn:
        table = audit_table(conn, given, clock)
    if target is None:
        print("\n".join(printed(table)))
    else:
        write_audit(table, target)
        print(f"{len(table.rows)} events written to {target}")
    return 0


def add_audit(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    audit = commands.add_parser("audit", help="who changed what and when (the event log)")
    audit.add_argument("--cadre", type=int, help="events of the cadre with this id")
    audit.add_argument("--token", type=int, help="events of requests made with this token id")
    audit.add_argument("--enterprise", help="events of the enterprise with this credit code")
    audit.add_argument("--since", type=day, help="from this day (park time), YYYY-MM-DD")
    audit.add_argument("--until", type=day, help="to this day, included")
    audit.add_argument("--out", metavar="FILE", help="write FILE.csv or FILE.xlsx instead")
    audit.set_defaults(handler=cmd_audit)


def add_slow(db: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    slow = db.add_parser("slow", help="the slowest statements (pg_stat_statements)")
    slow.add_argument("--by", choices=["mean", "total"], default="mean")
    slow.add_argument("--limit", type=int, default=20)
    slow.add_argument("--width", type=int, default=200, help="characters of each statement")
    slow.set_defaults(handler=cmd_db_slow)
