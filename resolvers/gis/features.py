"""OGC API – Features collections (the map's layers, resolvers.gis.layers), and one prepared
statement per request that builds the whole answer (a FeatureCollection with its count and
links, or one Feature) as JSON in PostgreSQL, sent on as PostgreSQL wrote it.

The matching rows are counted and paged by their feature id in the same statement, so
`numberMatched` and the page come from one snapshot (the GiST index finds a bbox's rows);
counts and codes are computed for the page's rows only. Values are always bound; the SQL text
depends only on the collection, whether there is a bbox and which properties are filtered, so a
connection prepares a handful of statements. Reads go through the scoped views, so a feature
holds only what the caller may see (an issue's title is null for anonymous callers)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from geo.sql import geojson
from parkgrid.errors import InvalidInput
from parkgrid.prepared import execute_scalar
from resolvers.filters import BBox
from resolvers.gis.layers import LAYERS, Layer, values_of
from resolvers.reads.sql import driver_sql, json_object

PRECISION = 7  # decimal places of coordinates: about a centimetre
DEFAULT_LIMIT, MAX_LIMIT = 10, 1000
ENVELOPE = "ST_MakeEnvelope(%(w)s, %(s)s, %(e)s, %(n)s, 4326)"
TIMESTAMP = """to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"""


Collection = Layer
"""An OGC collection is one of the map's layers (resolvers.gis.layers)."""
COLLECTIONS = LAYERS


def carried(c: Collection) -> str:
    """What a matched row carries to the page `k`: its feature id, geometry and row id (the
    properties are read from the row itself, for the page's rows only)."""
    return f"{c.key} AS fid, {c.geometry} AS geom, t.id AS rid"


def where(c: Collection, bbox: bool, filters: tuple[str, ...]) -> str:
    conditions = [c.base]
    if bbox and c.point:
        conditions.append(
            f"{c.geometry} && {ENVELOPE}"
            f" AND ST_X({c.geometry}) BETWEEN %(w)s AND %(e)s"
            f" AND ST_Y({c.geometry}) BETWEEN %(s)s AND %(n)s"
        )
    elif bbox:
        conditions.append(f"ST_Intersects({c.geometry}, {ENVELOPE})")
    conditions += [c.filters[name].condition.format(p=f"%(f_{name})s") for name in filters]
    return " AND ".join(conditions)


def feature_json(collection: Collection, links: str = "") -> str:
    """A feature of the page row `k` and its row `t`."""
    properties = json_object(values_of(collection))
    return (
        f"json_build_object('type', 'Feature', 'id', k.fid,"
        f" 'geometry', {driver_sql(geojson('k.geom'))}, 'properties', {properties}{links})"
    )


def with_rows(collection: Collection) -> str:
    """The page's rows `k` joined to the rows `t` they stand for (and what `t` joins)."""
    return f"k JOIN {collection.table} t ON t.id = k.rid {collection.joins}".rstrip()


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
            f"hit AS MATERIALIZED (SELECT {carried(c)} FROM {c.matched} WHERE {where}),"
            f" k AS (SELECT * FROM hit ORDER BY fid {PAGE})",
            "(SELECT count(*) AS n FROM hit) m",
        )
    return (
        f"k AS (SELECT {carried(c)} FROM {c.matched} WHERE {where} ORDER BY {c.key} {PAGE})",
        f"(SELECT count(*) AS n FROM {c.matched} WHERE {where}) m",
    )


@cache
def items_statement(collection: Collection, bbox: bool, filters: tuple[str, ...]) -> str:
    page, count = page_rows(collection, where(collection, bbox, filters), bbox)
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
        (SELECT json_agg({feature_json(collection)} ORDER BY k.fid) FROM {with_rows(collection)}),
        CAST('[]' AS json))
)::text
FROM {count}"""


@cache
def feature_statement(collection: Collection) -> str:
    """One row always: the feature's JSON text, or null when there is no such feature."""
    c = collection
    links = ", 'links', json_build_array(CAST(%(self)s AS json), CAST(%(collection)s AS json))"
    return f"""SELECT (SELECT {feature_json(c, links)}::text
FROM (SELECT {carried(c)} FROM {c.matched} WHERE {c.base} AND {c.key} = %(fid)s) {with_rows(c)})"""


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
