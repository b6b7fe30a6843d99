"""The servers a bench run measures: the service (`parkgrid serve`) and the peer, PostGraphile
v4 (bench/postgraphile/server.js), each on a free port of 127.0.0.1 with its memory sampled."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from parkgrid import cluster
from parkgrid.db import SHORT_STATEMENTS

PARKGRID = str(Path(sys.executable).with_name("parkgrid"))
PEER_DIR = Path(__file__).with_name("postgraphile")
PEER_SCHEMAS = "public,bench_peer"
# What PostGraphile needs beyond the tables, in a schema of the bench's own: a function of
# lon/lat for `locate` (PostGraphile exposes functions of scalars as root fields), and the open
# issues with their grid, since issues relate to grids only through enterprises and a computed
# column would have to live in public (PostGraphile's rule). Smart comments give the view a key
# and foreign keys: Grid.openIssuesByGridId, OpenIssue.enterpriseByEnterpriseId.
PEER_SQL = [
    "CREATE SCHEMA IF NOT EXISTS bench_peer",
    """CREATE OR REPLACE FUNCTION bench_peer.locate(lon double precision, lat double precision)
    RETURNS public.grid LANGUAGE sql STABLE AS $$
        SELECT g.* FROM public.grid g WHERE g.id = public.parkgrid_grid_for_point(
            public.ST_SetSRID(public.ST_MakePoint(lon, lat), 4326))
    $$""",
    """CREATE OR REPLACE VIEW bench_peer.open_issue AS
        SELECT i.id, i.enterprise_id, e.grid_id, i.category, i.title, i.severity, i.status,
               i.due_date, i.reported_at
        FROM public.issue i JOIN public.enterprise e ON e.id = i.enterprise_id
        WHERE i.status NOT IN ('closed', 'rejected')""",
    "COMMENT ON VIEW bench_peer.open_issue IS E'@primaryKey id\\n"
    "@foreignKey (grid_id) references public.grid (id)\\n"
    "@foreignKey (enterprise_id) references public.enterprise (id)'",
]


def wait_ready(port: int) -> None:
    for _ in range(120):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("the server did not become ready")


def process_tree(root: int) -> list[int]:
    children = Path(f"/proc/{root}/task/{root}/children")
    found = [int(pid) for pid in children.read_text().split()] if children.exists() else []
    return [root, *(pid for child in found for pid in process_tree(child))]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class MemoryWatch(threading.Thread):
    """Samples the RSS of every process of a server twice a second; keeps the maximum of any
    one process (`peak`) and of their sum (`peak_total`)."""

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root, self.peak, self.peak_total, self.running = root, 0.0, 0.0, True

    def run(self) -> None:
        while self.running:
            with contextlib.suppress(FileNotFoundError, ProcessLookupError):
                sizes = [rss_mb(pid) for pid in process_tree(self.root)]
                self.peak = max(self.peak, *sizes)
                self.peak_total = max(self.peak_total, sum(sizes))
            time.sleep(0.5)

    def report(self, name: str, workers: int) -> str:
        return (
            f"{name}: {workers} worker(s); peak RSS under load: {self.peak:.0f} MB in one"
            f" process, {self.peak_total:.0f} MB in all"
        )


@contextmanager
def server(url: str, workers: int) -> Iterator[tuple[int, MemoryWatch]]:
    port = cluster.free_port()
    env = {**os.environ, "DATABASE_URL": url, "PORT": str(port), "PARKGRID_WORKERS": str(workers)}
    env["PARKGRID_CLUSTER_DATA_DIR"] = str(
        Path(env.get("TMPDIR", "/tmp")) / f"parkgrid-bench-{port}"
    )
    log_path = Path(env["PARKGRID_CLUSTER_DATA_DIR"] + ".log")
    with running([PARKGRID, "serve"], env, log_path, lambda _: wait_ready(port)) as watch:
        yield port, watch
    print(f"server log: {log_path}")


@contextmanager
def running(
    command: list[str],
    env: dict[str, str],
    log_path: Path,
    ready: Callable[[subprocess.Popen[bytes]], None],
    cwd: Path | None = None,
) -> Iterator[MemoryWatch]:
    """A server process, its output in `log_path`, watched from when it is `ready` until the
    block ends, then stopped."""
    with log_path.open("w") as log:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
        watch = MemoryWatch(process.pid)
        try:
            ready(process)
            watch.start()
            yield watch
        finally:
            watch.running = False
            process.terminate()
            process.wait(timeout=30)


def ensure_peer() -> str:
    """node, with the peer's packages installed (`npm ci` from the lock file when missing)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        raise SystemExit("the peer needs node and npm (or run with --no-peer)")
    if not (PEER_DIR / "node_modules").is_dir():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=PEER_DIR, check=True)
    return node


def peer_schema(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        for statement in PEER_SQL:
            conn.execute(text(statement))
    engine.dispose()


def wait_for_line(process: subprocess.Popen[bytes], log_path: Path, marker: str) -> None:
    for _ in range(240):
        if marker in log_path.read_text():
            return
        if process.poll() is not None:
            raise SystemExit(f"the peer exited:\n{log_path.read_text()[-2000:]}")
        time.sleep(0.5)
    raise SystemExit(f"the peer did not become ready; see {log_path}")


@contextmanager
def peer_server(url: str, workers: int) -> Iterator[tuple[int, MemoryWatch]]:
    """PostGraphile (bench/postgraphile/server.js): `workers` processes on a free port of
    127.0.0.1, with the service's session settings."""
    node = ensure_peer()
    peer_schema(url)
    port = cluster.free_port()
    libpq = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    env = {**os.environ, "DATABASE_URL": libpq, "PORT": str(port), "WORKERS": str(workers),
           "SCHEMAS": PEER_SCHEMAS, "PGOPTIONS": SHORT_STATEMENTS, "NODE_ENV": "production"}  # fmt: skip
    log_path = Path(env.get("TMPDIR", "/tmp")) / f"parkgrid-bench-peer-{port}.log"

    def ready(process: subprocess.Popen[bytes]) -> None:
        wait_for_line(process, log_path, "ready")

    with running([node, "server.js"], env, log_path, ready, cwd=PEER_DIR) as watch:
        yield port, watch
    print(f"peer log: {log_path}")


@contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    """The process's environment with `values` set for the block (the servers started in it
    inherit them), then as it was."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
