"""The grid membership rule holds on every write path, enforced by the database."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError, InternalError

from parkgrid import migrate
from tests.conftest import Databases
from tests.resolvers.conftest import (
    X0,
    Y0,
    D,
    add_area,
    add_enterprise,
    add_two_grids,
    cell,
    ell,
    expected_grids,
    grid_code_of,
    stored_grids,
)

MID_Y = Y0 + D / 2


def test_point_inside_a_grid_belongs_to_it(two_grids: Connection) -> None:
    assert grid_code_of(two_grids, add_enterprise(two_grids, 1, X0 + D / 4, MID_Y)) == "G-B"
    assert grid_code_of(two_grids, add_enterprise(two_grids, 2, X0 + 1.5 * D, MID_Y)) == "G-A"


def test_point_on_shared_boundary_goes_to_lowest_code(two_grids: Connection) -> None:
    assert grid_code_of(two_grids, add_enterprise(two_grids, 1, X0 + D, MID_Y)) == "G-A"


def test_point_on_outer_boundary_is_covered(two_grids: Connection) -> None:
    assert grid_code_of(two_grids, add_enterprise(two_grids, 1, X0, MID_Y)) == "G-B"


def test_point_outside_every_grid_belongs_to_none(two_grids: Connection) -> None:
    assert grid_code_of(two_grids, add_enterprise(two_grids, 1, X0 - D, MID_Y)) is None


def test_moving_an_enterprise_recomputes_its_grid(two_grids: Connection) -> None:
    enterprise = add_enterprise(two_grids, 1, X0 + D / 4, MID_Y)
    two_grids.execute(
        text(
            "UPDATE enterprise SET location = ST_SetSRID(ST_MakePoint(:x, :y), 4326) WHERE id = :id"
        ),
        {"x": X0 + 1.5 * D, "y": MID_Y, "id": enterprise},
    )
    assert grid_code_of(two_grids, enterprise) == "G-A"
    moves = (
        two_grids.execute(
            text("SELECT changes FROM event WHERE subject_id = :id AND action = 'grid_changed'"),
            {"id": enterprise},
        )
        .scalars()
        .all()
    )
    assert moves == [{"grid": ["G-B", "G-A"]}]


def test_writing_grid_id_directly_cannot_break_the_rule(two_grids: Connection) -> None:
    enterprise = add_enterprise(two_grids, 1, X0 + D / 4, MID_Y)
    two_grids.execute(
        text(
            "UPDATE enterprise SET grid_id = (SELECT id FROM grid WHERE code = 'G-A') WHERE id = :id"
        ),
        {"id": enterprise},
    )
    assert grid_code_of(two_grids, enterprise) == "G-B"


def test_changing_a_grid_boundary_moves_members(two_grids: Connection) -> None:
    west = add_enterprise(two_grids, 1, X0 + D / 4, MID_Y)
    east = add_enterprise(two_grids, 2, X0 + 1.75 * D, MID_Y)
    two_grids.execute(
        text("UPDATE grid SET boundary = ST_GeomFromEWKT(:b) WHERE code = 'G-A'"),
        {"b": cell(0)},
    )
    assert grid_code_of(two_grids, west) == "G-A"  # now covered by both: lowest code wins
    assert grid_code_of(two_grids, east) is None


def test_new_grid_adopts_orphans_and_deleted_grid_releases_them(two_grids: Connection) -> None:
    orphan = add_enterprise(two_grids, 1, X0 + 2.5 * D, MID_Y)
    zone = two_grids.execute(text("SELECT id FROM zone")).scalar_one()
    add_area(two_grids, "grid", "G-C", cell(2), zone)
    assert grid_code_of(two_grids, orphan) == "G-C"
    two_grids.execute(text("DELETE FROM grid WHERE code = 'G-C'"))
    assert grid_code_of(two_grids, orphan) is None


def test_renaming_a_code_changes_the_tie_break(two_grids: Connection) -> None:
    edge = add_enterprise(two_grids, 1, X0 + D, MID_Y)
    two_grids.execute(text("UPDATE grid SET code = 'G-Z' WHERE code = 'G-A'"))
    assert grid_code_of(two_grids, edge) == "G-B"


def test_grid_changes_are_recorded_as_events(two_grids: Connection) -> None:
    enterprise = add_enterprise(two_grids, 1, X0 + D / 4, MID_Y)
    two_grids.execute(text("DELETE FROM grid WHERE code = 'G-B'"))
    changes = (
        two_grids.execute(
            text(
                "SELECT changes FROM event WHERE subject = 'enterprise' AND subject_id = :id AND action = 'grid_changed'"
            ),
            {"id": enterprise},
        )
        .scalars()
        .all()
    )
    assert changes == [{"grid": ["G-B", None]}]


def test_events_are_append_only(two_grids: Connection) -> None:
    enterprise = add_enterprise(two_grids, 1, X0 + D / 4, MID_Y)
    two_grids.execute(text("DELETE FROM grid WHERE code = 'G-B'"))
    two_grids.commit()
    with pytest.raises(InternalError, match="append-only"):
        two_grids.execute(
            text("UPDATE event SET note = 'edited' WHERE subject_id = :id"), {"id": enterprise}
        )
    two_grids.rollback()
    with pytest.raises(InternalError, match="append-only"):
        two_grids.execute(text("DELETE FROM event"))


def test_invalid_boundary_is_refused_by_the_database(two_grids: Connection) -> None:
    bowtie = "SRID=4326;MULTIPOLYGON(((0 0,1 1,1 0,0 1,0 0)))"
    zone = two_grids.execute(text("SELECT id FROM zone")).scalar_one()
    with pytest.raises(IntegrityError, match="grid_boundary_valid"):
        add_area(two_grids, "grid", "G-X", bowtie, zone)


def test_bad_uscc_is_refused_by_the_database(two_grids: Connection) -> None:
    with pytest.raises(IntegrityError, match="enterprise_uscc_valid"):
        two_grids.execute(
            text(
                "INSERT INTO enterprise (uscc, name, location) VALUES ('91512081MA62K0260F', 'x', ST_SetSRID(ST_MakePoint(112.9, 28.7), 4326))"
            )
        )


def test_reshaping_a_grid_inside_its_bounding_box_moves_members(two_grids: Connection) -> None:
    """An L-shaped G-A keeps the square's bounding box, so a comparison of boxes sees no
    change; the enterprise in the cut-away corner leaves it all the same."""
    inner = add_enterprise(two_grids, 1, X0 + 1.25 * D, Y0 + D / 4)
    corner = add_enterprise(two_grids, 2, X0 + 1.75 * D, Y0 + 0.75 * D)
    on_the_cut = add_enterprise(two_grids, 3, X0 + 1.5 * D, Y0 + 0.75 * D)
    two_grids.commit()
    before = two_grids.execute(text("SELECT Box2D(boundary)::text FROM grid WHERE code = 'G-A'"))
    two_grids.execute(
        text("UPDATE grid SET boundary = ST_GeomFromEWKT(:b) WHERE code = 'G-A'"),
        {"b": ell(1)},
    )
    after = two_grids.execute(text("SELECT Box2D(boundary)::text FROM grid WHERE code = 'G-A'"))
    assert before.scalar_one() == after.scalar_one()
    expected = expected_grids(two_grids)
    assert expected[corner] is None and expected[inner] == expected[on_the_cut] == "G-A"
    assert stored_grids(two_grids) == expected


def plant_stale_grid(conn: Connection, enterprise: int, grid_code: str) -> None:
    """Write a wrong grid past the triggers (as a replica applies rows), so whether a later
    write re-derives membership shows in the row."""
    conn.execute(text("SET LOCAL session_replication_role = replica"))
    conn.execute(
        text(
            "UPDATE enterprise SET grid_id = (SELECT id FROM grid WHERE code = :g) WHERE id = :id"
        ),
        {"g": grid_code, "id": enterprise},
    )
    conn.execute(text("SET LOCAL session_replication_role = origin"))


@pytest.mark.parametrize(
    "unchanged",
    [
        "UPDATE grid SET name = 'renamed' WHERE code = 'G-A'",
        "UPDATE grid SET boundary = boundary WHERE code = 'G-A'",
        "UPDATE grid SET boundary = ST_GeomFromEWKB(ST_AsEWKB(boundary)) WHERE code = 'G-A'",
    ],
)
def test_a_grid_write_that_keeps_its_shape_re_derives_nothing(
    two_grids: Connection, unchanged: str
) -> None:
    member = add_enterprise(two_grids, 1, X0 + 1.5 * D, MID_Y)
    plant_stale_grid(two_grids, member, "G-B")
    two_grids.execute(text(unchanged))
    assert grid_code_of(two_grids, member) == "G-B"
    two_grids.execute(
        text("UPDATE grid SET boundary = ST_GeomFromEWKT(:b) WHERE code = 'G-A'"), {"b": cell(1)}
    )  # the same shape written again from its text: same coordinates, nothing re-derived
    assert grid_code_of(two_grids, member) == "G-B"
    two_grids.execute(
        text("UPDATE grid SET boundary = ST_Scale(boundary, 1.0000001, 1) WHERE code = 'G-A'")
    )
    assert stored_grids(two_grids) == expected_grids(two_grids)


# Migration 0010 puts right the memberships that the bounding-box test of 0001 left wrong.


def reshape_into_an_ell(conn: Connection) -> int:
    """Two grids, an enterprise in G-A's north-east corner, then G-A cut to an L."""
    add_two_grids(conn)
    corner = add_enterprise(conn, 1, X0 + 1.75 * D, Y0 + 0.75 * D)
    add_enterprise(conn, 2, X0 + 1.25 * D, Y0 + 0.25 * D)
    conn.execute(text("UPDATE grid SET boundary = ST_GeomFromEWKT(:b) WHERE code = 'G-A'"),
                 {"b": ell(1)})  # fmt: skip
    conn.commit()
    return corner


