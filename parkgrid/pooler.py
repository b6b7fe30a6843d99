"""PgBouncer in transaction mode and HAProxy in front of the API instances, on one machine.

Both come from Debian (installed with apt when missing and we may), each with a config
written here, under `<data_dir>/topology/`, and a pid file there by which it is stopped.

Behind PgBouncer in transaction pooling a server connection serves a client only for one
transaction, so nothing may outlive one: the API then sends no session settings at connect
and PREPAREs nothing (PARKGRID_DB_SESSION_OPTIONS=false, PARKGRID_DB_PREPARE=false), and the
pooler sets the same session settings on each server connection it opens (`connect_query`,
from parkgrid.db.session_settings: one definition). LISTEN needs a session of its own: the
API listens on the primary directly (PARKGRID_DB_LISTEN_URL)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from parkgrid import cluster
from parkgrid.db import session_settings
from parkgrid.settings import ClusterSettings, DatabaseSettings

PGBOUNCER = Path("/usr/sbin/pgbouncer")
HAPROXY = Path("/usr/sbin/haproxy")

BOUNCER_INI = """\
; written by parkgrid cluster up: PgBouncer in transaction mode
[databases]
{databases}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {directory}/userlist.txt
admin_users = {user}
pool_mode = transaction
{limits}
server_reset_query =
; (empty: DISCARD ALL would undo connect_query's settings)
ignore_startup_parameters = extra_float_digits
logfile = {directory}/pgbouncer.log
pidfile = {directory}/pgbouncer.pid
"""

HAPROXY_CFG = """\
# written by parkgrid cluster up (deploy/haproxy.cfg is the annotated sample)
global
    maxconn 4096
    pidfile {directory}/haproxy.pid

defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout tunnel 1h
    retries 2
    option redispatch

frontend parkgrid
    bind 127.0.0.1:{port}
    default_backend api

backend api
    balance roundrobin
    option httpchk GET /readyz
    http-check expect status 200
    default-server inter 1s fall 2 rise 2
{servers}
"""


def topology_dir(settings: ClusterSettings) -> Path:
    path = settings.data_dir / "topology"
    path.mkdir(parents=True, exist_ok=True)
    return path


def ensure_tool(path: Path, package: str) -> None:
    if path.exists():
        return
    if not cluster.can_apt():
        raise cluster.ClusterError(f"{package} is not installed (apt-get install -y {package})")
    cluster.apt_install(package)


def connect_query(database: DatabaseSettings) -> str:
    settings = session_settings(database)
    return "; ".join(f"SET {name} = {value}" for name, value in settings.items())


def bouncer_databases(targets: dict[str, int], database: str, query: str) -> str:
    """One pooled database per server: `name = host=... port=... dbname=...`; the name `*`
    is PgBouncer's fallback, which serves any database a client names, by that name."""
    return "\n".join(
        f"{name} = host=127.0.0.1 port={port}"
        + ("" if name == "*" else f" dbname={database}")
        + f" connect_query='{query}'"
        for name, port in targets.items()
    )


POOL_LIMITS = {"default_pool_size": "20", "max_client_conn": "1000"}


def start_pgbouncer(
    settings: ClusterSettings,
    targets: dict[str, int],
    database: DatabaseSettings,
    limits: dict[str, str] | None = None,
) -> int:
    """PgBouncer (as the server user when we are root) on a free port; returns the port.
    `limits` adds to or replaces POOL_LIMITS (PgBouncer's own setting names)."""  # fmt: skip
    ensure_tool(PGBOUNCER, "pgbouncer")
    directory = topology_dir(settings) / "pgbouncer"
    directory.mkdir(exist_ok=True)
    stop_pidfile(directory / "pgbouncer.pid")
    port = cluster.free_port()
    databases = bouncer_databases(targets, settings.database, connect_query(database))
    pool = "\n".join(
        f"{name} = {value}" for name, value in {**POOL_LIMITS, **(limits or {})}.items()
    )
    ini = BOUNCER_INI.format(
        databases=databases, port=port, directory=directory, user=settings.superuser, limits=pool
    )
    (directory / "pgbouncer.ini").write_text(ini)
    (directory / "userlist.txt").write_text(f'"{settings.superuser}" ""\n')
    uid, gid = cluster.server_user_ids(settings)
    for path in (directory, *directory.iterdir()):
        os.chown(path, uid, gid)
    command = [str(PGBOUNCER), "-d", str(directory / "pgbouncer.ini")]
    subprocess.run(cluster.as_server_user(settings, command), check=True)
    wait_for_port(port)
    return port


def start_haproxy(settings: ClusterSettings, port: int, backends: list[int]) -> None:
    ensure_tool(HAPROXY, "haproxy")
    directory = topology_dir(settings)
    stop_pidfile(directory / "haproxy.pid")
    servers = "\n".join(
        f"    server api{n} 127.0.0.1:{backend} check" for n, backend in enumerate(backends, 1)
    )
    config = directory / "haproxy.cfg"
    config.write_text(HAPROXY_CFG.format(directory=directory, port=port, servers=servers))
    subprocess.run([str(HAPROXY), "-c", "-q", "-f", str(config)], check=True)
    subprocess.run([str(HAPROXY), "-D", "-f", str(config)], check=True)
    wait_for_port(port)


def wait_for_port(port: int, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while not cluster.port_taken(port):
        if time.monotonic() > deadline:
            raise cluster.ClusterError(f"nothing listens on 127.0.0.1:{port}")
        time.sleep(0.1)


def stop_pidfile(path: Path) -> bool:
    """Stop the process a pid file names (one this module started); whether one ran."""
    if not path.exists():
        return False
    try:
        pid = int(path.read_text().split()[0])
        os.kill(pid, signal.SIGTERM)
    except (ProcessLookupError, ValueError, IndexError):
        return False
    finally:
        path.unlink(missing_ok=True)
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return True


def stop_all(settings: ClusterSettings) -> None:
    """HAProxy and PgBouncer, if `cluster up` started them."""
    directory = settings.data_dir / "topology"
    stop_pidfile(directory / "haproxy.pid")
    stop_pidfile(directory / "pgbouncer" / "pgbouncer.pid")
    shutil.rmtree(directory / "pgbouncer", ignore_errors=True)
