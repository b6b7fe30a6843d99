"""Benchmark a large import: `parkgrid import enterprises FILE` of a CSV of N enterprises in
the demo park, run as an operator runs it, timed, with the peak memory of its process.

    python -m bench.import_large [--rows 100000 1000000] [--dry-run] [--again] [--keep FOLDER]

Each size imports into a fresh copy of the demo park: the database `parkgrid_import_bench` on
the server of DATABASE_URL (else the private cluster) is dropped, created, migrated and seeded
before each run, so every run inserts all N rows and no run sees another's leftovers. The
rows are made here: credit codes valid by GB 32100 (parkgrid.uscc) under a prefix the demo
park does not use, points drawn uniformly inside the demo park's grids, Chinese names and
addresses as an office's register has them. With --again the same file is imported a second
time, every row then unchanged (each compared with the row it would replace).

Why the child's own rusage: the point of streaming is that the import's memory does not grow
with the file, and os.wait4 gives the peak resident set of that one process (the bench's
own, which writes the file, is left out)."""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from parkgrid import cluster
from parkgrid.settings import ClusterSettings, normalise_url
from parkgrid.uscc import check_character

PARKGRID = str(Path(sys.executable).with_name("parkgrid"))
DATABASE = "parkgrid_import_bench"
PREFIX = "91430624MB"
"""Credit codes of the bench's enterprises: the demo park's all start 91430624MA."""
HEADER = ["企业名称", "统一社会信用代码", "经度", "纬度", "地址", "行业"]
INDUSTRIES = ["机械", "新材料", "食品", "装备", "环保", "电子", "纺织", "建材"]
BLOCK = 50_000
"""Rows generated at a time (the bench's own memory stays small too)."""


@dataclass(frozen=True)
class Figures:
    rows: int
    seconds: float
    peak_mb: float
    status: int
    summary: str

    def line(self) -> str:
        rate = self.rows / self.seconds if self.seconds else 0.0
        return (
            f"{self.rows:>9,} rows  {self.seconds:7.1f} s  {rate:8,.0f} rows/s"
            f"  peak RSS {self.peak_mb:6.0f} MB  ({self.summary})"
        )


def bench_url() -> str:
    """The bench's own database on the server of DATABASE_URL, else the private cluster's."""
    given = os.environ.get("DATABASE_URL")
    base = normalise_url(given) if given else cluster.up(ClusterSettings())
    return make_url(base).set(database=DATABASE).render_as_string(hide_password=False)


def fresh_demo(url: str) -> None:
    """The demo park, and nothing else, in the bench's database."""
    cluster.drop_database(url)
    cluster.ensure_database(url)
    env = {**os.environ, "DATABASE_URL": url}
    for command in (["migrate"], ["seed", "demo"]):
        subprocess.run([PARKGRID, *command], env=env, check=True, stdout=subprocess.DEVNULL)


def grids(url: str) -> list[BaseGeometry]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT ST_AsBinary(boundary) FROM grid ORDER BY code"))
            return [shapely.from_wkb(bytes(row[0])) for row in rows]
    finally:
        engine.dispose()


def points(areas: list[BaseGeometry], count: int, rng: np.random.Generator) -> np.ndarray:
    """`count` points (lon, lat) uniformly inside the areas, each area by its share of the
    total (in degrees², close enough at a park's size)."""
    weights = np.array([area.area for area in areas])
    chosen = rng.choice(len(areas), size=count, p=weights / weights.sum())
    found = np.empty((count, 2))
    for n, area in enumerate(areas):
        wanted = np.flatnonzero(chosen == n)
        west, south, east, north = area.bounds
        kept: list[np.ndarray] = []
        have = 0
        while have < len(wanted):
            xy = rng.uniform((west, south), (east, north), size=(2 * len(wanted) + 16, 2))
            inside = xy[shapely.contains_xy(area, xy[:, 0], xy[:, 1])]
            kept.append(inside)
            have += len(inside)
        found[wanted] = np.concatenate(kept)[: len(wanted)]
    return found


def rows(areas: list[BaseGeometry], count: int, seed: int = 1) -> Iterator[list[str]]:
    rng = np.random.default_rng(seed)
    for start in range(0, count, BLOCK):
        block = points(areas, min(BLOCK, count - start), rng)
        for offset, (lon, lat) in enumerate(block.tolist()):
            n = start + offset
            body = f"{PREFIX}{n:07d}"
            yield [f"湘阴县第{n + 1}号企业有限公司", body + check_character(body),
                   f"{lon:.7f}", f"{lat:.7f}", f"湘阴县文星镇工业大道{n + 1}号",
                   INDUSTRIES[n % len(INDUSTRIES)]]  # fmt: skip


def write_csv(path: Path, areas: list[BaseGeometry], count: int) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(HEADER)
        writer.writerows(rows(areas, count))


def run_import(url: str, path: Path, dry_run: bool) -> Figures:
    """`parkgrid import enterprises FILE` in a process of its own: wall time and peak RSS."""
    command = [PARKGRID, "import", "enterprises", str(path), *(["--dry-run"] if dry_run else [])]
    env = {**os.environ, "DATABASE_URL": url}
    with tempfile.TemporaryFile("w+") as out:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        said = out.read().strip().splitlines()
    count = sum(1 for _ in path.open(encoding="utf-8-sig")) - 1
    summary = said[0] if said else ""
    return Figures(count, seconds, usage.ru_maxrss / 1024, process.returncode, summary)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--dry-run", action="store_true", help="import with --dry-run")
    parser.add_argument("--again", action="store_true", help="then import the file again")
    parser.add_argument("--keep", type=Path, help="write the CSV files into this folder")
    args = parser.parse_args()
    url = bench_url()
    results = []
    with tempfile.TemporaryDirectory(prefix="parkgrid-import-bench-") as scratch:
        folder = args.keep or Path(scratch)
        for count in args.rows:
            fresh_demo(url)
            path = folder / f"enterprises-{count}.csv"
            write_csv(path, grids(url), count)
            size = path.stat().st_size / 1_048_576
            print(f"{path.name}: {size:,.0f} MB; importing...", flush=True)
            for _ in range(2 if args.again else 1):
                figures = run_import(url, path, args.dry_run)
                print(figures.line(), flush=True)
                if figures.status != 0:
                    raise SystemExit(f"the import failed (exit {figures.status})")
                results.append(figures)
    print("\nparkgrid import enterprises FILE.csv" + (" --dry-run" if args.dry_run else ""))
    for figures in results:
        print(figures.line())


if __name__ == "__main__":
    main()
