"""Hiring drives: plans entered per enterprise and month, the notice assembled from them
(checked against a grouping of the plans done here in Python), recruitment events whose
hires feed the outcome totals of `stats` (checked against plain SQL over both tables)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import GraphQL, app_client, graphql_client
from tests.helpers import read_rows
from tests.resolvers.conftest import X0, Y0, D, code
from tests.schema.stats_oracle import PARK_TZ
from tests.schema.story_park import small_park

TODAY = datetime.now(PARK_TZ).date()
MONTH = TODAY.replace(day=1)
INDUSTRIES = {1: "new materials", 2: "new materials", 3: "equipment", 4: None}
PLANS = [  # firm, position, headcount, wage range
    (1, "welder", 10, (4500.0, 6500.0)),
    (2, "welder", 5, (5000.0, 7000.0)),
    (3, "welder", 3, (5200.0, 6000.0)),
    (2, "quality inspector", 2, None),
    (4, "driver", 1, (4000.0, 4000.0)),
]
SAVE = """mutation($p: HiringPlanInput!) { saveHiringPlan(plan: $p) {
  __typename ... on HiringPlanPayload { plan { id version headcount } }
  ... on UserError { field code message } } }"""


@pytest.fixture
def gql(empty_url: str) -> Iterator[GraphQL]:
    firms = {n: (X0 + 0.001 * n, Y0 + 0.005) for n in INDUSTRIES}
    small_park(empty_url, firms | {5: (X0 + 2 * D + 0.005, Y0 + 0.005)})  # 5: outside the grids
    engine = create_engine(empty_url)
    with engine.begin() as conn:
        for n, industry in INDUSTRIES.items():
            conn.execute(text("UPDATE enterprise SET industry = :i WHERE id = :n"),
                         {"i": industry, "n": n})  # fmt: skip
    engine.dispose()
    with app_client(empty_url) as client:
        yield graphql_client(client)


def plan(firm: int, position: str, headcount: int, wages: tuple[float, float] | None,
         **extra: Any) -> dict[str, Any]:  # fmt: skip
    low, high = wages or (None, None)
    return {"enterprise": code(firm), "month": str(MONTH), "position": position,
            "headcount": headcount, "wageMin": low, "wageMax": high} | extra  # fmt: skip


def save(gql: GraphQL, given: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = gql(SAVE, {"p": given})["data"]["saveHiringPlan"]
    return result


def test_the_notice_groups_the_plans_by_industry_and_position(gql: GraphQL) -> None:
    for firm, position, headcount, wages in PLANS:
        assert save(gql, plan(firm, position, headcount, wages))["__typename"] == (
            "HiringPlanPayload")  # fmt: skip
    save(gql, plan(1, "welder", 99, None, month=str((MONTH - timedelta(1)).replace(day=1))))
    groups: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for firm, position, headcount, wages in PLANS:
        groups[(INDUSTRIES[firm] or "", position)].append((firm, headcount, wages))
    query = """query($m: Date!) { recruitmentNotice(month: $m, park: "P") { month headcount
        enterpriseCount lines { industry position headcount enterprises wageMin wageMax
        plans { enterprise { uscc } headcount } } } }"""
    found = gql(query, {"m": str(MONTH)})["data"]["recruitmentNotice"]
    assert found["headcount"] == sum(p[2] for p in PLANS)
    assert found["enterpriseCount"] == len({p[0] for p in PLANS})
    expected = []
    for (industry, position), rows in sorted(groups.items()):
        lows = [w[0] for _, _, w in rows if w]
        highs = [w[1] for _, _, w in rows if w]
        expected.append({
            "industry": industry or None, "position": position,
            "headcount": sum(n for _, n, _ in rows), "enterprises": len(rows),
            "wageMin": min(lows) if lows else None, "wageMax": max(highs) if highs else None,
            "plans": [{"enterprise": {"uscc": code(f)}, "headcount": n}
                      for f, n, _ in sorted(rows)],
        })  # fmt: skip
    assert found["lines"] == expected


def test_plans_change_with_their_version(gql: GraphQL, empty_url: str) -> None:
    first = save(gql, plan(1, "welder", 10, (4500.0, 6500.0)))
    again = save(gql, plan(1, "welder", 12, (4500.0, 6500.0)))
    assert (again["code"], again["field"]) == ("CONFLICT", "version")
    changed = save(gql, plan(1, "welder", 12, (4500.0, 6500.0), version=1))
    assert changed["plan"] == {"id": first["plan"]["id"], "version": 2, "headcount": 12}
    rows = read_rows(empty_url, "SELECT action, changes FROM event WHERE subject ="
                     " 'hiring_plan' ORDER BY id")  # fmt: skip
    assert [r.action for r in rows] == ["entered", "changed"]
    assert rows[1].changes["headcount"] == [10, 12]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"month": str(MONTH.replace(day=2))}, "month"),
        ({"headcount": 0}, "headcount"),
        ({"wageMin": 7000.0, "wageMax": 6000.0}, "wageMax"),
        ({"wageMin": 7000.0, "wageMax": None}, "wageMax"),
        ({"position": " "}, "position"),
        ({"enterprise": code(77)}, "enterprise"),
        ({"version": 3}, "version"),
    ],
)
def test_bad_plans_are_refused(gql: GraphQL, empty_url: str, change: dict[str, Any],
                               field: str) -> None:  # fmt: skip
    refused = save(gql, plan(1, "welder", 10, (4500.0, 6500.0)) | change)
    assert refused["field"] == field, refused
    assert read_rows(empty_url, "SELECT count(*) AS n FROM hiring_plan")[0].n == 0


def test_recruitment_hires_feed_the_outcomes(gql: GraphQL, empty_url: str) -> None:
    record = """mutation($e: RecruitmentEventInput!) { recordRecruitmentEvent(event: $e) {
        __typename ... on RecruitmentEventPayload { event { hires enterprises { hires } } }
        ... on UserError { field code } } }"""
    fair = {"park": "P", "kind": "JOB_FAIR", "title": "spring fair",
            "heldOn": str(TODAY - timedelta(20)), "organiser": "County HR bureau",
            "enterprises": [{"enterprise": code(1), "hires": 12}, {"enterprise": code(2),
                            "hires": 0}, {"enterprise": code(5), "hires": 4}]}  # fmt: skip
    done = gql(record, {"e": fair})["data"]["recordRecruitmentEvent"]
    assert done["event"]["hires"] == 16
    push = fair | {"kind": "ONLINE_PUSH", "enterprises": [{"enterprise": code(3), "hires": 7}]}
    gql(record, {"e": push})
    future = fair | {"heldOn": str(TODAY + timedelta(1))}
    assert gql(record, {"e": future})["data"]["recordRecruitmentEvent"]["field"] == "heldOn"
    plain = read_rows(
        empty_url,
        "SELECT sum(h.hires) AS hires, count(DISTINCT h.enterprise_id)"
        " FILTER (WHERE h.hires > 0) AS firms FROM recruitment_hire h"
        " JOIN enterprise e ON e.id = h.enterprise_id WHERE e.grid_id IS NOT NULL",
    )
    outcomes = gql('{ stats(park: "P") { outcomes { recruitedEnterprises peopleHired } } }')
    assert outcomes["data"]["stats"]["outcomes"] == {
        "recruitedEnterprises": plain[0].firms, "peopleHired": plain[0].hires}  # fmt: skip
    assert plain[0].hires == 19  # firm 5 lies outside the park's grids
