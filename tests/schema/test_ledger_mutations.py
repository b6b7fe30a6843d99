"""The ledger through GraphQL: an issue's whole life, every refused move, conflicts between
concurrent clients, the event trail, outcomes and visits. A refused mutation changes nothing."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx2
import pytest
from sqlalchemy import text

from parkgrid.auth.tokens import digest
from parkgrid.settings import DatabaseSettings
from resolvers.writes.ledger import TRANSITIONS
from tests.conftest import add_token, app_client, graphql_client
from web.app import create_app

ENTERPRISE = "91430624MA0QC60PNP"
RESULT = """
  __typename
  ... on IssuePayload { issue { id status version dueDate rejectionReason resolvedAt closedAt
                                assignee { id } reporter { id } responsibleUnit events { action changes note actor { id } } } }
  ... on UserError { field code message }
"""
REPORT = (
    "mutation ($category: IssueCategory!, $severity: Severity!, $e: String!, $title: String!) {"
    " reportIssue(enterprise: $e, category: $category, severity: $severity, title: $title,"
    f' description: "走访发现", reportedBy: "1") {{ {RESULT} }} }}'
)
MOVE = (
    "mutation ($id: ID!, $v: Int!, $to: IssueStatus!, $note: String) {"
    f" transitionIssue(id: $id, version: $v, to: $to, note: $note) {{ {RESULT} }} }}"
)
STATUSES = ["reported", "accepted", "in_progress", "resolved", "verified", "closed", "rejected"]
PATH = ["accepted", "in_progress", "resolved", "verified", "closed"]


CADRE_2 = "pgt_ledger-cadre-2"  # an admin token standing for cadre 2: the ledger's actor
CADRE_3 = "pgt_ledger-cadre-3"


@pytest.fixture
def ledger(fresh_demo_url: str) -> Iterator[tuple[Any, str]]:
    """Calls as cadre 2 (an admin token linked to the cadre, so that authorisation stays out
    of the way): the events of its changes name cadre 2 as their actor."""
    add_token(fresh_demo_url, CADRE_2, "admin", cadre_id=2)
    with app_client(fresh_demo_url, token=CADRE_2) as client:
        yield graphql_client(client), fresh_demo_url


def tokens_of_events(url: str, engine_for, issue_id: str) -> list[tuple[int | None, int | None]]:
    """(actor, token) of each of the issue's events, in order, as stored."""
    with engine_for(url).connect() as conn:
        rows = conn.execute(
            text(
                "SELECT actor_id, token_id FROM event WHERE subject = 'issue'"
                " AND subject_id = :id ORDER BY id"
            ),
            {"id": int(issue_id)},
        ).all()
    return [(row.actor_id, row.token_id) for row in rows]


def token_id(url: str, engine_for, secret: str) -> int:
    with engine_for(url).connect() as conn:
        found = conn.execute(
            text("SELECT id FROM api_token WHERE token_hash = :digest"), {"digest": digest(secret)}
        ).scalar_one()
    return int(found)


def report(
    gql, category: str = "PERMITS", severity: str = "MEDIUM", title: str = "施工许可"
) -> dict:
    variables = {"category": category, "severity": severity, "e": ENTERPRISE, "title": title}
    return gql(REPORT, variables)["data"]["reportIssue"]


def move(gql, issue: dict, to: str, note: str | None = None, version: int | None = None) -> dict:
    variables = {
        "id": issue["id"],
        "v": issue["version"] if version is None else version,
        "to": to.upper(),
        "note": note,
    }
    return gql(MOVE, variables)["data"]["transitionIssue"]


def walk(gql, path: list[str]) -> dict:
    issue = report(gql)["issue"]
    for status in path:
        issue = move(gql, issue, status, note="原因" if status == "rejected" else None)["issue"]
    return issue


