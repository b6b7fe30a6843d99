"""Construction projects: created, reported on and linked through the mutations, read back
by area and state; "behind schedule" checked against the milestones as stored (plain SQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from shapely.geometry import box, mapping
from sqlalchemy import create_engine, text

from tests.conftest import GraphQL, app_client, graphql_client
from tests.helpers import read_rows
from tests.resolvers.conftest import X0, Y0, D, code
from tests.schema.stats_oracle import PARK_TZ
from tests.schema.story_park import small_park

TODAY = datetime.now(PARK_TZ).date()

CREATE = """mutation($e: String!, $name: String!, $site: GeoJSON!, $stage: ProjectStage!) {
  createConstructionProject(enterprise: $e, name: $name, site: $site, stage: $stage,
                            started: "2022-07-25") {
    __typename ... on ProjectPayload { project { id version stage } }
    ... on UserError { field code message } } }"""
PROGRESS = """mutation($id: ID!, $v: Int!, $on: Date!, $p: Float!, $stage: ProjectStage) {
  reportProjectProgress(id: $id, version: $v, reportedOn: $on, percentComplete: $p,
                        stage: $stage, note: "site note") {
    __typename ... on ProjectPayload { project { version percentComplete stage } }
    ... on UserError { field code message } } }"""
MILESTONE = """mutation($id: ID!, $v: Int!, $milestone: String!, $planned: Date!, $actual: Date) {
  setProjectMilestone(id: $id, version: $v, name: $milestone, planned: $planned, actual: $actual) {
    __typename ... on ProjectPayload { project { version behindSchedule } }
    ... on UserError { field code message } } }"""


@pytest.fixture
def gql(empty_url: str) -> Iterator[GraphQL]:
    small_park(empty_url, {1: (X0 + 0.004, Y0 + 0.004), 2: (X0 + D + 0.004, Y0 + 0.004)})
    engine = create_engine(empty_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO issue (enterprise_id, category, title) VALUES"
                          " (1, 'construction', 'permit'), (2, 'construction', 'power')"))  # fmt: skip
    engine.dispose()
    with app_client(empty_url) as client:
        yield graphql_client(client)


def create(gql: GraphQL, firm: int, site: dict[str, Any], stage: str = "MAIN_WORKS") -> str:
    variables = {"e": code(firm), "name": f"plant {firm}", "site": site, "stage": stage}
    made = gql(CREATE, variables)["data"]["createConstructionProject"]
    assert made["__typename"] == "ProjectPayload", made
    return str(made["project"]["id"])


def outline(col: int) -> dict[str, Any]:
    return dict(mapping(box(X0 + col * D + 0.001, Y0 + 0.001, X0 + col * D + 0.003, Y0 + 0.003)))


def run(gql: GraphQL, query: str, field: str, **variables: Any) -> dict[str, Any]:
    found: dict[str, Any] = gql(query, variables)["data"][field]
    return found


def test_progress_milestones_and_state(gql: GraphQL, empty_url: str) -> None:
    flagship = create(gql, 1, outline(0))
    other = create(gql, 2, {"type": "Point", "coordinates": [X0 + D + 0.004, Y0 + 0.004]})
    first = run(gql, PROGRESS, "reportProjectProgress", id=flagship, v=1,
                on=str(TODAY - timedelta(60)), p=40.0)  # fmt: skip
    assert first["project"] == {"version": 2, "percentComplete": 40.0, "stage": "MAIN_WORKS"}
    later = run(gql, PROGRESS, "reportProjectProgress", id=flagship, v=2, on=str(TODAY), p=90.0)
    assert later["project"]["percentComplete"] == 90.0
    # an older report entered afterwards does not become the latest
    run(gql, PROGRESS, "reportProjectProgress", id=flagship, v=3, on=str(TODAY - timedelta(90)),
        p=20.0)  # fmt: skip
    planned = TODAY - timedelta(10)
    late = run(gql, MILESTONE, "setProjectMilestone", id=flagship, v=4, milestone="production",
               planned=str(planned))  # fmt: skip
    assert late["project"] == {"version": 5, "behindSchedule": True}
    run(gql, MILESTONE, "setProjectMilestone", id=other, v=1, milestone="production",
        planned=str(TODAY + timedelta(30)))  # fmt: skip

    rows = read_rows(empty_url, "SELECT p.id, bool_or(m.planned < current_date AND m.actual IS"
                     " NULL) AS behind FROM construction_project p LEFT JOIN project_milestone m"
                     " ON m.project_id = p.id GROUP BY p.id ORDER BY p.id")  # fmt: skip
    expected = {str(r.id): bool(r.behind) for r in rows}
    query = """query($late: Boolean) { constructionProjects(filter: {behindSchedule: $late}) {
        nodes { id percentComplete behindSchedule milestones { name late } } } }"""
    behind = run(gql, query, "constructionProjects", late=True)["nodes"]
    assert [n["id"] for n in behind] == [k for k, v in expected.items() if v] == [flagship]
    assert behind[0]["percentComplete"] == 90.0
    assert behind[0]["milestones"] == [{"name": "production", "late": True}]
    on_time = run(gql, query, "constructionProjects", late=False)["nodes"]
    assert [n["id"] for n in on_time] == [other]
    as_of = """query($id: ID!, $on: Date!) { constructionProject(id: $id) {
        behindSchedule(on: $on) } }"""
    before = run(gql, as_of, "constructionProject", id=flagship, on=str(planned))
    assert before == {"behindSchedule": False}  # planned that day: not late yet

    reached = run(gql, MILESTONE, "setProjectMilestone", id=flagship, v=5, milestone="production",
                  planned=str(planned), actual=str(TODAY))  # fmt: skip
    assert reached["project"]["behindSchedule"] is False
    actions = read_rows(
        empty_url,
        "SELECT action FROM event WHERE subject ="
        f" 'construction_project' AND subject_id = {int(flagship)} ORDER BY id",
    )
    assert [r.action for r in actions] == ["created"] + ["progress_reported"] * 3 + [
        "milestone_set"] * 2  # fmt: skip


def test_by_area_and_stage(gql: GraphQL) -> None:
    create(gql, 1, outline(0), "FIT_OUT")
    second = create(gql, 2, outline(1), "APPROVAL")
    query = """query($f: ProjectFilterInput) { constructionProjects(filter: $f) {
        totalCount nodes { id enterprise { uscc grid { code } } site } } }"""
    in_b = run(gql, query, "constructionProjects", f={"grid": "G-B"})
    assert [n["id"] for n in in_b["nodes"]] == [second]
    assert in_b["nodes"][0]["enterprise"]["grid"]["code"] == "G-B"
    assert in_b["nodes"][0]["site"]["type"] == "MultiPolygon"
    staged = run(gql, query, "constructionProjects", f={"zone": "Z", "stage": ["APPROVAL"]})
    assert staged["totalCount"] == 1
    missing = gql(query, {"f": {"grid": "NOPE"}}, ok=False)
    assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"


def test_refusals_change_nothing(gql: GraphQL) -> None:
    project = create(gql, 1, outline(0))
    cases = [
        ({"v": 1, "on": str(TODAY + timedelta(1)), "p": 10.0}, "reportedOn"),
        ({"v": 1, "on": str(TODAY), "p": 100.5}, "percentComplete"),
        ({"v": 9, "on": str(TODAY), "p": 10.0}, "version"),
    ]
    for variables, field in cases:
        refused = run(gql, PROGRESS, "reportProjectProgress", id=project, **variables)
        assert refused["field"] == field, refused
    line = {"type": "LineString", "coordinates": [[X0, Y0], [X0 + D, Y0]]}
    bad_site = gql(CREATE, {"e": code(1), "name": "x", "site": line, "stage": "PLANNING"})
    assert bad_site["data"]["createConstructionProject"]["code"] == "INVALID_GEOMETRY"
    link = """mutation($id: ID!, $issue: ID!) { linkProjectIssue(id: $id, version: 1,
        issue: $issue) { __typename ... on UserError { field } } }"""
    assert run(gql, link, "linkProjectIssue", id=project, issue="2")["field"] == "issue"
    assert run(gql, link, "linkProjectIssue", id=project, issue="1")["__typename"] == (
        "ProjectPayload")  # fmt: skip
    read = """query($id: ID!) { constructionProject(id: $id) { version percentComplete
        issues { title } } }"""
    assert run(gql, read, "constructionProject", id=project) == {
        "version": 2, "percentComplete": None, "issues": [{"title": "permit"}]}  # fmt: skip


def test_anonymous_callers_see_no_projects(empty_url: str, gql: GraphQL) -> None:
    create(gql, 1, outline(0))
    with app_client(empty_url, token=None) as client:
        found = graphql_client(client)("{ constructionProjects { totalCount } }")
    assert found["data"]["constructionProjects"]["totalCount"] == 0
