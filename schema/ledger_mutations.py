"""Mutations of the ledger: issues from report to closure, outcomes, visits."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Annotated

import strawberry
from sqlalchemy.engine import Connection

from parkgrid.errors import InvalidInput
from parkgrid.vocabulary import DEFAULT_SEVERITY
from resolvers.filters import checked_point
from resolvers.records import IssueRecord, VisitRecord, optional_id, parse_id
from resolvers.writes import access, ledger
from schema import reading
from schema.context import Info
from schema.enums import Duty, IssueCategory, IssueStatus, Severity
from schema.inputs import PointInput
from schema.ledger import Issue, Visit
from schema.outcomes import AnyUserError, attempt


@strawberry.type(description="The issue as it is after the change.")
class IssuePayload:
    issue_id: strawberry.Private[int]

    @strawberry.field(description="The issue as it is now.")
    async def issue(self, info: Info) -> Issue:
        return await reading.entity(info, "Issue", self.issue_id)


@strawberry.type(description="The visit as logged; a far check-in is accepted but flagged.")
class VisitPayload:
    visit_id: strawberry.Private[int]

    @strawberry.field(description="The visit as logged.")
    async def visit(self, info: Info) -> Visit:
        return await reading.entity(info, "Visit", self.visit_id)


IssueResult = Annotated[IssuePayload | AnyUserError, strawberry.union("IssueResult")]
VisitResult = Annotated[VisitPayload | AnyUserError, strawberry.union("VisitResult")]
REPORTED_SEVERITY = Severity(DEFAULT_SEVERITY)  # unless the reporter says otherwise


def issue_payload(record: IssueRecord) -> IssuePayload:
    return IssuePayload(issue_id=record.id)


def visit_payload(record: VisitRecord) -> VisitPayload:
    return VisitPayload(visit_id=record.id)


def text_required(value: str, field: str) -> str:
    if not value.strip():
        raise InvalidInput("must not be blank", field=field)
    return value.strip()


def new_issue(info: Info, enterprise: str, category: IssueCategory, title: str,
              description: str | None, severity: Severity, reported_by: str | None,
              responsible_unit: str | None) -> ledger.NewIssue:  # fmt: skip
    days = info.context.ledger.due_in_days(category.value, severity.value)
    return ledger.NewIssue(
        enterprise_uscc=enterprise.strip().upper(), category=category.value,
        title=text_required(title, "title"), description=description, severity=severity.value,
        reporter_id=optional_id(reported_by, "reportedBy"), responsible_unit=responsible_unit,
        due_in_days=days, today=info.context.today,
    )  # fmt: skip


def checked_moment(at: datetime, window: tuple[datetime, datetime]) -> datetime:
    """A visit's moment: with its time zone, not before the records begin, not ahead of
    now by more than a phone's clock may be."""
    if at.tzinfo is None:
        raise InvalidInput("needs a time zone (e.g. +08:00)", field="at")
    earliest, latest = window
    if at < earliest:
        raise InvalidInput(f"is before the records begin ({earliest:%Y-%m-%d})", field="at")
    if at > latest:
        raise InvalidInput(f"is in the future (after {latest:%Y-%m-%dT%H:%M%z})", field="at")
    return at


def new_visit(cadre: str | None, enterprise: str, at: datetime, duties: list[Duty],
              note: str | None, check_in: PointInput | None) -> ledger.NewVisit:  # fmt: skip
    if not duties:
        raise InvalidInput("name at least one of the four duties", field="duties")
    point = checked_point(check_in.lon, check_in.lat, "checkIn") if check_in else None
    return ledger.NewVisit(
        cadre_id=optional_id(cadre, "cadre"), enterprise_uscc=enterprise.strip().upper(), at=at,
        duties=tuple(sorted({d.value for d in duties})), note=note, check_in=point,
    )  # fmt: skip


