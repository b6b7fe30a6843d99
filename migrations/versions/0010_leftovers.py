"""A grid reshaped inside its bounding box re-derives its members.

The grid membership trigger of 0001 asked "did the boundary change?" with `~=`, which in
PostGIS compares bounding boxes only: a grid reshaped to an L inside the same box kept the
enterprises of the corner it gave up. The question is now `IS DISTINCT FROM`, PostGIS's `=`:
the same type, SRID and coordinates in the same order (the bytes of the shape). It is the
test the tile stamps (0006) and the register's upsert already use for "changed", and the
safe one: a shape written again unchanged re-derives nothing, while any moved vertex
re-derives its box. `ST_Equals` (the same point set) would also skip a ring that starts at
another vertex, but costs a GEOS relate on every grid update, renames included, and decides
on doubles what the exact comparison never gets wrong; re-deriving a box for a re-ordered
ring only costs time, since members are written only where their grid differs.

Memberships that the old test left wrong are put right once here, each with its
`grid_changed` event like any other change of grid.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 09:30:00
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

BOX_TEST = "NOT (n.boundary ~= o.boundary)"
SHAPE_TEST = "n.boundary IS DISTINCT FROM o.boundary"

REDERIVE = """
UPDATE enterprise SET grid_id = parkgrid_grid_for_point(location)
WHERE grid_id IS DISTINCT FROM parkgrid_grid_for_point(location)
"""


def initial_model() -> ModuleType:
    """Migration 0001, whose trigger function text is the one changed here."""
    path = Path(__file__).with_name("0001_initial_model.py")
    spec = importlib.util.spec_from_file_location("parkgrid_migration_0001", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def grid_membership(test: str) -> str:
    """0001's membership trigger function with `test` deciding that a boundary changed."""
    function: str = initial_model().GRID_MEMBERSHIP
    if BOX_TEST not in function:
        raise RuntimeError("the membership trigger of 0001 is not the one this migration fixes")
    return function.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1).replace(
        BOX_TEST, test
    )


def upgrade() -> None:
    op.execute(grid_membership(SHAPE_TEST))
    op.execute(REDERIVE)


def downgrade() -> None:
    op.execute(grid_membership(BOX_TEST))
