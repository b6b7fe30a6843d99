"""`parkgrid db slow`: the slowest statements of the database, from pg_stat_statements on a
cluster started with it (the throwaway cluster, made as `parkgrid db up` makes one)."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from tests.faults.conftest import ThrowawayCluster, throwaway  # noqa: F401 - fixture
from tests.parkgrid.cli_runs import assert_one_line_error, parkgrid

SLEEP_S = 0.3


def test_the_slowest_statement_comes_first_with_its_times(throwaway: ThrowawayCluster):  # noqa: F811
    engine = create_engine(throwaway.url)
    with engine.connect() as conn:
        for _ in range(2):
            conn.execute(text("SELECT pg_sleep(:s) AS ops_slow_probe"), {"s": SLEEP_S})
    engine.dispose()
    done = parkgrid(throwaway.url, "db", "slow", "--limit", "50")
    assert done.returncode == 0, done.stderr
    header, *rows = [line.split("\t") for line in done.stdout.strip().splitlines()]
    assert header == ["calls", "mean ms", "total ms", "rows", "statement"]
    means = [float(row[1]) for row in rows]
    assert means == sorted(means, reverse=True)
    slow = next((row for row in rows if "ops_slow_probe" in row[4]), None)
    assert slow is not None, done.stdout
    assert int(slow[0]) == 2
    assert float(slow[1]) >= SLEEP_S * 1000 and float(slow[2]) >= 2 * SLEEP_S * 1000
    by_total = parkgrid(throwaway.url, "db", "slow", "--by", "total", "--limit", "3")
    totals = [float(line.split("\t")[2]) for line in by_total.stdout.strip().splitlines()[1:]]
    assert totals == sorted(totals, reverse=True) and len(totals) == 3


def test_a_server_without_it_loaded_is_told_what_to_do(empty_url):
    """The shared test server was not started with pg_stat_statements."""
    loaded = parkgrid(empty_url, "db", "slow")
    if loaded.returncode == 0:  # a server that has it: nothing to refuse
        return
    assert_one_line_error(loaded, "pg_stat_statements", "shared_preload_libraries")
