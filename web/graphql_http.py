"""GraphQL over HTTP, as its specification has it: what a request may look like (a JSON object
POSTed as `application/json`, or a GET with the parts in its query string), how big it may be,
and in which media type and with which status the answer goes out. A mutation that carries
files comes as `multipart/form-data` by the GraphQL multipart request spec (below).

A client that accepts `application/graphql-response+json` gets it, and a request that fails
before execution (unparsable, invalid, unknown operation, bad variables) is then a 4xx; a
client that does not gets `application/json` with 200, as older clients expect. Requests that
are not GraphQL requests at all (a body that is not a JSON object, another media type, too
large) are 4xx either way. Every error carries `extensions.code`."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.datastructures import FormData, Headers, UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive

from parkgrid.errors import ParkgridError, Unavailable
from web.routes.errors import STATUS, error_headers

JSON = "application/json"
MULTIPART = "multipart/form-data"
GRAPHQL_RESPONSE = "application/graphql-response+json"
REQUEST_KEYS = frozenset({"query", "variables", "operationName", "extensions"})
PREFLIGHT_HEADERS = ("authorization", "graphql-preflight", "apollo-require-preflight",
                     "x-apollo-operation-name")  # fmt: skip
"""Headers a cross-site HTML form cannot send: one of them makes a browser ask first."""
MAX_FILES = 10
"""File parts in one multipart request: `importFile` takes one; a few more leave room for a
mutation that takes several, and the size limit bounds them all together."""
OPERATIONS = "the GraphQL request as a JSON object"
SHA256 = re.compile("[0-9a-f]{64}")
MAP = 'which variables each file part fills, as {"0": ["variables.file"]}'


REFUSALS = {
    "BAD_REQUEST": 400,
    "PAYLOAD_TOO_LARGE": 413,
    "UNSUPPORTED_MEDIA_TYPE": 415,
    "METHOD_NOT_ALLOWED": 405,
    "PERSISTED_QUERY_HASH_MISMATCH": 400,
    "PERSISTED_QUERY_NOT_SUPPORTED": 400,
    "PERSISTED_QUERY_NOT_IN_LIST": 403,
}
"""The HTTP status of each refusal of a request before it reaches GraphQL."""


class Refused(Exception):
    """A request refused before it reached GraphQL: HTTP `status`, the error's `code`."""

    def __init__(
        self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = dict(headers or {})


def refusal(code: str, message: str, headers: Mapping[str, str] | None = None) -> Refused:
    """The refusal of this code, with its status from REFUSALS."""
    return Refused(REFUSALS[code], code, message, headers)


@dataclass(frozen=True)
class GraphQLRequest:
    """A request's parts; a multipart one also holds the uploaded files, open until `close`."""

    query: str
    variables: dict[str, Any] = field(default_factory=dict)
    operation_name: str | None = None
    uploads: tuple[UploadFile, ...] = ()
    multipart: bool = False
    persisted: str | None = None
    """The SHA-256 in `extensions.persistedQuery`; `query` is empty when only it was sent."""

    async def close(self) -> None:
        for upload in self.uploads:
            await upload.close()


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
        raise refusal("BAD_REQUEST", "the request must be a JSON object")
    unknown = sorted(set(given) - REQUEST_KEYS)
    if unknown:
        raise refusal("BAD_REQUEST", f"unknown request parameters: {', '.join(unknown)}")
    query, variables, name = (given.get(k) for k in ("query", "variables", "operationName"))
    if not isinstance(variables, dict | None):
        raise refusal("BAD_REQUEST", "variables: must be a JSON object")
    if not isinstance(name, str | None):
        raise refusal("BAD_REQUEST", "operationName: must be a string")
    extensions = given.get("extensions")
    if not isinstance(extensions, dict | None):
        raise refusal("BAD_REQUEST", "extensions: must be a JSON object")
    persisted = persisted_hash(extensions or {})
    if query is None and persisted is not None:
        return GraphQLRequest("", variables or {}, name, persisted=persisted)
    if not isinstance(query, str) or not query.strip():
        raise refusal("BAD_REQUEST", "query: a GraphQL document (a string) is required")
    return GraphQLRequest(query, variables or {}, name, persisted=persisted)


def persisted_hash(extensions: dict[str, Any]) -> str | None:
    """The document's SHA-256 a persisted-query request names (lower-case hex), if any."""
    if "persistedQuery" not in extensions:
        return None
    given = extensions["persistedQuery"]
    if not isinstance(given, dict) or given.get("version") != 1:
        raise refusal("BAD_REQUEST", "extensions.persistedQuery: version 1 is supported")
    sha256 = given.get("sha256Hash")
    if not isinstance(sha256, str) or not SHA256.fullmatch(sha256):
        raise refusal("BAD_REQUEST", "extensions.persistedQuery.sha256Hash: must be the"
                      " document's SHA-256 as 64 lower-case hex digits")  # fmt: skip
    return sha256


def decoded(text: str | bytes, what: str) -> object:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as error:
        raise refusal("BAD_REQUEST", f"{what} is not valid JSON: {error}") from None


async def body_of(request: Request, most: int) -> bytes:
    """The request's body, refused once it passes `most` bytes (without reading the rest)."""
    declared = request.headers.get("content-length", "")
    too_large = refusal(
        "PAYLOAD_TOO_LARGE", f"the body is over {most} bytes (PARKGRID_API_MAX_BODY_BYTES)"
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


async def read_request(request: Request, most: int, most_upload: int) -> GraphQLRequest:
    """The GraphQL request a GET or POST carries, or `Refused` saying why there is none: a
    JSON body of at most `most` bytes, or a multipart one of at most `most_upload`."""
    if request.method == "GET":
        params = request.query_params
        given: dict[str, object] = dict(params)
        for part in ("variables", "extensions"):
            if params.get(part):
                given[part] = decoded(params[part], part)
        return request_of(given)
    if request.method != "POST":
        raise refusal("METHOD_NOT_ALLOWED", "GraphQL is served by GET and POST",
                      {"Allow": "GET, POST"})  # fmt: skip
    kind, parameters = media_type(request.headers.get("content-type", ""))
    if kind == MULTIPART:
        return await multipart_request(request, most, most_upload)
    if kind != JSON or parameters.get("charset", "utf-8") != "utf-8":
        sent = kind or "no media type"
        message = f"send the request as {JSON} ({MULTIPART} for files), not {sent}"
        raise refusal("UNSUPPORTED_MEDIA_TYPE", message)
    return request_of(decoded(await body_of(request, most), "the body"))


def is_multipart(request: Request) -> bool:
    return media_type(request.headers.get("content-type", ""))[0] == MULTIPART


async def multipart_request(request: Request, most: int, most_upload: int) -> GraphQLRequest:
    """A mutation with files, as the GraphQL multipart request spec sends it: the request as
    JSON in `operations`, `map` naming for each file part the variables it fills (their
    placeholders null), then the files. Refused before anything is read without a header a
    browser's cross-site form cannot send (a form post is a "simple" request that skips the
    CORS preflight), and past `most_upload` bytes, declared or streamed."""
    require_preflight(request.headers)
    message = f"the upload is over {most_upload} bytes (PARKGRID_API_MAX_UPLOAD_BYTES)"
    too_large = refusal("PAYLOAD_TOO_LARGE", message)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > most_upload:
        raise too_large
    counted = Request(request.scope, limited(request.receive, most_upload, too_large))
    try:
        form = await counted.form(max_files=MAX_FILES, max_fields=2, max_part_size=most)
    except (MultiPartException, HTTPException) as error:
        reason = error.message if isinstance(error, MultiPartException) else error.detail
        raise refusal("BAD_REQUEST", f"the multipart body cannot be read: {reason}") from None
    try:
        return with_files(form)
    except Refused:
        await form.close()
        raise


def require_preflight(headers: Headers) -> None:
    if not any(headers.get(name, "").strip() for name in PREFLIGHT_HEADERS):
        raise refusal("BAD_REQUEST",
                      "a multipart request needs a header a browser form cannot send:"
                      " Authorization (a token) or GraphQL-Preflight: 1 (against cross-site"
                      " request forgery)")  # fmt: skip


def limited(receive: Receive, most: int, refusal: Refused) -> Receive:
    """`receive`, refusing the request once its body passes `most` bytes."""
    size = 0

    async def counted() -> Message:
        nonlocal size
        message = await receive()
        size += len(message.get("body", b""))
        if size > most:
            raise refusal
        return message

    return counted


def form_text(form: FormData, name: str, what: str) -> str:
    value = form.get(name)
    if not isinstance(value, str):
        raise refusal("BAD_REQUEST", f"the multipart request needs a `{name}` field: {what}")
    return value


def with_files(form: FormData) -> GraphQLRequest:
    """The request in `operations` with each file put where `map` says."""
    given = request_of(decoded(form_text(form, "operations", OPERATIONS), "operations"))
    mapping = decoded(form_text(form, "map", MAP), "map")
    if not isinstance(mapping, dict) or not all(
        isinstance(paths, list) and all(isinstance(p, str) for p in paths)
        for paths in mapping.values()
    ):
        raise refusal("BAD_REQUEST", f"map: must be a JSON object; {MAP}")
    uploads = [(name, value) for name, value in form.multi_items() if isinstance(value, UploadFile)]
    files = dict(uploads)
    if len(files) < len(uploads):
        raise refusal("BAD_REQUEST", "two file parts have the same name")
    missing = [name for name in mapping if name not in files]
    if missing:
        message = f"map: names the file part {missing[0]!r}, which the request does not hold"
        raise refusal("BAD_REQUEST", message)
    unmapped = sorted(files.keys() - mapping.keys())
    if unmapped:
        message = f"map: names no variable for the file part {unmapped[0]!r}"
        raise refusal("BAD_REQUEST", message)
    for name, paths in mapping.items():
        for path in paths:
            put(given.variables, path, files[name])
    return GraphQLRequest(given.query, given.variables, given.operation_name,
                          tuple(files.values()), multipart=True,
                          persisted=given.persisted)  # fmt: skip


def put(variables: dict[str, Any], path: str, upload: UploadFile) -> None:
    """The upload in place of the null at `path` (`variables.file`, `variables.files.0`)."""
    head, *steps = path.split(".")
    target: Any = variables
    for depth, step in enumerate(steps):
        found = slot(target, step)
        if head != "variables" or found is None:
            break
        if depth == len(steps) - 1 and found[1] is None:
            target[found[0]] = upload
            return
        target = found[1]
    message = f"map: {path!r} names no null placeholder among the operation's variables"
    raise refusal("BAD_REQUEST", message)


def slot(container: Any, step: str) -> tuple[Any, Any] | None:
    """The key or index `step` names in a dict or list, with its value; None if none."""
    if isinstance(container, dict) and step in container:
        return step, container[step]
    if isinstance(container, list) and step.isdigit() and int(step) < len(container):
        return int(step), container[int(step)]
    return None


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
