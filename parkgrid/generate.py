"""A large synthetic province for benchmarks, streamed into the database with COPY.

Parks sit side by side across Hunan; each park's zones are vertical strips and each zone's
grids horizontal bands, so the grids tile the zones exactly. Enterprises are random points
inside random grids. Rows are produced by generators and streamed, never held in memory."""

from __future__ import annotations

import io
import math
import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import psycopg2
from rich.progress import Progress

from parkgrid.cluster import libpq_dsn
from parkgrid.uscc import ALPHABET, check_character

WEST, SOUTH = 110.0, 26.0
PARK_SIZE = 0.12  # degrees, about 12 x 13 km
PARK_GAP = 0.02
INDUSTRIES = (
    "新材料",
    "装备制造",
    "食品加工",
    "电子信息",
    "生物医药",
    "纺织服装",
    "现代物流",
    "绿色建材",
)
STATUSES = (
    "reported",
    "accepted",
    "in_progress",
    "resolved",
    "verified",
    "closed",
    "closed",
    "closed",
)
CATEGORIES = ("recruitment", "permits", "financing", "infrastructure", "safety_hazard", "other")
ENTERPRISES_PER_LIAISON = 40
ISSUES_PER_ENTERPRISE = 0.1


@dataclass(frozen=True)
class Plan:
    parks: int
    zones: int
    grids: int
    enterprises: int
    seed: int

    @property
    def zones_per_park(self) -> int:
        return max(1, self.zones // self.parks)

    @property
    def grids_per_zone(self) -> int:
        return max(1, self.grids // (self.parks * self.zones_per_park))

    @property
    def grid_count(self) -> int:
        return self.parks * self.zones_per_park * self.grids_per_zone


def rectangle(west: float, south: float, east: float, north: float) -> str:
    ring = f"{west} {south},{east} {south},{east} {north},{west} {north},{west} {south}"
    return f"SRID=4326;MULTIPOLYGON((({ring})))"


def park_origin(plan: Plan, park: int) -> tuple[float, float]:
    per_row = math.ceil(math.sqrt(plan.parks))
    column, row = park % per_row, park // per_row
    return WEST + column * (PARK_SIZE + PARK_GAP), SOUTH + row * (PARK_SIZE + PARK_GAP)


def zone_edges(plan: Plan, park: int, zone: int) -> tuple[float, float, float, float]:
    west, south = park_origin(plan, park)
    width = PARK_SIZE / plan.zones_per_park
    return west + zone * width, south, west + (zone + 1) * width, south + PARK_SIZE


def grid_edges(plan: Plan, park: int, zone: int, grid: int) -> tuple[float, float, float, float]:
    west, south, east, _ = zone_edges(plan, park, zone)
    height = PARK_SIZE / plan.grids_per_zone
    return west, south + grid * height, east, south + (grid + 1) * height


def park_code(park: int) -> str:
    return f"G{park:03d}"


def zone_code(park: int, zone: int) -> str:
    return f"{park_code(park)}{zone:03d}"


def grid_code(park: int, zone: int, grid: int) -> str:
    return f"{zone_code(park, zone)}{grid:04d}"


def parks(plan: Plan) -> Iterator[tuple[Any, ...]]:
    for park in range(plan.parks):
        west, south = park_origin(plan, park)
        boundary = rectangle(west, south, west + PARK_SIZE, south + PARK_SIZE)
        yield park + 1, park_code(park), f"合成园区{park + 1}", boundary


def zones(plan: Plan) -> Iterator[tuple[Any, ...]]:
    for park in range(plan.parks):
        for zone in range(plan.zones_per_park):
            zone_id = park * plan.zones_per_park + zone + 1
            edges = zone_edges(plan, park, zone)
            yield zone_id, zone_code(park, zone), f"片区{zone_id}", park + 1, rectangle(*edges)


def grid_index(plan: Plan) -> Iterator[tuple[int, int, int, int]]:
    """(grid id, park, zone, grid) for every grid, ids from 1."""
    grid_id = 0
    for park in range(plan.parks):
        for zone in range(plan.zones_per_park):
            for grid in range(plan.grids_per_zone):
                grid_id += 1
                yield grid_id, park, zone, grid


def grids(plan: Plan) -> Iterator[tuple[Any, ...]]:
    for grid_id, park, zone, grid in grid_index(plan):
        zone_id = park * plan.zones_per_park + zone + 1
        boundary = rectangle(*grid_edges(plan, park, zone, grid))
        yield grid_id, grid_code(park, zone, grid), f"网格{grid_id}", zone_id, boundary


def uscc(n: int) -> str:
    digits = []
    for _ in range(9):
        n, digit = divmod(n, len(ALPHABET))
        digits.append(ALPHABET[digit])
    body = "91430624" + "".join(reversed(digits))
    return body + check_character(body)


def point_in(rng: random.Random, edges: tuple[float, float, float, float]) -> tuple[float, float]:
    west, south, east, north = edges
    margin_x, margin_y = (east - west) * 0.01, (north - south) * 0.01
    lon = rng.uniform(west + margin_x, east - margin_x)
    return round(lon, 7), round(rng.uniform(south + margin_y, north - margin_y), 7)


def enterprises(plan: Plan) -> Iterator[tuple[Any, ...]]:
    rng = random.Random(plan.seed)
    cells = list(grid_index(plan))
    for n in range(plan.enterprises):
        _, park, zone, grid = rng.choice(cells)
        lon, lat = point_in(rng, grid_edges(plan, park, zone, grid))
        industry = rng.choice(INDUSTRIES)
        name = f"合成{industry}企业{n + 1}"
        yield n + 1, uscc(n), name, industry, f"SRID=4326;POINT({lon} {lat})"


def cadre_count(plan: Plan) -> int:
    return plan.parks * plan.zones_per_park + plan.grid_count + liaison_count(plan)


def liaison_count(plan: Plan) -> int:
    return max(1, plan.enterprises // ENTERPRISES_PER_LIAISON)


def cadres(plan: Plan) -> Iterator[tuple[Any, ...]]:
    for n in range(cadre_count(plan)):
        yield n + 1, f"干部{n + 1}", "科员", "合成园区管委会", f"1330{n:07d}"


def assignments(plan: Plan, since: datetime) -> Iterator[tuple[Any, ...]]:
    zone_total = plan.parks * plan.zones_per_park
    for zone in range(zone_total):
        yield zone + 1, "zone_lead", zone + 1, None, None, since
    for grid in range(plan.grid_count):
        yield zone_total + grid + 1, "grid_lead", None, grid + 1, None, since
    first_liaison = zone_total + plan.grid_count + 1
    for enterprise in range(plan.enterprises):
        cadre = first_liaison + enterprise % liaison_count(plan)
        yield cadre, "liaison", None, None, enterprise + 1, since


def issues(plan: Plan, now: datetime) -> Iterator[tuple[Any, ...]]:
    rng = random.Random(plan.seed + 1)
    for _ in range(int(plan.enterprises * ISSUES_PER_ENTERPRISE)):
        reported = now - timedelta(days=rng.uniform(1, 365))
        due = (reported + timedelta(days=30)).date()
        status = rng.choice(STATUSES)
        enterprise = rng.randint(1, plan.enterprises)
        yield enterprise, rng.choice(CATEGORIES), "合成问题", status, due, reported


def copy_text(value: Any) -> str:
    if value is None:
        return "\\N"
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


class RowStream(io.RawIOBase):
    """A readable stream of COPY text lines made from rows as they are read."""

    def __init__(self, rows: Iterable[tuple[Any, ...]], tick: Callable[[int], None]) -> None:
        self.rows = iter(rows)
        self.tick = tick
        self.buffer = b""

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        lines = [self.buffer]
        length = len(self.buffer)
        while size < 0 or length < size:
            row = next(self.rows, None)
            if row is None:
                break
            lines.append(("\t".join(copy_text(v) for v in row) + "\n").encode())
            length += len(lines[-1])
        self.tick(len(lines) - 1)
        data = b"".join(lines)
        cut = len(data) if size < 0 else size
        chunk, self.buffer = data[:cut], data[cut:]
        return chunk


@dataclass(frozen=True)
class Load:
    table: str
    columns: str
    rows: Callable[[], Iterator[tuple[Any, ...]]]
    total: int


def loads(plan: Plan, now: datetime) -> list[Load]:
    since = now - timedelta(days=400)
    zone_total = plan.parks * plan.zones_per_park
    liaisons = zone_total + plan.grid_count + plan.enterprises
    return [
        Load("park", "id, code, name, boundary", partial(parks, plan), plan.parks),
        Load("zone", "id, code, name, park_id, boundary", partial(zones, plan), zone_total),
        Load("grid", "id, code, name, zone_id, boundary", partial(grids, plan), plan.grid_count),
        Load("enterprise", "id, uscc, name, industry, location",
             partial(enterprises, plan), plan.enterprises),
        Load("cadre", "id, name, title, unit, phone", partial(cadres, plan), cadre_count(plan)),
        Load("assignment", "cadre_id, role, zone_id, grid_id, enterprise_id, valid_from",
             partial(assignments, plan, since), liaisons),
        Load("issue", "enterprise_id, category, title, status, due_date, reported_at",
             partial(issues, plan, now), int(plan.enterprises * ISSUES_PER_ENTERPRISE)),
    ]  # fmt: skip


def copy_all(cursor: Any, plan: Plan, progress: Progress) -> None:
    for load in loads(plan, datetime.now(UTC)):
        task = progress.add_task(load.table, total=load.total)
        stream = RowStream(load.rows(), partial(progress.advance, task))
        cursor.copy_expert(f"COPY {load.table} ({load.columns}) FROM STDIN", stream)


TABLES = ("park", "zone", "grid", "enterprise", "cadre", "assignment", "issue")
EMPTY_DATABASE = (
    "point DATABASE_URL at an empty database and run `parkgrid migrate` on it first"
    " (generate never adds to or replaces existing data)"
)


class Refused(RuntimeError):
    """The database is not one generate may fill; the message says why and what to do."""


def require_empty(cursor: Any) -> None:
    """Refuse, before any row is written, a database that is not migrated or already holds
    rows in a table generate fills: the rows come with fixed ids, and COPY would fail on the
    first clash (or mix a synthetic province into a real one)."""
    cursor.execute("SELECT to_regclass('public.park') IS NOT NULL")
    if not cursor.fetchone()[0]:
        raise Refused(f"the database is not migrated; {EMPTY_DATABASE}")
    held = []
    for table in TABLES:
        cursor.execute(f"SELECT count(*) FROM public.{table}")
        count = int(cursor.fetchone()[0])
        if count:
            held.append(f"{table}: {count}")
    if held:
        raise Refused(f"the database already holds data ({', '.join(held)}); {EMPTY_DATABASE}")


def finish(cursor: Any) -> None:
    for table in TABLES:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
            f" (SELECT coalesce(max(id), 1) FROM {table}))"
        )
    # enterprises arrive in random order: store neighbours together, as maps read them
    cursor.execute("CLUSTER enterprise USING enterprise_location_gist")
    cursor.execute("VACUUM ANALYZE")


def generate(url: str, plan: Plan) -> str:
    """Stream the province into the database at `url` in one transaction."""
    connection = psycopg2.connect(libpq_dsn(url))
    try:
        with connection, connection.cursor() as cursor:
            require_empty(cursor)
            with Progress(transient=True) as progress:
                copy_all(cursor, plan, progress)
        with connection.cursor() as cursor:
            connection.autocommit = True
            finish(cursor)
    finally:
        connection.close()
    return (
        f"generated {plan.parks} parks, {plan.parks * plan.zones_per_park} zones,"
        f" {plan.grid_count} grids, {plan.enterprises} enterprises"
    )
