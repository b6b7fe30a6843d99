"""GraphQL over HTTP, as its specification has it: what a request may look like (a JSON object
POSTed as `application/json`, or a GET with the parts in its query string), how big it may be,
and in which media type and with which status the answer goes out.

A client that accepts `application/graphql-response+json` gets it, and a request that fails
before execution (unparsable, invalid, unknown operation, bad variables) is then a 4xx; a
client that does not gets `application/json` with 200, as older clients expect. Requests that
are not GraphQL requests at all (a body that is not a JSON object, another media type, too
large) are 4xx either way. Every error carries `extensions.code`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response

from parkgrid.errors import ParkgridError, Unavailable
from web.routes.errors import STATUS, error_headers

JSON = "application/json"
GRAPHQL_RESPONSE = "application/graphql-response+json"
REQUEST_KEYS = frozenset({"query", "variables", "operationName", "extensions"})


class Refused(Exception):
    """A request refused before it reached GraphQL: HTTP `status`, the error's `code`."""

    def __init__(
        self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = dict(headers or {})


@dataclass(frozen=True)
class GraphQLRequest:
    query: str
    variables: dict[str, Any] = field(default_factory=dict)
    operation_name: str | None = None


def media_type(header: str) -> tuple[str, dict[str, str]]:
    """`type/subtype` in lower case and the parameters of a media type header."""
    kind, *rest = header.split(";")
    parameters = {}
    for parameter in rest:
        key, _, value = parameter.partition("=")
        parameters[key.strip().lower()] = value.strip().strip('"').lower()
    return kind.strip().lower(), parameters


def weights(accept: str) -> dict[str, float]:
    """Each media range of an Accept header with its quality."""
    found: dict[str, float] = {}
    for item in accept.split(","):
        kind, parameters = media_type(item)
        try:
            found[kind] = float(parameters.get("q", "1"))
        except ValueError:
            found[kind] = 0.0
    return found


def answer_type(headers: Headers) -> str:
    """`application/graphql-response+json` when the client accepts it at least as readily as
    `application/json` (and at all); `application/json` otherwise, as the spec has it for
    clients that do not say."""
    accept = headers.get("accept", "")
    if GRAPHQL_RESPONSE not in accept:  # most clients: no need to weigh anything
        return JSON
    accepted = weights(accept)
    wanted = accepted.get(GRAPHQL_RESPONSE, 0.0)
    legacy = max(accepted.get(JSON, 0.0), accepted.get("application/*", 0.0))
    return GRAPHQL_RESPONSE if wanted > 0 and wanted >= legacy else JSON


def request_of(given: object) -> GraphQLRequest:
    """The parts of a decoded request, each checked for its type."""
    if not isinstance(given, dict):
        raise Refused(400, "BAD_REQUEST", "the request must be a JSON object")
    unknown = sorted(set(given) - REQUEST_KEYS)
    if unknown:
        raise Refused(400, "BAD_REQUEST", f"unknown request parameters: {', '.join(unknown)}")
    query, variables, name = (given.get(k) for k in ("query", "variables", "operationName"))
    if not isinstance(query, str) or not query.strip():
        raise Refused(400, "BAD_REQUEST", "query: a GraphQL document (a string) is required")
    if not isinstance(variables, dict | None):
        raise Refused(400, "BAD_REQUEST", "variables: must be a JSON object")
    if not isinstance(name, str | None):
        raise Refused(400, "BAD_REQUEST", "operationName: must be a string")
    if not isinstance(given.get("extensions"), dict | None):
        raise Refused(400, "BAD_REQUEST", "extensions: must be a JSON object")
    return GraphQLRequest(query, variables or {}, name)


def decoded(text: str | bytes, what: str) -> object:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as error:
        raise Refused(400, "BAD_REQUEST", f"{what} is not valid JSON: {error}") from None


async def body_of(request: Request, most: int) -> bytes:
    """The request's body, refused once it passes `most` bytes (without reading the rest)."""
    declared = request.headers.get("content-length", "")
    too_large = Refused(
        413, "PAYLOAD_TOO_LARGE", f"the body is over {most} bytes (PARKGRID_API_MAX_BODY_BYTES)"
    )
    if declared.isdigit() and int(declared) > most:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > most:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


async def read_request(request: Request, most: int) -> GraphQLRequest:
    """The GraphQL request a GET or POST carries, or `Refused` saying why there is none."""
    if request.method == "GET":
        params = request.query_params
        given: dict[str, object] = dict(params)
        if params.get("variables"):
            given["variables"] = decoded(params["variables"], "variables")
        return request_of(given)
    if request.method != "POST":
        raise Refused(405, "METHOD_NOT_ALLOWED", "GraphQL is served by GET and POST",
                      {"Allow": "GET, POST"})  # fmt: skip
    kind, parameters = media_type(request.headers.get("content-type", ""))
    if kind != JSON or parameters.get("charset", "utf-8") != "utf-8":
        sent = kind or "no media type"
        raise Refused(415, "UNSUPPORTED_MEDIA_TYPE", f"send the request as {JSON}, not {sent}")
    return request_of(decoded(await body_of(request, most), "the body"))


def error_entry(code: str, message: str, where: str | None = None) -> dict[str, Any]:
    extensions: dict[str, Any] = {"code": code}
    if where is not None:
        extensions["field"] = where
    return {"message": message, "extensions": extensions}


def expected_entry(error: ParkgridError) -> dict[str, Any]:
    message = f"{error.field}: {error.message}" if error.field else error.message
    return error_entry(error.code, message, error.field)


def respond(
    body: bytes, answered_as: str, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(body, status_code=status, media_type=answered_as, headers=dict(headers or {}))


def refused(refusal: Refused, answered_as: str) -> Response:
    body = orjson.dumps({"errors": [error_entry(refusal.code, refusal.message)]})
    return respond(body, answered_as, refusal.status, refusal.headers)


def request_errors(errors: Iterable[dict[str, Any]], answered_as: str) -> Response:
    """A request that failed before execution: no `data`; 400 for clients of the new media
    type, 200 for the others."""
    status = 400 if answered_as == GRAPHQL_RESPONSE else 200
    return respond(orjson.dumps({"errors": list(errors)}), answered_as, status)


def failed(error: ParkgridError, answered_as: str) -> Response:
    """A request that could not run: a bad token (401), the database unavailable (503), a
    statement past its timeout (504); the same statuses as every other route's."""
    status = STATUS.get(error.code, 200)
    body = orjson.dumps({"data": None, "errors": [expected_entry(error)]})
    return respond(body, answered_as, status, error_headers(error))


def executed(result: dict[str, Any], answered_as: str) -> Response:
    """An executed request's answer: 503 when the database was unavailable for it."""
    codes = {e.get("extensions", {}).get("code") for e in result.get("errors") or ()}
    unavailable = Unavailable.code in codes
    headers = {"Retry-After": str(Unavailable.retry_after)} if unavailable else {}
    return respond(orjson.dumps(result), answered_as, 503 if unavailable else 200, headers)
