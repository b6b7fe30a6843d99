"""Park-wide service activities (financing salons, safety sweeps, policy briefings, theme
party days): organised for many enterprises at once, counted in coverage and in `stats`.
Declarations only: the read compiler answers every field (resolvers.reads.types_activities)."""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry
from sqlalchemy.engine import Connection as Db

from parkgrid.vocabulary import ACTIVITY_KINDS
from resolvers.records import optional_id, parse_id
from resolvers.writes import access, activities
from schema import reading
from schema.areas import Park
from schema.connection import Connection
from schema.context import Info
from schema.enums import Duty, IssueCategory, Severity, describe_values, members
from schema.infrastructure import After, First
from schema.ledger import Event, Issue
from schema.ledger_mutations import REPORTED_SEVERITY, new_issue, text_required
from schema.outcomes import AnyUserError, attempt
from schema.people import Cadre

if TYPE_CHECKING:
    from schema.enterprise import Enterprise

EnterpriseType = Annotated["Enterprise", strawberry.lazy("schema.enterprise")]

ActivityKind = Enum("ActivityKind", members(ACTIVITY_KINDS))  # type: ignore[misc]
strawberry.enum(ActivityKind, description="What kind of park-wide activity.")


@strawberry.type(description="An enterprise an activity reached, and what it gained there.")
class ActivityParticipant:
    enterprise: EnterpriseType | None = strawberry.field(description="The enterprise.")
    loan_cny: float | None = strawberry.field(
        description="Loans agreed for it (CNY); null unless you serve the enterprise."
    )
    hazards_found: int | None = strawberry.field(
        description="Hazards found there; null unless you serve the enterprise."
    )


@strawberry.type(description="An activity the park organised for many enterprises at once.")
class ServiceActivity:
    id: strawberry.ID = strawberry.field(description="The activity's id.")
    kind: ActivityKind = strawberry.field(description="What kind of activity.")
    duty: Duty = strawberry.field(
        description="The duty it served: each enterprise reached counts as served in it."
    )
    title: str = strawberry.field(description="The activity's title.")
    held_on: date = strawberry.field(description="The day it took place.")
    place: str | None = strawberry.field(description="Where.")
    organiser: str | None = strawberry.field(description="The organising unit (bank, bureau).")
    organiser_cadre: Cadre | None = strawberry.field(description="The cadre who organised it.")
    version: int = strawberry.field(description="Moves on with every change; send it back.")
    park: Park | None = strawberry.field(description="The park it was held for.")
    enterprise_count: int = strawberry.field(description="Enterprises reached.")
    loan_cny: float = strawberry.field(
        description="Loans agreed in total (CNY), over the enterprises you serve."
    )
    enterprises: list[ActivityParticipant] = strawberry.field(
        description="The enterprises reached, by credit code."
    )
    cadres: list[Cadre] = strawberry.field(description="The cadres taking part.")
    issues: list[Issue] = strawberry.field(description="Hazards found, as ledger issues.")
    events: list[Event] = strawberry.field(description="Every change, oldest first.")


@strawberry.input(description="Which activities.")
class ActivityFilterInput:
    park: str | None = strawberry.field(default=None, description="A park's code.")
    kind: ActivityKind | None = strawberry.field(default=None, description="Of this kind.")
    duty: Duty | None = strawberry.field(default=None, description="In this duty.")
    held_from: date | None = strawberry.field(default=None, description="Held on or after.")
    held_to: date | None = strawberry.field(default=None, description="Held on or before.")


@strawberry.type
class ActivityQuery:
    @strawberry.field(description="Park-wide service activities, newest first.")
    async def service_activities(
        self,
        info: Info,
        filter: Annotated[
            ActivityFilterInput | None, strawberry.argument(description="Which activities.")
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[ServiceActivity]:
        return await reading.query(info)

    @strawberry.field(description="A service activity by id.")
    async def service_activity(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="Id.")]
    ) -> ServiceActivity | None:
        return await reading.query(info)


@strawberry.input(description="An enterprise an activity reached, and its results.")
class ParticipantInput:
    enterprise: str = strawberry.field(description="Its credit code.")
    loan_cny: float = strawberry.field(default=0.0, description="Loans agreed (CNY).")
    hazards_found: int = strawberry.field(default=0, description="Hazards found there.")


