"""OGC API – Features collections: each a small dataclass of SQL fragments, and one prepared
statement per request that builds the whole answer (a FeatureCollection with its count and
links, or one Feature) as JSON in PostgreSQL, sent on as PostgreSQL wrote it.

The matching rows are counted and paged by their feature id in the same statement, so
`numberMatched` and the page come from one snapshot (the GiST index finds a bbox's rows);
counts and codes are computed for the page's rows only. Values are always bound; the SQL text
depends only on the collection, whether there is a bbox and which properties are filtered, so a
connection prepares a handful of statements. Reads go through the scoped views, so a feature
holds only what the caller may see (an issue's title is null for anonymous callers)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from geo.sql import geojson
from parkgrid.errors import InvalidInput
from parkgrid.prepared import execute_scalar
from parkgrid.vocabulary import ISSUE_CATEGORIES, OPEN_STATUSES, SEVERITIES
from resolvers.filters import BBox
from resolvers.reads.sql import driver_sql
from resolvers.scope import (
    OPEN_ISSUE,
    area_enterprise_count,
    area_issue_counts,
    open_issue_count,
    overdue,
)

PRECISION = 7  # decimal places of coordinates: about a centimetre
DEFAULT_LIMIT, MAX_LIMIT = 10, 1000
ENVELOPE = "ST_MakeEnvelope(%(w)s, %(s)s, %(e)s, %(n)s, 4326)"
TIMESTAMP = """to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"""


def boolean(raw: str) -> bool:
    if raw not in ("true", "false"):
        raise ValueError(raw)
    return raw == "true"


@dataclass(frozen=True)
class Filter:
    """A property filter: `condition` compares with the value bound at `{p}`."""

    condition: str
    parse: Callable[[str], Any] = str
    values: tuple[str, ...] = ()
    """The vocabulary of a closed filter: anything else is refused, not answered with
    nothing."""

    def parsed(self, raw: str) -> Any:
        if self.values and raw not in self.values:
            raise ValueError(raw)
        return self.parse(raw)


@dataclass(frozen=True, eq=False)  # compared and cached by identity: one of COLLECTIONS
class Collection:
    """A collection's rows are `matched` meeting `base`; a row carries `columns` (plus its
    feature id `fid` and geometry `geom`) into `k`, whose `joins` and `properties` read them."""

    id: str
    title: str
    description: str
    matched: str  # FROM clause of the collection's rows
    base: str  # the condition every row of the collection meets
    key: str  # the feature id: the page order, `id` and the path's {featureId}
    geometry: str
    point: bool
    columns: str  # what a row carries to the page `k`
    joins: str  # from `k` to what its properties read besides
    properties: str  # json_build_object arguments over `k` and `joins`
    filters: Mapping[str, Filter] = field(default_factory=dict)
    numeric_id: bool = False

    @property
    def carried(self) -> str:
        return f"{self.key} AS fid, {self.geometry} AS geom, {self.columns}"

    def where(self, bbox: bool, filters: tuple[str, ...]) -> str:
        conditions = [self.base]
        if bbox and self.point:
            conditions.append(
                f"{self.geometry} && {ENVELOPE}"
                f" AND ST_X({self.geometry}) BETWEEN %(w)s AND %(e)s"
                f" AND ST_Y({self.geometry}) BETWEEN %(s)s AND %(n)s"
            )
        elif bbox:
            conditions.append(f"ST_Intersects({self.geometry}, {ENVELOPE})")
        conditions += [self.filters[name].condition.format(p=f"%(f_{name})s") for name in filters]
        return " AND ".join(conditions)

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


def feature_json(collection: Collection, links: str = "") -> str:
    return (
        f"json_build_object('type', 'Feature', 'id', k.fid,"
        f" 'geometry', {driver_sql(geojson('k.geom'))},"
        f" 'properties', json_build_object({collection.properties}){links})"
    )


def area_counts(grids: str) -> tuple[str, str]:
    """The join counting the grids' issues, and the count properties of an area."""
    return area_issue_counts(grids), (
        f"'enterprises', {area_enterprise_count(grids)},"
        " 'open_issues', ic.open_issues, 'overdue_issues', ic.overdue_issues"
    )


ZONE_COUNTS = area_counts("SELECT g.id FROM grid g WHERE g.zone_id = k.id")
GRID_COUNTS = area_counts("k.id")


