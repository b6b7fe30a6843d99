"""`parkgrid generate` fills only an empty, migrated database; anything else is refused in one
line before a row is written (run as an operator runs it, in a process of its own)."""

from __future__ import annotations

import psycopg2

from parkgrid import cluster
from tests.conftest import Databases
from tests.helpers import read_rows
from tests.parkgrid.cli_runs import assert_one_line_error, parkgrid, table_counts

SMALL = ("--parks", "1", "--zones", "2", "--grids", "4", "--enterprises", "50")


def test_a_park_is_never_added_to(fresh_demo_url: str) -> None:
    before = table_counts(fresh_demo_url)
    assert before["public.park"] == 1 and before["public.enterprise"] > 0
    done = parkgrid(fresh_demo_url, "generate", *SMALL)
    assert_one_line_error(done, "parkgrid: generate:", "already holds data", "park: 1", "empty")
    assert table_counts(fresh_demo_url) == before


def test_cadres_alone_are_data_too(empty_url: str) -> None:
    """Generate writes cadres with fixed ids: a database with only cadres is refused too."""
    conn = psycopg2.connect(cluster.libpq_dsn(empty_url))
    with conn, conn.cursor() as cursor:
        cursor.execute("INSERT INTO cadre (name) VALUES ('张三')")
    conn.close()
    before = table_counts(empty_url)
    assert_one_line_error(parkgrid(empty_url, "generate", *SMALL), "cadre: 1")
    assert table_counts(empty_url) == before


def test_an_unmigrated_database_is_refused(databases: Databases) -> None:
    bare = databases.url(databases.create())
    assert_one_line_error(parkgrid(bare, "generate", *SMALL), "not migrated", "parkgrid migrate")
    assert table_counts(bare) == {}


def test_an_empty_database_is_filled(empty_url: str) -> None:
    """Tokens are not the park's data: a migrated database with only its tokens is filled."""
    done = parkgrid(empty_url, "generate", *SMALL)
    assert done.returncode == 0, done.stderr
    counts = table_counts(empty_url)
    # 1 park of 2 zones of 4 // 2 grids each; one issue per ten enterprises
    expected = {"park": 1, "zone": 2, "grid": 4, "enterprise": 50, "issue": 5}
    assert {table: counts[f"public.{table}"] for table in expected} == expected
    in_own_grid = (
        "SELECT count(*) FROM enterprise e JOIN grid g"
        " ON g.id = e.grid_id AND ST_Contains(g.boundary, e.location)"
    )
    assert read_rows(empty_url, in_own_grid)[0][0] == 50
