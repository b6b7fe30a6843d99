"""Kept tiles follow changes: per-layer, per-area change stamps kept by the database itself.

The map is cut into cells of 1/128 degree (about 870 m north-south). `tile_change` counts, per
tile layer and cell, the committed changes that could alter what a tile over that cell shows.
Statement-level triggers on the tables the tiles read (park, zone, grid, enterprise, issue)
add to it, in the writing transaction, whichever path wrote: a rolled-back write adds nothing,
and a visit, an assignment or a comment touches none of these tables' shown columns, so
invalidates nothing.

What each change counts against (old and new place alike):
- an issue reported, transitioned or edited in a shown column: the `issues` and `enterprises`
  layers at its enterprise's point, the `grids` layer over its grid, the `zones` layer over
  its zone (their counts);
- an enterprise registered, moved or renamed: `enterprises` and `issues` at its old and new
  points; when its grid changes, also `grids` and `zones` over both grids and their zones;
- a grid reshaped or renamed: `grids` over its old and new shape (`enterprises` and `issues`
  there too when its code changes; members that change grid count for themselves); a grid
  moved to another zone: `zones` over both zones;
- a zone reshaped or renamed: `zones` over its old and new shape (`grids` over its grids when
  its code changes); a park's code: `zones` over its zones;
- a TRUNCATE of any of them, or an area wider than 64 × 64 cells: the whole layer.

A tile's stamp is the sum of the counts of its layer over the cells its buffered box touches
(`parkgrid_tile_stamp`). Counts only grow and every change adds at least one, so an equal
stamp means no change there has committed since; it is read in the same snapshot order as
the tile is built (stamp first), so a kept tile is never stale.

No writer waits for another on the stamps: a change adds a row of its own and folds into it
the rows of the same cells that no other transaction holds (`SKIP LOCKED`), so a cell has
about one row plus one per transaction writing there at the same moment. The related rows a
change is counted against (an issue's enterprise, grid and zone) are read `FOR SHARE`: a
concurrent move or reshape of them is waited for, and its new place counted.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 08:10:00
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLE = """
CREATE TABLE tile_change (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    layer text NOT NULL,
    cx integer NOT NULL,
    cy integer NOT NULL,
    n bigint NOT NULL CHECK (n > 0)
)
"""
INDEX = "CREATE INDEX tile_change_cell ON tile_change (layer, cx, cy) INCLUDE (n)"

# The cell of the whole layer: a change too wide to count cell by cell counts here, and every
# tile's stamp includes it.
WIDE = -2147483648

SPAN = """
CREATE FUNCTION parkgrid_tile_span(box geometry, margin float8 DEFAULT 0)
RETURNS TABLE (x0 integer, y0 integer, x1 integer, y1 integer)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CAST(floor((ST_XMin(box) - margin) * 128) AS integer),
           CAST(floor((ST_YMin(box) - margin) * 128) AS integer),
           CAST(floor((ST_XMax(box) + margin) * 128) AS integer),
           CAST(floor((ST_YMax(box) + margin) * 128) AS integer)
$$
"""

CELLS = f"""
CREATE FUNCTION parkgrid_tile_cells(x0 integer, y0 integer, x1 integer, y1 integer)
RETURNS TABLE (cx integer, cy integer)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT x, y FROM generate_series(x0, x1) AS x, generate_series(y0, y1) AS y
    WHERE CAST(x1 - x0 + 1 AS bigint) * (y1 - y0 + 1) <= 4096
    UNION ALL
    SELECT {WIDE}, {WIDE} WHERE CAST(x1 - x0 + 1 AS bigint) * (y1 - y0 + 1) > 4096
$$
"""
"""The cells of a span (parkgrid_tile_span), or the layer's whole-map cell for a wide one."""

