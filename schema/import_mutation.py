"""`importFile`: an administrator's upload of a park office's file, imported (or dry-run) as
`parkgrid import` would, over the GraphQL multipart request spec (web.graphql_http).

Why through a temporary file and a worker thread: the importer reads a path (formats such as
Shapefile or GeoPackage are read by libraries that want one) and works for as long as the
file needs, with blocking database calls; the event loop must keep answering everyone else
meanwhile. One import runs at a time per server process, since each holds its file's rows
in memory while it checks them."""

from __future__ import annotations

import re
import shutil
import tempfile
import threading
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, BinaryIO

import anyio
import strawberry
from starlette.datastructures import UploadFile
from strawberry.file_uploads import Upload

from parkgrid import metrics
from parkgrid.auth.principal import Principal
from parkgrid.errors import Forbidden, InvalidInput, ParkgridError, TimedOut, Unavailable
from parkgrid.importer import ImportRejected, ImportReport, import_file
from parkgrid.importer.options import ReadOptions, parse_columns
from parkgrid.importer.outcomes import plural
from resolvers.writes.access import require_writer
from schema.context import Info
from schema.imports import (
    ImportDatum,
    ImportKind,
    ImportOptions,
    ImportPayload,
    ImportRejectedError,
    report_view,
)
from schema.outcomes import AnyUserError, user_error

if TYPE_CHECKING:  # numpy and PRCoords load only for an import that shifts a datum
    from geo.datum import Datum

ImportResult = Annotated[
    ImportPayload | ImportRejectedError | AnyUserError, strawberry.union("ImportFileResult")
]
IMPORTING = threading.Lock()
UNSAFE = re.compile(r"[^\w.\-]+")
NAME_LENGTH = 100
DATUMS: dict[ImportDatum, Datum] = {ImportDatum.GCJ02: "gcj02", ImportDatum.BD09: "bd09"}


def require_admin(who: Principal) -> None:
    """Imports write whole tables at once, past any one zone's or grid's scope."""
    require_writer(who)
    if not who.is_admin:
        raise Forbidden("only an administrator imports files")


def uploaded(file: object) -> UploadFile:
    if not isinstance(file, UploadFile):
        raise InvalidInput(
            "send the file itself, as a multipart request (the GraphQL multipart request"
            " spec), not a value in the JSON variables",
            field="file",
        )
    return file


def safe_name(filename: str | None) -> str:
    """The uploaded file's own name, without directories or odd characters: some formats
    are told apart by their extension, and a layer may be named after its file."""
    name = UNSAFE.sub("_", Path(filename or "").name).lstrip(".")[-NAME_LENGTH:]
    return name or "upload"


def read_options(options: ImportOptions) -> ReadOptions:
    from parkgrid.importer.columns import SYNONYMS

    try:
        columns = parse_columns(options.columns, tuple(SYNONYMS)) if options.columns else {}
    except ValueError as error:
        raise InvalidInput(str(error), field="options.columns") from error
    datum = DATUMS[options.datum] if options.datum else None
    return ReadOptions(options.encoding, options.layer, options.sheet, columns, datum)


def import_upload(
    source: BinaryIO, filename: str, url: str, kind: str, options: ImportOptions,
    read: ReadOptions, dry_run: bool, scope: dict[str, str],
) -> ImportReport:  # fmt: skip
    """In a worker thread: the upload copied to a file of its own name in a directory of its
    own (removed afterwards, whatever happens), then imported."""
    with (
        IMPORTING,
        metrics.job("import", kind),
        tempfile.TemporaryDirectory(prefix="parkgrid-import-") as folder,
    ):
        path = Path(folder) / filename
        source.seek(0)
        with path.open("wb") as target:
            shutil.copyfileobj(source, target)
        return import_file(
            url, kind, path, options.crs, bool(options.allow_outside), dry_run=dry_run,
            scope=scope, options=read,
        )  # fmt: skip


def rejection(rejected: ImportRejected, kind: str, dry_run: bool, most: int) -> ImportRejectedError:
    report = rejected.report or ImportReport(kind, 0, 0, 0, 0, dry_run=dry_run,
                                             rejected=tuple(rejected.problems))  # fmt: skip
    count = len(rejected.problems)
    message = f"the file was refused, nothing was written ({count} {plural(count, 'problem')})"
    view = report_view(report, most)
    return ImportRejectedError(field="file", code=ImportRejectedError.CODE, message=message,
                               report=view)  # fmt: skip


@strawberry.type
class ImportMutation:
    @strawberry.mutation(
        description="Import a file of parks, zones, grids or enterprises, as `parkgrid import`"
        " does (admin only): every row is checked and the file is written all or nothing. With"
        " `dryRun` the same checks and writes run in a transaction that is rolled back, and the"
        " report says what the import would do. Send the file as a multipart request (the"
        " GraphQL multipart request spec) with a header a browser form cannot send"
        " (Authorization, or GraphQL-Preflight: 1); at most PARKGRID_API_MAX_UPLOAD_BYTES."
    )
    async def import_file(
        self, info: Info,
        kind: Annotated[ImportKind, strawberry.argument(description="What the file holds.")],
        file: Annotated[Upload, strawberry.argument(
            description="The file, as a part of a multipart request (GeoJSON, CSV, XLSX,"
            " Shapefile zip, GeoPackage, KML).")],
        options: Annotated[ImportOptions | None, strawberry.argument(
            description="How to read it; null: the defaults.")] = None,
        dry_run: Annotated[bool | None, strawberry.argument(
            description="true: check and report, store nothing.")] = False,
    ) -> ImportResult:  # fmt: skip
        context, dry = info.context, bool(dry_run)
        most = context.api.max_page_size
        try:
            require_admin(context.principal)
            upload, given = uploaded(file), options or ImportOptions()
            work = partial(
                import_upload, upload.file, safe_name(upload.filename),
                context.db.engine.url.render_as_string(hide_password=False), kind.value,
                given, read_options(given), dry, context.principal.settings(),
            )  # fmt: skip
            report = await anyio.to_thread.run_sync(work)
        except ImportRejected as rejected:
            return rejection(rejected, kind.value, dry, most)
        except (Unavailable, TimedOut):
            raise
        except ParkgridError as error:
            return user_error(error)
        return ImportPayload(report=report_view(report, most))