GRID_CODE = Filter("e.grid_id = (SELECT gc.id FROM grid gc WHERE gc.code = {p})")
GRID_OF_K = "LEFT JOIN grid g ON g.id = k.grid_id"
ISSUE_COUNT = open_issue_count("k.id")

COLLECTIONS = {
    c.id: c
    for c in (
        Collection(
            "zones", "Zones (片区)", "The park's zones with their counts of enterprises,"
            " open issues and overdue issues (open past their due date, park time).",
            "zone z", "TRUE", "z.code", "z.boundary", False,
            "z.id, z.code, z.name, z.park_id",
            f"JOIN park pk ON pk.id = k.park_id {ZONE_COUNTS[0]}",
            f"'code', k.code, 'name', k.name, 'park_code', pk.code, {ZONE_COUNTS[1]}",
            {"code": Filter("z.code = {p}"), "name": Filter("z.name = {p}"),
             "park_code": Filter("z.park_id = (SELECT pc.id FROM park pc WHERE pc.code = {p})")},
        ),
        Collection(
            "grids", "Grids (网格)", "The zones' grids with their counts of enterprises,"
            " open issues and overdue issues (open past their due date, park time).",
            "grid g", "TRUE", "g.code", "g.boundary", False,
            "g.id, g.code, g.name, g.zone_id", f"JOIN zone z ON z.id = k.zone_id {GRID_COUNTS[0]}",
            f"'code', k.code, 'name', k.name, 'zone_code', z.code, {GRID_COUNTS[1]}",
            {"code": Filter("g.code = {p}"), "name": Filter("g.name = {p}"),
             "zone_code": Filter("g.zone_id = (SELECT zc.id FROM zone zc WHERE zc.code = {p})")},
        ),
        Collection(
            "enterprises", "Enterprises", "Enterprises by their Unified Social Credit Code,"
            " with their grid and their count of open issues.",
            "enterprise e", "TRUE", "e.uscc", "e.location", True,
            "e.id, e.uscc, e.name, e.industry, e.address, e.grid_id", GRID_OF_K,
            "'uscc', k.uscc, 'name', k.name, 'industry', k.industry, 'address', k.address,"
            f" 'grid_code', g.code, 'open_issues', {ISSUE_COUNT}",
            {"uscc": Filter("e.uscc = {p}"), "name": Filter("e.name = {p}"),
             "industry": Filter("e.industry = {p}"), "address": Filter("e.address = {p}"),
             "grid_code": GRID_CODE},
        ),
        Collection(
            "issues", "Open issues", "Open issues (not closed or rejected) at their"
            " enterprise's location; titles only for signed-in callers.",
            "issue i JOIN enterprise e ON e.id = i.enterprise_id", OPEN_ISSUE, "i.id",
            "e.location", True,
            "i.id, i.status, i.category, i.severity, i.due_date, i.title, e.uscc, e.grid_id",
            GRID_OF_K,
            "'id', k.id, 'status', k.status, 'category', k.category, 'severity', k.severity,"
            f" 'due_date', CAST(k.due_date AS text), 'overdue', {overdue('k')},"
            " 'title', k.title, 'uscc', k.uscc, 'grid_code', g.code",
            {"status": Filter("i.status = {p}", values=OPEN_STATUSES),
             "category": Filter("i.category = {p}", values=ISSUE_CATEGORIES),
             "severity": Filter("i.severity = {p}", values=SEVERITIES),
             "uscc": Filter("e.uscc = {p}"),
             "grid_code": GRID_CODE, "overdue": Filter(f"{overdue('i')} = {{p}}", boolean)},
            numeric_id=True,
        ),
    )
}  # fmt: skip


@dataclass(frozen=True)
class ItemsQuery:
    bbox: BBox | None = None
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    filters: tuple[tuple[str, Any], ...] = ()


def checked_filter(collection: Collection, name: str, raw: str) -> tuple[str, Any]:
    found = collection.filters.get(name)
    if found is None:
        raise InvalidInput(f"unknown parameter {name!r}", field=name)
    try:
        if "\x00" in raw:  # PostgreSQL text cannot hold it
            raise ValueError(raw)
        return name, found.parsed(raw)
    except ValueError:
        hint = f" (one of: {', '.join(found.values)})" if found.values else ""
        raise InvalidInput(f"{raw!r} is not a valid value of {name}{hint}", field=name) from None


