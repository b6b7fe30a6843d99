"""The map's layers, each declared once: its rows, feature id and geometry, and what a feature
says. The OGC API collections (resolvers.gis.features) and the vector tiles
(resolvers.gis.tiles) are both built from these declarations.

A property names a path of the API's own fields (`grid.code`, `openIssueCount`, see
resolvers/reads/types_*.py), so its SQL is the field's SQL (Compiler.value): a count, a code
or a rule is written once for GraphQL, tiles, OGC pages and exports alike. Only stored
columns shown as stored (an enum's lower-case value, a date as text) are written here.

Adding a layer is one `Layer(...)` in LAYERS: its API type, its table (the row is aliased
`t`; `joins` reach what its geometry or filters need), key, geometry, properties and zooms.
Both the OGC collection and the tile layer of that name follow."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from parkgrid.vocabulary import (
    ISSUE_CATEGORIES,
    LINE_KINDS,
    LINE_STATUSES,
    OPEN_STATUSES,
    PROJECT_STAGES,
    SEVERITIES,
)
from resolvers.reads import facts
from resolvers.reads.compiler import Compiler
from resolvers.reads.sql import Named
from resolvers.scope import is_open


def boolean(raw: str) -> bool:
    if raw not in ("true", "false"):
        raise ValueError(raw)
    return raw == "true"


@dataclass(frozen=True)
class Filter:
    """An OGC query parameter: `condition` over the matched rows compares with the value
    bound at `{p}`; without one, the property's own value equals it."""

    condition: str = ""
    parse: Callable[[str], Any] = str
    values: tuple[str, ...] = ()
    """The vocabulary of a closed filter: anything else is refused, not answered with
    nothing."""

    def parsed(self, raw: str) -> Any:
        if self.values and raw not in self.values:
            raise ValueError(raw)
        return self.parse(raw)


EQUAL = Filter()


def by_code(column: str, table: str) -> Filter:
    """Rows whose `column` points at the `table` row of the given code (its index finds
    them)."""
    return Filter(f"{column} = (SELECT x.id FROM {table} x WHERE x.code = {{p}})")


@dataclass(frozen=True)
class Property:
    """A feature's property: the path of the API's fields it shows, or `stored`, SQL over
    the row `t` for a column shown as stored. `on` reads the path from a row the layer's
    `joins` bring instead (alias, API type). `tile` is its type as the TileJSON states it
    (None: OGC pages only); `filter` makes it an OGC query parameter."""

    name: str
    path: str = ""
    stored: str = ""
    tile: str | None = "String"
    filter: Filter | None = None
    on: tuple[str, str] | None = None

    def sql(self, c: Compiler, typename: str) -> str:
        row, typename = self.on or ("t", typename)
        return self.stored or c.value(typename, row, self.path or self.name)


@dataclass(frozen=True)
class Zooms:
    description: str  # the tile layer's, in its TileJSON
    minzoom: int
    maxzoom: int = 18


@dataclass(frozen=True, eq=False)  # compared and cached by identity: one of LAYERS
class Layer:
    """One layer of features: the rows of `table` (aliased `t`, with `joins`) meeting
    `base`, identified by `key`, at `geometry`."""

    id: str
    title: str
    description: str
    typename: str  # the API type of a row, whose fields the properties read
    table: str
    key: str
    geometry: str
    point: bool
    properties: tuple[Property, ...]
    zooms: Zooms
    joins: str = ""
    base: str = "TRUE"
    numeric_id: bool = False
    counted: bool = True
    """Whether the database counts the layer's changes per area (migration 0006's triggers
    on its tables), so its tiles may be kept while their stamp holds. An uncounted layer's
    tiles are built for every request: never kept, so never stale."""

    @property
    def matched(self) -> str:
        return f"{self.table} t {self.joins}".strip()

    @property
    def filters(self) -> Mapping[str, Filter]:
        return filters_of(self)

    def parsed_id(self, raw: str) -> Any:
        """The feature id as the key's type, or None when it cannot be one."""
        if "\x00" in raw:
            return None
        if not self.numeric_id:
            return raw
        try:
            value = int(raw)
        except ValueError:
            return None
        return value if 0 < value < 2**63 else None


@cache
def values_of(layer: Layer) -> tuple[tuple[str, str], ...]:
    """(property name, SQL over the row `t`): the API's fields' SQL, with today and now
    bound by name (`%(today)s`) so the statement is kept across requests."""
    c = facts.compiler(Named("today"), Named("now"))
    found = tuple((p.name, p.sql(c, layer.typename)) for p in layer.properties)
    assert not c.bind.params, f"{layer.id}: a property binds a value of its own"
    assert all(facts.COLUMN_NAME.fullmatch(name) for name, _ in found)
    return found


@cache
def filters_of(layer: Layer) -> Mapping[str, Filter]:
    """Each filtered property's condition, `{p}` its value."""
    values = dict(values_of(layer))
    found = {}
    for p in layer.properties:
        if p.filter is not None:
            equal = Filter(f"{values[p.name]} = {{p}}", p.filter.parse, p.filter.values)
            found[p.name] = p.filter if p.filter.condition else equal
    return found


