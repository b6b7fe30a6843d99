"""Each zone's park and each grid's zone, found by code; a shape nowhere near it is refused
(the likeliest cause is a wrong CRS or swapped coordinates, which otherwise pass silently)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, Table, func, select

from geo.shape import from_wkb
from parkgrid.importer.kinds import TABLES, Kind, Parsed
from parkgrid.importer.outcomes import Problem


@dataclass(frozen=True)
class Parent:
    id: int
    boundary: BaseGeometry


def resolve_parents(
    conn: Connection, kind: Kind, parsed: list[Parsed], known: dict[str, Parent | None]
) -> list[Problem]:
    """Set each item's `parent_id`; the problems of parents unknown or far away. `known`
    keeps the parents looked up (None: no such code) for the file's later chunks: a file
    names few parents, many times."""
    if kind.parent is None:
        return []
    prop, problems = kind.parent, []
    wanted = {code for item in parsed if (code := item.values.get(prop)) is not None}
    wanted -= known.keys()
    found = parents(conn, TABLES[prop], wanted)
    known.update({code: found.get(code) for code in wanted})
    for item in (item for item in parsed if prop in item.values):
        problems += adopt(prop, item, known[item.values[prop]])
    return problems


def parents(conn: Connection, table: Table, codes: set[Any]) -> dict[str, Parent]:
    wanted = sorted(code for code in codes if code is not None)
    columns = (table.c.code, table.c.id, func.ST_AsEWKB(table.c.boundary).label("boundary"))
    rows = conn.execute(select(*columns).where(table.c.code.in_(wanted)))
    return {row.code: Parent(row.id, prepared(from_wkb(bytes(row.boundary)))) for row in rows}


def prepared(geometry: BaseGeometry) -> BaseGeometry:
    """The same geometry, indexed for the many intersection tests against one parent."""
    shapely.prepare(geometry)
    return geometry


def adopt(prop: str, item: Parsed, parent: Parent | None) -> list[Problem]:
    code = item.values[prop]
    if parent is None:
        return [Problem(item.index, prop, f"no {prop} with code {code!r} in the database")]
    item.values["parent_id"] = parent.id
    return outside(item, parent, f"its {prop} {code}")


def outside(item: Parsed, parent: Parent, named: str) -> list[Problem]:
    geometry = item.values.get("geometry")
    if geometry is None or geometry.intersects(parent.boundary):
        return []
    reason = f"lies entirely outside {named} (is the CRS right?)"
    return [Problem(item.index, "geometry", reason)]
