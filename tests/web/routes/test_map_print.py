"""Printing the /map page's view (in Debian's chromium, reaching nothing but the service): the
PNG and the A4 and A3 PDFs download, open (the PDF rendered back to PNG by poppler's
`pdftoppm`, installed with apt when missing) and are not blank; the PDF pages have their
paper's proportions and A3 is the larger."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageStat
from playwright.sync_api import Browser

from tests.helpers import apt_install
from tests.web.map_page import SCREENSHOTS, WAIT_MS, MapPage, chinese_font
from tests.web.planner_park import base, opened, park_url

__all__ = ["base", "chinese_font", "park_url"]  # fixtures


def pdftoppm() -> str:
    found = shutil.which("pdftoppm")
    if found is None:
        reason = apt_install("poppler-utils")
        found = shutil.which("pdftoppm")
        if found is None:
            pytest.skip(f"pdftoppm is missing and could not be installed: {reason}")
    return found


def download(page: MapPage, button: str, to: Path) -> Path:
    with page.page.expect_download(timeout=WAIT_MS) as started:
        page.page.click(button)
    started.value.save_as(to)
    return to


def not_blank(image: Image.Image) -> None:
    """Far from one flat colour: many colours, and a tenth or more of it not white."""
    rgb = image.convert("RGB")
    assert len(rgb.getcolors(1 << 20) or []) > 50
    inked = sum(rgb.convert("L").histogram()[:240])  # pixels darker than near-white
    assert inked > 0.1 * rgb.width * rgb.height
    assert max(ImageStat.Stat(rgb).stddev) > 20


def test_png_and_pdfs_open_and_are_not_blank(browser: Browser, base: str, tmp_path: Path) -> None:
    page, context = opened(browser, base, "layers=gaps,overlaps,enterprises-outside-grids")
    try:
        png = download(page, "#print-png", tmp_path / "view.png")
        with Image.open(png) as image:
            image.load()
            not_blank(image)
            map_width = page.js("() => window.parkgridMap.getCanvas().width")
            assert image.width > map_width
            shutil.copy(png, SCREENSHOTS / "map-print.png")
        sizes = {}
        for size in ("A4", "A3"):
            page.page.select_option("#print-size", size)
            pdf = download(page, "#print-pdf", tmp_path / f"view-{size}.pdf")
            assert pdf.read_bytes().startswith(b"%PDF-")
            subprocess.run(
                [pdftoppm(), "-png", "-r", "40", "-singlefile", str(pdf), str(tmp_path / size)],
                check=True,
            )
            with Image.open(tmp_path / f"{size}.png") as image:
                image.load()
                not_blank(image)
                assert image.width / image.height == pytest.approx(297 / 210, rel=0.02)
                sizes[size] = image.width
            shutil.copy(tmp_path / f"{size}.png", SCREENSHOTS / f"map-print-{size}.png")
        assert sizes["A3"] == pytest.approx(sizes["A4"] * 420 / 297, rel=0.02)
        assert page.page.is_hidden("#errors"), page.page.inner_text("#errors")
        assert page.outside() == []
    finally:
        context.close()
