"""One table from error code to HTTP status, and the JSON body every endpoint answers with."""

from __future__ import annotations

from starlette.responses import JSONResponse

from parkgrid.errors import ParkgridError

STATUS = {
    "NOT_FOUND": 404,
    "UNAUTHENTICATED": 401,
    "FORBIDDEN": 403,
    "CONFLICT": 409,
}


def error_response(error: ParkgridError) -> JSONResponse:
    body = {"code": error.code, "message": error.message, "field": error.field}
    return JSONResponse({"error": body}, status_code=STATUS.get(error.code, 400))
