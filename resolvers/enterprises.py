"""Enterprises: lookups, filtered and ordered pages (alone or per area), nearest by KNN."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import text
from sqlalchemy.engine import Connection

from geo import sql as geosql
from parkgrid.errors import InvalidInput
from resolvers.filters import Conditions, EnterpriseFilter
from resolvers.pagination import Page, PageRequest, SortKey, make_page, require_key_types
from resolvers.records import AreaKind, EnterpriseRecord, record
from resolvers.scope import AREA_KEYS, grids_under

COLUMNS = (
    "e.id, e.uscc, e.name, e.industry, e.address,"
    " ST_X(e.location) AS lon, ST_Y(e.location) AS lat, e.grid_id"
)
Ordering = Literal["code", "name", "distance"]
REFERENCE = f"{geosql.bound_point('f_lon', 'f_lat')}::geography"
DISTANCE = f"ST_Distance(e.location::geography, {REFERENCE})"
KNN_SLACK = 16


@dataclass(frozen=True)
class Order:
    columns: tuple[str, ...]
    key: Callable[[EnterpriseRecord], SortKey]
    keys: tuple[tuple[str, str], ...]  # the same, as output columns of selected() and types


ORDERS: dict[Ordering, Order] = {
    "code": Order(("e.uscc",), lambda e: (e.uscc,), (("uscc", "text"),)),
    "name": Order(
        ("e.name", "e.uscc"), lambda e: (e.name, e.uscc), (("name", "text"), ("uscc", "text"))
    ),
    "distance": Order(
        (DISTANCE, "e.uscc"),
        lambda e: (e.distance_m or 0.0, e.uscc),
        (("distance_m", "float8"), ("uscc", "text")),
    ),
}


def by_field(conn: Connection, field: str, values: Sequence[object]) -> list[EnterpriseRecord]:
    query = f"SELECT {COLUMNS} FROM enterprise e WHERE e.{field} = ANY(:values)"
    rows = conn.execute(text(query), {"values": list(values)})
    return [record(EnterpriseRecord, row) for row in rows]


def by_usccs(conn: Connection, usccs: Sequence[str]) -> dict[str, EnterpriseRecord]:
    return {e.uscc: e for e in by_field(conn, "uscc", usccs)}


def by_ids(conn: Connection, ids: Sequence[int]) -> dict[int, EnterpriseRecord]:
    return {e.id: e for e in by_field(conn, "id", ids)}


def checked_order(where: EnterpriseFilter, ordering: Ordering) -> Order:
    if ordering == "distance" and where.near is None:
        raise InvalidInput("DISTANCE needs a `near` filter for its reference point", "orderBy")
    return ORDERS[ordering]


def ordered(where: EnterpriseFilter, ordering: Ordering, request: PageRequest) -> Conditions:
    """The filter's conditions plus the keyset condition of the ordering."""
    order = checked_order(where, ordering)
    require_key_types(request, [kind for _, kind in order.keys])
    conditions = where.where()
    if request.after is not None:
        names = [f"k{n}" for n in range(len(order.columns))]
        placeholders = ", ".join(f":{name}" for name in names)
        keyset = f"({', '.join(order.columns)}) > ({placeholders})"
        conditions.add(keyset, **dict(zip(names, request.after, strict=True)))
    return conditions


def selected(where: EnterpriseFilter) -> str:
    distance = DISTANCE if where.near is not None else "NULL::float8"
    return f"{COLUMNS}, {distance} AS distance_m"


def search(
    conn: Connection, where: EnterpriseFilter, ordering: Ordering, request: PageRequest
) -> Page[EnterpriseRecord]:
    conditions = ordered(where, ordering, request)
    order = ORDERS[ordering]
    query = (
        f"SELECT {selected(where)} FROM enterprise e WHERE {conditions.text()}"
        f" ORDER BY {', '.join(order.columns)} LIMIT :limit"
    )
    rows = conn.execute(text(query), {**conditions.params, "limit": request.limit})
    return make_page([record(EnterpriseRecord, row) for row in rows], request, order.key)


def count(conn: Connection, where: EnterpriseFilter) -> int:
    conditions = where.where()
    query = f"SELECT count(*) FROM enterprise e WHERE {conditions.text()}"
    return int(conn.execute(text(query), conditions.params).scalar_one())


def pages_in_areas(
    conn: Connection,
    kind: AreaKind,
    where: EnterpriseFilter,
    ordering: Ordering,
    request: PageRequest,
    ids: Sequence[int],
) -> dict[int, Page[EnterpriseRecord]]:
    """One statement for the same page of every area: a lateral index scan per area."""
    conditions = ordered(where, ordering, request)
    order = ORDERS[ordering]
    query = f"""
        WITH scope AS ({grids_under(kind)})
        SELECT k.area_id, page.* FROM {AREA_KEYS}
        CROSS JOIN LATERAL (
            SELECT {selected(where)} FROM enterprise e
            WHERE e.grid_id IN (SELECT s.grid_id FROM scope s WHERE s.area_id = k.area_id)
              AND {conditions.text()}
            ORDER BY {", ".join(order.columns)} LIMIT :limit
        ) AS page
    """
    params = {**conditions.params, "ids": list(ids), "limit": request.limit}
    grouped: dict[int, list[EnterpriseRecord]] = defaultdict(list)
    for row in conn.execute(text(query), params):
        grouped[row.area_id].append(record(EnterpriseRecord, row))
    return {area_id: make_page(grouped[area_id], request, order.key) for area_id in ids}


def nearest_sql(columns: str, reference: str, candidates: str, k: str) -> str:
    """The k nearest by the geography index (sphere), re-ranked on the spheroid."""
    distance = f"ST_Distance(e.location::geography, {reference})"
    return f"""
        SELECT * FROM (
            SELECT {columns}, {distance} AS distance_m FROM enterprise e
            ORDER BY e.location::geography <-> {reference} LIMIT {candidates}
        ) AS candidate
        ORDER BY distance_m, uscc LIMIT {k}
    """


def knn_candidates(k: int) -> int:
    return k + k // 2 + KNN_SLACK


NEAREST = nearest_sql(COLUMNS, REFERENCE, ":candidates", ":k")


def nearest(conn: Connection, lon: float, lat: float, k: int) -> list[EnterpriseRecord]:
    """The k nearest by the geography index (sphere), re-ranked on the spheroid."""
    params = {"f_lon": lon, "f_lat": lat, "k": k, "candidates": knn_candidates(k)}
    return [record(EnterpriseRecord, row) for row in conn.execute(text(NEAREST), params)]
