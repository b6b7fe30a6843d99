"""The README's access table on compiled answers: who signs in (admin, viewer, a cadre who
leads a grid and serves an enterprise of another zone, bad tokens and headers) and what each
sees, with every expectation computed in plain SQL from the assignment rows valid now."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from parkgrid.auth.tokens import digest
from tests.conftest import ADMIN_TOKEN, Databases, add_token
from tests.resolvers.reads.oracle import CURRENT, REACH, Api, Oracle, api

ROLES = ("anonymous", "viewer", "cadre", "admin")
VIEWER, CADRE = "pgt_reads-viewer", "pgt_reads-cadre"
TOKENS = {"anonymous": None, "viewer": VIEWER, "cadre": CADRE, "admin": ADMIN_TOKEN}
ISSUES = """query ($after: String) { issues(first: 500, after: $after) {
  totalCount pageInfo { hasNextPage endCursor } nodes { id title description rejectionReason } } }"""


@dataclass
class Park:
    fast: Api
    sql: Oracle
    url: str
    cadre: int  # a grid lead, also liaison of `far` (another zone); once of `past`
    far: str
    past: str
    grids: set[int]  # the cadre's grids now, by plain SQL


@pytest.fixture(scope="module")
def park(databases: Databases, demo_template: str) -> Iterator[Park]:
    url = databases.url(databases.create(template=demo_template))
    sql = Oracle(url)
    cadre, lead_zone = sql.rows(
        "SELECT a.cadre_id, g.zone_id FROM assignment a JOIN grid g ON g.id = a.grid_id"
        f" WHERE a.role = 'grid_lead' AND {CURRENT} ORDER BY g.code LIMIT 1"
    )[0]
    candidates = sql.rows(
        "SELECT e.id, e.uscc, e.grid_id FROM enterprise e JOIN grid g ON g.id = e.grid_id"
        " WHERE g.zone_id <> :z AND EXISTS (SELECT 1 FROM issue i WHERE i.enterprise_id = e.id"
        " AND i.description IS NOT NULL) AND EXISTS (SELECT 1 FROM visit v"
        " WHERE v.enterprise_id = e.id AND v.note IS NOT NULL) ORDER BY g.code DESC, e.uscc",
        z=lead_zone,
    )
    far = candidates[0]
    past = next(e for e in candidates if e.grid_id != far.grid_id)
    # the cadre takes over `far` an hour ago; `past` they served only in 2000
    sql.execute(
        "UPDATE assignment a SET valid_to = now() - interval '1 hour'"
        f" WHERE a.enterprise_id = :e AND a.role = 'liaison' AND {CURRENT}",
        e=far.id,
    )
    for enterprise, start, end in [(far.id, "now() - interval '1 hour'", "NULL"),
                                   (past.id, "'2000-01-01'", "'2000-02-01'")]:  # fmt: skip
        sql.execute(
            "INSERT INTO assignment (cadre_id, role, enterprise_id, valid_from, valid_to)"
            f" VALUES (:c, 'liaison', :e, {start}, {end})",
            c=cadre, e=enterprise,
        )  # fmt: skip
    add_token(url, VIEWER, "viewer")
    add_token(url, CADRE, "cadre", cadre)
    for secret, expires, revoked in [("pgt_reads-expired", "now() - interval '1 minute'", "NULL"),
                                     ("pgt_reads-revoked", "NULL", "now() - interval '1 minute'")]:  # fmt: skip
        sql.execute(
            "INSERT INTO api_token (token_hash, role, label, expires_at, revoked_at)"
            f" VALUES (:d, 'admin', 'reads', {expires}, {revoked})",
            d=digest(secret),
        )
    grids = sql.grids_of(cadre)
    with api(url) as fast:
        yield Park(fast, sql, url, cadre, far.uscc, past.uscc, grids)
    sql.dispose()


def grid_of(park: Park, uscc: str) -> int:
    return int(park.sql.scalar("SELECT grid_id FROM enterprise WHERE uscc = :u", u=uscc))


def test_the_cadres_grids_are_their_grid_and_the_far_enterprises(park) -> None:
    led = park.sql.column(
        f"SELECT a.grid_id FROM assignment a WHERE a.role = 'grid_lead' AND {CURRENT}"
        " AND a.cadre_id = :c",
        c=park.cadre,
    )
    assert park.grids == {*led, grid_of(park, park.far)}
    assert len(park.grids) == 2 and grid_of(park, park.past) not in park.grids


def sensitive(park: Park, role: str, grid_id: int) -> bool:
    return role == "admin" or (role == "cadre" and grid_id in park.grids)


def all_issues(park: Park, token: str | None) -> tuple[list[dict[str, Any]], set[int]]:
    nodes: list[dict[str, Any]] = []
    totals, after = set(), None
    while True:
        found = park.fast.data(ISSUES, {"after": after}, token=token)["issues"]
        nodes += found["nodes"]
        totals.add(found["totalCount"])
        if not found["pageInfo"]["hasNextPage"]:
            return nodes, totals
        after = found["pageInfo"]["endCursor"]


@pytest.mark.parametrize("role", ROLES)
def test_issue_texts_follow_the_role(park, role) -> None:
    rows = park.sql.rows(
        "SELECT i.id, i.title, i.description, i.rejection_reason, e.grid_id"
        " FROM issue i JOIN enterprise e ON e.id = i.enterprise_id ORDER BY i.id DESC"
    )
    expected = [
        {
            "id": str(r.id),
            "title": r.title if role != "anonymous" else None,
            "description": r.description if sensitive(park, role, r.grid_id) else None,
            "rejectionReason": r.rejection_reason if sensitive(park, role, r.grid_id) else None,
        }
        for r in rows
    ]
    nodes, totals = all_issues(park, TOKENS[role])
    assert totals == {len(rows)}  # a count hides nothing
    assert nodes == expected
    shown = {r.grid_id for r, n in zip(rows, nodes, strict=True) if n["description"]}
    kept = {
        r.grid_id
        for r, n in zip(rows, nodes, strict=True)
        if r.description and not n["description"]
    }
    assert shown == ({r.grid_id for r in rows if r.description} if role == "admin" else
                     park.grids if role == "cadre" else set())  # fmt: skip
    assert (len(kept) > 0) == (role != "admin")


SERVING = (
    """query ($code: String!) { grid(code: $code) { cadres { id role cadre { id phone } } } }"""
)
AT = "a.valid_from <= :at AND (a.valid_to IS NULL OR a.valid_to > :at)"
SERVING_AT = f"""SELECT DISTINCT a.cadre_id, upper(a.role) AS role, c.phone FROM assignment a
    JOIN cadre c ON c.id = a.cadre_id LEFT JOIN enterprise e ON e.id = a.enterprise_id
    WHERE {AT} AND (a.grid_id = :g OR e.grid_id = :g
                    OR a.zone_id = (SELECT zone_id FROM grid WHERE id = :g))
    ORDER BY 1, 2"""
SERVING_SQL = SERVING_AT.replace(":at", "now()")


def working_in(park: Park) -> set[int]:
    return set(park.sql.column(
        f"SELECT DISTINCT cadre_id FROM ({REACH}) r WHERE grid_id = ANY(:g)", g=list(park.grids)
    ))  # fmt: skip


@pytest.mark.parametrize("role", ROLES)
def test_cadres_and_phones_follow_the_role(park, role) -> None:
    colleagues = working_in(park)
    assert park.cadre in colleagues and len(colleagues) > 3
    phones_seen = 0
    for grid_id, code in park.sql.rows("SELECT id, code FROM grid ORDER BY code"):
        serving = park.sql.rows(SERVING_SQL, g=grid_id)
        found = park.fast.data(SERVING, {"code": code}, token=TOKENS[role])["grid"]["cadres"]
        if role == "anonymous":
            assert found == []
            continue
        assert sorted((int(c["id"]), c["role"]) for c in found) == [r[:2] for r in serving]
        visible = {
            r.cadre_id: r.phone if role == "admin" or (role == "cadre" and r.cadre_id in colleagues)
            else None
            for r in serving
        }  # fmt: skip
        assert {int(c["cadre"]["id"]): c["cadre"]["phone"] for c in found} == visible
        phones_seen += sum(phone is not None for phone in visible.values())
    assert (phones_seen > 0) == (role in ("cadre", "admin"))


HISTORY = """query ($u: String!, $before: DateTime!) { enterprise(uscc: $u) {
  liaison { id } before: liaison(at: $before) { id }
  grid { now: cadres { id role } before: cadres(at: $before) { id role } } } }"""


def test_liaisons_and_cadres_answer_for_the_moment_asked(park) -> None:
    """`far` changed hands an hour ago: now it is the cadre's, two hours ago it was not."""
    before = datetime.now(UTC) - timedelta(hours=2)
    grid = grid_of(park, park.far)
    found = park.fast.data(HISTORY, {"u": park.far, "before": before.isoformat()}, token=VIEWER)
    liaison = (
        "SELECT a.cadre_id FROM assignment a JOIN enterprise e ON e.id = a.enterprise_id"
        f" WHERE e.uscc = :u AND a.role = 'liaison' AND {AT}"
    )
    then = park.sql.column(liaison, u=park.far, at=before)
    assert then and then != [park.cadre]
    assert found["enterprise"]["liaison"] == {"id": str(park.cadre)}
    assert found["enterprise"]["before"] == {"id": str(then[0])}
    for key, at in (("now", datetime.now(UTC)), ("before", before)):
        expected = [(c, role) for c, role, _ in park.sql.rows(SERVING_AT, g=grid, at=at)]
        listed = found["enterprise"]["grid"][key]
        assert sorted((int(c["id"]), c["role"]) for c in listed) == expected
    assert (park.cadre, "LIAISON") not in [
        (int(c["id"]), c["role"]) for c in found["enterprise"]["grid"]["before"]
    ]


