"""Enterprise and PartyOrganisation: each field's SQL."""

from __future__ import annotations

from geo.shape import decimal_scale
from parkgrid.vocabulary import held_at
from resolvers.filters import EnterpriseFilter
from resolvers.reads.areas import checked_precision
from resolvers.reads.compiler import ROWS, Compiler, FieldSql, Listing, column, fields_of, upper
from resolvers.reads.enterprises import Ordering, checked_order, distance
from resolvers.reads.selection import Selection

BY_ID = (("id", "bigint"),)
ENTERPRISE_ROWS = "(SELECT e.*, NULL::float8 AS distance_m FROM enterprise e)"
"""Enterprises as a relation reaches them: no reference point, so no distance."""
CADRE_ROWS = "(SELECT c.*, NULL::float8 AS distance_m FROM cadre c)"
"""Cadres likewise (nearestCadres alone gives a distance)."""
ROWS.update(Enterprise=ENTERPRISE_ROWS, Cadre=CADRE_ROWS, PartyOrganisation="party_organisation")


def point(c: Compiler, geometry: str, precision: int) -> str:
    """A GeoJSON Point with coordinates rounded as geo.shape.round_coordinate rounds them."""
    scale = c.bind(decimal_scale(checked_precision(precision)), "float8")
    x, y = (f"round(ST_{axis}({geometry}) * {scale}) / {scale}" for axis in "XY")
    return f"json_build_object('type', 'Point', 'coordinates', json_build_array({x}, {y}))"


def enterprise_listing(
    c: Compiler, where: EnterpriseFilter, ordering: Ordering, scope: str = "TRUE"
) -> Listing:
    """Enterprises under `scope` matching the filter, in the ordering, with distance_m from
    the `near` point when there is one. A spatially bounded filter (a map view) is evaluated
    once for the page and the count."""
    order = checked_order(where, ordering)
    conditions = where.where(c.bind)
    reference = where.reference(c.bind)
    measured = distance(reference) if reference else "NULL::float8"
    paged = ""
    if reference and ordering != "distance":  # measured for the page's rows only
        measured, paged = "NULL::float8", distance(reference, "{x}") + " AS distance_m"
    columns = "e.*" if paged else f"e.*, {measured} AS distance_m"
    source = f"SELECT {columns} FROM enterprise e WHERE {scope} AND {conditions.text()}"
    bounded = where.bbox is not None or where.near is not None or where.intersects is not None
    return Listing("Enterprise", source, order, materialized=bounded, paged=paged)


def enterprise(c: Compiler, where: str, s: Selection) -> str:
    """The one enterprise meeting `where` (a condition on `{r}`)."""
    return c.one("Enterprise", ENTERPRISE_ROWS, where, s)


def liaison(c: Compiler, t: str, s: Selection) -> str:
    current = held_at("a", c.bind(s.arg("at") or c.now, "timestamptz"))
    held = (
        f"SELECT a.cadre_id FROM assignment a WHERE a.enterprise_id = {t}.id"
        f" AND a.role = 'liaison' AND {current} ORDER BY a.id DESC LIMIT 1"
    )
    return c.one("Cadre", CADRE_ROWS, f"{{r}}.id = ({held})", s)


def children(node: str, table: str) -> FieldSql:
    """Issues or visits of the enterprise, newest first."""

    def compiled(c: Compiler, t: str, s: Selection) -> str:
        source = f"SELECT k.* FROM {table} k WHERE k.enterprise_id = {t}.id"
        return c.connection(Listing(node, source, BY_ID, descending=True), s)

    return compiled


fields_of("Enterprise").update({
    "uscc": column("{t}.uscc"),
    "name": column("{t}.name"),
    "industry": column("{t}.industry"),
    "address": column("{t}.address"),
    "location": lambda c, t, s: point(c, f"{t}.location", s.arg("precision", 6)),
    "distanceMeters": column("{t}.distance_m"),
    "partyOrganisation": lambda c, t, s: c.one(
        "PartyOrganisation", "party_organisation", f"{{r}}.enterprise_id = {t}.id", s
    ),
    "grid": lambda c, t, s: c.one("Grid", "grid", f"{{r}}.id = {t}.grid_id", s),
    "zone": lambda c, t, s: c.one(
        "Zone", "zone", f"{{r}}.id = (SELECT g.zone_id FROM grid g WHERE g.id = {t}.grid_id)", s
    ),
    "liaison": liaison,
    "events": lambda c, t, s: c.many(
        Listing("Event", f"SELECT v.* FROM event v WHERE v.enterprise_id = {t}.id", BY_ID), s
    ),
    "issues": children("Issue", "issue"),
    "visits": children("Visit", "visit"),
})  # fmt: skip

fields_of("PartyOrganisation").update({
    "kind": upper("kind"),
    "established": column("{t}.established"),
    "members": column("{t}.members"),
})  # fmt: skip
