"""Features the import would put outside the parks: an enterprise no park covers (its edge
included), a zone or grid whose part outside its own park is more than digitising slack.

Why refuse them by default: a feature outside is far more often a mistake (a wrong CRS, GCJ-02
coordinates taken for WGS 84, a typo) than a park still to come; the operator who knows the park
comes later says so (`allow_outside`, `--allow-outside`) and the report then counts them.

The rule for zones and grids is the API's (upsertZone, upsertGrid): the part outside may cover
at most LEAK_TOLERANCE_M times the shape's perimeter, a 5 m band all round. A planner wants a
grid that leaks out of its park flagged, not only one lying wholly outside; slivers left where
two offices digitised the same edge pass. A grid is measured against its zone's park."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy import Connection

from geo.sql import area_sqm, geometry_from, perimeter_m
from parkgrid.importer.batches import batches, ewkb
from parkgrid.importer.kinds import Kind, Parsed, label
from parkgrid.importer.outcomes import FEW, Problem, listed, plural, verb

LEAK_TOLERANCE_M = 5.0
"""Metres, averaged along its edge, a zone or grid may stray outside its park (the API's)."""

STAGED = (
    "unnest(CAST(:geoms AS bytea[]), CAST(:parents AS bigint[]), CAST(:positions AS int[]))"
    " AS t(g, parent, n)"
)
OUTSIDE_EVERY_PARK = sa.text(
    f"SELECT t.n FROM {STAGED} WHERE NOT EXISTS"
    f" (SELECT 1 FROM park p WHERE ST_Intersects(p.boundary, {geometry_from('t.g')}))"
    " ORDER BY t.n"
)
PARK_OF = {
    "zones": "JOIN park p ON p.id = t.parent",
    "grids": "JOIN zone z ON z.id = t.parent JOIN park p ON p.id = z.park_id",
}
LEAKS = {
    kind: sa.text(
        f"SELECT t.n, p.code AS park, {area_sqm('ST_Difference(s.geom, p.boundary)')} AS outside,"
        f" {perimeter_m('s.geom')} AS perimeter"
        f" FROM {STAGED} CROSS JOIN LATERAL (SELECT {geometry_from('t.g')} AS geom) AS s {join}"
        " WHERE NOT ST_CoveredBy(s.geom, p.boundary) ORDER BY t.n"
    )
    for kind, join in PARK_OF.items()
}


@dataclass(frozen=True)
class Outside:
    """A feature outside the parks, with how far for an area (empty for a point)."""

    item: Parsed
    detail: str = ""


def outside_parks(
    conn: Connection, kind: Kind, parsed: list[Parsed], skip: set[int | None]
) -> list[Outside]:
    """The features outside (those in `skip`, already refused for their shape, left out)."""
    if not kind.placed_in_parks:
        return []
    wanted = [item for item in parsed if placeable(kind, item) and item.index not in skip]
    found: list[Outside] = []
    for batch in batches(wanted):
        found += outside_in(conn, kind, batch)
    return found


def placeable(kind: Kind, item: Parsed) -> bool:
    """Shaped, and for an area its parent known (an unknown parent is a problem of its own)."""
    return "geometry" in item.values and (kind.parent is None or "parent_id" in item.values)


def outside_in(conn: Connection, kind: Kind, chunk: Sequence[Parsed]) -> list[Outside]:
    by_index = {item.index: item for item in chunk}
    params = {
        "geoms": ewkb([item.values["geometry"] for item in chunk]),
        "parents": [item.values.get("parent_id") for item in chunk],
        "positions": list(by_index),
    }
    if kind.parent is None:
        return [Outside(by_index[n]) for n in conn.execute(OUTSIDE_EVERY_PARK, params).scalars()]
    rows = conn.execute(LEAKS[kind.name], params)
    return [
        Outside(by_index[row.n], leak(row.outside, row.perimeter, row.park))
        for row in rows
        if row.outside > LEAK_TOLERANCE_M * row.perimeter
    ]


def leak(outside: float, perimeter: float, park: str) -> str:
    allowed = LEAK_TOLERANCE_M * perimeter
    return f"{outside:,.0f} m² outside park {park}, at most {allowed:,.0f} m² allowed"


@dataclass
class Outsiders:
    """The features outside the parks over the whole file: how many, the first few named."""

    kind: Kind
    count: int = 0
    labels: list[str] = field(default_factory=list)

    def add(self, outside: list[Outside]) -> None:
        self.count += len(outside)
        for found in outside[: FEW - len(self.labels)]:
            detail = f" ({found.detail})" if found.detail else ""
            self.labels.append(label(self.kind, found.item) + detail)

    def problem(self, placed: int) -> Problem:
        """One line for them all: how many of the `placed` features, the first few named, and
        how to import them anyway."""
        kind, count = self.kind, self.count
        where = (
            "outside every park"
            if kind.parent is None
            else f"partly outside their park (by more than {LEAK_TOLERANCE_M:g} m along the edge)"
        )
        noun = plural(placed, kind.name.removesuffix("s"))
        return Problem(
            None,
            "parks",
            f"{count} of {placed} {noun} {verb(count)} {where}: {listed(self.labels, count)};"
            " --allow-outside imports them anyway (a park still to come)",
        )
