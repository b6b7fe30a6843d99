"""Party organisations: read on the enterprise, recorded by a mutation that checks the rules
and changes nothing when it refuses."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import GraphQL

READ = """query($uscc: String!) { enterprise(uscc: $uscc) {
  partyOrganisation { kind established members } events { action changes } } }"""

RECORD = """mutation($uscc: String!, $kind: PartyKind!, $members: Int, $established: Date) {
  recordPartyOrganisation(uscc: $uscc, kind: $kind, members: $members,
                          established: $established) {
    __typename
    ... on PartyOrganisationPayload { uscc partyOrganisation { kind established members } }
    ... on UserError { field code message }
  }
}"""


def firm_without_branch(url: str) -> tuple[str, int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT e.uscc, p.members FROM enterprise e JOIN party_organisation p"
                " ON p.enterprise_id = e.id WHERE p.kind = 'joint_branch' ORDER BY e.uscc LIMIT 1"
            )
        ).one()
    engine.dispose()
    return row.uscc, row.members


def record(gql: GraphQL, **variables: Any) -> dict[str, Any]:
    found: dict[str, Any] = gql(RECORD, variables)["data"]["recordPartyOrganisation"]
    return found


def test_demo_enterprise_has_its_organisation(gql: GraphQL, demo_url: str) -> None:
    uscc, members = firm_without_branch(demo_url)
    found = gql(READ, {"uscc": uscc})["data"]["enterprise"]["partyOrganisation"]
    assert (found["kind"], found["members"]) == ("JOINT_BRANCH", members)
    assert found["established"] is not None


def test_record_replaces_and_logs(gql_fresh: GraphQL, fresh_demo_url: str) -> None:
    uscc, members = firm_without_branch(fresh_demo_url)
    done = record(gql_fresh, uscc=uscc, kind="OWN_BRANCH", members=4, established="2026-07-01")
    assert done == {
        "__typename": "PartyOrganisationPayload",
        "uscc": uscc,
        "partyOrganisation": {"kind": "OWN_BRANCH", "established": "2026-07-01", "members": 4},
    }
    enterprise = gql_fresh(READ, {"uscc": uscc})["data"]["enterprise"]
    assert enterprise["partyOrganisation"]["kind"] == "OWN_BRANCH"
    [event] = [e for e in enterprise["events"] if e["action"] == "party_organisation"]
    assert event["changes"]["kind"] == ["joint_branch", "own_branch"]
    assert event["changes"]["members"] == [members, 4]


TOMORROW = (date.today() + timedelta(days=2)).isoformat()


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"kind": "OWN_BRANCH", "members": 2, "established": "2020-01-01"}, "members"),
        ({"kind": "NONE", "members": 3}, "kind"),
        ({"kind": "NONE", "established": "2020-01-01"}, "kind"),
        ({"kind": "JOINT_BRANCH", "members": -1}, "members"),
        ({"kind": "JOINT_BRANCH", "members": 1, "established": TOMORROW}, "established"),
    ],
)
def test_refused_records_change_nothing(
    gql_fresh: GraphQL, fresh_demo_url: str, variables: dict[str, Any], field: str
) -> None:
    uscc, _ = firm_without_branch(fresh_demo_url)
    before = gql_fresh(READ, {"uscc": uscc})["data"]["enterprise"]
    refused = record(gql_fresh, uscc=uscc, **variables)
    assert (refused["__typename"], refused["field"]) == ("InvalidInputError", field)
    assert gql_fresh(READ, {"uscc": uscc})["data"]["enterprise"] == before


def test_unknown_enterprise(gql: GraphQL) -> None:
    refused = record(gql, uscc="91330000000000000X", kind="NONE")
    assert (refused["__typename"], refused["field"]) == ("NotFoundError", "uscc")
