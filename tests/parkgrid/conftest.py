"""Fixtures of the kernel's tests."""

from __future__ import annotations

import pytest

from tests.parkgrid.importer_park import Cli
from tests.parkgrid.importer_park import cli as run_cli


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    """`parkgrid` run in this process on a database URL: (exit status, stdout, stderr)."""

    def run(url: str, *args: str) -> tuple[int, str, str]:
        return run_cli(url, monkeypatch, capsys, *args)

    return run
