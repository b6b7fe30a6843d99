"""Each paragraph of the park's report, reproduced by GraphQL queries on the demo park."""

from __future__ import annotations

from datetime import date, datetime

from tests.conftest import GraphQL
from tests.schema.stats_oracle import PARK_TZ

PARK = "430624101"


def stats(gql: GraphQL, selection: str) -> dict[str, object]:
    found: dict[str, object] = gql(f'{{ stats(park: "{PARK}") {{ {selection} }} }}')["data"][
        "stats"
    ]
    return found


def test_the_flagship_plant(gql: GraphQL) -> None:
    """Started about nine months ago, main works 90% done, production due next month."""
    found = gql("""{ constructionProjects(filter: {stage: [MAIN_WORKS]}) { nodes { name
        started percentComplete behindSchedule milestones { name planned actual } } } }""")
    nodes = found["data"]["constructionProjects"]["nodes"]
    flagship = max(nodes, key=lambda n: n["percentComplete"] or 0)
    today = datetime.now(PARK_TZ).date()
    assert flagship["percentComplete"] == 90.0
    assert flagship["behindSchedule"] is False
    assert 240 <= (today - date.fromisoformat(flagship["started"])).days <= 300
    last = flagship["milestones"][-1]
    assert last["actual"] is None and 0 < (date.fromisoformat(last["planned"]) - today).days <= 45


def test_the_party_building_paragraph(gql: GraphQL) -> None:
    found = stats(
        gql,
        """partyBuilding { newBranches elections activists candidates confirmed
        demonstrationSites benchmarkBranches }""",
    )
    assert found["partyBuilding"] == {"newBranches": 2, "elections": 2, "activists": 51,
                                      "candidates": 17, "confirmed": 23,
                                      "demonstrationSites": 4, "benchmarkBranches": 1}  # fmt: skip


def test_the_liaison_paragraph_hiring(gql: GraphQL) -> None:
    found = stats(gql, "outcomes { recruitedEnterprises peopleHired }")
    assert found["outcomes"] == {"recruitedEnterprises": 52, "peopleHired": 637}
    month = datetime.now(PARK_TZ).date().replace(day=1)
    notice = gql(f'{{ recruitmentNotice(month: "{month}", park: "{PARK}") {{ headcount'
                 " enterpriseCount lines { position headcount } } }")  # fmt: skip
    body = notice["data"]["recruitmentNotice"]
    assert body["enterpriseCount"] > 0
    assert body["headcount"] == sum(line["headcount"] for line in body["lines"])


def test_the_safety_paragraph(gql: GraphQL) -> None:
    found = stats(gql, "safetyHazards { rectified } safetyStandardisation { standardised }")
    assert found["safetyHazards"] == {"rectified": 432}
    assert found["safetyStandardisation"] == {"standardised": 8}


def test_the_support_paragraph(gql: GraphQL) -> None:
    found = stats(
        gql,
        """outcomes { financedEnterprises loanCny } activities { byKind { kind
        activities enterprisesReached loanCny } }""",
    )
    assert found["outcomes"]["financedEnterprises"] >= 30  # type: ignore[index]
    assert found["outcomes"]["loanCny"] == 390_000_000  # type: ignore[index]
    salons = next(k for k in found["activities"]["byKind"] if k["kind"] == "FINANCING_SALON")  # type: ignore[index]
    assert salons["activities"] > 0 and salons["loanCny"] == 390_000_000
    for kind, count in (("ROAD", 4), ("POWER", 3), ("GAS", 2)):
        lines = gql(f'{{ infrastructureLines(park: "{PARK}", kind: {kind}, status: IN_SERVICE)'
                    " { totalCount } }")  # fmt: skip
        assert lines["data"]["infrastructureLines"]["totalCount"] == count
    solved = stats(gql, "issues { total { closed } byCategory { category closed } }")
    by_category = {c["category"]: c["closed"] for c in solved["issues"]["byCategory"]}  # type: ignore[index]
    assert sum(n for c, n in by_category.items() if c != "SAFETY_HAZARD") >= 100


def test_a_planner_question_on_the_demo(gql: GraphQL) -> None:
    found = gql(f'{{ enterprisesBeyondLines(kind: GAS, meters: 1000, park: "{PARK}")'
                " { totalCount } enterprises { totalCount } }")  # fmt: skip
    beyond = found["data"]["enterprisesBeyondLines"]["totalCount"]
    assert 0 < beyond < found["data"]["enterprises"]["totalCount"]
