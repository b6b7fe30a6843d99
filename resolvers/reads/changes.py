"""Live updates as reads: the SQL of the subscription payloads (IssueChange, VisitChange,
RegisterChange), of whether the caller may see an event's subject, and of the event log a
subscriber replays.

A payload is compiled over its event's row in `public.event` (every caller gets the event's
id and what its subject is now), while everything it names is read through the scoped views
as the subscriber, as any query reads it: `event` is null for anonymous callers, an issue's
title for them too, a visit's note outside the caller's grids."""

from __future__ import annotations

from collections.abc import Callable

from resolvers.reads.compiler import Compiler, FieldSql, column, fields_of, identifier
from resolvers.reads.selection import Selection
from resolvers.reads.types_enterprise import enterprise

Builder = Callable[[Compiler], str]

REPLAY = """
SELECT coalesce(json_agg(x.notice ORDER BY x.id), '[]'::json)::text AS notices,
       count(*) AS found
FROM (SELECT e.id, public.parkgrid_event_notice(e) AS notice FROM public.event e
      WHERE e.id > %(since)s ORDER BY e.id LIMIT %(limit)s) x
"""
"""The notices of the events after `since` (at most `limit`), oldest first: what a
subscriber missed, from the same function that announced them."""

START = """
SELECT (SELECT coalesce(max(e.id), 0) FROM public.event e) AS head,
       (SELECT p.id FROM public.park p WHERE p.code = %(park)s) AS park,
       (SELECT z.id FROM public.zone z WHERE z.code = %(zone)s) AS zone,
       (SELECT g.id FROM public.grid g WHERE g.code = %(grid)s) AS grid
"""
"""Where the log ends now, and the ids of the areas a subscription names by code."""

SUBJECT_ROWS = {
    "issue": "issue",
    "visit": "visit",
    "enterprise": "enterprise",
    "zone": "zone",
    "grid": "grid",
    "park": "park",
    "assignment": "assignment",
}
"""The table (a scoped view for some callers) a subject's row is read from."""
ACTION_ROWS = {("enterprise", "party_organisation"): ("party_organisation", "enterprise_id")}
"""Events about something other than their subject's row: read from that row's table."""


def subject_of(subject: str) -> FieldSql:
    """The event's subject as its own type, when the event is about one of those."""

    def compiled(c: Compiler, t: str, s: Selection) -> str:
        typename = s.name[0].upper() + s.name[1:]
        where = f"{{r}}.id = {t}.subject_id AND {t}.subject = '{subject}'"
        if subject == "enterprise":
            return enterprise(c, where, s)
        return c.one(typename, SUBJECT_ROWS[subject], where, s)

    return compiled


def event_of(c: Compiler, t: str, s: Selection) -> str:
    return c.one("Event", "event", f"{{r}}.id = {t}.id", s)


fields_of("IssueChange").update({
    "eventId": identifier(),
    "issue": subject_of("issue"),
    "event": event_of,
})  # fmt: skip

fields_of("VisitChange").update({
    "eventId": identifier(),
    "visit": subject_of("visit"),
    "event": event_of,
})  # fmt: skip

fields_of("RegisterChange").update({
    "eventId": identifier(),
    "subject": column("{t}.subject"),
    **{name: subject_of(name) for name in ("enterprise", "zone", "grid", "park", "assignment")},
    "event": event_of,
})  # fmt: skip


def counted(kind: str) -> FieldSql:
    """The grid or zone of a counts row, when the row is about one of that kind."""
    typename = kind.capitalize()
    return lambda c, t, s: c.one(
        typename, kind, f"{{r}}.id = {t}.area_id AND {t}.kind = '{kind}'", s
    )


fields_of("AreaCountsChange").update({
    "eventId": identifier("event_id"),
    "grid": counted("grid"),
    "zone": counted("zone"),
})  # fmt: skip
"""Over a row of (event_id, kind, area_id): the area's counts as the caller reads them."""


def area_change(selection: Selection, kind: str, area_id: int, event_id: int) -> Builder:
    """The counts payload of one grid or zone, after event `event_id`."""

    def build(c: Compiler) -> str:
        r = c.alias("r")
        row = (
            f"SELECT {c.bind(event_id, 'bigint')} AS event_id, {c.bind(kind, 'text')} AS kind,"
            f" {c.bind(area_id, 'bigint')} AS area_id"
        )
        return f"(SELECT {c.object('AreaCountsChange', r, selection.fields)} FROM ({row}) {r})"

    return build


def area_within(kind: str, area_id: int, park: int | None, zone: int | None) -> Builder:
    """Whether the grid or zone lies in the park and zone (each None: any)."""

    def build(c: Compiler) -> str:
        park_id, zone_id = c.bind(park, "bigint"), c.bind(zone, "bigint")
        area = c.bind(area_id, "bigint")
        zone_of = (
            "g.zone_id FROM grid g WHERE g.id" if kind == "grid" else "z.id FROM zone z WHERE z.id"
        )
        return (
            f"EXISTS (SELECT 1 FROM zone x WHERE x.id = (SELECT {zone_of} = {area})"
            f" AND ({zone_id} IS NULL OR x.id = {zone_id})"
            f" AND ({park_id} IS NULL OR x.park_id = {park_id}))"
        )

    return build


def change(typename: str, selection: Selection, event_id: int) -> Builder:
    """The payload of one event, as `selection` asks for it."""

    def build(c: Compiler) -> str:
        r = c.alias("r")
        found = c.object(typename, r, selection.fields)
        return f"(SELECT {found} FROM public.event {r} WHERE {r}.id = {c.bind(event_id, 'bigint')})"

    return build


def visible(subject: str, action: str, subject_id: int) -> Builder:
    """Whether the caller can read the row the event is about (as a query would find it)."""
    table, key = ACTION_ROWS.get((subject, action), (SUBJECT_ROWS.get(subject), "id"))

    def build(c: Compiler) -> str:
        if table is None:  # a subject no subscription names
            return "false"
        bound = c.bind(subject_id, "bigint")
        return f"EXISTS (SELECT 1 FROM {table} x WHERE x.{key} = {bound})"

    return build


def issue_status(issue_id: int) -> Builder:
    """The issue's status now, as stored (for a subscription's status filter)."""
    return lambda c: f"(SELECT x.status FROM issue x WHERE x.id = {c.bind(issue_id, 'bigint')})"