def snapshot(url: str, engine_for) -> tuple:
    with engine_for(url).connect() as conn:
        issues = conn.execute(
            text("SELECT md5(string_agg(i::text, ',' ORDER BY id)) FROM issue i")
        ).scalar()
        events = conn.execute(text("SELECT count(*) FROM event")).scalar()
        outcomes = conn.execute(text("SELECT count(*) FROM outcome")).scalar()
        visits = conn.execute(text("SELECT count(*) FROM visit")).scalar()
    return issues, events, outcomes, visits


def shanghai_today() -> date:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


def test_an_issue_lives_from_report_to_closure_with_a_full_trail(ledger, engine_for) -> None:
    gql, url = ledger
    issue = walk(gql, PATH)
    assert (issue["status"], issue["version"]) == ("CLOSED", 6)
    assert issue["resolvedAt"] and issue["closedAt"]
    trail = [(e["action"], e["changes"].get("status")) for e in issue["events"]]
    assert trail == [("reported", [None, "reported"])] + [
        ("status_changed", [a, b]) for a, b in zip(["reported", *PATH], PATH, strict=False)
    ]
    # entered in cadre 1's name (reportedBy) by cadre 2: every event names the token's cadre
    assert [e["actor"]["id"] for e in issue["events"]] == ["2"] * (1 + len(PATH))
    assert issue["reporter"]["id"] == "1"
    token = token_id(url, engine_for, CADRE_2)
    assert tokens_of_events(url, engine_for, issue["id"]) == [(2, token)] * (1 + len(PATH))


def test_a_failed_verification_returns_to_in_progress(ledger) -> None:
    gql, _ = ledger
    issue = walk(
        gql,
        ["accepted", "in_progress", "resolved", "in_progress", "resolved", "verified", "closed"],
    )
    assert issue["status"] == "CLOSED"


@pytest.mark.parametrize("start", ["reported", "accepted"])
def test_rejection_needs_a_reason_and_keeps_it(ledger, start: str) -> None:
    gql, _ = ledger
    issue = walk(gql, [] if start == "reported" else ["accepted"])
    refused = move(gql, issue, "rejected", note="  ")
    assert (refused["code"], refused["field"]) == ("BAD_USER_INPUT", "note")
    rejected = move(gql, issue, "rejected", note="不属于园区职责")["issue"]
    assert (rejected["status"], rejected["rejectionReason"]) == ("REJECTED", "不属于园区职责")


REFUSED = [
    (a, b)
    for a, b in itertools.product(STATUSES, STATUSES)
    if b not in TRANSITIONS.get(a, frozenset())
]
PATHS = {
    "reported": [], "accepted": ["accepted"], "in_progress": ["accepted", "in_progress"],
    "resolved": ["accepted", "in_progress", "resolved"],
    "verified": ["accepted", "in_progress", "resolved", "verified"], "closed": PATH,
    "rejected": ["rejected"],
}  # fmt: skip


@pytest.mark.parametrize(("start", "to"), REFUSED)
def test_every_other_move_is_refused_and_changes_nothing(
    ledger, engine_for, start: str, to: str
) -> None:
    gql, url = ledger
    issue = walk(gql, PATHS[start])
    before = snapshot(url, engine_for)
    refused = move(gql, issue, to, note="原因")
    assert (refused["__typename"], refused["code"], refused["field"]) == (
        "InvalidTransitionError",
        "INVALID_TRANSITION",
        "to",
    )
    assert snapshot(url, engine_for) == before


def test_a_stale_version_conflicts_and_changes_nothing(ledger, engine_for) -> None:
    gql, url = ledger
    issue = report(gql)["issue"]
    move(gql, issue, "accepted")
    before = snapshot(url, engine_for)
    stale = move(gql, issue, "rejected", note="原因")
    assert (stale["__typename"], stale["code"], stale["field"]) == (
        "ConflictError",
        "CONFLICT",
        "version",
    )
    assert snapshot(url, engine_for) == before


