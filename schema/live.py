"""The Subscription root: live updates over WebSocket (graphql-transport-ws, on /graphql).

Each message is one committed change, with its event id and its subject as the subscriber
reads it at that moment (the read compiler answers the payloads: resolvers.reads.changes);
`since: eventId` first replays the log after that event (schema.live_stream)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Annotated

import strawberry

from schema.areas import Grid, Park, Zone
from schema.context import Info
from schema.enterprise import Enterprise
from schema.enums import IssueStatus
from schema.ledger import Event, Issue, Visit
from schema.live_counts import COALESCE_S, counts
from schema.live_stream import REPLAY_LIMIT, Areas, Kind, stream
from schema.people import Assignment

EVENT_ID = "The event's id. Pass the last one received as `since` to resume after a reconnect."
EVENT = "The change itself; null for anonymous callers, who cannot read the event log."

ParkCode = Annotated[str | None, strawberry.argument(description="Only changes in this park.")]
ZoneCode = Annotated[str | None, strawberry.argument(description="Only changes in this zone.")]
GridCode = Annotated[str | None, strawberry.argument(description="Only changes in this grid.")]
Since = Annotated[
    strawberry.ID | None,
    strawberry.argument(
        description="Replay the changes after this event id first, then go live (at most"
        f" {REPLAY_LIMIT:,}: more is REPLAY_TOO_LONG, and the client queries instead)."
    ),
]


@strawberry.type(description="An issue after a change: reported, transitioned, assigned, ...")
class IssueChange:
    event_id: strawberry.ID = strawberry.field(description=EVENT_ID)
    issue: Issue | None = strawberry.field(description="The issue as it is now.")
    event: Event | None = strawberry.field(description=EVENT)


@strawberry.type(description="A visit just logged.")
class VisitChange:
    event_id: strawberry.ID = strawberry.field(description=EVENT_ID)
    visit: Visit | None = strawberry.field(
        description="The visit as logged; null when the caller may not see it."
    )
    event: Event | None = strawberry.field(description=EVENT)


@strawberry.type(
    description="A change to the register: an enterprise registered, updated or moved, a zone"
    " or grid created or reshaped, an assignment started or ended. One of the subject fields"
    " is set, as it is now."
)
class RegisterChange:
    event_id: strawberry.ID = strawberry.field(description=EVENT_ID)
    subject: str = strawberry.field(description="enterprise, zone, grid, park or assignment")
    enterprise: Enterprise | None = strawberry.field(
        description="The enterprise, when it is the subject."
    )
    zone: Zone | None = strawberry.field(description="The zone, when it is the subject.")
    grid: Grid | None = strawberry.field(description="The grid, when it is the subject.")
    park: Park | None = strawberry.field(description="The park, when it is the subject.")
    assignment: Assignment | None = strawberry.field(description="Null for anonymous callers.")
    event: Event | None = strawberry.field(description=EVENT)


@strawberry.type(
    description="A grid's or zone's counts after changes that can move them (enterprises,"
    " open and overdue issues): select them on `grid` or `zone`, whichever is set."
)
class AreaCountsChange:
    event_id: strawberry.ID = strawberry.field(description="The last change counted.")
    grid: Grid | None = strawberry.field(
        description="The grid whose counts changed; null when a zone's did."
    )
    zone: Zone | None = strawberry.field(
        description="The zone whose counts changed; null when a grid's did."
    )


ISSUES = Kind("IssueChange", frozenset({"issue"}))
VISITS = Kind("VisitChange", frozenset({"visit"}))
REGISTER = Kind("RegisterChange", frozenset({"enterprise", "zone", "grid", "park", "assignment"}))


@strawberry.type(
    description="Live changes over WebSocket (graphql-transport-ws at /graphql), filtered by"
    " what the caller may see."
)
class Subscription:
    @strawberry.subscription(
        description="Every change to an issue (reported, transitioned, assigned, commented,"
        " an outcome recorded), with the issue's new state."
    )
    async def issue_changed(
        self,
        info: Info,
        park: ParkCode = None,
        zone: ZoneCode = None,
        grid: GridCode = None,
        status: Annotated[
            list[IssueStatus] | None,
            strawberry.argument(description="Only issues whose new status is one of these."),
        ] = None,
        since: Since = None,
    ) -> AsyncGenerator[IssueChange, None]:
        statuses = None if status is None else frozenset(s.value for s in status)
        async with aclosing(
            stream(info, ISSUES, Areas(park, zone, grid), since, statuses)
        ) as items:
            async for item in items:
                yield item

    @strawberry.subscription(description="Every visit logged.")
    async def visit_logged(
        self,
        info: Info,
        park: ParkCode = None,
        zone: ZoneCode = None,
        grid: GridCode = None,
        since: Since = None,
    ) -> AsyncGenerator[VisitChange, None]:
        async with aclosing(stream(info, VISITS, Areas(park, zone, grid), since)) as items:
            async for item in items:
                yield item

    @strawberry.subscription(
        description="Enterprises registered, updated or moved; zones and grids created or"
        " reshaped; assignments started or ended."
    )
    async def register_changed(
        self, info: Info, park: ParkCode = None, since: Since = None
    ) -> AsyncGenerator[RegisterChange, None]:
        async with aclosing(stream(info, REGISTER, Areas(park), since)) as items:
            async for item in items:
                yield item

    @strawberry.subscription(
        description="The counts of each grid and zone a change touches, at most once per"
        f" area every {COALESCE_S:g} s (the changes meanwhile sent together)."
    )
    async def area_counts_changed(
        self, info: Info, park: ParkCode = None, zone: ZoneCode = None
    ) -> AsyncGenerator[AreaCountsChange, None]:
        async with aclosing(counts(info, park, zone)) as items:
            async for item in items:
                yield item