def area_properties(parent: str) -> tuple[Property, ...]:
    """A zone's or grid's: code, name, its parent's code, and its counts."""
    table = parent.removesuffix("_code")
    return (
        Property("code", filter=EQUAL),
        Property("name", filter=EQUAL),
        Property(parent, f"{table}.code", filter=by_code(f"t.{table}_id", table)),
        Property("enterprises", "enterpriseCount", tile="Number"),
        Property("open_issues", "openIssueCount", tile="Number"),
        Property("overdue_issues", "overdueIssueCount",
                 tile="Number (open issues past their due date, park time)"),
    )  # fmt: skip


ENTERPRISE = ("e", "Enterprise")
"""An issue's enterprise, which the issues layer joins for its location."""

LAYERS = {
    layer.id: layer
    for layer in (
        Layer(
            "zones", "Zones (片区)", "The park's zones with their counts of enterprises,"
            " open issues and overdue issues (open past their due date, park time).",
            "Zone", "zone", "t.code", "t.boundary", False, area_properties("park_code"),
            Zooms("Zones (片区) with their counts.", 6),
        ),
        Layer(
            "grids", "Grids (网格)", "The zones' grids with their counts of enterprises,"
            " open issues and overdue issues (open past their due date, park time).",
            "Grid", "grid", "t.code", "t.boundary", False, area_properties("zone_code"),
            Zooms("Grids (网格) with their counts.", 8),
        ),
        Layer(
            "enterprises", "Enterprises", "Enterprises by their Unified Social Credit Code,"
            " with their grid and their count of open issues.",
            "Enterprise", "enterprise", "t.uscc", "t.location", True,
            (Property("uscc", filter=EQUAL), Property("name", filter=EQUAL),
             Property("industry", filter=EQUAL), Property("address", tile=None, filter=EQUAL),
             Property("grid_code", "grid.code", filter=by_code("t.grid_id", "grid")),
             Property("open_issues", "openIssueCount", tile="Number")),
            Zooms("Enterprises with their grid and open issues.", 12),
        ),
        Layer(
            "issues", "Open issues", "Open issues (not closed or rejected) at their"
            " enterprise's location; titles only for signed-in callers.",
            "Issue", "issue", "t.id", "e.location", True,
            (Property("id", stored="t.id", tile="Number"),
             Property("status", stored="t.status", filter=Filter(values=OPEN_STATUSES)),
             Property("category", stored="t.category", filter=Filter(values=ISSUE_CATEGORIES)),
             Property("severity", stored="t.severity", filter=Filter(values=SEVERITIES)),
             Property("due_date", stored="CAST(t.due_date AS text)"),
             Property("overdue", tile="Boolean", filter=Filter(parse=boolean)),
             Property("title", tile="String (signed-in callers only)"),
             Property("uscc", on=ENTERPRISE, filter=EQUAL),
             Property("grid_code", "grid.code", on=ENTERPRISE,
                      filter=by_code("e.grid_id", "grid"))),
            Zooms("Open issues at their enterprise.", 12),
            joins="JOIN enterprise e ON e.id = t.enterprise_id", base=is_open("t"),
            numeric_id=True,
        ),
        Layer(
            "lines", "Infrastructure lines", "Roads, power, gas, water, sewer, heat and"
            " telecom lines by their code; notes for staff only.",
            "InfrastructureLine", "infrastructure_line", "t.code", "t.geometry", False,
            (Property("code", filter=EQUAL), Property("name", filter=EQUAL),
             Property("kind", stored="t.kind", filter=Filter(values=LINE_KINDS)),
             Property("status", stored="t.status", filter=Filter(values=LINE_STATUSES)),
             Property("operator", filter=EQUAL),
             Property("started", stored="CAST(t.started AS text)"),
             Property("completed", stored="CAST(t.completed AS text)"),
             Property("length_m", "lengthMeters", tile="Number (metres on the ellipsoid)"),
             Property("note", tile="String (staff only)")),
            Zooms("Infrastructure lines by kind and status.", 10),
            counted=False,
        ),
        Layer(
            "projects", "Construction projects", "Enterprises' construction projects at"
            " their site (a point or a plot): stage, progress, whether behind schedule;"
            " staff only.",
            "ConstructionProject", "construction_project", "t.id", "t.site", False,
            (Property("id", stored="t.id", tile="Number"), Property("name", filter=EQUAL),
             Property("stage", stored="t.stage", filter=Filter(values=PROJECT_STAGES)),
             Property("started", stored="CAST(t.started AS text)"),
             Property("percent_complete", "percentComplete", tile="Number"),
             Property("behind_schedule", "behindSchedule", tile="Boolean",
                      filter=Filter(parse=boolean)),
             Property("uscc", on=ENTERPRISE, filter=EQUAL),
             Property("grid_code", "grid.code", on=ENTERPRISE,
                      filter=by_code("e.grid_id", "grid"))),
            Zooms("Construction projects by stage (staff only).", 12),
            joins="JOIN enterprise e ON e.id = t.enterprise_id", numeric_id=True,
            counted=False,
        ),
    )
}  # fmt: skip