@strawberry.input(description="A service activity that has taken place.")
class ServiceActivityInput:
    park: str = strawberry.field(description="The park's code.")
    kind: ActivityKind = strawberry.field(description="What kind of activity.")
    duty: Duty = strawberry.field(description="The duty it served.")
    title: str = strawberry.field(description="Its title.")
    held_on: date = strawberry.field(description="The day (not in the future).")
    enterprises: list[ParticipantInput] = strawberry.field(description="Enterprises reached.")
    cadres: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Cadres taking part."
    )
    place: str | None = strawberry.field(default=None, description="Where.")
    organiser: str | None = strawberry.field(default=None, description="The organising unit.")
    organiser_cadre: strawberry.ID | None = strawberry.field(
        default=None, description="The cadre who organised it."
    )


@strawberry.type(description="The activity after the change.")
class ActivityPayload:
    activity_id: strawberry.Private[int]

    @strawberry.field(description="The activity as it is now.")
    async def activity(self, info: Info) -> ServiceActivity:
        return await reading.entity(info, "ServiceActivity", self.activity_id)


ActivityResult = Annotated[
    ActivityPayload | AnyUserError,
    strawberry.union("ActivityResult"),
]


def new_activity(given: ServiceActivityInput) -> activities.NewActivity:
    return activities.NewActivity(
        park=given.park, kind=given.kind.value, duty=given.duty.value,
        title=text_required(given.title, "title"), held_on=given.held_on, place=given.place,
        organiser=given.organiser, organiser_id=optional_id(given.organiser_cadre,
                                                            "organiserCadre"),
        enterprises=tuple(activities.Participant(p.enterprise.strip().upper(), p.loan_cny,
                                                 p.hazards_found) for p in given.enterprises),
        cadres=tuple(parse_id(c, "cadres") for c in given.cadres),
    )  # fmt: skip


def payload(activity_id: int) -> ActivityPayload:
    return ActivityPayload(activity_id=activity_id)


@strawberry.type
class ActivityMutation:
    @strawberry.mutation(
        description="Record a park-wide activity with the enterprises it reached and their"
        " results; an administrator or a zone lead."
    )
    async def record_service_activity(
        self,
        info: Info,
        activity: Annotated[ServiceActivityInput, strawberry.argument(description="It.")],
    ) -> ActivityResult:
        who, today = info.context.principal, info.context.today

        def work(conn: Db) -> int:
            access.park_works(who, "activity")
            return activities.record_activity(conn, new_activity(activity), today, who.cadre_id)

        return await attempt(info, work, to_payload=payload)

    @strawberry.mutation(
        description="A hazard the activity found at one of its enterprises: a ledger issue"
        " (category SAFETY_HAZARD) linked to the activity."
    )
    async def report_activity_hazard(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The activity's id.")],
        version: Annotated[int, strawberry.argument(description="The version read.")],
        enterprise: Annotated[str, strawberry.argument(description="Where it was found.")],
        title: Annotated[str, strawberry.argument(description="The hazard.")],
        description: Annotated[str | None, strawberry.argument(description="Details.")] = None,
        severity: Annotated[Severity, strawberry.argument(description="How serious.")] = (
            REPORTED_SEVERITY
        ),
    ) -> ActivityResult:
        who = info.context.principal

        def work(conn: Db) -> int:
            issue = new_issue(info, enterprise, IssueCategory("safety_hazard"), title,
                              description, severity, None, None)  # fmt: skip
            access.enterprise_service(conn, who, issue.enterprise_uscc, "enterprise")
            return activities.report_hazard(conn, parse_id(id, "id"), version, issue,
                                            who.cadre_id)  # fmt: skip

        return await attempt(info, work, to_payload=payload)


describe_values(ActivityKind, {
    "financing_salon": "Enterprises meet banks (融资对接); its results record loans agreed.",
    "safety_inspection": "A safety sweep of many enterprises; hazards found become ledger issues.",
    "policy_briefing": "A briefing on policy for many enterprises (政策宣讲).",
    "party_theme_day": "A park-wide party theme day.",
    'training': "Training for enterprises' staff or managers.",
    "other": "Any other park-wide service activity.",
})  # fmt: skip
