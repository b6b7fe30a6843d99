"""Fixtures of the export tests: a demo database of the module's own (tokens are added to
it), `parkgrid export` run as an operator runs it, and the independent readers the files are
checked with: openpyxl for workbooks, GDAL's ogrinfo (Debian's gdal-bin) for vector files and
LibreOffice (Debian's libreoffice-calc) converting workbooks to CSV as an office would open
them. Missing tools are installed with apt when we are root; a test is skipped, saying why,
only when that fails."""

from __future__ import annotations

import csv
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import create_engine, text

from tests.conftest import Databases
from tests.helpers import apt_install
from web.cli import main

OFFICE_SECONDS = 240
"""How long LibreOffice may take to convert one workbook (its first start builds a profile)."""


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "office: converts exported workbooks with LibreOffice (apt-installs libreoffice-calc"
        " when missing; each conversion bounded in time)",
    )


@pytest.fixture(scope="module")
def export_url(databases: Databases, demo_template: str) -> str:
    """A demo database of the module's own: its tests add tokens."""
    return databases.url(databases.create(template=demo_template))


@pytest.fixture(scope="module")
def plain(export_url: str) -> Iterator[Callable[..., list[Any]]]:
    """Rows of a plain query on the tables themselves (schema public, no service code)."""
    engine = create_engine(export_url)

    def run(query: str, **params: Any) -> list[Any]:
        with engine.connect() as conn:
            conn.execute(text("SET search_path = public"))
            return list(conn.execute(text(query), params).all())

    yield run
    engine.dispose()


Exporter = Callable[..., Path]


@pytest.fixture
def export(
    export_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Exporter:
    """`parkgrid export WHAT ARGS` into a file under tmp_path; the file's path."""
    monkeypatch.setenv("DATABASE_URL", export_url)

    def run(what: str, name: str, *args: str) -> Path:
        path = tmp_path / name
        head = [what, *args[:1], str(path)] if what == "coverage" else [what, str(path)]
        rest = args[1:] if what == "coverage" else args
        status = main(["export", *head, *rest])
        out, err = capsys.readouterr()
        assert status == 0, err
        assert path.exists(), out
        return path

    return run


def sheet_rows(path: Path, sheet: int | str = 0) -> list[tuple[Any, ...]]:
    """Every row of a sheet as openpyxl reads it (the header row first)."""
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        chosen = book.worksheets[sheet] if isinstance(sheet, int) else book[sheet]
        return [tuple(row) for row in chosen.iter_rows(values_only=True)]
    finally:
        book.close()


def tool(name: str, package: str) -> str:
    found = shutil.which(name)
    reason = apt_install(package) if found is None else ""
    found = found or shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is missing and could not be installed: {reason}")
    return found


def ogrinfo(*args: str) -> str:
    """GDAL's own reading of a file (`ogrinfo -ro ARGS`)."""
    done = subprocess.run(
        [tool("ogrinfo", "gdal-bin"), "-ro", *args], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert "ERROR" not in done.stderr, done.stderr
    return done.stdout


def office_csv(workbook: Path, folder: Path) -> dict[str, list[list[str]]]:
    """Each sheet of the workbook as LibreOffice Calc saves it as CSV (UTF-8, comma), by
    sheet name: what an office user's software makes of the file."""
    soffice = tool("soffice", "libreoffice-calc")
    folder.mkdir(parents=True, exist_ok=True)
    # 44 = comma, 34 = double quote, 76 = UTF-8; the last token, -1, writes every sheet
    # to a file of its own (<name>-<sheet>.csv)
    options = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"
    profile = folder / "profile"
    command = [soffice, f"-env:UserInstallation=file://{profile}", "--headless",
               "--convert-to", options, "--outdir", str(folder), str(workbook)]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=OFFICE_SECONDS)
    assert done.returncode == 0, done.stderr
    found = {}
    for file in sorted(folder.glob(f"{workbook.stem}-*.csv")):
        sheet = file.stem.removeprefix(f"{workbook.stem}-")
        with file.open(encoding="utf-8", newline="") as handle:
            found[sheet] = list(csv.reader(handle))
    assert found, f"LibreOffice wrote no CSV: {done.stdout} {done.stderr}"
    return found
