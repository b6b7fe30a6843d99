"""Operations tests: a real `parkgrid serve` with two workers on a throwaway cluster of
their own (the fault tests' ThrowawayCluster), so that PostgreSQL's log and
pg_stat_statements (which needs the cluster started with it) are theirs to read."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from bench.servers import server
from tests.conftest import ADMIN_TOKEN, add_token
from tests.faults.conftest import Http, ThrowawayCluster, throwaway, wait_for  # noqa: F401 - fixture

WORKERS = 2
RATE_LIMITS = {"ogc": 30, "mutations": 40}
WINDOW_S = 3600  # a burst never straddles two windows
VIEWERS = ("pgt_ops-viewer-a", "pgt_ops-viewer-b")


@dataclass(frozen=True)
class Service:
    port: int
    log: Path
    url: str
    cluster: ThrowawayCluster
    tokens: dict[str, int]

    def http(self, token: str | None = ADMIN_TOKEN) -> Http:
        return Http(self.port, token)

    def log_lines(self) -> list[dict[str, Any]]:
        """Every JSON line of the server's output (uvicorn's start-up lines included)."""
        found = []
        for line in self.log.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                found.append(json.loads(line))
        return found

    def lines_where(
        self, wanted: Callable[[dict[str, Any]], bool], count: int
    ) -> list[dict[str, Any]]:
        """The log lines `wanted` picks, once `count` of them are written (a worker writes a
        request's line just after its answer went out), or as many as there are by then."""
        found: list[dict[str, Any]] = []

        def enough() -> bool:
            found[:] = [line for line in self.log_lines() if wanted(line)]
            return len(found) >= count

        wait_for(enough, 10)
        return found

    def sql(self, query: str, **params: Any) -> list[Any]:
        engine = create_engine(self.url)
        try:
            with engine.begin() as conn:
                return list(conn.execute(text(query), params).all())
        finally:
            engine.dispose()


@pytest.fixture(scope="session")
def ops_service(throwaway: ThrowawayCluster) -> Iterator[Service]:  # noqa: F811
    """The server, its log, and two viewer tokens besides the admin's."""
    tokens = {ADMIN_TOKEN: token_id(throwaway.url, ADMIN_TOKEN)}
    for secret in VIEWERS:
        tokens[secret] = add_token(throwaway.url, secret, "viewer")
    engine = create_engine(throwaway.url)  # every statement logged, with its application
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ALTER DATABASE parkgrid SET log_min_duration_statement = 0"))
    engine.dispose()
    with contextlib.ExitStack() as stack:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("TMPDIR", str(throwaway.settings.data_dir))
            patch.setenv("PARKGRID_RATE_LIMITS", json.dumps(RATE_LIMITS))
            patch.setenv("PARKGRID_RATE_WINDOW_S", str(WINDOW_S))
            patch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
            port, _ = stack.enter_context(server(throwaway.url, WORKERS))
        # the server keeps its environment; the session's other apps must not see the limits
        log = throwaway.settings.data_dir / f"parkgrid-bench-{port}.log"
        yield Service(port, log, throwaway.url, throwaway, tokens)


def token_id(url: str, secret: str) -> int:
    from parkgrid.auth.tokens import digest

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            found = conn.execute(text("SELECT id FROM api_token WHERE token_hash = :d"),
                                 {"d": digest(secret)})  # fmt: skip
            return int(found.scalar_one())
    finally:
        engine.dispose()
