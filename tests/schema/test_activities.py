"""Park-wide service activities: recorded with their enterprises, cadres and results; a
hazard found becomes a linked ledger issue; coverage counts an enterprise an activity reached
as served in the activity's duty; stats count activities by kind and their loans among the
outcomes. Expected figures are counted from the rows with plain SQL or by hand from the data
below."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import GraphQL, add_token, app_client, graphql_client
from tests.helpers import read_rows
from tests.resolvers.conftest import X0, Y0, D, code
from tests.schema.stats_oracle import PARK_TZ
from tests.schema.story_park import small_park

TODAY = datetime.now(PARK_TZ).date()
RECORD = """mutation($a: ServiceActivityInput!) { recordServiceActivity(activity: $a) {
  __typename ... on ActivityPayload { activity { id version enterpriseCount loanCny } }
  ... on UserError { field code message } } }"""


@pytest.fixture
def park(empty_url: str) -> str:
    small_park(empty_url, {n: (X0 + (n - 1) % 2 * D + 0.002 * n, Y0 + 0.005) for n in range(1, 5)})
    engine = create_engine(empty_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO cadre (name) VALUES ('Cadre A'), ('Cadre B')"))
        # a visit in the safety duty to firm 3, ten days ago
        conn.execute(text("INSERT INTO visit (cadre_id, enterprise_id, visited_at, duties)"
                          " VALUES (1, 3, now() - interval '10 days', '{safety}')"))  # fmt: skip
    engine.dispose()
    return empty_url


@pytest.fixture
def gql(park: str) -> Iterator[GraphQL]:
    with app_client(park) as client:
        yield graphql_client(client)


def activity(kind: str, duty: str, days_ago: int, firms: dict[int, float],
             **extra: Any) -> dict[str, Any]:  # fmt: skip
    return {"park": "P", "kind": kind, "duty": duty, "title": f"{kind} {days_ago}",
            "heldOn": str(TODAY - timedelta(days_ago)), "organiser": "Synthetic Bank",
            "enterprises": [{"enterprise": code(n), "loanCny": loan} for n, loan in firms.items()],
            "cadres": ["1", "2"]} | extra  # fmt: skip


def record(gql: GraphQL, given: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = gql(RECORD, {"a": given})["data"]["recordServiceActivity"]
    return result


def test_activities_count_as_service_and_in_stats(gql: GraphQL, park: str) -> None:
    salon = record(gql, activity("FINANCING_SALON", "SUPPORT", 5, {1: 2_000_000.0, 2: 0.0}))
    assert salon["activity"]["enterpriseCount"] == 2
    assert salon["activity"]["loanCny"] == 2_000_000.0
    record(gql, activity("POLICY_BRIEFING", "POLICY", 20, {1: 0.0, 4: 0.0}))
    record(gql, activity("POLICY_BRIEFING", "POLICY", 100, {2: 0.0}))  # outside 30 days
    record(gql, activity("SAFETY_INSPECTION", "SAFETY", 400, {3: 0.0}))  # outside the year

    query = """{ coverage(park: "P", serviceDays: 30) { totals { enterprises visited
        servedPolicy servedLiaison servedSafety servedSupport } notVisited { uscc } } }"""
    totals = gql(query)["data"]["coverage"]["totals"]
    # served within 30 days: 1 (salon, briefing), 2 (salon), 3 (visit), 4 (briefing)
    assert totals == {"enterprises": 4, "visited": 4, "servedPolicy": 2, "servedLiaison": 0,
                      "servedSafety": 1, "servedSupport": 2}  # fmt: skip
    stats = """{ stats(park: "P") { activities { activities byKind { kind activities
        enterprisesReached loanCny } } outcomes { financedEnterprises loanCny } } }"""
    found = gql(stats)["data"]["stats"]
    kinds = {row["kind"]: row for row in found["activities"]["byKind"]}
    assert found["activities"]["activities"] == 3
    assert kinds["POLICY_BRIEFING"] == {"kind": "POLICY_BRIEFING", "activities": 2,
                                        "enterprisesReached": 3, "loanCny": 0.0}  # fmt: skip
    assert kinds["SAFETY_INSPECTION"]["activities"] == 0
    plain = read_rows(park, "SELECT count(DISTINCT enterprise_id) AS firms, sum(loan_cny) AS loan"
                      " FROM activity_enterprise WHERE loan_cny > 0")  # fmt: skip
    assert found["outcomes"] == {"financedEnterprises": plain[0].firms,
                                 "loanCny": float(plain[0].loan)}  # fmt: skip


def test_a_hazard_found_becomes_a_linked_issue(gql: GraphQL, park: str) -> None:
    sweep = record(gql, activity("SAFETY_INSPECTION", "SAFETY", 1, {2: 0.0, 3: 0.0}))
    activity_id = sweep["activity"]["id"]
    report = """mutation($id: ID!, $v: Int!, $e: String!) { reportActivityHazard(id: $id,
        version: $v, enterprise: $e, title: "blocked fire exit", severity: HIGH) {
        __typename ... on ActivityPayload { activity { version issues { title category
        enterprise { uscc } } } } ... on UserError { field code } } }"""
    done = gql(report, {"id": activity_id, "v": 1, "e": code(2)})["data"]["reportActivityHazard"]
    assert done["activity"]["version"] == 2
    assert done["activity"]["issues"] == [
        {"title": "blocked fire exit", "category": "SAFETY_HAZARD", "enterprise": {"uscc": code(2)}}
    ]
    stale = gql(report, {"id": activity_id, "v": 1, "e": code(3)})["data"]["reportActivityHazard"]
    assert stale["code"] == "CONFLICT"
    absent = gql(report, {"id": activity_id, "v": 2, "e": code(1)})["data"]["reportActivityHazard"]
    assert absent["field"] == "enterprise"
    rows = read_rows(park, "SELECT i.category, x.activity_id FROM activity_issue x"
                     " JOIN issue i ON i.id = x.issue_id")  # fmt: skip
    assert [(r.category, str(r.activity_id)) for r in rows] == [("safety_hazard", activity_id)]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"heldOn": str(TODAY + timedelta(1))}, "heldOn"),
        ({"enterprises": []}, "enterprises"),
        ({"enterprises": [{"enterprise": code(1), "loanCny": -5.0}]}, "loanCny"),
        ({"enterprises": [{"enterprise": code(1)}, {"enterprise": code(1)}]}, "enterprises"),
        ({"enterprises": [{"enterprise": code(99)}]}, "enterprise"),
        ({"park": "NOPE"}, "park"),
        ({"title": "  "}, "title"),
    ],
)
def test_bad_activities_are_refused_changing_nothing(
    gql: GraphQL, park: str, change: dict[str, Any], field: str
) -> None:
    refused = record(gql, activity("OTHER", "LIAISON", 1, {1: 0.0}) | change)
    assert refused["field"] == field, refused
    assert read_rows(park, "SELECT count(*) AS n FROM service_activity")[0].n == 0


def test_loans_are_seen_only_by_those_serving_the_enterprise(gql: GraphQL, park: str) -> None:
    record(gql, activity("FINANCING_SALON", "SUPPORT", 3, {1: 500_000.0, 2: 700_000.0}))
    add_token(park, "pgt_story-view", "viewer")
    with app_client(park, token="pgt_story-view") as client:
        viewer = graphql_client(client)
        found = viewer("{ serviceActivities { nodes { loanCny enterprises { loanCny } } } }")
        refused = viewer(RECORD, {"a": activity("OTHER", "LIAISON", 1, {1: 0.0})})
    node = found["data"]["serviceActivities"]["nodes"][0]
    assert node == {"loanCny": 0.0, "enterprises": [{"loanCny": None}, {"loanCny": None}]}
    assert refused["data"]["recordServiceActivity"]["code"] == "FORBIDDEN"
    with app_client(park, token=None) as client:
        anonymous = graphql_client(client)("{ serviceActivities { totalCount } }")
    assert anonymous["data"]["serviceActivities"]["totalCount"] == 0
