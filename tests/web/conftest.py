"""Fixtures of the browser tests: the app under uvicorn on the demo database, and chromium
launched by `tests/web/browser.py` (one per test module, closed with it)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.web.browser import launch, served


@pytest.fixture(scope="module")
def base(demo_url: str) -> Iterator[str]:
    """The served app's root URL, `http://127.0.0.1:<port>`."""
    with served(demo_url) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = launch(playwright)
        yield launched
        launched.close()
