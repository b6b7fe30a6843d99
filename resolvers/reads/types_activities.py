"""ServiceActivity and ActivityParticipant: each field's SQL, and the park-wide activities
of a period."""

from __future__ import annotations

from resolvers.reads.area_args import named_area
from resolvers.reads.compiler import (
    ROWS,
    Compiler,
    Listing,
    column,
    fields_of,
    identifier,
    upper,
)
from resolvers.reads.roots import by_id
from resolvers.reads.selection import Selection
from resolvers.reads.types_enterprise import BY_ID, CADRE_ROWS, enterprise
from resolvers.reads.types_ledger import events_of, linked_issues

ROWS.update(ServiceActivity="service_activity")
NEWEST = (("held_on", "date"), ("id", "bigint"))


def participants(c: Compiler, t: str, s: Selection) -> str:
    source = (
        "SELECT x.*, e.uscc FROM activity_enterprise x JOIN enterprise e ON e.id = x.enterprise_id"
        f" WHERE x.activity_id = {t}.id"
    )
    return c.many(Listing("ActivityParticipant", source, (("uscc", "text"),)), s)


def cadres(c: Compiler, t: str, s: Selection) -> str:
    source = (
        "SELECT k.* FROM activity_cadre x JOIN "
        f"{CADRE_ROWS} k ON k.id = x.cadre_id WHERE x.activity_id = {t}.id"
    )
    return c.many(Listing("Cadre", source, BY_ID), s)


fields_of("ServiceActivity").update({
    "id": identifier(),
    "kind": upper("kind"),
    "duty": upper("duty"),
    "title": column("{t}.title"),
    "heldOn": column("{t}.held_on"),
    "place": column("{t}.place"),
    "organiser": column("{t}.organiser"),
    "version": column("{t}.version"),
    "organiserCadre": lambda c, t, s: c.one(
        "Cadre", CADRE_ROWS, f"{{r}}.id = {t}.organiser_id", s
    ),
    "park": lambda c, t, s: c.one("Park", "park", f"{{r}}.id = {t}.park_id", s),
    "enterpriseCount": column(
        "(SELECT count(*) FROM activity_enterprise x WHERE x.activity_id = {t}.id)"
    ),
    "loanCny": column(
        "(SELECT CAST(coalesce(sum(x.loan_cny), 0) AS float8) FROM activity_enterprise x"
        " WHERE x.activity_id = {t}.id)"
    ),
    "enterprises": participants,
    "cadres": cadres,
    "issues": linked_issues("activity_issue", "activity_id"),
    "events": events_of("service_activity"),
})  # fmt: skip

fields_of("ActivityParticipant").update({
    "enterprise": lambda c, t, s: enterprise(c, f"{{r}}.id = {t}.enterprise_id", s),
    "loanCny": column("CAST({t}.loan_cny AS float8)"),
    "hazardsFound": column("{t}.hazards_found"),
})  # fmt: skip


def activity_conditions(c: Compiler, s: Selection) -> str:
    given = s.args.get("filter")
    conditions = []
    found = named_area(c, given) if given is not None else None
    if found is not None:
        conditions.append(f"a.park_id = {found[1]}")
    for name, column_name in (("kind", "kind"), ("duty", "duty")):
        value = getattr(given, name, None)
        if value is not None:
            conditions.append(f"a.{column_name} = {c.bind(value.value, 'text')}")
    for name, operator in (("held_from", ">="), ("held_to", "<=")):
        day = getattr(given, name, None)
        if day is not None:
            conditions.append(f"a.held_on {operator} {c.bind(day, 'date')}")
    return " AND ".join(conditions) or "TRUE"


def activities(c: Compiler, _t: str, s: Selection) -> str:
    source = f"SELECT a.* FROM service_activity a WHERE {activity_conditions(c, s)}"
    return c.connection(Listing("ServiceActivity", source, NEWEST, descending=True), s)


def enterprise_activities(c: Compiler, t: str, s: Selection) -> str:
    source = (
        "SELECT a.* FROM service_activity a JOIN activity_enterprise x ON x.activity_id = a.id"
        f" WHERE x.enterprise_id = {t}.id"
    )
    return c.many(Listing("ServiceActivity", source, NEWEST, descending=True), s)


fields_of("Query").update({
    "serviceActivities": activities,
    "serviceActivity": by_id("ServiceActivity", "service_activity"),
})  # fmt: skip
fields_of("Enterprise")["serviceActivities"] = enterprise_activities