def grid_events(conn: Connection, enterprise: int) -> list[object]:
    statement = text(
        "SELECT changes FROM event WHERE subject_id = :id AND action = 'grid_changed' ORDER BY id"
    )
    return list(conn.execute(statement, {"id": enterprise}).scalars())


def test_upgrading_re_derives_memberships_left_wrong(databases: Databases, engine_for) -> None:
    url = databases.url(databases.create())
    migrate.upgrade(url, "0009")
    engine = engine_for(url)
    with engine.connect() as conn:
        corner = reshape_into_an_ell(conn)
        assert stored_grids(conn) != expected_grids(conn)  # the bug this migration fixes
        assert grid_events(conn, corner) == []
    migrate.upgrade(url)
    with engine.connect() as conn:
        assert stored_grids(conn) == expected_grids(conn)
        assert grid_events(conn, corner) == [{"grid": ["G-A", None]}]
    command.downgrade(migrate.alembic_config(url), "0009")
    command.upgrade(migrate.alembic_config(url), "head")
    with engine.connect() as conn:
        conn.execute(text("UPDATE grid SET boundary = ST_GeomFromEWKT(:b) WHERE code = 'G-A'"),
                     {"b": cell(1)})  # fmt: skip
        conn.execute(text("UPDATE grid SET boundary = ST_GeomFromEWKT(:b) WHERE code = 'G-A'"),
                     {"b": ell(1)})  # fmt: skip
        assert stored_grids(conn) == expected_grids(conn)
