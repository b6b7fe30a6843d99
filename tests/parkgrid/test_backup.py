"""`parkgrid backup` and `parkgrid restore`, run as an operator runs them: a restored park is
the backed-up one table by table (checksums in plain SQL), and a restore that is refused or
fails leaves the database it would have replaced as it was."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg2
import pytest

from parkgrid import backup, cluster
from tests.conftest import Databases
from tests.helpers import read_rows
from tests.parkgrid.cli_runs import assert_one_line_error, fingerprint, parkgrid


def unused_name(databases: Databases) -> str:
    """A database name no database has yet, dropped with the others at the end if made."""
    name = f"parkgrid_test_{databases.run}_{len(databases.created)}"
    databases.created.append(name)
    return name


def exists(databases: Databases, name: str) -> bool:
    query = f"SELECT count(*) FROM pg_database WHERE datname = '{name}'"
    return bool(read_rows(databases.url("postgres"), query)[0][0])


def leftovers(databases: Databases) -> list[str]:
    """Databases a restore made beside ours and did not clean up."""
    query = (
        "SELECT datname FROM pg_database WHERE datname LIKE"
        f" 'parkgrid\\_test\\_{databases.run}\\_%' AND datname NOT IN"
        f" ({', '.join(repr(name) for name in databases.created)}) ORDER BY 1"
    )
    return [row[0] for row in read_rows(databases.url("postgres"), query)]


def change(url: str, statement: str) -> None:
    """Change a database behind the service's back."""
    conn = psycopg2.connect(cluster.libpq_dsn(url))
    with conn, conn.cursor() as cursor:
        cursor.execute(statement)
    conn.close()


@pytest.fixture(scope="module")
def demo_backup(demo_url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A backup of the shared demo park (backup only reads)."""
    file = tmp_path_factory.mktemp("backup") / "park.dump"
    done = parkgrid(demo_url, "backup", str(file))
    assert done.returncode == 0, done.stderr
    assert f"to {file}" in done.stdout
    return file


def test_a_backup_restores_identically_into_a_new_or_empty_database(
    demo_url: str, demo_backup: Path, databases: Databases, empty_template: str
) -> None:
    expected = fingerprint(demo_url)
    assert expected["tables"]["public.enterprise"][0] > 0  # the demo park is there to compare
    assert "public.alembic_version" in expected["tables"]
    new = unused_name(databases)
    done = parkgrid(databases.url(new), "restore", str(demo_backup))
    assert done.returncode == 0, done.stderr
    assert fingerprint(databases.url(new)) == expected
    empty = databases.create(template=empty_template)  # migrated, no rows once tokens go
    change(databases.url(empty), "DELETE FROM api_token")
    done = parkgrid(databases.url(empty), "restore", str(demo_backup))
    assert done.returncode == 0, done.stderr
    assert fingerprint(databases.url(empty)) == expected
    assert leftovers(databases) == []  # the empty one replaced was dropped, nothing staged


def test_a_database_with_data_is_replaced_only_when_forced_and_kept_aside(
    demo_url: str, demo_backup: Path, fresh_demo_url: str, databases: Databases
) -> None:
    changed = (
        "UPDATE enterprise SET name = name || '（旧）' WHERE id IN (SELECT min(id) FROM enterprise)"
    )
    change(fresh_demo_url, changed)
    before = fingerprint(fresh_demo_url)
    assert before != fingerprint(demo_url)
    refused = parkgrid(fresh_demo_url, "restore", str(demo_backup))
    assert_one_line_error(refused, "holds data", "--force")
    assert fingerprint(fresh_demo_url) == before
    forced = parkgrid(fresh_demo_url, "restore", str(demo_backup), "--force")
    assert forced.returncode == 0, forced.stderr
    aside = re.search(r"kept as database (\S+):", forced.stdout)
    assert aside, forced.stdout
    databases.created.append(aside.group(1))
    assert fingerprint(fresh_demo_url) == fingerprint(demo_url)
    assert fingerprint(databases.url(aside.group(1))) == before
    assert leftovers(databases) == []


def damage(file: Path, how: str, into: Path) -> Path:
    data = file.read_bytes()
    damaged = {
        "garbage": b"not a backup at all\n" * 100,
        "cut in the header": data[:200],
        "cut in the data": data[: len(data) // 2],
    }[how]
    into.write_bytes(damaged)
    return into


@pytest.mark.parametrize("how", ["garbage", "cut in the header", "cut in the data"])
def test_a_damaged_backup_changes_nothing(
    how: str, demo_backup: Path, fresh_demo_url: str, databases: Databases, tmp_path: Path
) -> None:
    file = damage(demo_backup, how, tmp_path / "damaged.dump")
    before = fingerprint(fresh_demo_url)
    done = parkgrid(fresh_demo_url, "restore", str(file), "--force")
    line = assert_one_line_error(done, "parkgrid: restore:")
    assert "not a readable backup" in line or "is unchanged" in line
    assert fingerprint(fresh_demo_url) == before
    new = unused_name(databases)
    assert_one_line_error(parkgrid(databases.url(new), "restore", str(file)))
    assert not exists(databases, new)
    assert leftovers(databases) == []


def test_restore_refuses_a_database_in_use(demo_backup: Path, databases: Databases) -> None:
    target = databases.url(databases.create())
    held = psycopg2.connect(cluster.libpq_dsn(target))
    try:
        done = parkgrid(target, "restore", str(demo_backup), "--force")
    finally:
        held.close()
    assert_one_line_error(done, "other session")
    assert fingerprint(target)["tables"] == {}
    assert leftovers(databases) == []


def test_a_file_of_another_database_is_refused(
    databases: Databases, empty_url: str, tmp_path: Path
) -> None:
    """An archive without the alembic version is not a park: refused before anything."""
    bare = databases.url(databases.create())
    pg_dump = backup.client_tool("pg_dump", server_major(bare))
    dsn, env = backup.client_env(bare)
    other = tmp_path / "other.dump"
    assert (
        backup.run_tool([pg_dump, "-Fc", f"--file={other}", f"--dbname={dsn}"], env).returncode == 0
    )
    before = fingerprint(empty_url)
    assert_one_line_error(
        parkgrid(empty_url, "restore", str(other), "--force"), "not a backup of a parkgrid"
    )
    assert fingerprint(empty_url) == before


def server_major(url: str) -> int:
    return int(read_rows(url, "SHOW server_version_num")[0][0]) // 10000


@pytest.mark.parametrize("case", ["missing directory", "not migrated", "no server"])
def test_backup_errors_are_one_line_and_write_nothing(
    case: str, empty_url: str, databases: Databases, tmp_path: Path
) -> None:
    file = tmp_path / "park.dump"
    url = empty_url
    if case == "missing directory":
        file = tmp_path / "absent" / "park.dump"
    elif case == "not migrated":
        url = databases.url(databases.create())
    else:
        url = re.sub(r":\d+/", f":{cluster.free_port()}/", empty_url)
    assert_one_line_error(parkgrid(url, "backup", str(file)), "parkgrid: backup:")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["pg_dump", "pg_restore"])
def test_the_client_tools_are_the_servers_major_version(name: str, empty_url: str) -> None:
    major = server_major(empty_url)
    tool = backup.client_tool(name, major)
    assert backup.tool_major(tool) == major
