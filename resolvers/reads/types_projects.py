"""ConstructionProject, ProgressReport and Milestone: each field's SQL, and the projects of
an area in a state.

A project's percentage complete is its latest progress report's (by date, then entry), one
definition for every reader; "behind schedule" is parkgrid.vocabulary.behind_schedule."""

from __future__ import annotations

from geo import sql as geosql
from parkgrid.vocabulary import behind_schedule
from resolvers.reads.area_args import enterprises_under
from resolvers.reads.areas import checked_precision
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
from resolvers.reads.types_enterprise import BY_ID, CADRE_ROWS, enterprise
from resolvers.reads.types_ledger import events_of, linked_issues

ROWS.update(ConstructionProject="construction_project")

LATEST = (
    "(SELECT {value} FROM project_progress r WHERE r.project_id = {t}.id"
    " ORDER BY r.reported_on DESC, r.id DESC LIMIT 1)"
)


def latest(value: str) -> str:
    """A column of the project's latest progress report (null before the first)."""
    return LATEST.replace("{value}", value)


def site(c: Compiler, t: str, s: Selection) -> str:
    precision = checked_precision(s.arg("precision", 6))
    return geosql.geojson(f"{t}.site", c.bind(precision, "integer"))


def behind(c: Compiler, t: str, s: Selection) -> str:
    return behind_schedule(t, c.bind(s.arg("on") or c.today, "date"))


def progress(c: Compiler, t: str, s: Selection) -> str:
    source = f"SELECT r.* FROM project_progress r WHERE r.project_id = {t}.id"
    keys = (("reported_on", "date"), ("id", "bigint"))
    return c.many(Listing("ProgressReport", source, keys), s)


def milestones(c: Compiler, t: str, s: Selection) -> str:
    today = c.bind(c.today, "date")
    source = (
        f"SELECT m.*, coalesce(m.actual > m.planned, {today} > m.planned) AS late"
        f" FROM project_milestone m WHERE m.project_id = {t}.id"
    )
    return c.many(Listing("Milestone", source, (("planned", "date"), ("id", "bigint"))), s)


fields_of("ConstructionProject").update({
    "id": identifier(),
    "name": column("{t}.name"),
    "stage": upper("stage"),
    "started": column("{t}.started"),
    "version": column("{t}.version"),
    "updatedAt": timestamp("updated_at"),
    "site": site,
    "percentComplete": column(f"CAST({latest('r.percent_complete')} AS float8)"),
    "lastReportedOn": column(latest("r.reported_on")),
    "behindSchedule": behind,
    "enterprise": lambda c, t, s: enterprise(c, f"{{r}}.id = {t}.enterprise_id", s),
    "progress": progress,
    "milestones": milestones,
    "issues": linked_issues("project_issue", "project_id"),
    "events": events_of("construction_project"),
})  # fmt: skip

fields_of("ProgressReport").update({
    "reportedOn": column("{t}.reported_on"),
    "percentComplete": column("CAST({t}.percent_complete AS float8)"),
    "note": column("{t}.note"),
    "reportedBy": lambda c, t, s: c.one("Cadre", CADRE_ROWS, f"{{r}}.id = {t}.reported_by", s),
})  # fmt: skip

fields_of("Milestone").update({
    "name": column("{t}.name"),
    "planned": column("{t}.planned"),
    "actual": column("{t}.actual"),
    "late": column("{t}.late"),
})  # fmt: skip


def project_conditions(c: Compiler, s: Selection) -> str:
    """The `filter` argument's conditions on a project `p` of enterprise `e`."""
    given = s.args.get("filter")
    conditions = [enterprises_under(c, given)] if given is not None else []
    stages = getattr(given, "stage", None)
    if stages:
        conditions.append(f"p.stage = ANY({c.bind([x.value for x in stages], 'text[]')})")
    late = getattr(given, "behind_schedule", None)
    if late is not None:
        rule = behind_schedule("p", c.bind(c.today, "date"))
        conditions.append(rule if late else f"NOT {rule}")
    return " AND ".join(conditions) or "TRUE"


def projects(c: Compiler, _t: str, s: Selection) -> str:
    source = (
        "SELECT p.* FROM construction_project p JOIN enterprise e ON e.id = p.enterprise_id"
        f" WHERE {project_conditions(c, s)}"
    )
    return c.connection(Listing("ConstructionProject", source, BY_ID), s)


def enterprise_projects(c: Compiler, t: str, s: Selection) -> str:
    source = f"SELECT p.* FROM construction_project p WHERE p.enterprise_id = {t}.id"
    return c.many(Listing("ConstructionProject", source, BY_ID), s)


fields_of("Query").update({
    "constructionProjects": projects,
    "constructionProject": by_id("ConstructionProject", "construction_project"),
})  # fmt: skip
fields_of("Enterprise")["constructionProjects"] = enterprise_projects
