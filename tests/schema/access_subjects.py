"""The subjects of the access tests, chosen by plain SQL on the demo park, their tokens, and
SQL oracles on the base tables (schema `public`): every expected answer in test_access*.py
comes from the README policy and these queries, never from the service's own scope code.

Scopes: A is a grid with a grid lead, a zone lead and two plain liaisons; S another grid of
A's zone; B a grid of another zone. Roles: anonymous, a viewer, the zone lead of A's zone, the
grid lead of A, a plain liaison in A, a former liaison of A (assignment ended), an admin."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, create_engine, text
from starlette.testclient import TestClient

from tests.conftest import Databases, add_token, app_client

ROLES = ("anonymous", "viewer", "zone_lead", "grid_lead", "liaison", "former", "admin")
SCOPES = ("A", "S", "B")
WIDE = {"from": "2000-01-01", "to": "2099-12-31"}
"""A period holding every visit, issue and outcome of the demo park."""
CURRENT = "a.valid_from <= now() AND (a.valid_to IS NULL OR a.valid_to > now())"
REACH = f"""
    SELECT a.cadre_id, a.role, a.id AS assignment_id, g.id AS grid_id
    FROM public.assignment a
    LEFT JOIN public.enterprise e ON e.id = a.enterprise_id
    JOIN public.grid g ON g.id = a.grid_id OR g.id = e.grid_id OR g.zone_id = a.zone_id
    WHERE {CURRENT}
"""
"""Each current assignment with every grid it reaches (README: a zone lead's grids are the
zone's, a grid lead's the grid, a liaison's the grids of their enterprises)."""


class Sql:
    """Plain queries on the base tables."""

    def __init__(self, url: str) -> None:
        self.engine: Engine = create_engine(url)

    def rows(self, query: str, **params: Any) -> list[Any]:
        with self.engine.connect() as conn:
            conn.execute(text("SET search_path = public"))
            return list(conn.execute(text(query), params).all())

    def scalar(self, query: str, **params: Any) -> Any:
        with self.engine.connect() as conn:
            conn.execute(text("SET search_path = public"))
            return conn.execute(text(query), params).scalar()

    def execute(self, query: str, **params: Any) -> Any:
        with self.engine.begin() as conn:
            result = conn.execute(text(query), params)
            return result.scalar() if result.returns_rows else None

    def grids_of(self, cadre_id: int) -> set[int]:
        """The grids a cadre's current assignments reach."""
        found = self.rows(
            f"SELECT DISTINCT grid_id FROM ({REACH}) r WHERE cadre_id = :c", c=cadre_id
        )
        return {row.grid_id for row in found}

    def working_in(self, grids: set[int]) -> set[int]:
        """Cadres whose current assignments reach one of the grids."""
        found = self.rows(
            f"SELECT DISTINCT cadre_id FROM ({REACH}) r WHERE grid_id = ANY(:g)", g=list(grids)
        )
        return {row.cadre_id for row in found}

    def fingerprint(self) -> dict[str, tuple[int, str]]:
        """Row count and a digest of the rows of every table a change could touch."""
        tables = ("visit", "issue", "event", "assignment", "party_organisation", "enterprise",
                  "grid", "zone", "outcome", "cadre")  # fmt: skip
        digest = "count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), ''))"
        found = {}
        for table in tables:
            count, md5 = self.rows(f"SELECT {digest} FROM public.{table} t")[0]
            found[table] = (count, md5)
        return found


@dataclass(frozen=True)
class GridRef:
    id: int
    code: str
    zone_id: int
    zone_code: str


@dataclass(frozen=True)
class Firm:
    id: int
    uscc: str
    grid_id: int


@dataclass
class Subjects:
    park: str
    grids: dict[str, GridRef]
    cadres: dict[str, int]
    firms: dict[str, Firm]
    issues: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Caller:
    role: str
    secret: str | None
    token_id: int | None
    cadre_id: int | None

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secret}"} if self.secret else {}


def grid_table(sql: Sql) -> list[Any]:
    return sql.rows(f"""
        WITH cur AS ({REACH}),
        plain AS (SELECT cadre_id, min(grid_id) AS grid_id FROM cur GROUP BY cadre_id
                  HAVING bool_and(role = 'liaison') AND count(DISTINCT grid_id) = 1)
        SELECT g.id, g.code, g.zone_id, z.code AS zone_code,
               (SELECT min(a.cadre_id) FROM public.assignment a
                WHERE a.role = 'grid_lead' AND a.grid_id = g.id AND {CURRENT}) AS lead,
               (SELECT min(a.cadre_id) FROM public.assignment a
                WHERE a.role = 'zone_lead' AND a.zone_id = g.zone_id AND {CURRENT}) AS zone_lead,
               ARRAY(SELECT p.cadre_id FROM plain p WHERE p.grid_id = g.id ORDER BY 1) AS plain
        FROM public.grid g JOIN public.zone z ON z.id = g.zone_id ORDER BY g.id
    """)


