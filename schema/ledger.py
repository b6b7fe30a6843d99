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
    id: strawberry.ID = strawberry.field(description="The event's ID; IDs grow with time.")
    occurred_at: datetime = strawberry.field(description="When it was recorded.")
    subject: str = strawberry.field(description="issue, visit, assignment, enterprise, ...")
    action: str = strawberry.field(description="created, transitioned, assigned, moved, ...")
    changes: JSON | None = strawberry.field(
        description="Values before and after; null unless you serve the record."
    )
    note: str | None = strawberry.field(
        description="A note given with the change; null unless you serve the record."
    )
    actor: Cadre | None = strawberry.field(
        description="The cadre whose token made the change; null for an admin token without a"
        " cadre, or for anonymous callers."
    )


@strawberry.type(description="A problem or need an enterprise raised, tracked until closed.")
class Issue:
    id: strawberry.ID = strawberry.field(description="The issue's ID.")
    category: IssueCategory = strawberry.field(description="What it is about.")
    title: str | None = strawberry.field(description="Null for anonymous callers.")
    description: str | None = strawberry.field(
        description="The full text: cadres serving its grid and admins; null for others."
    )
    severity: Severity = strawberry.field(description="How serious it is.")
    status: IssueStatus = strawberry.field(description="Where it is in its lifecycle.")
    responsible_unit: str | None = strawberry.field(
        description="The office in charge; null when not set."
    )
    due_date: date | None = strawberry.field(
        description="When it should be resolved (park time zone); by default the report date"
        " plus the category's days."
    )
    rejection_reason: str | None = strawberry.field(
        description="Why it was rejected: cadres serving its grid and admins; null otherwise."
    )
    reported_at: datetime = strawberry.field(description="When it was reported.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    resolved_at: datetime | None = strawberry.field(
        description="When it was resolved; null until then."
    )
    closed_at: datetime | None = strawberry.field(
        description="When it was closed or rejected; null while open."
    )
    version: int = strawberry.field(
        description="Grows with each change; send it back with a change (CONFLICT if stale)."
    )
    overdue: bool = strawberry.field(
        description="Open and past its due date in the park's time zone."
    )
    enterprise: EnterpriseType | None = strawberry.field(description="Who raised it.")
    reporter: Cadre | None = strawberry.field(
        description="The cadre who reported it; null for anonymous callers."
    )
    assignee: Cadre | None = strawberry.field(
        description="The cadre working on it; null when none, or for anonymous callers."
    )
    events: list[Event] = strawberry.field(description="Every change to the issue, oldest first.")


@strawberry.type(description="A cadre's visit to an enterprise, in one or more duties.")
class Visit:
    id: strawberry.ID = strawberry.field(description="The visit's ID.")
    visited_at: datetime = strawberry.field(description="When the visit took place.")
    duties: list[Duty] = strawberry.field(description="The duties exercised, at least one.")
    note: str | None = strawberry.field(
        description="What was found: cadres serving its grid and admins; null otherwise."
    )
    cadre: Cadre | None = strawberry.field(description="Who visited; null for anonymous callers.")
    enterprise: EnterpriseType | None = strawberry.field(description="The enterprise visited.")
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
