"""The `parkgrid` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg2
import sqlalchemy.exc

from parkgrid import cluster
from parkgrid.auth.commands import add_tokens
from parkgrid.settings import ClusterSettings, DatabaseSettings, ServerSettings
from web.cli_cluster import add_cluster
from web.cli_exports import add_exports
from web.cli_ops import add_audit, add_slow
from web.cli_persisted import add_persisted
from web.cli_schema import add_schema

if TYPE_CHECKING:
    from parkgrid.importer.options import ReadOptions

Handler = Callable[[argparse.Namespace], int]
DATABASE_HINT = "is the private cluster up (`parkgrid db up`)? else check DATABASE_URL"


def database_url() -> str:
    return DatabaseSettings().resolved_url()


def cmd_db_up(_: argparse.Namespace) -> int:
    settings = DatabaseSettings()
    if settings.url:
        cluster.ensure_postgis_on_server(settings.resolved_url())
        cluster.ensure_database(settings.resolved_url())
        print("using DATABASE_URL")
        return 0
    url = cluster.up(ClusterSettings())
    print(f"private PostgreSQL cluster is up: {url}")
    return 0


def cmd_db_down(_: argparse.Namespace) -> int:
    stopped = cluster.down(ClusterSettings())
    print("private PostgreSQL cluster stopped" if stopped else "private cluster was not running")
    return 0


def cmd_stop(_: argparse.Namespace) -> int:
    from web.server import stop_server

    print("parkgrid server stopped" if stop_server() else "no parkgrid server was running")
    return cmd_db_down(_)


def cmd_db_url(_: argparse.Namespace) -> int:
    print(database_url())
    return 0


def cmd_migrate(_: argparse.Namespace) -> int:
    from parkgrid import migrate

    migrate.upgrade(database_url())
    print("database schema is at head")
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    from parkgrid.demo import seed_demo

    report = seed_demo(database_url(), only_if_empty=args.if_empty)
    print(report)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """Exit 0 when written (or, for a dry run, when it would be), 1 when refused; the report
    is written either way when asked for, since a refusal's rows are what needs fixing."""
    from parkgrid.importer import ImportRejected, ImportReport, import_file
    from parkgrid.importer.report import text_lines, write_xlsx

    target = Path(args.report) if args.report else None
    if target is not None and not target.parent.is_dir():  # found out before, not after
        print(f"parkgrid: import: --report: no folder {target.parent}", file=sys.stderr)
        return 2
    report: ImportReport
    try:
        report = import_file(
            database_url(), args.kind, Path(args.file), args.crs, args.allow_outside,
            dry_run=args.dry_run, options=read_options(args),
        )  # fmt: skip
    except ImportRejected as rejected:
        report = rejected.report or ImportReport(args.kind, 0, 0, 0, 0, dry_run=args.dry_run,
                                                 rejected=tuple(rejected.problems))  # fmt: skip
        if args.dry_run:
            print("\n".join(text_lines(report)))
        print(rejected.render(), file=sys.stderr)
    else:
        print("\n".join(text_lines(report)) if args.dry_run else report)
    if target is not None:
        try:
            write_xlsx(report, target)
        except OSError as exc:
            print(f"parkgrid: import: --report: {target}: {exc.strerror}", file=sys.stderr)
            return 2
    return 1 if report.rejected else 0


