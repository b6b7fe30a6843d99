"""Access control, issue 6: counts never reveal what lists hide, out-of-scope data stays hidden
however it is reached (nesting, aliases, fragments, statistics, nearest), and the fast path
answers public data alike for everyone. Expected values: README policy + SQL on base tables."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import Databases
from tests.schema.access_subjects import CURRENT, ROLES, WIDE, Park, open_park, post, walk
from tests.schema.stats_oracle import GAINS


@pytest.fixture(scope="module")
def park(databases: Databases, demo_template: str) -> Iterator[Park]:
    with open_park(databases, demo_template) as found:
        yield found


def pairs(value: Any, id_key: str, field_key: str) -> dict[int, Any]:
    """{id: field} of every object in a response that has both keys."""
    found: dict[int, Any] = {}

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            if id_key in node and field_key in node:
                found[int(node[id_key])] = node[field_key]
            for child in node.values():
                visit(child)
        elif isinstance(node, list):
            for child in node:
                visit(child)

    visit(value)
    return found


# --- counts never reveal what lists hide -------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("kind", ["grid", "zone", "park"])
def test_cadre_count_is_the_length_of_the_cadre_list(park: Park, role: str, kind: str) -> None:
    code = {"grid": park.subjects.grids["A"].code, "zone": park.subjects.grids["A"].zone_code,
            "park": park.subjects.park}[kind]  # fmt: skip
    found = park.data(role, f'{{ {kind}(code: "{code}") {{ cadreCount cadres {{ id }} }} }}')[kind]
    listed = {c["id"] for c in found["cadres"]}
    assert found["cadreCount"] == len(listed)
    if role == "anonymous":
        assert found["cadreCount"] == 0
    else:
        assert found["cadreCount"] > 0


@pytest.mark.parametrize("role", ROLES)
def test_without_liaison_filter_counts_only_visible_liaisons(park: Park, role: str) -> None:
    zone = park.subjects.grids["A"].zone_code
    q = ('query ($z: String!) { enterprises(filter: {zone: $z, withoutLiaison: false}, first: 500)'
         " { totalCount nodes { liaison { id } } } }")  # fmt: skip
    found = park.attempt(role, q, z=zone)
    if role == "anonymous":  # assignments are not public: the filter is refused, not guessed
        assert found == "F"
        return
    found = found["enterprises"]
    with_liaison = [n for n in found["nodes"] if n["liaison"] is not None]
    assert found["totalCount"] == len(found["nodes"]) == len(with_liaison)
    assert found["totalCount"] == with_liaison_in(park, zone)


@pytest.mark.parametrize("role", ROLES)
def test_without_liaison_count_alone_on_the_fast_path(park: Park, role: str) -> None:
    """The same count asked without nodes (a shape the compiled fast path answers)."""
    zone = park.subjects.grids["A"].zone_code
    q = '{ enterprises(filter: {zone: "%s", withoutLiaison: false}) { totalCount } }' % zone
    found = park.attempt(role, q)
    if role == "anonymous":
        _, body = post(park.client, park.callers[role], q)
        assert body["errors"][0]["extensions"] == {
            "code": "FORBIDDEN", "field": "filter.withoutLiaison"}  # fmt: skip
    else:
        assert found == {"enterprises": {"totalCount": with_liaison_in(park, zone)}}


def with_liaison_in(park: Park, zone: str) -> int:
    found: int = park.sql.scalar(
        "SELECT count(DISTINCT e.id) FROM enterprise e JOIN grid g ON g.id = e.grid_id"
        " JOIN zone z ON z.id = g.zone_id JOIN assignment a ON a.enterprise_id = e.id"
        f" AND a.role = 'liaison' AND {CURRENT}"
        " WHERE z.code = :z",
        z=zone,
    )
    return found


@pytest.mark.parametrize("role", ROLES)
def test_issue_list_descriptions_follow_the_callers_grids(park: Park, role: str) -> None:
    zone = park.subjects.grids["A"].zone_code
    q = "query ($z: String!) { issues(filter: {zone: $z}, first: 500) { totalCount nodes { id description } } }"
    found = park.data(role, q, z=zone)["issues"]
    assert found["totalCount"] == len(found["nodes"]) > 0
    observed = pairs(found, "id", "description")
    assert observed == park.descriptions(role, list(observed))
    assert len(observed) == park.sql.scalar(
        "SELECT count(*) FROM issue i JOIN enterprise e ON e.id = i.enterprise_id"
        " JOIN grid g ON g.id = e.grid_id JOIN zone z ON z.id = g.zone_id WHERE z.code = :z",
        z=zone,
    )


@pytest.mark.parametrize("role", ROLES)
def test_open_issue_count_matches_the_open_issue_list(park: Park, role: str) -> None:
    grid = park.subjects.grids["A"]
    q = "query ($c: String!) { grid(code: $c) { openIssueCount openIssues(first: 500) { totalCount nodes { id description } } } }"
    found = park.data(role, q, c=grid.code)["grid"]
    nodes = found["openIssues"]["nodes"]
    assert found["openIssueCount"] == found["openIssues"]["totalCount"] == len(nodes) > 0
    observed = pairs(nodes, "id", "description")
    assert observed == park.descriptions(role, list(observed))


@pytest.mark.parametrize("role", ROLES)
def test_park_outcome_sums_add_only_readable_amounts(park: Park, role: str) -> None:
    q = ("query ($p: String!, $from: Date!, $to: Date!) { stats(park: $p, from: $from, to: $to)"
         " { outcomes { peopleHired loanCny hazardsRectified financedEnterprises recruitedEnterprises } } }")  # fmt: skip
    found = park.data(role, q, p=park.subjects.park, **WIDE)["stats"]["outcomes"]
    truth = park.sql.rows(
        """SELECT coalesce(sum(o.people_hired), 0) AS "peopleHired",
                  CAST(coalesce(sum(o.loan_cny), 0) AS float8) AS "loanCny",
                  coalesce(sum(o.hazards_rectified), 0) AS "hazardsRectified",
                  count(DISTINCT e.id) FILTER (WHERE o.loan_cny > 0) AS "financedEnterprises",
                  count(DISTINCT e.id) FILTER (WHERE o.people_hired > 0) AS "recruitedEnterprises"
           FROM """
        + GAINS
        + """ o JOIN enterprise e ON e.id = o.enterprise_id
           WHERE e.grid_id = ANY(:g)""",
        g=list(park.read_grids(role)),
    )[0]
    assert found == pytest.approx(dict(truth._mapping))


@pytest.mark.parametrize("role", ROLES)
def test_visit_count_matches_the_visit_list(park: Park, role: str) -> None:
    firm = park.subjects.firms["B"]
    q = "query ($u: String!) { enterprise(uscc: $u) { visits(first: 500) { totalCount nodes { id note } } } }"
    found = park.data(role, q, u=firm.uscc)["enterprise"]["visits"]
    notes = [n["note"] for n in found["nodes"] if n["note"] is not None]
    assert found["totalCount"] == len(found["nodes"]) > 0
    readable = role == "admin" or firm.grid_id in park.read_grids(role)
    assert len(notes) == (len(found["nodes"]) if readable else 0)


# --- nesting, aliases, fragments ---------------------------------------------------------------

FIELDS = "id title description rejectionReason"
SHAPES = {
    "nested": f"query ($c: String!) {{ grid(code: $c) {{ enterprises {{ nodes {{ issues {{ nodes {{ {FIELDS} }} }} }} }} }} }}",
    "aliased": "query ($c: String!) { g: grid(code: $c) { firms: enterprises { list: nodes { trouble: issues"
    " { n: nodes { id title description secret: description why: rejectionReason rejectionReason } } } } } }",
    "named-fragment": "query ($c: String!) { grid(code: $c) { ...Firms } }"
    " fragment Firms on Grid { enterprises { nodes { issues { nodes { ...Secret } } } } }"
    f" fragment Secret on Issue {{ {FIELDS} }}",
    "inline-fragment": "query ($c: String!) { grid(code: $c) { ... on Grid { enterprises { nodes {"
    f" ... on Enterprise {{ issues {{ nodes {{ ... on Issue {{ {FIELDS} }} }} }} }} }} }} }} }} }}",
}


@pytest.mark.parametrize("scope", ["A", "B"])
@pytest.mark.parametrize("shape", list(SHAPES))
def test_grid_lead_reaches_other_grids_issues_without_their_secrets(
    park: Park, shape: str, scope: str
) -> None:
    grid = park.subjects.grids[scope]
    found = park.data("grid_lead", SHAPES[shape], c=grid.code)
    truth = {r.id: r for r in park.sql.rows(
        "SELECT i.id, i.title, i.description, i.rejection_reason FROM issue i"
        " JOIN enterprise e ON e.id = i.enterprise_id WHERE e.grid_id = :g", g=grid.id)}  # fmt: skip
    readable = scope == "A"
    for key in ("description", "secret"):
        observed = pairs(found, "id", key)
        if key == "description" or shape == "aliased":
            assert set(observed) == set(truth)
            assert observed == {i: r.description if readable else None for i, r in truth.items()}
    for key in ("rejectionReason", "why"):
        observed = pairs(found, "id", key)
        if observed:
            assert observed == {
                i: r.rejection_reason if readable else None for i, r in truth.items()
            }
    assert pairs(found, "id", "title") == {i: r.title for i, r in truth.items()}


def test_aliases_of_two_grids_in_one_request_are_scoped_each(park: Park) -> None:
    a, b = park.subjects.grids["A"], park.subjects.grids["B"]
    q = ("query ($a: String!, $b: String!) { mine: grid(code: $a) { ...F } theirs: grid(code: $b) { ...F } }"
         " fragment F on Grid { code enterprises { nodes { issues { nodes { id description } } } } }")  # fmt: skip
    found = park.data("grid_lead", q, a=a.code, b=b.code)
    mine, theirs = (
        pairs(found["mine"], "id", "description"),
        pairs(found["theirs"], "id", "description"),
    )
    assert mine and all(v is not None for v in mine.values())
    assert theirs and all(v is None for v in theirs.values())


def test_the_zone_walk_shows_only_the_grid_leads_own_grid(park: Park) -> None:
    q = ("query ($u: String!) { enterprise(uscc: $u) { zone { grids { nodes { code enterprises"
         " { nodes { issues { nodes { id description } } } } } } } } }")  # fmt: skip
    found = park.data("grid_lead", q, u=park.subjects.firms["A"].uscc)
    observed = pairs(found, "id", "description")
    assert observed == park.descriptions("grid_lead", list(observed))
    grids = {g["code"] for g in found["enterprise"]["zone"]["grids"]["nodes"]}
    assert {park.subjects.grids["A"].code, park.subjects.grids["S"].code} <= grids


@pytest.mark.parametrize("role", ["grid_lead", "liaison"])
def test_other_grids_events_through_enterprise_and_issue(park: Park, role: str) -> None:
    firm, issue = park.subjects.firms["B"], park.subjects.issues["B"]
    q = ("query ($u: String!, $i: ID!) { enterprise(uscc: $u) { events { id changes note } }"
         " issue(id: $i) { events { id changes note } history: events { id n: note }"
         " enterprise { visits { nodes { id note checkIn } } } } }")  # fmt: skip
    found = park.data(role, q, u=firm.uscc, i=str(issue))
    firm_events = found["enterprise"]["events"]
    assert len(firm_events) == park.sql.scalar(
        "SELECT count(*) FROM event WHERE enterprise_id = :e", e=firm.id
    )
    assert all(e["changes"] is None and e["note"] is None for e in firm_events)
    assert found["issue"]["events"] and all(
        e["changes"] is None and e["note"] is None for e in found["issue"]["events"]
    )
    assert all(e["n"] is None for e in found["issue"]["history"])
    visits = found["issue"]["enterprise"]["visits"]["nodes"]
    assert visits and all(v["note"] is None and v["checkIn"] is None for v in visits)


def test_own_grids_events_are_readable_by_the_liaison(park: Park) -> None:
    firm = park.subjects.firms["A"]
    found = park.data(
        "liaison",
        "query ($u: String!) { enterprise(uscc: $u) { events { id changes note } } }",
        u=firm.uscc,
    )
    truth = {r.id: (r.changes, r.note) for r in park.sql.rows(
        "SELECT id, changes, note FROM event WHERE enterprise_id = :e", e=firm.id)}  # fmt: skip
    assert {int(e["id"]): (e["changes"], e["note"]) for e in found["enterprise"]["events"]} == truth


@pytest.mark.parametrize("scope", ["A", "B"])
def test_hard_cases_carry_descriptions_only_in_scope(park: Park, scope: str) -> None:
    q = ("query ($c: String!) { stats(grid: $c, hardCaseDays: 0) { hardCases { issue { id description"
         " rejectionReason } } } }")  # fmt: skip
    found = park.data("grid_lead", q, c=park.subjects.grids[scope].code)
    observed = pairs(found, "id", "description")
    assert observed and observed == park.descriptions("grid_lead", list(observed))
    assert all(v is not None for v in observed.values()) == (scope == "A")


@pytest.mark.parametrize("role", ["grid_lead", "liaison", "viewer"])
def test_nearest_enterprises_nest_issues_by_their_grid(park: Park, role: str) -> None:
    x, y = park.sql.rows("SELECT ST_X(location) AS x, ST_Y(location) AS y FROM enterprise WHERE id = :e",
                         e=park.subjects.firms["B"].id)[0]  # fmt: skip
    q = ("query ($x: Float!, $y: Float!) { nearestEnterprises(lon: $x, lat: $y, k: 8) { uscc"
         " issues { nodes { id description } } } }")  # fmt: skip
    observed = pairs(park.data(role, q, x=x, y=y), "id", "description")
    assert observed and observed == park.descriptions(role, list(observed))


@pytest.mark.parametrize("role", ["grid_lead", "liaison", "former"])
def test_phones_of_cadres_reached_through_visits_and_issues(park: Park, role: str) -> None:
    q = ("query ($u: String!) { enterprise(uscc: $u) { liaison { id phone } visits { nodes { cadre { id phone } } }"
         " issues { nodes { reporter { id phone } assignee { id phone } } } } }")  # fmt: skip
    for scope in ("A", "B"):
        observed = pairs(park.data(role, q, u=park.subjects.firms[scope].uscc), "id", "phone")
        assert observed
        me = park.callers[role].cadre_id
        visible = park.sql.working_in(park.read_grids(role)) | {me}
        phones = {
            r.id: r.phone
            for r in park.sql.rows(
                "SELECT id, phone FROM cadre WHERE id = ANY(:i)", i=list(observed)
            )
        }
        assert observed == {i: phones[i] if i in visible else None for i in observed}


# --- the fast path -----------------------------------------------------------------------------

PUBLIC_COUNTS = (
    '{ grid(code: "%s") { code enterpriseCount openIssueCount enterprises { totalCount } } }'
)


def test_public_counts_are_the_same_with_and_without_a_token(park: Park) -> None:
    grid = park.subjects.grids["A"]
    query = PUBLIC_COUNTS % grid.code
    answers = {}
    for role in ROLES:
        response = park.client.post(
            "/graphql", json={"query": query}, headers=park.callers[role].headers()
        )
        assert response.status_code == 200
        answers[role] = response.json()
    assert all(answer == answers["anonymous"] for answer in answers.values())
    found = answers["anonymous"]["data"]["grid"]
    firms = park.sql.scalar("SELECT count(*) FROM enterprise WHERE grid_id = :g", g=grid.id)
    open_ = park.sql.scalar(
        "SELECT count(*) FROM issue i JOIN enterprise e ON e.id = i.enterprise_id"
        " WHERE e.grid_id = :g AND i.status NOT IN ('closed', 'rejected')", g=grid.id)  # fmt: skip
    assert found == {"code": grid.code, "enterpriseCount": firms, "openIssueCount": open_,
                     "enterprises": {"totalCount": firms}}  # fmt: skip


@pytest.mark.parametrize(
    "query",
    [
        '{ grid(code: "%(g)s") { openIssueCount openIssues { nodes { id title description rejectionReason } } } }',
        '{ issue(id: "%(i)s") { id title description rejectionReason events { note } } }',
        '{ grid(code: "%(g)s") { enterpriseCount enterprises { nodes { uscc issues { nodes { description } } visits { nodes { note checkIn } } } } } }',
    ],
    ids=["open-issues", "issue", "enterprises"],
)
def test_sensitive_fields_are_null_for_anonymous(park: Park, query: str) -> None:
    text = query % {"g": park.subjects.grids["A"].code, "i": park.subjects.issues["A"]}
    found = park.data("anonymous", text)
    values = [v for key in ("title", "description", "rejectionReason", "note", "checkIn")
              for v in walk(found, key)]  # fmt: skip
    assert values and all(v is None for v in values)
    assert all(events == [] for events in walk(found, "events"))
    assert park.data("admin", text) != found


def test_hard_cases_hide_titles_and_descriptions_from_anonymous(park: Park) -> None:
    q = '{ stats(park: "%s", hardCaseDays: 0) { hardCases { issue { id title description } } } }'
    found = park.data("anonymous", q % park.subjects.park)["stats"]["hardCases"]
    assert found and all(
        c["issue"]["title"] is None and c["issue"]["description"] is None for c in found
    )


STATS = (
    "query ($p: String!, $from: Date!, $to: Date!) { stats(park: $p, from: $from, to: $to) {"
    " visits { visits byDuty { duty visits } enterprises enterprisesVisited enterprisesVisitedMonthly }"
    " issues { total { reported closed closedOnTime rejected open overdue due dueClosed meanDaysToClose }"
    " byCategory { category reported open } } safetyHazards { found rectified rectifiedOnTime } } }"
)
COVERAGE = (
    "query ($p: String!) { coverage(park: $p) { totals { enterprises withoutLiaison openIssues visited"
    " overdueHazards withPartyOrganisation withPolicyLiaison zonesWithoutLead gridsWithoutLead"
    " enterprisesWithoutLiaison notVisited } overdueHazards { issueId title } grids { code openIssues"
    " withoutLiaison visited } workload { perLiaison { cadres max loads { id name enterprises } } } } }"
)


def test_public_statistics_are_the_same_for_every_caller(park: Park) -> None:
    """Counts are public: only outcome amounts depend on who asks."""
    answers = {role: park.data(role, STATS, p=park.subjects.park, **WIDE) for role in ROLES}
    assert all(answer == answers["admin"] for answer in answers.values())
    total = answers["admin"]["stats"]["issues"]["total"]
    assert total["reported"] == park.sql.scalar("SELECT count(*) FROM issue")


def test_the_coverage_report_is_the_same_for_every_signed_in_caller(park: Park) -> None:
    """Nothing in it is personal or sensitive: a cadre sees what a viewer and an admin see."""
    answers = {role: park.data(role, COVERAGE, p=park.subjects.park) for role in ROLES[1:]}
    assert all(answer == answers["admin"] for answer in answers.values())
    totals = answers["admin"]["coverage"]["totals"]
    assert totals["enterprises"] == park.sql.scalar("SELECT count(*) FROM enterprise")
