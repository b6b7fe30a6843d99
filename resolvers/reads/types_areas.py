"""Park, Zone, Grid (the Area interface), ServingCadre and Location: each field's SQL."""

from __future__ import annotations

from geo import sql as geosql
from resolvers.filters import area_filter, enterprise_filter
from resolvers.reads.areas import (
    PARENT_TABLES,
    checked_precision,
    checked_tolerance,
    simplified,
)
from resolvers.reads.cadres import ROLE_RANK, serving
from resolvers.reads.compiler import (
    Compiler,
    Listing,
    column,
    fields_of,
    identifier,
    related,
    upper,
)
from resolvers.reads.selection import Selection
from resolvers.reads.types_enterprise import cadre, enterprise_listing, holder, point
from resolvers.records import AreaKind
from resolvers.scope import OPEN_ISSUE, PARENTS, grids_under

KINDS: dict[str, AreaKind] = {"Park": "park", "Zone": "zone", "Grid": "grid"}
TYPENAMES = {kind: typename for typename, kind in KINDS.items()}


def in_area(kind: AreaKind, t: str, column: str = "e.grid_id") -> str:
    """Enterprises (by their grid column) under the area row `t`: a grid's are its own (so
    the index on the grid column finds them), a zone's or park's those of the grids under
    it."""
    if kind == "grid":
        return f"{column} = {t}.id"
    return f"{column} IN (SELECT u.grid_id FROM ({grids_under(kind, f'ARRAY[{t}.id]')}) u)"


def boundary(c: Compiler, t: str, s: Selection) -> str:
    """As resolvers.reads.areas.boundaries; the simplification only when asked for."""
    precision = checked_precision(s.arg("precision", 6))
    tolerance = checked_tolerance(s.arg("simplify", 0.0))
    shape = (
        simplified(f"{t}.boundary", c.bind(tolerance, "float8")) if tolerance else f"{t}.boundary"
    )
    return geosql.geojson(shape, c.bind(precision, "integer"))


def centroid(c: Compiler, t: str, s: Selection) -> str:
    found = f"ST_Centroid({t}.boundary::geography)::geometry"
    return point(c, found, s.arg("precision", 6))


def issue_count(kind: AreaKind, t: str, extra: str = "") -> str:
    joined = f"JOIN issue i ON i.enterprise_id = e.id AND {OPEN_ISSUE}{extra}"
    return f"(SELECT count(*) FROM enterprise e {joined} WHERE {in_area(kind, t)})"


def serving_listing(c: Compiler, kind: AreaKind, t: str, s: Selection) -> Listing:
    at = s.arg("at") or c.now
    found = serving(kind, f"ARRAY[{t}.id]", c.bind(at, "timestamptz"))
    source = f"SELECT s.*, {ROLE_RANK.format(s='s')} AS rank FROM ({found}) s"
    return Listing("ServingCadre", source, (("rank", "integer"), ("cadre_id", "bigint")))