def firm_where(sql: Sql, condition: str, **params: Any) -> Firm:
    found = sql.rows(
        "SELECT e.id, e.uscc, e.grid_id FROM public.enterprise e"
        f" WHERE {condition} ORDER BY e.id LIMIT 1",
        **params,
    )
    assert found, condition
    return Firm(found[0].id, found[0].uscc, found[0].grid_id)


def liaison_of(sql: Sql, enterprise_id: int) -> int | None:
    found: int | None = sql.scalar(
        "SELECT a.cadre_id FROM public.assignment a WHERE a.role = 'liaison'"
        f" AND a.enterprise_id = :e AND {CURRENT}",
        e=enterprise_id,
    )
    return found


def pick_subjects(sql: Sql) -> Subjects:
    table = grid_table(sql)
    usable = [g for g in table if g.lead and g.zone_lead and g.plain]
    a = next(g for g in usable if len(g.plain) >= 2 and any(
        s.zone_id == g.zone_id and s.id != g.id for s in usable))  # fmt: skip
    s = next(g for g in usable if g.zone_id == a.zone_id and g.id != a.id)
    b = next(g for g in usable if g.zone_id != a.zone_id)
    others = [c for g in table if g.id not in (a.id, s.id, b.id) for c in g.plain]
    park = sql.scalar("SELECT p.code FROM public.park p JOIN public.zone z ON z.park_id = p.id"
                      " WHERE z.id = :z", z=a.zone_id)  # fmt: skip
    cadres = {
        "zone_lead": a.zone_lead, "grid_lead": a.lead, "liaison": a.plain[0],
        "worker_A": a.plain[1], "worker_S": s.plain[0], "worker_B": b.plain[0],
        "lead_S": s.lead, "lead_B": b.lead, "admin": others[0], "neutral": others[1],
    }  # fmt: skip
    refs = {name: GridRef(g.id, g.code, g.zone_id, g.zone_code) for name, g in
            (("A", a), ("S", s), ("B", b))}  # fmt: skip
    own = firm_where(sql, f"e.id IN (SELECT a.enterprise_id FROM public.assignment a"
                          f" WHERE a.role = 'liaison' AND a.cadre_id = :c AND {CURRENT})",
                     c=cadres["liaison"])  # fmt: skip
    others_in = (f"e.grid_id = :g AND e.id NOT IN (SELECT a.enterprise_id FROM public.assignment a"
                 f" WHERE a.role = 'liaison' AND a.cadre_id = ANY(:not_theirs) AND {CURRENT})")  # fmt: skip
    subjects_of_a = [cadres["liaison"], cadres["grid_lead"]]
    firms = {
        "own": own,
        "A": firm_where(sql, others_in, g=a.id, not_theirs=subjects_of_a),
        "S": firm_where(sql, others_in, g=s.id, not_theirs=[]),
        "B": firm_where(sql, others_in, g=b.id, not_theirs=[]),
    }
    return Subjects(park=park, grids=refs, cadres=cadres, firms=firms)


def add_former_liaison(sql: Sql, enterprise_id: int) -> int:
    """A new cadre who was this enterprise's liaison once, before anyone else; now nothing."""
    cadre_id: int = sql.execute(
        "INSERT INTO public.cadre (name, title, unit, phone)"
        " VALUES ('前联络员', '干事', '测试', '13900000000') RETURNING id"
    )
    sql.execute(
        "INSERT INTO public.assignment (cadre_id, role, enterprise_id, valid_from, valid_to)"
        " SELECT :c, 'liaison', :e, min(valid_from) - interval '20 days',"
        " min(valid_from) - interval '10 days'"
        " FROM public.assignment WHERE enterprise_id = :e RETURNING id",
        c=cadre_id,
        e=enterprise_id,
    )
    return cadre_id


def make_callers(url: str, subjects: Subjects) -> dict[str, Caller]:
    """A token per role; the admin's token stands for a cadre outside A, S and B."""
    callers = {"anonymous": Caller("anonymous", None, None, None)}
    for role in ROLES[1:]:
        token_role = {"viewer": "viewer", "admin": "admin"}.get(role, "cadre")
        cadre = subjects.cadres.get(role)
        secret = f"pgt_access-{role}"
        callers[role] = Caller(role, secret, add_token(url, secret, token_role, cadre), cadre)
    return callers


def check_subjects(sql: Sql, subjects: Subjects) -> None:
    """The reasoning behind the literal tables holds for the subjects picked."""
    a, s, b = (subjects.grids[k].id for k in SCOPES)
    c = subjects.cadres
    assert sql.grids_of(c["zone_lead"]) >= {a, s} and b not in sql.grids_of(c["zone_lead"])
    assert sql.grids_of(c["grid_lead"]) == {a}
    assert sql.grids_of(c["liaison"]) == {a}
    assert sql.grids_of(c["former"]) == set()
    assert sql.grids_of(c["worker_A"]) == {a} and sql.grids_of(c["worker_S"]) == {s}
    assert sql.grids_of(c["worker_B"]) == {b}
    assert liaison_of(sql, subjects.firms["own"].id) == c["liaison"]
    assert liaison_of(sql, subjects.firms["A"].id) not in (c["liaison"], c["grid_lead"])
    assert subjects.firms["A"].grid_id == a and subjects.firms["B"].grid_id == b