def test_concurrent_transitions_exactly_one_wins(ledger, fresh_demo_url) -> None:
    gql, url = ledger
    issue = report(gql)["issue"]
    app = create_app(DatabaseSettings(url=url))
    headers = {"Authorization": f"Bearer {CADRE_2}"}

    async def race() -> list[dict]:
        async with app.router.lifespan_context(app):
            transport = httpx2.ASGITransport(app=app)
            async with httpx2.AsyncClient(
                transport=transport, base_url="http://parkgrid", headers=headers
            ) as client:
                calls = [
                    client.post(
                        "/graphql",
                        json={"query": MOVE, "variables": {"id": issue["id"], "v": 1, "to": to}},
                    )
                    for to in [
                        "ACCEPTED",
                        "REJECTED",
                        "ACCEPTED",
                        "ACCEPTED",
                        "REJECTED",
                        "ACCEPTED",
                    ]
                ]
                return [r.json()["data"]["transitionIssue"] for r in await asyncio.gather(*calls)]

    answers = asyncio.run(race())
    winners = [a for a in answers if a["__typename"] == "IssuePayload"]
    assert len(winners) == 1
    assert {a["code"] for a in answers if a not in winners} <= {"CONFLICT", "BAD_USER_INPUT"}
    final = gql('{ issue(id: "%s") { version status events { action } } }' % issue["id"])["data"][
        "issue"
    ]
    assert final["version"] == 2
    assert len(final["events"]) == 2


def test_due_dates_follow_the_deadline_table(ledger) -> None:
    gql, _ = ledger
    urgent = report(gql, "SAFETY_HAZARD", "HIGH")["issue"]
    routine = report(gql, "SAFETY_HAZARD", "LOW")["issue"]
    financing = report(gql, "FINANCING")["issue"]
    today = shanghai_today()
    assert urgent["dueDate"] == (today + timedelta(days=7)).isoformat()
    assert routine["dueDate"] == (today + timedelta(days=15)).isoformat()
    assert financing["dueDate"] == (today + timedelta(days=45)).isoformat()


def test_reports_are_refused_for_unknown_enterprises_and_blank_titles(ledger, engine_for) -> None:
    gql, url = ledger
    before = snapshot(url, engine_for)
    unknown = gql(
        REPORT, {"category": "OTHER", "severity": "LOW", "e": "91512081MA62K0260E", "title": "x"}
    )
    blank = report(gql, title="   ")
    assert (unknown["data"]["reportIssue"]["code"], unknown["data"]["reportIssue"]["field"]) == (
        "NOT_FOUND",
        "enterprise",
    )
    assert (blank["code"], blank["field"]) == ("BAD_USER_INPUT", "title")
    assert snapshot(url, engine_for) == before


def test_assign_comment_and_outcome(ledger, engine_for) -> None:
    gql, url = ledger
    issue = report(gql, "RECRUITMENT")["issue"]
    assigned = gql(
        'mutation ($id: ID!) { assignIssue(id: $id, version: 1, assignee: "3", responsibleUnit: "县人社局") { %s } }'
        % RESULT,
        {"id": issue["id"]},
    )["data"]["assignIssue"]["issue"]
    assert (assigned["assignee"]["id"], assigned["responsibleUnit"], assigned["version"]) == (
        "3",
        "县人社局",
        2,
    )
    cadre_3 = add_token(url, CADRE_3, "admin", cadre_id=3)
    with app_client(url, token=CADRE_3) as client:
        as_cadre_3 = graphql_client(client)
        commented = as_cadre_3(
            'mutation ($id: ID!) { commentIssue(id: $id, note: "已对接招聘会") { %s } }' % RESULT,
            {"id": issue["id"]},
        )
        assert commented["data"]["commentIssue"]["issue"]["version"] == 2
        outcome = as_cadre_3(
            'mutation ($id: ID!) { recordOutcome(id: $id, version: 2, peopleHired: 12, note: "招聘12人") { %s } }'
            % RESULT,
            {"id": issue["id"]},
        )["data"]["recordOutcome"]["issue"]
    assert [(e["action"], e["actor"]["id"]) for e in outcome["events"]] == [
        ("reported", "2"),
        ("assigned", "2"),
        ("commented", "3"),
        ("outcome_recorded", "3"),
    ]
    cadre_2 = token_id(url, engine_for, CADRE_2)
    assert [token for _, token in tokens_of_events(url, engine_for, issue["id"])] == [
        cadre_2,
        cadre_2,
        cadre_3,
        cadre_3,
    ]
    with engine_for(url).connect() as conn:
        hired = conn.execute(
            text("SELECT people_hired, recorded_by FROM outcome WHERE issue_id = :id"),
            {"id": int(issue["id"])},
        ).one()
    assert tuple(hired) == (12, 3)


