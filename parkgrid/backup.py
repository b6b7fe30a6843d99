"""`parkgrid backup FILE` and `parkgrid restore FILE`: the whole application database (every
schema, the PostGIS extension, the alembic version) in pg_dump's custom format.

A restore never writes into the database it replaces. It loads the archive into a new
database beside it and, only once that has fully succeeded, swaps the two names in one
transaction. A failed or interrupted restore drops the new database and leaves the old one as
it was, so nobody ever reads a half-restored park. Replacing a database that holds data needs
--force, and even then the old one is kept under a new name until the operator drops it: a
restore of the wrong file can be undone.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg2
from psycopg2 import errors, sql
from sqlalchemy.engine import make_url

from parkgrid import cluster, migrate

VERSION = re.compile(r"\(PostgreSQL\) (\d+)")
# tables of the application: not the catalogs, not an extension's own (spatial_ref_sys), not
# the migrations' own bookkeeping (the version; the last day announced overdue, seeded by 0010)
USER_TABLES = r"""
SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND c.relname NOT IN ('alembic_version', 'overdue_check')
  AND n.nspname NOT IN ('information_schema') AND n.nspname NOT LIKE 'pg\_%'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                  AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY 1, 2
"""
OTHER_SESSIONS = (
    "SELECT count(*) FROM pg_stat_activity"
    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
)
REVISION = (
    "SELECT CASE WHEN to_regclass('public.alembic_version') IS NOT NULL"
    " THEN (SELECT max(version_num) FROM public.alembic_version) END"
)
SERVER_HINT = "start the private cluster with `parkgrid db up`, or check DATABASE_URL"


class BackupError(RuntimeError):
    """A backup or restore that was refused or failed; one line saying why and what to do."""


def first_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0] if lines else "no message"


def tool_error(stderr: str) -> str:
    """The line of pg_dump's or pg_restore's output that names the error."""
    for line in stderr.splitlines():
        if "error:" in line:
            return line.split("error:", 1)[1].strip()
    return first_line(stderr)


def database_of(url: str) -> str:
    return str(make_url(url).database)


def with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def connect(url: str, admin: bool = False) -> Any:
    """A psycopg2 connection to the URL's database, or to the server's `postgres` database
    to create, rename and drop others; a server out of reach is one line."""
    dsn = cluster.maintenance_dsn(url) if admin else cluster.libpq_dsn(url)
    try:
        connection = psycopg2.connect(dsn)
    except psycopg2.OperationalError as exc:
        raise BackupError(f"cannot connect: {first_line(str(exc))}; {SERVER_HINT}") from exc
    connection.autocommit = True
    return connection


def scalar(connection: Any, query: str | sql.Composable, params: Sequence[Any] = ()) -> Any:
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchone()[0]


def execute(connection: Any, statement: sql.Composable) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement)


def client_env(url: str) -> tuple[str, dict[str, str]]:
    """The connection string for pg_dump/pg_restore and their environment: the password goes
    in PGPASSWORD, never on a command line other users can read."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password is not None:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed._replace(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def tool_major(path: Path) -> int | None:
    done = subprocess.run([str(path), "--version"], capture_output=True, text=True, check=False)
    found = VERSION.search(done.stdout)
    return int(found.group(1)) if found else None


def installed_tools(name: str) -> dict[int, Path]:
    """Each installed major version of a client tool: where Debian's packages keep them (as
    the private cluster finds initdb), then the one on PATH."""
    found: dict[int, Path] = {}
    if cluster.PG_LIB.is_dir():
        for directory in cluster.PG_LIB.iterdir():
            tool = directory / "bin" / name
            if directory.name.isdigit() and tool.exists():
                found[int(directory.name)] = tool
    on_path = shutil.which(name)
    major = tool_major(Path(on_path)) if on_path else None
    if on_path and major is not None:
        found.setdefault(major, Path(on_path))
    return found


