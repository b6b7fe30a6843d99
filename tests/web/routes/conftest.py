"""Fixtures of the HTTP endpoints' tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, text


@pytest.fixture(scope="module")
def sql(demo_url: str) -> Iterator[Any]:
    """Rows of a plain query on the tables themselves (no service code involved)."""
    engine = create_engine(demo_url)

    def run(query: str, **params: Any) -> list[Any]:
        with engine.connect() as conn:
            return list(conn.execute(text(query), params).all())

    yield run
    engine.dispose()
