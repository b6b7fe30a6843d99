"""A private PostgreSQL + PostGIS cluster under .data/, for when no DATABASE_URL is given.

PostgreSQL refuses to run as root, so when we are root the server runs as an ordinary
system user (``postgres`` by default). Missing packages are installed with apt when we
are root on Debian or Ubuntu; otherwise the error says exactly what to install.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import shutil
import socket
import subprocess
import time
from pathlib import Path

import psycopg2
from psycopg2 import sql
from sqlalchemy.engine import make_url

from parkgrid.settings import DEFAULT_CLUSTER_PORT, ClusterSettings

PG_LIB = Path("/usr/lib/postgresql")
PG_SHARE = Path("/usr/share/postgresql")
SERVER_CONF = """
# written by parkgrid
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
shared_buffers = 256MB
work_mem = 32MB
maintenance_work_mem = 256MB
max_connections = 100
timezone = 'UTC'
"""
OPERATIONS_MARK = "# parkgrid: operations"
OPERATIONS_CONF = f"""
{OPERATIONS_MARK}
shared_preload_libraries = 'pg_stat_statements'
pg_stat_statements.track = top
log_line_prefix = '%m [%p] %a '
log_min_duration_statement = 1000
"""
"""pg_stat_statements for `parkgrid db slow`; statements over a second logged, each line
naming its application: the request id (parkgrid.trace) ties a slow one to its request."""


class ClusterError(RuntimeError):
    """Bring-up failed; the message says what to do."""


def is_root() -> bool:
    return os.geteuid() == 0


def can_apt() -> bool:
    return is_root() and shutil.which("apt-get") is not None


def installed_majors() -> list[int]:
    if not PG_LIB.is_dir():
        return []
    found = (p.name for p in PG_LIB.iterdir() if (p / "bin" / "initdb").exists())
    return sorted(int(name) for name in found if name.isdigit())


def postgis_installed(major: int) -> bool:
    return (PG_SHARE / str(major) / "extension" / "postgis.control").exists()


def apt_install(*packages: str) -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    print(f"installing {' '.join(packages)} with apt-get ...", flush=True)
    result = subprocess.run(["apt-get", "install", "-y", "-q", *packages], env=env, check=False)
    if result.returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], env=env, check=False)
        subprocess.run(["apt-get", "install", "-y", "-q", *packages], env=env, check=True)


def missing_message(what: str, package: str) -> str:
    return (
        f"{what} is not installed. Install it (Debian/Ubuntu: `sudo apt-get install -y {package}`)"
        " or set DATABASE_URL to a PostgreSQL server that has PostGIS."
    )


def ensure_packages() -> int:
    """Return the PostgreSQL major version to use, installing what is missing."""
    majors = installed_majors()
    if not majors:
        if not can_apt():
            raise ClusterError(missing_message("PostgreSQL", "postgresql postgis"))
        apt_install("postgresql", "postgis")
        majors = installed_majors()
    major = majors[-1]
    if not postgis_installed(major):
        package = f"postgresql-{major}-postgis-3"
        if not can_apt():
            raise ClusterError(missing_message("PostGIS", package))
        apt_install(package)
    return major


def bindir(major: int) -> Path:
    return PG_LIB / str(major) / "bin"


def as_server_user(settings: ClusterSettings, command: list[str]) -> list[str]:
    if not is_root():
        return command
    return ["runuser", "-u", settings.os_user, "--", *command]


def server_user_ids(settings: ClusterSettings) -> tuple[int, int]:
    if not is_root():
        return os.getuid(), os.getgid()
    try:
        entry = pwd.getpwnam(settings.os_user)
    except KeyError as exc:
        raise ClusterError(
            f"PostgreSQL cannot run as root and the user {settings.os_user!r} does not exist; "
            "create it or set PARKGRID_CLUSTER_OS_USER to an existing ordinary user."
        ) from exc
    return entry.pw_uid, entry.pw_gid


def reachable_by_server_user(settings: ClusterSettings, path: Path) -> bool:
    probe = as_server_user(settings, ["test", "-x", str(path)])
    return subprocess.run(probe, check=False, capture_output=True).returncode == 0


def relocate_outside_checkout(settings: ClusterSettings) -> None:
    """When the server user cannot enter the checkout (a private home, say), keep the
    cluster in a shared system directory and leave a pointer to it in .data/."""
    digest = hashlib.sha1(str(settings.data_dir.resolve()).encode()).hexdigest()[:12]
    shared = Path("/var/lib/parkgrid")
    shared.mkdir(mode=0o755, parents=True, exist_ok=True)
    (settings.data_dir / "pg.location").write_text(str(shared / digest))
    if not reachable_by_server_user(settings, shared):
        raise ClusterError(f"the server user {settings.os_user!r} cannot enter {shared}")


def prepare_data_dir(settings: ClusterSettings) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if not reachable_by_server_user(settings, settings.data_dir):
        if not is_root():
            raise ClusterError(f"cannot enter {settings.data_dir}; set PARKGRID_CLUSTER_DATA_DIR")
        relocate_outside_checkout(settings)
    settings.pgdata.mkdir(mode=0o700, exist_ok=True)
    uid, gid = server_user_ids(settings)
    os.chown(settings.pgdata, uid, gid)


def initialise(settings: ClusterSettings, major: int) -> None:
    if (settings.pgdata / "PG_VERSION").exists():
        return
    prepare_data_dir(settings)
    initdb = [str(bindir(major) / "initdb"), "-D", str(settings.pgdata), "-A", "trust"]
    initdb += ["-U", settings.superuser, "-E", "UTF8", "--locale=C.UTF-8"]
    subprocess.run(as_server_user(settings, initdb), check=True, stdout=subprocess.DEVNULL)
    with (settings.pgdata / "postgresql.conf").open("a") as conf:
        conf.write(SERVER_CONF)
    operations_conf(settings)


def operations_conf(settings: ClusterSettings) -> bool:
    """Add the operations settings to a cluster's configuration once (a cluster made
    before them gets them too; they take effect when it next starts). Whether added."""
    path = settings.pgdata / "postgresql.conf"
    if not path.exists() or OPERATIONS_MARK in path.read_text():
        return False
    with path.open("a") as conf:
        conf.write(OPERATIONS_CONF)
    return True


def pg_ctl(settings: ClusterSettings, major: int, *args: str) -> int:
    command = [str(bindir(major) / "pg_ctl"), "-D", str(settings.pgdata), *args]
    completed = subprocess.run(as_server_user(settings, command), check=False)
    return completed.returncode


def running(settings: ClusterSettings, major: int) -> bool:
    command = [str(bindir(major) / "pg_ctl"), "-D", str(settings.pgdata), "status"]
    result = subprocess.run(as_server_user(settings, command), check=False, capture_output=True)
    return result.returncode == 0


def port_taken(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def choose_port(settings: ClusterSettings) -> int:
    """The default port, or a free one when another server has it (another checkout's
    cluster, say); the choice is recorded so every later command finds this cluster."""
    if settings.port is not None or settings.port_file.exists():
        return settings.chosen_port
    port = DEFAULT_CLUSTER_PORT if not port_taken(DEFAULT_CLUSTER_PORT) else free_port()
    settings.port_file.write_text(str(port))
    return port


def start(settings: ClusterSettings, major: int) -> None:
    if running(settings, major):
        return
    port = choose_port(settings)
    if port_taken(port):
        raise ClusterError(
            f"port {port} is taken by another server; set PARKGRID_CLUSTER_PORT to a free"
            f" port (or delete {settings.port_file}), or set DATABASE_URL to use that server"
        )
    log = str(settings.pgdata / "server.log")
    options = f"-p {port}"
    if pg_ctl(settings, major, "-l", log, "-o", options, "-w", "-t", "60", "start") != 0:
        raise ClusterError(f"the private PostgreSQL server did not start; see {log}")


def up(settings: ClusterSettings) -> str:
    """Install, initialise and start the private cluster; return its database URL."""
    major = ensure_packages()
    initialise(settings, major)
    operations_conf(settings)
    start(settings, major)
    ensure_database(settings.url)
    return settings.url


def down(settings: ClusterSettings) -> bool:
    """Stop the private cluster if it runs; return whether it was running."""
    majors = installed_majors()
    if not majors or not (settings.pgdata / "PG_VERSION").exists():
        return False
    major = int((settings.pgdata / "PG_VERSION").read_text().strip())
    if not running(settings, major):
        return False
    return pg_ctl(settings, major, "-m", "fast", "-w", "stop") == 0


def libpq_dsn(url: str) -> str:
    """A SQLAlchemy URL as the plain postgresql:// DSN psycopg2 connects with."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def maintenance_dsn(url: str) -> str:
    """The server's `postgres` database, for creating and dropping others."""
    return libpq_dsn(make_url(url).set(database="postgres").render_as_string(hide_password=False))


def wait_for_server(url: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            psycopg2.connect(maintenance_dsn(url)).close()
            return
        except psycopg2.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def ensure_database(url: str) -> None:
    """Create the URL's database on its server when it does not exist yet."""
    wait_for_server(url)
    name = make_url(url).database
    conn = psycopg2.connect(maintenance_dsn(url))
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cur.fetchone() is None:
                cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        conn.close()


def drop_database(url: str) -> None:
    name = make_url(url).database
    conn = psycopg2.connect(maintenance_dsn(url))
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
    finally:
        conn.close()


def ensure_postgis_on_server(url: str) -> None:
    """For a given server: install PostGIS with apt when it is local and we may."""
    conn = psycopg2.connect(maintenance_dsn(url))
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM pg_available_extensions WHERE name = 'postgis'")
            available = cur.fetchone()[0] > 0
            cur.execute("SHOW server_version_num")
            major = int(cur.fetchone()[0]) // 10000
    finally:
        conn.close()
    if available:
        return
    package = f"postgresql-{major}-postgis-3"
    host = make_url(url).host or "localhost"
    if host in {"127.0.0.1", "localhost", "::1"} and can_apt():
        apt_install(package)
        return
    raise ClusterError(missing_message(f"PostGIS on the server at {host}", package))
