"""Enterprise and PartyOrganisation: each field's SQL."""

from __future__ import annotations

from geo.shape import decimal_scale
from parkgrid.vocabulary import held_at
from resolvers.filters import EnterpriseFilter
from resolvers.reads.areas import checked_precision
from resolvers.reads.compiler import (
    ROWS,
    Compiler,
    FieldSql,
    Listing,
    Related,
    column,
    fields_of,
    related,
    upper,
)
from resolvers.reads.enterprises import Ordering, checked_order, distance
from resolvers.reads.selection import Selection
from resolvers.scope import open_issue_count

BY_ID = (("id", "bigint"),)
ZONE_OF_GRID = "SELECT g.zone_id FROM grid g WHERE g.id = {t}.grid_id"
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


OF_ENTERPRISE = related("Enterprise", ENTERPRISE_ROWS, "{r}.id = {t}.enterprise_id")
"""The enterprise a row (an issue, visit or assignment) belongs to."""


def cadre(reference: str) -> Related:
    """The cadre whose id the row's column `reference` holds."""
    return related("Cadre", CADRE_ROWS, f"{{r}}.id = {{t}}.{reference}")


def holder(role: str, target: str) -> Related:
    """The cadre holding `role` on this row (its id in the assignment's `target` column) at
    the field's `at`, else now: the current-assignment rule, once for every holder (an
    enterprise's liaison, a zone's or grid's lead). One holder at a time is the database's
    rule (assignment_one_holder)."""

    def where(c: Compiler, t: str, s: Selection) -> str:
        current = held_at("a", c.bind(s.arg("at") or c.now, "timestamptz"))
        held = (
            f"SELECT a.cadre_id FROM assignment a WHERE a.{target} = {t}.id"
            f" AND a.role = '{role}' AND {current} ORDER BY a.id DESC LIMIT 1"
        )
        return f"{{r}}.id = ({held})"

    return Related("Cadre", CADRE_ROWS, where)


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
    "partyOrganisation": related(
        "PartyOrganisation", "party_organisation", "{r}.enterprise_id = {t}.id"
    ),
    "grid": related("Grid", "grid", "{r}.id = {t}.grid_id"),
    "zone": related("Zone", "zone", f"{{r}}.id = ({ZONE_OF_GRID})"),
    "liaison": holder("liaison", "enterprise_id"),
    "events": lambda c, t, s: c.many(
        Listing("Event", f"SELECT v.* FROM event v WHERE v.enterprise_id = {t}.id", BY_ID), s
    ),
    "issues": children("Issue", "issue"),
    "visits": children("Visit", "visit"),
    # read by the map's tiles and OGC pages; not (yet) a field of the schema
    "openIssueCount": column(open_issue_count("{t}.id")),
})  # fmt: skip

fields_of("PartyOrganisation").update({
    "kind": upper("kind"),
    "established": column("{t}.established"),
    "members": column("{t}.members"),
})  # fmt: skip
