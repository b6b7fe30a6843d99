"""The ledger: visits and issues, with their event log. Declarations only: the read compiler
answers every field (resolvers.reads.types_ledger)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.scalars import JSON

from schema.enums import Duty, IssueCategory, IssueStatus, Severity
from schema.people import Cadre
from schema.scalars import GeoJSON

if TYPE_CHECKING:
    from schema.enterprise import Enterprise

EnterpriseType = Annotated["Enterprise", strawberry.lazy("schema.enterprise")]


@strawberry.type(description="One change in the append-only log.")
class Event:
    id: strawberry.ID
    occurred_at: datetime
    subject: str = strawberry.field(description="issue, visit, assignment, enterprise, ...")
    action: str
    changes: JSON | None = strawberry.field(
        description="Values before and after; null unless you serve the record."
    )
    note: str | None
    actor: Cadre | None


@strawberry.type(description="A problem or need an enterprise raised, tracked until closed.")
class Issue:
    id: strawberry.ID
    category: IssueCategory
    title: str | None = strawberry.field(description="Null for anonymous callers.")
    description: str | None
    severity: Severity
    status: IssueStatus
    responsible_unit: str | None
    due_date: date | None
    rejection_reason: str | None
    reported_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    closed_at: datetime | None
    version: int
    overdue: bool = strawberry.field(
        description="Open and past its due date in the park's time zone."
    )
    enterprise: EnterpriseType | None
    reporter: Cadre | None
    assignee: Cadre | None
    events: list[Event] = strawberry.field(description="Every change to the issue, oldest first.")


@strawberry.type(description="A cadre's visit to an enterprise, in one or more duties.")
class Visit:
    id: strawberry.ID
    visited_at: datetime
    duties: list[Duty]
    note: str | None
    cadre: Cadre | None
    enterprise: EnterpriseType | None
    check_in: GeoJSON | None = strawberry.field(
        description="Where the cadre checked in, if they did."
    )
    check_in_distance_meters: float | None = strawberry.field(
        description="Geodesic distance from the check-in to the enterprise."
    )
    check_in_flagged: bool = strawberry.field(
        description="True when the check-in lies farther from the enterprise than the park"
        " allows (500 m by default): accepted, but worth a look."
    )
