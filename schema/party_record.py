"""An enterprise's party-building record (meetings, branch elections, the membership
pipeline's counts, honours) and its safety standardisation. Counts and dates only: no
member's name or personal data is held or shown. Declarations only: the read compiler
answers every field (resolvers.reads.types_party_record)."""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlalchemy.engine import Connection as Db

from parkgrid.vocabulary import (
    PARTY_HONOURS,
    PARTY_MEETING_KINDS,
    PIPELINE_STAGES,
    STANDARDISATION_LEVELS,
)
from resolvers.writes import access, party_record
from schema import reading
from schema.context import Info
from schema.enums import describe_values, members
from schema.outcomes import AnyUserError, attempt

if TYPE_CHECKING:
    from schema.enterprise import Enterprise

EnterpriseType = Annotated["Enterprise", strawberry.lazy("schema.enterprise")]

MeetingKind = Enum("MeetingKind", members(PARTY_MEETING_KINDS))  # type: ignore[misc]
strawberry.enum(
    MeetingKind,
    description="A branch's meetings: the three meetings and one lesson, the theme party day,"
    " the organisational life meeting and the democratic appraisal.",
)
PipelineStage = Enum("PipelineStage", members(PIPELINE_STAGES))  # type: ignore[misc]
strawberry.enum(
    PipelineStage,
    description="Membership pipeline steps: activists trained, development candidates settled,"
    " probationary members confirmed.",
)
HonourKind = Enum("HonourKind", members(PARTY_HONOURS))  # type: ignore[misc]
strawberry.enum(HonourKind, description="Honours a branch can hold.")
StandardisationLevel = Enum("StandardisationLevel", members(STANDARDISATION_LEVELS))  # type: ignore[misc]
strawberry.enum(StandardisationLevel, description="Safety standardisation grade (一级 to 三级).")


@strawberry.type(description="A meeting the enterprise's party organisation held.")
class PartyMeeting:
    kind: MeetingKind = strawberry.field(description="Which meeting.")
    held_on: date = strawberry.field(description="The day.")
    attendance: int = strawberry.field(description="How many attended (a count).")
    liaison_attended: bool = strawberry.field(description="Its liaison cadre attended.")


@strawberry.type(description="A branch committee's re-election (换届).")
class BranchElection:
    held_on: date = strawberry.field(description="The day.")


@strawberry.type(description="People who reached a pipeline step (a count, never names).")
class PipelineEntry:
    stage: PipelineStage = strawberry.field(description="The step.")
    recorded_on: date = strawberry.field(description="When.")
    people: int = strawberry.field(description="How many.")


@strawberry.type(description="An honour the enterprise's branch holds.")
class PartyHonour:
    kind: HonourKind = strawberry.field(description="The honour.")
    awarded_on: date = strawberry.field(description="When.")
    awarded_by: str | None = strawberry.field(description="Who awarded it.")


@strawberry.type(description="The enterprise's safety standardisation (安全生产标准化).")
class SafetyStandardisation:
    certified: bool = strawberry.field(description="Certified now.")
    level: StandardisationLevel | None = strawberry.field(description="The grade.")
    certified_on: date | None = strawberry.field(description="When it was certified.")
    version: int = strawberry.field(description="Moves on with every change; send it back.")


@strawberry.type(description="The enterprise after the entry.")
class PartyRecordPayload:
    enterprise_id: strawberry.Private[int]

    @strawberry.field(description="The enterprise, with its record.")
    async def enterprise(self, info: Info) -> EnterpriseType:
        return await reading.entity(info, "Enterprise", self.enterprise_id)


PartyRecordResult = Annotated[
    PartyRecordPayload | AnyUserError,
    strawberry.union("PartyRecordResult"),
]
Uscc = Annotated[str, strawberry.argument(description="The enterprise's credit code.")]


def described(text: str) -> Any:
    return strawberry.argument(description=text)


async def entered(info: Info, uscc: str, table: str, values: dict[str, Any]) -> Any:
    """One entry of the record, by the enterprise's servers (its liaison, grid or zone lead)."""
    who, today, code = info.context.principal, info.context.today, uscc.strip().upper()

    def work(conn: Db) -> int:
        access.enterprise_service(conn, who, code, "enterprise")
        return party_record.record_entry(conn, code, table, values, today, who.cadre_id)

    return await attempt(
        info, work, to_payload=lambda found: PartyRecordPayload(enterprise_id=found)
    )


