"""Behind PgBouncer in transaction mode: the instances PREPARE nothing and send no session
settings, the pooler sets them on every server connection, and reads, writes and
read-your-writes work as without it; the pooler's own statistics show the reads on the
replicas' pools."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg2
import pytest

from parkgrid import pooler
from parkgrid.settings import DatabaseSettings
from tests.faults.conftest import wait_for
from tests.faults.test_durability import REPORT, payload
from tests.pooled import pooler_stats
from tests.scale.conftest import TOKENS, Instances, Replicated, all_in_rotation, instances
from tests.scale.test_routing import Pairs, grid_codes, grid_detail, grid_enterprises, ok
from web.cli_cluster import instance_env

pytestmark = pytest.mark.scale

PAIRS = 100


@pytest.fixture(scope="module")
def bouncer(topology_up: Replicated) -> Iterator[int]:
    primary = topology_up.primary
    targets = {"parkgrid": primary.port}
    targets |= {f"parkgrid_replica{n}": node.port for n, node in enumerate(topology_up.replicas, 1)}
    port = pooler.start_pgbouncer(primary.settings, targets, DatabaseSettings())
    try:
        yield port
    finally:
        pooler.stop_all(primary.settings)


@pytest.fixture(scope="module")
def pooled(topology_up: Replicated, bouncer: int) -> Iterator[Instances]:
    env = instance_env(topology_up.primary.settings, topology_up.primary,
                       topology_up.replicas, bouncer)  # fmt: skip
    with pytest.MonkeyPatch.context() as patch:
        for name in (
            "PARKGRID_DB_LISTEN_URL",
            "PARKGRID_DB_PREPARE",
            "PARKGRID_DB_SESSION_OPTIONS",
        ):
            patch.setenv(name, env[name])
        urls = env["DATABASE_REPLICA_URLS"].split(",")
        with instances(env["DATABASE_URL"], urls, topology_up.root) as running:
            assert wait_for(lambda: all_in_rotation(running, 2), 20), running.log_tail()
            yield running


def test_the_pooler_sets_the_session(topology_up: Replicated, bouncer: int) -> None:
    for database in ("parkgrid", "parkgrid_replica1", "parkgrid_replica2"):
        conn = psycopg2.connect(host="127.0.0.1", port=bouncer, dbname=database, user="parkgrid")
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(
                "SELECT current_setting('search_path'), current_setting('statement_timeout')"
            )
            assert cur.fetchone() == ("parkgrid_scoped, public", "15s")
        conn.close()


def test_reads_and_writes_through_the_pooler(topology_up: Replicated, bouncer: int,
                                             pooled: Instances) -> None:  # fmt: skip
    codes = grid_codes(topology_up.primary.dsn)
    counts = dict(zip(codes, enterprise_counts(topology_up.primary.dsn, codes), strict=True))
    before = pooler_stats(bouncer)
    sent = 200
    for n in range(sent):  # the same statements again and again: nothing is left prepared
        code = codes[n % len(codes)]
        reply = grid_detail(pooled.http(n % 2, None if n % 3 else TOKENS[0]), code)
        assert ok(reply), reply.describe()
        assert reply.json()["data"]["grid"]["enterpriseCount"] == counts[code]
    after = pooler_stats(bouncer)
    on_replicas = sum(after[d] - before.get(d, 0) for d in after if "replica" in d)
    assert on_replicas >= sent, (before, after)

    uscc = grid_enterprises(topology_up.primary.dsn)
    made = payload(pooled.http(0, TOKENS[1]).graphql(REPORT, {"e": uscc[0], "title": "pooled"}),
                   "reportIssue")  # fmt: skip
    assert made and made["__typename"] == "IssuePayload", made
    issue = made["issue"]
    client = Pairs(1, pooled, int(issue["id"]), (issue["status"].lower(), issue["version"]))
    for seq in range(PAIRS):
        client.pair(seq, pooled.http(seq % 2, TOKENS[1]), pooled.http((seq + 1) % 2, TOKENS[1]))
    assert client.failed == [] and client.stale == [] and client.done == PAIRS


def enterprise_counts(dsn: str, codes: list[str]) -> list[int]:
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT count(e.id) FROM unnest(%s::text[]) WITH ORDINALITY AS c(code, n)"
            " JOIN grid g ON g.code = c.code LEFT JOIN enterprise e ON e.grid_id = g.id"
            " GROUP BY c.n ORDER BY c.n",
            (codes,),
        )
        found = [int(row[0]) for row in cur.fetchall()]
    conn.close()
    return found