# Why a margin on the reading side: `&&` compares float4 boxes rounded outwards (up to about a
# metre at these longitudes), so a tile may hold a point a hair outside its exact box.
STAMP = f"""
CREATE FUNCTION parkgrid_tile_stamp(layer text, area geometry) RETURNS bigint
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    s record;
    here bigint;
    everywhere bigint;
BEGIN
    SELECT * INTO s FROM public.parkgrid_tile_span(area, 0.0001);
    SELECT coalesce(sum(c.n), 0) INTO here FROM public.tile_change c
    WHERE c.layer = $1 AND c.cx BETWEEN s.x0 AND s.x1 AND c.cy BETWEEN s.y0 AND s.y1;
    SELECT coalesce(sum(c.n), 0) INTO everywhere FROM public.tile_change c
    WHERE c.layer = $1 AND c.cx = {WIDE} AND c.cy = {WIDE};
    RETURN here + everywhere;
END $$
"""
"""PL/pgSQL rather than SQL: its statements are parsed once per connection and their plans
kept, where an SQL function would be inlined and parsed again at every planning."""

# jit off: planned without the arrays, the cells look like a million rows and compiling the
# plan would take a second for a statement that touches a handful. Spans are made distinct
# before they become cells: the ten thousand points of an import's chunk lie in a few dozen.
BUMP = """
CREATE FUNCTION parkgrid_tile_bump(layers text[], boxes geometry[]) RETURNS void
LANGUAGE sql SET jit = off AS $$
    WITH spans AS (
        SELECT DISTINCT w.layer, s.x0, s.y0, s.x1, s.y1
        FROM unnest(layers, boxes) AS w(layer, box), public.parkgrid_tile_span(w.box) AS s
        WHERE w.layer IS NOT NULL AND s.x0 IS NOT NULL
    ), wanted AS (
        SELECT DISTINCT spans.layer, c.cx, c.cy FROM spans,
        LATERAL public.parkgrid_tile_cells(spans.x0, spans.y0, spans.x1, spans.y1) AS c
    ), taken AS (
        DELETE FROM public.tile_change t WHERE t.id IN (
            SELECT k.id FROM public.tile_change k
            JOIN wanted w ON (k.layer, k.cx, k.cy) = (w.layer, w.cx, w.cy)
            FOR UPDATE OF k SKIP LOCKED)
        RETURNING t.layer, t.cx, t.cy, t.n
    )
    INSERT INTO public.tile_change (layer, cx, cy, n)
    SELECT w.layer, w.cx, w.cy, 1 + coalesce(sum(t.n), 0)
    FROM wanted w LEFT JOIN taken t ON (t.layer, t.cx, t.cy) = (w.layer, w.cx, w.cy)
    GROUP BY w.layer, w.cx, w.cy
$$
"""


def changed(column: str, shown: str) -> str:
    """The old and new `column` of the rows an UPDATE changed in any of the `shown` columns."""
    old = ", ".join(f"o.{name}" for name in shown.split(", "))
    new = ", ".join(f"n.{name}" for name in shown.split(", "))
    return (
        f"ARRAY(SELECT v.x FROM old_rows o JOIN new_rows n USING (id),"
        f" LATERAL (VALUES (o.{column}), (n.{column})) AS v(x)"
        f" WHERE ({old}) IS DISTINCT FROM ({new}))"
    )


def collected(variables: dict[str, tuple[str, str]]) -> str:
    """Each variable := its column of the rows written (both sides of those an UPDATE changed
    in the shown columns; a variable with no shown columns stays empty on INSERT and DELETE)."""
    inserted, deleted, updated = [], [], []
    for variable, (column, shown) in variables.items():
        updated.append(f"{variable} := {changed(column, shown)};")
        if variable != "renamed":
            inserted.append(f"{variable} := ARRAY(SELECT {column} FROM new_rows);")
            deleted.append(f"{variable} := ARRAY(SELECT {column} FROM old_rows);")
    return (
        "IF TG_OP = 'INSERT' THEN "
        + " ".join(inserted)
        + " ELSIF TG_OP = 'DELETE' THEN "
        + " ".join(deleted)
        + " ELSE "
        + " ".join(updated)
        + " END IF;"
    )