@strawberry.type
class PartyRecordMutation:
    @strawberry.mutation(description="Record a meeting of the enterprise's party organisation.")
    async def record_party_meeting(
        self, info: Info, enterprise: Uscc,
        kind: Annotated[MeetingKind, described("Which meeting.")],
        held_on: Annotated[date, described("The day (not in the future).")],
        attendance: Annotated[int, described("How many attended.")] = 0,
        liaison_attended: Annotated[bool, described("Its liaison attended.")] = False,
    ) -> PartyRecordResult:  # fmt: skip
        values = {"kind": kind.value, "held_on": held_on, "attendance": attendance,
                  "liaison_attended": liaison_attended}  # fmt: skip
        result: PartyRecordResult = await entered(info, enterprise, "party_meeting", values)
        return result

    @strawberry.mutation(description="Record a branch election (one a day at most).")
    async def record_branch_election(
        self, info: Info, enterprise: Uscc,
        held_on: Annotated[date, described("The day (not in the future).")],
    ) -> PartyRecordResult:  # fmt: skip
        result: PartyRecordResult = await entered(info, enterprise, "party_election",
                                                  {"held_on": held_on})  # fmt: skip
        return result

    @strawberry.mutation(description="Record how many people reached a pipeline step.")
    async def record_party_pipeline(
        self, info: Info, enterprise: Uscc,
        stage: Annotated[PipelineStage, described("The step.")],
        recorded_on: Annotated[date, described("When (not in the future).")],
        people: Annotated[int, described("How many (1 or more).")],
    ) -> PartyRecordResult:  # fmt: skip
        values = {"stage": stage.value, "recorded_on": recorded_on, "people": people}
        result: PartyRecordResult = await entered(info, enterprise, "party_pipeline", values)
        return result

    @strawberry.mutation(description="Record an honour the enterprise's branch received.")
    async def record_party_honour(
        self, info: Info, enterprise: Uscc,
        kind: Annotated[HonourKind, described("The honour.")],
        awarded_on: Annotated[date, described("When (not in the future).")],
        awarded_by: Annotated[str | None, described("Who awarded it.")] = None,
    ) -> PartyRecordResult:  # fmt: skip
        values = {"kind": kind.value, "awarded_on": awarded_on, "awarded_by": awarded_by}
        result: PartyRecordResult = await entered(info, enterprise, "party_honour", values)
        return result

    @strawberry.mutation(
        description="Record or change (with its version) the enterprise's safety"
        " standardisation: certified with a level and date, or not certified."
    )
    async def set_safety_standardisation(
        self, info: Info, enterprise: Uscc,
        certified: Annotated[bool, described("Certified now.")],
        level: Annotated[StandardisationLevel | None, described("The grade.")] = None,
        certified_on: Annotated[date | None, described("When it was certified.")] = None,
        version: Annotated[int | None, described("The version read, to change it.")] = None,
    ) -> PartyRecordResult:  # fmt: skip
        who, today, code = info.context.principal, info.context.today, enterprise.strip().upper()
        given = party_record.Standardisation(certified, level.value if level else None,
                                             certified_on)  # fmt: skip

        def work(conn: Db) -> int:
            access.enterprise_service(conn, who, code, "enterprise")
            return party_record.set_standardisation(conn, code, given, version, today,
                                                    who.cadre_id)  # fmt: skip

        return await attempt(
            info, work, to_payload=lambda found: PartyRecordPayload(enterprise_id=found)
        )


describe_values(StandardisationLevel, {
    "level_1": "Safety standardisation level 1 (the highest).",
    "level_2": "Level 2.",
    "level_3": "Level 3 (the entry level).",
})  # fmt: skip

describe_values(MeetingKind, {
    'members_meeting': "A general meeting of the branch's members (支部党员大会).",
    "committee_meeting": "A meeting of the branch committee (支委会).",
    "group_meeting": "A party group meeting (党小组会).",
    "party_lesson": "A party lesson (党课).",
    "theme_day": "The monthly theme party day (主题党日).",
    "organisational_life": "An organisational life meeting (组织生活会).",
    "democratic_appraisal": "The democratic appraisal of members (民主评议党员).",
})  # fmt: skip

describe_values(PipelineStage, {
    "activist": "Activists applying to join, trained (入党积极分子): counted, never named.",
    "candidate": "Development candidates settled (发展对象): counted.",
    "confirmed": "Probationary members confirmed as full members (预备党员转正): counted.",
})  # fmt: skip

describe_values(HonourKind, {
    "demonstration_site": "A party-building demonstration site (示范点).",
    "benchmark_branch": "A benchmark branch (标杆支部).",
})  # fmt: skip
