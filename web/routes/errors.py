"""One table from error code to HTTP status, and the JSON body every endpoint answers with."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

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


Handler = Callable[[Request], Awaitable[Response]]


def answering(
    handler: Handler, refusal: Callable[[ParkgridError], Response] = error_response
) -> Handler:
    """The handler, its expected errors answered as `refusal` says."""

    async def answer(request: Request) -> Response:
        try:
            return await handler(request)
        except ParkgridError as error:
            return refusal(error)

    return answer
