"""`coverage`: service coverage (visits, overdue hazards) and the two coverages, on the
hand-made park of coverage_park.py with a handful of records added, and on the demo park."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from parkgrid.demo.geometry import PARK_CODE
from tests.conftest import GraphQL
from tests.resolvers.conftest import code
from tests.schema.coverage_park import add_records, build, client_for

COLUMNS = """enterprises visited visitedShare overdueHazards ownBranch jointBranch
    withPartyOrganisation partyOrganisationShare withPolicyLiaison policyLiaisonShare"""

REPORT = f"""query($park: String!, $zone: String, $days: Int) {{
  coverage(park: $park, zone: $zone, serviceDays: $days) {{
    serviceDays
    totals {{ notVisited {COLUMNS} }}
    notVisited {{ uscc gridCode lastVisit }}
    overdueHazards {{ title severity status dueDate daysOverdue enterprise {{ uscc gridCode }} }}
    grids {{ code {COLUMNS} }}
  }}
}}"""


@pytest.fixture
def served(empty_url: str) -> Iterator[GraphQL]:
    add_records(empty_url, build(empty_url))
    with client_for(empty_url) as run:
        yield run


def report(run: GraphQL, **variables: Any) -> dict[str, Any]:
    found: dict[str, Any] = run(REPORT, variables)["data"]["coverage"]
    return found


def columns(*values: Any) -> dict[str, Any]:
    names = COLUMNS.split()
    return dict(zip(names, values, strict=True))


def test_visits_hazards_and_two_coverages_per_grid(served: GraphQL) -> None:
    found = report(served, park="P")
    assert found["serviceDays"] == 30
    by_grid = {row.pop("code"): row for row in found["grids"]}
    # enterprises visited share overdue own joint party share policy share
    assert by_grid == {
        "G-A": columns(1, 1, 1.0, 0, 1, 0, 1, 1.0, 0, 0.0),
        "G-B": columns(1, 0, 0.0, 0, 0, 1, 1, 1.0, 0, 0.0),
        "G-C": columns(2, 2, 1.0, 1, 0, 0, 0, 0.0, 1, 0.5),
        "G-D": columns(1, 0, 0.0, 1, 0, 0, 0, 0.0, 0, 0.0),
    }
    # E3 lies outside every grid: in the totals, in no grid row
    assert found["totals"] == {"notVisited": 3} | columns(6, 3, 0.5, 2, 1, 1, 2, 2 / 6, 1, 1 / 6)


def test_not_visited_longest_first(served: GraphQL) -> None:
    found = report(served, park="P")
    assert [(f["uscc"], f["gridCode"]) for f in found["notVisited"]] == [
        (code(3), None),
        (code(6), "G-D"),
        (code(2), "G-B"),
    ]
    never, _, long_ago = found["notVisited"]
    assert never["lastVisit"] is None
    assert long_ago["lastVisit"] is not None
    wider = report(served, park="P", days=60)
    assert [f["uscc"] for f in wider["notVisited"]] == [code(3), code(6)]


def test_overdue_hazards_oldest_deadline_first(served: GraphQL) -> None:
    found = report(served, park="P")
    assert [
        (h["title"], h["status"], h["daysOverdue"], h["enterprise"]["uscc"])
        for h in found["overdueHazards"]
    ] == [
        ("overdue 10 days", "in_progress", 10, code(6)),
        ("overdue 3 days", "accepted", 3, code(5)),
    ]
    zone_only = report(served, park="P", zone="Z1")
    assert zone_only["overdueHazards"] == []


@pytest.mark.parametrize("days", [0, -5, 5000])
def test_service_days_out_of_range(served: GraphQL, days: int) -> None:
    body = served(REPORT, {"park": "P", "days": days}, ok=False)
    [error] = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "serviceDays"}


DEMO_PER_GRID = """
SELECT g.code, count(e.id) AS enterprises,
  count(*) FILTER (WHERE EXISTS (SELECT 1 FROM visit v WHERE v.enterprise_id = e.id
      AND v.visited_at > now() - interval '30 days')
    OR EXISTS (SELECT 1 FROM activity_enterprise x JOIN service_activity a
      ON a.id = x.activity_id WHERE x.enterprise_id = e.id  -- reached by an activity
      AND (a.held_on::timestamp AT TIME ZONE 'Asia/Shanghai') > now() - interval '30 days'
      AND (a.held_on::timestamp AT TIME ZONE 'Asia/Shanghai') <= now())) AS visited,
  count(*) FILTER (WHERE p.kind = 'own_branch') AS own_branch,
  count(*) FILTER (WHERE p.kind = 'joint_branch') AS joint_branch,
  count(*) FILTER (WHERE EXISTS (
      SELECT 1 FROM assignment a, visit v WHERE a.enterprise_id = e.id AND a.role = 'liaison'
      AND a.valid_to IS NULL AND v.enterprise_id = e.id AND v.cadre_id = a.cadre_id
      AND v.visited_at >= a.valid_from AND 'policy' = ANY (v.duties))) AS with_policy_liaison,
  (SELECT count(*) FROM issue i JOIN enterprise x ON x.id = i.enterprise_id
    WHERE x.grid_id = g.id AND i.category = 'safety_hazard' AND i.status NOT IN
      ('closed', 'rejected') AND i.due_date < (now() AT TIME ZONE 'Asia/Shanghai')::date)
      AS overdue_hazards
FROM grid g LEFT JOIN enterprise e ON e.grid_id = g.id
LEFT JOIN party_organisation p ON p.enterprise_id = e.id
GROUP BY g.id, g.code ORDER BY g.code
"""


def test_demo_park_service_and_two_coverages(gql: GraphQL, demo_url: str) -> None:
    found = report(gql, park=PARK_CODE)
    engine = create_engine(demo_url)
    with engine.connect() as conn:
        expected = [dict(r._mapping) for r in conn.execute(text(DEMO_PER_GRID))]
        new_branches = conn.execute(
            text(
                "SELECT count(*) FROM party_organisation WHERE kind = 'own_branch'"
                " AND established > current_date - 365"
            )
        ).scalar_one()
    engine.dispose()
    names = {"code": "code", "enterprises": "enterprises", "visited": "visited",
             "own_branch": "ownBranch", "joint_branch": "jointBranch",
             "with_policy_liaison": "withPolicyLiaison", "overdue_hazards": "overdueHazards"}  # fmt: skip
    got = [{key: row[name] for key, name in names.items()} for row in found["grids"]]
    assert got == expected
    totals = found["totals"]
    assert totals["enterprises"] == 216
    assert 0 < totals["withPartyOrganisation"] < 216  # the demo has firms of every kind
    assert 0 < totals["visited"] < 216
    assert new_branches == 2  # "2 new party branches" of the park's report
    assert totals["overdueHazards"] == len(found["overdueHazards"]) > 0