def area_fields(kind: AreaKind) -> None:
    table = fields_of(TYPENAMES[kind])

    def enterprises(c: Compiler, t: str, s: Selection) -> str:
        where = enterprise_filter(s.args.get("filter"), c.staff, c.max_positions)
        return c.connection(
            enterprise_listing(c, where, s.arg("order_by", "code"), in_area(kind, t)), s
        )

    def enterprise_count(c: Compiler, t: str, s: Selection) -> str:
        where = enterprise_filter(s.args.get("filter"), c.staff, c.max_positions)
        condition = where.where(c.bind).text()
        return f"(SELECT count(*) FROM enterprise e WHERE {in_area(kind, t)} AND {condition})"

    def visit_count(c: Compiler, t: str, s: Selection) -> str:
        since = s.arg("since")
        after = "" if since is None else f" AND v.visited_at >= {c.bind(since, 'timestamptz')}"
        joined = f"JOIN visit v ON v.enterprise_id = e.id{after}"
        return f"(SELECT count(*) FROM enterprise e {joined} WHERE {in_area(kind, t)})"

    def cadre_count(c: Compiler, t: str, s: Selection) -> str:
        listing = serving_listing(c, kind, t, s)
        return f"(SELECT count(DISTINCT x.cadre_id) FROM ({listing.source}) x)"

    def open_issues(c: Compiler, t: str, s: Selection) -> str:
        source = (
            "SELECT i.* FROM issue i JOIN enterprise e ON e.id = i.enterprise_id"
            f" WHERE {in_area(kind, t)} AND {OPEN_ISSUE}"
        )
        return c.connection(Listing("Issue", source, (("id", "bigint"),)), s)

    table.update({
        "code": column("{t}.code"),
        "name": column("{t}.name"),
        "boundary": boundary,
        "areaSqM": column(geosql.area_sqm("{t}.boundary")),
        "perimeterM": column(geosql.perimeter_m("{t}.boundary")),
        "centroid": centroid,
        "bbox": column(
            "json_build_array(ST_XMin({t}.boundary), ST_YMin({t}.boundary),"
            " ST_XMax({t}.boundary), ST_YMax({t}.boundary))"
        ),
        "enterprises": enterprises,
        "enterpriseCount": enterprise_count,
        "openIssueCount": lambda c, t, s: issue_count(kind, t),
        "overdueIssueCount": lambda c, t, s: issue_count(
            kind, t, f" AND i.due_date < {c.bind(c.today, 'date')}"
        ),
        "visitCount": visit_count,
        "cadreCount": cadre_count,
        "openIssues": open_issues,
        "cadres": lambda c, t, s: c.many(serving_listing(c, kind, t, s), s),
    })  # fmt: skip


def parent(kind: AreaKind) -> None:
    """Grid.zone and Zone.park."""
    column_name, parent_table = PARENTS[kind], PARENT_TABLES[kind]
    assert column_name and parent_table
    parent_kind: AreaKind = "zone" if parent_table == "zone" else "park"

    fields_of(TYPENAMES[kind])[parent_table] = related(
        TYPENAMES[parent_kind], parent_table, f"{{r}}.id = {{t}}.{column_name}"
    )


def children(kind: AreaKind, name: str) -> None:
    """Park.zones and Zone.grids: a connection of the children, by code."""
    column_name, parent_table = PARENTS[kind], PARENT_TABLES[kind]
    assert column_name and parent_table

    def listed(c: Compiler, t: str, s: Selection) -> str:
        return c.connection(area_listing(c, kind, s, f"t.{column_name} = {t}.id"), s)

    fields_of(TYPENAMES[PARENT_KIND[kind]])[name] = listed


PARENT_KIND: dict[AreaKind, AreaKind] = {"zone": "park", "grid": "zone"}


def area_listing(c: Compiler, kind: AreaKind, s: Selection, scope: str = "TRUE") -> Listing:
    """Areas of one kind matching the `filter` argument, by code."""
    condition = area_filter(s.args.get("filter"), None, c.max_positions).where(c.bind).text()
    source = f"SELECT t.* FROM {kind} t WHERE {scope} AND {condition}"
    return Listing(TYPENAMES[kind], source, (("code", "text"),))


for each in KINDS.values():
    area_fields(each)
parent("zone")
parent("grid")
children("zone", "zones")
children("grid", "grids")
# read by the register's export; not (yet) fields of the schema
fields_of("Zone")["lead"] = holder("zone_lead", "zone_id")
fields_of("Grid")["lead"] = holder("grid_lead", "grid_id")

fields_of("ServingCadre").update({
    "id": identifier("cadre_id"),
    "name": column("(SELECT c.name FROM cadre c WHERE c.id = {t}.cadre_id)"),
    "role": upper("role"),
    "targets": column("{t}.targets"),
    "cadre": cadre("cadre_id"),
})  # fmt: skip
