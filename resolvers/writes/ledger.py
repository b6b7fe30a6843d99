"""The ledger's writes: issues through their lifecycle, visits, outcomes. Each function runs
inside the caller's transaction, appends its events there, and raises a ParkgridError to
refuse (the caller rolls back, so a refusal changes nothing)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from geo import sql as geosql
from parkgrid.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from resolvers.records import ISSUE_COLUMNS, IssueRecord, VisitRecord, record
from resolvers.writes.events import Change, act_as, append

TRANSITIONS: dict[str, frozenset[str]] = {
    "reported": frozenset({"accepted", "rejected"}),
    "accepted": frozenset({"in_progress", "rejected"}),
    "in_progress": frozenset({"resolved"}),
    "resolved": frozenset({"verified", "in_progress"}),  # a failed verification goes back
    "verified": frozenset({"closed"}),
}
STAMPS = {"resolved": "resolved_at", "closed": "closed_at"}
VISIT_COLUMNS = (
    "v.id, v.cadre_id, v.enterprise_id, v.visited_at, v.duties, v.note,"
    " ST_X(v.check_in) AS check_in_lon, ST_Y(v.check_in) AS check_in_lat,"
    " ST_Distance(v.check_in::geography, e.location::geography) AS check_in_distance_m"
)


@dataclass(frozen=True)
class NewIssue:
    enterprise_uscc: str
    category: str
    title: str
    description: str | None
    severity: str
    reporter_id: int | None
    responsible_unit: str | None
    due_in_days: int
    today: date


@dataclass(frozen=True)
class NewVisit:
    cadre_id: int | None
    enterprise_uscc: str
    at: datetime
    duties: tuple[str, ...]
    note: str | None
    check_in: tuple[float, float] | None


def require(conn: Connection, table: str, row_id: int | None, field: str) -> None:
    if row_id is None:
        return
    found = conn.execute(text(f"SELECT 1 FROM {table} WHERE id = :id"), {"id": row_id}).first()
    if found is None:
        raise NotFound(f"no {table} has id {row_id}", field=field)


def enterprise_id_of(conn: Connection, uscc: str) -> int:
    query = text("SELECT id FROM enterprise WHERE uscc = :uscc")
    found = conn.execute(query, {"uscc": uscc}).scalar()
    if found is None:
        raise NotFound(f"no enterprise has credit code {uscc!r}", field="enterprise")
    return int(found)


def issue_for_update(conn: Connection, issue_id: int, version: int) -> IssueRecord:
    """The issue, locked; refused when missing or when its version moved on."""
    query = f"SELECT {ISSUE_COLUMNS} FROM issue i WHERE i.id = :id FOR UPDATE"
    row = conn.execute(text(query), {"id": issue_id}).first()
    if row is None:
        raise NotFound(f"no issue has id {issue_id}", field="id")
    issue = record(IssueRecord, row)
    if issue.version != version:
        raise Conflict(f"the issue is at version {issue.version}, not {version}", field="version")
    return issue


def update_issue(conn: Connection, issue_id: int, values: dict[str, Any]) -> IssueRecord:
    """Set the columns (fixed names) and move the version on."""
    assignments = "".join(f"{column} = :{column}, " for column in values)
    query = (
        f"UPDATE issue i SET {assignments}version = i.version + 1"
        f" WHERE i.id = :issue_id RETURNING {ISSUE_COLUMNS}"
    )
    row = conn.execute(text(query), {**values, "issue_id": issue_id}).one()
    return record(IssueRecord, row)


def issue_change(issue: IssueRecord, action: str, actor: int | None, changes: dict[str, Any],
                 note: str | None = None) -> Change:  # fmt: skip
    return Change("issue", issue.id, issue.enterprise_id, action, actor, changes, note)


def report_issue(conn: Connection, new: NewIssue, actor: int | None) -> IssueRecord:
    """Register the issue; `actor` (the caller) may enter it in the reporter's name."""
    enterprise_id = enterprise_id_of(conn, new.enterprise_uscc)
    require(conn, "cadre", new.reporter_id, "reportedBy")
    act_as(conn, actor)
    due = new.today + timedelta(days=new.due_in_days)
    query = f"""
        INSERT INTO issue AS i (enterprise_id, category, title, description, severity,
                                reporter_id, responsible_unit, due_date)
        VALUES (:enterprise_id, :category, :title, :description, :severity, :reporter_id,
                :responsible_unit, :due)
        RETURNING {ISSUE_COLUMNS}
    """
    params = {**new.__dict__, "enterprise_id": enterprise_id, "due": due}
    issue = record(IssueRecord, conn.execute(text(query), params).one())
    changes = {"status": [None, "reported"], "due_date": [None, due.isoformat()]}
    append(conn, issue_change(issue, "reported", actor, changes, new.description))
    return issue


def check_transition(issue: IssueRecord, to: str, note: str | None) -> None:
    if to not in TRANSITIONS.get(issue.status, frozenset()):
        allowed = ", ".join(sorted(TRANSITIONS.get(issue.status, frozenset()))) or "none"
        message = f"cannot go from {issue.status} to {to} (allowed: {allowed})"
        raise InvalidTransition(message, field="to")
    if to == "rejected" and not (note or "").strip():
        raise InvalidInput("a rejection needs a reason", field="note")


