"""An enterprise's party organisation (organisational coverage, the first of the "two
coverages"), and the mutation that records it."""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import Annotated

import strawberry
from sqlalchemy.engine import Connection

from parkgrid import uscc as credit_code
from parkgrid.vocabulary import PARTY_KINDS
from resolvers.writes import access, party
from schema import reading
from schema.context import Info
from schema.enums import describe_values, members
from schema.outcomes import AnyUserError, attempt

PartyKind = Enum("PartyKind", members(PARTY_KINDS))  # type: ignore[misc]
strawberry.enum(PartyKind, description="How an enterprise's party members are organised.")
describe_values(PartyKind, {
    "none": "No party organisation.",
    "own_branch": "A branch of its own (3 or more members).",
    "joint_branch": "Members belong to a branch shared with other enterprises.",
})  # fmt: skip


@strawberry.type(description="The party organisation of an enterprise.")
class PartyOrganisation:
    kind: PartyKind = strawberry.field(
        description="OWN_BRANCH needs 3 or more members; firms with fewer join a JOINT_BRANCH."
    )
    established: date | None = strawberry.field(
        description="When it was set up; null for NONE or when unknown."
    )
    members: int = strawberry.field(description="Party members among the staff; 0 for NONE.")


@strawberry.type(description="The organisation as recorded.")
class PartyOrganisationPayload:
    uscc: str = strawberry.field(description="The enterprise's credit code, normalised.")
    enterprise_id: strawberry.Private[int]

    @strawberry.field(description="The organisation now recorded.")
    async def party_organisation(self, info: Info) -> PartyOrganisation:
        return await reading.entity(info, "PartyOrganisation", self.enterprise_id, "enterprise_id")


PartyOrganisationResult = Annotated[
    PartyOrganisationPayload | AnyUserError, strawberry.union("PartyOrganisationResult")
]


@strawberry.type
class PartyMutation:
    @strawberry.mutation(
        description="Record an enterprise's party organisation (replacing the previous record;"
        " the event keeps it). NONE has no date and no members; OWN_BRANCH needs 3 or more"
        " members; `established` is not in the future."
    )
    async def record_party_organisation(
        self, info: Info, uscc: str,
        kind: Annotated[PartyKind, strawberry.argument(description="How it is organised.")],
        members: Annotated[int, strawberry.argument(description="Party members, 0 or more.")] = 0,
        established: Annotated[
            date | None, strawberry.argument(description="When it was set up (not future).")
        ] = None,
    ) -> PartyOrganisationResult:  # fmt: skip
        code = credit_code.normalise(uscc)
        values = party.PartyOrganisation(0, kind.value, established, members)
        today, who = info.context.today, info.context.principal

        def work(conn: Connection) -> party.PartyOrganisation:
            access.enterprise_register(conn, who, code)
            return party.record_organisation(conn, code, values, today, who.cadre_id)

        def payload(found: party.PartyOrganisation) -> PartyOrganisationPayload:
            return PartyOrganisationPayload(uscc=code, enterprise_id=found.enterprise_id)

        return await attempt(info, work, to_payload=payload)
