"""Cadres and their assignments. Declarations only: the read compiler answers every field
(resolvers.reads.types_ledger)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from schema.areas import Grid, Zone
from schema.enums import Role
from schema.reading import compiled_only

if TYPE_CHECKING:
    from schema.enterprise import Enterprise

EnterpriseType = Annotated["Enterprise", strawberry.lazy("schema.enterprise")]


@strawberry.type(description="A park officer who serves enterprises.")
class Cadre:
    id: strawberry.ID
    name: str
    title: str | None
    unit: str | None
    phone: str | None
    distance_meters: float | None = strawberry.field(
        description="Distance from the query's reference point to the nearest enterprise the"
        " cadre serves (nearestCadres); null elsewhere."
    )

    @strawberry.field(description="Assignments held at `at` (default now).")
    def assignments(self, at: datetime | None = None) -> list[Assignment]:
        return compiled_only()


@strawberry.type(description="A cadre's duty on a zone, a grid or an enterprise, for a period.")
class Assignment:
    id: strawberry.ID
    role: Role
    valid_from: datetime
    valid_to: datetime | None
    zone: Zone | None
    grid: Grid | None
    enterprise: EnterpriseType | None
