"""Fixtures of the kernel's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, Engine

from tests.parkgrid.importer_park import Cli
from tests.parkgrid.importer_park import cli as run_cli


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    """`parkgrid` run in this process on a database URL: (exit status, stdout, stderr)."""

    def run(url: str, *args: str) -> tuple[int, str, str]:
        return run_cli(url, monkeypatch, capsys, *args)

    return run


def rolled_back(engine: Engine) -> Iterator[Connection]:
    """A transaction that is rolled back: the probes change nothing."""
    with engine.connect() as connection:
        yield connection
        connection.rollback()
