"""The statistics workbook against the `stats` field itself for the same area and period:
every figure of the summary, of each category and of each grid is the field's."""

from __future__ import annotations

from typing import Any

import pytest

from resolvers.exports.labels import CATEGORY_ZH
from tests.conftest import app_client, graphql_client
from tests.resolvers.exports.conftest import sheet_rows

PERIOD = {"from": "2026-01-01", "to": "2026-06-30"}
FIGURES = """
query ($park: String, $grid: String, $from: Date, $to: Date) {
  stats(park: $park, grid: $grid, from: $from, to: $to) {
    visits { visits enterprises enterprisesVisited }
    issues {
      total { reported closed open overdue due dueClosed dueClosedOnTime closureRate onTimeClosureRate }
      byCategory { category reported closed closedOnTime rejected open overdue due dueClosed
                   dueClosedOnTime closureRate onTimeClosureRate meanDaysToClose p90DaysToClose }
    }
    safetyHazards { found rectified rectifiedOnTime }
    outcomes { peopleHired loanCny hazardsRectified recruitedEnterprises financedEnterprises }
  }
}
"""


@pytest.fixture(scope="module")
def stats_of(export_url: str) -> Any:
    with app_client(export_url) as client:
        run = graphql_client(client)
        yield lambda **area: run(FIGURES, {**PERIOD, **area})["data"]["stats"]


def close(found: Any, expected: float | None) -> bool:
    if expected is None:
        return found is None
    return found is not None and abs(found - expected) < 1e-9 * max(1.0, abs(expected))


def test_by_category_is_the_stats_field(export, plain, stats_of) -> None:
    [(park,)] = plain("SELECT code FROM park")
    path = export(
        "stats", "stats.xlsx", "--park", park, "--from", PERIOD["from"], "--to", PERIOD["to"]
    )
    field = stats_of(park=park)
    rows = sheet_rows(path, "按类别")[1:]
    assert len(rows) == len(field["issues"]["byCategory"]) + 1  # the categories, then the total
    for row, want in zip(rows, field["issues"]["byCategory"], strict=False):
        assert row[0] == CATEGORY_ZH[want["category"].lower()]
        keys = ("reported", "closed", "closedOnTime", "rejected", "open", "overdue", "due",
                "dueClosed", "dueClosedOnTime")  # fmt: skip
        assert list(row[1:10]) == [want[k] for k in keys]
        for found, key in zip(
            row[10:],
            ("closureRate", "onTimeClosureRate", "meanDaysToClose", "p90DaysToClose"),
            strict=True,
        ):
            assert close(found, want[key]), (row[0], key, found, want[key])
    total = field["issues"]["total"]
    assert rows[-1][0] == "合计" and rows[-1][1:3] == (total["reported"], total["closed"])


def test_every_grid_and_the_summary(export, plain, stats_of) -> None:
    path = export(
        "stats", "stats-en.xlsx", "--from", PERIOD["from"], "--to", PERIOD["to"], "--lang", "en"
    )
    grids = [row.code for row in plain("SELECT code FROM grid ORDER BY code")]
    rows = sheet_rows(path, "by grid")
    header, body = rows[0], rows[1:]
    assert [row[1] for row in body] == [*grids, None]
    column = {name: n for n, name in enumerate(header)}
    for row in body[:-1]:
        want = stats_of(grid=row[1])
        total, hazards, outcomes = want["issues"]["total"], want["safetyHazards"], want["outcomes"]
        assert row[column["enterprises"]] == want["visits"]["enterprises"]
        assert row[column["visits"]] == want["visits"]["visits"]
        assert row[column["reported"]] == total["reported"]
        assert row[column["due and closed"]] == total["dueClosed"]
        assert close(row[column["closure rate"]], total["closureRate"])
        assert close(row[column["on-time closure rate"]], total["onTimeClosureRate"])
        assert row[column["hazards found"]] == hazards["found"]
        assert row[column["hazards rectified on time"]] == hazards["rectifiedOnTime"]
        assert row[column["people hired"]] == outcomes["peopleHired"]
        assert close(row[column["loans (CNY)"]], outcomes["loanCny"])
    everything = stats_of()
    summary = dict(sheet_rows(path, "summary")[1:])
    assert summary["period"] == f"{PERIOD['from']} – {PERIOD['to']}"
    assert summary["reported"] == everything["issues"]["total"]["reported"]
    assert close(summary["closure rate"], everything["issues"]["total"]["closureRate"])
    assert summary["hazards found"] == everything["safetyHazards"]["found"]
    assert close(summary["loans (CNY)"], everything["outcomes"]["loanCny"])
    assert summary["enterprises financed"] == everything["outcomes"]["financedEnterprises"]


def test_a_month(export, plain) -> None:
    path = export("stats", "june.xlsx", "--month", "2026-06")
    summary = dict(sheet_rows(path, "概况")[1:])
    assert summary["统计期"] == "2026-06-01 – 2026-06-30"
    assert summary["整月数"] == 1