@strawberry.type
class LedgerMutation:
    @strawberry.mutation(
        description="Register a need or hazard; the due date follows the category's deadline"
        " (a safety hazard's is its rectification deadline)."
    )
    async def report_issue(
        self, info: Info, enterprise: str,
        category: Annotated[IssueCategory, strawberry.argument(
            description="What it is about; sets the default due date.")],
        title: str, description: str | None = None,
        severity: Annotated[Severity, strawberry.argument(
            description="How serious it is.")] = REPORTED_SEVERITY,
        reported_by: strawberry.ID | None = None, responsible_unit: str | None = None,
    ) -> IssueResult:  # fmt: skip
        who = info.context.principal

        def work(conn: Connection) -> IssueRecord:
            issue = new_issue(info, enterprise, category, title, description, severity,
                              reported_by, responsible_unit)  # fmt: skip
            access.enterprise_service(conn, who, issue.enterprise_uscc, "enterprise")
            reporter = access.acting_cadre(conn, who, issue.reporter_id, issue.enterprise_uscc,
                                           "reportedBy", required=False)  # fmt: skip
            return ledger.report_issue(conn, replace(issue, reporter_id=reporter), who.cadre_id)

        return await attempt(info, work, to_payload=issue_payload)

    @strawberry.mutation(description="Move an issue along its lifecycle; carries its version.")
    async def transition_issue(
        self, info: Info, id: strawberry.ID, version: int,
        to: Annotated[IssueStatus, strawberry.argument(
            description="The status to move to; see IssueStatus for the allowed steps.")],
        note: str | None = None,
    ) -> IssueResult:  # fmt: skip
        who = info.context.principal

        def work(conn: Connection) -> IssueRecord:
            issue_id = parse_id(id, "id")
            access.issue_service(conn, who, issue_id)
            return ledger.transition_issue(conn, issue_id, version, to.value, note, who.cadre_id)

        return await attempt(info, work, to_payload=issue_payload)

    @strawberry.mutation(description="Give an issue to a cadre and/or a responsible unit.")
    async def assign_issue(
        self, info: Info, id: strawberry.ID, version: int, assignee: strawberry.ID | None = None,
        responsible_unit: str | None = None,
    ) -> IssueResult:  # fmt: skip
        who = info.context.principal

        def work(conn: Connection) -> IssueRecord:
            issue_id, cadre = parse_id(id, "id"), optional_id(assignee, "assignee")
            access.issue_service(conn, who, issue_id)
            return ledger.assign_issue(conn, issue_id, version, cadre, responsible_unit,
                                       who.cadre_id)  # fmt: skip

        return await attempt(info, work, to_payload=issue_payload)

    @strawberry.mutation(description="Add a comment to an issue's trail (its version stays).")
    async def comment_issue(self, info: Info, id: strawberry.ID, note: str) -> IssueResult:
        who = info.context.principal

        def work(conn: Connection) -> IssueRecord:
            issue_id = parse_id(id, "id")
            access.issue_service(conn, who, issue_id)
            return ledger.comment_issue(conn, issue_id, note, who.cadre_id)

        return await attempt(info, work, to_payload=issue_payload)

    @strawberry.mutation(description="Record what an issue achieved, for the park's figures.")
    async def record_outcome(
        self, info: Info, id: strawberry.ID, version: int,
        people_hired: Annotated[int, strawberry.argument(
            description="People the enterprise hired through the issue, 0 or more.")] = 0,
        loan_cny: Annotated[float, strawberry.argument(
            description="Loans obtained, in CNY, 0 or more.")] = 0.0,
        hazards_rectified: Annotated[int, strawberry.argument(
            description="Safety hazards rectified, 0 or more.")] = 0,
        note: str | None = None,
    ) -> IssueResult:  # fmt: skip
        who = info.context.principal

        def work(conn: Connection) -> IssueRecord:
            issue_id = parse_id(id, "id")
            access.issue_service(conn, who, issue_id)
            outcome = ledger.NewOutcome(people_hired, loan_cny, hazards_rectified, note)
            return ledger.record_outcome(conn, issue_id, version, outcome, who.cadre_id)

        return await attempt(info, work, to_payload=issue_payload)

    @strawberry.mutation(description="Log a visit in one or more of the four duties.")
    async def log_visit(
        self, info: Info, enterprise: str,
        at: Annotated[datetime, strawberry.argument(
            description="When the visit took place (ISO 8601 with an offset).")],
        duties: list[Duty],
        note: str | None = None,
        check_in: Annotated[PointInput | None, strawberry.argument(
            description="Where the cadre's device was; a point far from the enterprise is"
            " accepted but flagged (Visit.checkInFlagged).")] = None,
        cadre: strawberry.ID | None = None,
    ) -> VisitResult:  # fmt: skip
        who = info.context.principal

        def work(conn: Connection) -> VisitRecord:
            moment = checked_moment(at, info.context.ledger.visit_window(info.context.now))
            visit = new_visit(cadre, enterprise, moment, duties, note, check_in)
            access.enterprise_service(conn, who, visit.enterprise_uscc, "enterprise")
            visitor = access.acting_cadre(conn, who, visit.cadre_id, visit.enterprise_uscc,
                                          "cadre", required=True)  # fmt: skip
            return ledger.log_visit(conn, replace(visit, cadre_id=visitor), who.cadre_id)

        return await attempt(info, work, to_payload=visit_payload)
