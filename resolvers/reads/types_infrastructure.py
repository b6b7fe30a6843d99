"""InfrastructureLine and GridCrossing, and the planner's spatial questions: each field's SQL.

Distances are geodesic (geography, on the WGS 84 spheroid). A line's length inside a grid is
the length of the part of the line the grid covers, measured on the spheroid; a part lying
on the edge two grids share is counted once, in the grid with the lowest code, as a point on
a shared edge belongs to that grid (so a line's lengths over the grids add up to the length
it runs inside them)."""

from __future__ import annotations

from geo import sql as geosql
from parkgrid.errors import InvalidInput
from parkgrid.vocabulary import SERVING_LINE_STATUS
from resolvers.reads.area_args import area_id, enterprises_under
from resolvers.reads.areas import checked_precision, checked_tolerance, simplified_line
from resolvers.reads.compiler import (
    ROWS,
    Compiler,
    Listing,
    column,
    fields_of,
    identifier,
    upper,
)
from resolvers.reads.selection import Selection

MAX_METERS = 50_000.0
"""The widest band a planner asks about: past it, the question is the whole park."""


def checked_meters(c: Compiler, s: Selection) -> str:
    meters = float(s.arg("meters"))
    if not 0 <= meters <= MAX_METERS:  # NaN too
        raise InvalidInput(f"must be between 0 and {MAX_METERS:,.0f} metres", field="meters")
    return c.bind(meters, "float8")


def geography(geometry: str) -> str:
    return f"{geometry}::geography"


def line_geometry(c: Compiler, t: str, s: Selection) -> str:
    precision = checked_precision(s.arg("precision", 6))
    tolerance = checked_tolerance(s.arg("simplify", 0.0))
    shape = f"{t}.geometry"
    if tolerance:
        shape = simplified_line(shape, c.bind(tolerance, "float8"))
    return geosql.geojson(shape, c.bind(precision, "integer"))


def enterprises_within(c: Compiler, t: str, s: Selection) -> str:
    meters, line = checked_meters(c, s), geography(f"{t}.geometry")
    source = (
        f"SELECT e.*, ST_Distance({geography('e.location')}, {line}) AS distance_m"
        f" FROM enterprise e WHERE ST_DWithin({geography('e.location')}, {line}, {meters})"
    )
    return c.many(Listing("Enterprise", source, (("distance_m", "float8"), ("uscc", "text"))), s)


def grids_within(c: Compiler, t: str, s: Selection) -> str:
    meters, line = checked_meters(c, s), geography(f"{t}.geometry")
    source = f"SELECT g.* FROM grid g WHERE ST_DWithin({geography('g.boundary')}, {line}, {meters})"
    return c.many(Listing("Grid", source, (("code", "text"),)), s)


EMPTY_LINE = "ST_SetSRID('MULTILINESTRING EMPTY'::geometry, 4326)"


def crossings_source(line: str) -> str:
    """(grid_id, code, length_m) of the grids the line runs inside, a shared edge counted
    in the lowest-code grid (see the module's docstring)."""
    return f"""WITH part AS (
        SELECT g.id AS grid_id, g.code,
            ST_CollectionExtract(ST_Intersection({line}, g.boundary), 2) AS geom
        FROM grid g WHERE ST_Intersects(g.boundary, {line})
    ), own AS (
        SELECT p.grid_id, p.code, ST_Difference(p.geom, coalesce((SELECT ST_Union(o.geom)
            FROM part o WHERE o.code < p.code), {EMPTY_LINE})) AS geom
        FROM part p
    )
    SELECT own.grid_id, own.code, ST_Length({geography("own.geom")}) AS length_m
    FROM own WHERE ST_Length(own.geom) > 0"""


def crossings(c: Compiler, t: str, s: Selection) -> str:
    source = crossings_source(f"{t}.geometry")
    return c.many(Listing("GridCrossing", source, (("code", "text"),)), s)


ROWS.update(InfrastructureLine="infrastructure_line")

fields_of("InfrastructureLine").update({
    "id": identifier(),
    "code": column("{t}.code"),
    "name": column("{t}.name"),
    "kind": upper("kind"),
    "status": upper("status"),
    "operator": column("{t}.operator"),
    "started": column("{t}.started"),
    "completed": column("{t}.completed"),
    "note": column("{t}.note"),
    "version": column("{t}.version"),
    "geometry": line_geometry,
    "lengthMeters": column(f"ST_Length({geography('{t}.geometry')})"),
    "park": lambda c, t, s: c.one("Park", "park", f"{{r}}.id = {t}.park_id", s),
    "enterprisesWithin": enterprises_within,
    "gridsWithin": grids_within,
    "gridCrossings": crossings,
})  # fmt: skip

fields_of("GridCrossing").update({
    "lengthMeters": column("{t}.length_m"),
    "grid": lambda c, t, s: c.one("Grid", "grid", f"{{r}}.id = {t}.grid_id", s),
})  # fmt: skip


def park_id(c: Compiler, s: Selection) -> str | None:
    """The SQL id of the `park` argument's park; None: every park."""
    code = s.arg("park")
    return None if code is None else area_id(c, "park", str(code))


def line_conditions(c: Compiler, s: Selection, alias: str = "l") -> list[str]:
    found = park_id(c, s)
    conditions = [] if found is None else [f"{alias}.park_id = {found}"]
    for name in ("kind", "status"):
        value = s.arg(name)
        if value is not None:
            conditions.append(f"{alias}.{name} = {c.bind(value, 'text')}")
    return conditions or ["TRUE"]


def lines(c: Compiler, _t: str, s: Selection) -> str:
    where = " AND ".join(line_conditions(c, s))
    source = f"SELECT l.* FROM infrastructure_line l WHERE {where}"
    return c.connection(Listing("InfrastructureLine", source, (("code", "text"),)), s)


def line_by_code(c: Compiler, _t: str, s: Selection) -> str:
    code = c.bind(str(s.arg("code")), "text")
    return c.one("InfrastructureLine", "infrastructure_line", f"{{r}}.code = {code}", s)


def beyond_lines(c: Compiler, _t: str, s: Selection) -> str:
    """Enterprises (of the park, when given) farther than `meters` from every line of the
    kind in service, each with its distance to the nearest such line (null: none exists)."""
    meters = checked_meters(c, s)
    found = park_id(c, s)
    kind = c.bind(s.arg("kind"), "text")
    serving = f"l.kind = {kind} AND l.status = '{SERVING_LINE_STATUS}'" + (
        "" if found is None else f" AND l.park_id = {found}"
    )
    near = f"ST_DWithin({geography('e.location')}, {geography('l.geometry')}, {meters})"
    nearest = f"ST_Distance({geography('e.location')}, {geography('l.geometry')})"
    scope = enterprises_under(c, s)
    source = (
        f"SELECT e.*, (SELECT min({nearest}) FROM infrastructure_line l WHERE {serving})"
        f" AS distance_m FROM enterprise e WHERE {scope} AND NOT EXISTS"
        f" (SELECT 1 FROM infrastructure_line l WHERE {serving} AND {near})"
    )
    return c.connection(Listing("Enterprise", source, (("uscc", "text"),)), s)


fields_of("Query").update({
    "infrastructureLine": line_by_code,
    "infrastructureLines": lines,
    "enterprisesBeyondLines": beyond_lines,
})  # fmt: skip
