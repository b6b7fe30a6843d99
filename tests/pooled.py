"""The suite behind PgBouncer in transaction mode (`make test-pooler`).

With PARKGRID_TEST_POOLER=1 the session starts PgBouncer (parkgrid.pooler, as `cluster up
--pooler` does) in front of the test server, with the fallback database entry `*`, so the
throwaway databases the tests create are pooled by their own names. Every app a test makes
(in process, or served by uvicorn) then reaches its database through the pooler, without
PREPARE or session settings (the pooler's connect_query sets them) and listening on the
server itself, as production behind a pooler is configured. The fixtures' own work (creating,
migrating and seeding databases, and the tests' plain SQL) stays on the server, as the README
says migrations and the command line must."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg2
from sqlalchemy.engine import make_url

from parkgrid import pooler
from parkgrid.settings import ClusterSettings, DatabaseSettings, ScaleSettings

WANTED = "PARKGRID_TEST_POOLER"
PORT = "PARKGRID_TEST_POOLER_PORT"
"""Set by the session for the servers the tests start (tests.web.browser.served)."""


LIMITS = {"default_pool_size": "4", "max_user_connections": "24", "server_idle_timeout": "5"}
"""Every test makes databases of its own, and a pool each: few server connections per
database, closed soon after use, and a bound on them all, so the pooler does not fill the
server (shared with other runs) with idle connections to databases already done with."""


def wanted() -> bool:
    return os.environ.get(WANTED, "").lower() not in ("", "0", "false", "no")


@contextmanager
def bouncer(server_url: str) -> Iterator[int]:
    """PgBouncer in front of the server of `server_url`; its port."""
    directory = Path(tempfile.mkdtemp(prefix="parkgrid-pooler-"))
    directory.chmod(0o755)  # PgBouncer runs as the server's user
    settings = ClusterSettings(data_dir=directory)
    server_port = make_url(server_url).port or 5432
    port = pooler.start_pgbouncer(settings, {"*": server_port}, DatabaseSettings(), LIMITS)
    try:
        yield port
    finally:
        pooler.stop_all(settings)
        shutil.rmtree(directory, ignore_errors=True)


def through(url: str, port: int) -> str:
    """`url`, its database reached through the pooler on `port`."""
    return make_url(url).set(host="127.0.0.1", port=port).render_as_string(hide_password=False)


def server_env(url: str) -> dict[str, str]:
    """The environment of a server on `url`, through the pooler when the session has one."""
    port = os.environ.get(PORT)
    if not port:
        return {"DATABASE_URL": url}
    return {
        "DATABASE_URL": through(url, int(port)),
        "PARKGRID_DB_LISTEN_URL": url,
        "PARKGRID_DB_PREPARE": "false",
        "PARKGRID_DB_SESSION_OPTIONS": "false",
    }


def opener(open_database: Callable[..., Any], port: int) -> Callable[..., Any]:
    """`open_database`, opening the app's database through the pooler instead."""

    def pooled(settings: DatabaseSettings, scale: ScaleSettings | None = None) -> Any:
        direct = settings.resolved_url()
        changes = {"listen_url": direct, "prepare": False, "session_options": False}
        behind = (scale or ScaleSettings()).model_copy(update=changes)
        return open_database(settings.model_copy(update={"url": through(direct, port)}), behind)

    return pooled


def pooler_stats(port: int) -> dict[str, int]:
    """Transactions per pooled database, from PgBouncer's admin console."""
    conn = psycopg2.connect(host="127.0.0.1", port=port, dbname="pgbouncer", user="parkgrid")
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SHOW STATS")
            names = [column.name for column in cur.description]
            rows = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    finally:
        conn.close()
    return {row["database"]: int(row["total_xact_count"]) for row in rows}
