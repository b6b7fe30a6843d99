"""Construction projects: created by their enterprise's servers, moved on by dated progress
reports and milestones, linked to the ledger's issues. Every change carries the project's
version and appends an event on the enterprise (so NOTIFY announces it to its grid)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from geo import sql as geosql
from parkgrid.errors import InvalidInput, NotFound
from resolvers.writes.events import Change, act_as, append
from resolvers.writes.ledger import enterprise_id_of
from resolvers.writes.versions import bump, changed, locked

SUBJECT = "construction_project"


@dataclass(frozen=True)
class NewProject:
    enterprise_uscc: str
    name: str
    stage: str
    started: date | None
    site: bytes


@dataclass(frozen=True)
class Progress:
    reported_on: date
    percent_complete: float
    note: str | None
    stage: str | None


def event(conn: Connection, project: dict[str, Any], action: str, actor: int | None,
          changes: dict[str, Any], note: str | None = None) -> None:  # fmt: skip
    append(conn, Change(SUBJECT, project["id"], project["enterprise_id"], action, actor, changes,
                        note))  # fmt: skip


def not_after(day: date | None, today: date, field: str) -> None:
    if day is not None and day > today:
        raise InvalidInput("must not be in the future", field=field)


def create_project(conn: Connection, new: NewProject, actor: int | None) -> int:
    enterprise = enterprise_id_of(conn, new.enterprise_uscc)
    act_as(conn, actor)
    query = (
        "INSERT INTO construction_project (enterprise_id, name, stage, started, site)"
        f" VALUES (:enterprise, :name, :stage, :started, {geosql.bound_geometry('site')})"
        " RETURNING id, enterprise_id"
    )
    params = {"enterprise": enterprise, "name": new.name, "stage": new.stage,
              "started": new.started, "site": new.site}  # fmt: skip
    row = dict(conn.execute(text(query), params).one()._mapping)
    changes = {"name": [None, new.name], "stage": [None, new.stage]}
    event(conn, row, "created", actor, changes)
    return int(row["id"])


def report_progress(conn: Connection, project_id: int, version: int, given: Progress,
                    today: date, actor: int | None) -> int:  # fmt: skip
    if not 0 <= given.percent_complete <= 100:  # NaN too
        raise InvalidInput("must be between 0 and 100", field="percentComplete")
    not_after(given.reported_on, today, "reportedOn")
    project = locked(conn, SUBJECT, "id", project_id, version)
    act_as(conn, actor)
    conn.execute(
        text(
            "INSERT INTO project_progress (project_id, reported_on, percent_complete, note,"
            " reported_by) VALUES (:project, :on, :percent, :note, :actor)"
        ),
        {"project": project_id, "on": given.reported_on, "percent": given.percent_complete,
         "note": given.note, "actor": actor},
    )  # fmt: skip
    changes: dict[str, Any] = {"percent_complete": given.percent_complete,
                               "reported_on": given.reported_on.isoformat()}  # fmt: skip
    if given.stage is not None and given.stage != project["stage"]:
        conn.execute(text("UPDATE construction_project SET stage = :stage WHERE id = :id"),
                     {"stage": given.stage, "id": project_id})  # fmt: skip
        changes["stage"] = [project["stage"], given.stage]
    bump(conn, SUBJECT, "id", project_id)
    event(conn, project, "progress_reported", actor, changes, given.note)
    return project_id


def set_milestone(conn: Connection, project_id: int, version: int, name: str, planned: date,
                  actual: date | None, today: date, actor: int | None) -> int:  # fmt: skip
    not_after(actual, today, "actual")
    project = locked(conn, SUBJECT, "id", project_id, version)
    found = conn.execute(
        text("SELECT planned, actual FROM project_milestone WHERE project_id = :p AND name = :n"),
        {"p": project_id, "n": name},
    ).first()
    before = {} if found is None else {"planned": found.planned, "actual": found.actual}
    conn.execute(
        text(
            "INSERT INTO project_milestone (project_id, name, planned, actual)"
            " VALUES (:p, :n, :planned, :actual) ON CONFLICT (project_id, name)"
            " DO UPDATE SET planned = excluded.planned, actual = excluded.actual"
        ),
        {"p": project_id, "n": name, "planned": planned, "actual": actual},
    )
    bump(conn, SUBJECT, "id", project_id)
    changes = changed(before, {"planned": planned, "actual": actual})
    event(conn, project, "milestone_set", actor, {"milestone": name} | changes)
    return project_id


def link_issue(conn: Connection, project_id: int, version: int, issue_id: int,
               actor: int | None) -> int:  # fmt: skip
    project = locked(conn, SUBJECT, "id", project_id, version)
    owner = conn.execute(text("SELECT enterprise_id FROM issue WHERE id = :id"), {"id": issue_id})
    enterprise = owner.scalar()
    if enterprise is None:
        raise NotFound(f"no issue has id {issue_id}", field="issue")
    if enterprise != project["enterprise_id"]:
        raise InvalidInput("the issue is another enterprise's", field="issue")
    conn.execute(
        text("INSERT INTO project_issue VALUES (:p, :i) ON CONFLICT DO NOTHING"),
        {"p": project_id, "i": issue_id},
    )
    bump(conn, SUBJECT, "id", project_id)
    event(conn, project, "issue_linked", actor, {"issue": issue_id})
    return project_id
