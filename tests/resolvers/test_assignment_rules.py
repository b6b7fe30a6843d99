"""Assignment history: one holder per role and target at any moment; history is kept."""

from __future__ import annotations

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError

ADD_CADRE = text("INSERT INTO cadre (name) VALUES (:name) RETURNING id")
ASSIGN = text(
    "INSERT INTO assignment (cadre_id, role, grid_id, valid_from, valid_to)"
    " VALUES (:cadre, 'grid_lead', (SELECT id FROM grid WHERE code = :grid), :start, :end)"
)


def cadre(conn: Connection, name: str) -> int:
    return int(conn.execute(ADD_CADRE, {"name": name}).scalar_one())


def lead(conn: Connection, who: int, grid: str, start: str, end: str | None = None) -> None:
    conn.execute(ASSIGN, {"cadre": who, "grid": grid, "start": start, "end": end})


def test_two_current_leads_of_one_grid_are_refused(two_grids: Connection) -> None:
    lead(two_grids, cadre(two_grids, "甲"), "G-A", "2026-01-01")
    with pytest.raises(IntegrityError, match="assignment_one_holder"):
        lead(two_grids, cadre(two_grids, "乙"), "G-A", "2026-03-01")


def test_successive_leads_keep_history(two_grids: Connection) -> None:
    first, second = cadre(two_grids, "甲"), cadre(two_grids, "乙")
    lead(two_grids, first, "G-A", "2026-01-01", "2026-03-01")
    lead(two_grids, second, "G-A", "2026-03-01")
    lead(two_grids, first, "G-B", "2026-01-01")
    holder_in = text(
        "SELECT cadre_id FROM assignment WHERE grid_id = (SELECT id FROM grid WHERE code = 'G-A')"
        " AND valid_from <= :at AND (valid_to IS NULL OR valid_to > :at)"
    )
    assert two_grids.execute(holder_in, {"at": "2026-02-15"}).scalar_one() == first
    assert two_grids.execute(holder_in, {"at": "2026-03-15"}).scalar_one() == second


def test_role_must_match_its_target(two_grids: Connection) -> None:
    with pytest.raises(IntegrityError, match="assignment_target_matches_role"):
        two_grids.execute(
            text(
                "INSERT INTO assignment (cadre_id, role, grid_id, valid_from) VALUES (:c, 'liaison', (SELECT id FROM grid LIMIT 1), now())"
            ),
            {"c": cadre(two_grids, "丙")},
        )