def client_tool(name: str, server_major: int) -> Path:
    """pg_dump or pg_restore of the server's own major version, else the nearest newer one:
    pg_dump refuses a newer server, and an older pg_restore may not read the archive."""
    usable = {m: p for m, p in installed_tools(name).items() if m >= server_major}
    package = f"postgresql-client-{server_major}"
    if not usable and cluster.can_apt():
        try:
            cluster.apt_install(package)
        except subprocess.CalledProcessError as exc:
            raise BackupError(f"{name} is missing and `apt-get install {package}` failed") from exc
        usable = {m: p for m, p in installed_tools(name).items() if m >= server_major}
    if not usable:
        raise BackupError(
            f"{name} {server_major} or newer is not installed (the server is PostgreSQL"
            f" {server_major}); install it (Debian/Ubuntu: `apt-get install {package}`)"
        )
    return usable[min(usable)]


def run_tool(
    command: Sequence[str | Path], env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command], env=env, capture_output=True, text=True, check=False
    )


def server_facts(url: str) -> tuple[int, str | None]:
    """The server's major version and the database's alembic revision (None: not migrated)."""
    connection = connect(url)
    try:
        major = int(scalar(connection, "SHOW server_version_num")) // 10000
        return major, scalar(connection, REVISION)
    except psycopg2.Error as exc:
        reason = first_line(str(exc))
        raise BackupError(f"cannot read database {database_of(url)}: {reason}") from exc
    finally:
        connection.close()


def backup(url: str, file: Path) -> str:
    """Dump the database at `url` to `file`. pg_dump reads one consistent snapshot, so the
    server may keep serving; the archive is written beside `file` and renamed over it only
    when complete, so an older backup of the same name is never lost to a failed one."""
    name = database_of(url)
    major, revision = server_facts(url)
    if revision is None:
        raise BackupError(
            f"database {name} is not a parkgrid database (no alembic version); check"
            " DATABASE_URL, or run `parkgrid migrate` first"
        )
    if not file.parent.is_dir():
        raise BackupError(f"cannot write {file}: directory {file.parent} does not exist")
    dsn, env = client_env(url)
    partial = file.with_name(f".{file.name}.{os.getpid()}.partial")
    pg_dump = client_tool("pg_dump", major)
    try:
        done = run_tool([pg_dump, "--format=custom", f"--file={partial}", f"--dbname={dsn}"], env)
        if done.returncode != 0:
            raise BackupError(f"pg_dump failed: {tool_error(done.stderr)}; {file} not written")
        os.replace(partial, file)
    finally:
        partial.unlink(missing_ok=True)
    size = file.stat().st_size
    return f"backed up database {name} (schema revision {revision}) to {file}, {size:,} bytes"


@dataclass(frozen=True)
class Target:
    """The database a restore would replace, as found before anything is changed."""

    name: str
    exists: bool
    tables_with_rows: tuple[str, ...] = ()
    other_sessions: int = 0


