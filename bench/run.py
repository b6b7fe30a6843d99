"""Benchmark the core queries: raw SQL (pgbench), the service (wrk on /graphql) and a peer,
PostGraphile v4 with the PostGIS and connection-filter plugins (wrk), in one run on one
database, each server's memory sampled under load; and the service's other request shapes
(variables, cursors, spatial filters, orderings, tokens) against its plain grid detail.

    python -m bench.run [--generate] [--seconds 15] [--workers 3] [--only NAME] [--no-peer]

Uses DATABASE_URL (default: the private cluster's `parkgrid_bench` database). With --generate
it first builds the province (100 zones, 10,000 grids, 1,000,000 enterprises) into an empty
database and reports generate's peak memory. The peer runs from bench/postgraphile (`npm ci`
there when node_modules is missing), with --workers processes, after the service, against the
schemas public and bench_peer (made here: see PEER_SQL)."""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.load import Figures, run_pgbench, run_wrk
from bench.queries import SAMPLE, CoreQuery, core_queries, signed_in, variants
from parkgrid import cluster, migrate
from parkgrid.auth import tokens
from parkgrid.db import SHORT_STATEMENTS
from parkgrid.generate import Plan
from parkgrid.settings import ClusterSettings, normalise_url

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


def bench_url() -> str:
    given = os.environ.get("DATABASE_URL")
    if given:
        return normalise_url(given)
    base = cluster.up(ClusterSettings())
    return make_url(base).set(database="parkgrid_bench").render_as_string(hide_password=False)


