"""Planning on the Query root, nothing written: `previewGridChange` (what `upsertGrid` would
do) and `proposeAssignments` (liaisons for the enterprises without one, for `assignCadre`)."""

from __future__ import annotations

from enum import Enum
from functools import partial
from typing import Annotated

import strawberry

from geo import validate
from geo.shape import to_ewkb
from parkgrid.errors import InvalidInput
from resolvers.reads import coverage
from resolvers.reads.proposals import AssignmentPlan, Proposal, propose
from resolvers.writes import planning
from schema.context import Info
from schema.coverage_lists import AreaRemainder, GridOverlap
from schema.registry_mutations import UPSERT_RULE, area_code, checked
from schema.scalars import GeoJSON

ID = strawberry.ID


@strawberry.enum(description="The role whose load a grid change moves.")
class PlanningRole(Enum):
    LIAISON = strawberry.enum_value("liaison", description="Liaisons: enterprises each serves.")
    GRID_LEAD = strawberry.enum_value("grid_lead", description="Grid leads: grids each leads.")


@strawberry.enum(description="Why a cadre was proposed.")
class ProposalBasis(Enum):
    GRID = strawberry.enum_value("grid", description="Already serves the enterprise's grid.")
    ZONE = strawberry.enum_value("zone", description="Serves its zone; none of the grid could.")


@strawberry.enum(description="Why no cadre could be proposed.")
class UnplacedReason(Enum):
    NO_ZONE = strawberry.enum_value("no_zone", description="In no grid and no zone.")
    NO_CADRE = strawberry.enum_value("no_cadre", description="No cadre serves its grid or zone.")


@strawberry.type(description="An enterprise whose grid the change would set.")
class GridMove:
    uscc: str = strawberry.field(description="The enterprise's credit code.")
    name: str = strawberry.field(description="The enterprise's name.")
    from_grid: str | None = strawberry.field(description="Its grid now; null: none.")
    to_grid: str | None = strawberry.field(description="Its grid after; null: none.")

    @classmethod
    def of(cls, found: planning.Move) -> GridMove:
        return cls(uscc=found.uscc, name=found.name, from_grid=found.from_grid,
                   to_grid=found.to_grid)  # fmt: skip


def overlap(found: planning.Patch) -> GridOverlap:
    return GridOverlap.of(coverage.Overlap(found.first, found.second, found.area_m2,
                                           found.geometry))  # fmt: skip


def patch(found: planning.Patch) -> AreaRemainder:
    return AreaRemainder.of(coverage.Remainder(found.first, found.second, found.area_m2,
                                               found.geometry))  # fmt: skip


def remainder(found: planning.Patch | None) -> AreaRemainder | None:
    return patch(found) if found else None


@strawberry.type(
    description="A cadre's load in a zone before and after, as `coverage(park, zone)` counts"
    " it: a liaison's enterprises of the zone, a grid lead's enterprises of the grids led."
)
class WorkloadChange:
    zone: str = strawberry.field(description="The zone's code.")
    role: PlanningRole = strawberry.field(description="The role whose load changes.")
    cadre_id: ID = strawberry.field(description="The cadre's ID.")
    name: str = strawberry.field(description="The cadre's name.")
    before: int = strawberry.field(description="Load now.")
    after: int = strawberry.field(description="Load after the change.")

    @classmethod
    def of(cls, found: planning.LoadChange) -> WorkloadChange:
        return cls(zone=found.zone_code, role=PlanningRole(found.role),
                   cadre_id=ID(str(found.cadre_id)), name=found.name, before=found.before,
                   after=found.after)  # fmt: skip