def inspect(url: str, admin: Any) -> Target:
    name = database_of(url)
    if scalar(admin, "SELECT count(*) FROM pg_database WHERE datname = %s", (name,)) == 0:
        return Target(name, exists=False)
    connection = connect(url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(USER_TABLES)
            tables = cursor.fetchall()
        held = tuple(
            f"{schema}.{table}"
            for schema, table in tables
            if scalar(
                connection,
                sql.SQL("SELECT EXISTS (SELECT 1 FROM {})").format(sql.Identifier(schema, table)),
            )
        )
        return Target(name, True, held, int(scalar(connection, OTHER_SESSIONS)))
    finally:
        connection.close()


def check_archive(pg_restore: Path, file: Path) -> None:
    """Read the archive's table of contents before anything is created: not an archive, or
    not one of a parkgrid database, is refused at once."""
    if not file.is_file():
        raise BackupError(f"no backup file {file}")
    done = run_tool([pg_restore, "--list", file], dict(os.environ))
    if done.returncode != 0:
        raise BackupError(f"{file} is not a readable backup: {tool_error(done.stderr)}")
    if not re.search(r"^\d+; \d+ \d+ TABLE \S+ alembic_version ", done.stdout, re.MULTILINE):
        raise BackupError(f"{file} is not a backup of a parkgrid database (no alembic version)")


def refuse_unsafe(target: Target, force: bool) -> None:
    if target.tables_with_rows and not force:
        some = ", ".join(target.tables_with_rows[:3])
        more = ", ..." if len(target.tables_with_rows) > 3 else ""
        raise BackupError(
            f"database {target.name} holds data ({some}{more}); restore replaces it whole:"
            " add --force to replace it (the current data is then kept as a renamed"
            " database), or point DATABASE_URL at a new or empty database"
        )
    if target.other_sessions:
        raise BackupError(
            f"{target.other_sessions} other session(s) use database {target.name}; stop the"
            " server (and any psql) and run restore again"
        )


def load(url: str, staging: str, file: Path, pg_restore: Path) -> str | None:
    """pg_restore into the new database, stopping at the first error; ANALYZE so the
    restored park is planned well from its first query. Returns its alembic revision.
    Owners and grants are left out: the restoring user owns everything, as after migrate."""
    dsn, env = client_env(with_database(url, staging))
    options = ["--exit-on-error", "--no-owner", "--no-privileges", f"--dbname={dsn}"]
    done = run_tool([pg_restore, *options, file], env)
    if done.returncode != 0:
        raise BackupError(
            f"pg_restore failed: {tool_error(done.stderr)}; database {database_of(url)} is"
            " unchanged"
        )
    connection = connect(with_database(url, staging))
    try:
        execute(connection, sql.SQL("ANALYZE"))
        revision: str | None = scalar(connection, REVISION)
        return revision
    finally:
        connection.close()


def swap(admin: Any, staging: str, target: Target, aside: str) -> None:
    """Both renames in one transaction: the name always means the old or the new database."""
    rename = "ALTER DATABASE {} RENAME TO {}"
    admin.autocommit = False
    try:
        with admin, admin.cursor() as cursor:
            if target.exists:
                cursor.execute(sql.SQL(rename).format(*map(sql.Identifier, (target.name, aside))))
            cursor.execute(sql.SQL(rename).format(*map(sql.Identifier, (staging, target.name))))
    except errors.ObjectInUse as exc:
        raise BackupError(
            f"database {target.name} came into use during the restore; stop the server and"
            " run restore again (nothing was changed)"
        ) from exc
    except psycopg2.Error as exc:
        raise BackupError(
            f"could not put the restored database in place: {first_line(str(exc))};"
            f" database {target.name} is unchanged"
        ) from exc
    finally:
        admin.autocommit = True


def restore(url: str, file: Path, force: bool = False) -> str:
    """Replace the database at `url` with the archive `file` (see the module's docstring)."""
    admin = connect(url, admin=True)
    try:
        major = int(scalar(admin, "SHOW server_version_num")) // 10000
        pg_restore = client_tool("pg_restore", major)
        check_archive(pg_restore, file)
        target = inspect(url, admin)
        refuse_unsafe(target, force)
        return replace(url, file, pg_restore, target, admin)
    except psycopg2.Error as exc:  # no right to create databases, say
        raise BackupError(f"restore failed: {first_line(str(exc))}") from exc
    finally:
        admin.close()


def replace(url: str, file: Path, pg_restore: Path, target: Target, admin: Any) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    staging = f"{target.name[:40]}_restoring_{stamp[-6:]}{os.getpid() % 1000:03d}"
    aside = f"{target.name[:33]}_before_restore_{stamp}"
    execute(admin, sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(staging)))
    swapped = False
    try:
        revision = load(url, staging, file, pg_restore)
        swap(admin, staging, target, aside)
        swapped = True
    finally:
        if not swapped:
            drop = "DROP DATABASE IF EXISTS {} WITH (FORCE)"
            execute(admin, sql.SQL(drop).format(sql.Identifier(staging)))
    report = f"restored {file} into database {target.name} (schema revision {revision})"
    if target.exists and not target.tables_with_rows:
        execute(admin, sql.SQL("DROP DATABASE {}").format(sql.Identifier(aside)))
    elif target.exists:
        report += f"; the previous data is kept as database {aside}: drop it once checked"
    if revision != migrate.head_revision():
        report += "; the backup's schema is not this version's: run `parkgrid migrate`"
    return report