def prepare(url: str) -> tuple[Sql, Subjects, dict[str, Caller]]:
    """Pick the subjects on a demo copy of the test's own, add the former liaison and the
    tokens, and give the chosen issues a rejection reason and every visit a check-in."""
    sql = Sql(url)
    subjects = pick_subjects(sql)
    subjects.cadres["former"] = add_former_liaison(sql, subjects.firms["A"].id)
    for scope in SCOPES:
        issue = sql.scalar(
            "SELECT min(id) FROM public.issue WHERE enterprise_id = :e AND reporter_id IS NOT NULL",
            e=subjects.firms[scope].id,
        )
        assert issue is not None, scope
        subjects.issues[scope] = issue
        sql.execute(
            "UPDATE public.issue SET rejection_reason = :r WHERE id = :i",
            r=f"理由 {scope}",
            i=issue,
        )
    sql.execute(
        "UPDATE public.visit v SET check_in = e.location FROM public.enterprise e"
        " WHERE e.id = v.enterprise_id"
    )
    check_subjects(sql, subjects)
    return sql, subjects, make_callers(url, subjects)


def post(
    client: TestClient, caller: Caller, query: str, variables: dict[str, Any] | None = None
) -> tuple[int, dict[str, Any]]:
    response = client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=caller.headers()
    )
    body: dict[str, Any] = response.json()
    return response.status_code, body


def data_of(
    client: TestClient, caller: Caller, query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    status, body = post(client, caller, query, variables)
    assert status == 200 and "errors" not in body, body
    found: dict[str, Any] = body["data"]
    return found


def error_codes(body: dict[str, Any]) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in body.get("errors") or []]


def walk(value: Any, key: str) -> Iterator[Any]:
    """Every value under `key` anywhere in a response."""
    if isinstance(value, dict):
        for k, v in value.items():
            if k == key:
                yield v
            yield from walk(v, key)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item, key)


def parse(table: str) -> list[tuple[str, str, str, str]]:
    """(name, scope, role, symbol) for every cell of a literal table: a name, optionally the
    scopes the line holds for (each letter one), then one symbol per role."""
    header, *lines = [line.split() for line in table.strip().splitlines()]
    assert tuple(header[-len(ROLES) :]) == ROLES
    cells: list[tuple[str, str, str, str]] = []
    for line in lines:
        name, symbols = line[0], line[-len(ROLES) :]
        for scope in line[1] if len(line) > len(ROLES) + 1 else "-":
            cells.extend((name, scope, role, sym) for role, sym in zip(ROLES, symbols, strict=True))
    return cells


@dataclass
class Park:
    """The app on a demo copy of the test module's own, with the subjects and their tokens."""

    client: TestClient
    sql: Sql
    subjects: Subjects
    callers: dict[str, Caller]

    def data(self, role: str, query: str, **variables: Any) -> dict[str, Any]:
        return data_of(self.client, self.callers[role], query, variables)

    def attempt(self, role: str, query: str, **variables: Any) -> Any:
        """The data, or "F" when the request was refused with FORBIDDEN (and only that)."""
        status, body = post(self.client, self.callers[role], query, variables)
        assert status == 200, body
        if body.get("errors"):
            assert set(error_codes(body)) == {"FORBIDDEN"}, body
            return "F"
        return body["data"]

    def read_grids(self, role: str) -> set[int]:
        """README: sensitive fields "in their grids"; admin all, viewer and anonymous none."""
        if role == "admin":
            return {r.id for r in self.sql.rows("SELECT id FROM grid")}
        if role in ("anonymous", "viewer"):
            return set()
        return self.sql.grids_of(self.callers[role].cadre_id or 0)

    def descriptions(self, role: str, ids: list[int]) -> dict[int, str | None]:
        """Each issue's description as `role` may read it."""
        rows = self.sql.rows(
            "SELECT i.id, i.description, e.grid_id FROM issue i"
            " JOIN enterprise e ON e.id = i.enterprise_id WHERE i.id = ANY(:ids)",
            ids=ids,
        )
        grids = self.read_grids(role)
        return {r.id: r.description if r.grid_id in grids else None for r in rows}


@contextmanager
def open_park(databases: Databases, demo_template: str) -> Iterator[Park]:
    url = databases.url(databases.create(template=demo_template))
    sql, subjects, callers = prepare(url)
    with app_client(url, token=None) as client:
        yield Park(client, sql, subjects, callers)
    sql.engine.dispose()