def transition_issue(conn: Connection, issue_id: int, version: int, to: str,
                     note: str | None, actor: int | None) -> IssueRecord:  # fmt: skip
    issue = issue_for_update(conn, issue_id, version)
    check_transition(issue, to, note)
    act_as(conn, actor)
    values: dict[str, Any] = {"status": to}
    if to in STAMPS:
        values[STAMPS[to]] = datetime.now().astimezone()
    if to == "rejected":
        values["rejection_reason"] = note
    updated = update_issue(conn, issue_id, values)
    changes = {"status": [issue.status, to]}
    append(conn, issue_change(updated, "status_changed", actor, changes, note))
    return updated


def assign_issue(conn: Connection, issue_id: int, version: int, assignee: int | None,
                 responsible_unit: str | None, actor: int | None) -> IssueRecord:  # fmt: skip
    require(conn, "cadre", assignee, "assignee")
    issue = issue_for_update(conn, issue_id, version)
    unit = responsible_unit if responsible_unit is not None else issue.responsible_unit
    updated = update_issue(conn, issue_id, {"assignee_id": assignee, "responsible_unit": unit})
    changes = {
        "assignee": [issue.assignee_id, assignee],
        "responsible_unit": [issue.responsible_unit, unit],
    }
    append(conn, issue_change(updated, "assigned", actor, changes))
    return updated


def comment_issue(conn: Connection, issue_id: int, note: str, actor: int | None) -> IssueRecord:
    """A comment is an event only: the issue itself, and its version, stay as they are."""
    if not note.strip():
        raise InvalidInput("a comment needs text", field="note")
    query = f"SELECT {ISSUE_COLUMNS} FROM issue i WHERE i.id = :id"
    row = conn.execute(text(query), {"id": issue_id}).first()
    if row is None:
        raise NotFound(f"no issue has id {issue_id}", field="id")
    issue = record(IssueRecord, row)
    append(conn, issue_change(issue, "commented", actor, {}, note))
    return issue


@dataclass(frozen=True)
class NewOutcome:
    people_hired: int
    loan_cny: float
    hazards_rectified: int
    note: str | None


OUTCOME_MOST = {"peopleHired": 1_000_000, "loanCny": 1e13, "hazardsRectified": 100_000}
"""The largest figure an outcome may report: more is a typing slip (and the loan's column
holds less than 1e16)."""


def record_outcome(conn: Connection, issue_id: int, version: int, outcome: NewOutcome,
                   actor: int | None) -> IssueRecord:  # fmt: skip
    for field, value in (("peopleHired", outcome.people_hired), ("loanCny", outcome.loan_cny),
                         ("hazardsRectified", outcome.hazards_rectified)):  # fmt: skip
        if value < 0:
            raise InvalidInput("must not be negative", field=field)
        if not value <= OUTCOME_MOST[field]:  # NaN too
            raise InvalidInput(f"must be at most {OUTCOME_MOST[field]:,.0f}", field=field)
    issue_for_update(conn, issue_id, version)
    conn.execute(
        text(
            "INSERT INTO outcome (issue_id, recorded_by, people_hired, loan_cny, hazards_rectified,"
            " note) VALUES (:issue, :actor, :people, :loan, :hazards, :note)"
        ),
        {"issue": issue_id, "actor": actor, "people": outcome.people_hired,
         "loan": outcome.loan_cny, "hazards": outcome.hazards_rectified, "note": outcome.note},
    )  # fmt: skip
    updated = update_issue(conn, issue_id, {})
    changes = {"people_hired": outcome.people_hired, "loan_cny": outcome.loan_cny,
               "hazards_rectified": outcome.hazards_rectified}  # fmt: skip
    append(conn, issue_change(updated, "outcome_recorded", actor, changes, outcome.note))
    return updated


def log_visit(conn: Connection, new: NewVisit, actor: int | None) -> VisitRecord:
    """Log the visit; `actor` (the caller) may enter it in the visiting cadre's name."""
    require(conn, "cadre", new.cadre_id, "cadre")
    enterprise_id = enterprise_id_of(conn, new.enterprise_uscc)
    act_as(conn, actor)
    point = geosql.bound_point("lon", "lat") if new.check_in else "NULL::geometry"
    lon, lat = new.check_in or (None, None)
    row = conn.execute(
        text(
            "WITH v AS (INSERT INTO visit (cadre_id, enterprise_id, visited_at, duties, note,"
            f" check_in) VALUES (:cadre, :enterprise, :at, :duties, :note, {point}) RETURNING *)"
            f" SELECT {VISIT_COLUMNS} FROM v JOIN enterprise e ON e.id = v.enterprise_id"
        ),
        {"cadre": new.cadre_id, "enterprise": enterprise_id, "at": new.at,
         "duties": list(new.duties), "note": new.note, "lon": lon, "lat": lat},
    ).one()  # fmt: skip
    visit = record(VisitRecord, row)
    changes: dict[str, Any] = {"duties": list(new.duties), "visited_at": new.at.isoformat()}
    if visit.check_in_distance_m is not None:
        changes["check_in_distance_m"] = round(visit.check_in_distance_m, 1)
    logged = Change("visit", visit.id, enterprise_id, "logged", actor, changes, new.note)
    append(conn, logged)
    return visit