def test_negative_outcomes_and_unknown_assignees_are_refused(ledger, engine_for) -> None:
    gql, url = ledger
    issue = report(gql)["issue"]
    before = snapshot(url, engine_for)
    negative = gql(
        "mutation ($id: ID!) { recordOutcome(id: $id, version: 1, loanCny: -5) { %s } }" % RESULT,
        {"id": issue["id"]},
    )
    nobody = gql(
        'mutation ($id: ID!) { assignIssue(id: $id, version: 1, assignee: "99999") { %s } }'
        % RESULT,
        {"id": issue["id"]},
    )
    assert (negative["data"]["recordOutcome"]["field"], nobody["data"]["assignIssue"]["field"]) == (
        "loanCny",
        "assignee",
    )
    assert snapshot(url, engine_for) == before


VISIT = (
    """mutation ($at: DateTime!, $duties: [Duty!]!, $check: PointInput, $cadre: ID!) {
  logVisit(cadre: $cadre, enterprise: "%s", at: $at, duties: $duties, note: "检查消防", checkIn: $check) {
    __typename
    ... on VisitPayload { visit { id duties checkInDistanceMeters checkInFlagged enterprise { uscc } } }
    ... on UserError { field code message }
  } }"""
    % ENTERPRISE
)


def enterprise_point(url: str, engine_for) -> tuple[float, float]:
    with engine_for(url).connect() as conn:
        row = conn.execute(
            text("SELECT ST_X(location), ST_Y(location) FROM enterprise WHERE uscc = :u"),
            {"u": ENTERPRISE},
        ).one()
    return float(row[0]), float(row[1])


def test_visits_flag_far_check_ins(ledger, engine_for) -> None:
    gql, url = ledger
    lon, lat = enterprise_point(url, engine_for)
    near = {"lon": lon + 0.003, "lat": lat}  # about 290 m east
    far = {"lon": lon + 0.007, "lat": lat}  # about 680 m east
    at = "2026-11-20T10:00:00+08:00"
    close = gql(VISIT, {"at": at, "duties": ["SAFETY", "POLICY"], "check": near, "cadre": "4"})[
        "data"
    ]["logVisit"]["visit"]
    away = gql(VISIT, {"at": at, "duties": ["LIAISON"], "check": far, "cadre": "4"})["data"][
        "logVisit"
    ]["visit"]
    assert (close["checkInFlagged"], away["checkInFlagged"]) == (False, True)
    assert 250 < close["checkInDistanceMeters"] < 330 and 600 < away["checkInDistanceMeters"] < 760
    assert close["duties"] == ["POLICY", "SAFETY"]


