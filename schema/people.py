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
    id: strawberry.ID = strawberry.field(description="The cadre's ID.")
    name: str = strawberry.field(description="Full name.")
    title: str | None = strawberry.field(description="Job title; null when not recorded.")
    unit: str | None = strawberry.field(description="Work unit; null when not recorded.")
    phone: str | None = strawberry.field(
        description="Phone number: a cadre sees their own and those of cadres working in their"
        " grids, an admin all; null otherwise."
    )
    distance_meters: float | None = strawberry.field(
        description="Distance from the query's reference point to the nearest enterprise the"
        " cadre serves (nearestCadres); null elsewhere."
    )

    @strawberry.field(description="Assignments held at `at` (default now).")
    def assignments(self, at: datetime | None = None) -> list[Assignment]:
        return compiled_only()


@strawberry.type(description="A cadre's duty on a zone, a grid or an enterprise, for a period.")
class Assignment:
    id: strawberry.ID = strawberry.field(description="The assignment's ID.")
    role: Role = strawberry.field(description="Which of zone, grid or enterprise it covers.")
    valid_from: datetime = strawberry.field(description="When it starts.")
    valid_to: datetime | None = strawberry.field(
        description="When it ended (exclusive); null while it runs."
    )
    zone: Zone | None = strawberry.field(description="The zone, for a zone lead; else null.")
    grid: Grid | None = strawberry.field(description="The grid, for a grid lead; else null.")
    enterprise: EnterpriseType | None = strawberry.field(
        description="The enterprise, for a liaison; else null."
    )