def bump(*pairs: tuple[str, str]) -> str:
    """Count a change of each (layer, array of shapes) pair."""
    layers = " || ".join(f"array_fill('{layer}'::text, ARRAY[cardinality({shapes})])"
                         for layer, shapes in pairs)  # fmt: skip
    return f"PERFORM public.parkgrid_tile_bump({layers}, {' || '.join(s for _, s in pairs)});"


def locked(column: str, table: str, where: str) -> str:
    """`column` of the rows of `table` matching `where`, read FOR SHARE (in id order): a
    concurrent change to them is waited for and its result read."""
    return (
        f"SELECT coalesce(array_agg(r.{column}), '{{}}') FROM (SELECT {column} FROM public.{table}"
        f" WHERE {where} ORDER BY id FOR SHARE) AS r"
    )


def trigger_function(name: str, declared: str, body: str) -> str:
    return (
        f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ DECLARE {declared}"
        f" BEGIN {body} RETURN NULL; END $$"
    )


ISSUE_SHOWN = "enterprise_id, status, category, severity, due_date, title"
ENTERPRISE_SHOWN = "uscc, name, industry, location, grid_id"
GRID_SHOWN = "code, name, zone_id, boundary"
ZONE_SHOWN = "code, name, park_id, boundary"
PARK_RENAMED = "SELECT n.id FROM old_rows o JOIN new_rows n USING (id) WHERE o.code <> n.code"

ISSUES = trigger_function(
    "parkgrid_tile_issues",
    "touched bigint[]; points geometry[]; grid_ids bigint[];",
    collected({"touched": ("enterprise_id", ISSUE_SHOWN)})
    + " IF cardinality(touched) = 0 THEN RETURN NULL; END IF;"
    + f" points := ({locked('location', 'enterprise', 'id = ANY (touched)')});"
    + " grid_ids := ARRAY(SELECT grid_id FROM public.enterprise WHERE id = ANY (touched));"
    + bump(("issues", "points"), ("enterprises", "points"))
    + " PERFORM public.parkgrid_tile_area_counts(grid_ids);",
)

ENTERPRISES = trigger_function(
    "parkgrid_tile_enterprises",
    "points geometry[]; grid_ids bigint[];",
    collected({"points": ("location", ENTERPRISE_SHOWN), "grid_ids": ("grid_id", "grid_id")})
    + bump(("enterprises", "points"), ("issues", "points"))
    + " PERFORM public.parkgrid_tile_area_counts(grid_ids);",
)

GRIDS = trigger_function(
    "parkgrid_tile_grids",
    "shapes geometry[]; renamed geometry[] := '{}'; zone_ids bigint[]; zone_boxes geometry[];",
    collected(
        {
            "shapes": ("boundary", GRID_SHOWN),
            "renamed": ("boundary", "code"),
            "zone_ids": ("zone_id", "zone_id"),
        }
    )
    + f" zone_boxes := ({locked('boundary', 'zone', 'id = ANY (zone_ids)')});"
    + bump(
        ("grids", "shapes"),
        ("enterprises", "renamed"),
        ("issues", "renamed"),
        ("zones", "zone_boxes"),
    ),
)

ZONES = trigger_function(
    "parkgrid_tile_zones",
    "shapes geometry[]; renamed bigint[] := '{}'; grid_boxes geometry[];",
    collected({"shapes": ("boundary", ZONE_SHOWN), "renamed": ("id", "code")})
    + f" grid_boxes := ({locked('boundary', 'grid', 'zone_id = ANY (renamed)')});"
    + bump(("zones", "shapes"), ("grids", "grid_boxes")),
)