PAGE = "LIMIT CAST(%(limit)s AS bigint) OFFSET CAST(%(offset)s AS bigint)"


def page_rows(collection: Collection, where: str, bbox: bool) -> tuple[str, str]:
    """The page `k` and the count `m`. A bbox's rows are found once and kept (the page is a
    top-N of them); without one, the page comes in key order from the key's index and the
    count is taken apart, so paging a large collection never sorts it."""
    c = collection
    if bbox:
        return (
            f"hit AS MATERIALIZED (SELECT {c.carried} FROM {c.matched} WHERE {where}),"
            f" k AS (SELECT * FROM hit ORDER BY fid {PAGE})",
            "(SELECT count(*) AS n FROM hit) m",
        )
    return (
        f"k AS (SELECT {c.carried} FROM {c.matched} WHERE {where} ORDER BY {c.key} {PAGE})",
        f"(SELECT count(*) AS n FROM {c.matched} WHERE {where}) m",
    )


@cache
def items_statement(collection: Collection, bbox: bool, filters: tuple[str, ...]) -> str:
    page, count = page_rows(collection, collection.where(bbox, filters), bbox)
    return f"""WITH {page}
SELECT json_build_object(
    'type', 'FeatureCollection',
    'numberMatched', m.n,
    'numberReturned', (SELECT count(*) FROM k),
    'timeStamp', {TIMESTAMP},
    'links', (SELECT json_agg(l.link ORDER BY l.n) FROM (VALUES
        (1, CAST(%(self)s AS json)), (2, CAST(%(collection)s AS json)),
        (3, CAST(%(prev)s AS json)),
        (4, CASE WHEN CAST(%(offset)s AS bigint) + CAST(%(limit)s AS bigint) < m.n
                 THEN CAST(%(next)s AS json) END)) AS l(n, link) WHERE l.link IS NOT NULL),
    'features', coalesce(
        (SELECT json_agg({feature_json(collection)} ORDER BY k.fid) FROM k {collection.joins}),
        CAST('[]' AS json))
)::text
FROM {count}"""


@cache
def feature_statement(collection: Collection) -> str:
    """One row always: the feature's JSON text, or null when there is no such feature."""
    c = collection
    links = ", 'links', json_build_array(CAST(%(self)s AS json), CAST(%(collection)s AS json))"
    return f"""SELECT (SELECT {feature_json(c, links)}::text
FROM (SELECT {c.carried} FROM {c.matched} WHERE {c.base} AND {c.key} = %(fid)s) k {c.joins})"""


def items(
    conn: Connection, collection: Collection, query: ItemsQuery, links: Mapping[str, str | None],
    today: date,
) -> str:  # fmt: skip
    """The FeatureCollection of a page of the collection's features, as JSON text; `links`
    holds the self, collection, prev and next links (next is kept only when more remain)."""
    params: dict[str, Any] = {
        "limit": query.limit, "offset": query.offset, "today": today, "precision": PRECISION,
        **links, **{f"f_{name}": value for name, value in query.filters},
    }  # fmt: skip
    if query.bbox is not None:
        params.update(zip("wsen", query.bbox, strict=True))
    names = tuple(sorted(name for name, _ in query.filters))
    statement = items_statement(collection, query.bbox is not None, names)
    return str(execute_scalar(conn, statement, params))


def feature(
    conn: Connection, collection: Collection, fid: Any, links: Mapping[str, str], today: date
) -> str | None:
    """One feature with its links as JSON text, or None when the collection has no such id."""
    params = {"fid": fid, "today": today, "precision": PRECISION, **links}
    found = execute_scalar(conn, feature_statement(collection), params)
    return None if found is None else str(found)


def extent_sql(collection: Collection) -> str:
    c = collection
    box = f"(SELECT ST_Extent({c.geometry}) FROM {c.matched} WHERE {c.base})"
    return (
        f"(SELECT ARRAY[ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b)]"
        f" FROM {box} s(b) WHERE b IS NOT NULL)"
    )


def extents(conn: Connection, names: tuple[str, ...]) -> dict[str, list[float] | None]:
    """Each named collection's bounding box (west, south, east, north) over all its
    features, or None when it has none; one statement."""
    columns = ", ".join(extent_sql(COLLECTIONS[name]) for name in names)
    row = conn.execute(text(f"SELECT {columns}")).one()
    boxes = zip(names, row, strict=True)
    return {name: None if box is None else [float(v) for v in box] for name, box in boxes}
