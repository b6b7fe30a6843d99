"""The Mutation root: every mutation returns a union of its success type and typed errors."""

from __future__ import annotations

import strawberry

from schema.activities import ActivityMutation
from schema.hiring import HiringMutation
from schema.import_mutation import ImportMutation
from schema.infrastructure import InfrastructureMutation
from schema.ledger_mutations import LedgerMutation
from schema.party import PartyMutation
from schema.party_record import PartyRecordMutation
from schema.projects import ProjectMutation
from schema.registry_mutations import RegistryMutation


@strawberry.type(
    description="Changes, for signed-in cadres and admins; each answers a result union: the"
    " payload, or a typed error saying why nothing changed."
)
class Mutation(
    LedgerMutation,
    RegistryMutation,
    PartyMutation,
    ImportMutation,
    InfrastructureMutation,
    ProjectMutation,
    ActivityMutation,
    HiringMutation,
    PartyRecordMutation,
):
    pass
