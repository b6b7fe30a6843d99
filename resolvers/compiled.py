"""Whole requests compiled to one SQL statement that builds the JSON answer in PostgreSQL.

The schema layer turns a GraphQL operation into `Selection` trees; the shapes map frontends
ask most (an area with its counts and a page of enterprises, locate, nearest enterprises, a
filtered page of enterprises) become one `SELECT json_build_object(...)`. Any other shape
raises `Unsupported` and the request takes the ordinary resolver path; both paths give the
same answer (tests compare them)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.engine import Connection

from geo.shape import decimal_scale
from geo.sql import MAX_PRECISION
from parkgrid.errors import ParkgridError
from parkgrid.prepared import execute_scalar
from resolvers.areas import located
from resolvers.enterprises import knn_candidates, nearest_sql
from resolvers.filters import EnterpriseFilter, checked_bbox, checked_point
from resolvers.records import AreaKind
from resolvers.scope import OPEN_ISSUE

TYPENAMES = {"park": "Park", "zone": "Zone", "grid": "Grid"}
SCOPES: dict[AreaKind, str] = {
    "grid": "e.grid_id = {a}.id",
    "zone": "e.grid_id IN (SELECT g.id FROM grid g WHERE g.zone_id = {a}.id)",
    "park": (
        "e.grid_id IN (SELECT g.id FROM grid g JOIN zone z ON z.id = g.zone_id"
        " WHERE z.park_id = {a}.id)"
    ),
}
PARENT_OF: dict[AreaKind, tuple[str, AreaKind, str]] = {
    "grid": ("zone", "zone", "zone_id"),
    "zone": ("park", "park", "park_id"),
}
FILTER_KEYS = {
    "park": "park", "zone": "zone", "grid": "grid", "industry": "industry",
    "hasOpenIssues": "has_open_issues", "withoutLiaison": "without_liaison", "search": "search",
}  # fmt: skip
CURSOR = "translate(encode(convert_to('[\"' || {p}.uscc || '\"]', 'UTF8'), 'base64'), '+/', '-_')"


GRAPHQL_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")


def name_literal(name: str) -> str:
    """A GraphQL name (a response key or type name) as an SQL string literal. Names are
    [_A-Za-z][_0-9A-Za-z]* by the GraphQL grammar, checked again here, so no quoting
    question arises; values are always bound."""
    if not GRAPHQL_NAME.fullmatch(name):
        raise Unsupported(name)
    return f"'{name}'::text"


BIND = re.compile(r"(?<!:):([A-Za-z_][A-Za-z_0-9]*)")


def driver_sql(sql: str) -> str:
    """Named :params as the driver's %(name)s, so the statement skips SQLAlchemy's compiler."""
    return BIND.sub(r"%(\1)s", sql)


class Unsupported(Exception):
    """This shape does not compile; use the ordinary resolvers."""


@dataclass(frozen=True)
class Selection:
    key: str
    name: str
    args: Mapping[str, Any] = field(default_factory=dict)
    fields: tuple[Selection, ...] = ()


def only(selection: Selection, *allowed: str) -> None:
    if set(selection.args) - set(allowed):
        raise Unsupported(selection.name)


def precision_of(selection: Selection) -> int:
    value = selection.args.get("precision", 6)
    if not isinstance(value, int) or not 0 <= value <= MAX_PRECISION:
        raise Unsupported("precision")
    return value


@dataclass
class Compiler:
    default_page: int
    max_page: int
    today: date
    params: dict[str, Any] = field(default_factory=dict)
    aliases: int = 0
    filtered: bool = False
    staff: bool = True  # anonymous callers may not filter by who has a liaison

    def bind(self, value: Any, cast: str = "") -> str:
        name = f"b{len(self.params)}"
        self.params[name] = value
        return f"CAST(:{name} AS {cast})" if cast else f":{name}"

    def alias(self, prefix: str) -> str:
        self.aliases += 1
        return f"{prefix}{self.aliases}"

    def obj(self, pairs: list[tuple[str, str]]) -> str:
        items = ", ".join(f"{name_literal(key)}, {value}" for key, value in pairs)
        return f"json_build_object({items})"

    def typename(self, name: str) -> str:
        return name_literal(name)

    def request(self, fields: tuple[Selection, ...]) -> str:
        pairs = [(s.key, self.root(s)) for s in fields]
        return f"SELECT {self.obj(pairs)}::text"

    def root(self, selection: Selection) -> str:
        handler = ROOTS.get(selection.name)
        if handler is None:
            raise Unsupported(selection.name)
        return handler(self, selection)

    # areas

    def area_root(self, kind: AreaKind, selection: Selection) -> str:
        only(selection, "code")
        a = self.alias("a")
        code = self.bind(str(selection.args["code"]))
        area = self.area(kind, a, selection.fields)
        return f"(SELECT {area} FROM {kind} {a} WHERE {a}.code = {code})"

    def area_by_id(self, kind: AreaKind, id_sql: str, fields: tuple[Selection, ...]) -> str:
        a = self.alias("a")
        return f"(SELECT {self.area(kind, a, fields)} FROM {kind} {a} WHERE {a}.id = {id_sql})"

    def area(self, kind: AreaKind, a: str, fields: tuple[Selection, ...]) -> str:
        return self.obj([(s.key, self.area_field(kind, a, s)) for s in fields])

    def area_field(self, kind: AreaKind, a: str, s: Selection) -> str:
        plain = {
            "__typename": lambda: self.typename(TYPENAMES[kind]),
            "code": lambda: f"{a}.code",
            "name": lambda: f"{a}.name",
            "areaSqM": lambda: f"ST_Area({a}.boundary::geography)",
            "perimeterM": lambda: f"ST_Perimeter({a}.boundary::geography)",
            "boundary": lambda: self.boundary(a, s),
            "enterpriseCount": lambda: self.count(kind, a, ""),
            "openIssueCount": lambda: self.count(kind, a, self.open_join()),
            "overdueIssueCount": lambda: self.count(kind, a, self.overdue_join()),
            "enterprises": lambda: self.area_enterprises(kind, a, s),
        }
        if s.name in plain and (s.name in {"boundary", "enterprises"} or not s.args):
            return plain[s.name]()
        return self.parent(kind, a, s)

    def parent(self, kind: AreaKind, a: str, s: Selection) -> str:
        name, parent_kind, column = PARENT_OF.get(kind, ("", "park", ""))
        if s.name != name or s.args:
            raise Unsupported(s.name)
        return self.area_by_id(parent_kind, f"{a}.{column}", s.fields)

    def boundary(self, a: str, s: Selection) -> str:
        only(s, "precision", "simplify")
        if s.args.get("simplify", 0) != 0:
            raise Unsupported("simplify")
        digits = self.bind(precision_of(s), "integer")
        return f"ST_AsGeoJSON(ST_ForcePolygonCCW({a}.boundary), {digits})::json"

    def open_join(self) -> str:
        return f"JOIN issue i ON i.enterprise_id = e.id AND {OPEN_ISSUE}"

    def overdue_join(self) -> str:
        return f"{self.open_join()} AND i.due_date < {self.bind(self.today, 'date')}"

    def count(self, kind: AreaKind, a: str, joined: str) -> str:
        return f"(SELECT count(*) FROM enterprise e {joined} WHERE {SCOPES[kind].format(a=a)})"

    def area_enterprises(self, kind: AreaKind, a: str, s: Selection) -> str:
        only(s, "first")
        return self.connection(SCOPES[kind].format(a=a), self.first(s), s.fields)

    # enterprises

    def first(self, s: Selection) -> int:
        value = s.args.get("first", self.default_page)
        if value is None:
            value = self.default_page
        if not isinstance(value, int) or not 0 <= value <= self.max_page:
            raise Unsupported("first")
        return value

    def enterprise(self, n: str, fields: tuple[Selection, ...], distance: bool) -> str:
        return self.obj([(s.key, self.enterprise_field(n, s, distance)) for s in fields])

    def enterprise_field(self, n: str, s: Selection, distance: bool) -> str:
        if s.name == "location":
            only(s, "precision")
            return self.location(n, precision_of(s))
        if s.args:
            raise Unsupported(s.name)
        if s.name in {"uscc", "name", "industry", "address"}:
            return f"{n}.{s.name}"
        if s.name == "distanceMeters":
            return f"{n}.distance_m" if distance else "NULL::float8"
        if s.name == "__typename":
            return self.typename("Enterprise")
        if s.name == "grid":
            return self.area_by_id("grid", f"{n}.grid_id", s.fields)
        raise Unsupported(s.name)

    def location(self, n: str, precision: int) -> str:
        scale = self.bind(decimal_scale(precision), "float8")
        coordinate = "round(ST_{axis}({n}.location) * {scale}) / {scale}"
        x, y = (coordinate.format(axis=axis, n=n, scale=scale) for axis in "XY")
        return f"json_build_object('type', 'Point', 'coordinates', json_build_array({x}, {y}))"

    def connection(
        self, where: str, first: int, fields: tuple[Selection, ...], bounded: bool = False
    ) -> str:
        """A page of enterprises and its count. A spatially bounded filter (a map view) is
        evaluated once into `hit` for both; others let the page walk the code index."""
        p, size = self.alias("p"), self.bind(first, "integer")
        matched = f"SELECT e.* FROM enterprise e WHERE {where}"
        source, prefix = (
            (f"({matched})", "")
            if not bounded
            else ("hit", f"WITH hit AS MATERIALIZED ({matched}) ")
        )
        inner = f"SELECT * FROM {source} e ORDER BY e.uscc LIMIT {size} + 1"
        numbered = f"SELECT q.*, row_number() OVER (ORDER BY q.uscc) AS rn FROM ({inner}) q"
        total = f"(SELECT count(*) FROM {source} e)"
        parts = [(s.key, self.connection_field(total, p, size, s)) for s in fields]
        # one row even when nothing matches and nothing but the count is asked for
        return f"({prefix}SELECT {self.obj(parts)} FROM ({numbered}) {p} GROUP BY ())"

    def connection_field(self, total: str, p: str, size: str, s: Selection) -> str:
        if s.args:
            raise Unsupported(s.name)
        in_page = f"FILTER (WHERE {p}.rn <= {size})"
        listed = {
            "edges": lambda: self.edge(p, s.fields),
            "nodes": lambda: self.enterprise(p, s.fields, distance=False),
        }
        if s.name in listed:
            item = listed[s.name]()
            return f"coalesce(json_agg({item} ORDER BY {p}.uscc) {in_page}, '[]'::json)"
        if s.name == "totalCount":
            return total
        if s.name == "pageInfo":
            return self.page_info(p, size, in_page, s.fields)
        if s.name == "__typename":
            return self.typename("EnterpriseConnection")
        raise Unsupported(s.name)

    def edge(self, p: str, fields: tuple[Selection, ...]) -> str:
        parts = {
            "cursor": lambda s: CURSOR.format(p=p),
            "node": lambda s: self.enterprise(p, s.fields, distance=False),
            "__typename": lambda s: self.typename("EnterpriseEdge"),
        }
        return self.obj([(s.key, self.pick(parts, s)) for s in fields])

    def page_info(self, p: str, size: str, in_page: str, fields: tuple[Selection, ...]) -> str:
        cursor = CURSOR.format(p=p)
        parts = {
            "hasNextPage": lambda s: f"count(*) > {size}",
            "endCursor": lambda s: f"(array_agg({cursor} ORDER BY {p}.uscc DESC) {in_page})[1]",
            "__typename": lambda s: self.typename("PageInfo"),
        }
        return self.obj([(s.key, self.pick(parts, s)) for s in fields])

    def pick(self, parts: Mapping[str, Callable[[Selection], str]], s: Selection) -> str:
        if s.name not in parts or s.args:
            raise Unsupported(s.name)
        return parts[s.name](s)

    # other roots

    def point(self, s: Selection) -> str:
        try:
            lon, lat = checked_point(float(s.args["lon"]), float(s.args["lat"]), "lon/lat")
        except (KeyError, TypeError, ValueError, ParkgridError) as exc:
            raise Unsupported("point") from exc
        return f"ST_SetSRID(ST_MakePoint({self.bind(lon)}, {self.bind(lat)}), 4326)"

    def locate(self, s: Selection) -> str:
        only(s, "lon", "lat")
        hits = {"grid": "grid_hit", "zone": "zone_hit", "park": "park_hit"}
        parts = [(f.key, self.locate_field(f, hits)) for f in s.fields]
        return f"({located(self.point(s))} SELECT {self.obj(parts)})"

    def locate_field(self, f: Selection, hits: dict[str, str]) -> str:
        if f.name == "__typename":
            return self.typename("Location")
        if f.name not in hits or f.args:
            raise Unsupported(f.name)
        return self.area_by_id(f.name, f"(SELECT id FROM {hits[f.name]})", f.fields)  # type: ignore[arg-type]

    def nearest(self, s: Selection) -> str:
        only(s, "lon", "lat", "k")
        k = s.args.get("k", 10)
        if not isinstance(k, int) or not 1 <= k <= self.max_page:
            raise Unsupported("k")
        reference = f"({self.point(s)})::geography"
        candidates = self.bind(knn_candidates(k), "integer")
        ranked = nearest_sql("e.*", reference, candidates, self.bind(k, "integer"))
        n = self.alias("n")
        item = self.enterprise(n, s.fields, distance=True)
        listed = f"coalesce(json_agg({item} ORDER BY {n}.distance_m, {n}.uscc), '[]'::json)"
        return f"(SELECT {listed} FROM ({ranked}) {n})"

    def enterprises(self, s: Selection) -> str:
        only(s, "filter", "first", "after", "orderBy")
        order = s.args.get("orderBy", "CODE")
        if s.args.get("after") is not None or getattr(order, "name", order) != "CODE":
            raise Unsupported("ordering")
        where = self.enterprise_filter(s.args.get("filter"))
        conditions = where.where()
        self.params.update(conditions.params)
        bounded = where.bbox is not None
        return self.connection(conditions.text(), self.first(s), s.fields, bounded)

    def enterprise_filter(self, raw: Any) -> EnterpriseFilter:
        if self.filtered or (raw is not None and not isinstance(raw, dict)):
            raise Unsupported("filter")
        self.filtered, given = True, dict(raw or {})
        bbox = given.pop("bbox", None)
        if set(given) - set(FILTER_KEYS):
            raise Unsupported("filter")
        if given.get("withoutLiaison") is not None and not self.staff:
            raise Unsupported("withoutLiaison")  # executed as usual: FORBIDDEN
        try:
            box = checked_bbox(bbox, "filter.bbox")
        except ParkgridError as exc:
            raise Unsupported("bbox") from exc
        values = {FILTER_KEYS[key]: value for key, value in given.items()}
        values["search"] = values.get("search") or None
        return EnterpriseFilter(bbox=box, **values)


ROOTS: dict[str, Callable[[Compiler, Selection], str]] = {
    "grid": lambda c, s: c.area_root("grid", s),
    "zone": lambda c, s: c.area_root("zone", s),
    "park": lambda c, s: c.area_root("park", s),
    "locate": Compiler.locate,
    "nearestEnterprises": Compiler.nearest,
    "enterprises": Compiler.enterprises,
    "__typename": lambda c, s: c.typename("Query"),
}


@dataclass(frozen=True)
class Plan:
    sql: str
    params: dict[str, Any]
    preparable: bool


def compile_request(
    fields: tuple[Selection, ...], default_page: int, max_page: int, today: date,
    staff: bool = True,
) -> Plan:  # fmt: skip
    """The SQL and parameters of the whole answer; raises Unsupported. Filtered lists are
    planned afresh each time (a generic plan cannot know how much a box or a search picks)."""
    compiler = Compiler(default_page=default_page, max_page=max_page, today=today, staff=staff)
    sql = driver_sql(compiler.request(fields))
    return Plan(sql, compiler.params, preparable=not compiler.filtered)


def run(conn: Connection, plan: Plan) -> str:
    if plan.preparable:
        return str(execute_scalar(conn, plan.sql, plan.params))
    return str(conn.exec_driver_sql(plan.sql, plan.params).scalar_one())
