"""The import's report in GraphQL: the same counts and lists as `parkgrid import --dry-run`
and its workbook (parkgrid.importer.report), each list cut to a page with its total, since a
file of a hundred thousand enterprises must not come back as one response."""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from typing import ClassVar, TypeVar

import strawberry

from parkgrid.errors import InvalidInput
from parkgrid.importer.outcomes import Changed, ImportReport, Move, Problem, Row, location_of
from schema.enums import describe_values
from schema.outcomes import UserError

T = TypeVar("T")


@strawberry.enum(description="What a file holds; each kind is upserted into its own table.")
class ImportKind(Enum):
    PARKS = "parks"
    ZONES = "zones"
    GRIDS = "grids"
    ENTERPRISES = "enterprises"


describe_values(ImportKind, {
    "parks": "Parks: code, name, boundary.",
    "zones": "Zones: code, name, park, boundary.",
    "grids": "Grids: code, name, zone, boundary.",
    "enterprises": "Enterprises: credit code, name, point (its grid is found).",
})  # fmt: skip


@strawberry.enum(description="The web-map datum longitude and latitude were copied in.")
class ImportDatum(Enum):
    GCJ02 = strawberry.enum_value("gcj02", description="Amap and Tencent maps (GCJ-02).")
    BD09 = strawberry.enum_value("bd09", description="Baidu maps (BD-09).")


@strawberry.input(description="How to read the file: the options of `parkgrid import`.")
class ImportOptions:
    crs: str | None = strawberry.field(
        default=None,
        description="The CRS of the coordinates (EPSG:4547, say); default: the file's own"
        " (a GeoJSON crs member, a Shapefile's .prj), else EPSG:4326.",
    )
    allow_outside: bool | None = strawberry.field(
        default=False,
        description="Import enterprises outside every park and areas leaking out of theirs"
        " (a park still to come); the report counts them.",
    )
    encoding: str | None = strawberry.field(
        default=None, description="Of a CSV, or of a Shapefile with no .cpg (GBK, say)."
    )
    layer: str | None = strawberry.field(
        default=None, description="Of a GeoPackage, KML, or zip of Shapefiles."
    )
    sheet: str | None = strawberry.field(default=None, description="Of an XLSX workbook.")
    columns: str | None = strawberry.field(
        default=None,
        description="Columns the usual headers do not name, as PROPERTY=HEADER pairs"
        " (`uscc=信用代码,lon=X`); `ignore=HEADER` leaves one out, `ignore=*` every column not"
        " read.",
    )
    datum: ImportDatum | None = strawberry.field(
        default=None,
        description="Longitude and latitude copied from Amap or Tencent (GCJ02) or Baidu"
        " (BD09), turned into WGS 84 on the way in.",
    )


@strawberry.type(description="A row of the file as the report lists it.")
class ImportRow:
    index: int = strawberry.field(description="Its position among the file's rows, from 0.")
    location: str = strawberry.field(
        description="Where the file has it: features[3] in GeoJSON, row 12 in a table."
    )
    key: str = strawberry.field(description="Its code, or an enterprise's credit code.")
    name: str = strawberry.field(description="Its name.")
    within: str | None = strawberry.field(
        description="The grid an enterprise is (or would be) in, a zone's park, a grid's zone."
    )


@strawberry.type(description="One property of a changed row, before and after.")
class ImportFieldChange:
    field: str = strawberry.field(
        description="The property: name, park, zone, industry, address or geometry (a point"
        " as lon, lat; an area by its size, positions and centre)."
    )
    before: str | None = strawberry.field(description="The stored value, as text; null: none.")
    after: str | None = strawberry.field(description="The file's value, as text; null: none.")


@strawberry.type(description="A stored row the file changes, and how.")
class ImportChange:
    row: ImportRow = strawberry.field(description="The row.")
    changes: list[ImportFieldChange] = strawberry.field(description="Each property that changes.")


@strawberry.type(description="An enterprise moved into another grid (null: no grid).")
class ImportGridChange:
    uscc: str = strawberry.field(description="The enterprise's credit code.")
    name: str = strawberry.field(description="The enterprise's name.")
    before: str | None = strawberry.field(description="Its grid's code before; null: none.")
    after: str | None = strawberry.field(description="Its grid's code after; null: none.")


@strawberry.type(description="Why a row (or the whole file, with no index) is refused.")
class ImportProblem:
    index: int | None = strawberry.field(
        description="The row's index (from 0); null: the whole file."
    )
    location: str = strawberry.field(description="The row and column or property at fault.")
    field: str = strawberry.field(description="The property or column at fault.")
    reason: str = strawberry.field(description="What is wrong, in English.")


