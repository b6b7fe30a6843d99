"""Cadres and who serves what, at any moment of the assignment history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.engine import Connection

from parkgrid.vocabulary import held_at, role_rank
from resolvers.reads.enterprises import REFERENCE
from resolvers.records import AreaKind, CadreRecord, record
from resolvers.scope import CURRENT, grids_under, zones_over

COLUMNS = "c.id, c.name, c.title, c.unit, c.phone"
ASSIGNMENT_COLUMNS = (
    "a.id, a.cadre_id, a.role, a.zone_id, a.grid_id, a.enterprise_id, a.valid_from, a.valid_to"
)


ROLE_RANK = role_rank("{s}.role")  # a template: format it with the row alias s
ROLE_ORDER = ROLE_RANK + ", {s}.cadre_id"


def serving(kind: AreaKind, ids: str, at: str) -> str:
    """(area_id, cadre_id, role, targets): per area (ids: an SQL array), its zone lead(s),
    grid lead(s) and its enterprises' liaisons at the moment `at` (SQL)."""
    current = held_at("a", at)
    return f"""
        WITH grids AS ({grids_under(kind, ids)}), zones AS ({zones_over(kind, ids)})
        SELECT z.area_id, a.cadre_id, a.role, count(*) AS targets
        FROM zones z JOIN assignment a ON a.zone_id = z.zone_id
        WHERE a.role = 'zone_lead' AND {current} GROUP BY 1, 2, 3
        UNION ALL
        SELECT g.area_id, a.cadre_id, a.role, count(*)
        FROM grids g JOIN assignment a ON a.grid_id = g.grid_id
        WHERE a.role = 'grid_lead' AND {current} GROUP BY 1, 2, 3
        UNION ALL
        SELECT g.area_id, a.cadre_id, a.role, count(*)
        FROM grids g JOIN enterprise e ON e.grid_id = g.grid_id
        JOIN assignment a ON a.enterprise_id = e.id
        WHERE a.role = 'liaison' AND {current} GROUP BY 1, 2, 3
    """


NEAREST_SERVING = f"""
    WITH candidate AS (
        SELECT e.id, ST_Distance(e.location::geography, {REFERENCE}) AS distance_m,
               e.location::geography <-> {REFERENCE} AS sphere_m
        FROM enterprise e
        WHERE EXISTS (SELECT 1 FROM assignment a WHERE a.enterprise_id = e.id
                      AND a.role = 'liaison' AND {CURRENT})
        ORDER BY e.location::geography <-> {REFERENCE} LIMIT :n
    ), horizon AS (SELECT count(*) AS found, max(sphere_m) AS reach FROM candidate)
    SELECT {COLUMNS}, min(cand.distance_m) AS distance_m,
           (SELECT found FROM horizon) AS found, (SELECT reach FROM horizon) AS reach
    FROM candidate cand
    JOIN assignment a ON a.enterprise_id = cand.id AND a.role = 'liaison' AND {CURRENT}
    JOIN cadre c ON c.id = a.cadre_id
    GROUP BY c.id, c.name, c.title, c.unit, c.phone ORDER BY distance_m, c.id LIMIT :k
"""
SPHERE_MARGIN = 0.99  # sphere and spheroid distances differ by well under 1 %


def settled(rows: Sequence[Row[Any]], k: int, n: int) -> bool:
    """True when no cadre outside the n candidates can be nearer than the k-th found."""
    if not rows or rows[0].found < n:
        return True
    return len(rows) >= k and rows[k - 1].distance_m <= SPHERE_MARGIN * rows[0].reach


def nearest(conn: Connection, lon: float, lat: float, k: int, at: datetime) -> list[CadreRecord]:
    """The k cadres whose nearest served enterprise (as liaison) is nearest to the point."""
    n = max(64, 8 * k)
    while True:
        params = {"f_lon": lon, "f_lat": lat, "at": at, "n": n, "k": k}
        rows = conn.execute(text(NEAREST_SERVING), params).all()
        if settled(rows, k, n):
            return [record(CadreRecord, row) for row in rows]
        n *= 4