@strawberry.type(
    description="What upsertGrid with this boundary would do, nothing kept: the enterprises"
    " moving in and out, the overlaps, gaps and leak before and after (and the parts the change"
    " creates or removes), and every load it changes."
)
class GridChangePreview:
    code: str = strawberry.field(description="The grid's code.")
    zone: str = strawberry.field(description="The grid's zone after the change.")
    created: bool = strawberry.field(description="True when the code is new.")
    enterprises_changed_grid: int = strawberry.field(description="As upsertGrid would count.")
    moving_in: list[GridMove] = strawberry.field(description="Enterprises the grid would gain.")
    moving_out: list[GridMove] = strawberry.field(description="Enterprises the grid would lose.")
    overlaps_before: list[GridOverlap] = strawberry.field(
        description="This grid's overlaps with any other grid, now."
    )
    overlaps_after: list[GridOverlap] = strawberry.field(
        description="This grid's overlaps with any other grid, after."
    )
    overlaps_created: list[GridOverlap] = strawberry.field(
        description="Per other grid, the part overlapped after and not before (parts under"
        " minGapSqM left out)."
    )
    overlaps_removed: list[GridOverlap] = strawberry.field(
        description="Per other grid, the part overlapped before and not after (parts under"
        " minGapSqM left out)."
    )
    gaps_before: list[AreaRemainder] = strawberry.field(
        description="The gaps of the zones losing or gaining the grid, now."
    )
    gaps_after: list[AreaRemainder] = strawberry.field(
        description="The gaps of those zones, after."
    )
    gaps_created: list[AreaRemainder] = strawberry.field(
        description="Per zone, the part of its gaps after that was no gap before (parts under"
        " minGapSqM left out)."
    )
    gaps_removed: list[AreaRemainder] = strawberry.field(
        description="Per zone, the part of its gaps before that is no gap after (parts under"
        " minGapSqM left out)."
    )
    outside_zone_before: AreaRemainder | None = strawberry.field(
        description="The part of the grid outside its zone now; null: none (or a new grid)."
    )
    outside_zone_after: AreaRemainder | None = strawberry.field(
        description="The part outside its zone after; null: none."
    )
    workload: list[WorkloadChange] = strawberry.field(
        description="Each (zone, role, cadre) whose count changes, by zone, role and cadre id."
    )

    @classmethod
    def of(cls, found: planning.GridPreview) -> GridChangePreview:
        overlaps, gaps = overlap, patch
        return cls(
            code=found.code, zone=found.zone_code, created=found.created,
            enterprises_changed_grid=found.enterprises_changed_grid,
            moving_in=[GridMove.of(m) for m in found.moving_in],
            moving_out=[GridMove.of(m) for m in found.moving_out],
            overlaps_before=[overlaps(p) for p in found.overlaps_before],
            overlaps_after=[overlaps(p) for p in found.overlaps_after],
            overlaps_created=[overlaps(p) for p in found.overlaps_created],
            overlaps_removed=[overlaps(p) for p in found.overlaps_removed],
            gaps_before=[gaps(p) for p in found.gaps_before],
            gaps_after=[gaps(p) for p in found.gaps_after],
            gaps_created=[gaps(p) for p in found.gaps_created],
            gaps_removed=[gaps(p) for p in found.gaps_removed],
            outside_zone_before=remainder(found.outside_zone_before),
            outside_zone_after=remainder(found.outside_zone_after),
            workload=[WorkloadChange.of(c) for c in found.workload],
        )  # fmt: skip


@strawberry.type(description="A liaison proposed for an enterprise that has none.")
class ProposedLiaison:
    uscc: str = strawberry.field(description="The enterprise's credit code.")
    name: str = strawberry.field(description="The enterprise's name.")
    grid_code: str | None = strawberry.field(description="Its grid; null: none.")
    zone_code: str | None = strawberry.field(description="Its zone; null: none.")
    cadre_id: ID = strawberry.field(description="Pass to assignCadre(cadre:, level: ENTERPRISE).")
    cadre_name: str = strawberry.field(description="The proposed cadre's name.")
    basis: ProposalBasis = strawberry.field(description="Why this cadre.")
    load_before: int = strawberry.field(
        description="The cadre's load before this proposal: liaisons held now plus those"
        " proposed to them earlier in the list."
    )
    load_after: int = strawberry.field(description="loadBefore + 1.")
    above_limit: bool = strawberry.field(
        description="True when every candidate was at maxPerLiaison already."
    )

    @classmethod
    def of(cls, found: Proposal) -> ProposedLiaison:
        return cls(
            uscc=found.uscc, name=found.name, grid_code=found.grid_code,
            zone_code=found.zone_code, cadre_id=ID(str(found.cadre_id)),
            cadre_name=found.cadre_name, basis=ProposalBasis(found.basis),
            load_before=found.load_before, load_after=found.load_after,
            above_limit=found.above_limit,
        )  # fmt: skip


@strawberry.type(description="An enterprise without a liaison and without a candidate.")
class UnplacedEnterprise:
    uscc: str = strawberry.field(description="The enterprise's credit code.")
    name: str = strawberry.field(description="The enterprise's name.")
    grid_code: str | None = strawberry.field(description="Its grid; null: none.")
    zone_code: str | None = strawberry.field(description="Its zone; null: none.")
    reason: UnplacedReason = strawberry.field(description="Why no cadre was proposed.")


