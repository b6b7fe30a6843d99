"""Construction projects of enterprises: where they are built, how far they have come, and
whether they keep to their milestones. Declarations only: the read compiler answers every
field (resolvers.reads.types_projects); the mutations write through resolvers.writes.projects."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from functools import partial
from typing import TYPE_CHECKING, Annotated

import strawberry
from sqlalchemy.engine import Connection as Db

from geo import validate
from geo.shape import to_ewkb
from parkgrid.vocabulary import PROJECT_STAGES
from resolvers.records import parse_id
from resolvers.writes import access, projects
from schema import reading
from schema.areas import Precision
from schema.connection import Connection
from schema.context import Info
from schema.enums import describe_values, members
from schema.infrastructure import After, First
from schema.ledger import Event, Issue
from schema.ledger_mutations import text_required
from schema.outcomes import AnyUserError, attempt
from schema.people import Cadre
from schema.reading import compiled_only
from schema.registry_mutations import checked
from schema.scalars import GeoJSON

if TYPE_CHECKING:
    from schema.enterprise import Enterprise

EnterpriseType = Annotated["Enterprise", strawberry.lazy("schema.enterprise")]

ProjectStage = Enum("ProjectStage", members(PROJECT_STAGES))  # type: ignore[misc]
strawberry.enum(ProjectStage, description="Where a construction project stands.")


@strawberry.type(description="A dated report of how far a project has come.")
class ProgressReport:
    reported_on: date = strawberry.field(description="The day the progress was measured.")
    percent_complete: float = strawberry.field(description="Share of the works done, 0-100.")
    note: str | None = strawberry.field(description="Null unless you serve the enterprise.")
    reported_by: Cadre | None = strawberry.field(description="The cadre who entered it.")


@strawberry.type(description="A planned step of a project, and when it was reached.")
class Milestone:
    name: str = strawberry.field(description="The step (main works topped out, production...).")
    planned: date = strawberry.field(description="When it is planned.")
    actual: date | None = strawberry.field(description="When it was reached; null: not yet.")
    late: bool = strawberry.field(
        description="Reached after its planned day, or not reached and that day has passed."
    )


@strawberry.type(description="An enterprise's construction project (项目建设).")
class ConstructionProject:
    id: strawberry.ID = strawberry.field(description="The project's id.")
    name: str = strawberry.field(description="The project's name.")
    stage: ProjectStage = strawberry.field(description="Where the project stands.")
    started: date | None = strawberry.field(description="When building started.")
    version: int = strawberry.field(description="Moves on with every change; send it back.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    percent_complete: float | None = strawberry.field(
        description="The latest progress report's figure; null before the first report."
    )
    last_reported_on: date | None = strawberry.field(description="The latest report's day.")
    enterprise: EnterpriseType | None = strawberry.field(description="Whose project it is.")
    progress: list[ProgressReport] = strawberry.field(description="Reports, oldest first.")
    milestones: list[Milestone] = strawberry.field(description="Milestones by planned day.")
    issues: list[Issue] = strawberry.field(description="Ledger issues linked to the project.")
    events: list[Event] = strawberry.field(description="Every change, oldest first.")

    @strawberry.field(description="The site: a GeoJSON Point or MultiPolygon.")
    def site(self, precision: Precision = 6) -> GeoJSON:
        return compiled_only()

    @strawberry.field(
        description="A milestone was planned before the day and not reached by it (the one"
        " definition of behind schedule)."
    )
    def behind_schedule(
        self,
        on: Annotated[
            date | None, strawberry.argument(description="The day; today when omitted.")
        ] = None,
    ) -> bool:
        return compiled_only()


@strawberry.input(description="Which projects: by area (of their enterprise) and state.")
class ProjectFilterInput:
    park: str | None = strawberry.field(default=None, description="A park's code.")
    zone: str | None = strawberry.field(default=None, description="A zone's code.")
    grid: str | None = strawberry.field(default=None, description="A grid's code.")
    stage: list[ProjectStage] | None = strawberry.field(
        default=None, description="Any of these stages."
    )
    behind_schedule: bool | None = strawberry.field(
        default=None, description="Only projects behind (true) or on (false) schedule today."
    )


@strawberry.type
class ProjectQuery:
    @strawberry.field(description="Construction projects matching the filter, newest first.")
    async def construction_projects(
        self,
        info: Info,
        filter: Annotated[
            ProjectFilterInput | None, strawberry.argument(description="Area and state.")
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[ConstructionProject]:
        return await reading.query(info)

    @strawberry.field(description="A construction project by id.")
    async def construction_project(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="Id.")]
    ) -> ConstructionProject | None:
        return await reading.query(info)


@strawberry.type(description="The project after the change.")
class ProjectPayload:
    project_id: strawberry.Private[int]

    @strawberry.field(description="The project as it is now.")
    async def project(self, info: Info) -> ConstructionProject:
        return await reading.entity(info, "ConstructionProject", self.project_id)


ProjectResult = Annotated[
    ProjectPayload | AnyUserError,
    strawberry.union("ProjectResult"),
]
ProjectId = Annotated[strawberry.ID, strawberry.argument(description="The project's id.")]
Version = Annotated[int, strawberry.argument(description="The version read.")]


def payload(project_id: int) -> ProjectPayload:
    return ProjectPayload(project_id=project_id)


@strawberry.type
class ProjectMutation:
    @strawberry.mutation(description="Register an enterprise's construction project.")
    async def create_construction_project(
        self,
        info: Info,
        enterprise: Annotated[str, strawberry.argument(description="Its credit code.")],
        name: Annotated[str, strawberry.argument(description="The project's name.")],
        stage: Annotated[ProjectStage, strawberry.argument(description="Where it stands.")],
        site: Annotated[GeoJSON, strawberry.argument(description="Point, Polygon, MultiPolygon.")],
        started: Annotated[
            date | None, strawberry.argument(description="When building started.")
        ] = None,
    ) -> ProjectResult:
        who, most = info.context.principal, info.context.api.max_polygon_vertices

        def work(conn: Db) -> int:
            shape = checked(partial(validate.site, max_positions=most), site, "site")
            new = projects.NewProject(enterprise.strip().upper(), text_required(name, "name"),
                                      stage.value, started, to_ewkb(shape))  # fmt: skip
            access.enterprise_service(conn, who, new.enterprise_uscc, "enterprise")
            return projects.create_project(conn, new, who.cadre_id)

        return await attempt(info, work, to_payload=payload)

    @strawberry.mutation(
        description="Record a dated progress report (percentage 0-100, not in the future),"
        " moving the stage on when given."
    )
    async def report_project_progress(
        self,
        info: Info,
        id: ProjectId,
        version: Version,
        reported_on: Annotated[date, strawberry.argument(description="Day measured.")],
        percent_complete: Annotated[float, strawberry.argument(description="0 to 100.")],
        note: Annotated[str | None, strawberry.argument(description="Free text.")] = None,
        stage: Annotated[
            ProjectStage | None, strawberry.argument(description="The stage now, if it moved.")
        ] = None,
    ) -> ProjectResult:
        who, today = info.context.principal, info.context.today

        def work(conn: Db) -> int:
            project_id = parse_id(id, "id")
            access.record_service(conn, who, "construction_project", project_id)
            given = projects.Progress(reported_on, percent_complete, note,
                                      stage.value if stage else None)  # fmt: skip
            return projects.report_progress(conn, project_id, version, given, today,
                                            who.cadre_id)  # fmt: skip

        return await attempt(info, work, to_payload=payload)

    @strawberry.mutation(description="Plan a milestone, or record when it was reached.")
    async def set_project_milestone(
        self,
        info: Info,
        id: ProjectId,
        version: Version,
        name: Annotated[str, strawberry.argument(description="The milestone.")],
        planned: Annotated[date, strawberry.argument(description="Planned day.")],
        actual: Annotated[
            date | None, strawberry.argument(description="Day reached (not in the future).")
        ] = None,
    ) -> ProjectResult:
        who, today = info.context.principal, info.context.today

        def work(conn: Db) -> int:
            project_id = parse_id(id, "id")
            access.record_service(conn, who, "construction_project", project_id)
            return projects.set_milestone(conn, project_id, version, text_required(name, "name"),
                                          planned, actual, today, who.cadre_id)  # fmt: skip

        return await attempt(info, work, to_payload=payload)

    @strawberry.mutation(description="Link a ledger issue of the same enterprise to the project.")
    async def link_project_issue(
        self,
        info: Info,
        id: ProjectId,
        version: Version,
        issue: Annotated[strawberry.ID, strawberry.argument(description="The issue's id.")],
    ) -> ProjectResult:
        who = info.context.principal

        def work(conn: Db) -> int:
            project_id, issue_id = parse_id(id, "id"), parse_id(issue, "issue")
            access.record_service(conn, who, "construction_project", project_id)
            return projects.link_issue(conn, project_id, version, issue_id, who.cadre_id)

        return await attempt(info, work, to_payload=payload)


describe_values(ProjectStage, {
    "planning": "Being planned: no approval yet.",
    "approval": "Awaiting or going through approvals (land, environment, permits).",
    "site_preparation": "The site is being prepared (levelling, utilities).",
    "main_works": "Main construction works under way.",
    "fit_out": "Fitting out: equipment and installations.",
    "commissioning": "Trial runs before production.",
    "in_production": "Built and producing.",
    "suspended": "Work stopped for now.",
})  # fmt: skip
