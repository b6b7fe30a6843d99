"""The Query type's fields: lookups, lists and spatial questions, each one SQL expression.

The reports (`stats`, `coverage`, `previewGridChange`, `proposeAssignments`) and
`nearestCadres` (an iterative search) are not compiled: a request naming one is executed
field by field."""

from __future__ import annotations

from parkgrid.errors import InvalidInput, NotFound
from resolvers.filters import checked_point, enterprise_filter, issue_filter
from resolvers.reads.areas import located
from resolvers.reads.compiler import Compiler, FieldSql, Listing, fields_of
from resolvers.reads.enterprises import knn_candidates, nearest_sql
from resolvers.reads.selection import Selection
from resolvers.reads.sql import json_object, name_literal
from resolvers.reads.types_areas import TYPENAMES, area_listing
from resolvers.reads.types_enterprise import CADRE_ROWS, enterprise, enterprise_listing
from resolvers.records import AREA_KINDS, AreaKind, parse_id

PARENT_OF: dict[AreaKind, tuple[str, str]] = {
    "zone": ("park", "park_id"),
    "grid": ("zone", "zone_id"),
}
LISTS: dict[AreaKind, str] = {"park": "parks", "zone": "zones", "grid": "grids"}


def by_code(kind: AreaKind) -> FieldSql:
    def compiled(c: Compiler, _t: str, s: Selection) -> str:
        code = c.bind(str(s.arg("code")), "text")
        return c.one(TYPENAMES[kind], kind, f"{{r}}.code = {code}", s)

    return compiled


def listed(kind: AreaKind) -> FieldSql:
    """parks, zones(park), grids(zone): by code; NOT_FOUND (executed) for an unknown parent."""

    def compiled(c: Compiler, _t: str, s: Selection) -> str:
        scope = "TRUE"
        parent_table, column = PARENT_OF.get(kind, ("", ""))
        code = s.arg(parent_table) if parent_table else None
        if code is not None:
            bound = c.bind(str(code), "text")
            missing = NotFound(f"no {parent_table} has code {code!r}", field=parent_table)
            c.guard(f"NOT EXISTS (SELECT 1 FROM {parent_table} WHERE code = {bound})", missing)
            scope = f"t.{column} IN (SELECT id FROM {parent_table} WHERE code = {bound})"
        return c.connection(area_listing(c, kind, s, scope), s)

    return compiled


def point(c: Compiler, s: Selection) -> str:
    lon, lat = checked_point(float(s.arg("lon")), float(s.arg("lat")), "lon/lat")
    return f"ST_SetSRID(ST_MakePoint({c.bind(lon, 'float8')}, {c.bind(lat, 'float8')}), 4326)"


def locate(c: Compiler, _t: str, s: Selection) -> str:
    hits = {"grid": "grid_hit", "zone": "zone_hit", "park": "park_hit"}
    parts = []
    for f in s.fields:
        if f.name == "__typename":
            parts.append((f.key, name_literal("Location")))
            continue
        kind = f.name
        where = f"{{r}}.id = (SELECT id FROM {hits[kind]})"
        parts.append((f.key, c.one(TYPENAMES[kind], kind, where, f)))  # type: ignore[index]
    return f"({located(point(c, s))} SELECT {json_object(parts)})"


def nearest(c: Compiler, _t: str, s: Selection) -> str:
    k = s.arg("k", 10)
    if not 1 <= k <= c.max_page:
        raise InvalidInput(f"must be between 1 and {c.max_page}", field="k")
    reference = f"({point(c, s)})::geography"
    candidates = c.bind(knn_candidates(k), "integer")
    ranked = nearest_sql("e.*", reference, candidates, c.bind(k, "integer"))
    return c.many(Listing("Enterprise", ranked, (("distance_m", "float8"), ("uscc", "text"))), s)


def issues(c: Compiler, _t: str, s: Selection) -> str:
    conditions = issue_filter(s.args.get("filter"), c.day()).where(c.bind)
    source = (
        "SELECT i.* FROM issue i JOIN enterprise e ON e.id = i.enterprise_id"
        f" WHERE {conditions.text()}"
    )
    return c.connection(Listing("Issue", source, (("id", "bigint"),), descending=True), s)


def by_id(typename: str, table: str) -> FieldSql:
    def compiled(c: Compiler, _t: str, s: Selection) -> str:
        found = c.bind(parse_id(str(s.arg("id")), "id"), "bigint")
        return c.one(typename, table, f"{{r}}.id = {found}", s)

    return compiled


def enterprises(c: Compiler, _t: str, s: Selection) -> str:
    where = enterprise_filter(s.args.get("filter"), c.staff, c.max_positions)
    return c.connection(enterprise_listing(c, where, s.arg("order_by", "code")), s)


def enterprise_by_code(c: Compiler, _t: str, s: Selection) -> str:
    code = c.bind(str(s.arg("uscc")).strip().upper(), "text")
    return enterprise(c, f"{{r}}.uscc = {code}", s)


query = fields_of("Query")
for each in AREA_KINDS:
    query[each] = by_code(each)
    query[LISTS[each]] = listed(each)
query.update({
    "enterprise": enterprise_by_code,
    "enterprises": enterprises,
    "nearestEnterprises": nearest,
    "locate": locate,
    "issue": by_id("Issue", "issue"),
    "cadre": by_id("Cadre", CADRE_ROWS),
    "issues": issues,
})  # fmt: skip