VISITS = """query ($u: String!) { enterprise(uscc: $u) { visits(first: 500) {
  totalCount nodes { id note } } } }"""


@pytest.mark.parametrize("role", ROLES)
def test_visit_notes_follow_the_role(park, role) -> None:
    for uscc in (park.far, park.past):
        rows = park.sql.rows(
            "SELECT v.id, v.note FROM visit v JOIN enterprise e ON e.id = v.enterprise_id"
            " WHERE e.uscc = :u ORDER BY v.id DESC",
            u=uscc,
        )
        shown = sensitive(park, role, grid_of(park, uscc))
        expected = [{"id": str(r.id), "note": r.note if shown else None} for r in rows]
        found = park.fast.data(VISITS, {"u": uscc}, token=TOKENS[role])["enterprise"]["visits"]
        assert found == {"totalCount": len(rows), "nodes": expected}
        assert any(r.note for r in rows)


@pytest.mark.parametrize("role", ROLES)
def test_get_with_a_token_answers_as_post(park, role) -> None:
    query = "query ($n: Int) { issues(first: $n) { nodes { id title description } } }"
    posted = park.fast.data(query, {"n": 20}, token=TOKENS[role])
    status, got = park.fast.get(query, {"n": 20}, token=TOKENS[role])
    assert (status, park.fast.batches) == (200, 1)
    assert got == {"data": posted}
    titles = [n["title"] for n in posted["issues"]["nodes"]]
    assert all(titles) == (role != "anonymous") and any(titles) == (role != "anonymous")