@strawberry.type(description="A cadre's liaison load now and with every proposal applied.")
class ProposedLoad:
    cadre_id: ID = strawberry.field(description="The cadre's ID.")
    name: str = strawberry.field(description="The cadre's name.")
    before: int = strawberry.field(description="Liaisons held now.")
    after: int = strawberry.field(description="With every proposal applied.")


@strawberry.type(
    description="Liaisons proposed for the enterprises of the scope without one; nothing is"
    " written (apply each with assignCadre)."
)
class AssignmentProposal:
    park: str = strawberry.field(description="The park's code.")
    zone: str | None = strawberry.field(
        description="The zone's code, when only one zone was asked; else null."
    )
    max_per_liaison: int = strawberry.field(description="The limit the proposal kept to.")
    proposals: list[ProposedLiaison] = strawberry.field(
        description="One proposal per enterprise without a liaison that could be placed."
    )
    unplaced: list[UnplacedEnterprise] = strawberry.field(
        description="Enterprises without a liaison that could not be placed."
    )
    loads: list[ProposedLoad] = strawberry.field(description="The cadres proposals go to.")

    @classmethod
    def of(cls, found: AssignmentPlan) -> AssignmentProposal:
        return cls(
            park=found.park_code, zone=found.zone_code, max_per_liaison=found.max_per_liaison,
            proposals=[ProposedLiaison.of(p) for p in found.proposals],
            unplaced=[
                UnplacedEnterprise(uscc=u.uscc, name=u.name, grid_code=u.grid_code,
                                   zone_code=u.zone_code, reason=UnplacedReason(u.reason))
                for u in found.unplaced
            ],
            loads=[ProposedLoad(cadre_id=ID(str(x.cadre_id)), name=x.name, before=x.before,
                                after=x.after) for x in found.loads],
        )  # fmt: skip


def proposed_grid(info: Info, code: str, boundary: GeoJSON, zone: str | None,
                  min_gap: float) -> planning.ProposedGrid:  # fmt: skip
    """Checked as upsertGrid checks its arguments, in the same order."""
    most = info.context.api.max_polygon_vertices
    shape = checked(partial(validate.area, max_positions=most), boundary, "boundary")
    grid = area_code(code)
    if not min_gap >= 0:
        raise InvalidInput("must not be negative", field="minGapSqM")
    parent = None if zone is None else zone.strip()
    return planning.ProposedGrid(grid, parent, to_ewkb(shape), min_gap, info.context.now)


MIN_GAP = strawberry.argument(
    name="minGapSqM", description="Parts of gaps and leaks smaller than this (m²) are ignored."
)


@strawberry.type
class PlanningQuery:
    @strawberry.field(
        description="Without writing anything: what upsertGrid(code, zone, boundary) would do."
        " Applying is upsertGrid; the preview runs the same code in a transaction it rolls"
        " back, so both agree and a change upsertGrid refuses is refused here with the same"
        " error. `zone` defaults to the grid's own; a new grid needs it."
        + UPSERT_RULE.format(parent="zone")
    )
    async def preview_grid_change(
        self, info: Info, code: str, boundary: GeoJSON,
        zone: Annotated[str | None, strawberry.argument(
            description="The zone the grid would belong to; null: its zone now (a new grid"
            " needs one).")] = None,
        min_gap_sq_m: Annotated[float, MIN_GAP] = 1.0,
    ) -> GridChangePreview:  # fmt: skip
        proposed = proposed_grid(info, code, boundary, zone, min_gap_sq_m)
        # on the write path, as upsertGrid; preview_grid rolls back all it does
        who = info.context.principal
        found = await info.context.db.write(planning.preview_grid, proposed, who)
        return GridChangePreview.of(found)

    @strawberry.field(
        description="A liaison for every enterprise of the park (or zone) without one: the"
        " least-loaded cadre already serving its grid, else its zone, kept under maxPerLiaison"
        " while any candidate is; nothing is written (apply with assignCadre). NOT_FOUND for an"
        " unknown park or a zone not in it; FORBIDDEN without a token."
    )
    async def propose_assignments(
        self, info: Info, park: str, zone: str | None = None, max_per_liaison: int = 30
    ) -> AssignmentProposal:
        now = info.context.now
        info.context.require_staff()
        found = await info.context.db.read(propose, park, zone, max_per_liaison, now)
        return AssignmentProposal.of(found)
