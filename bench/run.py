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
import json
import os
import re
import resource
import subprocess
import urllib.error
import urllib.request
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.load import Figures, run_pgbench, run_wrk
from bench.queries import SAMPLE, CoreQuery, core_queries, signed_in, variants
from bench.servers import PARKGRID, MemoryWatch, peer_server, server
from parkgrid import cluster, migrate
from parkgrid.auth import tokens
from parkgrid.generate import Plan
from parkgrid.settings import ClusterSettings, normalise_url


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
    return [grid, *variants(plan, page_two_cursors(url)), *signed_in_queries(url, grid), *others]


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
        for side, outcome in (("raw SQL", r), ("parkgrid", s), ("PostGraphile", p)):
            if isinstance(outcome, str):
                notes.append(f"- {q.name}, {side}: {outcome}")
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
