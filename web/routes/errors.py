"""One table from error code to HTTP status, and the JSON body every endpoint answers with."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from parkgrid.errors import ParkgridError, RateLimited, Unauthenticated, Unavailable

STATUS = {
    "NOT_FOUND": 404,
    "UNAUTHENTICATED": 401,
    "FORBIDDEN": 403,
    "CONFLICT": 409,
    "METHOD_NOT_ALLOWED": 405,
    "SERVICE_UNAVAILABLE": 503,
    "TIMEOUT": 504,
    "RATE_LIMITED": 429,
}


def error_headers(error: ParkgridError) -> dict[str, str]:
    """What the status asks to say besides: how to sign in, when to try again."""
    if isinstance(error, Unauthenticated):
        return {"WWW-Authenticate": "Bearer"}
    if isinstance(error, Unavailable | RateLimited):
        return {"Retry-After": str(error.retry_after)}
    return {}


def error_response(error: ParkgridError) -> JSONResponse:
    body = {"code": error.code, "message": error.message, "field": error.field}
    status = STATUS.get(error.code, 400)
    return JSONResponse({"error": body}, status_code=status, headers=error_headers(error))


EXCEPTION_CODES = {
    "NOT_FOUND": "NotFound",
    "UNAUTHENTICATED": "Unauthenticated",
    "FORBIDDEN": "Forbidden",
    "SERVICE_UNAVAILABLE": "ServiceUnavailable",
    "TIMEOUT": "Timeout",
    "RATE_LIMITED": "TooManyRequests",
}


def exception_response(error: ParkgridError) -> JSONResponse:
    """An OGC exception, with the status (and headers) every route gives the error: 404 for
    what does not exist, 503 while the database is unavailable, 400 for a bad request."""
    code = EXCEPTION_CODES.get(error.code, "InvalidParameterValue")
    body = {"code": code, "description": error.message}
    return JSONResponse(body, STATUS.get(error.code, 400), headers=error_headers(error))


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