@pytest.mark.parametrize(
    ("variables", "field", "code"),
    [
        (
            {"at": "2026-11-20T10:00:00+08:00", "duties": [], "check": None, "cadre": "4"},
            "duties",
            "BAD_USER_INPUT",
        ),
        (
            {"at": "2026-11-20T10:00:00", "duties": ["SAFETY"], "check": None, "cadre": "4"},
            "at",
            "BAD_USER_INPUT",
        ),
        (  # tomorrow: beyond the few minutes a phone's clock may be ahead
            {
                "at": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
                "duties": ["SAFETY"],
                "check": None,
                "cadre": "4",
            },
            "at",
            "BAD_USER_INPUT",
        ),
        (  # before the records begin
            {"at": "1999-12-31T23:00:00+00:00", "duties": ["SAFETY"], "check": None, "cadre": "4"},
            "at",
            "BAD_USER_INPUT",
        ),
        (
            {
                "at": "2026-11-20T10:00:00+08:00",
                "duties": ["SAFETY"],
                "check": None,
                "cadre": "99999",
            },
            "cadre",
            "NOT_FOUND",
        ),
        (
            {
                "at": "2026-11-20T10:00:00+08:00",
                "duties": ["SAFETY"],
                "check": {"lon": 200, "lat": 1},
                "cadre": "4",
            },
            "checkIn",
            "INVALID_GEOMETRY",
        ),
    ],
)
def test_bad_visits_are_refused_and_change_nothing(
    ledger, engine_for, variables, field, code
) -> None:
    gql, url = ledger
    before = snapshot(url, engine_for)
    refused = gql(VISIT, variables)["data"]["logVisit"]
    assert (refused["field"], refused["code"]) == (field, code)
    assert snapshot(url, engine_for) == before


OWN_REPORT = """mutation ($e: String!) {
  reportIssue(enterprise: $e, category: OTHER, title: "路灯损坏") {
    ... on IssuePayload { issue { id events { actor { id } } } } ... on UserError { code field } }
}"""
OWN_VISIT = """mutation ($e: String!) {
  logVisit(enterprise: $e, at: "2026-11-20T10:00:00+08:00", duties: [SAFETY]) {
    ... on VisitPayload { visit { id } } ... on UserError { code field } }
}"""


def test_reports_and_visits_default_to_the_tokens_cadre(ledger, engine_for) -> None:
    gql, url = ledger
    issue = gql(OWN_REPORT, {"e": ENTERPRISE})["data"]["reportIssue"]["issue"]
    visit = gql(OWN_VISIT, {"e": ENTERPRISE})["data"]["logVisit"]["visit"]
    assert [e["actor"]["id"] for e in issue["events"]] == ["2"]
    with engine_for(url).connect() as conn:
        reporter = conn.execute(
            text("SELECT reporter_id FROM issue WHERE id = :id"), {"id": int(issue["id"])}
        ).scalar()
        visitor, actor, token = conn.execute(
            text(
                "SELECT v.cadre_id, e.actor_id, e.token_id FROM visit v JOIN event e"
                " ON e.subject = 'visit' AND e.subject_id = v.id WHERE v.id = :id"
            ),
            {"id": int(visit["id"])},
        ).one()
    assert (reporter, visitor, actor, token) == (2, 2, 2, token_id(url, engine_for, CADRE_2))


def test_a_visit_needs_a_cadre_when_the_token_stands_for_none(fresh_demo_url, engine_for) -> None:
    before = snapshot(fresh_demo_url, engine_for)
    with app_client(fresh_demo_url) as client:  # the shared admin token, of no cadre
        refused = graphql_client(client)(OWN_VISIT, {"e": ENTERPRISE})["data"]["logVisit"]
    assert (refused["code"], refused["field"]) == ("BAD_USER_INPUT", "cadre")
    assert snapshot(fresh_demo_url, engine_for) == before


def test_events_are_queryable_per_enterprise(ledger) -> None:
    gql, _ = ledger
    walk(gql, ["accepted"])
    trail = gql('{ enterprise(uscc: "%s") { events { action subject } } }' % ENTERPRISE)["data"][
        "enterprise"
    ]["events"]
    assert [e["action"] for e in trail if e["subject"] == "issue"][-2:] == [
        "reported",
        "status_changed",
    ]
