"""HiringPlan, the monthly RecruitmentNotice assembled from the plans (by industry and
position), and RecruitmentEvent with its hires: each field's SQL."""

from __future__ import annotations

from resolvers.reads.area_args import area_id
from resolvers.reads.compiler import (
    ROWS,
    Compiler,
    Listing,
    column,
    fields_of,
    identifier,
    timestamp,
    upper,
)
from resolvers.reads.roots import by_id
from resolvers.reads.selection import Selection
from resolvers.reads.types_enterprise import CADRE_ROWS, enterprise
from resolvers.reads.types_ledger import events_of
from resolvers.scope import grids_under

ROWS.update(HiringPlan="hiring_plan", RecruitmentEvent="recruitment_event")
NOTICE_KEYS = (("industry_key", "text"), ("position", "text"))


def in_notice_park(t: str) -> str:
    """An enterprise `e` under the notice's park (every enterprise when it names none)."""
    under = grids_under("park", f"ARRAY[{t}.park_id]")
    return f"({t}.park_id IS NULL OR e.grid_id IN (SELECT u.grid_id FROM ({under}) u))"


def plans_of_month(t: str) -> str:
    return (
        "SELECT h.*, coalesce(e.industry, '') AS industry_key FROM hiring_plan h"
        f" JOIN enterprise e ON e.id = h.enterprise_id WHERE h.month = {t}.month"
        f" AND {in_notice_park(t)}"
    )


def notice_lines_source(t: str) -> str:
    """The notice's lines (a NoticeLine each) for the notice row `t` (its month and park):
    the month's plans summed by industry and position. The export reads these too."""
    return (
        f"SELECT p.position, p.industry_key, {t}.month AS month, {t}.park_id AS park_id,"
        " sum(p.headcount) AS headcount, count(DISTINCT p.enterprise_id) AS enterprises,"
        " min(p.wage_min) AS wage_min, max(p.wage_max) AS wage_max"
        f" FROM ({plans_of_month(t)}) p GROUP BY p.position, p.industry_key"
    )


def notice_lines(c: Compiler, t: str, s: Selection) -> str:
    return c.many(Listing("NoticeLine", notice_lines_source(t), NOTICE_KEYS), s)


def employers(c: Compiler, t: str, s: Selection) -> str:
    """The plans behind one line of the notice, by credit code."""
    source = (
        f"SELECT p.*, e.uscc FROM ({plans_of_month(t)}) p JOIN enterprise e"
        f" ON e.id = p.enterprise_id WHERE p.position = {t}.position"
        f" AND p.industry_key = {t}.industry_key"
    )
    return c.many(Listing("HiringPlan", source, (("uscc", "text"),)), s)


fields_of("RecruitmentNotice").update({
    "month": column("{t}.month"),
    "headcount": lambda c, t, s: (
        f"(SELECT coalesce(sum(p.headcount), 0) FROM ({plans_of_month(t)}) p)"
    ),
    "enterpriseCount": lambda c, t, s: (
        f"(SELECT count(DISTINCT p.enterprise_id) FROM ({plans_of_month(t)}) p)"
    ),
    "lines": notice_lines,
})  # fmt: skip

fields_of("NoticeLine").update({
    "position": column("{t}.position"),
    "industry": column("nullif({t}.industry_key, '')"),
    "headcount": column("{t}.headcount"),
    "enterprises": column("{t}.enterprises"),
    "wageMin": column("CAST({t}.wage_min AS float8)"),
    "wageMax": column("CAST({t}.wage_max AS float8)"),
    "plans": employers,
})  # fmt: skip

fields_of("HiringPlan").update({
    "id": identifier(),
    "month": column("{t}.month"),
    "position": column("{t}.position"),
    "headcount": column("{t}.headcount"),
    "requirements": column("{t}.requirements"),
    "wageMin": column("CAST({t}.wage_min AS float8)"),
    "wageMax": column("CAST({t}.wage_max AS float8)"),
    "version": column("{t}.version"),
    "updatedAt": timestamp("updated_at"),
    "enterprise": lambda c, t, s: enterprise(c, f"{{r}}.id = {t}.enterprise_id", s),
    "enteredBy": lambda c, t, s: c.one("Cadre", CADRE_ROWS, f"{{r}}.id = {t}.entered_by", s),
    "events": events_of("hiring_plan"),
})  # fmt: skip


def event_hires(c: Compiler, t: str, s: Selection) -> str:
    source = (
        "SELECT h.*, e.uscc FROM recruitment_hire h JOIN enterprise e ON e.id = h.enterprise_id"
        f" WHERE h.event_id = {t}.id"
    )
    return c.many(Listing("EventHires", source, (("uscc", "text"),)), s)


fields_of("RecruitmentEvent").update({
    "id": identifier(),
    "kind": upper("kind"),
    "title": column("{t}.title"),
    "heldOn": column("{t}.held_on"),
    "place": column("{t}.place"),
    "organiser": column("{t}.organiser"),
    "version": column("{t}.version"),
    "park": lambda c, t, s: c.one("Park", "park", f"{{r}}.id = {t}.park_id", s),
    "hires": column("(SELECT coalesce(sum(h.hires), 0) FROM recruitment_hire h"
                    " WHERE h.event_id = {t}.id)"),
    "enterprises": event_hires,
    "events": events_of("recruitment_event"),
})  # fmt: skip

fields_of("EventHires").update({
    "enterprise": lambda c, t, s: enterprise(c, f"{{r}}.id = {t}.enterprise_id", s),
    "hires": column("{t}.hires"),
})  # fmt: skip


def notice(c: Compiler, _t: str, s: Selection) -> str:
    month = c.bind(s.arg("month"), "date")
    park = area_id(c, "park", str(s.arg("park"))) if s.arg("park") is not None else "NULL"
    row = f"(SELECT {month} AS month, CAST({park} AS bigint) AS park_id)"
    return c.one("RecruitmentNotice", row, "TRUE", s)


def events(c: Compiler, _t: str, s: Selection) -> str:
    conditions = ["TRUE"]
    if s.arg("park") is not None:
        conditions.append(f"r.park_id = {area_id(c, 'park', str(s.arg('park')))}")
    for name, operator in (("held_from", ">="), ("held_to", "<=")):
        if s.arg(name) is not None:
            conditions.append(f"r.held_on {operator} {c.bind(s.arg(name), 'date')}")
    source = f"SELECT r.* FROM recruitment_event r WHERE {' AND '.join(conditions)}"
    keys = (("held_on", "date"), ("id", "bigint"))
    return c.connection(Listing("RecruitmentEvent", source, keys, descending=True), s)


def enterprise_plans(c: Compiler, t: str, s: Selection) -> str:
    month = s.arg("month")
    chosen = "" if month is None else f" AND h.month = {c.bind(month, 'date')}"
    source = f"SELECT h.* FROM hiring_plan h WHERE h.enterprise_id = {t}.id{chosen}"
    return c.many(Listing("HiringPlan", source, (("month", "date"), ("id", "bigint"))), s)


fields_of("Query").update({
    "recruitmentNotice": notice,
    "recruitmentEvents": events,
    "recruitmentEvent": by_id("RecruitmentEvent", "recruitment_event"),
    "hiringPlan": by_id("HiringPlan", "hiring_plan"),
})  # fmt: skip
fields_of("Enterprise")["hiringPlans"] = enterprise_plans
