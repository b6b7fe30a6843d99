"""The register (parks, zones, grids, enterprises, infrastructure lines) as layers of
features, read through the caller's scoped views.

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
from resolvers.exports.base import rows_of
from resolvers.exports.options import area_by_code, listed
from resolvers.reads import facts
from resolvers.reads.compiler import Compiler
from resolvers.reads.sql import Named

LAYERS = ("parks", "zones", "grids", "enterprises", "lines")
GEOMETRY_TYPES = {
    "parks": "MultiPolygon", "zones": "MultiPolygon", "grids": "MultiPolygon",
    "enterprises": "Point", "lines": "MultiLineString",
}  # fmt: skip
PARK = "(CAST(%(park)s AS bigint) IS NULL OR {column} = %(park)s)"
"""The rows of the chosen park; every row when no park is chosen."""


COLUMNS: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "parks": ("Park", [("code", "code"), ("name", "name")]),
    "zones": ("Zone", [("code", "code"), ("name", "name"), ("park", "park.code"),
                       ("lead", "lead.name")]),
    "grids": ("Grid", [("code", "code"), ("name", "name"), ("zone", "zone.code"),
                       ("lead", "lead.name")]),
    "enterprises": ("Enterprise", [
        ("uscc", "uscc"), ("name", "name"), ("industry", "industry"), ("address", "address"),
        ("grid", "grid.code"), ("zone", "zone.code"), ("liaison", "liaison.name"),
        ("phone", "liaison.phone"),
    ]),
    "lines": ("InfrastructureLine", [
        ("code", "code"), ("name", "name"), ("kind", "kind"), ("status", "status"),
        ("operator", "operator"), ("started", "started"), ("completed", "completed"),
        ("length_m", "lengthMeters"), ("note", "note"),
    ]),
}  # fmt: skip
"""Each layer's properties: (name, path of the API's fields), read as the API reads them
(resolvers.reads.facts): the current lead or liaison by the one current-holder rule."""
ROWS = {
    "parks": f"""FROM park t WHERE {PARK.format(column="t.id")} ORDER BY t.code""",
    "zones": f"""FROM zone t WHERE {PARK.format(column="t.park_id")} ORDER BY t.code""",
    "grids": f"""FROM grid t JOIN zone z ON z.id = t.zone_id
        WHERE {PARK.format(column="z.park_id")} ORDER BY t.code""",
    # a park's enterprises: the members of its grids, and those outside every grid that lie
    # within its boundary (as the coverage report counts them)
    "enterprises": f"""FROM enterprise t LEFT JOIN grid g ON g.id = t.grid_id
        LEFT JOIN zone z ON z.id = g.zone_id
        WHERE {PARK.format(column="z.park_id")}
            OR (t.grid_id IS NULL AND (CAST(%(park)s AS bigint) IS NULL OR EXISTS (
                SELECT 1 FROM park p WHERE p.id = %(park)s
                AND ST_Covers(p.boundary, t.location))))
        ORDER BY t.uscc""",
    "lines": f"""FROM infrastructure_line t WHERE {PARK.format(column="t.park_id")}
        ORDER BY t.code""",
}
SHAPES = {"parks": "t.boundary", "zones": "t.boundary", "grids": "t.boundary",
          "enterprises": "t.location", "lines": "t.geometry"}  # fmt: skip


def layer_sql(name: str, c: Compiler) -> str:
    typename, columns = COLUMNS[name]
    values = facts.selected(c, typename, "t", columns)
    return f"SELECT {values}, ST_AsBinary({SHAPES[name]}) AS wkb {ROWS[name]}"


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
        c = facts.compiler(Named("today"), options.at)
        rows = rows_of(conn, layer_sql(name, c), {**c.bind.params, "park": park})
        fields = tuple(field for field, _ in COLUMNS[name][1])
        values = [tuple(row._mapping[f] for f in fields) for row in rows]
        layers.append(Layer(name, fields, values, [bytes(row.wkb) for row in rows]))
    return layers
