"""OGC API – Features with GDAL's OAPIF driver (what QGIS uses), against a real server.

GDAL comes from Debian (`gdal-bin`), installed with apt when missing and we are root; the test
is skipped, saying why, only when it cannot be installed."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import uvicorn

from parkgrid import cluster
from parkgrid.settings import DatabaseSettings
from tests.helpers import apt_install
from tests.web.routes.test_ogc import BBOX, ENVELOPE, OPEN
from web.app import create_app


@contextmanager
def served(url: str) -> Iterator[int]:
    """The app under uvicorn on a free port, in a thread of this process."""
    port = cluster.free_port()
    config = uvicorn.Config(
        create_app(DatabaseSettings(url=url)), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def ogrinfo_path() -> str:
    found = shutil.which("ogrinfo")
    reason = apt_install("gdal-bin") if found is None else ""
    found = found or shutil.which("ogrinfo")
    if found is None:
        pytest.skip(f"GDAL's ogrinfo is missing and could not be installed: {reason}")
    return found


def ogrinfo(*args: str) -> str:
    env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
    done = subprocess.run(
        [ogrinfo_path(), "-ro", "-so", *args], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert "ERROR" not in done.stderr, done.stderr  # e.g. a missing API definition
    return done.stdout


def test_gdal_reads_the_service(demo_url: str, sql: Any) -> None:
    ogrinfo_path()
    west, south, east, north = BBOX
    [(in_box,)] = sql(f"SELECT count(*) FROM enterprise WHERE ST_Intersects(location, {ENVELOPE})",
                      w=west, s=south, e=east, n=north)  # fmt: skip
    [(open_issues,)] = sql(f"SELECT count(*) FROM issue i WHERE {OPEN}")
    [(lines,)] = sql("SELECT count(*) FROM infrastructure_line")
    with served(demo_url) as port:
        source = f"OAPIF:http://127.0.0.1:{port}/ogc"
        layers = ogrinfo(source)
        counted = ogrinfo("-spat", *map(str, BBOX), source, "enterprises")
        issues = ogrinfo(source, "issues")
        drawn = ogrinfo(source, "lines")
    found = re.findall(r"^\d+: (\w+)", layers, re.MULTILINE)
    assert found == ["zones", "grids", "enterprises", "issues", "lines", "projects"]
    assert f"Feature Count: {lines}\n" in drawn and "Geometry: Multi Line String" in drawn
    assert f"Feature Count: {in_box}\n" in counted and "Geometry: Point" in counted
    assert f"Feature Count: {open_issues}\n" in issues
    assert "title: String" in issues
