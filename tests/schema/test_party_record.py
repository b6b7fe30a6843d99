"""The party-building record and safety standardisation: entered through the mutations,
read back per enterprise, and counted by `stats` in the report's shape; the expected
figures are summed here from the entries made (and from plain SQL for the organisations)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import GraphQL, app_client, graphql_client
from tests.helpers import read_rows
from tests.resolvers.conftest import X0, Y0, code
from tests.schema.stats_oracle import PARK_TZ
from tests.schema.story_park import small_park

TODAY = datetime.now(PARK_TZ).date()
PIPELINE = [(1, "ACTIVIST", 30, 10), (2, "ACTIVIST", 21, 40), (1, "CANDIDATE", 9, 5),
            (2, "CANDIDATE", 8, 70), (1, "CONFIRMED", 23, 3), (2, "ACTIVIST", 5, 500)]  # fmt: skip
ENTRY = """mutation($e: String!, $stage: PipelineStage!, $on: Date!, $n: Int!) {
  recordPartyPipeline(enterprise: $e, stage: $stage, recordedOn: $on, people: $n) {
  __typename ... on UserError { field code } } }"""


@pytest.fixture
def gql(empty_url: str) -> Iterator[GraphQL]:
    small_park(empty_url, {n: (X0 + 0.002 * n, Y0 + 0.005) for n in (1, 2, 3)})
    engine = create_engine(empty_url)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO party_organisation (enterprise_id, kind, established, members) VALUES"
            " (1, 'own_branch', :recent, 5), (2, 'joint_branch', :old, 1), (3, 'none', NULL, 0)"
        ), {"recent": TODAY - timedelta(40), "old": TODAY - timedelta(900)})  # fmt: skip
    engine.dispose()
    with app_client(empty_url) as client:
        yield graphql_client(client)


def entry(gql: GraphQL, firm: int, stage: str, people: int, days_ago: int) -> dict[str, Any]:
    variables = {"e": code(firm), "stage": stage, "on": str(TODAY - timedelta(days_ago)),
                 "n": people}  # fmt: skip
    result: dict[str, Any] = gql(ENTRY, variables)["data"]["recordPartyPipeline"]
    return result


def test_the_report_figures(gql: GraphQL, empty_url: str) -> None:
    for firm, stage, people, days_ago in PIPELINE:
        assert entry(gql, firm, stage, people, days_ago)["__typename"] == "PartyRecordPayload"
    meeting = """mutation($e: String!, $kind: MeetingKind!, $on: Date!, $l: Boolean!) {
        recordPartyMeeting(enterprise: $e, kind: $kind, heldOn: $on, attendance: 6,
        liaisonAttended: $l) { __typename } }"""
    meetings = [(1, "THEME_DAY", 20, True), (1, "THEME_DAY", 50, False),
                (2, "PARTY_LESSON", 10, False), (2, "THEME_DAY", 400, True)]  # fmt: skip
    for firm, kind, days_ago, liaison in meetings:
        gql(meeting, {"e": code(firm), "kind": kind, "on": str(TODAY - timedelta(days_ago)),
                      "l": liaison})  # fmt: skip
    election = """mutation($e: String!, $on: Date!) { recordBranchElection(enterprise: $e,
        heldOn: $on) { __typename ... on UserError { field code } } }"""
    assert gql(election, {"e": code(1), "on": str(TODAY - timedelta(3))})["data"][
        "recordBranchElection"]["__typename"] == "PartyRecordPayload"  # fmt: skip
    twice = gql(election, {"e": code(1), "on": str(TODAY - timedelta(3))})
    assert twice["data"]["recordBranchElection"] == {
        "__typename": "ConflictError",
        "field": "heldOn",
        "code": "CONFLICT",
    }
    honour = """mutation($e: String!) { recordPartyHonour(enterprise: $e,
        kind: BENCHMARK_BRANCH, awardedOn: "2022-06-30", awardedBy: "City committee") {
        __typename } }"""
    gql(honour, {"e": code(2)})
    certify = """mutation($e: String!, $c: Boolean!, $level: StandardisationLevel,
        $on: Date, $v: Int) { setSafetyStandardisation(enterprise: $e, certified: $c,
        level: $level, certifiedOn: $on, version: $v) { __typename
        ... on UserError { field code } ... on PartyRecordPayload { enterprise {
        safetyStandardisation { certified level version } } } } }"""
    done = gql(certify, {"e": code(1), "c": True, "level": "LEVEL_3", "on": str(TODAY)})
    assert done["data"]["setSafetyStandardisation"]["enterprise"]["safetyStandardisation"] == {
        "certified": True, "level": "LEVEL_3", "version": 1}  # fmt: skip
    gql(certify, {"e": code(2), "c": True, "level": "LEVEL_2", "on": "2021-05-01"})
    revoked = gql(certify, {"e": code(2), "c": False, "v": 1})["data"]
    assert revoked["setSafetyStandardisation"]["enterprise"]["safetyStandardisation"][
        "version"] == 2  # fmt: skip

    stats = gql("""{ stats(park: "P") { partyBuilding { newBranches elections activists
        candidates confirmed themeDaysAttended benchmarkBranches demonstrationSites
        meetings { kind meetings } } safetyStandardisation { standardised certifiedInPeriod
        byLevel { level enterprises } } } }""")["data"]["stats"]
    in_year = [(f, s, n) for f, s, n, d in PIPELINE if d <= 364]
    established = read_rows(
        empty_url,
        "SELECT count(*) AS n FROM party_organisation WHERE"
        " kind <> 'none' AND established > current_date - 365",
    )[0].n
    party = stats["partyBuilding"]
    assert party | {"meetings": None} == {
        "newBranches": established, "elections": 1,
        "activists": sum(n for _, s, n in in_year if s == "ACTIVIST"),
        "candidates": sum(n for _, s, n in in_year if s == "CANDIDATE"),
        "confirmed": sum(n for _, s, n in in_year if s == "CONFIRMED"),
        "themeDaysAttended": 1, "benchmarkBranches": 1, "demonstrationSites": 0, "meetings": None,
    }  # fmt: skip
    held = {m["kind"]: m["meetings"] for m in party["meetings"]}
    assert (held["THEME_DAY"], held["PARTY_LESSON"], held["MEMBERS_MEETING"]) == (2, 1, 0)
    safety = stats["safetyStandardisation"]
    assert (safety["standardised"], safety["certifiedInPeriod"]) == (1, 1)
    assert {x["level"]: x["enterprises"] for x in safety["byLevel"]}["LEVEL_3"] == 1


@pytest.mark.parametrize(
    ("firm", "people", "days_ago", "field"),
    [(3, 2, 1, "enterprise"), (1, 0, 1, "people"), (1, 2, -1, "recordedOn"),
     (9, 2, 1, "enterprise")],
)  # fmt: skip
def test_bad_entries_are_refused(gql: GraphQL, empty_url: str, firm: int, people: int,
                                 days_ago: int, field: str) -> None:  # fmt: skip
    refused = entry(gql, firm, "ACTIVIST", people, days_ago)
    assert refused["field"] == field, refused
    assert read_rows(empty_url, "SELECT count(*) AS n FROM party_pipeline")[0].n == 0


def test_anonymous_callers_see_no_record(gql: GraphQL, empty_url: str) -> None:
    entry(gql, 1, "ACTIVIST", 4, 1)
    query = f'{{ enterprise(uscc: "{code(1)}") {{ partyPipeline {{ people }} }} }}'
    assert gql(query)["data"]["enterprise"]["partyPipeline"] == [{"people": 4}]
    with app_client(empty_url, token=None) as client:
        anonymous = graphql_client(client)(query)
    assert anonymous["data"]["enterprise"]["partyPipeline"] == []