PARKS = trigger_function(
    "parkgrid_tile_parks",
    "zone_boxes geometry[];",
    f"zone_boxes := ({locked('boundary', 'zone', 'park_id IN (' + PARK_RENAMED + ')')});"
    + bump(("zones", "zone_boxes")),
)

AREA_COUNTS = (
    "CREATE FUNCTION parkgrid_tile_area_counts(grid_ids bigint[]) RETURNS void"
    " LANGUAGE plpgsql AS $$ DECLARE grid_boxes geometry[]; zone_ids bigint[];"
    f" zone_boxes geometry[]; BEGIN"
    f" grid_boxes := ({locked('boundary', 'grid', 'id = ANY (grid_ids)')});"
    " zone_ids := ARRAY(SELECT zone_id FROM public.grid WHERE id = ANY (grid_ids));"
    f" zone_boxes := ({locked('boundary', 'zone', 'id = ANY (zone_ids)')});"
    + bump(("grids", "grid_boxes"), ("zones", "zone_boxes"))
    + " END $$"
)
"""The counts of grids (and of their zones) that the grids and zones layers show."""

EMPTIED = """
CREATE FUNCTION parkgrid_tile_emptied() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM public.parkgrid_tile_bump(
        ARRAY['zones', 'grids', 'enterprises', 'issues'],
        array_fill(ST_MakeEnvelope(-180, -90, 180, 90, 4326), ARRAY[4]));
    RETURN NULL;
END $$
"""

FUNCTIONS = [SPAN, CELLS, STAMP, BUMP, AREA_COUNTS, ISSUES, ENTERPRISES, GRIDS, ZONES, PARKS,
             EMPTIED]  # fmt: skip
WATCHED = {"issue": "parkgrid_tile_issues", "enterprise": "parkgrid_tile_enterprises",
           "grid": "parkgrid_tile_grids", "zone": "parkgrid_tile_zones"}  # fmt: skip
TRANSITIONS = {"INSERT": "NEW TABLE AS new_rows", "DELETE": "OLD TABLE AS old_rows",
               "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows"}  # fmt: skip


def triggers() -> list[str]:
    """One trigger per table and operation (a trigger with transition tables has one event)."""
    made = [
        f"CREATE TRIGGER {table}_tiles_{op_name.lower()} AFTER {op_name} ON {table}"
        f" REFERENCING {tables} FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        for table, function in WATCHED.items()
        for op_name, tables in TRANSITIONS.items()
    ]
    made.append(
        "CREATE TRIGGER park_tiles_update AFTER UPDATE ON park"
        f" REFERENCING {TRANSITIONS['UPDATE']} FOR EACH STATEMENT"
        " EXECUTE FUNCTION parkgrid_tile_parks()"
    )
    made += [
        f"CREATE TRIGGER {table}_tiles_truncate AFTER TRUNCATE ON {table}"
        " FOR EACH STATEMENT EXECUTE FUNCTION parkgrid_tile_emptied()"
        for table in (*WATCHED, "park")
    ]
    return made


def upgrade() -> None:
    for statement in (TABLE, INDEX, *FUNCTIONS, *triggers()):
        op.execute(statement)


def downgrade() -> None:
    for table in (*WATCHED, "park"):
        for op_name in (*TRANSITIONS, "TRUNCATE"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_tiles_{op_name.lower()} ON {table}")
    for name in ("emptied", "parks", "zones", "grids", "enterprises", "issues"):
        op.execute(f"DROP FUNCTION parkgrid_tile_{name}()")
    op.execute("DROP FUNCTION parkgrid_tile_area_counts(bigint[])")
    op.execute("DROP FUNCTION parkgrid_tile_bump(text[], geometry[])")
    op.execute("DROP FUNCTION parkgrid_tile_stamp(text, geometry)")
    op.execute("DROP FUNCTION parkgrid_tile_cells(integer, integer, integer, integer)")
    op.execute("DROP FUNCTION parkgrid_tile_span(geometry, float8)")
    op.execute("DROP TABLE tile_change")
