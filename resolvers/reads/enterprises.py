"""Enterprises: lookups by id (for the writes), orderings, distance and nearest by KNN."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from sqlalchemy import text
from sqlalchemy.engine import Connection

from geo import sql as geosql
from parkgrid.errors import InvalidInput
from resolvers.filters import EnterpriseFilter
from resolvers.records import EnterpriseRecord, record

COLUMNS = (
    "e.id, e.uscc, e.name, e.industry, e.address,"
    " ST_X(e.location) AS lon, ST_Y(e.location) AS lat, e.grid_id"
)
Ordering = Literal["code", "name", "distance"]
REFERENCE = f"{geosql.bound_point('f_lon', 'f_lat')}::geography"


def distance(reference: str, alias: str = "e") -> str:
    """Geodesic distance of the enterprise (aliased `alias`) from a geography."""
    return f"ST_Distance({alias}.location::geography, {reference})"


KNN_SLACK = 16


Order = tuple[tuple[str, str], ...]
"""An ordering: the sort columns of an enterprise listing's rows with their SQL types, the
last one unique (the cursor is their values)."""

ORDERS: dict[Ordering, Order] = {
    "code": (("uscc", "text"),),
    "name": (("name", "text"), ("uscc", "text")),
    "distance": (("distance_m", "float8"), ("uscc", "text")),
}


def by_field(conn: Connection, field: str, values: Sequence[object]) -> list[EnterpriseRecord]:
    query = f"SELECT {COLUMNS} FROM enterprise e WHERE e.{field} = ANY(:values)"
    rows = conn.execute(text(query), {"values": list(values)})
    return [record(EnterpriseRecord, row) for row in rows]


def by_ids(conn: Connection, ids: Sequence[int]) -> dict[int, EnterpriseRecord]:
    return {e.id: e for e in by_field(conn, "id", ids)}


def checked_order(where: EnterpriseFilter, ordering: Ordering) -> Order:
    if ordering == "distance" and where.near is None:
        raise InvalidInput("DISTANCE needs a `near` filter for its reference point", "orderBy")
    return ORDERS[ordering]


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