def read_options(args: argparse.Namespace) -> ReadOptions:
    """How to read the import's file; a malformed --columns is a usage error (exit 2)."""
    from parkgrid.importer.columns import SYNONYMS
    from parkgrid.importer.options import ReadOptions, parse_columns

    try:
        columns = parse_columns(args.columns, tuple(SYNONYMS)) if args.columns else {}
    except ValueError as exc:
        print(f"parkgrid: import: --columns: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc
    return ReadOptions(args.encoding, args.layer, args.sheet, columns, args.datum)


def reported(name: str, refusals: type[Exception], run: Callable[[], str]) -> int:
    """Print what `run` returns; a refusal is one line on stderr and exit status 2."""
    try:
        print(run())
    except refusals as refused:
        print(f"parkgrid: {name}: {refused}", file=sys.stderr)
        return 2
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    from parkgrid.generate import Plan, Refused, generate

    plan = Plan(args.parks, args.zones, args.grids, args.enterprises, args.seed)
    return reported("generate", Refused, lambda: generate(database_url(), plan))


def cmd_backup(args: argparse.Namespace) -> int:
    from parkgrid.backup import BackupError, backup

    return reported("backup", BackupError, lambda: backup(database_url(), Path(args.file)))


def cmd_restore(args: argparse.Namespace) -> int:
    from parkgrid.backup import BackupError, restore

    file, force = Path(args.file), args.force
    return reported("restore", BackupError, lambda: restore(database_url(), file, force=force))


def positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {number}")
    return number


def cmd_serve(args: argparse.Namespace) -> int:
    from web.server import serve

    serve(ServerSettings(), reload=args.reload)
    return 0


def add_db(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    db = commands.add_parser("db", help="the database server").add_subparsers(required=True)
    db.add_parser("up", help="start the private cluster (or check DATABASE_URL)").set_defaults(
        handler=cmd_db_up
    )
    db.add_parser("down", help="stop the private cluster").set_defaults(handler=cmd_db_down)
    db.add_parser("url", help="print the database URL in use").set_defaults(handler=cmd_db_url)
    add_slow(db)


def add_data(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    commands.add_parser("migrate", help="upgrade the schema to head").set_defaults(
        handler=cmd_migrate
    )
    seed = commands.add_parser("seed", help="load a data set")
    seed.add_argument("dataset", choices=["demo"])
    seed.add_argument("--if-empty", action="store_true", help="only when no park exists")
    seed.set_defaults(handler=cmd_seed)
    imp = commands.add_parser(
        "import", help="import a park office's file: GeoJSON, Shapefile, GeoPackage, KML/KMZ,"
        " FlatGeobuf, CSV or XLSX",
    )  # fmt: skip
    imp.add_argument("kind", choices=["parks", "zones", "grids", "enterprises"])
    imp.add_argument("file")
    imp.add_argument(
        "--crs", help="CRS of the coordinates (default: the file's crs member, else EPSG:4326)"
    )
    imp.add_argument(
        "--allow-outside", action="store_true",
        help="import features outside every park (enterprises) or leaking out of their park",
    )  # fmt: skip
    imp.add_argument(
        "--dry-run", action="store_true",
        help="check and print what would change (new, changed, unchanged, grid changes,"
        " rejected rows); write nothing",
    )  # fmt: skip
    imp.add_argument("--report", metavar="FILE.xlsx", help="write the report as a workbook")
    add_read_options(imp)
    imp.set_defaults(handler=cmd_import)
    gen = commands.add_parser("generate", help="stream a large synthetic province (benchmarks)")
    for name, default in (
        ("parks", 10),
        ("zones", 100),
        ("grids", 10_000),
        ("enterprises", 1_000_000),
    ):
        gen.add_argument(f"--{name}", type=positive, default=default)
    gen.add_argument("--seed", type=int, default=1)
    gen.set_defaults(handler=cmd_generate)
    backup = commands.add_parser("backup", help="dump the database to FILE (pg_dump, custom)")
    backup.add_argument("file")
    backup.set_defaults(handler=cmd_backup)
    restore = commands.add_parser("restore", help="replace the database with a backup")
    restore.add_argument("file")
    restore.add_argument(
        "--force", action="store_true", help="replace a database that holds data (kept aside)"
    )
    restore.set_defaults(handler=cmd_restore)


def add_read_options(imp: argparse.ArgumentParser) -> None:
    """How to read a park office's file (its format comes from the file itself)."""
    imp.add_argument("--encoding", help="of a CSV, or of a Shapefile with no .cpg (GBK, say)")
    imp.add_argument("--layer", help="of a GeoPackage, KML, or folder or zip of Shapefiles")
    imp.add_argument("--sheet", help="of an XLSX workbook holding several")
    imp.add_argument(
        "--columns", metavar="PROP=HEADER,...",
        help="columns the usual headers do not name (uscc=信用代码,lon=X), ignore=HEADER to"
        " leave one out, ignore=* to leave out every column not read",
    )  # fmt: skip
    imp.add_argument(
        "--datum", choices=["gcj02", "bd09"],
        help="longitude and latitude copied from Amap or Tencent (gcj02) or Baidu (bd09)",
    )  # fmt: skip


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="parkgrid", description=__doc__)
    commands = root.add_subparsers(required=True, metavar="command")
    add_db(commands)
    add_data(commands)
    add_tokens(commands)
    add_exports(commands)
    add_schema(commands)
    add_persisted(commands)
    add_audit(commands)
    add_cluster(commands)
    serve = commands.add_parser("serve", help="serve GraphQL on HOST:PORT")
    serve.add_argument("--reload", action="store_true")
    serve.set_defaults(handler=cmd_serve)
    commands.add_parser("stop", help="stop the server and the private cluster").set_defaults(
        handler=cmd_stop
    )
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except cluster.ClusterError as exc:
        print(f"parkgrid: {exc}", file=sys.stderr)
        return 2
    except (psycopg2.OperationalError, sqlalchemy.exc.OperationalError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        print(f"parkgrid: database: {reason} ({DATABASE_HINT})", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
