"""`parkgrid export`: the exports of `/export/…` written to a file from the command line.

An operator with the database's address exports as admin; `--token` exports as that token's
caller instead (checked like a request's bearer token), so a file made for a cadre holds what
the cadre may see. The options have the names of the HTTP parameters (`--from`, `--status`,
`--min-gap-sq-m` for `minGapSqM`) and are checked by the same code. The file is written beside
FILE and renamed over it only when complete."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from parkgrid.errors import InvalidInput, ParkgridError
from parkgrid.settings import ApiSettings, DatabaseSettings

if TYPE_CHECKING:  # the exports (GDAL, numpy) load when an export runs, not with every command
    from sqlalchemy.engine import Connection

    from resolvers.exports.base import Clock, Export

    Commands = argparse._SubParsersAction[argparse.ArgumentParser]

SUFFIXES = {".gpkg": "gpkg", ".geojson": "geojson", ".json": "geojson", ".kml": "kml",
            ".csv": "csv", ".xlsx": "xlsx", ".zip": "shp"}  # fmt: skip
"""The format a FILE's suffix names, when --format is not given."""
THRESHOLDS = {
    "--min-gap-sq-m": "minGapSqM", "--max-per-liaison": "maxPerLiaison",
    "--min-per-liaison": "minPerLiaison", "--service-days": "serviceDays",
}  # fmt: skip
SKIPPED = {"command", "handler", "what", "file", "token", "format", "park_code"}


@contextmanager
def scoped(token: str | None, now: datetime) -> Iterator[Connection]:
    """A read-only connection through the scoped views, as admin or as the token's caller."""
    from parkgrid.auth.principal import Principal, authenticate
    from parkgrid.db import apply_scope, create_db_engine

    engine = create_db_engine(DatabaseSettings())
    try:
        with engine.connect() as conn:
            if token is None:
                apply_scope(conn, Principal(kind="admin").settings())
            else:
                authenticate(conn, f"Bearer {token}", now)
            try:
                yield conn
            finally:
                conn.rollback()
    finally:
        engine.dispose()


def options_of(args: argparse.Namespace) -> dict[str, list[str]]:
    """The command line's options as the HTTP parameters they stand for."""
    found: dict[str, list[str]] = {}
    for name, value in vars(args).items():
        if name in SKIPPED or value is None:
            continue
        found[name] = [str(v) for v in value] if isinstance(value, list) else [str(value)]
    return found


def chosen_export(args: argparse.Namespace, clock: Clock) -> Export[Any]:
    from resolvers.exports import given
    from resolvers.exports.coverage import coverage_export
    from resolvers.exports.ledger import ledger_export
    from resolvers.exports.notice import notice_export
    from resolvers.exports.stats import stats_export
    from resolvers.exports.vector import register_export, zipped

    options = options_of(args)
    if args.what == "ledger":
        return ledger_export(given.ledger_options(options, clock))
    if args.what == "stats":
        return stats_export(given.stats_options(options, clock))
    if args.what == "coverage":
        return coverage_export(given.coverage_options(args.park_code, options, clock))
    suffix = Path(args.file).suffix.lower()
    if args.what == "recruitment":
        chosen_format = SUFFIXES.get(suffix, suffix.lstrip("."))
        return notice_export(given.notice_options(options, chosen_format, clock))
    format_name = args.format or SUFFIXES.get(suffix, suffix.lstrip("."))
    chosen, format_, target = given.register_options(options, format_name, clock.now)
    if zipped(format_, len(chosen.layers)) != (suffix == ".zip"):
        wanted = "a .zip" if zipped(format_, len(chosen.layers)) else f"a .{format_.extension}"
        raise InvalidInput(f"this export is {wanted} file; name FILE so", field="file")
    return register_export(chosen, format_, target)


def cmd_export(args: argparse.Namespace) -> int:
    from resolvers.exports.base import Clock

    clock = Clock(ApiSettings().timezone, datetime.now(UTC))
    target = Path(args.file)
    partial = target.with_name(f".{target.stem}.partial{target.suffix}")
    try:
        export = chosen_export(args, clock)
        with scoped(args.token, clock.now) as conn:
            found = export.collect(conn)
        export.write(found, partial)
        os.replace(partial, target)
    except ParkgridError as refused:
        where = f"{refused.field}: " if refused.field else ""
        print(f"parkgrid: export: {where}{refused.message}", file=sys.stderr)
        return 2
    finally:
        partial.unlink(missing_ok=True)
    print(f"{args.what} exported to {target}")
    return 0


def add_common(parser: argparse.ArgumentParser, lang: bool = True) -> None:
    parser.add_argument("--token", help="export as this token's caller (default: as admin)")
    if lang:
        parser.add_argument("--lang", choices=["zh", "en"], help="headers' language (zh)")


def add_area(parser: argparse.ArgumentParser, *kinds: str) -> None:
    for kind in kinds:
        parser.add_argument(f"--{kind}", help=f"the {kind}'s code")


def add_period(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", help="first day, YYYY-MM-DD (park time zone)")
    parser.add_argument("--to", help="last day, YYYY-MM-DD")


def subcommand(exports: Commands, name: str, text: str) -> argparse.ArgumentParser:
    parser = exports.add_parser(name, help=text)
    parser.set_defaults(handler=cmd_export, what=name)
    return parser


def add_exports(commands: Commands) -> None:
    exports = commands.add_parser("export", help="write a file").add_subparsers(required=True)
    ledger = subcommand(exports, "ledger", "the issue ledger as XLSX")
    ledger.add_argument("file")
    add_area(ledger, "park", "zone", "grid")
    ledger.add_argument("--status", action="append", help="repeat or comma-separate")
    ledger.add_argument("--category", action="append", help="repeat or comma-separate")
    ledger.add_argument("--overdue", choices=["true", "false"])
    add_period(ledger)
    add_common(ledger)
    stats = subcommand(exports, "stats", "the statistics of a period as XLSX")
    stats.add_argument("file")
    add_area(stats, "park", "zone", "grid")
    add_period(stats)
    stats.add_argument("--month", help="a calendar month, YYYY-MM (instead of --from/--to)")
    add_common(stats)
    register = subcommand(exports, "register", "zones, grids and enterprises as a GIS file")
    register.add_argument("file")
    register.add_argument(
        "--format", help="gpkg, shp, geojson, kml, csv or xlsx (default: FILE's suffix)"
    )
    add_area(register, "park")
    register.add_argument(
        "--layer", action="append", help="parks, zones, grids, enterprises, lines"
    )
    register.add_argument("--crs", help="EPSG:4490, EPSG:4547, gcj02, bd09 (default EPSG:4326)")
    add_common(register, lang=False)
    notice = subcommand(exports, "recruitment", "a month's recruitment notice as XLSX or CSV")
    notice.add_argument("file", help="FILE.xlsx or FILE.csv")
    notice.add_argument("--month", required=True, help="the month, YYYY-MM")
    add_area(notice, "park")
    add_common(notice)
    coverage = subcommand(exports, "coverage", "the coverage report's lists as XLSX")
    coverage.add_argument("park_code", metavar="park")
    coverage.add_argument("file")
    add_area(coverage, "zone")
    for flag, name in THRESHOLDS.items():
        coverage.add_argument(flag, dest=name)
    add_common(coverage)