def generate(url: str, plan: Plan) -> float:
    """Run `parkgrid generate`; return its peak RSS in MB."""
    cluster.ensure_database(url)
    migrate.upgrade(url)
    arguments = [
        f"--{k}={v}"
        for k, v in (
            ("parks", plan.parks),
            ("zones", plan.zones),
            ("grids", plan.grids),
            ("enterprises", plan.enterprises),
            ("seed", plan.seed),
        )
    ]
    subprocess.run(
        [PARKGRID, "generate", *arguments], env={**os.environ, "DATABASE_URL": url}, check=True
    )
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


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
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [PARKGRID, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        watch = MemoryWatch(process.pid)
        try:
            wait_ready(port)
            watch.start()
            yield port, watch
        finally:
            watch.running = False
            process.terminate()
            process.wait(timeout=30)
    print(f"server log: {log_path}")


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
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [node, "server.js"], cwd=PEER_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        watch = MemoryWatch(process.pid)
        try:
            wait_for_line(process, log_path, "ready")
            watch.start()
            yield port, watch
        finally:
            watch.running = False
            process.terminate()
            process.wait(timeout=30)
    print(f"peer log: {log_path}")


def sample_variables(graphql: str, query: CoreQuery) -> dict[str, Any]:
    """SAMPLE (and the query's own sample) for the variables the query declares."""
    declared = set(re.findall(r"\$(\w+)\s*:", graphql))
    given = {**SAMPLE, **query.sample}
    return {name: value for name, value in given.items() if name in declared}


def check_answers(port: int, query: CoreQuery, peer: bool = False) -> str:
    """One request before the load; returns what went wrong, "" when it answered."""
    url = f"http://127.0.0.1:{port}"
    try:
        if query.sample_path and not peer:
            with urllib.request.urlopen(url + query.sample_path, timeout=30):
                return ""
        graphql = query.peer_graphql if peer else query.graphql
        variables = sample_variables(graphql, query)
        body = json.dumps({"query": graphql, "variables": variables}).encode()
        headers = {"content-type": "application/json"}
        if query.token and not peer:
            headers["authorization"] = f"Bearer {query.token}"
        request = urllib.request.Request(url + "/graphql", data=body, headers=headers)
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = json.load(response)
    except urllib.error.HTTPError as error:
        return f"HTTP {error.code}: {error.read()[:300].decode(errors='replace')}"
    except (OSError, ValueError) as error:
        return f"{type(error).__name__}: {error}"
    return json.dumps(answer["errors"], ensure_ascii=False)[:300] if answer.get("errors") else ""


Outcome = Figures | str  # the figures, or why the row has none


def load(port: int, plan: Plan, query: CoreQuery, args: argparse.Namespace, peer: bool) -> Outcome:
    if query.name in SETUP_ERRORS:
        return SETUP_ERRORS[query.name]
    problem = check_answers(port, query, peer)
    if problem:
        return problem
    endpoint = f"http://127.0.0.1:{port}"
    try:
        run_wrk(endpoint, plan, query, args.warmup, args.connections, peer)
        return run_wrk(endpoint, plan, query, args.seconds, args.connections, peer)
    except (subprocess.CalledProcessError, IndexError, ValueError) as error:
        return f"wrk: {error}"


SETUP_ERRORS: dict[str, str] = {}  # rows whose setup failed (a token, say): the reason


def create_token(url: str, role: str, cadre: int | None = None) -> str:
    engine = create_engine(url)
    with engine.begin() as conn:
        secret, _ = tokens.create(
            conn, role, cadre_id=cadre, label="bench", lifetime=timedelta(hours=2)
        )
    engine.dispose()
    return secret


def grid_lead(url: str) -> int:
    """A cadre leading some grid now (generate makes one per grid; else one is added)."""
    engine = create_engine(url)
    with engine.begin() as conn:
        found = conn.execute(text(
            "SELECT cadre_id FROM assignment WHERE role = 'grid_lead' AND valid_from <= now()"
            " AND (valid_to IS NULL OR valid_to > now()) ORDER BY grid_id LIMIT 1"
        )).scalar()  # fmt: skip
        if found is None:
            found = conn.execute(text(
                "INSERT INTO cadre (id, name, title, unit)"
                " VALUES ((SELECT coalesce(max(id), 0) + 1 FROM cadre), 'bench', '科员', 'bench')"
                " RETURNING id"
            )).scalar_one()  # fmt: skip
            conn.execute(text(
                "INSERT INTO assignment (id, cadre_id, role, grid_id, valid_from)"
                " VALUES ((SELECT coalesce(max(id), 0) + 1 FROM assignment), :cadre, 'grid_lead',"
                " (SELECT min(id) FROM grid), now() - interval '1 day')"
            ), {"cadre": found})  # fmt: skip
    engine.dispose()
    return int(found)


def page_two_cursors(url: str) -> list[tuple[str, str]]:
    """(code, the cursor of its 20th enterprise by credit code) for every tenth grid: the
    service's cursors are the URL-safe base64 of the JSON list of the sort key."""
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT g.code, (SELECT e.uscc FROM enterprise e WHERE e.grid_id = g.id"
            "                ORDER BY e.uscc OFFSET 19 LIMIT 1)"
            " FROM grid g WHERE g.id % 10 = 1 ORDER BY g.id"
        )).all()  # fmt: skip
    engine.dispose()
    return [
        (code, base64.urlsafe_b64encode(json.dumps([uscc]).encode()).decode())
        for code, uscc in rows
        if uscc
    ]


def signed_in_queries(url: str, query: CoreQuery) -> list[CoreQuery]:
    """The grid detail by a viewer and by a grid lead (a setup failure becomes the row's)."""
    rows = []
    for role in ("viewer", "cadre"):
        try:
            secret = create_token(url, role, grid_lead(url) if role == "cadre" else None)
            rows.append(signed_in(query, role, secret))
        except Exception as error:  # the service is changing: report it in the row, go on
            rows.append(signed_in(query, role, ""))
            SETUP_ERRORS[rows[-1].name] = f"no {role} token: {type(error).__name__}: {error}"
    return rows


def all_queries(url: str, plan: Plan) -> list[CoreQuery]:
    """Every row, in the order of the table: grid detail and its variants first."""
    grid, *others = core_queries(plan)
    return [grid, *variants(page_two_cursors(url)), *signed_in_queries(url, grid), *others]


def cells(outcome: Outcome | None) -> list[str]:
    if outcome is None:
        return ["", "", ""]
    if isinstance(outcome, str):
        return ["error", "", ""]
    return [f"{outcome.rps:,.0f}", f"{outcome.p50_ms:.2f}", f"{outcome.p95_ms:.2f}"]