REFUSED = [
    ("Bearer pgt_reads-unknown", None),
    ("Bearer pgt_reads-revoked", "the token was revoked"),
    ("Bearer pgt_reads-expired", "the token has expired"),
    ("Basic x", None),
    ("Bearer", None),
]


@pytest.mark.parametrize(("header", "message"), REFUSED)
@pytest.mark.parametrize(
    "query",
    [
        "{ issues(first: 1) { nodes { title description } } }",
        "{ parks { totalCount nodes { code } } }",
        "{ stats { from } }",
    ],
    ids=["compiled", "compiled-checking-its-own-token", "executed"],
)
def test_bad_tokens_are_refused_with_401(park, header, message, query) -> None:
    response = park.fast.client.post(
        "/graphql", json={"query": query}, headers={"Authorization": header}
    )
    assert response.status_code == 401
    body = response.json()
    assert body["data"] is None and len(body["errors"]) == 1
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    if message:
        assert body["errors"][0]["message"] == message


def test_callers_take_turns_on_one_connection_without_leaks(park) -> None:
    """Settings made for one caller end with their statement: on a pool of one connection,
    each request sees exactly what its own token allows, also once PostgreSQL plans the
    prepared statements generically (after their fifth run)."""
    issue = park.sql.rows(
        "SELECT i.id, i.title, i.description FROM issue i JOIN enterprise e"
        " ON e.id = i.enterprise_id WHERE e.uscc = :u AND i.description IS NOT NULL"
        " ORDER BY i.id LIMIT 1",
        u=park.far,
    )[0]
    query = f'{{ issue(id: "{issue.id}") {{ title description }} }}'
    seen = {
        "anonymous": {"title": None, "description": None},
        "viewer": {"title": issue.title, "description": None},
        "cadre": {"title": issue.title, "description": issue.description},
        "admin": {"title": issue.title, "description": issue.description},
    }
    turns = ["admin", "anonymous", "cadre", "viewer", "revoked", "anonymous", "cadre", "admin",
             "viewer", "anonymous"] * 4  # fmt: skip
    with api(park.url, pool_size=1) as single:
        for role in turns:
            if role == "revoked":
                status, body = single.post(query, token="pgt_reads-revoked")
                assert status == 401 and body["data"] is None
                continue
            assert single.data(query, token=TOKENS[role]) == {"issue": seen[role]}, role
