"""Load generators: pgbench for the raw SQL, wrk for the servers (/graphql, or a GET endpoint);
both report requests/s, p50, p95. wrk also counts answers carrying GraphQL errors as failures
and keeps the first one."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from statistics import quantiles

from sqlalchemy.engine import make_url

from bench.queries import BBOX_SIZE, CoreQuery, per_row
from parkgrid import cluster
from parkgrid.db import SHORT_STATEMENTS
from parkgrid.generate import PARK_GAP, PARK_SIZE, SOUTH, WEST, Plan

LUA = """
local parks, zones_per_park, grids_per_zone, per_row = {parks}, {zpp}, {gpz}, {per_row}
function random_grid_code()
  return string.format("G%03d%03d%04d", math.random(0, parks - 1),
    math.random(0, zones_per_park - 1), math.random(0, grids_per_zone - 1))
end
function random_point()
  local p = math.random(0, parks - 1)
  local col, row = p % per_row, math.floor(p / per_row)
  return {west} + col * {step} + math.random() * {size}, {south} + row * {step} + math.random() * {size}
end
function random_zone_code()
  return string.format("G%03d%03d", math.random(0, parks - 1), math.random(0, zones_per_park - 1))
end
function random_bbox()
  local lon, lat = random_point()
  return lon, lat, lon + {bbox}, lat + {bbox}
end
function box_polygon(w, s, e, n)
  return string.format('{{"type": "Polygon", "coordinates": [[[%.7f, %.7f], [%.7f, %.7f], '
    .. '[%.7f, %.7f], [%.7f, %.7f], [%.7f, %.7f]]]}}', w, s, e, s, e, n, w, n, w, s)
end
function random_tile(z)
  local lon, lat = random_point()
  local n, r = 2 ^ z, math.rad(lat)
  local y = math.floor((1 - math.log(math.tan(r) + 1 / math.cos(r)) / math.pi) / 2 * n)
  return z, math.floor((lon + 180) / 360 * n), y
end
{setup}
local threads = {{}}
function setup(thread)
  thread:set("seed", math.random(1, 1000000))
  table.insert(threads, thread)
end
function init(args)
  math.randomseed(seed)
  failed, first_failure = 0, ""
end
{request}
done = function(summary, latency, requests)
  local e, failed, first = summary.errors, 0, ""
  for _, thread in ipairs(threads) do
    failed = failed + thread:get("failed")
    if first == "" then first = thread:get("first_failure") end
  end
  io.write(string.format('RESULT {{"requests": %d, "seconds": %f, "p50_us": %f, "p95_us": %f, "errors": %d, "non2xx": %d, "failed": %d}}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(95),
    e.connect + e.read + e.write + e.timeout, e.status, failed))
  io.write("FIRST_FAILURE " .. string.gsub(first, "\\n", " ") .. "\\n")
end
"""


GRAPHQL_REQUEST = """wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local query = {query}
request = function()
  return wrk.format(nil, "/graphql", nil, '{{"query": ' .. query .. ', "variables": ' .. {variables} .. '}}')
end
-- an answer with GraphQL errors (PostGraphile and parkgrid both send them with status 200)
response = function(status, headers, body)
  if status ~= 200 or string.find(body, '"errors"', 1, true) then
    failed = failed + 1
    if first_failure == "" then first_failure = status .. " " .. string.sub(body, 1, 300) end
  end
end"""

GET_REQUEST = """request = function()
  return wrk.format("GET", {path})
end"""


@dataclass(frozen=True)
class Figures:
    rps: float
    p50_ms: float
    p95_ms: float
    failures: int = 0
    first_failure: str = ""  # the start of the first failed answer (wrk only)


def ensure_tool(name: str, package: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    if not cluster.can_apt():
        raise SystemExit(f"{name} is missing: install it (`apt-get install {package}`)")
    cluster.apt_install(package)
    return shutil.which(name) or name


def pgbench_path() -> str:
    majors = cluster.installed_majors()
    return (
        str(cluster.bindir(majors[-1]) / "pgbench")
        if majors
        else ensure_tool("pgbench", "postgresql-contrib")
    )


def request_lua(query: CoreQuery, peer: bool) -> str:
    if query.path_lua:
        return GET_REQUEST.format(path=query.path_lua)
    if peer:
        graphql, variables = query.peer_graphql, query.peer_variables_lua or query.variables_lua
    else:
        graphql, variables = query.graphql, query.variables_lua
    return GRAPHQL_REQUEST.format(query=json.dumps(json.dumps(graphql)), variables=variables)


def lua_script(plan: Plan, query: CoreQuery, peer: bool = False) -> str:
    """The wrk script of a query: to the service, or with `peer` to PostGraphile."""
    token = query.token and not peer
    sign_in = f'wrk.headers["Authorization"] = "Bearer {query.token}"\n' if token else ""
    return sign_in + LUA.format(
        parks=plan.parks, zpp=plan.zones_per_park, gpz=plan.grids_per_zone, per_row=per_row(plan),
        west=WEST, south=SOUTH, step=PARK_SIZE + PARK_GAP, size=PARK_SIZE, bbox=BBOX_SIZE,
        setup=query.lua_setup, request=request_lua(query, peer),
    )  # fmt: skip


def run_wrk(
    url: str, plan: Plan, query: CoreQuery, seconds: int, connections: int, peer: bool = False
) -> Figures:
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(lua_script(plan, query, peer))
        script.flush()
        command = [
            ensure_tool("wrk", "wrk"),
            "-t2",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "30s",  # slow shapes (the planner's) must count, not time out at wrk's 2 s
            "-s",
            script.name,
            url,
        ]
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    result = json.loads(output.split("RESULT ", 1)[1].splitlines()[0])
    marker = "FIRST_FAILURE "
    first = output.split(marker, 1)[1].splitlines()[0] if marker in output else ""
    return Figures(
        rps=result["requests"] / result["seconds"],
        p50_ms=result["p50_us"] / 1000, p95_ms=result["p95_us"] / 1000,
        # an answer with status 200 and GraphQL errors is a failure too (non2xx are in both)
        failures=result["errors"] + max(result["non2xx"], result["failed"]),
        first_failure=first.strip(),
    )  # fmt: skip


def pgbench_args(url: str) -> list[str]:
    parsed = make_url(url)
    return [
        "-h",
        parsed.host or "127.0.0.1",
        "-p",
        str(parsed.port or 5432),
        "-U",
        parsed.username or "postgres",
        str(parsed.database),
    ]


def run_pgbench(url: str, query: CoreQuery, seconds: int, connections: int) -> Figures:
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "query.sql"
        script.write_text(query.sql)
        command = [pgbench_path(), "-n", "-c", str(connections), "-j", "2", "-T", str(seconds),
                   "-f", str(script), "-l", "--log-prefix", str(Path(folder) / "log"), *pgbench_args(url)]  # fmt: skip
        # the service's own session settings (parkgrid.db), so both sides plan alike
        env = {**os.environ, "PGOPTIONS": SHORT_STATEMENTS}
        output = subprocess.run(
            command, capture_output=True, text=True, check=True, cwd=folder, env=env
        ).stdout
        latencies = [
            int(line.split()[2])
            for log in Path(folder).glob("log*")
            for line in log.read_text().splitlines()
        ]
    tps = float(re.search(r"tps = ([0-9.]+)", output).group(1))  # type: ignore[union-attr]
    cuts = quantiles(latencies, n=100)
    return Figures(rps=tps, p50_ms=cuts[49] / 1000, p95_ms=cuts[94] / 1000)
