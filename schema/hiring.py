"""Hiring drives: monthly hiring plans entered by each enterprise's liaison, the monthly
recruitment notice assembled from them, and recruitment events (job fairs, online pushes)
with the hires each enterprise made. Declarations only: the read compiler answers every
field (resolvers.reads.types_hiring)."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry
from sqlalchemy.engine import Connection as Db

from parkgrid.vocabulary import RECRUITMENT_KINDS
from resolvers.writes import access, hiring
from schema import reading
from schema.areas import Park
from schema.connection import Connection
from schema.context import Info
from schema.enums import describe_values, members
from schema.infrastructure import After, First, ParkCode
from schema.ledger import Event
from schema.ledger_mutations import text_required
from schema.outcomes import AnyUserError, attempt
from schema.people import Cadre

if TYPE_CHECKING:
    from schema.enterprise import Enterprise

EnterpriseType = Annotated["Enterprise", strawberry.lazy("schema.enterprise")]

RecruitmentKind = Enum("RecruitmentKind", members(RECRUITMENT_KINDS))  # type: ignore[misc]
strawberry.enum(RecruitmentKind, description="How the park recruits for its enterprises.")


@strawberry.type(description="An enterprise's plan to hire for one position in one month.")
class HiringPlan:
    id: strawberry.ID = strawberry.field(description="The plan's id.")
    month: date = strawberry.field(description="The month, as its first day.")
    position: str = strawberry.field(description="The position.")
    headcount: int = strawberry.field(description="People wanted.")
    requirements: str | None = strawberry.field(description="What the position asks for.")
    wage_min: float | None = strawberry.field(description="Monthly wage offered, from (CNY).")
    wage_max: float | None = strawberry.field(description="Monthly wage offered, to (CNY).")
    version: int = strawberry.field(description="Moves on with every change; send it back.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    enterprise: EnterpriseType | None = strawberry.field(description="Who is hiring.")
    entered_by: Cadre | None = strawberry.field(description="The cadre who entered it.")
    events: list[Event] = strawberry.field(description="Every change, oldest first.")


@strawberry.type(description="One line of the notice: a position in an industry.")
class NoticeLine:
    position: str = strawberry.field(description="The position.")
    industry: str | None = strawberry.field(description="The enterprises' industry.")
    headcount: int = strawberry.field(description="People wanted, over the enterprises.")
    enterprises: int = strawberry.field(description="Enterprises hiring for it.")
    wage_min: float | None = strawberry.field(description="Lowest wage offered (CNY).")
    wage_max: float | None = strawberry.field(description="Highest wage offered (CNY).")
    plans: list[HiringPlan] = strawberry.field(description="The plans, by credit code.")


@strawberry.type(description="The month's recruitment notice (招聘公告), assembled from plans.")
class RecruitmentNotice:
    month: date = strawberry.field(description="The month, as its first day.")
    headcount: int = strawberry.field(description="People wanted in all.")
    enterprise_count: int = strawberry.field(description="Enterprises hiring.")
    lines: list[NoticeLine] = strawberry.field(description="By industry, then position.")


@strawberry.type(description="The hires one enterprise made at a recruitment event.")
class EventHires:
    enterprise: EnterpriseType | None = strawberry.field(description="The enterprise.")
    hires: int | None = strawberry.field(
        description="People it hired there; null unless you serve the enterprise."
    )


@strawberry.type(description="A job fair, online push or media release, with its hires.")
class RecruitmentEvent:
    id: strawberry.ID = strawberry.field(description="The event's id.")
    kind: RecruitmentKind = strawberry.field(description="What kind of event.")
    title: str = strawberry.field(description="Its title.")
    held_on: date = strawberry.field(description="The day it took place.")
    place: str | None = strawberry.field(description="Where.")
    organiser: str | None = strawberry.field(description="The organising unit (HR bureau).")
    version: int = strawberry.field(description="Moves on with every change.")
    park: Park | None = strawberry.field(description="The park it was held for.")
    hires: int = strawberry.field(
        description="People hired in all, over the enterprises you serve."
    )
    enterprises: list[EventHires] = strawberry.field(description="Per enterprise, by code.")
    events: list[Event] = strawberry.field(description="Every change, oldest first.")


Day = Annotated[date | None, strawberry.argument(description="A day (inclusive bound).")]


@strawberry.type
class HiringQuery:
    @strawberry.field(description="The recruitment notice of a month, from the hiring plans.")
    async def recruitment_notice(
        self,
        info: Info,
        month: Annotated[date, strawberry.argument(description="The month's first day.")],
        park: ParkCode = None,
    ) -> RecruitmentNotice:
        return await reading.query(info)

    @strawberry.field(description="Recruitment events, newest first.")
    async def recruitment_events(
        self,
        info: Info,
        park: ParkCode = None,
        held_from: Day = None,
        held_to: Day = None,
        first: First = None,
        after: After = None,
    ) -> Connection[RecruitmentEvent]:
        return await reading.query(info)

    @strawberry.field(description="A recruitment event by id.")
    async def recruitment_event(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="Id.")]
    ) -> RecruitmentEvent | None:
        return await reading.query(info)

    @strawberry.field(description="A hiring plan by id.")
    async def hiring_plan(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="Id.")]
    ) -> HiringPlan | None:
        return await reading.query(info)


@strawberry.input(description="An enterprise's plan for one position in one month.")
class HiringPlanInput:
    enterprise: str = strawberry.field(description="Its credit code.")
    month: date = strawberry.field(description="The month, as its first day.")
    position: str = strawberry.field(description="The position.")
    headcount: int = strawberry.field(description="People wanted (1 or more).")
    requirements: str | None = strawberry.field(default=None, description="What it asks for.")
    wage_min: float | None = strawberry.field(default=None, description="Wage from (CNY).")
    wage_max: float | None = strawberry.field(default=None, description="Wage to (CNY).")
    version: int | None = strawberry.field(
        default=None, description="The version read: required to change an existing plan."
    )


@strawberry.input(description="The hires one enterprise made at an event.")
class EventHiresInput:
    enterprise: str = strawberry.field(description="Its credit code.")
    hires: int = strawberry.field(description="People hired (0 or more).")


@strawberry.input(description="A recruitment event that has taken place.")
class RecruitmentEventInput:
    park: str = strawberry.field(description="The park's code.")
    kind: RecruitmentKind = strawberry.field(description="What kind of event.")
    title: str = strawberry.field(description="Its title.")
    held_on: date = strawberry.field(description="The day (not in the future).")
    enterprises: list[EventHiresInput] = strawberry.field(description="Who took part.")
    place: str | None = strawberry.field(default=None, description="Where.")
    organiser: str | None = strawberry.field(default=None, description="The organising unit.")


@strawberry.type(description="The plan as saved.")
class HiringPlanPayload:
    plan_id: strawberry.Private[int]

    @strawberry.field(description="The plan as it is now.")
    async def plan(self, info: Info) -> HiringPlan:
        return await reading.entity(info, "HiringPlan", self.plan_id)


@strawberry.type(description="The event as recorded.")
class RecruitmentEventPayload:
    event_id: strawberry.Private[int]

    @strawberry.field(description="The event as it is now.")
    async def event(self, info: Info) -> RecruitmentEvent:
        return await reading.entity(info, "RecruitmentEvent", self.event_id)


HiringPlanResult = Annotated[
    HiringPlanPayload | AnyUserError,
    strawberry.union("HiringPlanResult"),
]
RecruitmentEventResult = Annotated[
    RecruitmentEventPayload | AnyUserError,
    strawberry.union("RecruitmentEventResult"),
]


@strawberry.type
class HiringMutation:
    @strawberry.mutation(
        description="Enter an enterprise's hiring plan for a month and position, or change it"
        " (give the version); the enterprise's liaison, its grid's or zone's lead."
    )
    async def save_hiring_plan(
        self, info: Info, plan: Annotated[HiringPlanInput, strawberry.argument(description="It.")]
    ) -> HiringPlanResult:
        who = info.context.principal

        def work(conn: Db) -> int:
            new = hiring.NewPlan(plan.enterprise.strip().upper(), plan.month,
                                 text_required(plan.position, "position"), plan.headcount,
                                 plan.requirements, plan.wage_min, plan.wage_max)  # fmt: skip
            access.enterprise_service(conn, who, new.enterprise_uscc, "enterprise")
            return hiring.save_plan(conn, new, plan.version, who.cadre_id)

        return await attempt(info, work, to_payload=lambda found: HiringPlanPayload(plan_id=found))

    @strawberry.mutation(
        description="Record a recruitment event and the hires each enterprise made (they feed"
        " the outcome totals); an administrator or a zone lead."
    )
    async def record_recruitment_event(
        self,
        info: Info,
        event: Annotated[RecruitmentEventInput, strawberry.argument(description="It.")],
    ) -> RecruitmentEventResult:
        who, today = info.context.principal, info.context.today

        def work(conn: Db) -> int:
            access.park_works(who, "event")
            hires = tuple((h.enterprise.strip().upper(), h.hires) for h in event.enterprises)
            new = hiring.NewRecruitment(event.park, event.kind.value,
                                        text_required(event.title, "title"), event.held_on,
                                        event.place, event.organiser, hires)  # fmt: skip
            return hiring.record_recruitment(conn, new, today, who.cadre_id)

        return await attempt(
            info, work, to_payload=lambda found: RecruitmentEventPayload(event_id=found)
        )


describe_values(RecruitmentKind, {
    "job_fair": "A job fair (招聘会) with enterprises taking part.",
    "online_push": "An online push of the recruitment notice.",
    "media_release": "A release through the press or broadcast media.",
})  # fmt: skip
