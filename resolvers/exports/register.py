"""The register (parks, zones, grids, enterprises) as layers of features, read through the
caller's scoped views.

Properties carry the names `parkgrid import` reads (code, name, the parent's code as `park`
or `zone`; uscc, name, industry, address), so an exported register imports again as it was.
Beside them, what the register says about people and membership, which an import leaves to
the database: each area's current lead, each enterprise's grid, zone and current liaison
(the liaison's phone only where the caller may read it, as everywhere)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from parkgrid.errors import InvalidInput
from parkgrid.vocabulary import held_at
from resolvers.exports.base import rows_of
from resolvers.exports.options import area_by_code, listed

LAYERS = ("parks", "zones", "grids", "enterprises")
GEOMETRY_TYPES = {
    "parks": "MultiPolygon", "zones": "MultiPolygon", "grids": "MultiPolygon",
    "enterprises": "Point",
}  # fmt: skip
PARK = "(CAST(%(park)s AS bigint) IS NULL OR {column} = %(park)s)"
"""The rows of the chosen park; every row when no park is chosen."""


def lead(role: str, target: str) -> str:
    """The current holder of a lead role on the area aliased `t`."""
    return f"""(SELECT c.name FROM assignment a JOIN cadre c ON c.id = a.cadre_id
        WHERE a.role = '{role}' AND a.{target} = t.id AND {held_at("a", "%(at)s")}
        ORDER BY a.valid_from DESC LIMIT 1)"""


QUERIES = {
    "parks": f"""SELECT t.code, t.name, ST_AsBinary(t.boundary) AS wkb FROM park t
        WHERE {PARK.format(column="t.id")} ORDER BY t.code""",
    "zones": f"""SELECT t.code, t.name, p.code AS park, {lead("zone_lead", "zone_id")} AS lead,
            ST_AsBinary(t.boundary) AS wkb
        FROM zone t JOIN park p ON p.id = t.park_id
        WHERE {PARK.format(column="p.id")} ORDER BY t.code""",
    "grids": f"""SELECT t.code, t.name, z.code AS zone, {lead("grid_lead", "grid_id")} AS lead,
            ST_AsBinary(t.boundary) AS wkb
        FROM grid t JOIN zone z ON z.id = t.zone_id
        WHERE {PARK.format(column="z.park_id")} ORDER BY t.code""",
    # a park's enterprises: the members of its grids, and those outside every grid that lie
    # within its boundary (as the coverage report counts them)
    "enterprises": f"""SELECT t.uscc, t.name, t.industry, t.address, g.code AS grid,
            z.code AS zone, l.name AS liaison, l.phone, ST_AsBinary(t.location) AS wkb
        FROM enterprise t LEFT JOIN grid g ON g.id = t.grid_id
        LEFT JOIN zone z ON z.id = g.zone_id
        LEFT JOIN LATERAL (SELECT c.name, c.phone FROM assignment a
            JOIN cadre c ON c.id = a.cadre_id
            WHERE a.role = 'liaison' AND a.enterprise_id = t.id AND {held_at("a", "%(at)s")}
            ORDER BY a.valid_from DESC LIMIT 1) l ON true
        WHERE {PARK.format(column="z.park_id")}
            OR (t.grid_id IS NULL AND (CAST(%(park)s AS bigint) IS NULL OR EXISTS (
                SELECT 1 FROM park p WHERE p.id = %(park)s
                AND ST_Covers(p.boundary, t.location))))
        ORDER BY t.uscc""",
}
FIELDS = {
    "parks": ("code", "name"),
    "zones": ("code", "name", "park", "lead"),
    "grids": ("code", "name", "zone", "lead"),
    "enterprises": ("uscc", "name", "industry", "address", "grid", "zone", "liaison", "phone"),
}


@dataclass(frozen=True)
class Layer:
    """One layer: its property names, each feature's values in that order, and its shape as
    WKB in storage coordinates (WGS 84)."""

    name: str
    fields: tuple[str, ...]
    values: list[tuple[Any, ...]]
    shapes: list[bytes]

    @property
    def geometry_type(self) -> str:
        return GEOMETRY_TYPES[self.name]


@dataclass(frozen=True)
class RegisterOptions:
    park: str | None
    layers: tuple[str, ...]
    at: datetime


def checked_layers(values: Sequence[str] | None) -> tuple[str, ...]:
    """The layers asked for, in the register's order; all when none is named."""
    given = listed(values)
    unknown = [name for name in given if name not in LAYERS]
    if unknown:
        raise InvalidInput(f"{unknown[0]!r} is not one of {', '.join(LAYERS)}", field="layer")
    return tuple(name for name in LAYERS if name in given) if given else LAYERS


def collect(conn: Connection, options: RegisterOptions) -> list[Layer]:
    park = area_by_code(conn, "park", options.park).id if options.park else None
    layers = []
    for name in options.layers:
        rows = rows_of(conn, QUERIES[name], {"park": park, "at": options.at})
        fields = FIELDS[name]
        values = [tuple(row._mapping[f] for f in fields) for row in rows]
        layers.append(Layer(name, fields, values, [bytes(row.wkb) for row in rows]))
    return layers
