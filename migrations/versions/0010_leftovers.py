"""A grid reshaped inside its bounding box re-derives its members; an issue change takes its
grid's lock before its enterprise's, as a reshape does.

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

An issue change counts itself against its enterprise, grid and zone (0006), reading them FOR
SHARE so that a concurrent move or reshape is waited for; it took the enterprise, then the
grid. A grid reshape holds the grid (its UPDATE locks the row first, and the register's
upsert locks it earlier still), then updates the members it gains or loses: an issue change
on one of those deadlocked with it. The issue trigger now reads the enterprises' grids
without a lock, locks those grids, then the enterprises, then reads their grids again (a
move committed in between is counted where it went). What cannot be put in one order (an
enterprise moved by an UPDATE of its own row, which locks it before its trigger reaches the
grids) is retried by the service's write path when PostgreSQL breaks the deadlock.

The day the last check for overdue issues covered (`overdue_check`, one row): at each park
midnight the service announces the issues that became overdue since, and every worker and
instance takes the row's lock to agree on who does it. It is the service's bookkeeping, not
park data, so it is not behind the scoped views.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 09:30:00
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import sqlalchemy as sa
from alembic import op

from parkgrid.settings import ApiSettings

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

BOX_TEST = "NOT (n.boundary ~= o.boundary)"
SHAPE_TEST = "n.boundary IS DISTINCT FROM o.boundary"

GRIDS_OF_TOUCHED = (
    "grid_ids := ARRAY(SELECT grid_id FROM public.enterprise WHERE id = ANY (touched));"
)

OVERDUE_CHECK = [
    """CREATE TABLE public.overdue_check (
        single boolean PRIMARY KEY DEFAULT true CHECK (single),
        day date
    )""",
]
COVERED_TODAY = (
    "INSERT INTO public.overdue_check (day) VALUES (CAST(now() AT TIME ZONE :tz AS date))"
)
"""The day covered starts as the park's today (PARKGRID_API_TIMEZONE, as the service reads it):
the first check after the next midnight announces that day's change, and a service started
today writes nothing."""

REDERIVE = """
UPDATE enterprise SET grid_id = parkgrid_grid_for_point(location)
WHERE grid_id IS DISTINCT FROM parkgrid_grid_for_point(location)
"""


def earlier(name: str) -> ModuleType:
    """An earlier migration, whose function texts are the ones changed here."""
    path = Path(__file__).with_name(f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"parkgrid_migration_{name[:4]}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def grid_membership(test: str) -> str:
    """0001's membership trigger function with `test` deciding that a boundary changed."""
    function: str = earlier("0001_initial_model").GRID_MEMBERSHIP
    if BOX_TEST not in function:
        raise RuntimeError("the membership trigger of 0001 is not the one this migration fixes")
    return replacing(function).replace(BOX_TEST, test)


def replacing(function: str) -> str:
    return function.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)


def issue_stamps_grids_first() -> str:
    """0006's trigger that counts issue changes, with the grids locked before the enterprises."""
    stamps = earlier("0006_tile_stamps")
    grids = stamps.locked("id", "grid", "id = ANY (grid_ids)")
    return replacing(
        stamps.trigger_function(
            "parkgrid_tile_issues",
            "touched bigint[]; points geometry[]; grid_ids bigint[];",
            stamps.collected({"touched": ("enterprise_id", stamps.ISSUE_SHOWN)})
            + " IF cardinality(touched) = 0 THEN RETURN NULL; END IF;"
            + f" {GRIDS_OF_TOUCHED} PERFORM ({grids});"
            + f" points := ({stamps.locked('location', 'enterprise', 'id = ANY (touched)')});"
            + f" {GRIDS_OF_TOUCHED}"
            + stamps.bump(("issues", "points"), ("enterprises", "points"))
            + " PERFORM public.parkgrid_tile_area_counts(grid_ids);",
        )
    )


def upgrade() -> None:
    op.execute(grid_membership(SHAPE_TEST))
    op.execute(REDERIVE)
    op.execute(issue_stamps_grids_first())
    for statement in OVERDUE_CHECK:
        op.execute(statement)
    op.execute(sa.text(COVERED_TODAY).bindparams(tz=ApiSettings().timezone))


def downgrade() -> None:
    op.execute("DROP TABLE public.overdue_check")
    op.execute(replacing(earlier("0006_tile_stamps").ISSUES))
    op.execute(grid_membership(BOX_TEST))