@strawberry.type(description="The first rows (at most the maximum page size) and how many.")
class ImportRows:
    total: int = strawberry.field(description="How many rows in all.")
    items: list[ImportRow] = strawberry.field(description="The first rows, in file order.")


@strawberry.type(description="The first changed rows (at most the maximum page size).")
class ImportChanges:
    total: int = strawberry.field(description="How many changed rows in all.")
    items: list[ImportChange] = strawberry.field(
        description="The first changed rows, in file order."
    )


@strawberry.type(description="The first moved enterprises (at most the maximum page size).")
class ImportGridChanges:
    total: int = strawberry.field(description="How many moved enterprises in all.")
    items: list[ImportGridChange] = strawberry.field(
        description="The first moved enterprises, in file order."
    )


@strawberry.type(description="The first problems (at most the maximum page size).")
class ImportProblems:
    total: int = strawberry.field(description="How many problems in all.")
    items: list[ImportProblem] = strawberry.field(description="The first problems, in file order.")


@strawberry.type(
    name="ImportReport",
    description="What the import did or, for a dry run, would do. Each list gives its total"
    " and its first items, at most PARKGRID_API_MAX_PAGE_SIZE; `parkgrid import --report`"
    " writes them all.",
)
class ImportReportView:
    kind: ImportKind = strawberry.field(description="What the file held.")
    dry_run: bool = strawberry.field(description="True when nothing was stored.")
    written: bool = strawberry.field(description="False for a dry run and for a refusal.")
    outside_parks: int = strawberry.field(description="Rows imported outside, as allowed.")
    inserted: ImportRows = strawberry.field(description="Rows that are new.")
    updated: ImportChanges = strawberry.field(description="Rows that change a stored one.")
    unchanged: ImportRows = strawberry.field(description="Rows equal to a stored one.")
    grid_changes: ImportGridChanges = strawberry.field(
        description="Enterprises whose grid changed, whichever kind of row moved them."
    )
    rejected: ImportProblems = strawberry.field(
        description="Every problem, one per rejected row (and the file's own)."
    )


@strawberry.type(description="The file was imported, or checked in a dry run.")
class ImportPayload:
    report: ImportReportView = strawberry.field(description="What was (or would be) written.")


@strawberry.type(
    description="The file was refused and nothing was written: `report.rejected` lists every"
    " problem (a dry run's report also says what the other rows would do)."
)
class ImportRejectedError(UserError):
    CODE: ClassVar[str] = InvalidInput.code
    """The code it carries (the result union's description lists it)."""

    report: ImportReportView = strawberry.field(
        description="The whole report, problems included; nothing was stored."
    )


def first(items: Sequence[T], most: int) -> tuple[int, list[T]]:
    return len(items), list(items[:most])


def row_view(report: ImportReport, row: Row) -> ImportRow:
    return ImportRow(index=row.index, location=report.place(row.index), key=row.key,
                     name=row.name, within=row.within)  # fmt: skip


def change_view(report: ImportReport, changed: Changed) -> ImportChange:
    changes = [ImportFieldChange(field=f.property, before=f.before, after=f.after)
               for f in changed.changes]  # fmt: skip
    return ImportChange(row=row_view(report, changed.row), changes=changes)


def move_view(move: Move) -> ImportGridChange:
    return ImportGridChange(uscc=move.uscc, name=move.name, before=move.before, after=move.after)


def problem_view(problem: Problem) -> ImportProblem:
    return ImportProblem(index=problem.index, location=location_of(problem),
                         field=problem.property, reason=problem.reason)  # fmt: skip


def report_view(report: ImportReport, most: int) -> ImportReportView:
    """The report with each list cut to `most` items."""
    new, kept = first(report.new, most), first(report.kept, most)
    changed, moves = first(report.changed, most), first(report.moves, most)
    rejected = first(report.rejected, most)
    return ImportReportView(
        kind=ImportKind(report.kind), dry_run=report.dry_run, written=report.written,
        outside_parks=report.outside_parks,
        inserted=ImportRows(total=new[0], items=[row_view(report, r) for r in new[1]]),
        updated=ImportChanges(total=changed[0],
                              items=[change_view(report, c) for c in changed[1]]),
        unchanged=ImportRows(total=kept[0], items=[row_view(report, r) for r in kept[1]]),
        grid_changes=ImportGridChanges(total=moves[0], items=[move_view(m) for m in moves[1]]),
        rejected=ImportProblems(total=rejected[0],
                                items=[problem_view(p) for p in rejected[1]]),
    )  # fmt: skip
