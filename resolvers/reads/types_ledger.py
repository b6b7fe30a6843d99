"""Issue, Visit and Event (the ledger), Cadre and Assignment: each field's SQL."""

from __future__ import annotations

from parkgrid.vocabulary import held_at
from resolvers.reads.compiler import (
    Compiler,
    FieldSql,
    Listing,
    column,
    fields_of,
    identifier,
    related,
    timestamp,
    upper,
)
from resolvers.reads.selection import Selection
from resolvers.reads.types_enterprise import BY_ID, OF_ENTERPRISE, cadre, point
from resolvers.scope import is_open, overdue


def events_of(subject: str) -> FieldSql:
    def compiled(c: Compiler, t: str, s: Selection) -> str:
        source = f"SELECT v.* FROM event v WHERE v.subject = '{subject}' AND v.subject_id = {t}.id"
        return c.many(Listing("Event", source, BY_ID), s)

    return compiled


def check_in_distance(t: str) -> str:
    return (
        f"(SELECT ST_Distance({t}.check_in::geography, e.location::geography)"
        f" FROM enterprise e WHERE e.id = {t}.enterprise_id)"
    )


def assignments(c: Compiler, t: str, s: Selection) -> str:
    current = held_at("a", c.bind(s.arg("at") or c.now, "timestamptz"))
    source = f"SELECT a.* FROM assignment a WHERE a.cadre_id = {t}.id AND {current}"
    return c.many(Listing("Assignment", source, (("role", "text"), ("id", "bigint"))), s)


fields_of("Issue").update({
    "id": identifier(),
    "category": upper("category"),
    "title": column("{t}.title"),
    "description": column("{t}.description"),
    "severity": upper("severity"),
    "status": upper("status"),
    "responsibleUnit": column("{t}.responsible_unit"),
    "dueDate": column("{t}.due_date"),
    "rejectionReason": column("{t}.rejection_reason"),
    "reportedAt": timestamp("reported_at"),
    "updatedAt": timestamp("updated_at"),
    "resolvedAt": timestamp("resolved_at"),
    "closedAt": timestamp("closed_at"),
    "version": column("{t}.version"),
    "overdue": lambda c, t, s: f"({is_open(t)} AND {overdue(t, c.bind(c.today, 'date'))})",
    "enterprise": OF_ENTERPRISE,
    "reporter": cadre("reporter_id"),
    "assignee": cadre("assignee_id"),
    "events": events_of("issue"),
})  # fmt: skip

fields_of("Visit").update({
    "id": identifier(),
    "visitedAt": timestamp("visited_at"),
    "duties": column(
        "(SELECT coalesce(json_agg(upper(u.duty) ORDER BY u.n), '[]'::json)"
        " FROM unnest({t}.duties) WITH ORDINALITY AS u(duty, n))"
    ),
    "note": column("{t}.note"),
    "cadre": cadre("cadre_id"),
    "enterprise": OF_ENTERPRISE,
    "checkIn": lambda c, t, s: (
        f"CASE WHEN {t}.check_in IS NULL THEN NULL ELSE {point(c, f'{t}.check_in', 6)} END"
    ),
    "checkInDistanceMeters": lambda c, t, s: check_in_distance(t),
    "checkInFlagged": lambda c, t, s: (
        f"coalesce({check_in_distance(t)} > {c.bind(c.check_in_tolerance_m, 'float8')}, false)"
    ),
})  # fmt: skip

fields_of("Event").update({
    "id": identifier(),
    "occurredAt": timestamp("occurred_at"),
    "subject": column("{t}.subject"),
    "action": column("{t}.action"),
    "changes": column("{t}.changes"),
    "note": column("{t}.note"),
    "actor": cadre("actor_id"),
})  # fmt: skip

fields_of("Cadre").update({
    "id": identifier(),
    "name": column("{t}.name"),
    "title": column("{t}.title"),
    "unit": column("{t}.unit"),
    "phone": column("{t}.phone"),
    "distanceMeters": column("{t}.distance_m"),
    "assignments": assignments,
})  # fmt: skip

fields_of("Assignment").update({
    "id": identifier(),
    "role": upper("role"),
    "validFrom": timestamp("valid_from"),
    "validTo": timestamp("valid_to"),
    "zone": related("Zone", "zone", "{r}.id = {t}.zone_id"),
    "grid": related("Grid", "grid", "{r}.id = {t}.grid_id"),
    "enterprise": OF_ENTERPRISE,
})  # fmt: skip


def cadres_at(c: Compiler, ids: list[int], distances: list[float | None], s: Selection) -> str:
    """Cadres in the order given, each at its distance (the rows nearestCadres ranks)."""
    given = f"unnest({c.bind(ids, 'bigint[]')}, {c.bind(distances, 'float8[]')})"
    source = (
        f"SELECT k.*, d.distance_m, d.n FROM {given} WITH ORDINALITY AS d(id, distance_m, n)"
        " JOIN cadre k ON k.id = d.id"
    )
    return c.many(Listing("Cadre", source, (("n", "bigint"),)), s)


def linked_issues(link: str, key: str) -> FieldSql:
    """The issues a link table (`link`: issue_id and `key`, the row's id) ties to the row."""

    def compiled(c: Compiler, t: str, s: Selection) -> str:
        source = (
            f"SELECT i.* FROM issue i JOIN {link} x ON x.issue_id = i.id WHERE x.{key} = {t}.id"
        )
        return c.many(Listing("Issue", source, BY_ID), s)

    return compiled
