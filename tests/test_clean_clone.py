"""The contract with a new user: from a clean clone, `make run` serves the demo park and
`make stop` stops it. It installs a virtualenv from the package index, so it runs only when
PARKGRID_TEST_CLEAN_CLONE=1 (CI of the project itself runs `make test` from a clean clone)."""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from parkgrid import cluster
from parkgrid.settings import PROJECT_ROOT

pytestmark = pytest.mark.skipif(
    os.environ.get("PARKGRID_TEST_CLEAN_CLONE") != "1", reason="set PARKGRID_TEST_CLEAN_CLONE=1"
)


def wait_ready(url: str, seconds: float) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return json.load(response)
        except OSError:
            time.sleep(2)
    raise AssertionError(f"{url} did not answer within {seconds} s")


def post_graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def test_make_run_from_a_clean_clone(tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(PROJECT_ROOT), str(clone)], check=True)
    port = cluster.free_port()
    env = {**os.environ, "PORT": str(port), "PARKGRID_CLUSTER_PORT": str(cluster.free_port())}
    env.pop("DATABASE_URL", None)
    server = subprocess.Popen(["make", "run"], cwd=clone, env=env, stdout=subprocess.DEVNULL)
    try:
        assert wait_ready(f"http://127.0.0.1:{port}/readyz", 600)["ready"] is True
        body = post_graphql(port, "{ parks { nodes { enterprises { totalCount } } } }")
        assert body["data"]["parks"]["nodes"] == [{"enterprises": {"totalCount": 216}}]
        again = subprocess.run(["make", "seed"], cwd=clone, env=env, capture_output=True, text=True)
        assert again.returncode == 0 and "not loaded" in again.stdout
    finally:
        subprocess.run(["make", "stop"], cwd=clone, env=env, check=True, capture_output=True)
        server.wait(timeout=60)
    assert not (clone / ".data" / "server.pid").exists()