def ratio(a: Outcome | None, b: Outcome | None) -> str:
    if isinstance(a, Figures) and isinstance(b, Figures) and b.rps > 0:
        return f"{a.rps / b.rps:.2f}"
    return ""


def failed(outcome: Outcome | None) -> str:
    return str(outcome.failures) if isinstance(outcome, Figures) else ""


HEADER = (
    "| query | raw SQL req/s | p50 ms | p95 ms | parkgrid req/s | p50 ms | p95 ms | parkgrid/raw"
    " | ÷ grid detail | PostGraphile req/s | p50 ms | p95 ms | parkgrid/PostGraphile"
    " | failed (parkgrid, PostGraphile) |\n"
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
)


def table(
    queries: list[CoreQuery],
    raw: dict[str, Outcome],
    service: dict[str, Outcome],
    peer: dict[str, Outcome],
) -> list[str]:
    base = service.get("grid detail")
    rows, notes = [HEADER], []
    for q in queries:
        r, s, p = raw.get(q.name), service.get(q.name), peer.get(q.name)
        failures = ", ".join(x for x in (failed(s), failed(p)) if x)
        rows.append(" | ".join([
            f"| {q.name}", *cells(r), *cells(s), ratio(s, r), ratio(s, base), *cells(p),
            ratio(s, p), failures]) + " |")  # fmt: skip
        for server, outcome in (("raw SQL", r), ("parkgrid", s), ("PostGraphile", p)):
            if isinstance(outcome, str):
                notes.append(f"- {q.name}, {server}: {outcome}")
            elif isinstance(outcome, Figures) and outcome.failures:
                notes.append(f"- {q.name}, {server}: {outcome.failures} failed, the first:"
                             f" {outcome.first_failure or '(no answer)'}")  # fmt: skip
    return rows + (["", "errors:", *notes] if notes else [])


def measure(url: str, plan: Plan, args: argparse.Namespace) -> None:
    queries = [q for q in all_queries(url, plan) if not args.only or args.only in q.name]
    raw: dict[str, Outcome] = {}
    for q in queries:
        if q.sql:
            try:
                raw[q.name] = run_pgbench(url, q, args.seconds, args.connections)
            except subprocess.CalledProcessError as error:
                raw[q.name] = f"pgbench: {error.stderr or error}"[:300]
    memory: list[str] = []
    service = serve(server, "parkgrid", url, plan, queries, args, memory)
    compared = [q for q in queries if q.peer_graphql] if args.peer else []
    peer = serve(peer_server, "PostGraphile", url, plan, compared, args, memory)
    print(*table(queries, raw, service, peer), "", *memory, sep="\n")


def serve(
    start: Callable[[str, int], AbstractContextManager[tuple[int, MemoryWatch]]],
    name: str,
    url: str,
    plan: Plan,
    queries: list[CoreQuery],
    args: argparse.Namespace,
    memory: list[str],
) -> dict[str, Outcome]:
    """Load one server with each query in turn; a server that does not start fails its rows."""
    if not queries:
        return {}
    peer = name != "parkgrid"
    try:
        with start(url, args.workers) as (port, watch):
            outcomes = {q.name: load(port, plan, q, args, peer) for q in queries}
            memory.append(watch.report(name, args.workers))
    except (SystemExit, OSError, subprocess.SubprocessError) as error:
        return {q.name: f"{name} did not run: {error}"[:500] for q in queries}
    return outcomes


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--generate", action="store_true", help="build the province first")
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--only", default="", help="only the queries whose name contains this")
    parser.add_argument(
        "--peer",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="measure PostGraphile too (the rows it can answer)",
    )
    args = parser.parse_args()
    plan, url = Plan(parks=10, zones=100, grids=10_000, enterprises=1_000_000, seed=1), bench_url()
    if args.generate:
        print(f"generate: peak RSS {generate(url, plan):.0f} MB")
    measure(url, plan, args)


if __name__ == "__main__":
    main()
