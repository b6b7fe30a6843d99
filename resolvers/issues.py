"""Issues (the ledger) and visits, paged per area or per enterprise."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.engine import Connection

from resolvers.filters import IssueFilter
from resolvers.pagination import Page, PageRequest, int_key, make_page
from resolvers.records import AreaKind, IssueRecord, VisitRecord, record
from resolvers.scope import AREA_KEYS, OPEN_ISSUE, grids_under

ISSUE_COLUMNS = (
    "i.id, i.enterprise_id, i.category, i.title, i.description, i.severity, i.status,"
    " i.reporter_id, i.assignee_id, i.responsible_unit, i.due_date, i.rejection_reason,"
    " i.reported_at, i.updated_at, i.resolved_at, i.closed_at, i.version"
)
VISIT_COLUMNS = "v.id, v.cadre_id, v.enterprise_id, v.visited_at, v.duties, v.note"


def by_ids(conn: Connection, ids: Sequence[int]) -> dict[int, IssueRecord]:
    query = f"SELECT {ISSUE_COLUMNS} FROM issue i WHERE i.id = ANY(:ids)"
    return {
        row.id: record(IssueRecord, row) for row in conn.execute(text(query), {"ids": list(ids)})
    }


def grouped_pages(
    rows: Sequence[IssueRecord | VisitRecord],
    owners: Sequence[int],
    owner_of: dict[int, int],
    request: PageRequest,
) -> dict[int, Page[IssueRecord | VisitRecord]]:
    grouped: dict[int, list[IssueRecord | VisitRecord]] = defaultdict(list)
    for row in rows:
        grouped[owner_of[row.id]].append(row)
    return {owner: make_page(grouped[owner], request, key=lambda r: (r.id,)) for owner in owners}


def open_pages_in_areas(
    conn: Connection, kind: AreaKind, request: PageRequest, ids: Sequence[int]
) -> dict[int, Page[IssueRecord]]:
    """Open issues of each area's enterprises, oldest first, one statement for all areas."""
    query = f"""
        WITH scope AS ({grids_under(kind)})
        SELECT k.area_id, page.* FROM {AREA_KEYS}
        CROSS JOIN LATERAL (
            SELECT {ISSUE_COLUMNS} FROM issue i JOIN enterprise e ON e.id = i.enterprise_id
            WHERE e.grid_id IN (SELECT s.grid_id FROM scope s WHERE s.area_id = k.area_id)
              AND {OPEN_ISSUE} AND (CAST(:after AS bigint) IS NULL OR i.id > :after)
            ORDER BY i.id LIMIT :limit
        ) AS page
        ORDER BY k.area_id, page.id
    """
    params = {"ids": list(ids), "after": int_key(request), "limit": request.limit}
    rows = list(conn.execute(text(query), params))
    issues = [record(IssueRecord, row) for row in rows]
    owner_of = {row.id: row.area_id for row in rows}
    return grouped_pages(issues, ids, owner_of, request)  # type: ignore[return-value]


def pages_of_enterprises(
    conn: Connection, table: str, request: PageRequest, ids: Sequence[int]
) -> dict[int, Page[IssueRecord | VisitRecord]]:
    """Issues or visits of each enterprise, newest first."""
    alias, columns, cls = SOURCES[table]
    query = f"""
        SELECT page.* FROM {AREA_KEYS}
        CROSS JOIN LATERAL (
            SELECT {columns} FROM {table} {alias}
            WHERE {alias}.enterprise_id = k.area_id
              AND (CAST(:after AS bigint) IS NULL OR {alias}.id < :after)
            ORDER BY {alias}.id DESC LIMIT :limit
        ) AS page
    """
    params = {"ids": list(ids), "after": int_key(request), "limit": request.limit}
    rows = [record(cls, row) for row in conn.execute(text(query), params)]
    owner_of = {row.id: row.enterprise_id for row in rows}
    return grouped_pages(rows, ids, owner_of, request)


def counts_of_enterprises(conn: Connection, table: str, ids: Sequence[int]) -> dict[int, int]:
    query = (
        f"SELECT enterprise_id, count(*) AS n FROM {table}"
        " WHERE enterprise_id = ANY(:ids) GROUP BY 1"
    )
    counts = {
        row.enterprise_id: int(row.n) for row in conn.execute(text(query), {"ids": list(ids)})
    }
    return {owner: counts.get(owner, 0) for owner in ids}


SOURCES: dict[str, tuple[str, str, type[IssueRecord] | type[VisitRecord]]] = {
    "issue": ("i", ISSUE_COLUMNS, IssueRecord),
    "visit": ("v", VISIT_COLUMNS, VisitRecord),
}


def search(conn: Connection, where: IssueFilter, request: PageRequest) -> Page[IssueRecord]:
    """Issues matching the filter, newest first."""
    conditions = where.where()
    after = int_key(request)
    if after is not None:
        conditions.add("i.id < :after", after=after)
    query = f"""
        SELECT {ISSUE_COLUMNS} FROM issue i JOIN enterprise e ON e.id = i.enterprise_id
        WHERE {conditions.text()} ORDER BY i.id DESC LIMIT :limit
    """
    rows = conn.execute(text(query), {**conditions.params, "limit": request.limit})
    return make_page([record(IssueRecord, row) for row in rows], request, key=lambda i: (i.id,))


def count(conn: Connection, where: IssueFilter) -> int:
    conditions = where.where()
    query = f"""
        SELECT count(*) FROM issue i JOIN enterprise e ON e.id = i.enterprise_id
        WHERE {conditions.text()}
    """
    return int(conn.execute(text(query), conditions.params).scalar_one())
