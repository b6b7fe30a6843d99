"""The hand-made park P of the coverage tests, with exactly one of each defect.

P spans x in [0, 3] cells, y in [0, 1] (cells of tests/resolvers/conftest): zone Z1 = [0, 2],
zone Z2 = [2, 3]. Grids: G-A = [0, 1] and G-B = [0.9, 1.5] in Z1 (an overlap [0.9, 1] and a gap
[1.5, 2]); G-C = [2, 2.5] (its top edge 1e-8 cell short: a sliver gap under 1 m²) and
G-D = [2.5, 3.2] in Z2 (leaks 0.2 cell out of Z2). Enterprises E1..E6 at y = 0.5; cadres Lead
(zone lead of Z1, grid lead of G-A..G-C), Busy (liaison of E1..E3) and Calm (E4, E5)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from shapely.geometry import box
from sqlalchemy import Connection, create_engine, text

from geo.shape import as_multipolygon, to_ewkt
from tests.conftest import GraphQL, app_client, graphql_client
from tests.resolvers.conftest import X0, Y0, D, add_area, add_enterprise


@dataclass(frozen=True)
class SmallPark:
    firms: dict[int, int]
    cadres: dict[str, int]


def rect(x0: float, x1: float, y0: float = 0.0, y1: float = 1.0) -> str:
    return to_ewkt(as_multipolygon(box(X0 + x0 * D, Y0 + y0 * D, X0 + x1 * D, Y0 + y1 * D)))


def cadre(conn: Connection, name: str) -> int:
    statement = text("INSERT INTO cadre (name) VALUES (:name) RETURNING id")
    return int(conn.execute(statement, {"name": name}).scalar_one())


def assign(conn: Connection, cadre_id: int, role: str, column: str, target: int) -> None:
    conn.execute(
        text(
            f"INSERT INTO assignment (cadre_id, role, {column}, valid_from)"
            " VALUES (:cadre, :role, :target, now() - interval '1 day')"
        ),
        {"cadre": cadre_id, "role": role, "target": target},
    )


def build(url: str) -> SmallPark:
    engine = create_engine(url)
    with engine.begin() as conn:
        park = add_area(conn, "park", "P", rect(0, 3))
        z1 = add_area(conn, "zone", "Z1", rect(0, 2), park)
        z2 = add_area(conn, "zone", "Z2", rect(2, 3), park)
        grids = {
            "G-A": add_area(conn, "grid", "G-A", rect(0, 1), z1),
            "G-B": add_area(conn, "grid", "G-B", rect(0.9, 1.5), z1),
            "G-C": add_area(conn, "grid", "G-C", rect(2, 2.5, 0, 1 - 1e-8), z2),
            "G-D": add_area(conn, "grid", "G-D", rect(2.5, 3.2), z2),
        }
        at = {  # enterprise number: x (cells), all at y = 0.5
            1: 0.3,  # G-A
            2: 1.2,  # G-B
            3: 1.75,  # in the gap: outside every grid
            4: 2.5,  # on the G-C / G-D edge
            5: 2.2,  # G-C
            6: 2.8,  # G-D, no liaison
        }
        firms = {n: add_enterprise(conn, n, X0 + x * D, Y0 + 0.5 * D) for n, x in at.items()}
        lead, busy, calm = cadre(conn, "Lead"), cadre(conn, "Busy"), cadre(conn, "Calm")
        assign(conn, lead, "zone_lead", "zone_id", z1)  # Z2 has no zone lead
        for grid in ("G-A", "G-B", "G-C"):  # G-D has no grid lead
            assign(conn, lead, "grid_lead", "grid_id", grids[grid])
        for n in (1, 2, 3):
            assign(conn, busy, "liaison", "enterprise_id", firms[n])
        for n in (4, 5):
            assign(conn, calm, "liaison", "enterprise_id", firms[n])
        conn.execute(
            text(
                "INSERT INTO issue (enterprise_id, category, title, status, rejection_reason)"
                " VALUES (:e, 'permits', 'open one', 'reported', NULL),"
                " (:e, 'permits', 'closed one', 'rejected', 'no')"
            ),
            {"e": firms[1]},
        )
    engine.dispose()
    return SmallPark(firms, {"Lead": lead, "Busy": busy, "Calm": calm})


@contextmanager
def client_for(url: str) -> Iterator[GraphQL]:
    with app_client(url) as client:
        yield graphql_client(client)


TODAY = "(now() AT TIME ZONE 'Asia/Shanghai')::date"


def visit(conn: Connection, cadre: int, firm: int, ago: str, duties: list[str]) -> None:
    conn.execute(
        text(
            "INSERT INTO visit (cadre_id, enterprise_id, visited_at, duties)"
            " VALUES (:cadre, :firm, now() - CAST(:ago AS interval), :duties)"
        ),
        {"cadre": cadre, "firm": firm, "ago": ago, "duties": duties},
    )


def hazard(conn: Connection, firm: int, title: str, status: str, due_in_days: int) -> None:
    conn.execute(
        text(
            "INSERT INTO issue (enterprise_id, category, title, severity, status, due_date,"
            " rejection_reason) VALUES (:firm, 'safety_hazard', :title, 'high', :status,"
            f" {TODAY} + :days, CASE WHEN :status = 'rejected' THEN 'no' END)"
        ),
        {"firm": firm, "title": title, "status": status, "days": due_in_days},
    )


def organisation(conn: Connection, firm: int, kind: str, members: int) -> None:
    conn.execute(
        text(
            "INSERT INTO party_organisation (enterprise_id, kind, established, members)"
            " VALUES (:firm, :kind, CASE WHEN :kind <> 'none' THEN DATE '2020-07-01' END, :n)"
        ),
        {"firm": firm, "kind": kind, "n": members},
    )


def add_records(url: str, park: SmallPark) -> None:
    firms, busy, calm = park.firms, park.cadres["Busy"], park.cadres["Calm"]
    engine = create_engine(url)
    with engine.begin() as conn:
        visit(conn, busy, firms[1], "10 hours", ["liaison"])  # visited, no policy duty
        visit(conn, busy, firms[2], "40 days", ["policy"])  # too long ago for 30 days
        visit(conn, calm, firms[4], "2 hours", ["policy", "safety"])  # its liaison, policy
        visit(conn, busy, firms[5], "3 hours", ["policy"])  # policy, but not E5's liaison
        hazard(conn, firms[5], "overdue 3 days", "accepted", -3)
        hazard(conn, firms[6], "overdue 10 days", "in_progress", -10)
        hazard(conn, firms[5], "closed long ago", "closed", -50)
        hazard(conn, firms[1], "due tomorrow", "reported", 1)
        hazard(conn, firms[1], "due today", "reported", 0)
        organisation(conn, firms[1], "own_branch", 5)
        organisation(conn, firms[2], "joint_branch", 2)
        organisation(conn, firms[4], "none", 0)
    engine.dispose()
